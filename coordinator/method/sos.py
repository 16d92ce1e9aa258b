"""Signs of Safety: who is asked on the safety scale, the scale's rules, and the chart
that follows the scale over meetings.

Pure: plain values in, plain values out. The chart is server-made SVG built with
ElementTree (every label escaped, colours as presentation attributes for the CSP) and is
always shown beside a table with the same numbers.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

# The groups the safety scale is asked of, as the method names them.
GROUPS: dict[str, str] = {"family": "Familien", "network": "Netværket",
                          "professional": "Fagpersoner"}
# A participant's category (meetings.kinds.ParticipantCategory) → the group asked.
CATEGORY_GROUP: dict[str, str] = {"family": "family", "private_network": "network",
                                  "professional": "professional"}
# The meeting kinds a mapping is made in: network meetings and familierådslagning.
MAPPING_KINDS = frozenset({"netvaerksmoede", "familieraadslagning",
                           "familieraadslagning_followup"})
SCALE_MIN, SCALE_MAX = 0, 10
FAMILY_AS_WHOLE = "familien"  # the choice "the family as a whole", not one participant
COLOURS = {"family": "#0b5cad", "network": "#1a7f37", "professional": "#8a4b00"}
TEXT_FILL = "#1b1f24"
GRID_FILL = "#c9d1db"


class SosError(ValueError):
    """A mapping or scale answer that breaks a rule; ``message_da`` is shown."""

    def __init__(self, message_da: str, field: str | None = None) -> None:
        super().__init__(message_da)
        self.message_da = message_da
        self.field = field


def group_of_category(category: str) -> str:
    """The asked group of a meeting participant's category."""
    return CATEGORY_GROUP.get(category, "professional")


def validate_score(score: int | None) -> int:
    """A safety-scale answer is a whole number from 0 to 10."""
    if score is None or not SCALE_MIN <= score <= SCALE_MAX:
        raise SosError("Sikkerhedsskalaen går fra 0 til 10.", "score")
    return score


def validate_mapping(worries: str, working_well: str, needs_to_happen: str) -> None:
    """A mapping says something in at least one of its three columns."""
    if not (worries.strip() or working_well.strip() or needs_to_happen.strip()):
        raise SosError("Udfyld mindst én af de tre kolonner: bekymringer, det der går godt, "
                       "eller det der skal ske.", "worries")


@dataclass(frozen=True)
class ScalePoint:
    """One scale answer as the chart reads it."""

    meeting_id: int
    meeting_label: str
    held_on: date | None
    group: str
    score: int


@dataclass(frozen=True)
class SeriesRow:
    """One meeting's column of the chart: the average per group (None: not asked)."""

    meeting_id: int
    label: str
    held_on: date | None
    averages: dict[str, float | None]


def series(points: list[ScalePoint]) -> list[SeriesRow]:
    """The average answer per group per meeting, meetings in the order they were held
    (undated meetings last, by id)."""
    by_meeting: dict[int, list[ScalePoint]] = {}
    for point in points:
        by_meeting.setdefault(point.meeting_id, []).append(point)
    rows = []
    for meeting_id, answers in by_meeting.items():
        averages: dict[str, float | None] = {}
        for group in GROUPS:
            scores = [a.score for a in answers if a.group == group]
            averages[group] = round(sum(scores) / len(scores), 1) if scores else None
        first = answers[0]
        rows.append(SeriesRow(meeting_id, first.meeting_label, first.held_on, averages))
    return sorted(rows, key=lambda r: (r.held_on is None, r.held_on or date.min, r.meeting_id))


def chart_svg(rows: list[SeriesRow], title: str, width: int = 640, height: int = 240) -> str:
    """A line chart of the scale (0–10) per group over the meetings; a point per answer
    average, labelled with its value. Empty string when there is nothing to draw."""
    if not rows:
        return ""
    prefix = "sos-" + hashlib.sha1(title.encode()).hexdigest()[:10]
    desc = ("Sikkerhedsskala 0–10 pr. møde for " + ", ".join(GROUPS.values()).lower()
            + ". Tallene står også i tabellen under grafen.")
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {width} {height}",
        "width": "100%", "role": "img", "aria-labelledby": f"{prefix}-title {prefix}-desc",
        "font-family": "system-ui, Arial, sans-serif", "font-size": "12"})
    ET.SubElement(root, "title", {"id": f"{prefix}-title"}).text = title
    ET.SubElement(root, "desc", {"id": f"{prefix}-desc"}).text = desc
    left, right, top, bottom = 36, 16, 12, 48
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(value: float) -> float:
        return top + plot_h * (1 - value / SCALE_MAX)

    for tick in (0, 5, 10):
        ET.SubElement(root, "line", {"x1": str(left), "x2": str(width - right),
                                     "y1": f"{y(tick):.1f}", "y2": f"{y(tick):.1f}",
                                     "stroke": GRID_FILL})
        ET.SubElement(root, "text", {"x": str(left - 6), "y": f"{y(tick) + 4:.1f}",
                                     "text-anchor": "end", "fill": TEXT_FILL}).text = str(tick)
    step = plot_w / max(len(rows), 1)

    def x(index: int) -> float:
        return left + step * index + step / 2

    for index, row in enumerate(rows):
        ET.SubElement(root, "text", {"x": f"{x(index):.1f}", "y": str(height - bottom + 18),
                                     "text-anchor": "middle", "fill": TEXT_FILL}).text = (
            row.held_on.strftime("%d.%m.%Y") if row.held_on else f"Møde {index + 1}")
    for legend_index, (group, label) in enumerate(GROUPS.items()):
        lx = left + legend_index * 150
        ET.SubElement(root, "rect", {"x": str(lx), "y": str(height - 16), "width": "12",
                                     "height": "12", "fill": COLOURS[group]})
        ET.SubElement(root, "text", {"x": str(lx + 16), "y": str(height - 6),
                                     "fill": TEXT_FILL}).text = label
        points = [(x(i), y(v)) for i, r in enumerate(rows)
                  if (v := r.averages.get(group)) is not None]
        if len(points) > 1:
            ET.SubElement(root, "polyline", {
                "points": " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                "fill": "none", "stroke": COLOURS[group], "stroke-width": "2"})
        for i, r in enumerate(rows):
            value = r.averages.get(group)
            if value is None:
                continue
            ET.SubElement(root, "circle", {"cx": f"{x(i):.1f}", "cy": f"{y(value):.1f}",
                                           "r": "4", "fill": COLOURS[group]})
            ET.SubElement(root, "text", {"x": f"{x(i) + 6:.1f}", "y": f"{y(value) - 6:.1f}",
                                         "fill": COLOURS[group]}).text = f"{value:g}"
    return ET.tostring(root, encoding="unicode")
