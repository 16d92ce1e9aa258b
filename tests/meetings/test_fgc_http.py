"""The familierådslagning flow over HTTP: six steps, access, bad input, the samordner."""

from datetime import date, timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.meetings import flows
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import FgcCase, FgcPlanItem, FgcTask, Meeting, MeetingPart
from coordinator.network.tables import Organisation
from tests import factories as f
from tests.conftest import http_client
from tests.meetings import support as s

BASE = "/families/{}/familieraadslagning"


async def _post(client, family_id, step, data):
    """Post a step's form with the version its page shows, as the browser does."""
    path = BASE.format(family_id)
    if "version" not in data:
        version = await s.form_version(client, f"{path}/", f"{path}/{step}")
        data = {**data, **({"version": version} if version is not None else {})}
    return await f.post_form(client, f"{path}/{step}", data, page=f"{path}/")


async def _through_samordner(client, family_id, samordner):
    today = app_clock.today().isoformat()
    assert (await _post(client, family_id, "assessment", {
        "possible": "ja", "assessed_on": today, "family_view": "Mor vil gerne",
        "reasons": "Stort netværk"})).status_code == 303
    assert (await _post(client, family_id, "referral", {
        "concern": "Barnets trivsel", "questions": "Hvem henter Emma?",
        "referred_on": today})).status_code == 303
    assert (await _post(client, family_id, "samordner", {
        "samordner_user": str(samordner.id)})).status_code == 303


async def _formoede_agreed(client, family_id):
    today = app_clock.today().isoformat()
    assert (await _post(client, family_id, "formoede", {"formoede_on": today})).status_code == 303
    r = await _post(client, family_id, "formoede/outcome", {
        "formoede_participants": "Mor, Emma, mormor, samordneren", "formoede_agreement": "yes"})
    assert r.status_code == 303, r.text[:300]


async def test_whole_flow_three_parts_each_participant_their_parts(client):
    sara = await f.user(username="sara-fgc")
    ida = await f.user("samordner", username="ida-fgc")
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    teacher = await s.person(family_id, "Lise Lærer", "professional", email="lise@example.org",
                             professional=True)
    await f.login(client, sara)
    await _through_samordner(client, family_id, ida)
    deadline = (app_clock.today() + timedelta(days=7)).isoformat()
    assert (await _post(client, family_id, "tasks", {"title": "Book lokale",
                                                     "deadline": deadline})).status_code == 303
    day = s.working_day()
    response = await _post(client, family_id, "meeting", {"location": "Rådhuset", **s.fgc_times(day)})
    assert response.status_code == 303
    meeting_id = int(response.headers["location"].rsplit("/", 1)[1])
    parts = await MeetingPart.select().where(MeetingPart.meeting == meeting_id).order_by(MeetingPart.position)
    assert [p["key"] for p in parts] == ["information", "family_time", "plan"]
    assert all(p["starts_at"] < p["ends_at"] for p in parts)
    page = f"/meetings/{meeting_id}"
    for person_id in (mother, teacher):
        r = await f.post_form(client, f"{page}/participants", {"person_id": str(person_id)}, page=page)
        assert r.status_code == 303, r.text[:300]
    from coordinator.meetings.service import participants_of
    by_name = {p["name"]: p["part_keys"] for p in await participants_of(meeting_id)}
    assert by_name["Anna Mor"] == ["information", "family_time", "plan"]
    assert by_name["Lise Lærer"] == ["information"]
    assert by_name[sara.full_name] == ["information", "plan"]
    assert by_name[ida.full_name] == ["information", "plan"]
    # the formøde: the family agrees to go on, so the meeting may be planned and sent
    await _formoede_agreed(client, family_id)
    # plan → invite → held → plan items → follow-up about three months later
    for target in ("planned", "invited"):
        r = await f.post_form(client, f"{page}/status", {"target": target}, page=page)
        assert r.status_code == 303, r.text[:500]
    await MeetingPart.update({MeetingPart.starts_at: MeetingPart.starts_at - timedelta(days=60),
                              MeetingPart.ends_at: MeetingPart.ends_at - timedelta(days=60)}).where(
        MeetingPart.meeting == meeting_id)
    r = await f.post_form(client, f"{page}/held", {"minutes": "Godt møde", "outcome": "Plan"}, page=page)
    assert r.status_code == 303, r.text[:300]
    r = await _post(client, family_id, "plan", {"action": "Mormor henter Emma", "who": "Mormor"})
    assert r.status_code == 303
    r = await _post(client, family_id, "followup", {})
    assert r.status_code == 303
    follow_id = int(r.headers["location"].rsplit("/", 1)[1])
    follow = await Meeting.select().where(Meeting.id == follow_id).first()
    assert follow["kind"] == "familieraadslagning_followup" and follow["parent_id"] == meeting_id
    first = (await MeetingPart.select().where(MeetingPart.meeting == follow_id).first())["starts_at"]
    assert 80 <= (first - parts[0]["starts_at"] + timedelta(days=60)).days <= 95
    assert (await FgcCase.select().first())["status"] == "followup"
    assert await FgcPlanItem.count() == 1 and await FgcTask.count() == 1
    text = (await client.get(BASE.format(family_id) + "/")).text
    assert "Mormor henter Emma" in text and "Opfølgningsmøde" in text


