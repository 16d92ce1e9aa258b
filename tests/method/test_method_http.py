"""The method over HTTP and in the service, on the engine of TEST_DATABASE_URL: the Signs
of Safety mapping and scale in a meeting, the handleplan, the family page, and who never
reaches any of it (other users, the father's side, a samordner)."""

import email
import re
from datetime import timedelta
from email import policy

from coordinator import clock as app_clock
from coordinator import db
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Audience
from coordinator.db import ANY_VERSION
from coordinator.families.tables import Family, TeamMember
from coordinator.gdpr import service as gdpr
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import FgcCase, FgcPlanItem, Participant
from coordinator.method import service
from coordinator.method.tables import Goal, GoalEvaluation, SosMapping, SosScale
from tests import factories as f
from tests.invites import support as invites
from tests.meetings import support as s

WORRY = "Drengen sover dårligt efter episoderne"


async def _network_meeting(client, family_id, kind="netvaerksmoede"):
    r = await f.post_form(client, f"/families/{family_id}/meetings/",
                          {"kind": kind, "title": "Netværksmøde om drengen"},
                          page=f"/families/{family_id}")
    assert r.status_code == 303, r.text[:300]
    return int(r.headers["location"].rsplit("/", 1)[1])


async def _setup(client):
    sara = await f.user()
    family_id = await f.family(sara, name="Familien Skala")
    mother = await s.person(family_id, "Anna Mor", "mother", protected_address=True)
    granny = await s.person(family_id, "Birthe Mormor", "grandmother")
    await f.login(client, sara)
    meeting_id = await _network_meeting(client, family_id)
    page = f"/meetings/{meeting_id}"
    for person in (mother, granny):
        r = await f.post_form(client, f"{page}/participants", {"person_id": str(person)},
                              page=page)
        assert r.status_code == 303, r.text[:300]
    return sara, family_id, meeting_id


async def _participant(meeting_id, name):
    row = await Participant.select().where(
        (Participant.meeting == meeting_id) & (Participant.name == name)).first()
    return row["id"]


async def test_mapping_and_scale_are_recorded_in_the_meeting_and_followed_on_the_family_page(client):
    sara, family_id, meeting_id = await _setup(client)
    page = f"/meetings/{meeting_id}"
    assert 'id="sos"' in (await client.get(page)).text
    r = await f.post_form(client, f"{page}/sos", {
        "version": "0", "worries": WORRY, "working_well": "Mormor henter fast",
        "needs_to_happen": "Sikkerhedsplan"}, page=page)
    assert r.status_code == 303
    granny = await _participant(meeting_id, "Birthe Mormor")
    for asker, score in (("familien", "4"), (f"p:{granny}", "7")):
        r = await f.post_form(client, f"{page}/sos/scales", {"asker": asker, "score": score},
                              page=page)
        assert r.status_code == 303
    scales = await SosScale.select().order_by(SosScale.id)
    assert [(x["asker_group"], x["asker_name"], x["score"]) for x in scales] == [
        ("family", "Familien", 4), ("network", "Birthe Mormor", 7)]
    text = (await client.get(page)).text
    assert WORRY in text and "Birthe Mormor" in text
    family_page = (await client.get(f"/families/{family_id}")).text
    assert "<svg" in family_page and "Sikkerhedsskala over tid" in family_page
    assert f'href="/meetings/{meeting_id}#sos"' in family_page
    actions = {(e["action"], e["entity"]) for e in await AuditEvent.select().where(
        AuditEvent.family_id == family_id)}
    assert {("create", service.MAPPING_ENTITY), ("create", service.SCALE_ENTITY),
            ("read", service.MAPPING_ENTITY)} <= actions


async def test_refused_forms_keep_what_was_typed(client):
    _, _, meeting_id = await _setup(client)
    page = f"/meetings/{meeting_id}"
    r = await f.post_form(client, f"{page}/sos", {"version": "0", "worries": " "}, page=page)
    assert r.status_code == 422 and "mindst én" in r.text
    r = await f.post_form(client, f"{page}/sos/scales",
                          {"asker": "familien", "score": "11", "note": "Min begrundelse"},
                          page=page)
    assert r.status_code == 422 and "0 til 10" in r.text and "Min begrundelse" in r.text
    r = await f.post_form(client, f"{page}/sos/scales", {"asker": "p:999999", "score": "3"},
                          page=page)
    assert r.status_code == 422
    assert await SosScale.count() == 0 and await SosMapping.count() == 0
    # the same person answers once per meeting
    for expected in (303, 409):
        r = await f.post_form(client, f"{page}/sos/scales", {"asker": "familien", "score": "5"},
                              page=page)
        assert r.status_code == expected
    assert await SosScale.count() == 1


