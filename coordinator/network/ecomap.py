"""A pure SVG ecomap (økokort) of one family's network.

`layout()` computes where every node, label, edge and sector goes (plain dataclasses,
so tests can check that no label overlaps another label or a node); `render_svg()` turns
a layout into a self-contained SVG string: no script, no external resources, Danish
title and description, fits a landscape A4 page.

The picture: the centre (a child, or the family) in the middle; one angular sector per
`Sector`, each a lightly tinted wedge with its Danish name; concentric bands by
closeness: family ties innermost, then the private network, then professionals, then
organisations. Private people are circles joined by solid lines, professionals rounded
squares joined by dashed lines, organisations hexagons. Safety is drawn, never only
coloured: a shield and "Beskyttet" for a protected address, a warning triangle and
"Udøvet vold" for violence, and a red dashed line with a ⊘ for every keep-apart pair.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, TypedDict

from coordinator.network.graph import (
    NetworkSnapshot,
    NodeId,
    Person,
    Relation,
    effective_role,
    effective_sector,
    is_child,
)
from coordinator.network.vocab import (
    CAREGIVER_ROLES,
    FAMILY_ROLES,
    NodeKind,
    PersonRole,
    Sector,
    Tie,
)

# ------------------------------------------------------------------------ constants

FONT_FAMILY = "Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif"
# Text sizes in SVG user units. On screen the map is shown at one user unit per CSS
# pixel (zoomable), so every label is at least 12 px tall at its normal size.
NAME_SIZE = 14.0
SUB_SIZE = 12.0
SECTOR_SIZE = 14.0
LEGEND_SIZE = 13.0
MIN_TEXT_SIZE = 12.0  # no text on the map is smaller than this
TITLE_SIZE = 22.0
LINE_GAP = 1.5
PAD_X = 3.0
PAD_Y = 1.5
NAME_WIDTHS = (150.0, 110.0, 80.0)  # truncation levels tried in turn when crowded
SUB_MAX_WIDTH = 140.0
COLLISION_PAD = 2.0

PERSON_R = 13.0
PRO_HALF = 12.0
ORG_R = 16.0
CENTRE_R = 38.0
BADGE = 11.0

BAND_FIRST = 130.0
BAND_STEP = 100.0
SUB_OFFSET = 22.0
MIN_SPACING = 44.0
MAX_ATTEMPTS = 200
BAND_GROWTH = 1.08
BAND_GROWTH_MIN = 12.0

A4_RATIO = 297 / 210

SECTOR_COLOURS: dict[Sector, tuple[str, str]] = {
    # (light wedge fill, dark stroke/text); every dark colour has >= 4.5:1 on white.
    Sector.FAMILY: ("#FDE2CF", "#A3470F"),
    Sector.PRIVATE_NETWORK: ("#FFF1BF", "#7A5E00"),
    Sector.SCHOOL_DAYCARE: ("#DCEFD6", "#2E6B2A"),
    Sector.HEALTH: ("#D6E8F7", "#1F5C99"),
    Sector.SOCIAL_SERVICES: ("#E7DEF3", "#5B3A8C"),
    Sector.CRISIS_CENTRE: ("#F9D9E3", "#A1284F"),
    Sector.OTHER: ("#E8E8E8", "#505050"),
}
DANGER = "#B3261E"
TEXT = "#1A1A1A"
SUBTEXT = "#4A4A4A"

BAND_FAMILY, BAND_PRIVATE, BAND_PROFESSIONAL, BAND_ORGANISATION = range(4)

# Advance widths of Helvetica/Arial in 1/1000 em; unknown characters count as wide.
_WIDTHS: dict[str, int] = {}
for _chars, _w in (
    (" !,./:;I[\\]fijlt|", 278),
    ("ijl", 222),
    ('"', 355),
    ("'", 191),
    ("()-`r", 333),
    ("*", 389),
    ("+<=>~^", 584),
    ("#$0123456789?L_abdeghnopqu", 556),
    ("%", 889),
    ("&ABEKPSVXY", 667),
    ("@", 1015),
    ("CDHNRUw", 722),
    ("FTZ", 611),
    ("GOQ", 778),
    ("J", 500),
    ("M", 833),
    ("W", 944),
    ("ckvxyzs", 500),
    ("m", 833),
    ("{}", 334),
    ("æ", 889),
    ("ø", 611),
    ("åàáâäãéèêëòóôöõùúûüñç", 556),
    ("ìíîï", 278),
    ("Æ", 1000),
    ("ØÅÄÖÜÉ", 778),
    ("…", 1000),
    ("·", 278),
    ("–", 556),
    ("—", 1000),
):
    for _c in _chars:
        _WIDTHS[_c] = _w


@lru_cache(maxsize=8192)
def text_width(text: str, size: float) -> float:
    """Estimated rendered width of `text` at `size` px in a sans-serif, erring wide.

    Label boxes are built from this estimate, and each text element is also given this
    width as its `textLength`, so a wider real font is squeezed into the box instead
    of spilling out of it. Kept per text and size: placing one label asks for the same
    widths at every candidate position and name width.
    """
    total = 0
    for ch in text:
        if ch in _WIDTHS:
            total += _WIDTHS[ch]
        elif unicodedata.combining(ch):
            continue
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1000
        else:
            total += 640
    return total * size / 1000 * 1.04


def truncate(text: str, size: float, max_width: float) -> str:
    """`text` cut to fit `max_width` with a trailing ellipsis ("…"), or unchanged."""
    if text_width(text, size) <= max_width:
        return text
    for end in range(len(text) - 1, 0, -1):
        candidate = text[:end].rstrip() + "…"
        if text_width(candidate, size) <= max_width:
            return candidate
    return "…"


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control codes, lone surrogates, U+FFFE/F).
    One regular expression: a generator over the characters was a quarter of the ecomap's
    rendering."""
    return _NOT_XML.sub("", text)


def _clean(text: str) -> str:
    return " ".join(_xml_safe(text).split())


# -------------------------------------------------------------------------- geometry


