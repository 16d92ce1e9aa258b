"""The familierådslagning's plan over HTTP: referral questions carried into the plan, the
socialrådgiver's approval, changes after it recorded, and each item reviewed with history."""

import html
import importlib
import re
from datetime import timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.families.tables import Family
from coordinator.gdpr import service as gdpr
from coordinator.meetings import flows, offers
from coordinator.meetings.tables import (
    FgcCase,
    FgcPlanApproval,
    FgcPlanChange,
    FgcPlanItem,
    FgcPlanReview,
    FgcQuestion,
    FgcTask,
    Meeting,
)
from tests import factories as f
from tests.meetings import support as s

BASE = "/families/{}/familieraadslagning"
QUESTIONS = "Hvem henter Emma i skole?\nHvem kan mor ringe til om aftenen?"


async def _post(client, family_id, step, data, htmx=False):
    path = BASE.format(family_id)
    if "version" not in data:  # the version its page shows, as the browser sends it
        version = await s.form_version(client, f"{path}/", f"{path}/{step}")
        data = {**data, **({"version": version} if version is not None else {})}
    return await f.post_form(client, f"{path}/{step}", data, page=f"{path}/", htmx=htmx)


async def _page(client, family_id):
    return html.unescape((await client.get(BASE.format(family_id) + "/")).text)


async def _held(client, team=()):
    """A familierådslagning whose meeting is held, with two referral questions."""
    sara = await f.user()
    family_id = await f.family(sara, *team)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    assert (await _post(client, family_id, "assessment", {
        "possible": "ja", "assessed_on": today, "reasons": "Netværk"})).status_code == 303
    assert (await _post(client, family_id, "referral", {
        "concern": "Trivsel", "questions": QUESTIONS, "referred_on": today})).status_code == 303
    await FgcCase.update({FgcCase.samordner_name: "Ekstern Eva",
                          FgcCase.samordner_email: "eva@example.net"}).where(
        FgcCase.family == family_id)
    case = await FgcCase.select().where(FgcCase.family == family_id).first()
    await Meeting.insert(Meeting(family=family_id, kind="familieraadslagning", title="FR",
                                 status="held", fgc_case=case["id"]))
    return sara, family_id, case


async def _questions(case):
    return await FgcQuestion.select().where(FgcQuestion.case == case["id"]).order_by(
        FgcQuestion.position)


def test_questions_keep_their_ids_when_reworded_in_place_or_moved():
    kept, added, removed = offers.match_questions(
        [(1, "Hvem henter?"), (2, "Hvem ringer?"), (3, "Gammelt")],
        ["Hvem ringer?", "Hvem henter Emma?", "Nyt spørgsmål", "Endnu et"])
    # unchanged text keeps its id wherever it moves; a changed line takes the id of the
    # question that stood on that line, if that one is not kept already
    assert kept == {2: ("Hvem ringer?", 0), 3: ("Nyt spørgsmål", 2)}
    assert added == [("Hvem henter Emma?", 1), ("Endnu et", 3)] and removed == [1]
    kept, added, removed = offers.match_questions([(1, "A"), (2, "B")], ["A", "B rettet"])
    assert kept == {1: ("A", 0), 2: ("B rettet", 1)} and added == [] and removed == []
    kept, added, removed = offers.match_questions([(1, "A"), (2, "B")], ["B"])
    assert kept == {2: ("B", 0)} and added == [] and removed == [1]


async def test_the_questions_become_a_list_and_items_are_grouped_under_them(client):
    _, family_id, case = await _held(client)
    first, second = await _questions(case)
    assert (first["text"], second["text"]) == ("Hvem henter Emma i skole?",
                                               "Hvem kan mor ringe til om aftenen?")
    for action, who, question in (("Mormor henter tirsdag", "Mormor", first["id"]),
                                  ("Moster tager telefonen", "Moster", second["id"]),
                                  ("Mor går til forældremøde", "Mor", None)):
        r = await _post(client, family_id, "plan", {"action": action, "who": who,
                                                    "question": str(question or "")})
        assert r.status_code == 303, r.text[:300]
    page = await _page(client, family_id)
    assert page.index("Spørgsmål: Hvem henter Emma i skole?") < page.index("Mormor henter tirsdag") \
        < page.index("Spørgsmål: Hvem kan mor ringe til") < page.index("Moster tager telefonen") \
        < page.index("ikke er knyttet til et spørgsmål") < page.index("Mor går til forældremøde")
    # a foreign question is refused at the field
    r = await _post(client, family_id, "plan", {"action": "x", "who": "y", "question": "9999"},
                    htmx=True)
    assert r.status_code == 422 and 'data-field="question"' in r.text
    # a reworded question keeps its items; a linked question cannot be removed
    r = await _post(client, family_id, "referral", {
        "concern": "Trivsel", "questions": "Hvem henter Emma og Ib i skole?\n"
        "Hvem kan mor ringe til om aftenen?", "referred_on": app_clock.today().isoformat()})
    assert r.status_code == 303
    assert [q["id"] for q in await _questions(case)] == [first["id"], second["id"]]
    r = await _post(client, family_id, "referral", {
        "concern": "Trivsel", "questions": "Hvem henter Emma og Ib i skole?",
        "referred_on": app_clock.today().isoformat()}, htmx=True)
    assert r.status_code == 422 and 'data-field="questions"' in r.text
    assert "er knyttet til punkter i familiens plan" in html.unescape(r.text)
    assert len(await _questions(case)) == 2


