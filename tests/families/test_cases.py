"""Opening a case, its team and its stays, through the pages a socialrådgiver uses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator import clock as app_clock
from coordinator import db
from coordinator.audit.tables import AuditEvent
from coordinator.families import cases
from coordinator.families.tables import Family, TeamMember
from coordinator.followup.tables import Stay
from coordinator.network.tables import KeepApart, Person, Relation
from tests import factories as f


def _case_form(**overrides: str) -> dict:
    today = app_clock.today()
    form = {
        "name": "Familien Nordby", "reference": f"{today.year}-0100", "at_crisis_centre": "on",
        "stay_from": today.isoformat(),
        "mother_name": "Nina Nordby", "mother_year": "1990", "mother_protected": "on",
        "child_1_name": "Oskar Nordby", "child_1_year": str(today.year - 8),
        "child_1_protected": "on",
        "child_2_name": "Ida Nordby", "child_2_year": str(today.year - 3),
        "father_name": "Ole Nordby", "father_year": "1987", "father_violence": "on",
    }
    form.update(overrides)
    return form


async def test_a_socialraadgiver_opens_a_family_from_the_start_page(client):
    worker = await f.user("socialraadgiver", full_name="Sara Rådgiver")
    await f.login(client, worker)
    home = await client.get("/")
    assert "Opret familie" in home.text
    assert f'value="{app_clock.today().year}-0001"' in home.text  # the suggested reference
    response = await f.post_form(client, "/families", _case_form())
    assert response.status_code == 303
    family_id = int(response.headers["location"].rsplit("/", 1)[1])
    family = await Family.select().where(Family.id == family_id).first()
    assert (family["name"], family["at_crisis_centre"], family["opened_on"]) == (
        "Familien Nordby", True, app_clock.today())
    [member] = await TeamMember.select().where(TeamMember.family == family_id)
    assert (member["user"], member["lead"]) == (worker.id, True)
    people = {p["name"]: p for p in await Person.select().where(Person.family == family_id)}
    assert {n: (p["role"], p["birth_year"], p["protected_address"], p["used_violence"])
            for n, p in people.items()} == {
        "Nina Nordby": ("mother", 1990, True, False),
        "Oskar Nordby": ("child", app_clock.today().year - 8, True, False),
        "Ida Nordby": ("child", app_clock.today().year - 3, False, False),
        "Ole Nordby": ("father", 1987, False, True)}
    relations = {(r["source"], r["type"], r["target_person"])
                 for r in await Relation.select().where(Relation.family == family_id)}
    mother, father = people["Nina Nordby"]["id"], people["Ole Nordby"]["id"]
    for child in ("Oskar Nordby", "Ida Nordby"):
        assert (mother, "mother_of", people[child]["id"]) in relations
        assert (father, "father_of", people[child]["id"]) in relations
    [pair] = await KeepApart.select().where(KeepApart.family == family_id)
    assert {pair["person_a"], pair["person_b"]} == {mother, father}
    [stay] = await Stay.select().where(Stay.family == family_id)
    assert (stay["started_on"], stay["ended_on"]) == (app_clock.today(), None)
    created = await AuditEvent.select().where(
        (AuditEvent.family_id == family_id) & (AuditEvent.action == "create"))
    assert any("Sag oprettet" in e["summary"] for e in created)
    page = await client.get(f"/families/{family_id}")
    assert page.status_code == 200 and "Tovholder" in page.text and "Bor på krisecentret" in page.text
    assert f'<a href="/families/{family_id}">Familien Nordby</a>' in (await client.get("/")).text


@pytest.mark.parametrize("change,field,message", [
    ({"name": ""}, "name", "Udfyld feltet »Familiens navn«"),
    ({"reference": "ø"}, "reference", "Sagsnummeret skal være"),
    ({"child_2_year": "to år"}, "child_2_year", "skal være et helt tal"),
    ({"child_2_name": "", "child_2_year": "2020"}, "child_2_name", "Skriv navnet på barn 2"),
    ({"stay_from": "2099-01-01"}, "stay_from", "kan ikke ligge i fremtiden"),
    ({"father_name": "", "father_year": ""}, "father_name", "Skriv fars navn"),
])
async def test_a_refused_case_keeps_what_was_typed(client, change, field, message):
    worker = await f.user("socialraadgiver")
    await f.login(client, worker)
    response = await f.post_form(client, "/families", _case_form(**change))
    assert response.status_code == 422
    assert message in response.text
    assert 'id="open-error"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="Oskar Nordby"' in response.text and 'value="Nina Nordby"' in response.text
    assert await Family.count() == 0 and await Person.count() == 0


async def test_a_reference_in_use_is_refused_with_a_free_one(client):
    worker = await f.user("socialraadgiver")
    await f.login(client, worker)
    year = app_clock.today().year
    await f.family(worker, name="Familien Først")
    await Family.update({Family.reference: f"{year}-0100"}).where(Family.name == "Familien Først")
    response = await f.post_form(client, "/families", _case_form())
    assert response.status_code == 422
    assert f"Sagsnummeret {year}-0100 findes allerede" in response.text
    assert await Family.count() == 1


async def test_a_possible_duplicate_is_offered_not_blocked(client):
    worker = await f.user("socialraadgiver")
    await f.login(client, worker)
    first = await f.post_form(client, "/families", _case_form())
    assert first.status_code == 303
    again = _case_form(reference=f"{app_clock.today().year}-0101", name="Familien Nordby 2")
    response = await f.post_form(client, "/families", again)
    assert response.status_code == 409
    assert "Måske findes familien allerede" in response.text and "Nina Nordby, født 1990" in response.text
    assert await Family.count() == 1
    confirmed = await f.post_form(client, "/families", {**again, "confirm_duplicates": "on"})
    assert confirmed.status_code == 303 and await Family.count() == 2


async def test_a_colleagues_case_is_not_offered_as_duplicate():
    """Only cases the user may see are searched: a stranger's family is never named."""
    sara, stranger = await f.user(), await f.user()
    other = await f.family(stranger, name="Familien Hemmelig")
    await Person.insert(Person(family=other, name="Nina Nordby", role="mother", birth_year=1990,
                               sector="family"))
    case = cases.NewCase("Familien Nordby", "X-1", False,
                         mother=cases.NewPerson("Nina Nordby", 1990))
    assert await cases.possible_duplicates(sara, case) == []


