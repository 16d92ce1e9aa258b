"""A leader follows her unit's families without being on their teams (issue 15, point 6):
the list with teams and next meetings, the unit's figures, the team agenda, and putting a
colleague of the unit on a team. Never the family record, never another unit's family."""

from __future__ import annotations

import re

import pytest

from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal, may_assign_in_unit, may_lead_unit
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families import units
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings import flows
from coordinator.meetings.tables import FatherAssessment, FgcCase
from tests import factories as f

LEDER = Principal(1, "lene", Role.LEDER)


@pytest.mark.parametrize("user,unit,family_units,expected", [
    (LEDER, "Krisecentret", {"Krisecentret"}, True),
    (LEDER, "krisecentret ", {"Krisecentret", "Familieafdelingen"}, True),
    (LEDER, "Krisecentret", {"Familieafdelingen"}, False),
    (LEDER, "", {""}, False),
    (Principal(2, "sara", Role.SOCIALRAADGIVER), "Krisecentret", {"Krisecentret"}, False),
    (Principal(3, "admin", Role.ADMIN), "Krisecentret", {"Krisecentret"}, False),
])
def test_the_unit_policy(user, unit, family_units, expected):
    assert may_lead_unit(user, unit, family_units) is expected
    assert may_assign_in_unit(user, unit, family_units, unit) is expected
    assert not may_assign_in_unit(user, unit, family_units, "Et andet sted")


async def _unit_world():
    leader = await f.user("leder", full_name="Lise Leder", unit="Krisecentret")
    sara = await f.user(full_name="Sara Centret", unit="Krisecentret")
    jonas = await f.user(full_name="Jonas Centret", unit="Krisecentret")
    mikkel = await f.user(full_name="Mikkel Familie", unit="Familieafdelingen")
    own = await f.family(sara, name="Familien Enhed")
    other = await f.family(mikkel, name="Familien Andetsted")
    return leader, sara, jonas, mikkel, own, other


async def test_the_leader_sees_her_units_families_and_not_the_record(client):
    leader, sara, jonas, mikkel, own, other = await _unit_world()
    await f.login(client, leader)
    page = await client.get("/unit/")
    assert page.status_code == 200
    assert "Familien Enhed" in page.text and "Familien Andetsted" not in page.text
    assert 'id="unit-families">1<' in page.text and "Sara Centret" in page.text
    # Colleagues of the unit who are not on the team can be put on it; others not offered.
    assert "Jonas Centret" in page.text and "Mikkel Familie" not in page.text
    assert f'<option value="{leader.id}">' not in page.text  # never herself
    assert (await client.get(f"/families/{own}")).status_code == 404
    reads = await AuditEvent.select().where((AuditEvent.username == leader.username)
                                            & (AuditEvent.action == "read"))
    assert [e["family_id"] for e in reads] == [own]
    agenda = await client.get("/followup/teammoede")
    assert "Familien Enhed" in agenda.text and "Familien Andetsted" not in agenda.text
    assert f'href="/families/{own}"' not in agenda.text  # hers to follow, not to open


