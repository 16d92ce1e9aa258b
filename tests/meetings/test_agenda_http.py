"""The meeting page's "Dagsorden og referat" (issue 17, point 1): the default agenda of each
kind, points added, changed, moved and removed from the workspace (and without JavaScript),
minutes per point written once the meeting has begun and still after it was held, versioned
edits whose conflicts speak the form's words, every change audited, and what of it reaches
whom: the team all of it; outside the team the titles as projected, never the minutes; each
participant the points of their own parts in the invitation, the letter and the answer page;
the father and the calendar feeds nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_string, policy

from coordinator import db
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.families.tables import TeamMember
from coordinator.invites import redact
from coordinator.invites import service as invites
from coordinator.meetings import agenda, kinds, safety, workspace
from coordinator.meetings import service as meetings
from coordinator.meetings.piccolo_migrations import meetings_2026_12_04t19_08_40_000000 as moved
from coordinator.meetings.tables import (
    AgendaPoint,
    FatherAssessment,
    Meeting,
    Participant,
)
from coordinator.refusal import FIELD_MESSAGE_ID
from tests import factories
from tests.invites import support

HTMX = {"HX-Request": "true"}
OOB = re.compile(r'<(?:section|div)[^>]*\bid="([\w-]+)"[^>]*hx-swap-oob="true"')
POINT = re.compile(r'<p class="point-title"><strong>([^<]*)</strong>')


def _mail(row: dict) -> str:
    """What the recipient reads in a mail, its calendar's folded lines joined again."""
    text = invites.message_text(message_from_string(row["message"], policy=policy.default))
    return re.sub(r"\r?\n[ \t]", "", text)


async def _points(meeting_id: int) -> list[dict]:
    return await AgendaPoint.select().where(AgendaPoint.meeting == meeting_id).order_by(
        AgendaPoint.position, AgendaPoint.id)


async def _titles(meeting_id: int) -> list[str]:
    return [p["title"] for p in await _points(meeting_id)]


async def _post(client, path: str, data: dict, page: str, htmx: bool = True):
    return await factories.post_form(client, path, data, page=page, htmx=htmx)


async def _begun(s: support.Scenario, clock) -> None:
    """The clock an hour into the scenario's meeting."""
    [part] = await meetings.parts_of(s.meeting_id)
    clock.pin(part["starts_at"] + timedelta(hours=1))


def test_every_kind_has_a_default_agenda_in_its_own_parts():
    for key, kind in kinds.KINDS.items():
        points = kinds.default_agenda(key)
        assert len(points) >= 3, key
        parts = {part.key for part in kind.parts}
        assert all(part == "" or part in parts for part, _ in points), key
        assert all(0 < len(title) <= agenda.TITLE_MAX for _, title in points), key
    fgc = kinds.default_agenda("familieraadslagning")
    assert [part for part, _ in fgc] == sorted((p for p, _ in fgc), key=[
        "information", "family_time", "plan"].index)  # the phases in their order
    assert any("Familiens egen tid" in title for _, title in fgc)


def test_moving_a_point_swaps_it_with_its_neighbour():
    assert agenda.moved([1, 2, 3], 3, "up") == [1, 3, 2]
    assert agenda.moved([1, 2, 3], 1, "down") == [2, 1, 3]
    assert agenda.moved([1, 2, 3], 1, "up") == [1, 2, 3]
    assert agenda.moved([1, 2, 3], 3, "down") == [1, 2, 3]


async def test_a_new_meeting_starts_with_its_kinds_agenda(client):
    s = await support.scenario(with_father=False)
    assert await _titles(s.meeting_id) == [t for _, t in kinds.default_agenda("netvaerksmoede")]
    await factories.login(client, s.worker)
    page = (await client.get(f"/meetings/{s.meeting_id}")).text
    assert '<h2 id="agenda-heading">Dagsorden og referat</h2>' in page
    assert POINT.findall(page) == await _titles(s.meeting_id)
    # the meeting has not begun: no minutes form, and the page says when they can be written
    assert 'name="minutes"' not in page and "Skriv referatet, når mødet er begyndt" in page