@pytest.mark.parametrize("role", ["kontaktperson", "samordner", "admin"])
async def test_only_case_workers_open_cases(client, role):
    user = await f.user(role)
    await f.login(client, user)
    response = await f.post_form(client, "/families", _case_form())
    assert response.status_code == 404
    assert "Siden findes ikke." in response.text  # the route's own words, from its guard
    assert await Family.count() == 0
    start = await client.get("/", follow_redirects=True)
    assert "Opret familie" not in start.text


async def test_the_team_adds_removes_and_hands_over(client):
    sara = await f.user("socialraadgiver", full_name="Sara Rådgiver")
    bo = await f.user("socialraadgiver", full_name="Bo Familieafdeling")
    pia = await f.user("socialraadgiver", full_name="Pia Pædagog")
    family_id = await f.family(sara)
    await TeamMember.update({TeamMember.lead: True}).where(TeamMember.family == family_id)
    await f.login(client, sara)
    page = (await client.get(f"/families/{family_id}")).text
    assert "Bo Familieafdeling" in page and "Tilføj til teamet" in page
    added = await f.post_form(client, f"/families/{family_id}/team", {
        "user": str(pia.id), "team_role": "Børne- og ungepædagog"}, page=f"/families/{family_id}")
    assert added.status_code == 303
    twice = await f.post_form(client, f"/families/{family_id}/team", {
        "user": str(pia.id), "team_role": "Børne- og ungepædagog"}, page=f"/families/{family_id}")
    assert twice.status_code == 422 and "allerede på teamet" in twice.text
    bad_role = await f.post_form(client, f"/families/{family_id}/team", {
        "user": str(bo.id), "team_role": "Chef"}, page=f"/families/{family_id}")
    assert bad_role.status_code == 422 and "Vælg en rolle på teamet" in bad_role.text
    handed = await f.post_form(client, f"/families/{family_id}/team/handover", {
        "handover_user": str(bo.id)}, page=f"/families/{family_id}")
    assert handed.status_code == 303
    members = {m["user"]: m for m in await TeamMember.select().where(TeamMember.family == family_id)}
    assert members[bo.id]["lead"] and not members[sara.id]["lead"]
    assert members[bo.id]["team_role"] == "Socialrådgiver i Familieafdelingen"
    removed = await f.post_form(client, f"/families/{family_id}/team/{members[pia.id]['id']}/remove",
                                {}, page=f"/families/{family_id}")
    assert removed.status_code == 303
    summaries = [e["summary"] for e in await AuditEvent.select().where(
        (AuditEvent.family_id == family_id) & (AuditEvent.entity == "team"))]
    assert summaries == ["Pia Pædagog tilføjet til teamet som Børne- og ungepædagog",
                         "Sagen overdraget til Bo Familieafdeling (tovholder)",
                         "Pia Pædagog fjernet fra teamet"]
    page = (await client.get(f"/families/{family_id}")).text
    assert "Pia Pædagog" in page  # offered again as a colleague, not on the team
    assert page.count("Tovholder</span>") == 1
    # Taking herself off the team leads Sara to her start page: the family is not hers now.
    members = {m["user"]: m for m in await TeamMember.select().where(TeamMember.family == family_id)}
    left = await f.post_form(client, f"/families/{family_id}/team/{members[sara.id]['id']}/remove",
                             {}, page=f"/families/{family_id}")
    assert left.status_code == 303 and left.headers["location"] == "/"
    assert (await client.get(f"/families/{family_id}")).status_code == 404