# The layout's records are named tuples: immutable as frozen dataclasses are, and made in a
# fifth of the time (a layout makes thousands of them; a frozen dataclass sets each field
# through ``object.__setattr__``).
class Box(NamedTuple):
    """An axis-aligned rectangle in SVG user units."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        """The x of the right edge."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """The y of the bottom edge."""
        return self.y + self.h

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        """True when the boxes, each grown by `pad`/2 on every side, intersect."""
        return (
            self.x < other.right + pad
            and other.x < self.right + pad
            and self.y < other.bottom + pad
            and other.y < self.bottom + pad
        )


def _union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    x0 = min(b.x for b in bs)
    y0 = min(b.y for b in bs)
    x1 = max(b.right for b in bs)
    y1 = max(b.bottom for b in bs)
    return Box(x0, y0, x1 - x0, y1 - y0)


class _Grid:
    """A uniform-grid index of boxes for fast overlap queries.

    A cell keeps each box as its left and top edges and its right and bottom edges grown
    by the collision pad, the numbers ``Box.overlaps`` compares (the same sums, so the
    same answers): a query compares floats rather than calling a method and two properties
    for every box near it (the labels' search for a free spot was half of a map's layout)."""

    CELL = 64.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = (
            defaultdict(list))

    def _span(self, x: float, y: float, right: float, bottom: float) -> tuple[range, range]:
        """The columns and rows of cells a box touches: its left and top edges, its right
        and bottom edges grown by the collision pad (the left and top grown likewise)."""
        c = self.CELL
        return (range(math.floor((x - COLLISION_PAD) / c), math.floor(right / c) + 1),
                range(math.floor((y - COLLISION_PAD) / c), math.floor(bottom / c) + 1))

    def add(self, b: Box) -> None:
        kept = (b.x, b.y, b.x + b.w + COLLISION_PAD, b.y + b.h + COLLISION_PAD)
        columns, rows = self._span(*kept)
        cells = self.cells
        for i in columns:
            for j in rows:
                cells[i, j].append(kept)

    def hits(self, b: Box) -> bool:
        """Whether ``b`` overlaps a box added, as ``b.overlaps(other, COLLISION_PAD)``."""
        return self.hits_at(b.x, b.y, b.w, b.h)

    def hits_at(self, x: float, y: float, w: float, h: float) -> bool:
        """``hits`` of the box at ``x``, ``y`` of width ``w`` and height ``h``."""
        right, bottom = x + w + COLLISION_PAD, y + h + COLLISION_PAD
        columns, rows = self._span(x, y, right, bottom)
        cells = self.cells
        for i in columns:
            for j in rows:
                for other_x, other_y, other_right, other_bottom in cells.get((i, j), ()):
                    if x < other_right and other_x < right and y < other_bottom and other_y < bottom:
                        return True
        return False


def _edge_distance(ux: float, uy: float, hw: float, hh: float) -> float:
    """Distance from a box's centre to its edge along the unit direction (ux, uy)."""
    dx = hw / abs(ux) if abs(ux) > 1e-9 else math.inf
    dy = hh / abs(uy) if abs(uy) > 1e-9 else math.inf
    return min(dx, dy)


# --------------------------------------------------------------------------- layout


class LayoutNode(NamedTuple):
    """A placed node. `key` is "centre", "p:<id>" or "o:<id>"; `box` includes badges."""

    key: str
    ref_id: NodeId | None
    shape: str  # "centre" | "private" | "professional" | "organisation"
    x: float
    y: float
    size: float
    sector: Sector
    band: int
    name: str
    tooltip: str
    protected_address: bool
    used_violence: bool
    box: Box


class LabelLine(NamedTuple):
    """One line of a label: its text, baseline start and estimated width."""

    text: str
    x: float
    y: float
    width: float
    size: float
    style: str  # "name" | "sub" | "warn"


class LayoutLabel(NamedTuple):
    """A placed label: full name for the tooltip, the box it occupies, its lines."""

    node_key: str
    full_name: str
    box: Box
    lines: tuple[LabelLine, ...]
    truncated: bool


class LayoutEdge(NamedTuple):
    """A line between two nodes; `style` is family/private/professional/membership/centre."""

    a_key: str
    b_key: str
    style: str
    x1: float
    y1: float
    x2: float
    y2: float
    title: str


@dataclass(frozen=True, slots=True)
class LayoutKeepApart:
    """A keep-apart pair, drawn as a red dashed line with a ⊘ at its middle."""

    a_key: str
    b_key: str
    x1: float
    y1: float
    x2: float
    y2: float
    marker_x: float
    marker_y: float
    title: str
    a_name: str = ""
    b_name: str = ""


@dataclass(frozen=True, slots=True)
class SectorWedge:
    """One angular sector: angles in radians (clockwise from east), label and its box."""

    sector: Sector
    start: float
    end: float
    radius: float
    label: str
    label_x: float
    label_y: float
    label_width: float
    label_box: Box


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything `render_svg` draws, with positions; boxes are for overlap checks."""

    cx: float
    cy: float
    band_radii: tuple[float, ...]
    nodes: tuple[LayoutNode, ...]
    labels: tuple[LayoutLabel, ...]
    edges: tuple[LayoutEdge, ...]
    keep_apart: tuple[LayoutKeepApart, ...]
    wedges: tuple[SectorWedge, ...]
    title_da: str
    desc_da: str
    title_box: Box
    legend_box: Box
    view_box: Box


@dataclass(slots=True)
class _Spec:
    key: str
    ref_id: NodeId | None
    shape: str
    sector: Sector
    band: int
    name: str
    sub: str
    warn: str
    protected: bool
    violent: bool
    sort_key: tuple[str, ...]


def _node_half(shape: str, has_badge: bool) -> float:
    base = {
        "centre": CENTRE_R,
        "private": PERSON_R,
        "professional": PRO_HALF + 1,
        "organisation": ORG_R,
    }[shape]
    return base + (BADGE * 0.6 if has_badge else 0.0)


_NOT_DESCRIBING = frozenset({"works_at", "knows", "other", "sibling_of"})


def _described_ties(snapshot: NetworkSnapshot) -> dict[NodeId, list[Relation]]:
    """Each person's relations that name what the person is to someone (``_descriptor``),
    in the network's order: grouped once per map rather than searched for every person."""
    ties: dict[NodeId, list[Relation]] = defaultdict(list)
    for rel in snapshot.relations:
        if rel.source_kind is NodeKind.PERSON and rel.type not in _NOT_DESCRIBING:
            ties[rel.source_id].append(rel)
    return ties


def _descriptor(person: Person, ties: Mapping[NodeId, list[Relation]]) -> str:
    nouns: list[str] = []
    role = effective_role(person)
    if role not in (PersonRole.PRIVATE_NETWORK, PersonRole.PROFESSIONAL):
        nouns.append(role.label_da.lower())
    for rel in ties.get(person.id, ()):
        noun = rel.rtype.noun_da
        if noun not in nouns and not (noun == "forælder" and role in FAMILY_ROLES):
            nouns.append(noun)
    if role is PersonRole.RELATIVE and len(nouns) > 1:
        nouns.remove(role.label_da.lower())
    if not nouns:
        nouns.append("fagperson" if person.is_professional else "privat netværk")
    return " · ".join(nouns)


def _warn_text(protected: bool, violent: bool) -> str:
    parts = (["Beskyttet"] if protected else []) + (["Udøvet vold"] if violent else [])
    return " · ".join(parts)


