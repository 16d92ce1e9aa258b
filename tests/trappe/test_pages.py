"""Randers-trappen over HTTP on the real app and database: recording with history and
corrections, refused forms keeping their input, the family page's timeline, the meeting's
agenda item, the follow-ups on the start page and the team agenda, the success criterion's
drill-down, the access policy and the safety projection (the father's side sees nothing)."""

from __future__ import annotations

import re

import pytest

from coordinator import cache, clock, db
from coordinator.audit.tables import AuditEvent
from coordinator.families import service as families
from coordinator.trappe import service
from coordinator.trappe.routes import parse_draft
from coordinator.trappe.tables import TrappeAssessment
from tests import factories as f
from tests.trappe import data as d

SECRET = "Barnet fortalte om natten på Solsikkevej"  # a text the father's side must never see


async def _record(client, w: d.World, **extra) -> None:
    response = await f.post_form(client, f"/families/{w.family_id}/trappe",
                                 d.form(w.child_id, **extra), page=f"/families/{w.family_id}/trappe")
    assert response.status_code == 303, response.text[:2000]


async def _rows(family_id: int) -> list[dict]:
    return await TrappeAssessment.select().where(
        TrappeAssessment.family == family_id).order_by(TrappeAssessment.id)


async def test_an_assessment_is_recorded_and_shown_as_a_timeline_with_history(client):
    w = await d.world()
    await f.login(client, w.worker)
    await _record(client, w, step=3, days_ago=30)
    await _record(client, w, step=2, mother_view="Mor ser fremgang")
    rows = await _rows(w.family_id)
    assert [(r["step"], r["analysis_complete"], r["recorded_by_name"]) for r in rows] == [
        (3, True, "Sara Rådgiver"), (2, True, "Sara Rådgiver")]
    page = (await client.get(f"/families/{w.family_id}/trappe")).text
    assert page.count("<svg") == 1 and page.count("<circle") == 2
    assert "Trin over tid for Ida Trappe (tekstudgave af tidslinjen)" in page
    assert "Mor ser fremgang" in page and "Jeg vil gerne i skole igen" in page
    family_page = (await client.get(f"/families/{w.family_id}")).text
    assert 'id="trappe-heading"' in family_page and "<circle" in family_page
    assert "2. Risikobørn" in family_page
    events = await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.entity == service.ENTITY) & (AuditEvent.family_id == w.family_id))
    actions = [e["action"] for e in events]
    assert actions.count("create") == 2 and "read" in actions


async def test_a_refused_form_keeps_its_input_and_says_why_at_the_field(client):
    w = await d.world()
    await f.login(client, w.worker)
    data = d.form(w.child_id, worrying_behaviour="Græder hver aften", step="")
    response = await f.post_form(client, f"/families/{w.family_id}/trappe", data,
                                 page=f"/families/{w.family_id}/trappe")
    assert response.status_code == 422
    assert 'id="err-step"' in response.text and "Vælg det trin på trappen" in response.text
    assert "Græder hver aften" in response.text and "Jeg vil gerne i skole igen" in response.text
    future = d.form(w.child_id, days_ago=-1)
    response = await f.post_form(client, f"/families/{w.family_id}/trappe", future,
                                 page=f"/families/{w.family_id}/trappe")
    assert response.status_code == 422 and "ligger i fremtiden" in response.text
    assert await _rows(w.family_id) == []


async def test_a_refusal_is_said_where_the_page_has_no_form_for_it(client):
    """Sent from a page opened before the family's children were removed (or it was closed):
    the page has no form to show the message at, so it says it on its own."""
    w = await d.world()
    await f.login(client, w.worker)
    childless = await f.family(w.worker)
    response = await f.post_form(client, f"/families/{childless}/trappe", d.form(w.child_id),
                                 page=f"/families/{childless}/trappe")
    assert response.status_code == 422
    assert re.search(r'role="alert"><p>Vælg det barn, vurderingen gælder\.</p>', response.text)
    assert await _rows(childless) == []


@pytest.mark.parametrize("htmx", [True, False])
async def test_a_malformed_meeting_is_said_although_the_page_has_no_field_for_it(client, htmx):
    """The meeting an assessment is recorded at is a hidden field: a malformed one (a page
    tampered with) is said in the page's messages, not swallowed by a form that shows no
    message for it (found by the form fuzzer)."""
    w = await d.world()
    await f.login(client, w.worker)
    data = {**d.form(w.child_id), "meeting": "abc"}
    response = await f.post_form(client, f"/families/{w.family_id}/trappe", data,
                                 page=f"/families/{w.family_id}/trappe", htmx=htmx)
    assert response.status_code == 422 and "»Møde« skal være et helt tal." in response.text
    if htmx:  # the fragment for the page's messages
        assert 'role="alert"' in response.text
    assert await _rows(w.family_id) == []


