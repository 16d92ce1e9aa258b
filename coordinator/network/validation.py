"""Pure checks and normalisation for network input: phone, e-mail, names, CPR, answers.

No database and no HTTP: the service calls these and turns ``InvalidInput`` into a
Danish ``UserError``. Messages are Danish because they go straight to the worker.

CPR: no field in the network takes a CPR number, on purpose. The coordinator plans
meetings and keeps the overview of who works with the family; the case system of
record (the municipality's journal) holds the CPR numbers. A name, a role and a birth
year identify a person well enough here, and a CPR number would make every leak worse.
So instead of validating CPR numbers, free-text fields *refuse* anything that is a
valid CPR number (python-stdnum's ``stdnum.dk.cpr``), so one is not stored by mistake.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from stdnum.dk import cpr

ANSWERS: dict[str, str] = {"yes": "Ja", "no": "Nej", "unknown": "Ved ikke"}
S50_STATUSES: dict[str, str] = {
    "none": "Ikke påbegyndt",
    "in_progress": "I gang",
    "completed": "Afsluttet",
    "unknown": "Ved ikke",
}

_PHONE_CHARS = re.compile(r"^[0-9+()\-. /]+$")
# A pragmatic address check: one @, a dot in the domain, no spaces or angle brackets.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_CPR_CANDIDATE = re.compile(r"(?<!\d)(\d{6})[- ]?(\d{4})(?!\d)")


class InvalidInput(ValueError):
    """A value the worker must correct; ``message`` is Danish, ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_phone(raw: str, field: str = "phone") -> str:
    """A Danish (or +country) phone number in readable international form: '+45 70 10 20 30'.

    Empty stays empty. Letters, too few or too many digits, or a number that does not
    exist in the numbering plan are refused with a Danish message.
    """
    value = (raw or "").strip()
    if not value:
        return ""
    if not _PHONE_CHARS.match(value):
        raise InvalidInput("Telefonnummeret må kun indeholde cifre, mellemrum og +.", field)
    try:
        number = phonenumbers.parse(value, "DK")
    except phonenumbers.NumberParseException:
        raise InvalidInput("Telefonnummeret kan ikke læses. Skriv fx 70 10 20 30.", field) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            "Telefonnummeret er ikke et gyldigt nummer. Danske numre har 8 cifre, "
            "fx 70 10 20 30; udenlandske skrives med +landekode.", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw: str, field: str = "email") -> str:
    """A plausible e-mail address, trimmed and with a lower-case domain; empty stays empty."""
    value = (raw or "").strip()
    if not value:
        return ""
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput("E-mailadressen er ikke gyldig. Skriv fx navn@eksempel.dk.", field)
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def refuse_cpr(value: str, label: str, field: str | None = None) -> str:
    """Return ``value`` unless it contains a valid CPR number; then refuse it (see module doc)."""
    for match in _CPR_CANDIDATE.finditer(value or ""):
        if cpr.is_valid(match.group(1) + match.group(2)):
            raise InvalidInput(
                f"»{label}« ser ud til at indeholde et CPR-nummer. Koordinatoren gemmer ikke "
                "CPR-numre – fjern det, og prøv igen.", field)
    return value


def name_key(name: str) -> str:
    """A comparison key for names: case, accents' composition and spacing do not matter."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(folded.split())


def phone_key(phone: str) -> str:
    """The digits of a (normalised) phone number, for duplicate checks."""
    return re.sub(r"\D", "", phone or "")


def is_likely_duplicate(name_a: str, phone_a: str, name_b: str, phone_b: str) -> bool:
    """Same name and same phone number: very likely the same person recorded twice."""
    return bool(phone_key(phone_a)) and name_key(name_a) == name_key(name_b) and \
        phone_key(phone_a) == phone_key(phone_b)