def _specs(snapshot: NetworkSnapshot, centre: Person | None,
           ties: Mapping[NodeId, list[Relation]]) -> list[_Spec]:
    family_tied = set()
    if centre is not None:
        for rel in snapshot.relations:
            if rel.rtype.tie is Tie.FAMILY and NodeKind.ORGANISATION not in (
                rel.source_kind,
                rel.target_kind,
            ):
                if rel.source_id == centre.id:
                    family_tied.add(rel.target_id)
                if rel.target_id == centre.id:
                    family_tied.add(rel.source_id)
    org_names = {o.id: o.name for o in snapshot.organisations}
    specs: list[_Spec] = []
    for p in snapshot.people:
        if centre is not None and p.id == centre.id:
            continue
        sector = effective_sector(snapshot, p)
        if p.is_professional:
            band, shape = BAND_PROFESSIONAL, "professional"
        elif (
            is_child(p)
            or effective_role(p) in FAMILY_ROLES
            or sector is Sector.FAMILY
            or p.id in family_tied
        ):
            band, shape = BAND_FAMILY, "private"
        else:
            band, shape = BAND_PRIVATE, "private"
        org = org_names.get(p.organisation_id, "") if p.organisation_id is not None else ""
        specs.append(
            _Spec(
                key=f"p:{p.id}",
                ref_id=p.id,
                shape=shape,
                sector=sector,
                band=band,
                name=_clean(p.name) or "(uden navn)",
                sub=_clean(_descriptor(p, ties)),
                warn=_warn_text(p.protected_address, p.used_violence),
                protected=p.protected_address,
                violent=p.used_violence,
                sort_key=(org.casefold(), p.name.casefold(), str(p.id)),
            )
        )
    for o in snapshot.organisations:
        specs.append(
            _Spec(
                key=f"o:{o.id}",
                ref_id=o.id,
                shape="organisation",
                sector=o.sector,  # type: ignore[arg-type]
                band=BAND_ORGANISATION,
                name=_clean(o.name) or "(uden navn)",
                sub=o.kind.label_da,
                warn="",
                protected=False,
                violent=False,
                sort_key=(o.name.casefold(), str(o.id)),
            )
        )
    return specs


def _sector_spans(specs: list[_Spec]) -> dict[Sector, tuple[float, float]]:
    """Angular span per sector, wider where more nodes sit (inner-band nodes weigh more,
    because an inner ring has less room per radian)."""
    weights = {s: 2.0 + len(specs) / 20 for s in Sector}
    for spec in specs:
        weights[spec.sector] += (BAND_FIRST + 2 * BAND_STEP) / (BAND_FIRST + spec.band * BAND_STEP)
    total = sum(weights.values())
    spans = {}
    # The family wedge is centred on the left, where labels run radially and crowd least.
    angle = math.pi - math.pi * weights[Sector.FAMILY] / total
    for s in Sector:
        width = 2 * math.pi * weights[s] / total
        spans[s] = (angle, angle + width)
        angle += width
    return spans


def _initial_radii(
    specs: list[_Spec], spans: dict[Sector, tuple[float, float]]
) -> dict[int, float]:
    """Band radii, inside out: at least one step apart, and wide enough that every
    sector's nodes fit along the arc on two staggered sub-rings."""
    groups: dict[tuple[Sector, int], int] = defaultdict(int)
    for spec in specs:
        groups[(spec.sector, spec.band)] += 1
    radii: dict[int, float] = {}
    previous = BAND_FIRST - BAND_STEP
    for band in sorted({s.band for s in specs}):
        radius = max(BAND_FIRST, previous + BAND_STEP)
        for (sector, b), n in groups.items():
            if b == band:
                start, end = spans[sector]
                radius = max(radius, n * MIN_SPACING / (2 if n > 2 else 1) / (end - start))
        radii[band] = radius
        previous = radius
    return radii


def _grow(radii: dict[int, float], band: int) -> dict[int, float]:
    """Radii with `band` pushed outwards, and every band outside it by the same amount."""
    delta = max(BAND_GROWTH_MIN, radii[band] * (BAND_GROWTH - 1))
    return {b: r + delta if b >= band else r for b, r in radii.items()}


def _place_nodes(
    specs: list[_Spec], spans: dict[Sector, tuple[float, float]], radii: dict[int, float]
) -> list[tuple[_Spec, float, float, float]]:
    groups: dict[tuple[Sector, int], list[_Spec]] = defaultdict(list)
    for spec in specs:
        groups[(spec.sector, spec.band)].append(spec)
    order = {s: i for i, s in enumerate(Sector)}
    placed = []
    for (sector, band), members in sorted(
        groups.items(), key=lambda kv: (kv[0][1], order[kv[0][0]])
    ):
        members.sort(key=lambda s: s.sort_key)
        start, end = spans[sector]
        radius = radii[band]
        n = len(members)
        staggered = n * MIN_SPACING > (end - start) * radius
        for i, spec in enumerate(members):
            angle = start + (i + 0.5) / n * (end - start)
            r = radius + ((SUB_OFFSET if i % 2 else -SUB_OFFSET) if staggered else 0.0)
            placed.append((spec, r * math.cos(angle), r * math.sin(angle), angle))
    return placed


def _label_lines(spec: _Spec, name_width: float) -> tuple[list[tuple[str, float, str]], bool]:
    name = truncate(spec.name, NAME_SIZE, name_width)
    lines = [(name, NAME_SIZE, "name")]
    if spec.sub:
        lines.append((truncate(spec.sub, SUB_SIZE, SUB_MAX_WIDTH), SUB_SIZE, "sub"))
    if spec.warn:
        lines.append((spec.warn, SUB_SIZE, "warn"))
    return lines, name != spec.name


def _label_at(
    key: str,
    full: str,
    lines: list[tuple[str, float, str]],
    truncated: bool,
    ccx: float,
    ccy: float,
    hw: float,
    hh: float,
) -> LayoutLabel:
    box = Box(ccx - hw, ccy - hh, 2 * hw, 2 * hh)
    out = []
    y = box.y + PAD_Y
    for text, size, style in lines:
        y += size
        out.append(
            LabelLine(text, box.x + PAD_X, y - size * 0.2, text_width(text, size), size, style)
        )
        y += LINE_GAP
    return LayoutLabel(key, full, box, tuple(out), truncated)


def _label_size(lines: list[tuple[str, float, str]]) -> tuple[float, float]:
    w = max(text_width(t, s) for t, s, _ in lines) + 2 * PAD_X
    h = sum(s for _, s, _ in lines) + LINE_GAP * (len(lines) - 1) + 2 * PAD_Y
    return w / 2, h / 2


_DIRECTIONS = tuple(
    math.radians(d) for d in (0, 30, -30, 60, -60, 90, -90, 120, -120, 150, -150, 180)
)
_GAPS = (2.0, 8.0, 16.0, 28.0, 42.0)


def _place_label(
    spec: _Spec, x: float, y: float, outward: float, node_half: float, grid: _Grid
) -> LayoutLabel | None:
    # Candidates in order: each name width, each gap, each direction. Most labels fit at
    # one of the first few, so a direction's unit vector and the node's and label's edges
    # along it are worked out when a candidate first needs them (the same numbers as when
    # all twelve were worked out first: that was a quarter of placing a label).
    directions: list[tuple[float, float, float] | None] = [None] * len(_DIRECTIONS)
    for name_width in NAME_WIDTHS:
        lines, truncated = _label_lines(spec, name_width)
        hw, hh = _label_size(lines)
        sized: list[tuple[float, float, float, float] | None] = [None] * len(_DIRECTIONS)
        for gap in _GAPS:
            for i, candidate in enumerate(sized):
                if candidate is None:
                    direction = directions[i]
                    if direction is None:
                        d = _DIRECTIONS[i]
                        ux, uy = math.cos(outward + d), math.sin(outward + d)
                        direction = directions[i] = (
                            ux, uy, _edge_distance(ux, uy, node_half, node_half))
                    ux, uy, node_edge = direction
                    candidate = sized[i] = (ux, uy, node_edge, _edge_distance(ux, uy, hw, hh))
                ux, uy, node_edge, label_edge = candidate
                dist = node_edge + gap + COLLISION_PAD + label_edge
                ccx, ccy = x + ux * dist, y + uy * dist
                # the box _label_at places
                if not grid.hits_at(ccx - hw, ccy - hh, 2 * hw, 2 * hh):
                    grid.add(Box(ccx - hw, ccy - hh, 2 * hw, 2 * hh))
                    return _label_at(spec.key, spec.name, lines, truncated, ccx, ccy, hw, hh)
        if not truncated:
            # Nothing to gain from a narrower name if the name was never cut.
            if text_width(spec.name, NAME_SIZE) <= NAME_WIDTHS[-1]:
                break
    return None