async def test_only_a_socialraadgiver_on_the_team_approves_and_changes_after_need_a_new_one(
        client, other_client):
    leader = await f.user("leder")
    sara, family_id, case = await _held(client, team=(leader,))
    r = await _post(client, family_id, "plan/approve", {"conditions": ""}, htmx=True)
    assert r.status_code == 422 and "Registrér familiens plan" in html.unescape(r.text)
    await _post(client, family_id, "plan", {"action": "Mormor henter", "who": "Mormor"})
    await f.login(other_client, leader)
    page = await _page(other_client, family_id)
    assert "Kun en socialrådgiver på familiens team kan godkende planen." in page
    family_page = html.unescape((await other_client.get(f"/families/{family_id}")).text)
    assert "Familiens plan venter på socialrådgiverens godkendelse." in family_page
    r = await f.post_form(other_client, BASE.format(family_id) + "/plan/approve",
                          {"conditions": "x"}, page=BASE.format(family_id) + "/")
    assert r.status_code == 403 and await FgcPlanApproval.count() == 0
    version = str((await FgcCase.select().where(FgcCase.id == case["id"]).first())["version"])
    r = await _post(client, family_id, "plan/approve", {
        "conditions": "Mormor bekræfter aftalen skriftligt", "version": version})
    assert r.status_code == 303 and r.headers["location"].endswith("#approval")
    approval = await FgcPlanApproval.select().first()
    assert (approval["approved_by"], approval["conditions"]) == (
        sara.id, "Mormor bekræfter aftalen skriftligt")
    page = await _page(client, family_id)
    assert f"af <strong>{sara.full_name}</strong>" in page and "Betingelser: Mormor bekræfter" in page
    assert "Godkend planen" not in page
    family_page = html.unescape((await client.get(f"/families/{family_id}")).text)
    assert "Familiens plan venter på socialrådgiverens godkendelse." not in family_page
    # approving again without a change, or from a stale form, is refused
    r = await _post(client, family_id, "plan/approve", {"conditions": ""})
    assert r.status_code == 409 and await FgcPlanApproval.count() == 1
    # a change after approval needs a reason, is recorded with who and when, and asks anew
    r = await _post(client, family_id, "plan", {"action": "Moster ringer", "who": "Moster"},
                    htmx=True)
    assert r.status_code == 422 and 'data-field="reason"' in r.text
    assert await FgcPlanItem.count() == 1
    r = await _post(client, family_id, "plan", {"action": "Moster ringer", "who": "Moster",
                                                "reason": "Mormor er syg i en periode"})
    assert r.status_code == 303
    change = await FgcPlanChange.select().first()
    assert (change["changed_by"], change["approval"], change["reason"]) == (
        sara.id, approval["id"], "Mormor er syg i en periode")
    page = await _page(client, family_id)
    assert "Planen er ændret efter godkendelsen og skal godkendes igen" in page
    family_page = html.unescape((await client.get(f"/families/{family_id}")).text)
    assert "Familiens plan venter på socialrådgiverens godkendelse." in family_page
    assert "Nyt punkt: Moster ringer (Moster) – Mormor er syg i en periode" in page
    r = await _post(client, family_id, "plan/approve", {"conditions": "", "version": version})
    assert r.status_code == 409 and await FgcPlanApproval.count() == 1  # stale form
    r = await _post(client, family_id, "plan/approve", {"conditions": ""})
    assert r.status_code == 303 and await FgcPlanApproval.count() == 2
    page = await _page(client, family_id)
    assert "ændret efter godkendelsen og skal godkendes igen" not in page
    family_page = html.unescape((await client.get(f"/families/{family_id}")).text)
    assert "venter på socialrådgiverens godkendelse" not in family_page
    summaries = [e["summary"] for e in await AuditEvent.select().where(
        AuditEvent.family_id == family_id)]
    assert any(x.startswith("Planen godkendt på betingelse af") for x in summaries)
    assert any("Ændring efter godkendelsen: Mormor er syg" in x for x in summaries)


