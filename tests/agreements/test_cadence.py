"""The pure cadence rules of cooperation agreements."""

from datetime import date

import pytest

from coordinator.agreements.cadence import (
    Cadence,
    CadenceError,
    DueKind,
    Status,
    StoredStatus,
    add_months,
    due_items,
    due_list,
    next_evaluation,
    state,
    validate,
    validate_evaluation,
    validate_period,
    validate_rhythm,
)

D = date


@pytest.mark.parametrize("day, months, expected", [
    (D(2025, 1, 1), 3, D(2025, 4, 1)),
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 11, 15), 3, D(2026, 2, 15)),
    (D(2025, 12, 31), 12, D(2026, 12, 31)),
    (D(2025, 8, 31), 6, D(2026, 2, 28)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


YEAR = (D(2025, 1, 1), D(2026, 12, 31))


@pytest.mark.parametrize("rhythm, evaluations, expected", [
    (3, (), D(2025, 4, 1)),
    (12, (), D(2026, 1, 1)),
    (3, (D(2025, 4, 10),), D(2025, 7, 10)),
    (3, (D(2025, 9, 30), D(2025, 4, 1)), D(2025, 12, 30)),  # the latest counts, not the order
    (12, (D(2026, 1, 15),), None),  # 15 Jan 2027 is after the end: renewal instead
    (6, (D(2026, 6, 30),), D(2026, 12, 30)),
    (6, (D(2026, 7, 1),), None),
])
def test_next_evaluation(rhythm, evaluations, expected):
    cadence = Cadence(*YEAR, rhythm, evaluations)
    assert next_evaluation(cadence) == expected


@pytest.mark.parametrize("today, rhythm, evaluations, stored, status, overdue, renewal", [
    # before the first evaluation is due
    (D(2025, 2, 1), 3, (), StoredStatus.ACTIVE, Status.ACTIVE, False, False),
    # due today: up for evaluation, not yet overdue
    (D(2025, 4, 1), 3, (), StoredStatus.ACTIVE, Status.UP_FOR_EVALUATION, False, False),
    # a day late: overdue
    (D(2025, 4, 2), 3, (), StoredStatus.ACTIVE, Status.UP_FOR_EVALUATION, True, False),
    # evaluated in time: active again
    (D(2025, 5, 1), 3, (D(2025, 3, 28),), StoredStatus.ACTIVE, Status.ACTIVE, False, False),
    # end within 90 days: renewal due
    (D(2026, 10, 15), 12, (D(2026, 1, 10),), StoredStatus.ACTIVE, Status.UP_FOR_EVALUATION,
     False, True),
    # 91 days before the end: not yet
    (D(2026, 10, 1), 12, (D(2026, 1, 10),), StoredStatus.ACTIVE, Status.ACTIVE, False, False),
    # the last day still runs
    (D(2026, 12, 31), 12, (D(2026, 1, 10),), StoredStatus.ACTIVE, Status.UP_FOR_EVALUATION,
     False, True),
    # after the end: expired, nothing due any more
    (D(2027, 1, 1), 3, (), StoredStatus.ACTIVE, Status.EXPIRED, False, False),
    # not started yet: nothing overdue
    (D(2024, 6, 1), 3, (), StoredStatus.ACTIVE, Status.ACTIVE, False, False),
    # the stored status wins for draft, ended and archived agreements
    (D(2025, 9, 1), 3, (), StoredStatus.DRAFT, Status.DRAFT, False, False),
    (D(2025, 9, 1), 3, (), StoredStatus.ENDED, Status.ENDED, False, False),
    (D(2026, 12, 1), 3, (), StoredStatus.ARCHIVED, Status.ARCHIVED, False, False),
])
def test_state(today, rhythm, evaluations, stored, status, overdue, renewal):
    result = state(Cadence(*YEAR, rhythm, evaluations, stored), today)
    assert (result.status, result.evaluation_overdue, result.renewal_due) == (
        status, overdue, renewal)
    assert result.days_to_end == (YEAR[1] - today).days


@pytest.mark.parametrize("today, days, rhythm, evaluations, expected", [
    # nothing within the horizon
    (D(2025, 2, 1), 30, 3, (), []),
    # the evaluation enters the horizon
    (D(2025, 3, 5), 30, 3, (), [(DueKind.EVALUATION, D(2025, 4, 1), False)]),
    # overdue evaluations are listed whatever the horizon
    (D(2025, 6, 1), 0, 3, (), [(DueKind.EVALUATION, D(2025, 4, 1), True)]),
    # renewal within the horizon
    (D(2026, 12, 1), 60, 12, (D(2026, 1, 5),), [(DueKind.RENEWAL, D(2026, 12, 31), False)]),
    # both, ordered by date
    (D(2026, 11, 1), 90, 3, (D(2026, 8, 1),),
     [(DueKind.EVALUATION, D(2026, 11, 1), False), (DueKind.RENEWAL, D(2026, 12, 31), False)]),
    # expired: nothing due (it shows as expired instead)
    (D(2027, 2, 1), 365, 3, (), []),
])
def test_due_items(today, days, rhythm, evaluations, expected):
    items = due_items(Cadence(*YEAR, rhythm, evaluations), today, days)
    assert [(i.kind, i.due_on, i.overdue) for i in items] == expected


@pytest.mark.parametrize("stored", [StoredStatus.DRAFT, StoredStatus.ENDED, StoredStatus.ARCHIVED])
def test_only_active_agreements_are_due(stored):
    assert due_items(Cadence(*YEAR, 3, (), stored), D(2025, 6, 1), 365) == []


def test_due_list_across_agreements_most_urgent_first():
    cadences = [
        ("bic", Cadence(*YEAR, 12)),
        ("skole", Cadence(D(2025, 8, 1), D(2027, 7, 31), 6, (D(2025, 11, 1),))),
        ("spilopper", Cadence(D(2024, 1, 1), D(2026, 1, 31), 6, (D(2025, 1, 1),))),
    ]
    items = due_list(cadences, D(2025, 11, 20), 75)
    assert [(i.key, i.kind, i.due_on, i.overdue) for i in items] == [
        ("spilopper", DueKind.EVALUATION, D(2025, 7, 1), True),
        ("bic", DueKind.EVALUATION, D(2026, 1, 1), False),
        ("spilopper", DueKind.RENEWAL, D(2026, 1, 31), False),
    ]
    assert items[1].days_left == 42


@pytest.mark.parametrize("call, fragment", [
    (lambda: validate_period(D(2026, 1, 1), D(2025, 12, 31)), "Slutdatoen ligger før startdatoen"),
    (lambda: validate_rhythm(0), "mindst 1 måned"),
    (lambda: validate_rhythm(-3), "mindst 1 måned"),
    (lambda: validate_rhythm(61), "højst være 60"),
    (lambda: validate_evaluation(D(2025, 1, 1), D(2024, 12, 31), D(2025, 6, 1)),
     "før aftalen træder i kraft (1. januar 2025)"),
    (lambda: validate_evaluation(D(2025, 1, 1), D(2025, 6, 2), D(2025, 6, 1)), "i fremtiden"),
    (lambda: validate(Cadence(D(2025, 1, 1), D(2025, 12, 1), 3, (D(2024, 5, 1),))),
     "før aftalen træder i kraft"),
    (lambda: next_evaluation(Cadence(D(2025, 1, 1), D(2025, 12, 1), 0)), "mindst 1 måned"),
    (lambda: state(Cadence(D(2025, 1, 1), D(2024, 12, 1), 3), D(2025, 1, 1)), "Slutdatoen"),
    (lambda: due_items(Cadence(*YEAR, 3), D(2025, 1, 1), -1), "0 eller flere"),
])
def test_bad_input_gives_a_danish_message(call, fragment):
    with pytest.raises(CadenceError) as error:
        call()
    assert fragment in error.value.message_da
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("start, end, rhythm, held", [
    (D(2025, 1, 1), D(2025, 1, 1), 1, D(2025, 1, 1)),  # one-day agreement, evaluated that day
    (D(2025, 1, 1), D(2026, 12, 31), 60, D(2026, 12, 31)),
])
def test_boundaries_are_accepted(start, end, rhythm, held):
    validate_period(start, end)
    validate_rhythm(rhythm)
    validate_evaluation(start, held, held)