MARKER_R = 12.0
KEEP_APART_WIDTH = 5.0
KEEP_APART_DASH = "14 7"
_MARKER_TS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)


def _place_markers(
    pairs: list[tuple[str, str]], nodes: dict[str, LayoutNode], grid: _Grid
) -> dict[tuple[str, str], tuple[float, float]]:
    """A spot for each keep-apart ⊘ on its line, clear of nodes and other markers."""
    spots = {}
    for a, b in pairs:
        na, nb = nodes[a], nodes[b]
        chosen = None
        for t in _MARKER_TS:
            x, y = na.x + (nb.x - na.x) * t, na.y + (nb.y - na.y) * t
            box = Box(x - MARKER_R, y - MARKER_R, 2 * MARKER_R, 2 * MARKER_R)
            if not grid.hits(box):
                chosen = (x, y, box)
                break
        if chosen is None:
            x, y = (na.x + nb.x) / 2, (na.y + nb.y) / 2
            chosen = (x, y, Box(x - MARKER_R, y - MARKER_R, 2 * MARKER_R, 2 * MARKER_R))
        grid.add(chosen[2])
        spots[(a, b)] = (chosen[0], chosen[1])
    return spots


_Attempt = tuple[list[LayoutNode], list[LayoutLabel], dict[tuple[str, str], tuple[float, float]]]


def _try_layout(
    specs: list[_Spec],
    centre_spec: _Spec,
    spans: dict[Sector, tuple[float, float]],
    radii: dict[int, float],
    apart: list[tuple[str, str]],
) -> _Attempt | int:
    """Nodes, labels and ⊘ spots, or the band of the first label that found no free spot."""
    cx = cy = 0.0
    placed = _place_nodes(specs, spans, radii)
    grid = _Grid()
    nodes: list[LayoutNode] = []
    all_placed = [(centre_spec, cx, cy, -math.pi / 2)] + placed
    for spec, x, y, _ in all_placed:
        half = _node_half(spec.shape, spec.protected or spec.violent)
        box = Box(x - half, y - half, 2 * half, 2 * half)
        grid.add(box)
        size = {
            "centre": CENTRE_R,
            "private": PERSON_R,
            "professional": PRO_HALF,
            "organisation": ORG_R,
        }[spec.shape]
        tooltip = (
            spec.name
            + (f" ({spec.sub})" if spec.sub else "")
            + (f" – {spec.warn}" if spec.warn else "")
        )
        nodes.append(
            LayoutNode(
                spec.key,
                spec.ref_id,
                spec.shape,
                x,
                y,
                size,
                spec.sector,
                spec.band,
                spec.name,
                tooltip,
                spec.protected,
                spec.violent,
                box,
            )
        )
    markers = _place_markers(apart, {n.key: n for n in nodes}, grid)
    labels = []
    for spec, x, y, angle in all_placed:
        half = _node_half(spec.shape, spec.protected or spec.violent)
        outward = math.pi / 2 if spec.shape == "centre" else angle
        label = _place_label(spec, x, y, outward, half, grid)
        if label is None:
            return max(spec.band, min(radii))
        labels.append(label)
    return nodes, labels, markers


def _place_wedges(
    spans: dict[Sector, tuple[float, float]], radius: float, obstacles: list[Box]
) -> list[SectorWedge]:
    grid = _Grid()
    for b in obstacles:
        grid.add(b)
    wedges = []
    for sector in Sector:
        start, end = spans[sector]
        mid = (start + end) / 2
        text = sector.label_da
        width = text_width(text, SECTOR_SIZE)
        hw, hh = width / 2 + PAD_X, SECTOR_SIZE / 2 + PAD_Y + 1
        ux, uy = math.cos(mid), math.sin(mid)
        dist = radius + 8 + _edge_distance(ux, uy, hw, hh)
        while True:
            box = Box(ux * dist - hw, uy * dist - hh, 2 * hw, 2 * hh)
            if not grid.hits(box):
                break
            dist += 8
        grid.add(box)
        wedges.append(
            SectorWedge(
                sector,
                start,
                end,
                radius,
                text,
                box.x + PAD_X,
                box.bottom - PAD_Y - 1 - SECTOR_SIZE * 0.2,
                width,
                box,
            )
        )
    return wedges


def _node_key(kind: NodeKind, nid: NodeId, centre: Person | None) -> str:
    if kind is NodeKind.ORGANISATION:
        return f"o:{nid}"
    return "centre" if centre is not None and nid == centre.id else f"p:{nid}"