async def test_the_leader_assigns_a_colleague_of_her_unit(client):
    leader, sara, jonas, mikkel, own, other = await _unit_world()
    await f.login(client, leader)
    done = await f.post_form(client, f"/unit/families/{own}/team",
                             {"user": str(jonas.id), "team_role": "Socialrådgiver"}, page="/unit/")
    assert done.status_code == 303 and done.headers["location"] == f"/unit/#family-{own}"
    assert await TeamMember.exists().where((TeamMember.family == own) & (TeamMember.user == jonas.id))
    event = await AuditEvent.select().where((AuditEvent.family_id == own)
                                            & (AuditEvent.entity == "team")).first()
    assert event["username"] == leader.username and "Jonas Centret tilføjet" in event["summary"]
    # A colleague of another unit is refused in Danish; nothing changes.
    refused = await f.post_form(client, f"/unit/families/{own}/team",
                                {"user": str(mikkel.id), "team_role": "Socialrådgiver"}, page="/unit/")
    assert refused.status_code == 422 and "egen enhed" in refused.text
    assert not await TeamMember.exists().where((TeamMember.family == own) & (TeamMember.user == mikkel.id))
    # Not herself (the record is the team's), and not the unit's kontaktperson (the father's
    # side joins through the referral, after the mother's consent).
    kontakt = await f.user("kontaktperson", full_name="Kim Kontakt", unit="Krisecentret")
    for who in (leader, kontakt):
        refused = await f.post_form(client, f"/unit/families/{own}/team",
                                    {"user": str(who.id), "team_role": "Socialrådgiver"}, page="/unit/")
        assert refused.status_code == 422
        assert not await TeamMember.exists().where((TeamMember.family == own) & (TeamMember.user == who.id))
    # Another unit's family does not exist for her.
    foreign = await f.post_form(client, f"/unit/families/{other}/team",
                                {"user": str(jonas.id), "team_role": "Socialrådgiver"}, page="/unit/")
    assert foreign.status_code == 404
    assert not await TeamMember.exists().where((TeamMember.family == other) & (TeamMember.user == jonas.id))


async def test_the_unit_is_read_with_the_session_and_a_change_shows_on_the_next_request(
        client, monkeypatch):
    """The user's unit comes with her session (no statement of its own on every page that
    needs it); an admin's change of it shows on her next request. A user made outside a
    request has it read when asked."""
    await _unit_world()
    leader = await f.user("leder", unit="")
    await f.login(client, leader)
    assert "Din enhed er ikke registreret" in (await client.get("/unit/")).text
    await User.update({User.unit: "Krisecentret"}).where(User.id == leader.id)
    seen: list[str] = []
    real = units.db.fetch

    async def counted(sql, *args, **kwargs):
        seen.append(sql)
        return await real(sql, *args, **kwargs)

    monkeypatch.setattr(units.db, "fetch", counted)
    page = await client.get("/unit/")
    assert page.status_code == 200 and "Familien Enhed" in page.text
    assert not any(sql.startswith('SELECT "unit" FROM "app_user"') for sql in seen)
    assert await units.unit_of(Principal(leader.id, leader.username, Role.LEDER)) == "Krisecentret"
    assert any(sql.startswith('SELECT "unit" FROM "app_user"') for sql in seen)


@pytest.mark.parametrize("role,unit", [("leder", ""), ("socialraadgiver", "Krisecentret"),
                                       ("samordner", "Krisecentret"), ("admin", "Krisecentret")])
async def test_the_unit_page_is_only_for_a_leader_with_a_unit(client, role, unit):
    await _unit_world()
    await f.login(client, await f.user(role, unit=unit))
    response = await client.get("/unit/")
    if role == "leder":  # no unit recorded: told why, nothing shown
        assert response.status_code == 200 and "Din enhed er ikke registreret" in response.text
        assert "Familien Enhed" not in response.text
    else:
        assert response.status_code == 404


async def test_the_units_agenda_is_kept_a_minute_and_every_view_is_audited(client, monkeypatch):
    """The unit's part of a leader's agenda is built once a minute (thousands of families);
    her own teams' families are read on every view, and every family shown is audited on
    every view."""
    from coordinator.followup import service as followup

    leader, sara, jonas, mikkel, unit_family, other = await _unit_world()
    mine = await f.family(leader, name="Familien Egen")
    await f.login(client, leader)
    first = (await client.get("/followup/teammoede")).text
    assert "Familien Enhed" in first and "Familien Egen" in first
    await f.family(sara, name="Familien Ny")  # a new family in the unit, not hers
    own_renamed = "Familien Egen Omdøbt"
    await Family.update({Family.name: own_renamed}).where(Family.id == mine)
    second = (await client.get("/followup/teammoede")).text
    assert own_renamed in second  # her own: at once
    assert "Familien Ny" in second  # a new family changes the unit's family list: rebuilt
    await Family.update({Family.name: "Familien Enhed Omdøbt"}).where(Family.id == unit_family)
    third = (await client.get("/followup/teammoede")).text
    assert "Familien Enhed Omdøbt" not in third and "Familien Enhed" in third  # within the minute
    monkeypatch.setattr(followup, "UNIT_AGENDA_FRESH_SECONDS", 0)
    fourth = (await client.get("/followup/teammoede")).text
    assert "Familien Enhed Omdøbt" in fourth
    reads = await AuditEvent.select(AuditEvent.family_id).where(
        (AuditEvent.username == leader.username) & (AuditEvent.entity == "teammøde-dagsorden"))
    shown = [r["family_id"] for r in reads]
    assert shown.count(unit_family) == 4 and shown.count(mine) == 4


