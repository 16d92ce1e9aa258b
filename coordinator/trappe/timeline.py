"""A child's path on Randers-trappen as a small server-made SVG (no JavaScript).

Step 4 (børn i svære vanskeligheder) is drawn at the top, step 1 at the bottom, one dot per
assessment in force, oldest to the left. Built with ElementTree so every label is escaped;
the page shows the same points as a table, so nothing depends on seeing the chart.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date

from coordinator.trappe.rules import STEPS

LINE = "#0b5cad"
GRID = "#e3e8ef"
TEXT = "#1b1f24"
STEP_FILL = {1: "#2e7d32", 2: "#9a6700", 3: "#c2410c", 4: "#b3261e"}


def da_date(day: date) -> str:
    """A date as the Danish pages write it (3.12.2026)."""
    return f"{day.day}.{day.month}.{day.year}"


def svg(child_name: str, points: Sequence[tuple[date, int]], width: int = 480) -> str:
    """The timeline of one child: ``points`` are (day, step), oldest first."""
    row = 22
    left, top = 185, 10
    height = top + row * len(STEPS) + 28
    prefix = "trappe-" + hashlib.sha1(
        (child_name + repr(list(points))).encode()).hexdigest()[:10]
    title = f"Randers-trappen for {child_name}"
    if points:
        desc = "Trin over tid: " + "; ".join(f"{da_date(d)}: trin {s} ({STEPS[s]})"
                                            for d, s in points) + "."
    else:
        desc = "Ingen vurderinger endnu."
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {width} {height}",
        "width": str(width), "height": str(height), "role": "img", "aria-labelledby": f"{prefix}-title {prefix}-desc",
        "font-family": "system-ui, Arial, sans-serif", "font-size": "12",
    })
    ET.SubElement(root, "title", {"id": f"{prefix}-title"}).text = title
    ET.SubElement(root, "desc", {"id": f"{prefix}-desc"}).text = desc

    def y_of(step: int) -> float:
        return top + row * (len(STEPS) - step) + row / 2

    for step, label in STEPS.items():
        y = y_of(step)
        ET.SubElement(root, "line", {"x1": str(left), "x2": str(width - 10), "y1": f"{y:.1f}",
                                     "y2": f"{y:.1f}", "stroke": GRID})
        ET.SubElement(root, "text", {"x": "0", "y": f"{y + 4:.1f}", "fill": TEXT}).text = (
            f"{step}. {label}")
    if not points:
        ET.SubElement(root, "text", {"x": str(left), "y": str(height - 8), "fill": TEXT}).text = (
            "Ingen vurderinger endnu")
        return ET.tostring(root, encoding="unicode")
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    inner = width - 10 - left - 20

    def x_of(day: date) -> float:
        if len(points) == 1:
            return left + 10
        return left + 10 + inner * (day - first).days / span

    coords = [(x_of(d), y_of(s)) for d, s in points]
    if len(coords) > 1:
        ET.SubElement(root, "polyline", {
            "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
            "fill": "none", "stroke": LINE, "stroke-width": "2"})
    for (x, y), (_, step) in zip(coords, points, strict=True):
        ET.SubElement(root, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "5",
                                       "fill": STEP_FILL[step]})
    base = str(height - 8)
    ET.SubElement(root, "text", {"x": f"{coords[0][0]:.1f}", "y": base, "fill": TEXT}).text = (
        da_date(first))
    if len(points) > 1:
        ET.SubElement(root, "text", {"x": f"{coords[-1][0]:.1f}", "y": base, "fill": TEXT,
                                     "text-anchor": "end"}).text = da_date(last)
    return ET.tostring(root, encoding="unicode")
