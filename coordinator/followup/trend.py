"""The success criteria one by one: each with its target, its trend per month or quarter,
and what its drill-down lists (no DB, no HTTP).

The periods are computed from a day the caller takes from ``coordinator.clock``; nothing
here reads the clock. The trend chart is server-rendered SVG (ElementTree, every label
escaped) with a <title> and <desc>, and the page writes the same numbers in a table.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from coordinator.followup.criteria import Criteria, Share, reaches_target

MONTH = "maaned"
QUARTER = "kvartal"
GRAINS = {MONTH: "Pr. måned", QUARTER: "Pr. kvartal"}
POINTS = {MONTH: 12, QUARTER: 8}  # how far back the trend reaches

MONTHS_DA = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.",
             "okt.", "nov.", "dec.")


@dataclass(frozen=True)
class Criterion:
    """One success criterion: its key (the address), label, target and how it is counted."""

    key: str
    label: str
    target_percent: int
    counted: str   # how the share is counted (Danish, for the page)
    missing: str   # what the drill-down lists (Danish)
    # how the success-criteria page's table says it is counted, for the criteria it charts
    explained: str = ""


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        key="familieraadslagning",
        label="Vurderet for familierådslagning",
        target_percent=100,
        counted=("Aktuelle familier med en registreret vurdering af, om en familierådslagning er mulig, af alle "
                 "aktuelle familier."),
        missing="Aktuelle familier uden en vurdering af familierådslagning.",
        explained="Familier med en registreret vurdering af, om en familierådslagning er mulig.",
    ),
    Criterion(
        key="bic",
        label="Vurdering af fars inddragelse (BIC)",
        target_percent=100,
        counted=("Familier på krisecentret med en registreret socialfaglig vurdering af, om far skal inddrages, af "
                 "alle familier på krisecentret."),
        missing="Familier på krisecentret uden en vurdering af fars inddragelse.",
        explained=("Familier på krisecentret med en registreret socialfaglig vurdering af, om far "
                   "skal inddrages."),
    ),
    Criterion(
        key="trappe",
        label="Randers-trappen og analysen brugt",
        target_percent=100,
        counted=("Familier på krisecentret med børn, hvor hvert barn har en vurdering på trappen med alle fem "
                 "analyseområder."),
        missing="Familier, hvor mindst ét barn mangler en vurdering eller analysen.",
    ),
    Criterion(
        key="handleplan",
        label="Handleplan med mål",
        target_percent=100,
        counted="Aktuelle familier med mindst ét mål i handleplanen, der er sat senest ved periodens slutning.",
        missing="Aktuelle familier uden mål i handleplanen.",
    ),
    Criterion(
        key="opfoelgning",
        label="Opfølgninger holdt til tiden",
        target_percent=100,
        counted="Opfølgningsmøder, der skulle holdes i perioden, og som blev holdt højst 7 dage efter fristen.",
        missing="Familier med et opfølgningsmøde, der ikke blev holdt til tiden.",
        explained=("Opfølgningsmøder (ca. 3 måneder efter en familierådslagning), der skulle holdes "
                   "i perioden, og som blev holdt højst 7 dage efter. Et opfølgningsmøde tælles, "
                   "når det er holdt, eller når fristen plus 7 dage er gået."),
    ),
    Criterion(
        key="besvaret",
        label="Tilfredshedsskemaet besvaret",
        target_percent=95,
        counted="Familier, der flyttede ud i perioden og besvarede tilfredshedsskemaet.",
        missing="Udflytninger i perioden uden et svar.",
    ),
    Criterion(
        key="stoette",
        label="Fik den støtte, de havde brug for",
        target_percent=95,
        counted=("Svar fra familier, der flyttede ud i periodens måneder, hvor familien fik den støtte, den havde brug "
                 "for. Svarene er uden navne, så listen viser de udflytninger, der mangler et svar."),
        missing="Udflytninger i perioden uden et svar (svarene selv er uden navne).",
    ),
)
BY_KEY = {c.key: c for c in CRITERIA}


def charted(figures: Criteria) -> list[tuple[Share, Criterion]]:
    """The shares of the current families the success-criteria page charts, in its order,
    each with its criterion (whose ``explained`` the page's table shows)."""
    return [(figures.fgc_assessed, BY_KEY["familieraadslagning"]),
            (figures.father_assessed, BY_KEY["bic"]),
            (figures.followups_on_time, BY_KEY["opfoelgning"])]


@dataclass(frozen=True)
class Period:
    """One point of the trend: its label and first and last day."""

    label: str
    start: date
    end: date


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _next_month(day: date) -> date:
    return _month_start(day, -1)


def periods(grain: str, today: date, points: int | None = None) -> list[Period]:
    """The last ``points`` months or quarters up to and including the one ``today`` is in,
    oldest first; the current one ends ``today`` (nothing is counted ahead of the day)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    count = points or POINTS[grain]
    result = []
    if grain == MONTH:
        for back in range(count - 1, -1, -1):
            first = _month_start(today, back)
            last = _next_month(first) - timedelta(days=1)
            result.append(Period(f"{MONTHS_DA[first.month - 1]} {first.year}", first,
                                 min(last, today)))
    else:
        quarter_first = _month_start(today, (today.month - 1) % 3)
        for back in range(count - 1, -1, -1):
            first = _month_start(quarter_first, 3 * back)
            last = _month_start(first, -3) - timedelta(days=1)
            result.append(Period(f"{(first.month - 1) // 3 + 1}. kvt. {first.year}", first,
                                 min(last, today)))
    return result


@dataclass(frozen=True)
class TrendPoint:
    """A period's share and whether it reached the target (None: nothing to measure)."""

    period: Period
    share: Share
    reached: bool | None

    @property
    def text(self) -> str:
        if self.share.percent is None:
            return "ingen at måle på"
        return f"{self.share.numerator} af {self.share.denominator} ({self.share.percent} %)"


def trend(criterion: Criterion, shares: Iterable[tuple[Period, Share]]) -> list[TrendPoint]:
    """The trend's points, each judged against the criterion's target."""
    return [TrendPoint(p, s, reaches_target(s, criterion.target_percent)) for p, s in shares]


def summary(criterion: Criterion, points: list[TrendPoint]) -> str:
    """The chart's text alternative: the target and every period's share in words."""
    parts = [f"{p.period.label}: {p.text}" for p in points]
    return f"Mål {criterion.target_percent} %. " + "; ".join(parts) + "."


LINE = "#0b5cad"
TARGET = "#b3261e"
GRID = "#c4ccd6"
TEXT = "#1b1f24"


def chart(criterion: Criterion, points: list[TrendPoint], width: int = 720,
          height: int = 240) -> str:
    """Columns per period (percent, 0–100) with the target as a dashed line; periods with
    nothing to measure get no column and the text »–«."""
    title = f"{criterion.label}: udvikling"
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {width} {height}",
        "width": "100%", "role": "img", "aria-labelledby": "trend-title trend-desc",
        "font-family": "system-ui, Arial, sans-serif", "font-size": "12",
    })
    ET.SubElement(root, "title", {"id": "trend-title"}).text = title
    ET.SubElement(root, "desc", {"id": "trend-desc"}).text = summary(criterion, points)
    left, top, bottom = 52, 16, height - 40
    plot = width - left - 8

    def y_of(percent: float) -> float:
        return bottom - (bottom - top) * percent / 100

    for tick in (0, 50, 100):
        ET.SubElement(root, "line", {"x1": str(left), "x2": str(width - 8),
                                     "y1": f"{y_of(tick):.1f}", "y2": f"{y_of(tick):.1f}",
                                     "stroke": GRID})
        ET.SubElement(root, "text", {"x": str(left - 4), "y": f"{y_of(tick) + 4:.1f}",
                                     "text-anchor": "end", "fill": TEXT}).text = f"{tick} %"
    slot = plot / max(len(points), 1)
    column = min(40.0, slot * 0.6)
    for index, point in enumerate(points):
        centre = left + slot * index + slot / 2
        percent = point.share.percent
        if percent is not None:
            ET.SubElement(root, "rect", {"x": f"{centre - column / 2:.1f}",
                                         "y": f"{y_of(percent):.1f}", "width": f"{column:.1f}",
                                         "height": f"{bottom - y_of(percent):.1f}",
                                         "fill": LINE})
        ET.SubElement(root, "text", {"x": f"{centre:.1f}",
                                     "y": f"{y_of(percent or 0) - 4:.1f}",
                                     "text-anchor": "middle", "fill": TEXT,
                                     "font-weight": "600"}).text = (
            "–" if percent is None else f"{percent}")
        ET.SubElement(root, "text", {"x": f"{centre:.1f}", "y": str(height - 22),
                                     "text-anchor": "middle", "fill": TEXT}).text = (
            point.period.label.rsplit(" ", 1)[0])
        ET.SubElement(root, "text", {"x": f"{centre:.1f}", "y": str(height - 8),
                                     "text-anchor": "middle", "fill": TEXT}).text = str(
            point.period.start.year)
    target_y = f"{y_of(criterion.target_percent):.1f}"
    ET.SubElement(root, "line", {"x1": str(left), "x2": str(width - 8), "y1": target_y,
                                 "y2": target_y, "stroke": TARGET, "stroke-width": "2",
                                 "stroke-dasharray": "6 4"})
    return ET.tostring(root, encoding="unicode")


@dataclass(frozen=True)
class FollowupMiss:
    """A follow-up meeting of a family that was due in the period and not held on time."""

    family_id: int
    meeting_id: int
    due_on: date
    held_on: date | None


def followup_misses(rows: Iterable[tuple[int, int, date | None, date | None]],
                    start: date, end: date, measured_on: date,
                    grace_days: int) -> list[FollowupMiss]:
    """From (family, meeting, due day, day the follow-up was held) the follow-ups due in
    ``start``–``end`` that were held later than the grace period, or were not held and the
    grace period has run out on ``measured_on`` (the same rule as the criterion's count)."""
    misses = []
    for family_id, meeting_id, due_on, held_on in rows:
        if due_on is None or not start <= due_on <= end:
            continue
        late = (held_on - due_on).days > grace_days if held_on is not None else (
            (measured_on - due_on).days > grace_days)
        if late:
            misses.append(FollowupMiss(family_id, meeting_id, due_on, held_on))
    return misses
