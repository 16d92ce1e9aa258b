"""Meetings between organisations (no family), the agreements' »Planlæg evalueringsmøde«,
adding a colleague, and the samordner editing the familierådslagninger they coordinate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coordinator.agreements.tables import Agreement, AgreementParty
from coordinator.audit.tables import AuditEvent
from coordinator.meetings import service
from coordinator.meetings.tables import FgcCase, Meeting, MeetingChange, Participant
from coordinator.network.tables import Organisation
from coordinator import clock as app_clock
from tests import factories as f
from tests.meetings import support as s


async def _agreement() -> int:
    orgs = [(await Organisation.insert(Organisation(name=name, kind="other", sector="other")))[0]["id"]
            for name in ("Mary Fonden", "Krisecentret Randers")]
    agreement = (await Agreement.insert(Agreement(
        title="Samarbejde om rådgivning", partner=orgs[0],
        period_start=app_clock.today() - timedelta(days=700),  # evaluations are due
        period_end=app_clock.today() + timedelta(days=365), evaluation_months=3)))[0]["id"]
    for position, (org, name, email) in enumerate([
            (orgs[0], "Hanne Holm", "hanne@example.org"),
            (orgs[1], "Per Krog", "per@example.net"),
            (orgs[1], "", "")]):  # a party without a contact person is skipped
        await AgreementParty.insert(AgreementParty(agreement=agreement, organisation=org,
                                                   contact_name=name, contact_email=email,
                                                   position=position))
    return agreement


async def test_plan_evaluation_meeting_from_the_due_list(client):
    sara = await f.user()
    agreement = await _agreement()
    await f.login(client, sara)
    due = (await client.get("/agreements/due?days=3650")).text
    assert "Planlæg evalueringsmøde" in due
    r = await f.post_form(client, f"/agreements/{agreement}/evaluation-meeting", {},
                          page="/agreements/due")
    assert r.status_code == 303, r.text[:300]
    page = r.headers["location"]
    meeting = await Meeting.select().where(Meeting.id == int(page.rsplit("/", 1)[1])).first()
    assert meeting["family"] is None and meeting["kind"] == "agreement_evaluation"
    assert meeting["agreement_id"] == agreement and meeting["organiser"] == sara.id
    rows = await Participant.select().where(Participant.meeting == meeting["id"])
    assert {(p["name"], p["email"], p["organisation"]) for p in rows if p["user"] is None} == {
        ("Hanne Holm", "hanne@example.org", "Mary Fonden"),
        ("Per Krog", "per@example.net", "Krisecentret Randers")}
    assert [p["user"] for p in rows if p["user"]] == [sara.id]
    text = (await client.get(page)).text
    assert "Evaluering: Samarbejde om rådgivning" in text and "Ingen – møde mellem organisationer" in text
    assert "Find tidspunkter" in text and "Forslag fra netværket" not in text
    assert "Person fra netværket" not in text
    # The slot finder and the invitations work as for other meetings.
    day = s.working_day(10)
    r = await f.post_form(client, f"{page}/slots", {
        "first_day": day.isoformat(), "last_day": day.isoformat(), "min_notice": "0",
        "duration_meeting": "60"}, page=page, htmx=True)
    assert r.status_code == 200 and "Vælg dette tidspunkt" in r.text
    r = await f.post_form(client, f"{page}/times", {"meeting_start": s.local(day, 10),
                                                    "meeting_end": s.local(day, 11)}, page=page)
    assert r.status_code == 303
    r = await f.post_form(client, f"{page}/status", {"target": "planned"}, page=page)
    assert r.status_code == 303, r.text[:400]
    events = await AuditEvent.select().where(AuditEvent.entity == "samarbejdsaftale")
    assert any("Evalueringsmøde planlagt" in e["summary"] for e in events)


async def test_invitations_for_an_evaluation_meeting(client):
    sara = await f.user()
    agreement = await _agreement()
    await f.login(client, sara)
    r = await f.post_form(client, f"/agreements/{agreement}/evaluation-meeting", {}, page="/")
    page = r.headers["location"]
    day = s.working_day(10)
    await f.post_form(client, f"{page}/times", {"meeting_start": s.local(day, 10),
                                                "meeting_end": s.local(day, 11)}, page=page)
    for target in ("planned", "invited"):
        r = await f.post_form(client, f"{page}/status", {"target": target}, page=page)
        assert r.status_code == 303, r.text[:400]
    assert [c["change_kind"] for c in await MeetingChange.select()] == ["invited"]
    from coordinator.invites.tables import OutboxMessage

    assert await OutboxMessage.count() >= 1  # the parties' contact persons get invites
    answers = await client.get(f"{page}/answers", headers={"HX-Request": "true"})
    assert answers.status_code == 200


async def test_archived_agreement_gets_no_evaluation_meeting_and_readers_cannot_plan(
        client, other_client):
    agreement = await _agreement()
    contact = await f.user("kontaktperson")
    await f.login(client, contact)
    r = await f.post_form(client, f"/agreements/{agreement}/evaluation-meeting", {}, page="/")
    assert r.status_code == 404 and await Meeting.count() == 0
    await Agreement.update({Agreement.status: "archived"}).where(Agreement.id == agreement)
    sara = await f.user()
    await f.login(other_client, sara)
    r = await f.post_form(other_client, f"/agreements/{agreement}/evaluation-meeting", {}, page="/")
    assert r.status_code == 409 and await Meeting.count() == 0


@pytest.mark.parametrize("role,organiser,status", [
    ("socialraadgiver", False, 200),
    ("leder", False, 200),
    ("kontaktperson", True, 200),
    ("kontaktperson", False, 404),
    ("samordner", False, 404),
    ("admin", False, 404),
])
async def test_access_to_a_meeting_without_a_family(client, role, organiser, status):
    owner = await f.user()
    viewer = await f.user(role)
    meeting_id = await service.create_meeting(viewer if organiser else owner, None,
                                              "agreement_evaluation", "Evaluering")
    assert service.may_open_without_family(
        viewer, await Meeting.select().where(Meeting.id == meeting_id).first()) is (status == 200)
    await f.login(client, viewer)
    page = f"/meetings/{meeting_id}"
    assert (await client.get(page)).status_code == status
    if role in ("samordner", "admin"):
        return  # the login page's token is enough to show the POST is refused too
    r = await f.post_form(client, f"{page}/participants", {"name": "Ekstern Gæst"}, page="/")
    assert r.status_code == (303 if status == 200 else 404)


async def test_add_a_colleague_with_parts_to_a_family_meeting(client):
    sara = await f.user()
    lene = await f.user("leder")
    family_id = await f.family(sara)
    meeting_id = await service.create_meeting(sara, {"id": family_id}, "familieraadslagning", "FR")
    page = f"/meetings/{meeting_id}"
    await f.login(client, sara)
    text = (await client.get(page)).text
    assert "Tilføj en kollega" in text and lene.full_name in text
    r = await f.post_form(client, f"{page}/participants", {
        "user_id": str(lene.id), "role": "informatoer", "parts": ["information", "plan"]}, page=page)
    assert r.status_code == 303, r.text[:300]
    row = next(p for p in await service.participants_of(meeting_id) if p["user"] == lene.id)
    assert row["role"] == "informatoer" and sorted(row["part_keys"]) == ["information", "plan"]
    again = await f.post_form(client, f"{page}/participants", {"user_id": str(lene.id)}, page=page)
    assert again.status_code == 422 and "allerede inviteret" in again.text


async def test_samordner_edits_times_participants_and_parts_but_nothing_else(client, other_client):
    sara = await f.user(full_name="Sara Rådgiver", unit="Krisecentret Hammel")
    ida = await f.user("samordner")
    mads = await f.user("kontaktperson")
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    case = (await FgcCase.insert(FgcCase(family=family_id, possible=True, samordner_user=ida.id)))[0]["id"]
    meeting_id = await service.create_meeting(sara, {"id": family_id}, "familieraadslagning", "FR",
                                              fgc_case=case)
    page = f"/meetings/{meeting_id}"
    await f.login(client, ida)
    text = (await client.get(page)).text
    assert "Sæt eller flyt tidspunktet" in text and "Tilføj en kollega" in text
    # her colleague picker names the staff, not their units (a unit can name the centre)
    assert "Sara Rådgiver</option>" in text and "Krisecentret Hammel" not in text
    assert "Person fra netværket" not in text and "Forslag fra netværket" not in text
    day = s.working_day(10)
    r = await f.post_form(client, f"{page}/times", s.fgc_times(day), page=page)
    assert r.status_code == 303, r.text[:300]
    r = await f.post_form(client, f"{page}/participants", {"user_id": str(mads.id)}, page=page)
    assert r.status_code == 303
    row = next(p for p in await service.participants_of(meeting_id) if p["user"] == mads.id)
    r = await f.post_form(client, f"{page}/participants/{row['id']}", {"parts": ["plan"]}, page=page)
    assert r.status_code == 303
    assert next(p for p in await service.participants_of(meeting_id)
                if p["user"] == mads.id)["part_keys"] == ["plan"]
    r = await f.post_form(client, f"{page}/participants", {"person_id": str(mother)}, page=page)
    assert r.status_code == 403 and "socialrådgiveren" in r.text
    for path, data in (("/status", {"target": "planned"}), ("/details", {"title": "X"}),
                       ("/approvals", {"reason": "x" * 20})):
        assert (await f.post_form(client, page + path, data, page=page)).status_code == 404
    assert (await client.get(f"/families/{family_id}")).status_code == 404
    # A samordner who does not coordinate it changes nothing.
    other = await f.user("samordner")
    await f.login(other_client, other)
    r = await f.post_form(other_client, f"{page}/times", s.fgc_times(day + timedelta(days=7)),
                          page="/")
    assert r.status_code == 404