async def test_points_are_added_changed_moved_and_removed_in_place_and_audited(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    before = (await s.meeting())["version"]
    added = await _post(client, f"{page}/agenda", {"point_title": "Skolevejen"}, page)
    assert added.status_code == 200, added.text[:300]
    assert OOB.findall(added.text) == list(workspace.sections_for("agenda"))
    assert "Dagsordenen er gemt." in added.text and "<html" not in added.text
    assert 'data-focus-after-change' in added.text.split('id="pa-title"', 1)[1].split(">", 1)[0]
    assert (await s.meeting())["version"] == before + 1
    assert (await _titles(s.meeting_id))[-1] == "Skolevejen"
    new = (await _points(s.meeting_id))[-1]

    changed = await _post(client, f"{page}/agenda/{new['id']}", {"point_title": "Skolevejen om morgenen"}, page)
    assert changed.status_code == 200 and "Skolevejen om morgenen" in changed.text
    moved_up = await _post(client, f"{page}/agenda/{new['id']}/move", {"direction": "up"}, page)
    assert moved_up.status_code == 200 and "Punktet er flyttet." in moved_up.text
    assert OOB.findall(moved_up.text) == list(workspace.sections_for("agenda_move"))
    # focus stays on the moved point's button, for the next key press
    assert re.search(r'data-focus-after-change>Flyt op<span class="visually-hidden"> »Skolevejen om morgenen«',
                     moved_up.text)
    titles = await _titles(s.meeting_id)
    assert titles[-2] == "Skolevejen om morgenen"
    first = (await _points(s.meeting_id))[0]
    down = await _post(client, f"{page}/agenda/{first['id']}/move", {"direction": "down"}, page)
    assert down.status_code == 200
    assert (await _titles(s.meeting_id))[:2] == [titles[1], titles[0]]
    removed = await _post(client, f"{page}/agenda/{new['id']}/remove", {}, page)
    assert removed.status_code == 200 and "Skolevejen om morgenen" not in removed.text
    assert "Skolevejen om morgenen" not in await _titles(s.meeting_id)
    summaries = [e["summary"] for e in await AuditEvent.select(AuditEvent.summary).where(
        AuditEvent.summary.like("Dagsordenspunkt%")).order_by(AuditEvent.id)]
    assert summaries == ["Dagsordenspunkt tilføjet: Skolevejen",
                         "Dagsordenspunkt ændret: Skolevejen → Skolevejen om morgenen",
                         "Dagsordenspunkt flyttet op: Skolevejen om morgenen",
                         f"Dagsordenspunkt flyttet ned: {titles[0]}",
                         "Dagsordenspunkt fjernet: Skolevejen om morgenen"]
    # the page read afterwards is not stale (kept under the family's content stamps)
    assert POINT.findall((await client.get(page)).text) == await _titles(s.meeting_id)


async def test_a_familieraadslagning_point_belongs_to_a_part(client):
    sara = await factories.user()
    family_id = await factories.family(sara)
    meeting_id = await meetings.create_meeting(sara, {"id": family_id}, "familieraadslagning",
                                               "Familierådslagning")
    points = await _points(meeting_id)
    assert {p["part_key"] for p in points} == {"information", "family_time", "plan"}
    await factories.login(client, sara)
    page = f"/meetings/{meeting_id}"
    text = (await client.get(page)).text
    assert '<option value="family_time">Familiens egen tid</option>' in text
    answer = await _post(client, f"{page}/agenda", {"point_title": "Mad og pause",
                                                    "part_key": "family_time"}, page)
    assert answer.status_code == 200
    assert (await _points(meeting_id))[-1]["part_key"] == "family_time"
    wrong = await _post(client, f"{page}/agenda", {"point_title": "X", "part_key": "andet"}, page)
    assert wrong.status_code == 422 and 'data-field="part_key"' in wrong.text


async def test_a_refused_point_is_shown_at_the_field_and_kept_without_javascript(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    count = len(await _points(s.meeting_id))
    refused = await _post(client, f"{page}/agenda", {"point_title": "  "}, page)
    assert refused.status_code == 422 and 'data-field="point_title"' in refused.text
    too_long = "Punkt " + "x" * 300
    plain = await _post(client, f"{page}/agenda", {"point_title": too_long, "_page": page}, page,
                        htmx=False)  # the page the form is on, as every form sends it
    assert plain.status_code == 422
    assert f'id="{FIELD_MESSAGE_ID}"' in plain.text and "højst være 300 tegn" in plain.text
    assert (f'value="{too_long}" aria-invalid="true" aria-describedby="{FIELD_MESSAGE_ID}"'
            in plain.text)
    assert len(await _points(s.meeting_id)) == count
    ok = await _post(client, f"{page}/agenda", {"point_title": "Uden JavaScript"}, page, htmx=False)
    assert ok.status_code == 303 and ok.headers["location"] == f"{page}#agenda"


async def test_a_point_that_names_a_protected_place_is_refused_where_it_is_typed(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    refused = await _post(client, f"{page}/agenda",
                          {"point_title": f"Mor bor på {support.CENTRE_ADDRESS}"}, page)
    assert refused.status_code == 422 and 'data-field="point_title"' in refused.text
    assert "Lars Lærer" in refused.text  # for whom it would be a leak
    assert f"Mor bor på {support.CENTRE_ADDRESS}" not in await _titles(s.meeting_id)


async def test_minutes_per_point_once_begun_and_after_the_meeting_was_held(client, clock):
    s = await support.scenario(with_father=False)
    await support.send(s)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    first, second = (await _points(s.meeting_id))[:2]
    early = await _post(client, f"{page}/agenda/{first['id']}/minutes",
                        {"minutes": "For tidligt", "version": first["version"]}, page)
    assert early.status_code == 409 and "Mødet er ikke begyndt endnu" in early.text
    await _begun(s, clock)
    await factories.login(client, s.worker)  # ten days later: a new login
    written = await _post(client, f"{page}/agenda/{first['id']}/minutes",
                          {"minutes": "Alle præsenterede sig.", "version": first["version"]}, page)
    assert written.status_code == 200, written.text[:300]
    assert OOB.findall(written.text) == list(workspace.sections_for("minutes"))
    assert "Referatet er gemt." in written.text and "Alle præsenterede sig." in written.text
    assert "Referat skrevet af Sara Rådgiver" in written.text
    # the other point's minutes at the same time: no conflict (each point has its version)
    other = await _post(client, f"{page}/agenda/{second['id']}/minutes",
                        {"minutes": "Mor fortalte om skolen.", "version": second["version"]}, page)
    assert other.status_code == 200
    # held: the minutes stay editable
    held = await _post(client, f"{page}/held", {"outcome": "Mormor henter om tirsdagen"}, page)
    assert held.status_code == 200 and (await s.meeting())["status"] == "held"
    assert "Resultat og aftaler" in held.text and "Mormor henter om tirsdagen" in held.text
    point = (await _points(s.meeting_id))[0]
    again = await _post(client, f"{page}/agenda/{point['id']}/minutes",
                        {"minutes": "Alle præsenterede sig. Moster kom senere.",
                         "version": point["version"]}, page)
    assert again.status_code == 200
    assert (await _points(s.meeting_id))[0]["minutes"] == "Alle præsenterede sig. Moster kom senere."
    # a point with minutes is not removed from a held meeting (and is not offered)
    assert f'action="{page}/agenda/{point["id"]}/remove"' not in again.text
    kept = await _post(client, f"{page}/agenda/{point['id']}/remove", {}, page)
    assert kept.status_code == 409 and "har et referat fra mødet" in kept.text
    # a point discussed without being on the agenda is added afterwards
    late = await _post(client, f"{page}/agenda", {"point_title": "Eventuelt"}, page)
    assert late.status_code == 200
    audited = await AuditEvent.select(AuditEvent.summary).where(
        AuditEvent.summary.like("Referat skrevet%"))
    assert len(audited) == 3 and all("præsenterede" not in a["summary"] for a in audited)


async def test_two_writers_of_one_points_minutes_see_the_conflict_in_the_forms_words(client, clock):
    s = await support.scenario(with_father=False)
    await support.send(s)
    await _begun(s, clock)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    point = (await _points(s.meeting_id))[0]
    saved = await _post(client, f"{page}/agenda/{point['id']}/minutes",
                        {"minutes": "Først gemt", "version": point["version"]}, page)
    assert saved.status_code == 200
    stale = await _post(client, f"{page}/agenda/{point['id']}/minutes",
                        {"minutes": "Min udgave", "version": point["version"]}, page)
    assert stale.status_code == 409 and "<html" not in stale.text
    assert "Referatet til punktet er ændret af en anden" in stale.text
    assert "<th scope=\"row\">Referat</th><td>Min udgave</td><td>Først gemt</td>" in stale.text
    for internal in ("minutes_by_name", "version", "minutes_at"):
        assert internal not in stale.text
    assert (await _points(s.meeting_id))[0]["minutes"] == "Først gemt"
    # without a version: a conflict that says so, nothing saved
    missing = await _post(client, f"{page}/agenda/{point['id']}/minutes",
                          {"minutes": "Uden udgave", "version": None}, page)
    assert missing.status_code == 409 and "Formularen kom uden at sige, hvilken udgave" in missing.text


async def test_a_stale_agenda_change_shows_the_agenda_as_saved(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    version = (await s.meeting())["version"]
    assert (await _post(client, f"{page}/agenda", {"point_title": "Først", "version": version},
                        page)).status_code == 200
    stale = await _post(client, f"{page}/agenda", {"point_title": "Anden", "version": version},
                        page)
    assert stale.status_code == 409
    assert "Dagsordenen er ændret af en anden" in stale.text
    assert "Din ændring af dagsordenen" in stale.text and "Nyt punkt: Anden" in stale.text
    assert "Dagsordenen, som den er gemt" in stale.text and "6. Først" in stale.text
    assert "Anden" not in await _titles(s.meeting_id)


async def test_minutes_typed_when_marking_held_are_kept_under_a_point(client, clock):
    """A page from before the agenda still sends the minutes with "Markér som afholdt":
    they are kept under the point »Referat«, and added to it the next time."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    await _begun(s, clock)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    held = await _post(client, f"{page}/held", {"minutes": "Godt møde", "outcome": "Plan"}, page,
                       htmx=False)
    assert held.status_code == 303
    point = (await _points(s.meeting_id))[-1]
    assert (point["title"], point["minutes"]) == (agenda.MINUTES_POINT, "Godt møde")
    shown = (await client.get(page)).text
    assert "Godt møde" in shown and "Plan" in shown


async def test_the_minutes_meetings_had_move_into_their_agenda():
    """The migration: a meeting's old minutes become a point of their own (nothing typed is
    lost), a meeting being planned gets its kind's default agenda, a held meeting without
    minutes none; running it again changes nothing."""
    worker = await factories.user()
    family_id = await factories.family(worker)
    ids = []
    for status in ("held", "planned", "held"):
        ids.append((await Meeting.insert(Meeting(family=family_id, kind="statusmoede",
                                                 title="Statusmøde", status=status)))[0]["id"])
    await db.engine().run_ddl('ALTER TABLE "meeting" ADD COLUMN "minutes" TEXT NOT NULL DEFAULT \'\'')
    try:
        await db.fetch('UPDATE "meeting" SET "minutes" = {} WHERE "id" = {}',
                       "Mor fortalte om skolen.", ids[0])
        await moved.backfill()
        await moved.backfill()
    finally:
        await db.engine().run_ddl('ALTER TABLE "meeting" DROP COLUMN "minutes"')
    [old] = await _points(ids[0])
    assert (old["title"], old["minutes"]) == (agenda.MINUTES_POINT, "Mor fortalte om skolen.")
    assert await _titles(ids[1]) == [t for _, t in kinds.default_agenda("statusmoede")]
    assert await _points(ids[2]) == []


async def test_a_cancelled_meetings_agenda_is_not_changed(client):
    s = await support.scenario(with_father=False)
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    assert 'action="/meetings/%d/agenda"' % s.meeting_id not in (await client.get(page)).text
    refused = await _post(client, f"{page}/agenda", {"point_title": "Nyt"}, page)
    assert refused.status_code == 409 and "aflyst" in refused.text


async def _fgc_at_the_crisis_centre(samordner) -> tuple:
    sara, meeting_id = await support.fgc_at_the_crisis_centre(samordner)
    first = (await _points(meeting_id))[0]
    await AgendaPoint.update({AgendaPoint.title: f"Velkommen på {support.CENTRE_NAME}",
                              AgendaPoint.minutes: "Hemmeligt referat"}).where(
        AgendaPoint.id == first["id"])
    return sara, meeting_id, first["id"]


async def test_outside_the_team_the_agenda_is_projected_and_the_minutes_are_not_shown(client):
    ida = await factories.user("samordner")
    sara, meeting_id, point = await _fgc_at_the_crisis_centre(ida)
    page = f"/meetings/{meeting_id}"
    await factories.login(client, ida)
    shown = (await client.get(page)).text
    assert "Dagsorden og referat" in shown
    assert "Velkommen på Oplyses af socialrådgiveren" in shown or "Velkommen på [skjult]" in shown
    assert support.CENTRE_NAME not in shown and "Hemmeligt referat" not in shown
    assert f'action="{page}/agenda' not in shown  # nothing to change
    refused = await _post(client, f"{page}/agenda/{point}/minutes",
                          {"minutes": "Samordnerens", "version": 1}, page)
    assert refused.status_code == 404
    assert (await _points(meeting_id))[0]["minutes"] == "Hemmeligt referat"
    await factories.login(client, sara)
    assert "Hemmeligt referat" in (await client.get(page)).text


async def test_the_fathers_kontaktperson_writes_the_minutes_of_his_advice_session(client, clock):
    s = await support.scenario(with_father=False)
    mads = await factories.user("kontaktperson", full_name="Mads Kontakt")
    assessment = (await FatherAssessment.select(FatherAssessment.id).where(
        FatherAssessment.family == s.family["id"]).first())["id"]
    await FatherAssessment.update({FatherAssessment.contact_person: mads.id}).where(
        FatherAssessment.id == assessment)
    await TeamMember.insert(TeamMember(family=s.family["id"], user=mads.id,
                                       team_role="Kontaktperson, Modtagelsen"))
    day = support.working_day(3)
    meeting_id = await meetings.create_meeting(
        s.worker, s.family, "bic_session", "Rådgivningssamtale med far",
        times={"meeting": (support.at(day, 10), support.at(day, 11))},
        father_assessment=assessment)
    clock.pin(support.at(day, 10, 30))
    await factories.login(client, mads)
    page = f"/meetings/{meeting_id}"
    point = (await _points(meeting_id))[0]
    answer = await _post(client, f"{page}/agenda/{point['id']}/minutes",
                         {"minutes": "Far fortalte om boligen.", "version": point["version"]}, page)
    assert answer.status_code == 200, answer.text[:300]
    assert "Far fortalte om boligen." in (await client.get(page)).text


async def test_each_participant_gets_the_points_of_their_own_parts(client):
    """The invitation, the answer page and the letter carry the agenda as projected for the
    recipient: the teacher (information part) not the family's own time, and the child by
    first name; the father no agenda; a partner's calendar feed none."""
    s = await support.scenario()
    await AgendaPoint.update({AgendaPoint.title: "Emma Marie Hansen og skolen"}).where(
        (AgendaPoint.meeting == s.meeting_id) & (AgendaPoint.position == 1))
    await support.send(s)
    rows = {r["recipient_email"]: r for r in await support.outbox(s.meeting_id)}
    teacher = _mail(rows["laerer@skole.example.org"])
    assert "Dagsorden:" in teacher and "Emma H. og skolen" in teacher
    assert "Emma Marie Hansen" not in teacher
    father = _mail(rows["far@example.net"])
    assert "Dagsorden" not in father and "skolen" not in father
    mother = _mail(rows["mor@example.net"])
    assert "Emma Marie Hansen og skolen" in mother
    for text in (teacher, father, mother):
        assert "referat" not in text.lower().replace("referatet", "")
    [data] = await invites.load_meetings([s.meeting_id])
    feed = redact.events_for_feed(data, {p.key for p in data.parts}, mail_from="a@b.dk",
                                  uid_domain="b.dk", dtstamp=data.updated_at)
    assert all("Dagsorden" not in (e.description or "") for e in feed.events)
    # the letter of a participant invited by phone or letter
    grandmother = await support._person(s.family["id"], "Grethe Mormor", "relative")
    await meetings.add_participants(s.worker, await s.meeting(), ANY_VERSION,
                                    [meetings.NewParticipant(person_id=grandmother)])
    row = await Participant.select(Participant.id).where(Participant.person == grandmother).first()
    await factories.login(client, s.worker)
    letter = await client.get(f"/meetings/{s.meeting_id}/participants/{row['id']}/letter")
    assert letter.status_code == 200 and "Det skal vi tale om" in letter.text
    assert "Emma Marie Hansen og skolen" in letter.text  # family reads the child's full name


async def test_a_familieraadslagnings_invitation_carries_the_parts_own_points():
    sara = await factories.user()
    family_id = await factories.family(sara)
    teacher = await support._person(family_id, "Lars Lærer", "professional",
                                    "laerer@skole.example.org", professional=True)
    meeting_id = await meetings.create_meeting(sara, {"id": family_id}, "familieraadslagning",
                                               "Familierådslagning")
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.add_participants(sara, meeting, ANY_VERSION,
                                    [meetings.NewParticipant(person_id=teacher)])
    [data] = await invites.load_meetings([meeting_id])
    row = next(p for p in data.participants if p.person_id == teacher)
    view = safety.redact_for_recipient(data.safety_meeting, data.people[row.safety_id],
                                                data.people)
    assert {key for key, _ in view.agenda} == {"information"}
    assert not any("Familiens egen tid" in text for _, text in view.agenda)
