"""Barnet i Centrum over HTTP: assessment, the mother's agreement first, referral, sessions,
the joint parents' meeting with approval and staggered arrival."""


import pytest

from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.families.tables import TeamMember
from coordinator.meetings import flows
from coordinator.meetings.tables import BicSession, FatherAssessment, Meeting, Participant
from tests import factories as f
from tests.meetings import support as s

BASE = "/families/{}/bic"


async def _post(client, family_id, step, data):
    """Post a step's form with the version its page shows, as the browser does."""
    path = BASE.format(family_id)
    if "version" not in data:
        version = await s.form_version(client, f"{path}/", f"{path}/{step}")
        data = {**data, **({"version": version} if version is not None else {})}
    return await f.post_form(client, f"{path}/{step}", data, page=f"{path}/")


def _session(day, topics=("oekonomi", "bolig")):
    return {"topics": list(topics), "start": s.local(day, 10), "end": s.local(day, 11),
            "location": "Modtagelsen"}


async def test_flow_agreement_before_contact_then_referral_adds_contact_person(client, other_client):
    sara = await f.user()
    mads = await f.user("kontaktperson")
    family_id = await f.family(sara, name="Familien Far")
    father = await s.person(family_id, "Jens Far", "father", email="jens@example.com",
                            used_violence=True)
    await f.login(client, sara)
    # the network's one father is chosen already (the joint meeting needs him later)
    page = (await client.get(BASE.format(family_id))).text
    assert f'<option value="{father}" selected>Jens Far</option>' in page
    today = app_clock.today().isoformat()
    r = await _post(client, family_id, "assessment", {"father": str(father), "involve": "ja",
                                                      "reasons": "Far ønsker kontakt", "assessed_on": today})
    assert r.status_code == 303
    # no referral, session or joint meeting before the mother's agreement
    day = s.working_day()
    for step, data in (("referral", {"contact_person": str(mads.id), "referred_on": today}),
                       ("sessions", _session(day)),
                       ("joint", {"start": s.local(day, 13), "end": s.local(day, 14), "location": "Rådhuset"})):
        r = await _post(client, family_id, step, data)
        assert r.status_code == 422 and "samtykke" in r.text, step
    assert await Meeting.count() == 0 and await TeamMember.count().where(TeamMember.user == mads.id) == 0
    # a father cannot be invited to any meeting before the agreement either
    net = await f.post_form(client, f"/families/{family_id}/meetings/", {"kind": "statusmoede", "title": "Status"},
                            page=f"/families/{family_id}")
    net_page = net.headers["location"]
    r = await f.post_form(client, f"{net_page}/participants", {"person_id": str(father)}, page=net_page)
    assert r.status_code == 422 and "samtykke" in r.text
    r = await _post(client, family_id, "agreement", {"agreed": "on", "agreed_on": today, "note": "Mor accepterer"})
    assert r.status_code == 303
    r = await _post(client, family_id, "referral", {"contact_person": str(mads.id), "referred_on": today})
    assert r.status_code == 303
    member = await TeamMember.select().where(TeamMember.user == mads.id).first()
    assert member["team_role"] == "Kontaktperson, Modtagelsen"
    # a session with no topic is refused at the topics (the page shows it there)
    path = BASE.format(family_id)
    r = await f.post_form(client, f"{path}/sessions", _session(day, topics=()), page=f"{path}/",
                          htmx=True)
    assert r.status_code == 422 and 'data-field="topics"' in r.text and "emne" in r.text
    r = await _post(client, family_id, "sessions", _session(day))
    assert r.status_code == 303
    session = await BicSession.select().first()
    assert session["topics"] == "oekonomi,bolig"
    people = {p["name"] for p in await Participant.select().where(Participant.meeting == session["meeting"])}
    assert people == {"Jens Far", mads.full_name}
    # the contact person can now open the family's BIC page
    await f.login(other_client, mads)
    page = await other_client.get(BASE.format(family_id) + "/")
    assert page.status_code == 200
    assert "<td>Planlagt</td>" in page.text and "Markér som afholdt" in page.text
    r = await _post(client, family_id, f"sessions/{session['id']}/held", {"notes": "Talte om bolig"})
    assert r.status_code == 303
    assert (await BicSession.select().first())["status"] == "held"
    page = await client.get(BASE.format(family_id) + "/")
    assert "<td>Afholdt</td>" in page.text and "<td>Talte om bolig</td>" in page.text
    assert "Markér som afholdt" not in page.text
    # a second form for the same session (a double click, a colleague's older page) does
    # not write over the notes recorded
    r = await _post(client, family_id, f"sessions/{session['id']}/held", {"notes": "Andet"})
    assert r.status_code == 409 and "allerede registreret som afholdt" in r.text
    assert (await BicSession.select().first())["notes"] == "Talte om bolig"
    audits = await AuditEvent.select().where(AuditEvent.entity == "Barnet i Centrum")
    assert len(audits) >= 4


