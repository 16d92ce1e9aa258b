"""The satisfaction form's pure rules: validation, periods, links and the two shares."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from coordinator.satisfaction import rules


def test_a_form_needs_both_answers_and_a_short_comment():
    assert rules.problems(rules.Draft("high", "yes", "")) == []
    assert [f for f, _ in rules.problems(rules.Draft("", "yes", ""))] == ["support"]
    assert [f for f, _ in rules.problems(rules.Draft("high", "maybe", ""))] == ["process"]
    long = "x" * (rules.COMMENT_MAX + 1)
    assert [f for f, _ in rules.problems(rules.Draft("none", "no", long))] == ["comment"]


@pytest.mark.parametrize("ended,outcome,refused", [
    (None, None, "Registrér udskrivningen først"),
    (date(2026, 3, 9), "answered", "allerede udfyldt"),
    (date(2026, 3, 9), "declined", "ønskede ikke at svare"),
    (date(2026, 3, 9), None, None),
])
def test_a_stay_gets_one_form_after_move_out(ended, outcome, refused):
    reason = rules.answerable(ended, outcome)
    assert (reason is None) if refused is None else (refused in reason)


def test_answers_are_kept_under_the_month_of_the_move_out():
    assert rules.period_of(date(2026, 3, 29)) == date(2026, 3, 1)
    assert rules.period_bounds(date(2026, 1, 15), date(2026, 4, 2)) == (
        date(2026, 1, 1), date(2026, 4, 1))


def test_a_tablet_link_is_a_hashed_one_time_token_that_expires():
    token, hashed = rules.new_token()
    assert len(token) >= 30 and hashed == rules.token_hash(token) and token not in hashed
    assert rules.new_token()[0] != token
    now = datetime(2026, 5, 1, 10, 0)
    expires = rules.link_expires(now)
    assert expires - now == timedelta(hours=rules.TABLET_LINK_HOURS)
    assert rules.link_state(None, expires, now) == "open"
    assert rules.link_state(now, expires, now) == "used"
    assert rules.link_state(None, expires, expires) == "expired"


def test_the_shares_and_their_95_percent_targets():
    # 20 move-outs, 19 answered (95 %); 19 answers, 18 »høj« or »nogen grad« (95 %).
    sat = rules.figures(20, 19, ["high"] * 10 + ["some"] * 8 + ["little"])
    assert (sat.answered.numerator, sat.answered.denominator, sat.answered.percent) == (19, 20, 95)
    assert (sat.supported.numerator, sat.supported.denominator) == (18, 19)
    assert sat.answered_met is True and sat.supported_met is False  # 94.7 % < 95 %
    missed = rules.figures(20, 18, ["high", "none"])
    assert missed.answered_met is False and missed.supported_met is False
    empty = rules.figures(0, 0, [])
    assert empty.answered.percent is None and empty.answered_met is None
    assert empty.supported_met is None


def test_the_distribution_counts_every_choice_in_the_forms_order():
    assert rules.distribution(["some", "high", "some"], rules.SUPPORT_CHOICES) == [
        ("I høj grad", 1), ("I nogen grad", 2), ("I mindre grad", 0), ("Slet ikke", 0)]