async def test_a_correction_is_a_new_version_and_the_original_is_kept(client):
    w = await d.world()
    await f.login(client, w.worker)
    await _record(client, w, step=3)
    original = (await _rows(w.family_id))[0]
    path = f"/families/{w.family_id}/trappe/{original['id']}/ret"
    form_page = (await client.get(path)).text
    assert "Trækker sig fra de andre børn" in form_page  # filled in with the assessment
    refused = await f.post_form(client, path, d.form(w.child_id, step=4), page=path)
    assert refused.status_code == 422 and 'id="err-correction_reason"' in refused.text
    response = await f.post_form(client, path, d.form(w.child_id, step=4,
                                                      correction_reason="Forkert trin"), page=path)
    assert response.status_code == 303
    rows = await _rows(w.family_id)
    assert [(r["step"], r["corrects"]) for r in rows] == [(3, None), (4, original["id"])]
    assert rows[0] == original  # never overwritten
    again = await f.post_form(client, path, d.form(w.child_id, step=2,
                                                   correction_reason="Igen"), page=path)
    assert again.status_code == 409 and len(await _rows(w.family_id)) == 2
    page = (await client.get(f"/families/{w.family_id}/trappe")).text
    assert "Erstattet af en rettelse" in page and "Forkert trin" in page
    assert page.count("<circle") == 1  # the corrected row no longer counts


@pytest.mark.parametrize("who", ["outsider", "contact", "leader", "admin", "samordner"])
async def test_only_the_team_reaches_the_trappe(client, who):
    w = await d.world()
    meeting_id = await d.meeting(w.family_id)
    await f.login(client, w.worker)
    await _record(client, w)
    assessment_id = (await _rows(w.family_id))[0]["id"]
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    user = {"outsider": w.outsider, "contact": w.contact}.get(who) or await f.user(
        {"leader": "leder"}.get(who, who), unit="Krisecentret")
    await f.login(client, user)
    for path in (f"/families/{w.family_id}/trappe", f"/trappe/moeder/{meeting_id}",
                 f"/families/{w.family_id}/trappe/{assessment_id}/ret"):
        response = await client.get(path)
        assert response.status_code == 404, (who, path)
        assert "Trækker sig" not in response.text
    token = await f.csrf_token(client, "/")
    response = await client.post(f"/families/{w.family_id}/trappe",
                                 data={**d.form(w.child_id), "_csrf_token": token})
    assert response.status_code == 404
    assert len(await _rows(w.family_id)) == 1


async def test_the_fathers_side_never_sees_the_childrens_assessments(client):
    w = await d.world()
    await d.refer_father(w)
    joint = await d.meeting(w.family_id, "bic_joint_parents", w.worker.id)
    await f.login(client, w.worker)
    await _record(client, w, child_view=SECRET, worrying_behaviour=SECRET)
    detail = (await client.get(f"/meetings/{joint}")).text
    assert "/trappe/moeder/" not in detail  # no trappe point on a meeting with the father
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, w.contact)
    pages = {path: await client.get(path, follow_redirects=True) for path in (
        "/", "/followup/kontaktperson", f"/families/{w.family_id}/bic", f"/meetings/{joint}",
        f"/families/{w.family_id}/trappe", f"/trappe/moeder/{joint}")}
    assert pages["/followup/kontaktperson"].status_code == 200
    assert pages[f"/families/{w.family_id}/bic"].status_code == 200
    assert pages[f"/families/{w.family_id}/trappe"].status_code == 404
    for path, response in pages.items():
        assert SECRET not in response.text, path
        assert "Randers-trappen" not in response.text, path
        assert "Ida Trappe" not in response.text or path == f"/meetings/{joint}", path
    assert await service.due_for(w.contact) == []
    family_row = await db.fetch('SELECT * FROM "family" WHERE "id" = {}', w.family_id)
    assert await service.agenda_for(w.contact, family_row, [w.family_id], clock.today()) == []