def _apart_pairs(snapshot: NetworkSnapshot, centre: Person | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for k in snapshot.keep_apart:
        a = _node_key(NodeKind.PERSON, k.a, centre)
        b = _node_key(NodeKind.PERSON, k.b, centre)
        if a != b and (a, b) not in pairs and (b, a) not in pairs:
            pairs.append((a, b))
    return pairs


def _keep_apart(
    snapshot: NetworkSnapshot,
    pos: dict[str, LayoutNode],
    centre: Person | None,
    markers: dict[tuple[str, str], tuple[float, float]],
) -> list[LayoutKeepApart]:
    reasons: dict[frozenset[str], list[str]] = defaultdict(list)
    for k in snapshot.keep_apart:
        pair = frozenset(
            (_node_key(NodeKind.PERSON, k.a, centre), _node_key(NodeKind.PERSON, k.b, centre))
        )
        if k.reason.strip() and _clean(k.reason) not in reasons[pair]:
            reasons[pair].append(_clean(k.reason))
    apart = []
    for (a, b), (mx, my) in markers.items():
        na, nb = pos[a], pos[b]
        title = f"{na.name} og {nb.name} skal holdes adskilt"
        if reasons[frozenset((a, b))]:
            title += ": " + "; ".join(reasons[frozenset((a, b))])
        apart.append(
            LayoutKeepApart(a, b, na.x, na.y, nb.x, nb.y, mx, my, title, na.name, nb.name)
        )
    return apart


def _edges(
    snapshot: NetworkSnapshot, pos: dict[str, LayoutNode], centre: Person | None
) -> list[LayoutEdge]:
    rank = {Tie.FAMILY: 0, Tie.PRIVATE: 1, Tie.PROFESSIONAL: 2}
    pairs: dict[tuple[str, str], tuple[int, list[str]]] = {}
    names = {p.id: _clean(p.name) for p in snapshot.people}
    org_names = {o.id: _clean(o.name) for o in snapshot.organisations}

    def node_key(kind: NodeKind, nid: NodeId) -> str:
        return _node_key(kind, nid, centre)

    def name_of(kind: NodeKind, nid: NodeId) -> str:
        return org_names[nid] if kind is NodeKind.ORGANISATION else names[nid]

    for rel in snapshot.relations:
        a = node_key(rel.source_kind, rel.source_id)
        if rel.target_kind is None:  # resolved by Relation.__post_init__
            raise AssertionError(f"Relation {rel.id!r} has no target kind")
        b = node_key(rel.target_kind, rel.target_id)
        if a == b:
            continue
        pair = (a, b) if a < b else (b, a)
        text = (
            f"{name_of(rel.source_kind, rel.source_id)} {rel.rtype.label_da} "
            f"{name_of(rel.target_kind, rel.target_id)}"
        )
        tie = 3 if rel.type == "works_at" else rank[rel.rtype.tie]
        best, texts = pairs.get(pair, (9, []))
        pairs[pair] = (min(best, tie), texts + [text])
    for p in snapshot.people:
        if p.organisation_id is not None:
            a, b = node_key(NodeKind.PERSON, p.id), f"o:{p.organisation_id}"
            pair = (a, b) if a < b else (b, a)
            if pair not in pairs:
                pairs[pair] = (3, [f"{names[p.id]} arbejder i {org_names[p.organisation_id]}"])
    if centre is None:
        for p in snapshot.people:
            if is_child(p) or (not p.is_professional and effective_role(p) in CAREGIVER_ROLES):
                pairs.setdefault(
                    ("centre", f"p:{p.id}"), (4, [f"{names[p.id]} er en del af familien"])
                )
    styles = {0: "family", 1: "private", 2: "professional", 3: "membership", 4: "centre"}
    edges = []
    for (a, b), (tie, texts) in sorted(pairs.items()):
        na, nb = pos[a], pos[b]
        edges.append(LayoutEdge(a, b, styles[tie], na.x, na.y, nb.x, nb.y, "; ".join(texts)))
    return edges


LEGEND_ITEMS: tuple[tuple[str, str], ...] = (
    ("private", "Privat person (familie, netværk)"),
    ("professional", "Fagperson"),
    ("organisation", "Organisation"),
    ("line-family", "Familierelation"),
    ("line-private", "Privat relation"),
    ("line-professional", "Faglig relation"),
    ("line-membership", "Arbejder i / ansat"),
    ("keep-apart", "Skal holdes adskilt"),
    ("protected", "Beskyttet adresse"),
    ("violence", "Har udøvet vold"),
)
LEGEND_ROW = 24.0
LEGEND_WIDTH = 270.0


def _legend_box(map_box: Box) -> Box:
    rows = len(LEGEND_ITEMS) + 1 + len(Sector) + 1 + 2
    height = rows * LEGEND_ROW + 20
    return Box(map_box.right + 40, map_box.y + 10, LEGEND_WIDTH, height)


def layout(snapshot: NetworkSnapshot, centre_id: NodeId | None = None) -> Layout:
    """Place every node, label, edge and sector of the ecomap around the centre.

    `centre_id` is a person (normally a child) to put in the middle; None puts "the
    family" there. Labels are placed greedily from the inside out, trying positions
    around each node (outward first, then turning, then further away, then with the name
    cut shorter); if any label finds no free spot the whole map grows and is laid out
    again. The result is deterministic and no label overlaps another label or a node.
    """
    people = {p.id: p for p in snapshot.people}
    centre = None
    if centre_id is not None:
        if centre_id not in people:
            raise ValueError(f"Centre {centre_id!r} is not a person in this network")
        centre = people[centre_id]
    ties = _described_ties(snapshot)
    specs = _specs(snapshot, centre, ties)
    if centre is None:
        n_children = sum(1 for p in snapshot.people if is_child(p))
        centre_spec = _Spec(
            "centre",
            None,
            "centre",
            Sector.FAMILY,
            -1,
            "Familien",
            f"{n_children} børn" if n_children != 1 else "1 barn",
            "",
            False,
            False,
            ("",),
        )
    else:
        centre_spec = _Spec(
            "centre",
            centre.id,
            "centre",
            Sector.FAMILY,
            -1,
            _clean(centre.name) or "(uden navn)",
            _clean(_descriptor(centre, ties)),
            _warn_text(centre.protected_address, centre.used_violence),
            centre.protected_address,
            centre.used_violence,
            ("",),
        )
    spans = _sector_spans(specs)
    radii = _initial_radii(specs, spans) or {BAND_FAMILY: BAND_FIRST}
    apart_pairs = _apart_pairs(snapshot, centre)
    for _ in range(MAX_ATTEMPTS):
        result = _try_layout(specs, centre_spec, spans, radii, apart_pairs)
        if not isinstance(result, int):
            break
        radii = _grow(radii, result)
    else:  # pragma: no cover - the map grows until labels fit; this is a guard
        raise RuntimeError("Ecomap labels did not fit after growing the map")
    nodes, labels, markers = result
    outer = max(radii.values()) + SUB_OFFSET + ORG_R + 14
    obstacles = [n.box for n in nodes] + [lab.box for lab in labels]
    wedges = _place_wedges(spans, outer, obstacles)
    pos = {n.key: n for n in nodes}
    edges = _edges(snapshot, pos, centre)
    apart = _keep_apart(snapshot, pos, centre, markers)

    circle = Box(-outer, -outer, 2 * outer, 2 * outer)
    map_box = _union([circle] + obstacles + [w.label_box for w in wedges])
    title = f"Økokort for {centre_spec.name}" if centre is not None else "Økokort for familien"
    title_box = Box(
        map_box.x, map_box.y - TITLE_SIZE - 24, text_width(title, TITLE_SIZE), TITLE_SIZE + 6
    )
    legend = _legend_box(map_box)
    content = _union([map_box, title_box, legend])
    view = _a4_view(content)
    return Layout(
        cx=0.0,
        cy=0.0,
        band_radii=tuple(radii[b] for b in sorted(radii)),
        nodes=tuple(nodes),
        labels=tuple(labels),
        edges=tuple(edges),
        keep_apart=tuple(apart),
        wedges=tuple(wedges),
        title_da=title,
        desc_da=_description(snapshot, centre_spec.name, centre is None, apart),
        title_box=title_box,
        legend_box=legend,
        view_box=view,
    )


def _a4_view(content: Box) -> Box:
    margin = 24.0
    w, h = content.w + 2 * margin, content.h + 2 * margin
    if w / h < A4_RATIO:
        w = h * A4_RATIO
    else:
        h = w / A4_RATIO
    cxm, cym = content.x + content.w / 2, content.y + content.h / 2
    return Box(cxm - w / 2, cym - h / 2, w, h)


def _description(
    snapshot: NetworkSnapshot, centre_name: str, family: bool, apart: list[LayoutKeepApart]
) -> str:
    private = sum(1 for p in snapshot.people if not p.is_professional)
    pros = len(snapshot.people) - private
    by_sector: dict[Sector, int] = {s: 0 for s in Sector}
    for p in snapshot.people:
        by_sector[effective_sector(snapshot, p)] += 1
    for o in snapshot.organisations:
        by_sector[o.sector] += 1  # type: ignore[index]
    sectors = ", ".join(f"{s.label_da.lower()} {n}" for s, n in by_sector.items() if n)
    who = "familien" if family else centre_name
    text = (
        f"Økokort for {who}: {private} private personer, {pros} fagpersoner og "
        f"{len(snapshot.organisations)} organisationer."
    )
    if sectors:
        text += f" Fordelt på sektorer: {sectors}."
    protected = sum(1 for p in snapshot.people if p.protected_address)
    violent = sum(1 for p in snapshot.people if p.used_violence)
    if protected:
        text += f" {protected} med beskyttet adresse."
    if violent:
        text += f" {violent} har udøvet vold."
    if apart:
        names = "; ".join(f"{pair.a_name} og {pair.b_name}" for pair in apart)
        text += f" {len(apart)} par skal holdes adskilt: {names}."
    return text


# --------------------------------------------------------------------------- render

_SVG_NS = "http://www.w3.org/2000/svg"
STANDALONE_STYLE = "max-width:277mm;max-height:190mm;height:auto;background:#FFFFFF"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if v == v else "0"


class _Node:
    """One element of the SVG ``render_svg`` writes: its start tag with the attributes
    (escaped as ElementTree escapes them, once, when the element is made), its text (likewise)
    and its children. Writing the map is then a join: ElementTree's serialiser walked the
    tree twice and escaped every value on the way, a fifth of a map's drawing."""

    __slots__ = ("tag", "head", "text", "children")

    def __init__(self, tag: str, head: str, text: str | None = None) -> None:
        self.tag, self.head, self.text = tag, head, text
        self.children: list[_Node] = []

    def write(self, out: list[str]) -> None:
        out.append(self.head)
        if self.text or self.children:
            out.append(">")
            if self.text:
                out.append(self.text)
            for child in self.children:
                child.write(out)
            out.append(f"</{self.tag}>")
        else:
            out.append(" />")

    def markup(self) -> str:
        out: list[str] = []
        self.write(out)
        return "".join(out)


def _escape_text(value: str) -> str:
    """Text as ElementTree writes it (``xml.etree.ElementTree._escape_cdata``)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _escape_attribute(value: str) -> str:
    """An attribute value as ElementTree writes it (``_escape_attrib``: the text's escapes,
    then quotes and the white space a parser would normalise)."""
    value = _escape_text(value)
    for char, entity in _ATTRIBUTE_ONLY:
        if char in value:
            value = value.replace(char, entity)
    return value


_ATTRIBUTE_ONLY = (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


_ATTRIBUTE_NAMES: dict[str, str] = {}


def _attribute_name(keyword: str) -> str:
    """``stroke_width`` → ``stroke-width``, ``class_`` → ``class``."""
    name = _ATTRIBUTE_NAMES.get(keyword)
    if name is None:
        name = _ATTRIBUTE_NAMES[keyword] = keyword.rstrip("_").replace("_", "-")
    return name


def _root(tag: str, attributes: dict[str, str]) -> _Node:
    return _Node(tag, f"<{tag}" + "".join(
        f' {name}="{_escape_attribute(value)}"' for name, value in attributes.items()))


def _attributes(attrs: Mapping[str, object]) -> str:
    """Attributes as ``_el`` writes them, each with a space before it."""
    # a number as _fmt writes it is digits, "-" and ".": nothing to escape
    return "".join(
        f' {_attribute_name(keyword)}="'
        f'{_fmt(value) if isinstance(value, float) else _escape_attribute(str(value))}"'
        for keyword, value in attrs.items())


def _el(parent: _Node, tag: str, text: str | None = None, **attrs: object) -> _Node:
    node = _Node(tag, f"<{tag}{_attributes(attrs)}",
                 None if text is None else _escape_text(_xml_safe(text)))
    parent.children.append(node)
    return node


def _elem(tag: str, text: str, attributes: str = "") -> str:
    """An element with text and no children, as ``_Node`` writes it: self-closed when the
    text (escaped, without what XML cannot carry) is empty. ``attributes`` are written, each
    with a space before it."""
    shown = _escape_text(_xml_safe(text))
    return f"<{tag}{attributes}>{shown}</{tag}>" if shown else f"<{tag}{attributes} />"


def _shape(
    shape: str,
    x: float,
    y: float,
    size: float,
    stroke: str,
    fill: str = "#FFFFFF",
) -> str:
    """A node's shape. The colours are the constants of this module (nothing to escape)."""
    cx, cy = _fmt(x), _fmt(y)
    if shape == "centre":
        light, dark = SECTOR_COLOURS[Sector.FAMILY]
        return (f'<circle cx="{cx}" cy="{cy}" r="{_fmt(size)}" fill="#FFFFFF" stroke="{TEXT}" '
                f'stroke-width="3" /><circle cx="{cx}" cy="{cy}" r="{_fmt(size - 6)}" '
                f'fill="{light}" stroke="{dark}" stroke-width="1.5" />')
    if shape == "private":
        return (f'<circle cx="{cx}" cy="{cy}" r="{_fmt(size)}" fill="{fill}" stroke="{stroke}" '
                'stroke-width="2.2" />')
    if shape == "professional":
        side = _fmt(2 * size)
        return (f'<rect x="{_fmt(x - size)}" y="{_fmt(y - size)}" width="{side}" '
                f'height="{side}" rx="5" fill="{fill}" stroke="{stroke}" stroke-width="2.2" />')
    corners = [
        (x + size * math.cos(math.pi / 3 * i), y + size * math.sin(math.pi / 3 * i))
        for i in range(6)
    ]
    pts = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in corners)
    return f'<polygon points="{pts}" fill="{fill}" stroke="{stroke}" stroke-width="2.2" />'