async def test_the_last_socialraadgiver_cannot_leave_the_team():
    sara = await f.user("socialraadgiver")
    kit = await f.user("kontaktperson")
    family_id = await f.family(sara)
    await TeamMember.insert(TeamMember(family=family_id, user=kit.id, team_role="Kontaktperson"))
    own = await TeamMember.select().where((TeamMember.family == family_id)
                                          & (TeamMember.user == sara.id)).first()
    with pytest.raises(cases.web.UserError) as refused:
        await cases.remove_member(sara, family_id, own["id"])
    assert "mindst én socialrådgiver" in refused.value.message
    assert await TeamMember.count().where(TeamMember.family == family_id) == 2


async def test_stays_check_in_and_out_with_after_care(client):
    sara = await f.user()
    family_id = await f.family(sara, at_crisis_centre=False)
    await f.login(client, sara)
    today = app_clock.today()
    start = today - timedelta(days=40)
    page = f"/families/{family_id}"
    assert (await f.post_form(client, f"{page}/stays", {"started_on": start.isoformat()},
                              page=page)).status_code == 303
    again = await f.post_form(client, f"{page}/stays", {"started_on": today.isoformat()}, page=page)
    assert again.status_code == 422 and "allerede indskrevet" in again.text
    before = await f.post_form(client, f"{page}/stays/checkout",
                               {"ended_on": (start - timedelta(days=1)).isoformat()}, page=page)
    assert before.status_code == 422 and "før indskrivningen" in before.text
    future = await f.post_form(client, f"{page}/stays/checkout",
                               {"ended_on": (today + timedelta(days=1)).isoformat()}, page=page)
    assert future.status_code == 422 and "fremtiden" in future.text
    assert (await f.post_form(client, f"{page}/stays/checkout", {"ended_on": today.isoformat()},
                              page=page)).status_code == 303
    [stay] = await Stay.select().where(Stay.family == family_id)
    assert (stay["started_on"], stay["ended_on"]) == (start, today)
    family = await Family.select().where(Family.id == family_id).first()
    assert not family["at_crisis_centre"]
    assert family["version"] == 3  # in and out each raised it: the close form says so
    text = (await client.get(page)).text
    assert "Efterværn i gang" in text
    out = await f.post_form(client, f"{page}/stays/checkout", {"ended_on": today.isoformat()},
                            page=page)
    assert out.status_code == 422 and "ikke indskrevet" in out.text
    overlap = await f.post_form(client, f"{page}/stays",
                                {"started_on": (today - timedelta(days=2)).isoformat()}, page=page)
    assert overlap.status_code == 422 and "før det forrige sluttede" in overlap.text


@pytest.mark.parametrize("ended,until", [
    (date(2026, 1, 31), date(2026, 7, 31)),
    (date(2026, 8, 31), date(2027, 2, 28)),
    (None, None),
])
def test_after_care_runs_six_months(ended, until):
    assert cases.after_care_until(ended) == until