async def test_joint_parents_meeting_needs_approval_and_supports_staggered_arrival(client):
    sara = await f.user()
    family_id = await f.family(sara)
    father = await s.person(family_id, "Jens Far", "father", email="jens@example.com")
    await s.person(family_id, "Anna Mor", "mother", email="anna@example.com", protected_address=True)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    await _post(client, family_id, "assessment", {"father": str(father), "involve": "ja", "reasons": "r",
                                                  "assessed_on": today})
    await _post(client, family_id, "agreement", {"agreed": "on", "agreed_on": today})
    day = s.working_day()
    r = await _post(client, family_id, "joint", {"start": s.local(day, 13), "end": s.local(day, 14),
                                                 "location": "Familieafdelingen"})
    assert r.status_code == 303
    page = r.headers["location"]
    text = (await client.get(page)).text
    assert "kræver en registreret godkendelse" in text
    await f.post_form(client, f"{page}/status", {"target": "planned"}, page=page)
    r = await f.post_form(client, f"{page}/status", {"target": "invited"}, page=page)
    assert r.status_code == 422 and "godkendelse" in r.text
    meeting_id = int(page.rsplit("/", 1)[1])
    parts = {p["name"]: p for p in await Participant.select().where(Participant.meeting == meeting_id)}
    anna, jens = parts["Anna Mor"], parts["Jens Far"]
    r = await f.post_form(client, f"{page}/participants/{jens['id']}", {
        "parts": "meeting", "arrival_offset": "15", "departure_offset": "10"}, page=page)
    assert r.status_code == 303
    row = await Participant.select().where(Participant.id == jens["id"]).first()
    assert (row["arrival_offset"], row["departure_offset"]) == (15, 10)
    r = await f.post_form(client, f"{page}/approvals", {
        "person_a": f"person:{anna['person']}", "person_b": f"person:{jens['person']}",
        "part_key": "meeting", "kind": "joint_parents", "reason": "kort"}, page=page)
    assert r.status_code == 422
    r = await f.post_form(client, f"{page}/approvals", {
        "person_a": f"person:{anna['person']}", "person_b": f"person:{jens['person']}",
        "part_key": "meeting", "kind": "joint_parents",
        "reason": "Mor ønsker mødet; forskudt ankomst aftalt"}, page=page)
    assert r.status_code == 303
    overrides = await AuditEvent.select().where(AuditEvent.action == "override")
    assert len(overrides) == 1 and "forskudt ankomst" in overrides[0]["summary"]
    r = await f.post_form(client, f"{page}/status", {"target": "invited"}, page=page)
    assert r.status_code == 303, r.text[:400]


@pytest.mark.parametrize("method,suffix", [
    ("get", "/"), ("post", "/assessment"), ("post", "/agreement"), ("post", "/referral"),
    ("post", "/sessions"), ("post", "/sessions/1/held"), ("post", "/joint"),
])
async def test_foreign_family_is_404_on_every_route(client, method, suffix):
    sara = await f.user()
    foreign = await f.family(await f.user(), name="Familien Fremmed")
    await f.login(client, sara)
    path = BASE.format(foreign) + suffix
    response = await (client.get(path) if method == "get" else f.post_form(
        client, path, {"involve": "ja", "reasons": "x", "assessed_on": "2026-01-05"}))
    assert response.status_code == 404 and "Familien Fremmed" not in response.text
    assert await FatherAssessment.count() == 0


async def test_father_assessment_counted_and_missing_shown(client):
    sara = await f.user()
    involved, not_involved, missing = [await f.family(sara) for _ in range(3)]
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    await _post(client, involved, "assessment", {"involve": "ja", "reasons": "r", "assessed_on": today})
    await _post(client, not_involved, "assessment", {"involve": "nej", "reasons": "Vold", "assessed_on": today})
    counts = await flows.assessment_counts([involved, not_involved, missing])
    assert [counts[i].father_involve for i in (involved, not_involved, missing)] == [True, False, None]
    totals = await flows.assessment_totals([involved, not_involved, missing])
    assert (totals.father_assessed, totals.father_involved) == (2, 1)
    text = (await client.get(f"/families/{missing}")).text
    assert "Vurder, om far skal inddrages" in text


async def test_sessions_are_offered_only_once_the_father_is_chosen(client):
    sara = await f.user()
    mads = await f.user("kontaktperson")
    family_id = await f.family(sara, name="Familien Uden Far")
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    for step, data in (("assessment", {"father": "", "involve": "ja", "reasons": "Far ønsker kontakt",
                                       "assessed_on": today}),
                       ("agreement", {"agreed": "on", "agreed_on": today, "note": "Mor accepterer"}),
                       ("referral", {"contact_person": str(mads.id), "referred_on": today})):
        r = await _post(client, family_id, step, data)
        assert r.status_code == 303, (step, r.text[:300])
    page = (await client.get(BASE.format(family_id) + "/")).text
    assert "Der kan først planlægges samtaler, når far er valgt i vurderingen" in page
    assert f'action="/families/{family_id}/bic/sessions"' not in page
    r = await _post(client, family_id, "sessions", _session(s.working_day()))
    assert r.status_code == 422 and await Meeting.count() == 0  # the rule agrees


async def test_a_referral_form_opened_before_a_session_was_planned_is_a_conflict(client):
    # Issue 20: planning a session moves the record to "sessions" and raises its version,
    # so the referral form of before (which sets "referred") cannot move it back.
    sara, mads = await f.user(), await f.user("kontaktperson")
    family_id = await f.family(sara)
    father = await s.person(family_id, "Jens Far", "father", email="jens@example.com")
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    await _post(client, family_id, "assessment", {"father": str(father), "involve": "ja",
                                                  "reasons": "r", "assessed_on": today})
    await _post(client, family_id, "agreement", {"agreed": "on", "agreed_on": today})
    referral = {"contact_person": str(mads.id), "referred_on": today}
    assert (await _post(client, family_id, "referral", referral)).status_code == 303
    path = BASE.format(family_id)
    opened = await s.form_version(client, f"{path}/", f"{path}/referral")
    assert (await _post(client, family_id, "sessions", _session(s.working_day()))).status_code == 303
    r = await _post(client, family_id, "referral", {**referral, "version": opened})
    assert r.status_code == 409
    row = await FatherAssessment.select().first()
    assert (row["status"], row["version"]) == ("sessions", int(opened) + 1)