def _shield(x: float, y: float, s: float) -> str:
    """A shield with a keyhole: the protected-address marker (drawn, not a font glyph)."""
    d = (
        f"M{_fmt(x)},{_fmt(y - s)} L{_fmt(x + s * 0.85)},{_fmt(y - s * 0.6)} "
        f"L{_fmt(x + s * 0.75)},{_fmt(y + s * 0.25)} Q{_fmt(x + s * 0.5)},{_fmt(y + s * 0.8)} "
        f"{_fmt(x)},{_fmt(y + s)} Q{_fmt(x - s * 0.5)},{_fmt(y + s * 0.8)} "
        f"{_fmt(x - s * 0.75)},{_fmt(y + s * 0.25)} L{_fmt(x - s * 0.85)},{_fmt(y - s * 0.6)} Z"
    )
    return (f'<path d="{d}" fill="#1F5C99" stroke="#FFFFFF" stroke-width="1.2" />'
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y - s * 0.15)}" r="{_fmt(s * 0.22)}" fill="#FFFFFF" />'
            f'<rect x="{_fmt(x - s * 0.1)}" y="{_fmt(y - s * 0.05)}" width="{_fmt(s * 0.2)}" '
            f'height="{_fmt(s * 0.45)}" fill="#FFFFFF" />')