async def test_a_form_opened_before_a_task_moved_the_case_on_is_a_conflict(client):
    # Issue 20: a task moves the case to "preparing" and raises its version; the samordner
    # form of before (which writes the stage it read) is told, not saved.
    sara, ida = await f.user(), await f.user("samordner", username="ida-stage")
    other = await f.user("samordner", username="eva-stage")
    family_id = await f.family(sara)
    await f.login(client, sara)
    await _through_samordner(client, family_id, ida)
    path = BASE.format(family_id)
    opened = await s.form_version(client, f"{path}/", f"{path}/samordner")
    deadline = (app_clock.today() + timedelta(days=7)).isoformat()
    assert (await _post(client, family_id, "tasks", {"title": "Book lokale",
                                                     "deadline": deadline})).status_code == 303
    r = await _post(client, family_id, "samordner", {"samordner_user": str(other.id),
                                                     "version": opened})
    assert r.status_code == 409
    case = await FgcCase.select().first()
    assert (case["status"], case["samordner_user"]) == ("preparing", ida.id)
    assert case["version"] == int(opened) + 1


@pytest.mark.parametrize("step,data,message", [
    ("assessment", {"possible": "ja", "assessed_on": "2026-01-05", "reasons": ""}, "Begrundelse"),
    ("assessment", {"possible": "måske", "assessed_on": "2026-01-05", "reasons": "x"}, "Ugyldigt valg"),
    ("assessment", {"possible": "ja", "assessed_on": "2099-01-01", "reasons": "x"}, "fremtiden"),
    ("referral", {"concern": "x", "questions": "y", "referred_on": "2026-01-05"}, "vurderingen"),
    ("meeting", {}, "vurderingen"),
])
async def test_bad_input_is_danish_4xx_and_saves_nothing(client, step, data, message):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    response = await _post(client, family_id, step, data)
    assert 400 <= response.status_code < 500
    assert message in response.text
    assert await FgcCase.count() == 0 and await Meeting.count() == 0


