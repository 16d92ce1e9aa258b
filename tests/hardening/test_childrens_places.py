"""A shielded family's children's school and day care (DOMAIN.md, *Audiences*: the father's
side never reads them) as the place of a meeting, checked on every change and projected in
every invitation – not only screened where the place is typed.

A meeting placed at the school while nobody hostile took part, and the father added after,
would otherwise have sent him where the children are every day."""

from __future__ import annotations

import html
import re
from email import message_from_string, policy

import pytest

from coordinator import cache, clock, db, web
from coordinator import settings as settings_module
from coordinator.app import create_app
from coordinator.auth.policy import Principal
from coordinator.db import ANY_VERSION
from coordinator.families import cases
from coordinator.families.tables import Family
from coordinator.invites import feeds
from coordinator.invites import service as invites
from coordinator.invites.tables import OutboxMessage, ReplyRecord
from coordinator.meetings import protected_places
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import AgendaPoint, FatherAssessment, Meeting, Participant
from coordinator.network import service as network_service
from coordinator.network.tables import KeepApart, Organisation, Person, Relation
from tests import conftest, factories
from tests.hardening.world import build_world
from tests.invites import support
from tests.invites.support import at, working_day
from tests.invites.test_feeds_http import create_feed

WITHHELD = "Oplyses af socialrådgiveren"


@pytest.fixture(autouse=True)
def invite_settings():
    settings_module.use_settings(conftest.test_settings())
    yield
    settings_module.use_settings(None)


async def _meeting(meeting_id: int) -> dict:
    return await Meeting.select().where(Meeting.id == meeting_id).first()


async def _school() -> int:
    return (await Organisation.select(Organisation.id).where(
        Organisation.name == "Østre Skole").first())["id"]


async def _at_the_school(worker: Principal, family_id: int, people: list[meetings.NewParticipant],
                         description: str = "") -> int:
    """A network meeting of the family with ``people``, placed at the children's school
    chosen from the directory (allowed: nobody hostile takes part yet)."""
    family = await Family.select().where(Family.id == family_id).first()
    meeting_id = await meetings.create_meeting(worker, family, "netvaerksmoede", "Skolemøde",
                                               location="Rådhuset", description=description)
    [part] = await meetings.parts_of(meeting_id)
    day = working_day()
    await meetings.set_times(worker, await _meeting(meeting_id), ANY_VERSION,
                             {part["key"]: (at(day, 10), at(day, 11))})
    await meetings.add_participants(worker, await _meeting(meeting_id), ANY_VERSION, people)
    before = await _meeting(meeting_id)
    await meetings.update_details(worker, before, ANY_VERSION, before["title"], "", await _school(),
                                  before["description"], True)
    return meeting_id


async def _send(worker: Principal, meeting_id: int) -> None:
    await meetings.change_status(worker, await _meeting(meeting_id), ANY_VERSION, "planned")
    await meetings.change_status(worker, await _meeting(meeting_id), ANY_VERSION, "invited")


async def _mails_to(meeting_id: int, address: str) -> str:
    rows = await OutboxMessage.select().where(
        (OutboxMessage.meeting == meeting_id) & (OutboxMessage.recipient_email == address))
    assert rows, f"no mail to {address}"
    text = " ".join(invites.message_text(message_from_string(r["message"], policy=policy.default))
                    for r in rows)
    unfolded = re.sub(r"\r?\n[ \t]", "", text).replace("\\", "")
    return " ".join(unfolded.split()).casefold()


async def test_the_father_added_to_a_sent_meeting_at_the_childrens_school_is_refused():
    s = await support.scenario(with_father=False)  # at the crisis centre: shielded
    meeting_id = await _at_the_school(s.worker, s.family["id"], [
        meetings.NewParticipant(person_id=s.teacher), meetings.NewParticipant(user_id=s.worker.id)])
    await _send(s.worker, meeting_id)
    queued = await OutboxMessage.count()
    before = await _meeting(meeting_id)
    with pytest.raises(web.UserError) as refused:
        await meetings.add_participants(s.worker, before, ANY_VERSION,
                                        [meetings.NewParticipant(person_id=s.father)])
    assert refused.value.status == 409 and "hvor børnene kan findes" in refused.value.message
    assert "Østre Skole" not in refused.value.message
    assert await OutboxMessage.count() == queued
    assert not await Participant.exists().where(
        (Participant.meeting == meeting_id) & (Participant.person == s.father))
    assert (await _meeting(meeting_id))["version"] == before["version"]


