"""A leader follows her unit's families without being on their teams (issue 15, point 6):
the list with teams and next meetings, the unit's figures, the team agenda, and putting a
colleague of the unit on a team. Never the family record, never another unit's family."""

from __future__ import annotations

import pytest

from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal, may_assign_in_unit, may_lead_unit
from coordinator.auth.roles import Role
from coordinator.families.tables import TeamMember
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
    from coordinator.families.tables import Family
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
