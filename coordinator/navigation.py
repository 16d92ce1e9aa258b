"""The main navigation: which pages each role reaches."""

from __future__ import annotations

from dataclasses import dataclass

from coordinator.auth.policy import Principal
from coordinator.auth.roles import (
    ADMINS,
    CASE_HOLDERS,
    CASE_WORKERS,
    CONTACT_PERSONS,
    DIRECTORY_READERS,
    LEADERS,
    LEADERS_AND_ADMINS,
    SAMORDNERE,
    Role,
)


@dataclass(frozen=True)
class NavItem:
    """One link in the main navigation."""

    label: str
    href: str
    roles: frozenset[Role]


NAV_ITEMS: list[NavItem] = [
    NavItem("Mine familier", "/", CASE_HOLDERS),
    NavItem("Mine familierådslagninger", "/meetings/coordinated", SAMORDNERE),
    NavItem("Samarbejdsaftaler", "/agreements/", CASE_HOLDERS),
    NavItem("Kalenderfeeds", "/feeds/", CASE_HOLDERS),
    NavItem("Organisationer", "/organisations/", DIRECTORY_READERS),
    NavItem("Teammøde", "/followup/teammoede", CASE_HOLDERS),
    NavItem("Mine BIC-fædre", "/followup/kontaktperson", CONTACT_PERSONS),
    NavItem("Samarbejdsmøde", "/followup/samarbejdsmoede", CASE_HOLDERS),
    NavItem("Enhedens familier", "/unit/", LEADERS),
    NavItem("Succeskriterier", "/followup/succeskriterier", LEADERS),
    NavItem("Revisionslog", "/audit/", LEADERS_AND_ADMINS),
    NavItem("Brugere", "/admin/users/", ADMINS),
    NavItem("Påmindelser", "/paamindelser/", CASE_WORKERS | SAMORDNERE),
]


def nav_for(user: object) -> list[NavItem]:
    """The links a user sees; none for anonymous visitors."""
    if not isinstance(user, Principal):
        return []
    return [item for item in NAV_ITEMS if user.role in item.roles]
