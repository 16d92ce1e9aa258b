"""Server-rendered SVG charts with the numbers written beside the bars (no JavaScript).

Charts are built with ElementTree so every label is escaped; colours are SVG presentation
attributes (the CSP forbids style attributes). Each chart has a <title> and <desc> and the
page shows the same numbers as text, so nothing depends on seeing the chart.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

BAR_FILL = "#0b5cad"
TRACK_FILL = "#e3e8ef"
TEXT_FILL = "#1b1f24"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value and the maximum it is drawn against."""

    label: str
    value: float
    maximum: float
    text: str  # what is written beside the bar, e.g. "18 af 24 (75 %)"


def _svg(width: int, height: int, title: str, desc: str) -> ET.Element:
    # Ids derived from the title: several charts on one page each name their own title.
    prefix = "chart-" + hashlib.sha1(title.encode()).hexdigest()[:10]
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {width} {height}",
        "width": "100%", "role": "img", "aria-labelledby": f"{prefix}-title {prefix}-desc",
        "font-family": "system-ui, Arial, sans-serif", "font-size": "14",
    })
    ET.SubElement(root, "title", {"id": f"{prefix}-title"}).text = title
    ET.SubElement(root, "desc", {"id": f"{prefix}-desc"}).text = desc
    return root


def horizontal_bars(bars: list[Bar], title: str, desc: str, width: int = 720) -> str:
    """A horizontal bar chart: label above each bar, the numbers to its right."""
    row_height = 52
    label_gap = 18
    bar_height = 20
    track_width = int(width * 0.62)
    height = max(row_height * len(bars) + 10, 40)
    root = _svg(width, height, title, desc)
    for index, bar in enumerate(bars):
        top = index * row_height + 4
        group = ET.SubElement(root, "g")
        ET.SubElement(group, "text", {"x": "0", "y": str(top + 14), "fill": TEXT_FILL}).text = bar.label
        bar_top = top + label_gap + 2
        ET.SubElement(group, "rect", {"x": "0", "y": str(bar_top), "width": str(track_width),
                                      "height": str(bar_height), "fill": TRACK_FILL, "rx": "3"})
        fraction = 0.0 if bar.maximum <= 0 else max(0.0, min(1.0, bar.value / bar.maximum))
        ET.SubElement(group, "rect", {"x": "0", "y": str(bar_top),
                                      "width": f"{track_width * fraction:.1f}",
                                      "height": str(bar_height), "fill": BAR_FILL, "rx": "3"})
        ET.SubElement(group, "text", {"x": str(track_width + 12), "y": str(bar_top + 15),
                                      "fill": TEXT_FILL, "font-weight": "600"}).text = bar.text
    return ET.tostring(root, encoding="unicode")


def column_chart(values: dict[str, int], title: str, desc: str, width: int = 720,
                 height: int = 220) -> str:
    """Vertical columns (e.g. returning families per year) with the count above each."""
    root = _svg(width, height, title, desc)
    if not values:
        ET.SubElement(root, "text", {"x": "0", "y": "24", "fill": TEXT_FILL}).text = "Ingen data i perioden"
        return ET.tostring(root, encoding="unicode")
    peak = max(values.values()) or 1
    slot = width / len(values)
    column = min(60.0, slot * 0.6)
    baseline = height - 28
    for index, (label, value) in enumerate(values.items()):
        centre = slot * index + slot / 2
        column_height = (baseline - 30) * value / peak
        ET.SubElement(root, "rect", {"x": f"{centre - column / 2:.1f}",
                                     "y": f"{baseline - column_height:.1f}",
                                     "width": f"{column:.1f}", "height": f"{column_height:.1f}",
                                     "fill": BAR_FILL})
        ET.SubElement(root, "text", {"x": f"{centre:.1f}", "y": f"{baseline - column_height - 6:.1f}",
                                     "text-anchor": "middle", "fill": TEXT_FILL,
                                     "font-weight": "600"}).text = str(value)
        ET.SubElement(root, "text", {"x": f"{centre:.1f}", "y": str(height - 8),
                                     "text-anchor": "middle", "fill": TEXT_FILL}).text = label
    return ET.tostring(root, encoding="unicode")