async def test_a_unit_too_large_for_one_agenda_is_left_out_with_a_note(client, monkeypatch):
    from coordinator.followup import service as followup

    leader, sara, jonas, mikkel, unit_family, other = await _unit_world()
    mine = await f.family(leader, name="Familien Egen")
    monkeypatch.setattr(followup, "UNIT_AGENDA_LIMIT", 0)
    await f.login(client, leader)
    page = await client.get("/followup/teammoede")
    assert page.status_code == 200
    assert "Familien Egen" in page.text and "Familien Enhed" not in page.text
    assert "Din enhed har 1 familier – for mange til én dagsorden" in page.text
    reads = await AuditEvent.select(AuditEvent.family_id).where(
        (AuditEvent.username == leader.username) & (AuditEvent.entity == "teammøde-dagsorden"))
    assert [r["family_id"] for r in reads] == [mine]


async def test_a_long_colleague_list_offers_the_units_near_the_family(monkeypatch):
    from coordinator.families import cases

    leader, sara, jonas, mikkel, own, other = await _unit_world()
    roles = [Role.SOCIALRAADGIVER.value]
    everyone = await cases.colleague_choices(roles, [sara.id], {"Krisecentret"})
    assert [c["full_name"] for c in everyone] == ["Jonas Centret", "Mikkel Familie"]
    monkeypatch.setattr(cases, "COLLEAGUE_LIST_LIMIT", 1)
    near = await cases.colleague_choices(roles, [sara.id], {"Familieafdelingen", ""})
    assert [c["full_name"] for c in near] == ["Mikkel Familie"]
    view = await cases.team_view(own, "")  # the team's own unit (Krisecentret) is near
    assert [c["full_name"] for c in view.colleagues] == ["Jonas Centret"]


async def test_the_colleague_list_follows_the_users_at_once():
    """The active users behind the list are kept under the shared data's stamp: a new
    colleague shows at once, one who left is gone at once, and a caller that changes the
    list it got changes nobody else's."""
    from coordinator.families import cases

    leader, sara, jonas, mikkel, own, other = await _unit_world()
    roles = [Role.SOCIALRAADGIVER.value]
    def names(rows: list[dict]) -> list[str]:
        return [c["full_name"] for c in rows]

    first = await cases.colleague_choices(roles, [sara.id], set())
    assert names(first) == ["Jonas Centret", "Mikkel Familie"]
    first[0]["full_name"] = "Ændret af en kalder"
    assert names(await cases.colleague_choices(roles, [sara.id], set())) == ["Jonas Centret",
                                                                             "Mikkel Familie"]
    await f.user("socialraadgiver", full_name="Anna Ny")
    await User.update({User.active: False}).where(User.id == jonas.id)
    assert names(await cases.colleague_choices(roles, [sara.id], set())) == ["Anna Ny",
                                                                             "Mikkel Familie"]


# ------------------------------------------------------------ a large unit, a page at a time

async def _unit_reads(leader) -> list[int]:
    rows = await AuditEvent.select(AuditEvent.family_id).where(
        (AuditEvent.username == leader.username) & (AuditEvent.entity == units.UNIT_ENTITY)
        & (AuditEvent.action == "read")).order_by(AuditEvent.id)
    return [r["family_id"] for r in rows]