def _warning(x: float, y: float, s: float) -> str:
    """A warning triangle with "!": the used-violence marker."""
    corners = [(x, y - s), (x + s * 1.05, y + s * 0.85), (x - s * 1.05, y + s * 0.85)]
    pts = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in corners)
    return (f'<polygon points="{pts}" fill="{DANGER}" stroke="#FFFFFF" stroke-width="1.2" '
            'stroke-linejoin="round" />'
            f'<rect x="{_fmt(x - s * 0.11)}" y="{_fmt(y - s * 0.45)}" width="{_fmt(s * 0.22)}" '
            f'height="{_fmt(s * 0.75)}" fill="#FFFFFF" />'
            f'<circle cx="{_fmt(x)}" cy="{_fmt(y + s * 0.55)}" r="{_fmt(s * 0.13)}" fill="#FFFFFF" />')


def _no_entry(x: float, y: float, r: float) -> str:
    """The ⊘ marker of a keep-apart pair, drawn as shapes so no font is needed."""
    width = _fmt(max(2.2, r / 4))
    d = r * 0.7
    return (f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{_fmt(r)}" fill="#FFFFFF" stroke="{DANGER}" '
            f'stroke-width="{width}" />'
            f'<line x1="{_fmt(x - d)}" y1="{_fmt(y + d)}" x2="{_fmt(x + d)}" y2="{_fmt(y - d)}" '
            f'stroke="{DANGER}" stroke-width="{width}" />')


class _EdgeStyle(TypedDict, total=False):
    """SVG line attributes for one edge style (keys are `_el` keyword names)."""

    stroke: str
    stroke_width: float
    stroke_dasharray: str
    stroke_linecap: str


_EDGE_STYLE: dict[str, _EdgeStyle] = {
    "family": {"stroke": "#5A5A5A", "stroke_width": 2.0},
    "private": {"stroke": "#6E6E6E", "stroke_width": 1.4},
    "professional": {"stroke": "#6E6E6E", "stroke_width": 1.4, "stroke_dasharray": "6 4"},
    "membership": {
        "stroke": "#9A9A9A",
        "stroke_width": 1.1,
        "stroke_dasharray": "1.5 3",
        "stroke_linecap": "round",
    },
    "centre": {"stroke": "#B0B0B0", "stroke_width": 1.2},
}


# The edge styles' attributes as written (after the line's ends and keys), and the
# keep-apart line's.
_EDGE_ATTRIBUTES = {style: _attributes(attrs) for style, attrs in _EDGE_STYLE.items()}
_KEEP_APART_ATTRIBUTES = _attributes({
    "stroke": DANGER, "stroke_width": KEEP_APART_WIDTH, "stroke_dasharray": KEEP_APART_DASH,
    "stroke_linecap": "butt"})


def _wedge_path(w: SectorWedge, cx: float, cy: float) -> str:
    x0, y0 = cx + w.radius * math.cos(w.start), cy + w.radius * math.sin(w.start)
    x1, y1 = cx + w.radius * math.cos(w.end), cy + w.radius * math.sin(w.end)
    large = 1 if w.end - w.start > math.pi else 0
    return (
        f"M{_fmt(cx)},{_fmt(cy)} L{_fmt(x0)},{_fmt(y0)} "
        f"A{_fmt(w.radius)},{_fmt(w.radius)} 0 {large} 1 {_fmt(x1)},{_fmt(y1)} Z"
    )


def _text(
    parent: _Node,
    *,
    x: float,
    y: float,
    text: str,
    size: float,
    fill: str,
    weight: str = "normal",
) -> None:
    _el(
        parent,
        "text",
        text,
        x=x,
        y=y,
        font_size=size,
        fill=fill,
        font_weight=weight,
        textLength=text_width(text, size),
        lengthAdjust="spacingAndGlyphs",
    )


def render_svg(lay: Layout, id_prefix: str = "ecomap", natural_size: bool = False,
               inline: bool = False) -> str:
    """Draw a layout as a standalone, print-friendly SVG string (no script, no links).

    All text is escaped by the XML serialiser; characters XML cannot carry are dropped.
    `id_prefix` keeps element ids unique when several maps share one page. With
    `natural_size` the map is one CSS pixel per user unit (labels at their full size, for
    the zoomable view on screen) instead of filling its container's width.
    Nodes, labels and lines carry their node keys (`data-key`, `data-a`, `data-b`), so a
    viewer can highlight one person's ties. An `inline` map (in a page, under a CSP without
    inline styles) has no `style` attribute: the page's CSS sizes it.
    """
    vb = lay.view_box
    size = (
        {"width": _fmt(vb.w), "height": _fmt(vb.h)} if natural_size else {"width": "100%"}
    )
    svg = _root(
        "svg",
        {
            "xmlns": _SVG_NS,
            "viewBox": f"{_fmt(vb.x)} {_fmt(vb.y)} {_fmt(vb.w)} {_fmt(vb.h)}",
            **size,
            "preserveAspectRatio": "xMidYMid meet",
            "role": "img",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            **({} if inline else {"style": STANDALONE_STYLE}),
            "font-family": FONT_FAMILY,
        },
    )
    _el(svg, "title", lay.title_da, id=f"{id_prefix}-title")
    _el(svg, "desc", lay.desc_da, id=f"{id_prefix}-desc")
    _el(svg, "rect", x=vb.x, y=vb.y, width=vb.w, height=vb.h, fill="#FFFFFF")

    bg = _el(svg, "g", class_="sectors")
    for w in lay.wedges:
        light, dark = SECTOR_COLOURS[w.sector]
        _el(
            bg,
            "path",
            d=_wedge_path(w, lay.cx, lay.cy),
            fill=light,
            stroke="#FFFFFF",
            stroke_width=3.0,
        )
    rings = _el(
        svg,
        "g",
        class_="rings",
        fill="none",
        stroke="#FFFFFF",
        stroke_width=2.0,
        stroke_opacity=0.9,
    )
    radii = lay.band_radii
    for inner, outer in itertools.pairwise(radii):
        _el(rings, "circle", cx=lay.cx, cy=lay.cy, r=(inner + outer) / 2)
    for w in lay.wedges:
        _text(
            bg,
            x=w.label_x,
            y=w.label_y,
            text=w.label,
            size=SECTOR_SIZE,
            fill=SECTOR_COLOURS[w.sector][1],
            weight="bold",
        )

    # The many elements below are written as markup directly: through ``_el`` they were
    # half of a map's drawing. ``tests/network/test_ecomap.py`` reads them back and checks
    # each key, text and position against the layout.
    eg = _el(svg, "g", class_="edges", fill="none")
    eg.children.extend(_Verbatim(
        f'<line x1="{_fmt(e.x1)}" y1="{_fmt(e.y1)}" x2="{_fmt(e.x2)}" y2="{_fmt(e.y2)}" '
        f'data-a="{_escape_attribute(e.a_key)}" data-b="{_escape_attribute(e.b_key)}"'
        f'{_EDGE_ATTRIBUTES[e.style]}>{_elem("title", e.title)}</line>')
        for e in lay.edges)
    kg = _el(svg, "g", class_="keep-apart")
    kg.children.extend(_Verbatim(
        f'<g data-a="{_escape_attribute(k.a_key)}" data-b="{_escape_attribute(k.b_key)}">'
        f'{_elem("title", k.title)}'
        f'<line x1="{_fmt(k.x1)}" y1="{_fmt(k.y1)}" x2="{_fmt(k.x2)}" y2="{_fmt(k.y2)}"'
        f'{_KEEP_APART_ATTRIBUTES} /></g>') for k in lay.keep_apart)
    kg.children.extend(_Verbatim(_no_entry(k.marker_x, k.marker_y, MARKER_R))
                       for k in lay.keep_apart)

    ng = _el(svg, "g", class_="nodes")
    for n in lay.nodes:
        light, dark = SECTOR_COLOURS[n.sector]
        fill = light if n.shape == "organisation" else "#FFFFFF"
        node = [f'<g data-key="{_escape_attribute(n.key)}">', _elem("title", n.tooltip),
                _shape(n.shape, n.x, n.y, n.size, dark, fill)]
        if n.protected_address:
            node.append(_shield(n.x + n.size * 0.85, n.y - n.size * 0.85, BADGE * 0.75))
        if n.used_violence:
            node.append(_warning(n.x - n.size * 0.85, n.y - n.size * 0.85, BADGE * 0.7))
        node.append("</g>")
        ng.children.append(_Verbatim("".join(node)))

    lg = _el(svg, "g", class_="labels")
    colours = {"name": TEXT, "sub": SUBTEXT, "warn": DANGER}
    for lab in lay.labels:
        box = lab.box
        label = [f'<g data-key="{_escape_attribute(lab.node_key)}">',
                 _elem("title", lab.full_name),
                 f'<rect x="{_fmt(box.x)}" y="{_fmt(box.y)}" width="{_fmt(box.w)}" '
                 f'height="{_fmt(box.h)}" rx="3" fill="#FFFFFF" fill-opacity="0.9" />']
        for line in lab.lines:
            weight = "bold" if line.style == "warn" else "normal"
            label.append(_elem(
                "text", line.text, f' x="{_fmt(line.x)}" y="{_fmt(line.y)}" '
                f'font-size="{_fmt(line.size)}" fill="{colours[line.style]}" '
                f'font-weight="{weight}" textLength="{_fmt(line.width)}" '
                'lengthAdjust="spacingAndGlyphs"'))
        label.append("</g>")
        lg.children.append(_Verbatim("".join(label)))

    tb = lay.title_box
    _text(
        svg, x=tb.x, y=tb.bottom - 6, text=lay.title_da, size=TITLE_SIZE, fill=TEXT, weight="bold"
    )
    box = lay.legend_box
    svg.children.append(_Verbatim(
        f'<g class="legend" transform="translate({_fmt(box.x)} {_fmt(box.y)})">'
        f"{_legend_markup(box.w, box.h)}</g>"))
    return svg.markup()


