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