async def test_samordner_on_team_refused_and_meeting_in_past_or_holiday_refused(client):
    sara = await f.user()
    ida = await f.user("samordner")
    family_id = await f.family(sara, ida)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    await _post(client, family_id, "assessment", {"possible": "ja", "assessed_on": today, "reasons": "r"})
    await _post(client, family_id, "referral", {"concern": "c", "questions": "q", "referred_on": today})
    r = await _post(client, family_id, "samordner", {"samordner_user": str(ida.id)})
    assert r.status_code == 422 and "uafhængig" in r.text
    await _post(client, family_id, "samordner", {"samordner_name": "Ekstern Eva",
                                                 "samordner_email": "eva@example.net"})
    past = s.fgc_times(app_clock.today() - timedelta(days=3))
    r = await _post(client, family_id, "meeting", past)
    assert r.status_code == 422 and "fortiden" in r.text
    year = app_clock.today().year + 1
    r = await _post(client, family_id, "meeting", s.fgc_times(date(year, 6, 5)))
    assert r.status_code == 422 and "Grundlovsdag" in r.text
    bad = s.fgc_times(s.working_day())
    bad["plan_end"], bad["plan_start"] = bad["plan_start"], bad["plan_end"]
    r = await _post(client, family_id, "meeting", bad)
    assert r.status_code == 422 and "efter starttidspunktet" in r.text
    assert await Meeting.count() == 0 and await MeetingPart.count() == 0


@pytest.mark.parametrize("method,suffix", [
    ("get", "/"), ("post", "/assessment"), ("post", "/referral"), ("post", "/samordner"),
    ("post", "/tasks"), ("post", "/tasks/1/done"), ("post", "/meeting"), ("post", "/plan"),
    ("post", "/followup"), ("post", "/initiator"), ("post", "/formoede"),
    ("post", "/formoede/outcome"),
])
async def test_foreign_family_is_404_on_every_route(client, method, suffix):
    sara = await f.user()
    stranger = await f.user()
    foreign = await f.family(stranger, name="Familien Fremmed")
    await f.login(client, sara)
    path = BASE.format(foreign) + suffix
    if method == "get":
        response = await client.get(path)
    else:
        response = await f.post_form(client, path, {"possible": "ja", "assessed_on": "2026-01-05",
                                                    "reasons": "x"})
    assert response.status_code == 404
    assert "Familien Fremmed" not in response.text
    assert await FgcCase.count() == 0


async def test_samordner_sees_only_meetings_they_coordinate(app, client, other_client):
    sara = await f.user()
    ida = await f.user("samordner")
    other_samordner = await f.user("samordner")
    family_id = await f.family(sara, name="Familien Hemmelig")
    await f.login(client, sara)
    await _through_samordner(client, family_id, ida)
    r = await _post(client, family_id, "meeting", s.fgc_times(s.working_day()))
    meeting_id = int(r.headers["location"].rsplit("/", 1)[1])
    net_meeting = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværk"}, page=f"/families/{family_id}")
    net_id = int(net_meeting.headers["location"].rsplit("/", 1)[1])

    child = await s.person(family_id, "Emma Marie Hemmelig", "child")
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.add_participants(sara, meeting, ANY_VERSION, [meetings.NewParticipant(
        person_id=child, invite_via_worker=True)])
    await Meeting.update({Meeting.description: "Emma Marie Hemmelig fortæller selv."}).where(
        Meeting.id == meeting_id)

    await f.login(other_client, ida)
    page = await other_client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200
    assert "Deltagere" in page.text and "Forslag fra netværket" not in page.text
    # Outside the team the child is "Emma H.", in the list and in the texts.
    assert "Emma H." in page.text and "Emma Marie Hemmelig" not in page.text
    assert (await other_client.get(f"/meetings/{net_id}")).status_code == 404
    assert (await other_client.get(f"/families/{family_id}")).status_code == 404
    assert (await other_client.get(BASE.format(family_id) + "/")).status_code == 404
    r = await f.post_form(other_client, f"/meetings/{meeting_id}/status", {"target": "cancelled"},
                          page=f"/meetings/{meeting_id}")
    assert r.status_code == 404
    listing = await other_client.get("/meetings/coordinated")
    assert f"/meetings/{meeting_id}" in listing.text and f"/meetings/{net_id}" not in listing.text
    # Her start page holds what the method needs: the concern, the questions, the people.
    start = await other_client.get("/", follow_redirects=True)
    assert "Barnets trivsel" in start.text and "<li>Hvem henter Emma?</li>" in start.text
    assert "Ikke svaret" in start.text or "Ingen inviteret endnu." in start.text
    assert "Stort netværk" not in start.text and "Mor vil gerne" not in start.text
    reads = await AuditEvent.select().where((AuditEvent.username == ida.username)
                                            & (AuditEvent.action == "read"))
    assert {e["entity_id"] for e in reads} == {str(meeting_id)}

    async with http_client(app) as third:
        await f.login(third, other_samordner)
        assert (await third.get(f"/meetings/{meeting_id}")).status_code == 404


