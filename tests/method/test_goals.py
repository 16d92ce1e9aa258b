"""The handleplan's pure rules: cadence, the next evaluation and its state, validation."""

from datetime import date

import pytest

from coordinator.method import goals


@pytest.mark.parametrize(("day", "cadence", "expected"), [
    (date(2026, 1, 31), "monthly", date(2026, 2, 28)),
    (date(2028, 1, 31), "monthly", date(2028, 2, 29)),
    (date(2026, 1, 15), "quarterly", date(2026, 4, 15)),
    (date(2026, 11, 30), "quarterly", date(2027, 2, 28)),
    (date(2026, 3, 1), "half_yearly", date(2026, 9, 1)),
    (date(2026, 12, 25), "biweekly", date(2027, 1, 8)),
])
def test_one_cadence_step(day, cadence, expected):
    assert goals.after(day, cadence) == expected


def test_unknown_cadence_is_refused_in_danish():
    with pytest.raises(goals.GoalError) as refused:
        goals.after(date(2026, 1, 1), "yearly")
    assert "evalueres" in refused.value.message_da


def test_next_evaluation_counts_from_the_latest_evaluation_or_the_start():
    start = date(2026, 1, 10)
    assert goals.next_evaluation(start, "quarterly", [], "not_started") == date(2026, 4, 10)
    evaluated = [date(2026, 2, 1), date(2026, 5, 20), date(2026, 3, 3)]
    assert goals.next_evaluation(start, "quarterly", evaluated, "in_progress") == date(2026, 8, 20)
    assert goals.next_evaluation(start, "monthly", evaluated, "in_progress") == date(2026, 6, 20)


def test_a_reached_goal_is_not_evaluated_again():
    assert goals.next_evaluation(date(2026, 1, 10), "monthly", [], "reached") is None
    assert goals.due_state(None, date(2026, 1, 10)).state == "none"


@pytest.mark.parametrize(("next_on", "today", "state"), [
    (date(2026, 5, 1), date(2026, 5, 3), "overdue"),
    (date(2026, 5, 3), date(2026, 5, 3), "today"),
    (date(2026, 5, 17), date(2026, 5, 3), "soon"),
    (date(2026, 5, 18), date(2026, 5, 3), "later"),
])
def test_due_state(next_on, today, state):
    due = goals.due_state(next_on, today)
    assert due.state == state and due.on == next_on
    assert due.text


def test_overdue_text_names_the_days():
    assert "2 dag" in goals.due_state(date(2026, 5, 1), date(2026, 5, 3)).text


def test_is_due_within_a_window():
    today = date(2026, 6, 1)
    assert goals.is_due(date(2026, 5, 1), today)
    assert not goals.is_due(date(2026, 6, 10), today)
    assert goals.is_due(date(2026, 6, 10), today, within_days=14)
    assert not goals.is_due(None, today, within_days=400)


@pytest.mark.parametrize(("title", "period", "cadence", "starts", "field"), [
    ("", "stay", "monthly", date(2026, 6, 1), "title"),
    ("Bolig", "later", "monthly", date(2026, 6, 1), "period"),
    ("Bolig", "stay", "weekly", date(2026, 6, 1), "cadence"),
    ("Bolig", "stay", "monthly", date(2027, 8, 1), "starts_on"),
    ("Bolig", "after_care", "monthly", date(2020, 1, 1), "starts_on"),
])
def test_invalid_goals_are_refused_at_their_field(title, period, cadence, starts, field):
    with pytest.raises(goals.GoalError) as refused:
        goals.validate_goal(title, period, cadence, starts, date(2026, 6, 1))
    assert refused.value.field == field


def test_a_valid_goal_passes():
    goals.validate_goal("Bolig", "after_care", "quarterly", date(2026, 7, 1), date(2026, 6, 1))


@pytest.mark.parametrize(("progress", "on", "field"), [
    ("done", date(2026, 6, 1), "progress"),
    ("reached", date(2026, 6, 2), "evaluated_on"),
    ("reached", date(2026, 4, 30), "evaluated_on"),
])
def test_invalid_evaluations_are_refused(progress, on, field):
    with pytest.raises(goals.GoalError) as refused:
        goals.validate_evaluation(progress, on, date(2026, 5, 1), date(2026, 6, 1))
    assert refused.value.field == field


def test_a_valid_evaluation_passes():
    goals.validate_evaluation("in_progress", date(2026, 6, 1), date(2026, 5, 1), date(2026, 6, 1))
