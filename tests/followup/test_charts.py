"""Charts are well-formed, escaped, accessible SVG with the numbers in them."""

import xml.etree.ElementTree as ET

from coordinator.followup.charts import Bar, column_chart, horizontal_bars

NS = "{http://www.w3.org/2000/svg}"


def test_horizontal_bars_write_the_numbers_and_escape_labels():
    svg = horizontal_bars([Bar("<Vurderet & klar>", 3, 4, "3 af 4 (75 %)"),
                           Bar("Ingen", 0, 0, "ingen familier")], "Titel", "Beskrivelse")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "<Vurderet & klar>" in texts and "3 af 4 (75 %)" in texts
    assert "style=" not in svg and "<script" not in svg
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    assert widths[1] == widths[0] * 0.75  # 3 of 4 fills three quarters of the track
    assert widths[3] == 0.0


def test_column_chart_has_a_column_per_year_and_handles_empty():
    root = ET.fromstring(column_chart({"2025": 2, "2026": 4}, "T", "D"))
    assert len(list(root.iter(f"{NS}rect"))) == 2
    empty = column_chart({}, "T", "D")
    assert "Ingen data" in empty


def test_two_charts_on_one_page_have_distinct_ids():
    first = ET.fromstring(horizontal_bars([Bar("a", 1, 2, "1 af 2")], "Første", "D"))
    second = ET.fromstring(column_chart({"2026": 1}, "Anden", "D"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")
    for root in (first, second):
        ids = {el.get("id") for el in root.iter() if el.get("id")}
        assert set(root.get("aria-labelledby").split()) == ids