async def test_the_father_added_to_a_draft_at_the_school_blocks_sending(client):
    """Before sending the change is kept (it is a draft), the page says why it cannot be
    sent, and sending is refused until the place or the father is changed."""
    s = await support.scenario(with_father=False)
    meeting_id = await _at_the_school(s.worker, s.family["id"], [
        meetings.NewParticipant(person_id=s.teacher), meetings.NewParticipant(user_id=s.worker.id)])
    await meetings.add_participants(s.worker, await _meeting(meeting_id), ANY_VERSION,
                                    [meetings.NewParticipant(person_id=s.father)])
    await factories.login(client, s.worker)
    page = await client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200 and "hvor børnene kan findes" in page.text
    await meetings.change_status(s.worker, await _meeting(meeting_id), ANY_VERSION, "planned")
    with pytest.raises(web.UserError, match="Invitationerne er ikke sendt"):
        await meetings.change_status(s.worker, await _meeting(meeting_id), ANY_VERSION, "invited")
    assert not await OutboxMessage.exists().where(OutboxMessage.meeting == meeting_id)
    # moved to the town hall, it goes out, and the father reads the town hall
    before = await _meeting(meeting_id)
    await meetings.update_details(s.worker, before, ANY_VERSION, before["title"],
                                  "Rådhuset, mødelokale 2", None, before["description"], True)
    await meetings.change_status(s.worker, await _meeting(meeting_id), ANY_VERSION, "invited")
    father = await _mails_to(meeting_id, "far@example.net")
    assert "rådhuset" in father and "østre skole" not in father


async def test_the_fathers_kontaktperson_never_reads_the_childrens_school():
    """The kontaktperson at a meeting at the school reads the neutral place, and the school
    named in the description withheld; the teacher reads both."""
    s = await support.scenario(with_father=False)
    contact = await factories.user("kontaktperson", full_name="Kaj Kontakt",
                                   email="kaj@kommune.example.org")
    meeting_id = await _at_the_school(s.worker, s.family["id"], [
        meetings.NewParticipant(person_id=s.teacher), meetings.NewParticipant(user_id=s.worker.id),
        meetings.NewParticipant(user_id=contact.id)],
        description="Vi mødes ved indgangen til Østre Skole.")
    await _send(s.worker, meeting_id)
    theirs = await _mails_to(meeting_id, "kaj@kommune.example.org")
    assert "østre skole" not in theirs and WITHHELD.casefold() in theirs
    assert "vi mødes ved indgangen til" in theirs  # the rest of the text is there
    teacher = await _mails_to(meeting_id, "laerer@skole.example.org")
    assert teacher.count("østre skole") >= 2  # the place and the description
    # a feed is read by whoever holds its link: neither the school's feed nor the worker's
    for kind, target in (("partner_organisation", await _school()), ("user", s.worker.id)):
        events = [e for e in await feeds.meeting_events(kind, target, clock.now(),
                                                        conftest.test_settings())
                  if e.uid.startswith(f"m{meeting_id}-")]
        assert events and all(e.location == WITHHELD for e in events), kind
        assert all("Østre Skole" not in f"{e.summary} {e.description}" for e in events), kind


async def test_a_family_that_is_not_shielded_may_meet_the_father_at_the_school():
    worker = await factories.user(email="sara@kommune.example.org")
    family_id = await factories.family(worker, at_crisis_centre=False)
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    father = await support._person(family_id, "Frank Hansen", "father", "far@example.net",
                                   used_violence=True)
    teacher = await support._person(family_id, "Lars Lærer", "professional",
                                    "laerer@skole.example.org", professional=True,
                                    organisation=school)
    await FatherAssessment.insert(FatherAssessment(family=family_id, father=father,
                                                   mother_agreed_on=clock.today()))
    meeting_id = await _at_the_school(worker, family_id, [
        meetings.NewParticipant(person_id=teacher), meetings.NewParticipant(person_id=father),
        meetings.NewParticipant(user_id=worker.id)])
    await _send(worker, meeting_id)
    assert "østre skole" in await _mails_to(meeting_id, "far@example.net")


