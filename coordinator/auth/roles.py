"""Roles and what each may do, as plain data."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """A user's role. Values are stored in the database."""

    SOCIALRAADGIVER = "socialraadgiver"
    KONTAKTPERSON = "kontaktperson"
    LEDER = "leder"
    SAMORDNER = "samordner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The Danish name shown in the UI."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.SOCIALRAADGIVER: "Socialrådgiver",
    Role.KONTAKTPERSON: "Kontaktperson (Modtagelsen)",
    Role.LEDER: "Leder",
    Role.SAMORDNER: "Samordner",
    Role.ADMIN: "Administrator",
}


def parse_role(value: str) -> Role:
    """The Role for a stored or submitted value; ValueError with a Danish message."""
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"Ukendt rolle: {value!r}.") from None


# --- named role sets: who may do what, declared once ----------------------------------------
# Guards (`auth.guards.requires_role`), the access policy, services and the navigation all
# name these sets instead of spelling out roles where they check them.

ALL_ROLES: frozenset[Role] = frozenset(Role)

# Users who work with cases at all: everyone but the administrator (no case content) and
# the samordner (only the familierådslagninger she coordinates, reached by her own page).
CASE_WORKERS: frozenset[Role] = frozenset({Role.SOCIALRAADGIVER, Role.KONTAKTPERSON, Role.LEDER})

# Users who hold cases: they open families, make a family part of their unit, edit
# agreements, manage calendar feeds and open meetings between organisations. The father's
# kontaktperson works for another unit by the method and holds no case.
CASE_HOLDERS: frozenset[Role] = frozenset({Role.SOCIALRAADGIVER, Role.LEDER})

# Users who follow aggregates (success criteria, audit log): leaders, and admins to
# investigate misuse.
LEADERS_AND_ADMINS: frozenset[Role] = frozenset({Role.LEDER, Role.ADMIN})

# The organisation directory: socialrådgivere read it; leaders and admins keep it.
DIRECTORY_READERS: frozenset[Role] = frozenset({Role.SOCIALRAADGIVER, Role.LEDER, Role.ADMIN})
DIRECTORY_EDITORS: frozenset[Role] = LEADERS_AND_ADMINS

# The cooperation meeting (samarbejdsmøde): case holders read it, socialrådgivere keep it.
COOPERATION_READERS: frozenset[Role] = CASE_HOLDERS
COOPERATION_EDITORS: frozenset[Role] = frozenset({Role.SOCIALRAADGIVER})

# Accounts whose holders are never entitled to protected places (DOMAIN.md, Audiences).
NOT_ENTITLED: frozenset[Role] = frozenset({Role.SAMORDNER, Role.KONTAKTPERSON})

ADMINS: frozenset[Role] = frozenset({Role.ADMIN})
LEADERS: frozenset[Role] = frozenset({Role.LEDER})
CONTACT_PERSONS: frozenset[Role] = frozenset({Role.KONTAKTPERSON})
SAMORDNERE: frozenset[Role] = frozenset({Role.SAMORDNER})


def values(roles: frozenset[Role]) -> list[str]:
    """The stored values of a role set, sorted (for queries on ``User.role``)."""
    return sorted(role.value for role in roles)
