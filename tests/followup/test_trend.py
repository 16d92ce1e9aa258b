"""The pure rules of one success criterion: the trend's periods, the points against the
target, the chart and its text alternative, and which follow-ups were missed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from coordinator.followup import criteria, trend
from coordinator.followup.criteria import Share


def test_months_reach_back_a_year_and_stop_at_today():
    points = trend.periods(trend.MONTH, date(2026, 2, 14))
    assert len(points) == 12
    assert (points[0].label, points[0].start, points[0].end) == (
        "mar. 2025", date(2025, 3, 1), date(2025, 3, 31))
    assert (points[-2].start, points[-2].end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert (points[-1].label, points[-1].start, points[-1].end) == (
        "feb. 2026", date(2026, 2, 1), date(2026, 2, 14))


def test_quarters_begin_on_quarter_days_and_cross_the_year():
    points = trend.periods(trend.QUARTER, date(2026, 5, 3), points=3)
    assert [(p.label, p.start, p.end) for p in points] == [
        ("4. kvt. 2025", date(2025, 10, 1), date(2025, 12, 31)),
        ("1. kvt. 2026", date(2026, 1, 1), date(2026, 3, 31)),
        ("2. kvt. 2026", date(2026, 4, 1), date(2026, 5, 3))]
    assert len(trend.periods(trend.QUARTER, date(2026, 12, 31))) == 8


def test_an_unknown_grain_is_refused():
    with pytest.raises(ValueError):
        trend.periods("uge", date(2026, 1, 1))


def test_every_criterion_of_the_seeds_has_a_target():
    keys = [c.key for c in trend.CRITERIA]
    assert keys == ["familieraadslagning", "bic", "trappe", "handleplan", "opfoelgning",
                    "besvaret", "stoette"]
    assert trend.BY_KEY["besvaret"].target_percent == 95
    assert trend.BY_KEY["stoette"].target_percent == 95
    assert all(0 < c.target_percent <= 100 for c in trend.CRITERIA)


def test_points_are_judged_against_the_target_and_read_out_in_the_text_alternative():
    criterion = trend.BY_KEY["besvaret"]
    periods = trend.periods(trend.QUARTER, date(2026, 5, 3), points=3)
    points = trend.trend(criterion, [(periods[0], Share("x", 19, 20)),
                                     (periods[1], Share("x", 9, 10)),
                                     (periods[2], Share("x", 0, 0))])
    assert [p.reached for p in points] == [True, False, None]
    assert points[0].text == "19 af 20 (95 %)" and points[2].text == "ingen at måle på"
    text = trend.summary(criterion, points)
    assert text.startswith("Mål 95 %.") and "1. kvt. 2026: 9 af 10 (90 %)" in text
    svg = ET.fromstring(trend.chart(criterion, points))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    assert svg.find(f"{ns}title").text == "Tilfredshedsskemaet besvaret: udvikling"
    assert svg.find(f"{ns}desc").text == text
    assert len(svg.findall(f"{ns}rect")) == 2  # no column where there is nothing to measure
    assert any(line.get("stroke-dasharray") for line in svg.findall(f"{ns}line"))


def test_a_follow_up_is_missed_when_late_or_not_held_after_the_grace_period():
    rows = [(1, 10, date(2026, 3, 1), date(2026, 3, 8)),   # on time (7 days)
            (2, 11, date(2026, 3, 1), date(2026, 3, 9)),   # late
            (3, 12, date(2026, 3, 20), None),              # not held, grace run out
            (4, 13, date(2026, 3, 28), None),              # not held, still within grace
            (5, 14, date(2026, 2, 1), None),               # due before the period
            (6, 15, None, None)]                           # no follow-up rule
    misses = trend.followup_misses(rows, date(2026, 3, 1), date(2026, 3, 31),
                                   date(2026, 4, 1), 7)
    assert [(m.family_id, m.held_on) for m in misses] == [(2, date(2026, 3, 9)), (3, None)]


def test_the_charted_shares_are_their_criteria_s_and_each_says_how_it_is_counted():
    figures = criteria.from_counts(criteria.Counts(10, 5, 4, 2, 3, 1), {})
    charted = trend.charted(figures)
    assert [share.label for share, _ in charted] == [c.label for _, c in charted]
    assert [c.key for _, c in charted] == ["familieraadslagning", "bic", "opfoelgning"]
    assert all(c.explained for _, c in charted)