@pytest.mark.parametrize("at_centre, protected, expected", [
    (True, False, ("Østre Skole", "Mælkebøtten")), (False, True, ("Østre Skole", "Mælkebøtten")),
    (False, False, ())])
async def test_the_childrens_places_read_and_derived_from_the_network_agree(at_centre, protected,
                                                                           expected):
    """The meeting page derives them from the network it has loaded; the invitations and the
    checks on a change read them with one statement. Both: the schools and day care of the
    network's people and of its relations, only for a shielded family."""
    worker = await factories.user()
    family_id = await factories.family(worker, at_crisis_centre=at_centre)
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    nursery = (await Organisation.insert(Organisation(name="Mælkebøtten", kind="day_care",
                                                      sector="school")))[0]["id"]
    police = (await Organisation.insert(Organisation(name="Politiet", kind="police",
                                                     sector="authority")))[0]["id"]
    await support._person(family_id, "Maria Hansen", "mother", protected_address=protected)
    child = await support._person(family_id, "Emma Hansen", "child")
    await support._person(family_id, "Lars Lærer", "professional", professional=True,
                          organisation=school)
    await support._person(family_id, "Betjent Bo", "professional", professional=True,
                          organisation=police)
    pedagogue = await support._person(family_id, "Pia Pædagog", "professional", professional=True)
    await Relation.insert(Relation(family=family_id, source=pedagogue, target_organisation=nursery,
                                   type="works_at"))
    await Relation.insert(Relation(family=family_id, source=pedagogue, target_person=child,
                                   type="pedagogue_of"))
    read = (await protected_places.childrens_places([family_id])).get(family_id, ())
    network = await network_service.load_network(family_id)
    assert read == network.childrens_places(at_centre) == expected


async def test_the_school_typed_by_its_address_is_the_school():
    """A place typed as the school's street is as telling as its name: the father added to a
    sent meeting there is refused too."""
    s = await support.scenario(with_father=False)
    await Organisation.update({Organisation.address: "Skolevej 3, 8900 Randers"}).where(
        Organisation.name == "Østre Skole")
    family = await Family.select().where(Family.id == s.family["id"]).first()
    meeting_id = await meetings.create_meeting(s.worker, family, "netvaerksmoede", "Møde",
                                               location="skolevej 3")
    [part] = await meetings.parts_of(meeting_id)
    await meetings.set_times(s.worker, await _meeting(meeting_id), ANY_VERSION,
                             {part["key"]: (at(working_day(), 10), at(working_day(), 11))})
    await meetings.add_participants(s.worker, await _meeting(meeting_id), ANY_VERSION, [
        meetings.NewParticipant(person_id=s.teacher), meetings.NewParticipant(user_id=s.worker.id)])
    await _send(s.worker, meeting_id)
    with pytest.raises(web.UserError) as refused:
        await meetings.add_participants(s.worker, await _meeting(meeting_id), ANY_VERSION,
                                        [meetings.NewParticipant(person_id=s.father)])
    assert refused.value.status == 409


async def test_a_kontaktperson_typed_in_by_name_never_reads_the_childrens_school():
    """Not only the account: a kontaktperson (or samordner) added by name and address."""
    s = await support.scenario(with_father=False)
    meeting_id = await _at_the_school(s.worker, s.family["id"], [
        meetings.NewParticipant(person_id=s.teacher), meetings.NewParticipant(user_id=s.worker.id),
        meetings.NewParticipant(name="Kaj Kontakt", email="kaj@modtagelsen.example.org",
                                role="kontaktperson"),
        meetings.NewParticipant(name="Sif Samordner", email="sif@samordning.example.org",
                                role="samordner")])
    await _send(s.worker, meeting_id)
    for address in ("kaj@modtagelsen.example.org", "sif@samordning.example.org"):
        theirs = await _mails_to(meeting_id, address)
        assert "østre skole" not in theirs and WITHHELD.casefold() in theirs, address


