"""The main navigation: which pages each role reaches."""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role

CASE_ROLES = frozenset({Role.SOCIALRAADGIVER, Role.KONTAKTPERSON, Role.LEDER})


@dataclass(frozen=True)
class NavItem:
    """One link in the main navigation."""

    label: str
    href: str
    roles: frozenset[Role]


NAV_ITEMS: list[NavItem] = [
    NavItem("Mine familier", "/", frozenset({Role.SOCIALRAADGIVER, Role.LEDER})),
    NavItem("Mine familierådslagninger", "/meetings/coordinated", frozenset({Role.SAMORDNER})),
    NavItem("Samarbejdsaftaler", "/agreements/", CASE_ROLES),
    NavItem("Kalenderfeeds", "/feeds/", frozenset({Role.SOCIALRAADGIVER, Role.LEDER})),
    NavItem("Organisationer", "/organisations/",
            frozenset({Role.SOCIALRAADGIVER, Role.LEDER, Role.ADMIN})),
    NavItem("Teammøde", "/followup/teammoede", frozenset({Role.SOCIALRAADGIVER, Role.LEDER})),
    NavItem("Mine BIC-fædre", "/followup/kontaktperson", frozenset({Role.KONTAKTPERSON})),
    NavItem("Samarbejdsmøde", "/followup/samarbejdsmoede",
            frozenset({Role.SOCIALRAADGIVER, Role.LEDER})),
    NavItem("Enhedens familier", "/unit/", frozenset({Role.LEDER})),
    NavItem("Succeskriterier", "/followup/succeskriterier", frozenset({Role.LEDER})),
    NavItem("Revisionslog", "/audit/", frozenset({Role.LEDER, Role.ADMIN})),
    NavItem("Brugere", "/admin/users/", frozenset({Role.ADMIN})),
]


def nav_for(user: object) -> list[NavItem]:
    """The links a user sees; none for anonymous visitors."""
    if not isinstance(user, Principal):
        return []
    return [item for item in NAV_ITEMS if user.role in item.roles]