async def test_assessments_are_counted_per_family(client):
    sara = await f.user()
    yes, no, missing = [await f.family(sara) for _ in range(3)]
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    await _post(client, yes, "assessment", {"possible": "ja", "assessed_on": today, "reasons": "r"})
    await _post(client, no, "assessment", {"possible": "nej", "assessed_on": today, "reasons": "r"})
    counts = await flows.assessment_counts([yes, no, missing])
    assert (counts[yes].fgc_possible, counts[no].fgc_possible, counts[missing].fgc_possible) == (True, False, None)
    assert [counts[i].fgc_assessed for i in (yes, no, missing)] == [True, True, False]
    totals = await flows.assessment_totals([yes, no, missing])
    assert (totals.families, totals.fgc_assessed, totals.fgc_possible) == (3, 2, 1)
    family_page = (await client.get(f"/families/{missing}")).text
    assert "Vurdering mangler" in family_page
    writes = await AuditEvent.select().where(AuditEvent.entity == "familierådslagning")
    assert {e["family_id"] for e in writes} == {yes, no}


async def test_the_samordners_start_page_never_names_the_protected_place(client, other_client):
    """The concern and questions typed by the team reach the samordner, who is outside the
    team. Typed now, a protected place in them is refused where it is typed; text saved
    before the place was protected is hidden on her page (the projection for her
    audience, the second line)."""
    sara = await f.user()
    ida = await f.user("samordner")
    family_id = await f.family(sara)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    await _post(client, family_id, "assessment", {"possible": "ja", "assessed_on": today,
                                                  "family_view": "Ja", "reasons": "Netværk"})
    referral = {"concern": "Mor bor nu på Lyngbakken 0 med børnene",
                "questions": "Hvem kan hente på Demoby Krisecenter?", "referred_on": today}
    await _post(client, family_id, "referral", referral)
    await Organisation.insert(Organisation(name="Demoby Krisecenter", kind="crisis_centre",
                                           sector="crisis_centre", address="Lyngbakken 0, 8999 Demoby",
                                           location_protected=True))
    refused = await f.post_form(client, f"/families/{family_id}/familieraadslagning/referral",
                                {**referral, "concern": "Mor bor stadig på lyngbakken"},
                                page=f"/families/{family_id}/familieraadslagning/")
    assert refused.status_code == 422 and "»Bekymring« nævner »Lyngbakken 0, 8999 Demoby«" in refused.text
    await _post(client, family_id, "samordner", {"samordner_user": str(ida.id)})
    await f.login(other_client, ida)
    page = (await other_client.get("/meetings/coordinated")).text
    assert "Mor bor nu på [skjult] med børnene" in page
    assert "lyngbakken" not in page.lower() and "demoby krisecenter" not in page.lower()


async def test_the_samordner_tells_her_cases_apart_before_any_meeting(client):
    """A familierådslagning with no meeting yet is named on her page as partners read its
    meetings' titles: the kind and the children by first name and initial."""
    sara = await f.user()
    ida = await f.user("samordner")
    family_id = await f.family(sara, name="Familien Hemmelig")
    await s.person(family_id, "Emma Marie Hemmelig", "child")
    await FgcCase.insert(FgcCase(family=family_id, possible=True, samordner_user=ida.id,
                                 concern="Emma Marie Hemmelig trives ikke i skolen."))
    await f.login(client, ida)
    page = (await client.get("/meetings/coordinated")).text
    assert "<h2" in page and "Familierådslagning om Emma H.</h2>" in page
    assert "Emma Marie Hemmelig" not in page and "Familien Hemmelig" not in page
    assert "Emma H. trives ikke i skolen." in page