async def test_the_fathers_export_never_names_the_childrens_school(client):
    """His access export: a note about him naming where the children go is cut."""
    s = await support.scenario(with_father=False)
    await Organisation.update({Organisation.address: "Skolevej 3, 8900 Randers"}).where(
        Organisation.name == "Østre Skole")
    await Person.update({Person.notes: "Spurgte efter børnene ved Østre Skole, Skolevej 3."}).where(
        Person.id == s.father)
    await factories.login(client, s.worker)
    response = await client.get(f"/families/{s.family['id']}/people/{s.father}/export.json")
    assert response.status_code == 200
    assert "Spurgte efter børnene ved" in response.text  # cut, not dropped
    assert "Østre Skole" not in response.text and "Skolevej" not in response.text
    teacher = await client.get(f"/families/{s.family['id']}/people/{s.teacher}/export.json")
    assert "Østre Skole" in teacher.text  # his own workplace
    # someone kept apart from the mother is on his side: her export is cut the same way
    aunt = await support._person(s.family["id"], "Tante Tove", "relative",
                                 notes="Ved, at børnene går på Østre Skole.")
    await KeepApart.insert(KeepApart(family=s.family["id"], person_a=aunt, person_b=s.mother))
    kept = await client.get(f"/families/{s.family['id']}/people/{aunt}/export.json")
    assert kept.status_code == 200 and "Ved, at børnene går på" in kept.text
    assert "Østre Skole" not in kept.text


async def test_the_answers_read_outside_the_team_never_name_the_childrens_school(client):
    """The answers partial, polled on the meeting page: a comment naming the school is cut
    for the father's kontaktperson, as the page's own texts are."""
    world = await build_world()
    own = world.own
    await ReplyRecord.update({ReplyRecord.comment: "Bedre efter skoletid på Østre Skole"}).where(
        ReplyRecord.id == own["bic_record_id"])
    await factories.login(client, world.users["kontaktperson"])
    response = await client.get(f"/meetings/{own['bic_meeting_id']}/answers")
    assert response.status_code == 200
    assert "Bedre efter skoletid på" in response.text and "Østre Skole" not in response.text


def _details_form(page: str) -> dict[str, str]:
    """The details form's fields as the page holds them (what a browser would send back)."""
    form = re.search(r'action="/meetings/\d+/details".*?</form>', page, re.S).group(0)
    fields = {name: html.unescape(value) for name, value in re.findall(
        r'<input[^>]*name="(title|location|version)"[^>]*value="([^"]*)"', form)}
    fields["description"] = html.unescape(re.search(
        r'<textarea[^>]*name="description"[^>]*>(.*?)</textarea>', form, re.S).group(1))
    chosen = re.search(r'<select[^>]*name="location_organisation".*?</select>', form, re.S)
    selected = re.search(r'<option value="(\d+)" selected', chosen.group(0)) if chosen else None
    fields["location_organisation"] = selected.group(1) if selected else ""
    return fields


