"""The follow-up cadence of a cooperation agreement (samarbejdsaftale), as pure rules.

An agreement runs from a start date to an end date and is evaluated every N months. The
next evaluation falls N months after the latest evaluation held (or after the start when
none has been held). An evaluation that would fall after the end date is replaced by the
renewal decision. The renewal is due when the end date is within ``RENEWAL_NOTICE_DAYS``.

Pure: plain dates in, plain dataclasses out; no database, no HTTP.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

RENEWAL_NOTICE_DAYS = 90
MAX_RHYTHM_MONTHS = 60


class CadenceError(ValueError):
    """Bad agreement data; ``message_da`` is the plain Danish message for the user."""

    def __init__(self, message_da: str, field: str | None = None) -> None:
        super().__init__(message_da)
        self.message_da = message_da
        self.field = field


class StoredStatus(StrEnum):
    """The status a user sets on an agreement (what the database stores)."""

    DRAFT = "draft"
    ACTIVE = "active"
    ENDED = "ended"
    ARCHIVED = "archived"


class Status(StrEnum):
    """The status shown: the stored one, refined by the dates for an active agreement."""

    DRAFT = "draft"
    ACTIVE = "active"
    UP_FOR_EVALUATION = "evaluation"
    EXPIRED = "expired"
    ENDED = "ended"
    ARCHIVED = "archived"

    @property
    def label_da(self) -> str:
        """The Danish label shown to users."""
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.DRAFT: "Kladde",
    Status.ACTIVE: "Aktiv",
    Status.UP_FOR_EVALUATION: "Til evaluering",
    Status.EXPIRED: "Udløbet",
    Status.ENDED: "Ophørt",
    Status.ARCHIVED: "Arkiveret",
}

STORED_STATUS_LABELS: dict[str, str] = {s.value: STATUS_LABELS[Status(s.value)]
                                        for s in StoredStatus}


class DueKind(StrEnum):
    """What is due on an agreement."""

    EVALUATION = "evaluation"
    RENEWAL = "renewal"

    @property
    def label_da(self) -> str:
        """The Danish label shown to users."""
        return "Evaluering" if self is DueKind.EVALUATION else "Fornyelse"


@dataclass(frozen=True, slots=True)
class Cadence:
    """The dates that decide an agreement's follow-up."""

    start: date
    end: date
    rhythm_months: int
    evaluations: tuple[date, ...] = ()
    stored_status: StoredStatus = StoredStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class CadenceState:
    """What the cadence says on a given day."""

    status: Status
    next_evaluation: date | None
    evaluation_overdue: bool
    renewal_due: bool
    days_to_end: int


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing due on one agreement (for the due list)."""

    key: object
    kind: DueKind
    due_on: date
    overdue: bool
    days_left: int


def validate_period(start: date, end: date) -> None:
    """Refuse an agreement whose end date is before its start date."""
    if end < start:
        raise CadenceError("Slutdatoen ligger før startdatoen. Aftalens periode skal slutte "
                           "samme dag eller efter den starter.", "period_end")


def validate_rhythm(months: int) -> None:
    """Refuse an evaluation rhythm of zero, a negative one or an absurdly long one."""
    if months <= 0:
        raise CadenceError("Evalueringsrytmen skal være mindst 1 måned (fx 3 for hvert "
                           "kvartal eller 12 for hvert år).", "evaluation_months")
    if months > MAX_RHYTHM_MONTHS:
        raise CadenceError(f"Evalueringsrytmen må højst være {MAX_RHYTHM_MONTHS} måneder.",
                           "evaluation_months")


def validate_evaluation(start: date, held_on: date, today: date) -> None:
    """Refuse an evaluation dated before the agreement starts or in the future."""
    if held_on < start:
        raise CadenceError("Evalueringen er dateret før aftalen træder i kraft "
                           f"({_da_date(start)}). Ret datoen.", "held_on")
    if held_on > today:
        raise CadenceError("En evaluering kan ikke registreres med en dato i fremtiden. "
                           "Registrér den, når den er holdt.", "held_on")


def validate(cadence: Cadence) -> None:
    """Check the whole cadence: period, rhythm and every evaluation's date."""
    validate_period(cadence.start, cadence.end)
    validate_rhythm(cadence.rhythm_months)
    for held_on in cadence.evaluations:
        if held_on < cadence.start:
            raise CadenceError("En evaluering er dateret før aftalen træder i kraft "
                               f"({_da_date(cadence.start)}).", "period_start")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def next_evaluation(cadence: Cadence) -> date | None:
    """The next evaluation's due date, or None when it would fall after the end date."""
    validate(cadence)
    latest = max(cadence.evaluations, default=cadence.start)
    due = add_months(latest, cadence.rhythm_months)
    return due if due <= cadence.end else None


