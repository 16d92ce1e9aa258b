"""The handleplan's rules: periods, progress scale, evaluation cadence and what is due.

Pure: plain values in, plain values out; today is always passed in (never read here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

# For the stay at the crisis centre, or for the after-care period (§ 109, stk. 7).
PERIODS: dict[str, str] = {"stay": "Opholdet", "after_care": "Efterværn"}

# The simple progress scale, in order.
PROGRESS: dict[str, str] = {"not_started": "Ikke startet", "in_progress": "I gang",
                            "reached": "Nået"}

# How often a goal is evaluated: (label, months, days).
CADENCES: dict[str, tuple[str, int, int]] = {
    "biweekly": ("Hver 14. dag", 0, 14),
    "monthly": ("Hver måned", 1, 0),
    "quarterly": ("Hvert kvartal", 3, 0),
    "half_yearly": ("Hvert halve år", 6, 0),
}
CADENCE_LABELS: dict[str, str] = {key: label for key, (label, _, _) in CADENCES.items()}

# An evaluation is "soon" this many days before it is due.
DUE_SOON_DAYS = 14


class GoalError(ValueError):
    """A goal or evaluation that breaks a rule; ``message_da`` is shown to the user."""

    def __init__(self, message_da: str, field: str | None = None) -> None:
        super().__init__(message_da)
        self.message_da = message_da
        self.field = field


def after(day: date, cadence: str) -> date:
    """The day one cadence step after ``day`` (month ends are kept: 31 Jan + 1 month is
    28/29 Feb)."""
    if cadence not in CADENCES:
        raise GoalError("Vælg, hvor ofte målet evalueres.", "cadence")
    _, months, days = CADENCES[cadence]
    return day + relativedelta(months=months) + timedelta(days=days)


def next_evaluation(starts_on: date, cadence: str, evaluated: list[date],
                    progress: str) -> date | None:
    """When the goal is next to be evaluated: one cadence step after its latest evaluation
    (its start when it has none). A reached goal is not evaluated again (None)."""
    if progress == "reached":
        return None
    latest = max([starts_on, *evaluated])
    return after(latest, cadence)


@dataclass(frozen=True)
class Due:
    """Where a goal's next evaluation stands on a day."""

    on: date | None
    state: str  # "none", "later", "soon", "today", "overdue"
    text: str


def due_state(next_on: date | None, today: date) -> Due:
    """The next evaluation's state on ``today``, with a short Danish text."""
    if next_on is None:
        return Due(None, "none", "Ingen evaluering planlagt")
    days = (next_on - today).days
    if days < 0:
        return Due(next_on, "overdue", f"Evaluering overskredet med {-days} dag(e)")
    if days == 0:
        return Due(next_on, "today", "Evalueres i dag")
    if days <= DUE_SOON_DAYS:
        return Due(next_on, "soon", f"Evalueres om {days} dag(e)")
    return Due(next_on, "later", "Næste evaluering")


def is_due(next_on: date | None, today: date, within_days: int = 0) -> bool:
    """True when an evaluation falls on or before ``today + within_days``."""
    return next_on is not None and next_on <= today + timedelta(days=within_days)


def validate_goal(title: str, period: str, cadence: str, starts_on: date, today: date) -> None:
    """A goal needs a title, a known period and cadence, and a start not far off."""
    if not title.strip():
        raise GoalError("Skriv målet.", "title")
    if period not in PERIODS:
        raise GoalError("Vælg, om målet gælder opholdet eller efterværnet.", "period")
    if cadence not in CADENCES:
        raise GoalError("Vælg, hvor ofte målet evalueres.", "cadence")
    if starts_on > today + timedelta(days=366):
        raise GoalError("Startdatoen ligger mere end et år ude i fremtiden.", "starts_on")
    if starts_on < today - timedelta(days=5 * 366):
        raise GoalError("Startdatoen ligger mere end fem år tilbage.", "starts_on")


def validate_evaluation(progress: str, evaluated_on: date, starts_on: date,
                        today: date) -> None:
    """An evaluation has a known progress, is not in the future, nor before the goal began."""
    if progress not in PROGRESS:
        raise GoalError("Vælg, hvor langt målet er nået.", "progress")
    if evaluated_on > today:
        raise GoalError("En evaluering kan ikke dateres i fremtiden.", "evaluated_on")
    if evaluated_on < starts_on:
        raise GoalError("Evalueringen ligger før målets startdato.", "evaluated_on")