async def test_what_the_kontaktperson_never_read_is_kept_when_he_saves_the_form(client):
    """The father's kontaktperson edits his session's title: the description he read with
    the school and the mother's street cut (»[skjult]«), and the place he did not read,
    are kept as the team wrote them, not overwritten with what his form showed."""
    world = await build_world()
    own = world.own
    school = world.school
    text = "Mor bor på Skjultvej 10. Alma går på Østre Skole."
    await Meeting.update({Meeting.description: text, Meeting.location_organisation: school}).where(
        Meeting.id == own["bic_meeting_id"])
    before = await _meeting(own["bic_meeting_id"])
    await factories.login(client, world.users["kontaktperson"])
    page = (await client.get(f"/meetings/{own['bic_meeting_id']}")).text
    form = _details_form(page)
    # (the picker lists the municipality's directory, not which one is the children's)
    assert "Østre Skole" not in re.sub(r"<option[^>]*>[^<]*</option>", "", page)
    assert "Skjultvej" not in form["description"]
    assert form["location_organisation"] == ""
    response = await factories.post_form(client, f"/meetings/{own['bic_meeting_id']}/details",
                                         {**form, "title": "Rådgivning om bolig"},
                                         page=f"/meetings/{own['bic_meeting_id']}")
    assert response.status_code == 303, response.text
    after = await _meeting(own["bic_meeting_id"])
    assert after["title"] == "Rådgivning om bolig"
    assert (after["description"], after["location"], after["location_organisation"]) == (
        text, before["location"], school)
    # the form sent back again as he read it changes nothing, so it writes nothing: the
    # meeting's version stays, and a colleague's save begun before is not in conflict
    again = _details_form((await client.get(f"/meetings/{own['bic_meeting_id']}")).text)
    response = await factories.post_form(client, f"/meetings/{own['bic_meeting_id']}/details",
                                         again, page=f"/meetings/{own['bic_meeting_id']}")
    assert response.status_code == 303, response.text
    assert (await _meeting(own["bic_meeting_id"]))["version"] == after["version"]


async def test_an_agenda_point_he_sends_back_as_he_read_it_keeps_the_teams_title(client):
    world = await build_world()
    own = world.own
    title = "Skolevejen til Østre Skole"
    await AgendaPoint.update({AgendaPoint.title: title}).where(AgendaPoint.id == own["bic_point_id"])
    before = await _meeting(own["bic_meeting_id"])
    await factories.login(client, world.users["kontaktperson"])
    page = (await client.get(f"/meetings/{own['bic_meeting_id']}")).text
    assert "Skolevejen til [skjult]" in page
    path = f"/meetings/{own['bic_meeting_id']}/agenda/{own['bic_point_id']}"
    response = await factories.post_form(client, path, {
        "point_title": "Skolevejen til [skjult]", "part_key": ""},
        page=f"/meetings/{own['bic_meeting_id']}")
    assert response.status_code == 303, response.text
    point = await AgendaPoint.select().where(AgendaPoint.id == own["bic_point_id"]).first()
    assert point["title"] == title
    # kept as it was, nothing is written: not the meeting's version, not its history
    assert (await _meeting(own["bic_meeting_id"]))["version"] == before["version"]
    response = await factories.post_form(client, path, {
        "point_title": "Boligen", "part_key": ""}, page=f"/meetings/{own['bic_meeting_id']}")
    assert response.status_code == 422  # a title with a part he cannot see is the team's
    assert (await AgendaPoint.select().where(AgendaPoint.id == own["bic_point_id"]).first()
            )["title"] == title
    await AgendaPoint.update({AgendaPoint.title: "Skolevejen"}).where(
        AgendaPoint.id == own["bic_point_id"])
    response = await factories.post_form(client, path, {
        "point_title": "Boligen", "part_key": ""}, page=f"/meetings/{own['bic_meeting_id']}")
    assert response.status_code == 303
    assert (await AgendaPoint.select().where(AgendaPoint.id == own["bic_point_id"]).first()
            )["title"] == "Boligen"  # all of it his to read, so his to change


@pytest.mark.parametrize("school", ["Østre Skole", "Vestre Skole"])
async def test_any_school_written_by_the_kontaktperson_gets_one_answer(client, school):
    """Refused for the children's school only, a refusal would tell him which school it is:
    every school or day care, typed or chosen as the place, gets the same answer."""
    world = await build_world()
    own = world.own
    other = (await Organisation.insert(Organisation(name="Vestre Skole", kind="school",
                                                    sector="school")))[0]["id"]
    chosen = {"Østre Skole": world.school, "Vestre Skole": other}[school]
    path = f"/meetings/{own['bic_meeting_id']}"
    await factories.login(client, world.users["kontaktperson"])
    form = _details_form((await client.get(path)).text)
    answers = []
    for change in ({"description": f"Vi mødes ved {school}."},
                   {"location": f"{school}, lærerværelset"},
                   {"location_organisation": str(chosen)}):
        response = await factories.post_form(client, f"{path}/details", {**form, **change},
                                             page=path)
        assert response.status_code == 422
        answers.append(re.search(r'id="d-error">([^<]*)<', response.text).group(1))
    assert all("skole eller et dagtilbud" in a and school not in a for a in answers)
    point = f"{path}/agenda/{own['bic_point_id']}"
    response = await factories.post_form(client, point, {
        "point_title": f"Hentning ved {school}", "part_key": ""}, page=path)
    assert response.status_code == 422 and "skole eller et dagtilbud" in response.text
    assert (await _meeting(own["bic_meeting_id"]))["version"] == int(form["version"])


