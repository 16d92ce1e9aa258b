"""The access policy: the one place that decides who may read or change a family.

Pure: it takes plain facts about the user and the family and returns a decision. Every
route that touches family data reaches it through ``families.service.load_family``; a
family the user may not see is answered with 404, never 403, so ids leak nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

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


@dataclass(frozen=True)
class FamilyAccessFacts:
    """What the policy needs to know about one family for one user."""

    on_team: bool
    family_closed: bool = False
    coordinates_meeting: bool = False


def may_access_family(user: Principal, facts: FamilyAccessFacts, action: Action) -> bool:
    """Decide whether ``user`` may perform ``action`` on the family's case data.

    - Team members (socialrådgiver, kontaktperson and a leader placed on the team) may read
      and write; a closed family is read-only.
    - A samordner reaches only the familierådslagning they coordinate (meetings check that
      themselves); the family record itself is not theirs to read.
    - Leaders not on the team see aggregates only; admins manage users, not cases.
    """
    if user.role in (Role.ADMIN, Role.SAMORDNER):
        return False
    if not facts.on_team:
        return False
    if action is Action.WRITE and facts.family_closed:
        return False
    return True


def may_see_aggregates(user: Principal) -> bool:
    """Leaders (and admins) follow success criteria and the audit log."""
    return user.role in (Role.LEDER, Role.ADMIN)


def may_manage_users(user: Principal) -> bool:
    """Only admins create and deactivate accounts."""
    return user.role is Role.ADMIN


def may_read_audit(user: Principal) -> bool:
    """Leaders read the audit log; admins too, to investigate misuse."""
    return user.role in (Role.LEDER, Role.ADMIN)