async def test_each_item_is_reviewed_at_the_followup_meeting_with_history(client):
    sara, family_id, case = await _held(client)
    await _post(client, family_id, "plan", {"action": "Mormor henter", "who": "Mormor"})
    item = await FgcPlanItem.select().first()
    assert item["status"] == "not_started"
    follow = (await Meeting.insert(Meeting(
        family=family_id, kind="familieraadslagning_followup", title="Opfølgning om Emma",
        status="planned", fgc_case=case["id"])))[0]["id"]
    path = f"plan/{item['id']}/review"
    r = await _post(client, family_id, path, {"status": "in_progress", "note": "Kører",
                                              "version": str(item["version"])})
    assert r.status_code == 303 and r.headers["location"].endswith(f"#item-{item['id']}")
    r = await _post(client, family_id, path, {"status": "not_done", "note": ""}, htmx=True)
    assert r.status_code == 422 and 'data-field="note"' in r.text
    r = await _post(client, family_id, path, {"status": "maaske"}, htmx=True)
    assert r.status_code == 422 and 'data-field="status"' in r.text
    # a stale form: both versions, nothing saved
    r = await _post(client, family_id, path, {"status": "done", "note": "Færdig",
                                              "version": str(item["version"])})
    assert r.status_code == 409
    assert "Færdig" in html.unescape(r.text) and "I gang" in html.unescape(r.text)
    r = await _post(client, family_id, path, {"status": "done", "note": "Hver tirsdag siden"})
    assert r.status_code == 303
    reviews = await FgcPlanReview.select().order_by(FgcPlanReview.id)
    assert [(x["status"], x["meeting"], x["reviewed_by"]) for x in reviews] == [
        ("in_progress", follow, sara.id), ("done", follow, sara.id)]
    assert (await FgcPlanItem.select().first())["status"] == "done"
    page = await _page(client, family_id)
    assert "Historik (2)" in page and "(Opfølgning om Emma): <strong>Gennemført</strong> – Hver tirsdag siden" in page
    assert await AuditEvent.exists().where(
        AuditEvent.summary == "Punkt i planen gennemgået: Mormor henter – Gennemført")
    meeting_page = (await client.get(f"/meetings/{follow}")).text
    assert f'href="/families/{family_id}/familieraadslagning#step-6">Gennemgå hvert punkt' in meeting_page


@pytest.mark.parametrize("suffix", ["/plan/approve", "/plan/{item}/review"])
async def test_a_foreign_family_or_item_is_404(client, suffix):
    _, family_id, _ = await _held(client)
    await _post(client, family_id, "plan", {"action": "Mormor henter", "who": "Mormor"})
    item = (await FgcPlanItem.select().first())["id"]
    stranger = await f.user()
    foreign = await f.family(stranger, name="Familien Fremmed")
    r = await f.post_form(client, BASE.format(foreign) + suffix.format(item=item),
                          {"status": "done", "conditions": ""})
    assert r.status_code == 404 and "Familien Fremmed" not in r.text
    if "{item}" in suffix:
        other = await f.user()
        mine = await f.family(other)
        await f.login(client, other)
        r = await _post(client, mine, suffix.format(item=item).lstrip("/"), {"status": "done"})
        assert r.status_code == 404
    assert await FgcPlanApproval.count() == 0 and await FgcPlanReview.count() == 0


async def test_the_view_groups_in_the_questions_order(client):
    _, family_id, case = await _held(client)
    view = await flows.fgc_view(family_id)
    assert [q["text"] for q, _ in view.plan_by_question] == QUESTIONS.splitlines()
    assert all(items == [] for _, items in view.plan_by_question)
    assert view.approval is None and view.changes == [] and view.step == 6


async def test_the_migration_turns_each_line_of_the_questions_into_a_question():
    family_id = await f.family(await f.user())
    case = (await FgcCase.insert(FgcCase(family=family_id, possible=True,
                                         questions="Hvem henter?\n\n  Hvem ringer?  \n")))[0]
    other = (await FgcCase.insert(FgcCase(family=family_id, possible=True)))[0]
    migration = importlib.import_module(
        "coordinator.meetings.piccolo_migrations.meetings_2026_12_04t02_40_02_000000")
    manager = await migration.forwards()
    for step in manager.raw:
        await step()
    rows = await FgcQuestion.select().order_by(FgcQuestion.position)
    assert [(r["case"], r["text"], r["position"]) for r in rows] == [
        (case["id"], "Hvem henter?", 0), (case["id"], "Hvem ringer?", 1)]
    assert not any(r["case"] == other["id"] for r in rows)


