"""A protected person's address, phone and e-mail are withheld wherever a worker wrote them,
whether or not the meeting invites her (``safety.Meeting.protected_people``): in the mails,
their calendar files and the feeds, and on the pages of readers outside the family's team.

The description of a professionals' meeting is written when it is created, before anyone is
invited, so no screen at typing time sees who will read it; the mother does not take part.
"""

from __future__ import annotations

from email import message_from_string, policy

import pytest

from coordinator import clock
from coordinator import settings as settings_module
from coordinator.db import ANY_VERSION
from coordinator.families.tables import Family
from coordinator.invites import redact
from coordinator.invites import service as invites
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import protected
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import BusyFeed, FgcCase, Meeting, SafetyApproval
from coordinator.network.tables import KeepApart, Organisation
from tests import conftest, factories
from tests.invites import support

MOTHER_ADDRESS = "Skjultvej 7, 8450 Hammel"
MOTHER_PHONE = "70 10 11 12"
MOTHER_EMAIL = "mor@example.net"
TEACHER = "laerer@skole.example.org"
GRANDMOTHER = "farmor@example.net"


@pytest.fixture(autouse=True)
def invite_settings():
    settings_module.use_settings(conftest.test_settings())
    yield
    settings_module.use_settings(None)


async def _mails_to(meeting_id: int, address: str) -> list[str]:
    rows = await OutboxMessage.select().where(
        (OutboxMessage.meeting == meeting_id) & (OutboxMessage.recipient_email == address))
    return [invites.message_text(message_from_string(r["message"], policy=policy.default))
            for r in rows]


async def _family() -> tuple:
    """A family whose mother has a protected address, a teacher at the children's school
    and the father's mother, who is kept apart from her."""
    worker = await factories.user("socialraadgiver", full_name="Sara Rådgiver",
                                  email="sara@kommune.example.org")
    family_id = await factories.family(worker)
    family = await Family.select().where(Family.id == family_id).first()
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    mother = await support._person(family_id, "Maria Hansen", "mother", MOTHER_EMAIL,
                                   protected_address=True, address=MOTHER_ADDRESS,
                                   phone=MOTHER_PHONE)
    teacher = await support._person(family_id, "Lars Lærer", "professional", TEACHER,
                                    professional=True, organisation=school)
    grandmother = await support._person(family_id, "Grete Hansen", "grandmother", GRANDMOTHER)
    await KeepApart.insert(KeepApart(family=family_id, person_a=mother, person_b=grandmother,
                                     reason="Farmor har truet mor"))
    return worker, family, teacher, grandmother


async def _meeting_written_first(worker, family, description: str, *invited: int) -> int:
    """A network meeting whose description is written at its creation; then its time, the
    ``invited`` network persons and the worker; not yet sent."""
    meeting_id = await meetings.create_meeting(
        worker, family, "netvaerksmoede", "Netværksmøde", location="Rådhuset, mødelokale 2",
        description=description)
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    day = support.working_day()
    [part] = await meetings.parts_of(meeting_id)
    await meetings.set_times(worker, meeting, ANY_VERSION,
                             {part["key"]: (support.at(day, 10), support.at(day, 12))})
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.add_participants(worker, meeting, ANY_VERSION, [
        *(meetings.NewParticipant(person_id=person) for person in invited),
        meetings.NewParticipant(user_id=worker.id)])
    return meeting_id


async def _send(worker, meeting_id: int) -> None:
    for status in ("planned", "invited"):
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        await meetings.change_status(worker, meeting, ANY_VERSION, status)


@pytest.mark.parametrize("typed", [MOTHER_ADDRESS, "Skjultvej 7", "+45 70101112", MOTHER_EMAIL])
async def test_the_school_does_not_read_her_whereabouts_when_she_is_not_invited(typed):
    worker, family, teacher, _ = await _family()
    meeting_id = await _meeting_written_first(
        worker, family, f"Mor og børn er flyttet: {typed}. Brug det til post.", teacher)
    await _send(worker, meeting_id)
    [to_teacher] = await _mails_to(meeting_id, TEACHER)
    assert not protected.find(to_teacher, (MOTHER_ADDRESS, MOTHER_PHONE, MOTHER_EMAIL))
    assert "[skjult]" in to_teacher
    # the worker, who may know it, reads the description as written
    [to_worker] = await _mails_to(meeting_id, "sara@kommune.example.org")
    assert protected.find(to_worker, (MOTHER_ADDRESS, MOTHER_PHONE, MOTHER_EMAIL))


