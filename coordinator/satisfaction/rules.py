"""The satisfaction form at move-out and its two success criteria, as plain data.

Seed 000 (Randers Krisecenter): 95 % of the families fill in a satisfaction form when they
move out, and 95 % answer that they got the support they needed »i høj grad eller nogen
grad«. The second question is the seed's own aim for the stay: that it started a process
towards a life without violence.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from hashlib import sha256

from coordinator.followup.criteria import Share, reaches_target

SUPPORT_QUESTION = "Har du fået den støtte, du havde brug for?"
SUPPORT_CHOICES: dict[str, str] = {
    "high": "I høj grad",
    "some": "I nogen grad",
    "little": "I mindre grad",
    "none": "Slet ikke",
}
# »i høj grad eller nogen grad« counts as having got the support needed (seed 000)
SUPPORTED = frozenset({"high", "some"})

PROCESS_QUESTION = ("Har opholdet sat en proces i gang, så du og dine børn kan leve et liv "
                    "uden vold?")
PROCESS_CHOICES: dict[str, str] = {
    "yes": "Ja",
    "partly": "Delvist",
    "no": "Nej",
    "unknown": "Ved ikke",
}
COMMENT_MAX = 2000

CHANNELS: dict[str, str] = {"paper": "Papirskema, tastet af personalet", "tablet": "Tablet"}
OUTCOMES: dict[str, str] = {"answered": "Besvaret", "declined": "Ønskede ikke at svare"}

ANSWERED_TARGET_PERCENT = 95
SUPPORTED_TARGET_PERCENT = 95
ANSWERED_LABEL = "Tilfredshedsskema udfyldt ved udflytning"
SUPPORTED_LABEL = "Fik den støtte, de havde brug for"

TABLET_LINK_HOURS = 4  # a tablet link is for the move-out conversation, not for later


@dataclass(frozen=True)
class Draft:
    """A form as typed (paper) or tapped (tablet)."""

    support: str
    process: str
    comment: str


def problems(draft: Draft) -> list[tuple[str, str]]:
    """What is wrong with the form, as (field, Danish message); empty when it can be saved."""
    found = []
    if draft.support not in SUPPORT_CHOICES:
        found.append(("support", f"Vælg et svar på »{SUPPORT_QUESTION}«"))
    if draft.process not in PROCESS_CHOICES:
        found.append(("process", f"Vælg et svar på »{PROCESS_QUESTION}«"))
    if len(draft.comment) > COMMENT_MAX:
        found.append(("comment", f"Kommentaren må højst være {COMMENT_MAX} tegn."))
    return found


def period_of(ended_on: date) -> date:
    """The month an answer is kept under: the first day of the month of the move-out."""
    return ended_on.replace(day=1)


def period_bounds(start: date, end: date) -> tuple[date, date]:
    """The answer months a period covers: from the month of ``start`` to that of ``end``."""
    return period_of(start), period_of(end)


def answerable(ended_on: date | None, outcome: str | None) -> str | None:
    """Why a stay cannot get a form now (a Danish reason), or None when it can."""
    if ended_on is None:
        return "Registrér udskrivningen først – skemaet hører til udflytningen."
    if outcome == "answered":
        return "Familien har allerede udfyldt tilfredshedsskemaet for dette ophold."
    if outcome == "declined":
        return "Familien ønskede ikke at svare på tilfredshedsskemaet for dette ophold."
    return None


def new_token() -> tuple[str, str]:
    """A fresh tablet link token and the hash that is stored."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """The stored form of a tablet token."""
    return sha256(token.encode()).hexdigest()


def link_expires(now: datetime) -> datetime:
    """When a tablet link made at ``now`` stops working."""
    return now + timedelta(hours=TABLET_LINK_HOURS)


def link_state(used_at: datetime | None, expires_at: datetime, now: datetime) -> str:
    """"open", "used" or "expired"."""
    if used_at is not None:
        return "used"
    return "expired" if now >= expires_at else "open"


@dataclass(frozen=True)
class SatisfactionFigures:
    """The two criteria over a period, with their targets."""

    answered: Share
    supported: Share

    @property
    def answered_met(self) -> bool | None:
        """The form filled in by at least 95 % of the families that moved out."""
        return reaches_target(self.answered, ANSWERED_TARGET_PERCENT)

    @property
    def supported_met(self) -> bool | None:
        """At least 95 % of the answers say the support needed was given."""
        return reaches_target(self.supported, SUPPORTED_TARGET_PERCENT)


def figures(moved_out: int, answered: int, supports: Iterable[str]) -> SatisfactionFigures:
    """The criteria from the move-outs in the period, how many of them answered, and the
    support answers given by families that moved out in the period."""
    given = list(supports)
    return SatisfactionFigures(
        Share(ANSWERED_LABEL, answered, moved_out),
        Share(SUPPORTED_LABEL, sum(1 for s in given if s in SUPPORTED), len(given)))


def distribution(values: Iterable[str], choices: dict[str, str]) -> list[tuple[str, int]]:
    """(label, count) for every choice, in the form's order."""
    counted = list(values)
    return [(label, counted.count(key)) for key, label in choices.items()]