async def test_the_purge_pseudonymises_the_method_texts_of_the_familieraadslagning():
    worker = await f.user()
    family_id = await f.family(worker)
    case = (await FgcCase.insert(FgcCase(
        family=family_id, possible=True, questions="Hvem henter Lukas?",
        initiator_kind="professional", initiator_name="Lærer Lis Lund",
        formoede_participants="Maria og Lukas", formoede_agreement="yes",
        formoede_note="Maria vil gerne")))[0]["id"]
    await FgcQuestion.insert(FgcQuestion(case=case, text="Hvem henter Lukas?"))
    item = (await FgcPlanItem.insert(FgcPlanItem(case=case, action="Mormor henter Lukas",
                                                 who="Mormor")))[0]["id"]
    approval = (await FgcPlanApproval.insert(FgcPlanApproval(
        case=case, approved_by=worker.id, conditions="Maria bekræfter")))[0]["id"]
    await FgcPlanChange.insert(FgcPlanChange(case=case, approval=approval,
                                             summary="Nyt punkt: Lukas", reason="Maria syg"))
    await FgcPlanReview.insert(FgcPlanReview(item=item, status="done", note="Lukas glad"))
    await Family.update({Family.status: "closed",
                         Family.closed_on: app_clock.today() - timedelta(days=400)}).where(
        Family.id == family_id)
    await gdpr.purge(app_clock.today(), 365)
    rows = [*(await FgcCase.select().where(FgcCase.id == case)), *(await FgcQuestion.select()),
            *(await FgcPlanApproval.select()), *(await FgcPlanChange.select()),
            *(await FgcPlanReview.select()), *(await FgcPlanItem.select())]
    text = " ".join(str(v) for row in rows for v in row.values())
    for secret in ("Lukas", "Maria", "Lis Lund", "Mormor"):
        assert secret not in text, secret


async def test_a_refused_plan_approval_without_javascript_keeps_the_conditions(client):
    """The approval of the plan: conditions too long are refused on the plan's page, the
    conditions kept in the form and marked, the plan still unapproved."""
    sara, family_id, case = await _held(client)
    await _post(client, family_id, "plan", {"action": "Mormor henter", "who": "Mormor"})
    page = BASE.format(family_id) + "/"
    version = await s.form_version(client, page, BASE.format(family_id) + "/plan/approve")
    conditions = "Betingelse. " * 400  # over the 4,000 characters conditions may have
    r = await f.post_form(client, BASE.format(family_id) + "/plan/approve",
                          {"conditions": conditions, "version": version, "_page": page}, page=page)
    assert r.status_code == 422
    form = re.search(r'<form[^>]*action="[^"]*/plan/approve".*?</form>', r.text, re.S).group(0)
    assert re.search(r'<textarea[^>]*name="conditions"[^>]*aria-invalid="true"', form)
    assert conditions.strip()[:100] in form
    assert await FgcPlanApproval.count() == 0


async def test_the_family_page_names_the_next_step_of_the_familieraadslagning(client):
    """The family page's next steps follow the case: referral, samordner, planning, the
    meeting, the plan; open preparation tasks are counted; a cancelled meeting is none."""
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)

    async def steps():
        return html.unescape((await client.get(f"/families/{family_id}")).text)

    today = app_clock.today().isoformat()
    assert (await _post(client, family_id, "assessment", {
        "possible": "ja", "assessed_on": today, "reasons": "Netværk"})).status_code == 303
    assert "Udfyld henvisningen til familierådslagningen." in await steps()
    assert (await _post(client, family_id, "referral", {
        "concern": "Trivsel", "questions": QUESTIONS, "referred_on": today})).status_code == 303
    assert "Vælg en samordner." in await steps()
    await FgcCase.update({FgcCase.samordner_name: "Ekstern Eva",
                          FgcCase.samordner_email: "eva@example.net"}).where(
        FgcCase.family == family_id)
    case = await FgcCase.select().where(FgcCase.family == family_id).first()
    await FgcTask.insert(FgcTask(case=case["id"], title="Ring til mormor"),
                         FgcTask(case=case["id"], title="Book lokale"),
                         FgcTask(case=case["id"], title="Sendt", done=True))
    page = await steps()
    assert "Forbered og planlæg mødet." in page
    assert "2 forberedelsesopgave(r) er ikke udført." in page
    await Meeting.insert(Meeting(family=family_id, kind="familieraadslagning", title="FR",
                                 status="cancelled", fgc_case=case["id"]))
    assert "Forbered og planlæg mødet." in await steps()
    await Meeting.insert(Meeting(family=family_id, kind="familieraadslagning", title="FR",
                                 status="planned", fgc_case=case["id"]))
    assert "Hold familierådslagningen." in await steps()
    await Meeting.update({Meeting.status: "held"}).where(Meeting.status == "planned")
    page = await steps()
    assert "Registrér familiens plan og opfølgningsmødet." in page
    assert "Familiens plan venter" not in page  # no plan yet
    await FgcTask.update({FgcTask.done: True}).where(FgcTask.case == case["id"])
    assert "forberedelsesopgave(r)" not in await steps()