async def test_a_text_with_parts_he_cannot_see_is_not_rewritten_by_him(client):
    """Changed where his page withheld a part, the text would lose the team's words to his
    »[skjult]«: refused, with the way (the family's socialrådgiver); line breaks as a form
    sends them back do not count as a change."""
    world = await build_world()
    own = world.own
    text = "Mor bor på Skjultvej 10.\nAlma Egensen har det godt."
    await Meeting.update({Meeting.description: text}).where(Meeting.id == own["bic_meeting_id"])
    path = f"/meetings/{own['bic_meeting_id']}"
    await factories.login(client, world.users["kontaktperson"])
    form = _details_form((await client.get(path)).text)
    assert form["description"] == "Mor bor på [skjult].\nAlma E. har det godt."
    response = await factories.post_form(client, f"{path}/details", {
        **form, "description": form["description"] + " Far kommer kl. 10."}, page=path)
    assert response.status_code == 422 and "kan kun rettes af familiens socialrådgiver" in response.text
    response = await factories.post_form(client, f"{path}/details", {
        **form, "description": form["description"].replace("\n", "\r\n"), "title": "Rådgivning"},
        page=path)
    assert response.status_code == 303
    after = await _meeting(own["bic_meeting_id"])
    assert (after["title"], after["description"]) == ("Rådgivning", text)


async def test_schools_are_withheld_from_writers_outside_only_where_there_is_a_secret():
    """A family not shielded has no children's place to keep from the father's side: the
    samordner writes »Ring til Østre Skole« in its familierådslagning freely."""
    samordner = await factories.user("samordner")
    worker = await factories.user()
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    texts = {"title": ("Opgave", "Ring til Østre Skole om lokalet")}
    for at_centre in (False, True):
        family_id = await factories.family(worker, at_crisis_centre=at_centre)
        await support._person(family_id, "Lars Lærer", "professional", professional=True,
                              organisation=school)
        if at_centre:
            with pytest.raises(web.UserError, match="skole eller et dagtilbud"):
                await meetings.screen_outside_writer(samordner, family_id, texts)
        else:
            await meetings.screen_outside_writer(samordner, family_id, texts)
        await meetings.screen_outside_writer(worker, family_id, texts)  # the team writes it


async def _feed(client, worker: Principal) -> tuple[str, str, str]:
    """The worker's own feed: its path, and the first fetch's ETag and Last-Modified (it
    names the school: not yet one of a shielded family's children's places)."""
    path = await create_feed(client, worker, "user", worker.id, "Min kalender")
    first = await client.get(path)
    assert first.status_code == 200 and "Østre Skole" in _unfolded(first.text)
    return path, first.headers["etag"], first.headers["last-modified"]