async def _references(*references: str) -> None:
    if references:
        await Family.insert(*[Family(reference=r, name=f"Familien {i}", opened_on=date(2026, 1, 5))
                              for i, r in enumerate(references)])


@pytest.mark.parametrize(("references", "suggested"), [
    ((), "2026-0001"),
    (("2025-0900", "2027-0003"), "2026-0001"),  # other years' numbers are not this year's
    (("2026-0007", "2026-0042", "2026-0041"), "2026-0043"),  # one past the highest, not a gap
    (("2026-9998", "2026-9999"), "2026-10000"),
    (("2026-9999", "2026-10000", "2026-10001", "2026-1002"), "2026-10002"),
    (("2026-7", "2026-12"), "2026-0013"),  # shorter typed numbers
    (("2026-0368", "2026-586"), "2026-0587"),  # a shorter number can be the higher one
    (("2026-0005", "2026-123"), "2026-0124"),
    (("2026-00001", "2026-123"), "2026-0124"),  # more leading zeros than the suggestions
    (("2026-00042", "2026-0043", "2026-0044"), "2026-0045"),
    (("2026-000001", "2026-0002"), "2026-0003"),
    (("2026-0041", "2026-Nordby-anbringelse", "2026-12a", "2026-"), "2026-0042"),  # text
    (("2026-0041", "2026-20260042"), "2026-0042"),  # a long number is typed, not counted
    (("2026-999999",), "2026-1000000"),
    (("2026-999999", "2026-1000000", "2026-1000001"), "2026-1000002"),
])
async def test_the_suggested_reference_is_one_past_the_highest_number(references, suggested):
    await _references(*references)
    assert await cases.suggest_reference(date(2026, 12, 6)) == suggested
    assert not await Family.exists().where(Family.reference == suggested)


async def test_the_suggested_reference_behind_many_typed_ones():
    """Typed references that are not numbers come first in the index: those as long as a
    counted number are passed over by the digits filter, longer ones by the length limit,
    and the numbers behind them are still found."""
    await _references("2026-0005", "2026-0006", *[f"2026-{n:04d}-{chr(ord('A') + n)}"
                                                  for n in range(25)],
                      *[f"2026-sag-{chr(ord('a') + i)}-med-langt-navn" for i in range(25)])
    assert await cases.suggest_reference(date(2026, 12, 6)) == "2026-0007"


async def test_the_suggestion_is_one_statement(monkeypatch):
    """The highest number of each length in one statement, also behind a year's padded
    numbers ("0042"), where a shorter number ("586") can be the higher one."""
    await _references("2026-1234", "2026-0042", "2026-7")
    sent: list[str] = []
    fetch = db.fetch

    async def counting(sql, *args, **kwargs):
        sent.append(sql)
        return await fetch(sql, *args, **kwargs)

    monkeypatch.setattr(db, "fetch", counting)
    assert await cases.suggest_reference(date(2026, 12, 6)) == "2026-1235"
    await Family.delete().where(Family.reference == "2026-1234")
    await _references("2026-586")
    assert await cases.suggest_reference(date(2026, 12, 6)) == "2026-0587"
    assert len(sent) == 2  # one each


async def test_the_suggested_reference_reads_the_end_of_an_index():
    """The start page's suggestion is answered from the end of the index of the families
    migration 2026-12-06T22:00, on both engines, for each length: no scan of the year's
    references, no sort."""
    await _references(*[f"2026-{n:04d}" for n in range(1, 200)], "2025-0001")
    sql = cases._HIGHEST_NUMBERS[db.engine_name()].replace("{}", "'2026-'")
    if db.engine_name() == "postgresql":
        async with db.transaction():
            await db.fetch("SET LOCAL enable_seqscan = off")
            plan = " ".join(next(iter(r.values())) for r in await db.fetch("EXPLAIN " + sql))
        assert plan.count("Index Only Scan Backward using family_reference_number") == 6
        assert "Sort" not in plan
    else:
        plan = " ".join(str(r["detail"]) for r in await db.fetch("EXPLAIN QUERY PLAN " + sql))
        assert plan.count("family_reference_number") == 6
        assert "TEMP B-TREE" not in plan