def _rows(page_text: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="family-(\d+)">', page_text)]


async def _paged_world(monkeypatch):
    """Five families of the crisis centre's unit (two of them named alike: the id decides),
    a closed one and another unit's; two to a page."""
    monkeypatch.setattr(units, "PAGE_SIZE", 2)
    leader, sara, jonas, mikkel, own, other = await _unit_world()  # own: "Familien Enhed"
    ids = {"own": own, "other": other}
    for key, name, centre in [("aa", "Familien Aabel", False), ("bo1", "Familien Bo", True),
                              ("bo2", "Familien Bo", False), ("alund", "Familien Ålund", True)]:
        ids[key] = await f.family(sara, name=name, at_crisis_centre=centre)
    closed = await f.family(sara, name="Familien Afsluttet")
    await Family.update({Family.status: "closed"}).where(Family.id == closed)
    # by name, then id: Aabel, Bo, Bo, Enhed, Ålund
    order = [ids["aa"], ids["bo1"], ids["bo2"], own, ids["alund"]]
    return leader, sara, jonas, order, ids


async def test_the_unit_list_comes_a_page_at_a_time(client, monkeypatch):
    assert units.PAGE_SIZE == 50
    leader, sara, jonas, order, ids = await _paged_world(monkeypatch)
    await f.login(client, leader)
    first = await client.get("/unit/")
    assert first.status_code == 200 and _rows(first.text) == order[:2]
    assert 'aria-label="Sider med enhedens familier"' in first.text
    assert "Side 1 af 3" in first.text and ">Forrige<" not in first.text
    assert 'href="/unit/?side=2" rel="next">Næste<' in first.text
    assert await _unit_reads(leader) == order[:2]  # only the families shown are read
    second = await client.get("/unit/?side=2")
    assert _rows(second.text) == order[2:4] and "Side 2 af 3" in second.text
    assert 'href="/unit/" rel="prev">Forrige<' in second.text
    assert 'href="/unit/?side=3" rel="next">Næste<' in second.text
    last = await client.get("/unit/?side=3")
    assert _rows(last.text) == order[4:] and "Side 3 af 3" in last.text
    assert ">Næste<" not in last.text and 'href="/unit/?side=2" rel="prev"' in last.text
    assert await _unit_reads(leader) == order
    # Past the end (the list shrank since the link was made): the last page.
    beyond = await client.get("/unit/?side=99")
    assert beyond.status_code == 200 and _rows(beyond.text) == order[4:]
    assert "Side 3 af 3" in beyond.text
    # The figures are the whole unit's on every page (the closed family is not counted).
    for page in (first, second, last):
        assert 'id="unit-families">5<' in page.text and 'id="unit-at-centre">3<' in page.text
    # Every other page of the assign form returns to its own page.
    assert '<input type="hidden" name="next" value="/unit/?side=2">' in second.text


@pytest.mark.parametrize("query", ["side=0", "side=-1", "side=to", "side=1.5", "side=99999999999",
                                   "q=" + "x" * 101, "q=%00"])
async def test_a_bad_page_or_search_is_a_danish_400(client, monkeypatch, query):
    leader, sara, jonas, order, ids = await _paged_world(monkeypatch)
    await f.login(client, leader)
    refused = await client.get(f"/unit/?{query}", headers={"accept": "text/html"})
    assert refused.status_code == 400
    assert "Gå til enhedens side og prøv igen." in refused.text
    assert "Familien" not in refused.text
    assert await _unit_reads(leader) == []


async def test_the_unit_list_is_searched_and_filtered(client, monkeypatch):
    leader, sara, jonas, order, ids = await _paged_world(monkeypatch)
    await f.login(client, leader)
    found = await client.get("/unit/", params={"q": "bo"})
    assert _rows(found.text) == [ids["bo1"], ids["bo2"]] and "Side" not in found.text
    assert "2 af enhedens 5 familier passer på søgningen." in found.text
    assert 'name="q" type="search" maxlength="100" value="bo"' in found.text
    assert '<input type="hidden" name="next" value="/unit/?q=bo">' in found.text
    assert 'id="unit-families">5<' in found.text  # the figures stay the unit's
    # Case folded beyond ASCII on both engines; the reference is searched too.
    assert _rows((await client.get("/unit/", params={"q": "ÅLUND"})).text) == [ids["alund"]]
    reference = (await Family.select(Family.reference).where(Family.id == ids["aa"]).first())["reference"]
    assert _rows((await client.get("/unit/", params={"q": reference.lower()})).text) == [ids["aa"]]
    # Only the families at the crisis centre: kept in the form and in the pager's links.
    centre = await client.get("/unit/", params={"krisecenter": "ja"})
    assert _rows(centre.text) == [ids["bo1"], own := order[3]] and "Side 1 af 2" in centre.text
    assert 'name="krisecenter" value="ja" checked' in centre.text
    assert 'href="/unit/?krisecenter=ja&amp;side=2" rel="next"' in centre.text
    last = await client.get("/unit/?krisecenter=ja&side=2")
    assert _rows(last.text) == [ids["alund"]]
    both = await client.get("/unit/", params={"q": "familien", "krisecenter": "ja", "side": "2"})
    assert _rows(both.text) == [ids["alund"]]
    assert 'href="/unit/?q=familien&amp;krisecenter=ja" rel="prev"' in both.text
    nothing = await client.get("/unit/", params={"q": "Andetsted"})  # another unit's family
    assert _rows(nothing.text) == [] and "Ingen af enhedens familier passer på søgningen." in nothing.text
    assert sorted(set(await _unit_reads(leader))) == sorted(
        {ids["bo1"], ids["bo2"], ids["alund"], ids["aa"], own})


async def test_the_unit_figures_are_counted_over_the_whole_unit(client, monkeypatch):
    leader, sara, jonas, order, ids = await _paged_world(monkeypatch)
    # The newest assessment counts (the highest id), as in the success criteria.
    for family, possible in [(ids["aa"], False), (ids["aa"], True), (ids["bo1"], None),
                             (ids["own"], False), (ids["other"], True)]:
        await FgcCase(family=family, possible=possible).save()
    for family, involve in [(ids["bo2"], True), (ids["alund"], True), (ids["alund"], False)]:
        await FatherAssessment(family=family, involve=involve).save()
    await TeamMember.update({TeamMember.lead: True}).where(  # Aabel and the first Bo: no tovholder
        TeamMember.family.is_in([ids["bo2"], ids["own"], ids["alund"]]))
    holders = await units._unit_holders("Krisecentret")
    counted = await units._unit_totals(holders)
    expected = await flows.assessment_totals(await units.unit_family_ids("Krisecentret"))
    assert counted == {"families": 5, "at_centre": 3, "without_lead": 2, "fgc_assessed": 2,
                       "fgc_possible": 1, "father_assessed": 2, "father_involved": 1}
    assert (expected.families, expected.fgc_assessed, expected.fgc_possible, expected.father_assessed,
            expected.father_involved) == (5, 2, 1, 2, 1)
    await f.login(client, leader)
    page = await client.get("/unit/?side=3")  # one family shown, the figures the unit's
    assert _rows(page.text) == [ids["alund"]]
    assert 'id="unit-families">5<' in page.text and 'id="unit-no-lead">2<' in page.text
    assert 'id="unit-fgc">2 (1 mulige)<' in page.text and 'id="unit-father">2 (1 inddrages)<' in page.text


async def test_a_leader_of_another_unit_sees_nothing_of_this_unit(client, monkeypatch):
    leader, sara, jonas, order, ids = await _paged_world(monkeypatch)
    mikkel = (await TeamMember.select(TeamMember.user).where(TeamMember.family == ids["other"]).first())["user"]
    assert mikkel
    boss = await f.user("leder", full_name="Frida Familie", unit="Familieafdelingen")
    await f.login(client, boss)
    for query in ("", "?q=Bo", "?krisecenter=ja", "?side=3"):
        page = await client.get(f"/unit/{query}")
        assert page.status_code == 200
        assert _rows(page.text) in ([ids["other"]], [])
        assert not any(name in page.text for name in ("Aabel", "Familien Bo", "Ålund", "Familien Enhed"))
        assert 'id="unit-families">1<' in page.text and "Sara Centret" not in page.text
    assert set(await _unit_reads(boss)) == {ids["other"]}
    # Nor can she put anyone on this unit's teams.
    refused = await f.post_form(client, f"/unit/families/{order[0]}/team",
                                {"user": str(mikkel), "team_role": "Socialrådgiver"}, page="/unit/")
    assert refused.status_code == 404


@pytest.mark.parametrize("given,expected", [
    ("/unit/?side=2", "/unit/?side=2"),
    ("/unit/?krisecenter=ja&q=Bo&side=3", "/unit/?q=Bo&krisecenter=ja&side=3"),
    ("/unit/?side=1", "/unit/"),
    ("/unit/", "/unit/"),
    ("/unit/?side=to", "/unit/"),
    ("/unit/?side=2&evil=%0d%0aSet-Cookie:x", "/unit/?side=2"),
    ("/unit/#family-3", "/unit/"),
    ("https://evil.example/unit/?side=2", "/unit/"),
    ("//evil.example/unit/?side=2", "/unit/"),
    ("/families/3", "/unit/"),
    ("/unit/../families/3", "/unit/"),
    ("", "/unit/"),
    (None, "/unit/"),
])
def test_the_way_back_after_assigning_is_a_unit_page(given, expected):
    assert units.return_path(given) == expected


async def test_assigning_returns_to_the_same_page_and_filter(client, monkeypatch):
    leader, sara, jonas, order, ids = await _paged_world(monkeypatch)
    await f.login(client, leader)
    page = await client.get("/unit/?q=familien&side=2")
    assert f'id="u-{order[2]}-user"' in page.text and f'<option value="{jonas.id}">Jonas Centret</option>' in page.text
    assert f'<option value="{sara.id}">' not in page.text  # on every team already
    done = await f.post_form(client, f"/unit/families/{order[2]}/team",
                             {"user": str(jonas.id), "team_role": "Socialrådgiver",
                              "next": "/unit/?q=familien&side=2"}, page="/unit/")
    assert done.status_code == 303
    assert done.headers["location"] == f"/unit/?q=familien&side=2#family-{order[2]}"
    back = await client.get("/unit/?q=familien&side=2")
    assert f'<tr id="family-{order[2]}">' in back.text
    done = await f.post_form(client, f"/unit/families/{order[3]}/team",
                             {"user": str(jonas.id), "team_role": "Socialrådgiver",
                              "next": "https://evil.example/unit/"}, page="/unit/")
    assert done.headers["location"] == f"/unit/#family-{order[3]}"


async def test_the_units_families_beyond_her_own_are_counted_by_the_database():
    from coordinator.families import units
    from coordinator.families.tables import Family

    leader, sara, jonas, mikkel, own, other = await _unit_world()
    mine = await f.family(leader, name="Familien Egen")
    second = await f.family(jonas, sara, name="Familien To")
    closed = await f.family(jonas, name="Familien Lukket")
    await Family.update({Family.status: "closed"}).where(Family.id == closed)
    anne = await f.user(full_name="Anne Stort", unit=" KRISECENTRET ")  # another spelling
    hers = await f.family(anne, name="Familien Stort")
    assert await units.unit_families_beyond("Krisecentret", {mine}, 10) == (
        3, tuple(sorted((own, second, hers))))
    assert await units.unit_families_beyond("krisecentret ", set(), 10) == (4, tuple(sorted(
        (own, second, mine, hers))))
    assert await units.unit_families_beyond("Krisecentret", {mine}, 2) == (3, ())
    assert await units.unit_families_beyond("", set(), 10) == (0, ())
    assert await units.unit_families_beyond("Familieafdelingen", set(), 10) == (1, (other,))
    assert sorted(await units.unit_family_ids("Krisecentret")) == sorted((own, second, mine, hers))