def _unfolded(calendar: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", calendar).replace("\\", "")


async def _shield(how: str, worker: Principal, family_id: int, mother: int, teacher: int) -> None:
    """The family becomes shielded, or the school one of its children's places, by a write
    of any path: a service, or by hand as a restore or a fix in psql would."""
    if how == "check-in":
        await cases.check_in(worker, family_id, clock.today())
    elif how == "protected address":
        await Person.update({Person.protected_address: True}).where(Person.id == mother)
    elif how == "relation to the school":
        await Relation.insert(Relation(family=family_id, source=teacher,
                                       target_organisation=await _school(), type="works_at"))
    else:
        await Organisation.update({Organisation.kind: "school"}).where(
            Organisation.name == "Østre Skole")


@pytest.mark.parametrize("how", ["check-in", "protected address", "relation to the school",
                                 "organisation becomes a school"])
async def test_a_calendar_served_before_the_family_became_shielded_is_not_sent_again(how):
    """The worker's feed named the school while it was not one of a shielded family's
    children's places. Once it is (the change commits), no fetch gets that calendar again:
    not by its ETag, not by If-Modified-Since alone (a client without ETags), not from a
    process's memory nor from the copy kept with the link, even within the settle time."""
    worker = await factories.user(email="sara@kommune.example.org")
    # shielded from the start: at the crisis centre, or the mother's address protected
    family_id = await factories.family(worker, at_crisis_centre=how == "relation to the school")
    kind = "other" if how == "organisation becomes a school" else "school"
    await Organisation.insert(Organisation(name="Østre Skole", kind=kind, sector="school"))
    mother = await support._person(family_id, "Maria Hansen", "mother",
                                   protected_address=how == "organisation becomes a school")
    await support._person(family_id, "Emma Hansen", "child")
    teacher = await support._person(
        family_id, "Lars Lærer", "professional", "laerer@skole.example.org", professional=True,
        organisation=None if how == "relation to the school" else await _school())
    meeting_id = await _at_the_school(worker, family_id, [
        meetings.NewParticipant(person_id=teacher), meetings.NewParticipant(user_id=worker.id)])
    await _send(worker, meeting_id)
    assert not (await protected_places.childrens_places([family_id])).get(family_id)
    # calendars kept for a minute, as in production: well within it, the change must tell
    clock.pin(clock.now())
    app = create_app(conftest.test_settings(feed_settle_seconds=60))
    async with conftest.http_client(app) as client, conftest.http_client(app) as other_client:
        path, etag, modified = await _feed(client, worker)
        await _shield(how, worker, family_id, mother, teacher)
        assert (await protected_places.childrens_places([family_id])).get(family_id)
        for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}, {}):
            for fetcher in (client, other_client):
                again = await fetcher.get(path, headers=headers)
                assert again.status_code == 200, (how, headers)
                assert "Østre Skole" not in _unfolded(again.text), (how, headers)
                assert "BEGIN:VEVENT" in again.text
    cache.clear_all()


async def test_someone_kept_apart_from_the_mother_is_on_the_fathers_side():
    """DOMAIN.md counts the kept-apart with the father: the father's brother, kept apart from
    the mother but never violent himself, is not invited to the school, and reads the school
    withheld where a text names it. The grandmother, kept apart only from the father, reads
    it as any partner does."""
    s = await support.scenario(with_father=False)
    family_id = s.family["id"]
    uncle = await support._person(family_id, "Per Hansen", "relative", "per@example.net")
    granny = await support._person(family_id, "Birthe Hansen", "relative", "birthe@example.net")
    cousin = await support._person(family_id, "Kim Hansen", "relative", "kim@example.net")
    await KeepApart.insert(KeepApart(family=family_id, person_a=s.mother, person_b=uncle),
                           KeepApart(family=family_id, person_a=cousin, person_b=s.child),
                           KeepApart(family=family_id, person_a=granny, person_b=s.father))
    at_school = await _at_the_school(s.worker, family_id, [
        meetings.NewParticipant(person_id=s.teacher), meetings.NewParticipant(user_id=s.worker.id)])
    await _send(s.worker, at_school)
    with pytest.raises(web.UserError) as refused:
        await meetings.add_participants(s.worker, await _meeting(at_school), ANY_VERSION,
                                        [meetings.NewParticipant(person_id=uncle)])
    assert refused.value.status == 409 and "hvor børnene kan findes" in refused.value.message
    await meetings.add_participants(s.worker, await _meeting(at_school), ANY_VERSION,
                                    [meetings.NewParticipant(person_id=granny)])
    family = await Family.select().where(Family.id == family_id).first()
    elsewhere = await meetings.create_meeting(
        s.worker, family, "netvaerksmoede", "Netværksmøde", location="Rådhuset, mødelokale 2",
        description="Bagefter henter vi Emma ved Østre Skole.")
    [part] = await meetings.parts_of(elsewhere)
    day = working_day()
    await meetings.set_times(s.worker, await _meeting(elsewhere), ANY_VERSION,
                             {part["key"]: (at(day, 13), at(day, 14))})
    await meetings.add_participants(s.worker, await _meeting(elsewhere), ANY_VERSION, [
        meetings.NewParticipant(person_id=uncle), meetings.NewParticipant(person_id=granny),
        meetings.NewParticipant(person_id=cousin), meetings.NewParticipant(user_id=s.worker.id)])
    await _send(s.worker, elsewhere)
    for kept in ("per@example.net", "kim@example.net"):  # either end of the pair
        theirs = await _mails_to(elsewhere, kept)
        assert "østre skole" not in theirs and "rådhuset" in theirs, kept
    assert "østre skole" in await _mails_to(elsewhere, "birthe@example.net")
    assert "østre skole" in await _mails_to(at_school, "birthe@example.net")
    # the school typed into a meeting he takes part in is refused where it is typed
    before = await _meeting(elsewhere)
    with pytest.raises(web.UserError, match="hvor børnene"):
        await meetings.update_details(s.worker, before, ANY_VERSION, before["title"],
                                      before["location"], None, "Vi ses i Østre Skoles festsal.",
                                      True)
    assert (await _meeting(elsewhere))["description"] == before["description"]