def overdue_if_latest_before(today: date, rhythm_months: int) -> date:
    """A running agreement evaluated every ``rhythm_months`` is overdue on ``today`` exactly
    when its latest evaluation (its start when none) is before the day returned: the first
    day whose next evaluation is not before ``today``.

    ``add_months`` only moves forward with the day (it clamps 29–31 January alike to 28
    February), so a database can count overdue agreements by comparing dates, without
    applying the rule to each one.
    """
    day = add_months(today, -rhythm_months)
    while add_months(day, rhythm_months) < today:
        day += timedelta(days=1)
    while add_months(day - timedelta(days=1), rhythm_months) >= today:
        day -= timedelta(days=1)
    return day


def state(cadence: Cadence, today: date, notice_days: int = RENEWAL_NOTICE_DAYS) -> CadenceState:
    """The cadence on ``today``: next evaluation, overdue, renewal due and computed status."""
    due = next_evaluation(cadence)
    days_to_end = (cadence.end - today).days
    running = (cadence.stored_status is StoredStatus.ACTIVE
               and cadence.start <= today <= cadence.end)
    overdue = running and due is not None and due < today
    renewal = running and 0 <= days_to_end <= notice_days
    return CadenceState(
        status=_status(cadence, today, due, renewal),
        next_evaluation=due,
        evaluation_overdue=overdue,
        renewal_due=renewal,
        days_to_end=days_to_end,
    )


def _status(cadence: Cadence, today: date, due: date | None, renewal: bool) -> Status:
    if cadence.stored_status is not StoredStatus.ACTIVE:
        return Status(cadence.stored_status.value)
    if today > cadence.end:
        return Status.EXPIRED
    if today >= cadence.start and (renewal or (due is not None and due <= today)):
        return Status.UP_FOR_EVALUATION
    return Status.ACTIVE


def due_items(cadence: Cadence, today: date, within_days: int, key: object = None) -> list[DueItem]:
    """What falls due on one agreement within ``within_days`` of today, overdue included.

    Only active agreements appear. The renewal appears from its notice window or the
    horizon, whichever is wider, until the end date has passed (then it is expired, not due).
    """
    if within_days < 0:
        raise CadenceError("Antal dage skal være 0 eller flere.", "days")
    if cadence.stored_status is not StoredStatus.ACTIVE:
        return []
    horizon = today + timedelta(days=within_days)
    items: list[DueItem] = []
    due = next_evaluation(cadence)
    if due is not None and due <= horizon and today <= cadence.end:
        items.append(DueItem(key, DueKind.EVALUATION, due, due < today, (due - today).days))
    if today <= cadence.end <= horizon:
        items.append(DueItem(key, DueKind.RENEWAL, cadence.end, False,
                             (cadence.end - today).days))
    return items


def due_list(cadences: Iterable[tuple[object, Cadence]], today: date,
             within_days: int) -> list[DueItem]:
    """Every item due within ``within_days`` across agreements, most urgent first."""
    items: list[DueItem] = []
    for key, cadence in cadences:
        items.extend(due_items(cadence, today, within_days, key))
    return sorted(items, key=lambda item: (item.due_on, item.kind.value))


def evaluations_of(dates: Sequence[date]) -> tuple[date, ...]:
    """Evaluation dates as the sorted tuple a Cadence holds."""
    return tuple(sorted(dates))


def _da_date(day: date) -> str:
    months = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
              "september", "oktober", "november", "december"]
    return f"{day.day}. {months[day.month - 1]} {day.year}"
