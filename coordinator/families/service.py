"""Use cases for families: listing, loading through the access policy, team changes."""

from __future__ import annotations

from datetime import date

from litestar.exceptions import NotFoundException

from coordinator import db
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, FamilyAccessFacts, Principal, may_access_family
from coordinator.auth.tables import User
from coordinator.families.tables import Family, TeamMember


async def families_for(user: Principal, include_closed: bool = False) -> list[dict]:
    """The families whose team the user is on, for the start page."""
    family_ids = TeamMember.select(TeamMember.family).where(TeamMember.user == user.id)
    query = Family.select().where(Family.id.is_in(family_ids)).order_by(Family.name)
    if not include_closed:
        query = query.where(Family.status == "active")
    if not _may_have_cases(user):
        return []
    return await query


def _may_have_cases(user: Principal) -> bool:
    return may_access_family(user, FamilyAccessFacts(on_team=True), Action.READ)


async def is_on_team(user_id: int, family_id: int) -> bool:
    """True when the user is a member of the family's team."""
    return await TeamMember.exists().where(
        (TeamMember.family == family_id) & (TeamMember.user == user_id)
    )


async def load_family(
    user: Principal, family_id: int, action: Action, *, what: str = "familie",
    address: str = "", audit_read: bool = True,
) -> dict:
    """The family row if the policy allows ``action``; otherwise 404 (never 403, never data).

    A permitted READ is written to the audit log with ``what`` the user looked at.
    Writes are audited by the service that performs them, inside its transaction.
    """
    row = await Family.select().where(Family.id == family_id).first()
    if row is None:
        raise NotFoundException()
    facts = FamilyAccessFacts(
        on_team=await is_on_team(user.id, family_id), family_closed=row["status"] == "closed"
    )
    if not may_access_family(user, facts, action):
        # A refused attempt is evidence worth keeping (misuse shows up here first); the
        # user still sees nothing but a 404.
        await audit.record(user, "denied", what, family_id, family_id, action.value, address)
        raise NotFoundException()
    if action is Action.READ and audit_read:
        await audit.record(user, "read", what, family_id, family_id, row["name"], address)
    return row


async def team_of(family_id: int) -> list[dict]:
    """The users on a family's team with their team role."""
    return await TeamMember.select(
        TeamMember.id,
        TeamMember.team_role,
        TeamMember.user.id.as_alias("user_id"),
        TeamMember.user.full_name.as_alias("full_name"),
        TeamMember.user.role.as_alias("role"),
        TeamMember.user.unit.as_alias("unit"),
    ).where(TeamMember.family == family_id).order_by(TeamMember.user.full_name)


async def create_family(
    user: Principal | None, reference: str, name: str, opened_on: date,
    at_crisis_centre: bool = False, team: list[tuple[int, str]] | None = None,
) -> int:
    """Open a case with its team in one transaction; the creator is audited."""
    async with db.transaction():
        rows = await Family.insert(
            Family(reference=reference, name=name, opened_on=opened_on,
                   at_crisis_centre=at_crisis_centre)
        )
        family_id = rows[0]["id"]
        for user_id, team_role in team or []:
            await TeamMember.insert(TeamMember(family=family_id, user=user_id, team_role=team_role))
        await audit.record(user, "create", "familie", family_id, family_id, name)
    return family_id


async def add_to_team(actor: Principal, family_id: int, user_id: int, team_role: str) -> None:
    """Put a user on the team (idempotent), audited."""
    async with db.transaction():
        if not await User.exists().where(User.id == user_id):
            raise NotFoundException()
        if not await is_on_team(user_id, family_id):
            await TeamMember.insert(TeamMember(family=family_id, user=user_id, team_role=team_role))
            await audit.record(actor, "update", "team", user_id, family_id,
                               f"Tilføjet til teamet som {team_role}")
