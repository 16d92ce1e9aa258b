"""Signs of Safety's pure rules: the scale, the mapping, the series and the chart."""

from datetime import date
from xml.etree import ElementTree as ET

import pytest

from coordinator.method import sos


@pytest.mark.parametrize("score", [0, 5, 10])
def test_scale_accepts_0_to_10(score):
    assert sos.validate_score(score) == score


@pytest.mark.parametrize("score", [-1, 11, None])
def test_scale_refuses_outside_0_to_10(score):
    with pytest.raises(sos.SosError) as refused:
        sos.validate_score(score)
    assert "0 til 10" in refused.value.message_da and refused.value.field == "score"


def test_a_mapping_must_say_something():
    with pytest.raises(sos.SosError):
        sos.validate_mapping(" ", "", "\n")
    sos.validate_mapping("", "Mormor hjælper", "")


@pytest.mark.parametrize(("category", "group"), [
    ("family", "family"), ("private_network", "network"), ("professional", "professional"),
    ("unknown", "professional")])
def test_participant_categories_map_to_asked_groups(category, group):
    assert sos.group_of_category(category) == group


def _point(meeting, held, group, score):
    return sos.ScalePoint(meeting, f"Møde {meeting}", held, group, score)


def test_series_averages_per_group_in_held_order():
    rows = sos.series([
        _point(2, date(2026, 5, 1), "family", 6), _point(2, date(2026, 5, 1), "family", 7),
        _point(1, date(2026, 3, 1), "network", 3), _point(3, None, "professional", 9),
        _point(2, date(2026, 5, 1), "professional", 5),
    ])
    assert [r.meeting_id for r in rows] == [1, 2, 3]
    assert rows[0].averages == {"family": None, "network": 3.0, "professional": None}
    assert rows[1].averages == {"family": 6.5, "network": None, "professional": 5.0}


def test_chart_is_valid_svg_with_title_and_a_point_per_answer():
    rows = sos.series([_point(1, date(2026, 3, 1), "family", 3),
                       _point(2, date(2026, 5, 1), "family", 6),
                       _point(2, date(2026, 5, 1), "network", 8)])
    svg = sos.chart_svg(rows, "Skala <Familien & co>")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "Skala <Familien & co>"
    assert len(root.findall(f"{ns}circle")) == 3
    assert len(root.findall(f"{ns}polyline")) == 1  # the family's two points are joined
    assert "01.03.2026" in svg and "05.2026" in svg


def test_no_answers_no_chart():
    assert sos.chart_svg([], "Tom") == ""