async def test_the_trappe_is_an_agenda_item_of_the_network_meeting(client):
    w = await d.world()
    network = await d.meeting(w.family_id, "netvaerksmoede", w.worker.id)
    await f.login(client, w.worker)
    detail = (await client.get(f"/meetings/{network}")).text
    assert f'href="/trappe/moeder/{network}"' in detail
    item = await client.get(f"/trappe/moeder/{network}")
    assert item.status_code == 200 and "Dagsordenspunkt: Randers-trappen" in item.text
    response = await f.post_form(client, f"/families/{w.family_id}/trappe",
                                 {**d.form(w.child_id), "meeting": str(network)},
                                 page=f"/trappe/moeder/{network}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/trappe/moeder/{network}?gemt=1"
    assert (await _rows(w.family_id))[0]["meeting"] == network
    refused = await f.post_form(client, f"/families/{w.family_id}/trappe",
                                {**d.form(w.child_id, worrying_behaviour="", child_view="Mit bud"),
                                 "meeting": str(network)}, page=f"/trappe/moeder/{network}")
    assert refused.status_code == 422 and "Dagsordenspunkt: Randers-trappen" in refused.text
    assert f'name="meeting" value="{network}"' in refused.text and "Mit bud" in refused.text
    assert 'id="err-worrying_behaviour"' in refused.text
    bic = await d.meeting(w.family_id, "bic_session", w.worker.id)
    assert (await client.get(f"/trappe/moeder/{bic}")).status_code == 404
    refused = await f.post_form(client, f"/families/{w.family_id}/trappe",
                                {**d.form(w.child_id), "meeting": str(bic)},
                                page=f"/trappe/moeder/{network}")
    assert refused.status_code == 422 and len(await _rows(w.family_id)) == 1


async def test_followups_due_on_the_start_page_and_the_team_agenda(client):
    w = await d.world()
    await f.login(client, w.worker)
    home = (await client.get("/")).text
    assert "Opfølgning på Randers-trappen" in home and "Ida Trappe" in home
    assert "Overskredet" in home  # at the centre a child is assessed from the first day
    agenda = (await client.get("/followup/teammoede")).text
    assert "Randers-trappen: børn til opfølgning" in agenda and "Ida Trappe" in agenda
    await _record(client, w, step=1)  # stable: at the centre next time in a month
    assert "Opfølgning på Randers-trappen" not in (await client.get("/")).text
    await _record(client, w, step=3)  # truede børn: every 14 days, so due within two weeks
    items = await service.due_for(w.worker)
    assert [(i.child_name, i.step, i.cadence, i.overdue) for i in items] == [
        ("Ida Trappe", 3, "hver 14. dag", False)]
    events = await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.entity == service.DUE_ENTITY) & (AuditEvent.family_id == w.family_id))
    assert events and all(e["action"] == "read" for e in events)


async def test_the_leader_sees_the_criterion_and_the_families_of_her_unit_that_miss_it(client):
    w = await d.world(unit="Krisecentret")
    second = await d.child(w.family_id, "Bo Trappe")
    leader = await f.user("leder", unit="Krisecentret")
    stranger = await f.user("leder", unit="Et andet sted")
    await f.login(client, w.worker)
    assert (await client.get("/trappe/kriterium")).status_code == 404  # leaders only
    await _record(client, w)  # Ida: complete; Bo: none yet
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, leader)
    page = (await client.get("/trappe/kriterium")).text
    assert "0 af 1 familier (0 %)" in page and "Målet er ikke nået" in page
    assert "Familien Trappe" in page
    criteria_page = (await client.get("/followup/succeskriterier")).text
    assert "Randers-trappen og analysen brugt" in criteria_page and "Mål: 100 %" in criteria_page
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, w.worker)
    response = await f.post_form(client, f"/families/{w.family_id}/trappe", d.form(second),
                                 page=f"/families/{w.family_id}/trappe")
    assert response.status_code == 303
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, leader)
    page = (await client.get("/trappe/kriterium")).text
    assert "1 af 1 familier (100 %)" in page and "Målet er nået" in page
    assert "Familien Trappe" not in page
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, stranger)
    await TrappeAssessment.delete().where(TrappeAssessment.child == second)
    page = (await client.get("/trappe/kriterium")).text
    assert "0 af 1 familier" in page and "Familien Trappe" not in page  # not her unit


async def test_an_incomplete_analysis_does_not_meet_the_criterion():
    w = await d.world()
    from_day = clock.today().replace(month=1, day=1)
    before = await service.criterion_counts(from_day, clock.today())
    assert (before.families, before.meeting) == (1, 0)
    draft_form = d.form(w.child_id, complete=False)
    await service.record(w.worker, w.family_id, parse_draft(draft_form))
    after = await service.criterion_counts(from_day, clock.today())
    assert (after.families, after.meeting) == (1, 0)
    missing = await service.missing(w.worker, from_day, clock.today())
    assert [(r["name"], r["without"], r["incomplete"]) for r in missing] == [
        ("Familien Trappe", 0, 1)]


async def test_the_admin_sees_the_figure_but_no_drill_down(client):
    admin = await f.user("admin")
    await f.login(client, admin)
    page = (await client.get("/followup/succeskriterier")).text
    assert "Randers-trappen og analysen brugt" in page and "/trappe/kriterium" not in page
    assert (await client.get("/trappe/kriterium")).status_code == 404


async def test_the_start_page_gives_the_follow_ups_the_families_it_read(client):
    """The start page reads the team's active families once, after their stamps, and the
    follow-ups due are those of the same families as due_for reads them itself; a search
    (another list) leaves due_for to read its own."""
    w = await d.world()
    other = await f.family(w.worker, name="Familien Anden")
    await d.child(other, "Bo Anden")
    stamps, _ = await families.team_stamps(w.worker)
    rows = await families.find_families(w.worker, families.FamilyFilter())
    assert {r["id"] for r in rows} == {w.family_id, other}
    own = await service.due_for(w.worker)
    cache.clear_all()  # built from the rows given, not from what the first call kept
    assert own and await service.due_for(w.worker, known=(stamps, rows)) == own
    await f.login(client, w.worker)
    for path in ("/", "/?q=Anden"):
        page = (await client.get(path)).text
        assert "Opfølgning på Randers-trappen" in page and "Ida Trappe" in page, path
