"""The success-criteria figures on known data."""

from datetime import date

import pytest

from coordinator.followup.criteria import FamilyFacts, Share, compute, on_time


def facts(family_id, **kw):
    base = dict(current=True, at_crisis_centre=True, fgc_assessed=False, father_assessed=False)
    base.update(kw)
    return FamilyFacts(family_id=family_id, **base)


def test_shares_over_current_families_only():
    families = [
        facts(1, fgc_assessed=True, father_assessed=True, followups_due=2, followups_on_time=2),
        facts(2, fgc_assessed=True, followups_due=1, followups_on_time=0),
        facts(3, at_crisis_centre=False, fgc_assessed=False, father_assessed=False),
        facts(4, current=False, fgc_assessed=False, followups_due=5),  # closed: not counted
    ]
    result = compute(families, agreements_overdue=3)
    assert (result.fgc_assessed.numerator, result.fgc_assessed.denominator) == (2, 3)
    # The father assessment is required for families at the crisis centre only.
    assert (result.father_assessed.numerator, result.father_assessed.denominator) == (1, 2)
    assert (result.followups_on_time.numerator, result.followups_on_time.denominator) == (2, 3)
    assert result.agreements_overdue == 3


def test_returning_families_per_year_counts_every_stay_after_the_first():
    families = [
        facts(1, stay_years=(2024, 2026)),
        facts(2, stay_years=(2025,)),
        facts(3, current=False, stay_years=(2024, 2025, 2026)),
    ]
    assert compute(families).returning_by_year == {2025: 1, 2026: 2}


@pytest.mark.parametrize("numerator,denominator,percent", [
    (0, 0, None), (0, 3, 0), (1, 3, 33), (2, 3, 67), (1, 2, 50), (1, 8, 13), (3, 3, 100),
])
def test_percent_rounds_half_up(numerator, denominator, percent):
    assert Share("x", numerator, denominator).percent == percent


@pytest.mark.parametrize("due,held,expected", [
    (date(2026, 3, 2), date(2026, 3, 2), True),
    (date(2026, 3, 2), date(2026, 3, 9), True),
    (date(2026, 3, 2), date(2026, 3, 10), False),
    (date(2026, 3, 2), None, False),
    (date(2026, 3, 2), date(2026, 2, 1), True),
])
def test_on_time(due, held, expected):
    assert on_time(due, held) is expected