async def _purge_stamp() -> str:
    rows = await db.fetch('SELECT "stamp" FROM "content_revision" WHERE "family_id" = -2')
    return rows[0]["stamp"] if rows else ""


async def test_only_a_new_childrens_place_forgets_the_calendars():
    """Forgetting every calendar costs every partner feed a new build: it happens when a
    family gains a children's place, not on every write near one."""
    worker = await factories.user()
    shielded = await factories.family(worker, at_crisis_centre=True)
    plain = await factories.family(worker, at_crisis_centre=False)
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    other = (await Organisation.insert(Organisation(name="Vestre Skole", kind="school",
                                                    sector="school")))[0]["id"]
    child = await support._person(shielded, "Emma Hansen", "child")

    async def forgets(write) -> bool:
        before = await _purge_stamp()
        await write()
        return await _purge_stamp() != before

    def teacher(name: str, org: int):
        return lambda: support._person(shielded, name, "professional", professional=True,
                                       organisation=org)

    assert await forgets(teacher("Lars Lærer", school))  # the family's first school
    assert not await forgets(teacher("Lise Lærer", school))  # the same school again
    assert not await forgets(lambda: Relation.insert(Relation(
        family=shielded, source=child, target_organisation=school, type="works_at")))
    assert await forgets(lambda: Relation.insert(Relation(
        family=shielded, source=child, target_organisation=other, type="works_at")))
    assert not await forgets(lambda: support._person(shielded, "Moster Inge", "relative"))
    # a family without any school or day care has no children's place to gain
    assert not await forgets(lambda: support._person(plain, "Maria Hansen", "mother",
                                                     protected_address=True))
    # …until its network has one, which is then a new children's place
    assert await forgets(lambda: support._person(plain, "Lars Lærer", "professional",
                                                 professional=True, organisation=school))
    # checked in, shielded already by the mother's protected address: nothing new
    assert not await forgets(lambda: cases.check_in(worker, plain, clock.today()))
    # a school in the network of a family not shielded is no children's place
    open_family = await factories.family(worker, at_crisis_centre=False)
    assert not await forgets(lambda: support._person(open_family, "Lone Lærer", "professional",
                                                     professional=True, organisation=other))
    # people and relations changed to point elsewhere: a new school forgets, the same not
    moving = await support._person(shielded, "Pia Pædagog", "professional", professional=True)
    north = (await Organisation.insert(Organisation(name="Nordre Skole", kind="school",
                                                    sector="school")))[0]["id"]
    assert await forgets(lambda: Person.update({Person.organisation: north}).where(
        Person.id == moving))
    assert not await forgets(lambda: Person.update({Person.organisation: school}).where(
        Person.id == moving))
    # a school that becomes a day care was a children's place already
    assert not await forgets(lambda: Organisation.update({Organisation.kind: "day_care"}).where(
        Organisation.id == school))
