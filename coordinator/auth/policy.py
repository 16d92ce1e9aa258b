"""The access policy: the one place that decides who may read or change a family.

Pure: it takes plain facts about the user and the family and returns a decision. Every
route that touches family data reaches it through ``families.service.load_family``; a
family the user may not see is answered with 404, never 403, so ids leak nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from coordinator.auth import roles
from coordinator.auth.roles import Role


class Action(str, Enum):
    """What the user wants to do with a family's data."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Principal:
    """The logged-in user as the policy sees it."""

    id: int
    username: str
    role: Role
    full_name: str = ""
    must_change_password: bool = False
    # The unit the admin recorded for the user ("" if none), as read with the session on
    # this request; None where it was not read (``families.units.unit_of`` reads it then).
    unit: str | None = None


@dataclass(frozen=True)
class FamilyAccessFacts:
    """What the policy needs to know about one family for one user."""

    on_team: bool
    family_closed: bool = False
    coordinates_meeting: bool = False


class Audience(str, Enum):
    """Who a user is to one family: decides which of its facts they may learn."""

    # The family's own team (crisis centre, Familieafdelingen): the whole case.
    TEAM = "team"
    # The father's kontaktperson in Modtagelsen: his BIC record, his sessions and the joint
    # meeting; never the mother's or the children's contact data, school, day care or place,
    # and no write access to the family's network.
    FATHER_SIDE = "father_side"
    # Nobody to this family (a samordner reaches only the meetings they coordinate, which
    # the meetings domain checks itself).
    NONE = "none"


def family_audience(user: Principal, facts: FamilyAccessFacts) -> Audience:
    """The audience ``user`` belongs to for one family, from their role, not their account.

    - Admins manage users, not cases; samordnere are external by the method; leaders not on
      the team see aggregates only: all of them are nobody to the family record.
    - A kontaktperson (Modtagelsen) on the team is there for the father: father side only.
    - Every other team member is the team.
    """
    if user.role not in roles.CASE_WORKERS or not facts.on_team:
        return Audience.NONE
    if user.role is Role.KONTAKTPERSON:
        return Audience.FATHER_SIDE
    return Audience.TEAM


def may_access_family(user: Principal, facts: FamilyAccessFacts, action: Action) -> bool:
    """Decide whether ``user`` may perform ``action`` on the family's case data (the family
    page, its network, its meetings, exports): the team only; a closed family is read-only."""
    if family_audience(user, facts) is not Audience.TEAM:
        return False
    return not (action is Action.WRITE and facts.family_closed)


def may_access_father_side(user: Principal, facts: FamilyAccessFacts, action: Action) -> bool:
    """Decide whether ``user`` may perform ``action`` on the father's side of the case (the
    BIC record, the advice sessions): the team and the father's kontaktperson."""
    if family_audience(user, facts) not in (Audience.TEAM, Audience.FATHER_SIDE):
        return False
    return not (action is Action.WRITE and facts.family_closed)


def may_lead_unit(user: Principal, leader_unit: str, family_units: set[str]) -> bool:
    """A leader follows the families of her unit (the unit of the case holders on the
    family's team) without being on their teams: the unit's list, its aggregates and the
    team agenda, and assigning colleagues. Never the family record itself (that is the
    team's), and never a family of another unit."""
    return (user.role is Role.LEDER and bool(leader_unit.strip())
            and leader_unit.strip().casefold() in {u.strip().casefold() for u in family_units})


def may_assign_in_unit(user: Principal, leader_unit: str, family_units: set[str],
                       colleague_unit: str) -> bool:
    """A leader may put a colleague of her own unit on a team of her unit's families."""
    return (may_lead_unit(user, leader_unit, family_units)
            and colleague_unit.strip().casefold() == leader_unit.strip().casefold())


def may_see_aggregates(user: Principal) -> bool:
    """Leaders (and admins) follow success criteria and the audit log."""
    return user.role in roles.LEADERS_AND_ADMINS


def may_manage_users(user: Principal) -> bool:
    """Only admins create and deactivate accounts."""
    return user.role in roles.ADMINS


def may_read_audit(user: Principal) -> bool:
    """Leaders read the audit log; admins too, to investigate misuse."""
    return user.role in roles.LEADERS_AND_ADMINS