async def test_the_father_s_mother_kept_apart_from_her_does_not_read_them():
    worker, family, _, grandmother = await _family()
    meeting_id = await _meeting_written_first(
        worker, family, f"Mor bor nu på {MOTHER_ADDRESS}, tlf. {MOTHER_PHONE}.", grandmother)
    await _send(worker, meeting_id)
    [to_grandmother] = await _mails_to(meeting_id, GRANDMOTHER)
    assert not protected.find(to_grandmother, (MOTHER_ADDRESS, MOTHER_PHONE))


async def test_a_feed_does_not_carry_them():
    worker, family, teacher, _ = await _family()
    meeting_id = await _meeting_written_first(
        worker, family, f"Mor bor nu på {MOTHER_ADDRESS}.", teacher)
    data = await invites.load_meeting(meeting_id)
    feed = redact.events_for_feed(data, {p.key for p in data.parts},
                                  mail_from="x@example.invalid", uid_domain="example.invalid",
                                  dtstamp=clock.now())
    assert feed.events
    text = "\n".join(e.description or "" for e in feed.events)
    assert not protected.find(text, (MOTHER_ADDRESS,)), text


async def test_the_meeting_page_warns_the_worker_before_sending(client):
    worker, family, teacher, _ = await _family()
    meeting_id = await _meeting_written_first(
        worker, family, f"Mor bor nu på {MOTHER_ADDRESS}.", teacher)
    await factories.login(client, worker)
    page = await client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    assert "Maria Hansens adresse, telefon eller e-mail, som er beskyttet" in page.text


async def _fgc_with_child(samordner_title: str):
    """A familierådslagning coordinated by a samordner; the mother (protected address) and
    the child invited, the title typed by the team while no one outside it was invited."""
    sara = await factories.user(full_name="Sara Rådgiver")
    ida = await factories.user("samordner")
    family_id = await factories.family(sara)
    mother = await support._person(family_id, "Maria Hansen", "mother", MOTHER_EMAIL,
                                   protected_address=True, address=MOTHER_ADDRESS)
    child = await support._person(family_id, "Emma Marie Hansen", "child")
    case = (await FgcCase.insert(FgcCase(family=family_id, possible=True,
                                         samordner_user=ida.id)))[0]["id"]
    meeting_id = await meetings.create_meeting(sara, {"id": family_id}, "familieraadslagning",
                                               "Familierådslagning", fgc_case=case)
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.add_participants(sara, meeting, ANY_VERSION, [
        meetings.NewParticipant(person_id=mother),
        meetings.NewParticipant(person_id=child, invite_via_worker=True)])
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.update_details(sara, meeting, ANY_VERSION, samordner_title,
                                  meeting["location"], None, meeting["description"],
                                  bool(meeting["send_email_invites"]))
    rows = await meetings.participants_of(meeting_id)
    by_person = {row["person"]: row["id"] for row in rows if row["person"]}
    return sara, ida, meeting_id, by_person[mother], by_person[child]


async def test_the_samordner_reads_a_participant_s_hours_page_projected(client):
    sara, ida, meeting_id, mother_row, child_row = await _fgc_with_child(
        f"Emma Marie Hansen – mor bor på {MOTHER_ADDRESS}")
    calendar = "https://kalender.example.net/mor/privat-kalender.ics"
    await factories.login(client, sara)
    [row] = [r for r in await meetings.participants_of(meeting_id) if r["id"] == mother_row]
    await BusyFeed.insert(BusyFeed(person=row["person"], url=calendar))
    page = await client.get(f"/meetings/{meeting_id}/participants/{mother_row}/hours")
    assert calendar in page.text and MOTHER_ADDRESS in page.text  # the team's own page

    await factories.login(client, ida)
    for row in (mother_row, child_row):
        hours = await client.get(f"/meetings/{meeting_id}/participants/{row}/hours")
        assert hours.status_code == 200
        assert "Skjultvej" not in hours.text, "her address reached the samordner"
        assert "Emma Marie Hansen" not in hours.text, "the child's full name reached the samordner"
        assert "Emma H." in hours.text
    mother_page = await client.get(f"/meetings/{meeting_id}/participants/{mother_row}/hours")
    assert calendar not in mother_page.text, "her calendar's address reached the samordner"
    assert "Adressen vises kun for familiens team" in mother_page.text


