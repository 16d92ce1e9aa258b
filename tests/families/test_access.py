"""The access policy for every role on own and foreign families."""

import pytest
from litestar.exceptions import NotFoundException

from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import (
    Action,
    Audience,
    FamilyAccessFacts,
    Principal,
    family_audience,
    may_access_family,
    may_access_father_side,
)
from coordinator.auth.roles import Role
from coordinator.families import service as families
from tests import factories as f

ROLES = [r.value for r in Role]

# role -> (own family status, foreign family status)
EXPECTED = {
    "socialraadgiver": (200, 404),
    # On a family's team for the father only (policy.Audience.FATHER_SIDE): not the family page.
    "kontaktperson": (404, 404),
    "leder": (200, 404),
    "samordner": (404, 404),
    "admin": (404, 404),
}


@pytest.mark.parametrize("role", ROLES)
async def test_family_page_per_role_own_and_foreign(client, role):
    user = await f.user(role)
    stranger = await f.user()
    own = await f.family(user, name="Familien Egen")
    foreign = await f.family(stranger, name="Familien Fremmed")
    await f.login(client, user)
    own_status, foreign_status = EXPECTED[role]
    own_response = await client.get(f"/families/{own}")
    foreign_response = await client.get(f"/families/{foreign}")
    assert own_response.status_code == own_status
    assert foreign_response.status_code == foreign_status
    assert "Familien Fremmed" not in foreign_response.text
    if own_status == 404:
        assert "Familien Egen" not in own_response.text


@pytest.mark.parametrize("path", ["/families/999999", "/families/abc", "/families/-1",
                                  "/families/1e3", "/families/%00"])
async def test_malformed_or_unknown_ids_are_404_in_danish(client, path):
    user = await f.user()
    await f.login(client, user)
    response = await client.get(path)
    assert response.status_code == 404
    assert "Siden findes ikke" in response.text
    assert "Traceback" not in response.text


async def test_start_page_lists_only_own_families_as_links(client):
    sara = await f.user(username="sara2")
    mikkel = await f.user(username="mikkel2")
    mine = await f.family(sara, name="Familien Min")
    theirs = await f.family(mikkel, name="Familien Deres")
    await f.login(client, sara)
    page = (await client.get("/")).text
    assert f'<a href="/families/{mine}">Familien Min</a>' in page
    assert "Familien Deres" not in page and f"/families/{theirs}" not in page


async def test_reading_a_family_is_audited_and_refusal_reveals_nothing(client):
    user = await f.user()
    family_id = await f.family(user)
    await f.login(client, user)
    await client.get(f"/families/{family_id}")
    events = await AuditEvent.select().where(AuditEvent.action == "read")
    assert [(e["username"], e["family_id"], e["entity"]) for e in events] == [
        (user.username, family_id, "familieside")]


async def test_refused_access_is_audited(client):
    owner = await f.user()
    intruder = await f.user()
    family_id = await f.family(owner, name="Familien Hemmelig")
    await f.login(client, intruder)
    response = await client.get(f"/families/{family_id}")
    assert response.status_code == 404 and "Hemmelig" not in response.text
    denied = await AuditEvent.select().where(AuditEvent.action == "denied")
    assert [(e["username"], e["family_id"]) for e in denied] == [(intruder.username, family_id)]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("on_team", [True, False])
@pytest.mark.parametrize("closed", [True, False])
@pytest.mark.parametrize("action", list(Action))
def test_policy_table(role, on_team, closed, action):
    user = Principal(1, "u", role)
    allowed = may_access_family(user, FamilyAccessFacts(on_team=on_team, family_closed=closed),
                                action)
    expected = (role not in (Role.ADMIN, Role.SAMORDNER, Role.KONTAKTPERSON) and on_team
                and not (closed and action is Action.WRITE))
    assert allowed is expected


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("on_team", [True, False])
@pytest.mark.parametrize("closed", [True, False])
@pytest.mark.parametrize("action", list(Action))
def test_father_side_policy_table(role, on_team, closed, action):
    user = Principal(1, "u", role)
    facts = FamilyAccessFacts(on_team=on_team, family_closed=closed)
    allowed = may_access_father_side(user, facts, action)
    expected = (role not in (Role.ADMIN, Role.SAMORDNER) and on_team
                and not (closed and action is Action.WRITE))
    assert allowed is expected
    assert family_audience(user, facts) is (
        Audience.NONE if role in (Role.ADMIN, Role.SAMORDNER) or not on_team
        else Audience.FATHER_SIDE if role is Role.KONTAKTPERSON else Audience.TEAM)


async def test_access_facts_read_for_someone_else_decide_nothing():
    """``KnownAccess`` (the facts read with a meeting page's stamps) is used only for the
    user and the family it was read for; otherwise the facts are read again."""
    worker, stranger = await f.user(), await f.user()
    family_id = await f.family(worker)
    other_family = await f.family(stranger)
    row = await families.load_family(worker, family_id, Action.READ, audit_read=False)
    known = families.KnownAccess(worker.id, row, on_team=True)
    with pytest.raises(NotFoundException):  # the worker's facts, not the stranger's
        await families.load_family(stranger, family_id, Action.READ, known=known)
    with pytest.raises(NotFoundException):  # this family's facts, not the other's
        await families.load_family(worker, other_family, Action.READ, known=known)
    assert (await families.load_family(worker, family_id, Action.READ, known=known)
            )["id"] == family_id