class _Verbatim(_Node):
    """Markup written before (escaped when it was written), kept as it is."""

    __slots__ = ()

    def __init__(self, markup: str) -> None:
        super().__init__("", markup)

    def write(self, out: list[str]) -> None:
        out.append(self.head)


@lru_cache(maxsize=8)
def _legend_markup(width: float, height: float) -> str:
    """The legend's content, drawn once: the same on every map, which places it with a
    translation (a tenth of a map's drawing when each map drew it again)."""
    g = _Node("g", "")
    _legend(g, Box(0.0, 0.0, width, height))
    return "".join(child.markup() for child in g.children)


def _legend(g: _Node, box: Box) -> None:
    _el(
        g,
        "rect",
        x=box.x,
        y=box.y,
        width=box.w,
        height=box.h,
        rx=6.0,
        fill="#FFFFFF",
        stroke="#BDBDBD",
        stroke_width=1.0,
    )
    x, y = box.x + 14, box.y + 10
    _text(
        g,
        x=x,
        y=y + 14,
        text="Signaturforklaring",
        size=LEGEND_SIZE + 1.5,
        fill=TEXT,
        weight="bold",
    )
    y += LEGEND_ROW
    gx, tx = x + 14, x + 36
    for key, text in LEGEND_ITEMS:
        cy = y + LEGEND_ROW / 2
        if key in ("private", "professional", "organisation"):
            g.children.append(_Verbatim(_shape(
                key,
                gx,
                cy,
                8.0,
                SUBTEXT,
                SECTOR_COLOURS[Sector.OTHER][0] if key == "organisation" else "#FFFFFF",
            )))
        elif key.startswith("line-"):
            _el(g, "line", x1=gx - 12, y1=cy, x2=gx + 12, y2=cy, **_EDGE_STYLE[key[5:]])
        elif key == "keep-apart":
            _el(
                g,
                "line",
                x1=gx - 16,
                y1=cy,
                x2=gx + 16,
                y2=cy,
                stroke=DANGER,
                stroke_width=KEEP_APART_WIDTH,
                stroke_dasharray="7 4",
            )
            g.children.append(_Verbatim(_no_entry(gx, cy, 8.0)))
        elif key == "protected":
            g.children.append(_Verbatim(_shield(gx, cy, 8.0)))
        else:
            g.children.append(_Verbatim(_warning(gx, cy, 7.5)))
        _text(g, x=tx, y=cy + LEGEND_SIZE * 0.35, text=text, size=LEGEND_SIZE, fill=TEXT)
        y += LEGEND_ROW
    y += LEGEND_ROW / 2
    _text(g, x=x, y=y + 14, text="Sektorer", size=LEGEND_SIZE + 1.5, fill=TEXT, weight="bold")
    y += LEGEND_ROW
    for sector in Sector:
        light, dark = SECTOR_COLOURS[sector]
        cy = y + LEGEND_ROW / 2
        _el(
            g,
            "rect",
            x=gx - 11,
            y=cy - 8,
            width=22.0,
            height=16.0,
            rx=3.0,
            fill=light,
            stroke=dark,
            stroke_width=1.2,
        )
        _text(
            g, x=tx, y=cy + LEGEND_SIZE * 0.35, text=sector.label_da, size=LEGEND_SIZE, fill=TEXT
        )
        y += LEGEND_ROW
    y += LEGEND_ROW / 4
    for text in (
        "Inderst: familie. Derefter privat netværk,",
        "fagpersoner og yderst organisationer.",
    ):
        _text(g, x=x, y=y + 12, text=text, size=MIN_TEXT_SIZE, fill=SUBTEXT)
        y += LEGEND_ROW * 0.75


def ecomap_svg(
    snapshot: NetworkSnapshot,
    centre_id: NodeId | None = None,
    id_prefix: str = "ecomap",
    natural_size: bool = False,
    inline: bool = False,
) -> str:
    """The ecomap of a network as an SVG string: `render_svg(layout(...))` in one call."""
    return render_svg(layout(snapshot, centre_id), id_prefix=id_prefix, natural_size=natural_size,
                      inline=inline)