async def test_the_samordner_reads_the_answers_page_projected_as_the_meeting_page(client):
    """The answers page names the meeting in its title and breadcrumb and lists who was
    invited: outside the team, as the meeting page shows them (one cleaner for both)."""
    sara, ida, meeting_id, _, _ = await _fgc_with_child(
        f"Emma Marie Hansen – mor bor på {MOTHER_ADDRESS}")
    await factories.login(client, sara)
    team = (await client.get(f"/meetings/{meeting_id}/answers")).text
    assert MOTHER_ADDRESS in team
    family = (await Meeting.select(Meeting.family).where(Meeting.id == meeting_id).first())["family"]
    # the team's way back: its families, this family, the meeting
    crumbs = team[team.index('aria-label="Brødkrumme"'):team.index("</nav>", team.index("Brødkrumme"))]
    assert '<a href="/">Mine familier</a>' in crumbs and f'href="/families/{family}"' in crumbs
    await factories.login(client, ida)
    page = await client.get(f"/meetings/{meeting_id}/answers")
    assert page.status_code == 200
    crumbs = page.text[page.text.index('aria-label="Brødkrumme"'):]
    crumbs = crumbs[:crumbs.index("</nav>")]
    assert '<a href="/meetings/coordinated">' in crumbs and "/families/" not in crumbs
    assert "Skjultvej" not in page.text, "her address reached the samordner"
    assert "Emma Marie Hansen" not in page.text, "the child's full name reached the samordner"
    assert "Emma H. – mor bor på [skjult]" in page.text


async def test_the_samordner_reads_the_slot_finder_s_reasons_projected(client):
    """The slot finder's reasons name the participants (who cannot when): for the samordner
    the child is named by first name and initial there too."""
    sara, ida, meeting_id, _, _ = await _fgc_with_child("Familierådslagning")
    meeting = await Meeting.select(Meeting.fgc_case).where(Meeting.id == meeting_id).first()
    await FgcCase.update({FgcCase.formoede_on: clock.today()}).where(
        FgcCase.id == meeting["fgc_case"])  # the formøde held: times may be proposed
    day = support.working_day()
    form = {"first_day": day.isoformat(), "last_day": day.isoformat(), "min_notice": "0"}
    form |= {f"duration_{part['key']}": "60" for part in await meetings.parts_of(meeting_id)}
    page = f"/meetings/{meeting_id}"
    await factories.login(client, sara)
    team = await factories.post_form(client, f"{page}/slots", form, page=page, htmx=True)
    assert team.status_code == 200 and "Emma Marie Hansen" in team.text  # the team's reasons
    await factories.login(client, ida)
    hers = await factories.post_form(client, f"{page}/slots", form, page=page, htmx=True)
    assert hers.status_code == 200
    assert "Emma Marie Hansen" not in hers.text and "Emma H." in hers.text


async def test_the_team_s_safety_approvals_are_not_read_outside_it(client):
    """An approval's reason is the team's assessment in its own words: the samordner's
    meeting page shows the findings, not the team's reasons."""
    sara, ida, meeting_id, mother_row, _ = await _fgc_with_child("Familierådslagning")
    await SafetyApproval.insert(SafetyApproval(
        meeting=meeting_id, person_a=f"person:{mother_row}", kind="keep_apart",
        reason="Farmor og mor må mødes; vurderet af teamet", approved_by=sara.id))
    await factories.login(client, sara)
    assert "vurderet af teamet" in (await client.get(f"/meetings/{meeting_id}")).text
    await factories.login(client, ida)
    page = await client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200 and "vurderet af teamet" not in page.text


async def test_the_samordner_reads_no_contact_of_one_reached_only_through_the_worker(client):
    """Whose contact data the meeting page withholds from a reader outside the team is
    the same people the invitations withhold it for (``protected_places.protected_people``):
    a protected address, and also contact only through the worker – an aunt with no
    protected address whose phone the team typed into the title."""
    sara, ida, meeting_id, _, _ = await _fgc_with_child("Familierådslagning")
    family_id = (await Meeting.select(Meeting.family).where(Meeting.id == meeting_id)
                 .first())["family"]
    await support._person(family_id, "Karen Moster", "relative", "moster@example.net",
                          phone="40 50 60 70", contact_only_via_worker=True)
    await Meeting.update({Meeting.title: "Familierådslagning – moster på 40 50 60 70"}).where(
        Meeting.id == meeting_id)
    await factories.login(client, sara)
    assert "40 50 60 70" in (await client.get(f"/meetings/{meeting_id}")).text  # the team's
    await factories.login(client, ida)
    page = await client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    assert "40 50 60 70" not in page.text, "the aunt's phone reached the samordner"
    assert "Familierådslagning – moster på [skjult]" in page.text


async def test_the_school_reads_a_child_not_invited_by_first_name_and_initial():
    worker, family, teacher, _ = await _family()
    await support._person(family["id"], "Oskar Valde Hansen", "child")
    meeting_id = await _meeting_written_first(
        worker, family, "Oskar Valde Hansen starter i 0. klasse efter ferien.", teacher)
    await _send(worker, meeting_id)
    [to_teacher] = await _mails_to(meeting_id, TEACHER)
    assert "Oskar Valde Hansen" not in to_teacher and "Oskar H." in to_teacher