async def test_a_stale_mapping_is_a_conflict_not_an_overwrite(client):
    _, _, meeting_id = await _setup(client)
    page = f"/meetings/{meeting_id}"
    assert (await f.post_form(client, f"{page}/sos", {"version": "0", "worries": WORRY},
                              page=page)).status_code == 303
    assert (await f.post_form(client, f"{page}/sos", {"version": "1", "worries": "Ny"},
                              page=page)).status_code == 303
    r = await f.post_form(client, f"{page}/sos", {"version": "1", "worries": "Gammel"},
                          page=page)
    assert r.status_code == 409
    assert (await SosMapping.select().first())["worries"] == "Ny"
    # In the form's words: the field is named as the form names it, never "worries".
    assert "Bekymringer" in r.text and "Gammel" in r.text and "Ny" in r.text
    assert "worries" not in r.text.split("<main", 1)[1].replace('name="worries"', "")


async def test_no_mapping_in_other_kinds_of_meeting(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    meeting_id = await _network_meeting(client, family_id, kind="statusmoede")
    assert 'id="sos"' not in (await client.get(f"/meetings/{meeting_id}")).text
    assert (await client.get(f"/meetings/{meeting_id}/sos/")).status_code == 404


async def test_others_and_the_fathers_side_get_404(client, other_client):
    sara, family_id, meeting_id = await _setup(client)
    page = f"/meetings/{meeting_id}"
    await f.post_form(client, f"{page}/sos", {"version": "0", "worries": WORRY}, page=page)
    goal_id = await service.create_goal(sara, {"id": family_id, "status": "active"},
                                        service.GoalInput("Tryg hverdag", "stay", "monthly",
                                                          app_clock.today()))
    stranger = await f.user()
    contact = await f.user("kontaktperson")
    samordner = await f.user("samordner")
    # the father's kontaktperson on the family's team: still nothing of the method
    await TeamMember.insert(TeamMember(family=family_id, user=contact.id,
                                       team_role="Kontaktperson, Modtagelsen"))
    for outsider in (stranger, contact, samordner):
        await f.login(other_client, outsider)
        for path in (f"{page}/sos/", f"/families/{family_id}/handleplan/",
                     f"/families/{family_id}"):
            r = await other_client.get(path)
            assert r.status_code == 404, (outsider.role, path)
            assert WORRY not in r.text and "Tryg hverdag" not in r.text
        token = await f.csrf_token(other_client, "/password")
        for path, data in ((f"{page}/sos", {"worries": "x"}),
                           (f"{page}/sos/scales", {"asker": "familien", "score": "2"}),
                           (f"/families/{family_id}/handleplan/goals",
                            {"title": "x", "period": "stay", "cadence": "monthly",
                             "starts_on": app_clock.today().isoformat()}),
                           (f"/families/{family_id}/handleplan/goals/{goal_id}/evaluations",
                            {"progress": "reached",
                             "evaluated_on": app_clock.today().isoformat()})):
            r = await other_client.post(path, data={**data, "_csrf_token": token})
            assert r.status_code == 404, (outsider.role, path)
    assert (await SosMapping.select().first())["worries"] == WORRY
    assert await SosScale.count() == 0 and await GoalEvaluation.count() == 0
    assert await Goal.count() == 1


async def test_the_meeting_section_is_built_for_the_team_only():
    sara = await f.user()
    family_id = await f.family(sara)
    meeting_id = await meetings.create_meeting(sara, {"id": family_id, "status": "active"},
                                               "netvaerksmoede", "Netværksmøde")
    meeting, family = await meetings.load_meeting(sara, meeting_id, service.Action.READ)
    await service.save_mapping(sara, meeting, family, 0, WORRY, "", "")
    assert (await service.meeting_section(sara, meeting, family, Audience.TEAM))["sos"][
        "mapping"]["worries"] == WORRY
    for audience in (Audience.FATHER_SIDE, Audience.NONE):
        assert await service.meeting_section(sara, meeting, family, audience) == {}


async def test_handleplan_goals_subgoals_evaluations_and_history(client):
    sara, family_id, meeting_id = await _setup(client)
    case = await FgcCase.insert(FgcCase(family=family_id, possible=True))
    item = await FgcPlanItem.insert(FgcPlanItem(case=case[0]["id"], action="Mormor henter i skole",
                                                who="Mormor"))
    granny = (await service.responsible_choices(family_id))[1]
    assert granny["label"].startswith("Birthe Mormor")
    base = f"/families/{family_id}/handleplan"
    today = app_clock.today()
    r = await f.post_form(client, f"{base}/goals", {
        "title": "Drengen kommer i skole hver dag", "period": "stay", "cadence": "monthly",
        "starts_on": today.isoformat(), "responsible": granny["value"],
        "plan_item": str(item[0]["id"])}, page=f"{base}/")
    assert r.status_code == 303
    goal = await Goal.select().first()
    assert goal["responsible_person"] is not None and goal["plan_item"] == item[0]["id"]
    r = await f.post_form(client, f"{base}/goals", {
        "title": "Fast aftale med skolen", "period": "stay", "cadence": "biweekly",
        "starts_on": today.isoformat(), "parent": str(goal["id"])}, page=f"{base}/")
    assert r.status_code == 303
    for version, (progress, note) in enumerate((("in_progress", "Første uge gik godt"),
                                                ("reached", "Fuldt fremmøde")), start=1):
        r = await f.post_form(client, f"{base}/goals/{goal['id']}/evaluations", {
            "evaluated_on": today.isoformat(), "progress": progress, "note": note,
            "meeting": str(meeting_id), "version": str(version)}, page=f"{base}/")
        assert r.status_code == 303
    meeting_page = (await client.get(f"/meetings/{meeting_id}")).text
    assert "Mål drøftet på mødet" in meeting_page and "Fuldt fremmøde" in meeting_page
    page = (await client.get(f"{base}/")).text
    assert "Fast aftale med skolen" in page and "Mormor henter i skole" in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for target in re.findall(r'\sfor="([^"]+)"', page):  # every label names an input
        assert re.search(rf'<(input|select|textarea)[^>]*\sid="{re.escape(target)}"', page), target
    assert "Første uge gik godt" in page and "Fuldt fremmøde" in page  # the history is kept
    assert "Ingen – målet er nået" in page
    assert await GoalEvaluation.count() == 2
    assert (await Goal.select().where(Goal.id == goal["id"]).first())["progress"] == "reached"
    family_page = (await client.get(f"/families/{family_id}")).text
    assert "Drengen kommer i skole hver dag" in family_page and "2 mål og delmål" in family_page


async def test_handleplan_refusals_keep_input_and_stale_evaluations_conflict(client):
    sara, family_id, _ = await _setup(client)
    base = f"/families/{family_id}/handleplan"
    today = app_clock.today()
    r = await f.post_form(client, f"{base}/goals", {
        "title": "Bolig", "description": "Min beskrivelse", "period": "stay",
        "cadence": "yearly", "starts_on": today.isoformat()}, page=f"{base}/")
    assert r.status_code == 422 and "evalueres" in r.text and "Min beskrivelse" in r.text
    r = await f.post_form(client, f"{base}/goals", {
        "title": "Bolig", "period": "stay", "cadence": "monthly",
        "starts_on": today.isoformat(), "responsible": "person:999999"}, page=f"{base}/")
    assert r.status_code == 422 and "ansvarlige" in r.text
    assert await Goal.count() == 0
    goal_id = await service.create_goal(sara, {"id": family_id, "status": "active"},
                                        service.GoalInput("Bolig", "after_care", "quarterly",
                                                          today))
    future = (today + timedelta(days=3)).isoformat()
    r = await f.post_form(client, f"{base}/goals/{goal_id}/evaluations", {
        "evaluated_on": future, "progress": "in_progress", "note": "Mine noter"},
        page=f"{base}/")
    assert r.status_code == 422 and "fremtiden" in r.text and "Mine noter" in r.text
    r = await f.post_form(client, f"{base}/goals/{goal_id}/evaluations", {
        "evaluated_on": today.isoformat(), "progress": "in_progress", "version": "1"},
        page=f"{base}/")
    assert r.status_code == 303
    r = await f.post_form(client, f"{base}/goals/{goal_id}/evaluations", {
        "evaluated_on": today.isoformat(), "progress": "reached", "version": "1"},
        page=f"{base}/")
    assert r.status_code == 409
    assert "Hvor langt er målet nået" in r.text and ">progress<" not in r.text
    assert await GoalEvaluation.count() == 1
    assert (await client.get(f"{base}/goals/999999/evaluations")).status_code in (303, 404)
    r = await f.post_form(client, f"{base}/goals/999999/evaluations", {
        "evaluated_on": today.isoformat(), "progress": "reached"}, page=f"{base}/")
    assert r.status_code == 404


async def test_goals_due_for_evaluation_are_on_the_team_agenda(client, other_client):
    sara = await f.user()
    family_id = await f.family(sara, name="Familien Mål")
    today = app_clock.today()
    family = {"id": family_id, "status": "active"}
    await service.create_goal(sara, family, service.GoalInput(
        "Overskredet mål", "stay", "monthly", today - timedelta(days=40)))
    await service.create_goal(sara, family, service.GoalInput(
        "Mål langt ude", "stay", "half_yearly", today))
    await f.login(client, sara)
    r = await client.get(f"/followup/teammoede?date={today.isoformat()}")
    assert r.status_code == 200
    assert "Mål til evaluering" in r.text and "Overskredet mål" in r.text
    assert "Mål langt ude" not in r.text
    assert await AuditEvent.count().where((AuditEvent.entity == service.GOAL_ENTITY)
                                          & (AuditEvent.family_id == family_id)) >= 1
    # the father's kontaktperson on the team never sees the goals (no agenda for her side)
    contact = await f.user("kontaktperson")
    await TeamMember.insert(TeamMember(family=family_id, user=contact.id,
                                       team_role="Kontaktperson, Modtagelsen"))
    from coordinator.followup import service as followup
    seen = await followup.team_agenda(contact, today)
    assert seen.own == []  # not a case holder: no families on an agenda
    family_row = (await db.fetch('SELECT * FROM "family" WHERE "id" = {}', family_id))
    assert await service.due_evaluations(contact, family_row, today) == {}
    await f.login(other_client, contact)
    r = await other_client.get(f"/followup/teammoede?date={today.isoformat()}")
    assert "Overskredet mål" not in r.text


async def test_invitations_never_carry_the_mapping_scale_or_goals():
    """The father, the school and the mother are invited to a network meeting with a mapping,
    scale answers and a goal recorded: no invitation mail carries any of it."""
    scenario = await invites.scenario()
    meeting, family = await meetings.load_meeting(scenario.worker, scenario.meeting_id,
                                                  service.Action.READ)
    marker = "SOSMARKER7731"
    await service.save_mapping(scenario.worker, meeting, family, 0, f"{marker} bekymring",
                               f"{marker} godt", f"{marker} skal ske")
    await service.add_scale(scenario.worker, meeting, family, "familien", 3, f"{marker} note")
    await service.create_goal(scenario.worker, family, service.GoalInput(
        f"{marker} mål", "stay", "monthly", app_clock.today()))
    await invites.send(scenario)
    rows = await invites.outbox(scenario.meeting_id)
    assert len(rows) >= 3  # mother, teacher, father (and the worker)
    found = []
    for row in rows:
        message = email.message_from_string(row["message"], policy=policy.default)
        texts = [row["message"]] + [part.get_payload(decode=True).decode("utf-8", "replace")
                                    for part in message.walk() if not part.is_multipart()]
        assert not any(marker in text for text in texts), row["recipient_email"]
        found.append(any("Vi taler om skolen" in text for text in texts))
    assert any(found)  # the mails' text is read: the meeting's own description is there


async def test_the_gdpr_purge_blanks_the_methods_personal_data():
    sara = await f.user()
    family_id = await f.family(sara)
    granny = await s.person(family_id, "Birthe Mormor", "grandmother")
    meeting_id = await meetings.create_meeting(sara, {"id": family_id, "status": "active"},
                                               "netvaerksmoede", "Netværksmøde")
    meeting = await meetings.Meeting.select().where(meetings.Meeting.id == meeting_id).first()
    await meetings.add_participants(sara, meeting, ANY_VERSION,
                                    [meetings.NewParticipant(person_id=granny)])
    meeting, family = await meetings.load_meeting(sara, meeting_id, service.Action.READ)
    await service.save_mapping(sara, meeting, family, 0, WORRY, "Mormor hjælper", "Plan")
    granny_asker = next(a["value"] for a in await service.askers(meeting_id)
                        if a["label"].startswith("Birthe"))
    await service.add_scale(sara, meeting, family, granny_asker, 6, "Birthe siger 6")
    goal_id = await service.create_goal(sara, family, service.GoalInput(
        "Birthe henter i skole", "stay", "monthly", app_clock.today(),
        responsible=f"person:{granny}"))
    await service.evaluate_goal(sara, family, goal_id, service.EvaluationInput(
        app_clock.today(), "in_progress", "Birthe kom hver tirsdag", version=1))
    await Family.update({Family.status: "closed",
                         Family.closed_on: app_clock.today() - timedelta(days=2)}
                        ).where(Family.id == family_id)
    await gdpr.purge(app_clock.today(), 1)
    texts = [str(v) for table in (SosMapping, SosScale, Goal, GoalEvaluation)
             for row in await table.select() for v in row.values()]
    assert not any("Birthe" in t or WORRY in t or "Mormor hjælper" in t for t in texts)
    assert (await SosScale.select().first())["score"] == 6  # the figures stay
    assert (await Goal.select().first())["progress"] == "in_progress"
