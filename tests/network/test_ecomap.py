import math
import re
import xml.etree.ElementTree as ET
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.network.ecomap import (
    A4_RATIO,
    COLLISION_PAD,
    Box,
    Layout,
    _EDGE_STYLE,
    _Grid,
    _el,
    _root,
    _xml_safe,
    ecomap_svg,
    layout,
    render_svg,
    text_width,
    truncate,
)
from coordinator.network.graph import KeepApart, NetworkSnapshot, Organisation, Person, Relation
from coordinator.network.vocab import Sector

SVG = "{http://www.w3.org/2000/svg}"

FIRST = [
    "Anna",
    "Mette",
    "Søren",
    "Ida",
    "Lars",
    "Karen",
    "Jens",
    "Fatima",
    "Ahmed",
    "Birgitte",
    "Ole",
    "Sofie",
    "Mikkel",
    "Hanne",
    "Peter",
    "Line",
    "Rasmus",
    "Aya",
    "Jørgen",
    "Camilla",
]
LAST = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
]
ORGS = (
    Organisation(1, "Randers Krisecenter", "crisis_centre"),
    Organisation(2, "Vestervangskolen", "school"),
    Organisation(3, "Børnehuset Solsikken", "day_care"),
    Organisation(4, "Sundhedsplejen Randers", "health_visiting"),
    Organisation(5, "Modtagelsen, Familieafdelingen", "family_department"),
    Organisation(6, "PPR Randers", "ppr"),
    Organisation(7, "Jobcenter Randers", "job_centre"),
    Organisation(8, "Mary Fonden", "voluntary"),
)
PRO_TYPES = [
    (1, "social_worker_for"),
    (1, "contact_person_for"),
    (2, "teacher_of"),
    (3, "pedagogue_of"),
    (4, "health_visitor_for"),
    (5, "contact_person_for"),
    (6, "psychologist_for"),
    (7, "social_worker_for"),
    (8, "supports"),
]
PRIVATE_TYPES = [
    "grandmother_of",
    "grandfather_of",
    "aunt_uncle_of",
    "friend_of",
    "neighbour_of",
    "supports",
]


def family_network(n: int) -> NetworkSnapshot:
    """A realistic family of `n` people: two children, parents, relatives, professionals."""
    people = [
        Person(1, "Emma Jensen", is_child=True),
        Person(2, "Ida Jensen", role="mother", protected_address=True),
        Person(3, "Jonas Jensen", is_child=True),
        Person(4, "Kim Madsen", role="father", used_violence=True),
    ]
    rels = [
        Relation(1, 2, 1, "mother_of"),
        Relation(2, 2, 3, "mother_of"),
        Relation(3, 4, 1, "father_of"),
        Relation(4, 4, 3, "father_of"),
        Relation(5, 1, 3, "sibling_of"),
    ]
    i = 5
    while len(people) < n:
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        if i % 9 == 0:
            name += "-" + LAST[(i * 3) % len(LAST)]
        if i % 2:
            org, kind = PRO_TYPES[i % len(PRO_TYPES)]
            people.append(Person(i, name, is_professional=True, organisation_id=org))
            rels.append(Relation(i + 10, i, 1 if i % 3 else 2, kind, note="Samtaler"))
        else:
            kind = PRIVATE_TYPES[i % len(PRIVATE_TYPES)]
            family = kind in ("grandmother_of", "grandfather_of", "aunt_uncle_of")
            people.append(
                Person(
                    i,
                    name,
                    role="relative" if family else "private_network",
                    used_violence=(i % 22 == 0),
                    protected_address=(i % 26 == 0),
                )
            )
            rels.append(Relation(i + 10, i, 1 if family else 2, kind))
        i += 1
    return NetworkSnapshot(people, ORGS, rels, [KeepApart(2, 4, "Voldsudøver")])


def text_boxes(lay: Layout) -> list[tuple[str, Box]]:
    return [(lab.node_key, lab.box) for lab in lay.labels] + [
        (f"sector:{w.sector}", w.label_box) for w in lay.wedges
    ]


def assert_no_overlaps(lay: Layout) -> None:
    boxes = text_boxes(lay)
    for (ka, a), (kb, b) in combinations(boxes, 2):
        assert not a.overlaps(b), f"labels {ka} and {kb} overlap"
    for key, box in boxes:
        for node in lay.nodes:
            assert not box.overlaps(node.box), f"label {key} overlaps node {node.key}"
    for a, b in combinations(lay.nodes, 2):
        assert math.dist((a.x, a.y), (b.x, b.y)) >= a.size + b.size, f"{a.key} on {b.key}"
    for k in lay.keep_apart:
        marker = Box(k.marker_x - 8, k.marker_y - 8, 16, 16)
        for key, box in boxes:
            assert not box.overlaps(marker), f"label {key} covers a keep-apart marker"
    inner = [lay.title_box, lay.legend_box] + [b for _, b in boxes] + [n.box for n in lay.nodes]
    vb = lay.view_box
    for box in inner:
        assert vb.x <= box.x and box.right <= vb.right
        assert vb.y <= box.y and box.bottom <= vb.bottom
    for a, b in combinations([lay.title_box, lay.legend_box], 2):
        assert not a.overlaps(b)
    for _, box in boxes:
        assert not box.overlaps(lay.legend_box) and not box.overlaps(lay.title_box)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def all_text(root: ET.Element) -> str:
    return "\n".join("".join(el.itertext()) for el in root.iter())


# ------------------------------------------------------------------------ overlaps


@pytest.mark.parametrize("n", [1, 5, 20, 40, 60, 100])
@pytest.mark.parametrize("centre", [None, 1])
def test_labels_never_overlap(n, centre):
    lay = layout(family_network(n), centre_id=centre if n >= 1 else None)
    assert len(lay.labels) == len(lay.nodes)
    assert_no_overlaps(lay)


def test_every_node_is_drawn_once():
    snap = family_network(60)
    lay = layout(snap, centre_id=1)
    keys = [n.key for n in lay.nodes]
    assert len(keys) == len(set(keys)) == len(snap.people) + len(snap.organisations)
    assert keys[0] == "centre"


def test_layout_is_deterministic():
    snap = family_network(60)
    assert render_svg(layout(snap)) == render_svg(layout(snap))


def test_sixty_people_lay_out_and_parse():
    """Sixty people fit on the map (the time it takes is measured in bench/bench_network.py)."""
    root = parse(ecomap_svg(family_network(60)))
    assert root.get("role") == "img"


# ------------------------------------------------------------------------- the SVG


def test_svg_is_accessible_printable_and_self_contained():
    svg = ecomap_svg(family_network(40))
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert "max-width:277mm" in root.get("style")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title.text == "Økokort for familien"
    assert desc.text.startswith("Økokort for familien:") and "fagpersoner" in desc.text
    assert root.get("aria-labelledby") == "ecomap-title ecomap-desc"
    x, y, w, h = map(float, root.get("viewBox").split())
    assert w / h == pytest.approx(A4_RATIO, rel=1e-3)
    lowered = svg.lower()
    for forbidden in ("<script", "javascript:", "href", "<image", "@import", "url(", "onload"):
        assert forbidden not in lowered
    assert re.findall(r"https?://[^\"']+", svg) == ["http://www.w3.org/2000/svg"]


def test_labels_keep_exactly_the_characters_xml_can_carry():
    """XML 1.0's Char production, checked over every code point."""
    def xml_char(ch: str) -> bool:
        return (ch in "\t\n\r" or "\x20" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
                or "\U00010000" <= ch <= "\U0010ffff")

    every = "".join(map(chr, range(0x110000)))
    assert _xml_safe(every) == "".join(ch for ch in every if xml_char(ch))


@given(st.text(), st.text(), st.floats(allow_nan=True, allow_infinity=False))
@settings(max_examples=200, deadline=None)
def test_the_map_is_written_as_elementtree_writes_it(text, value, number):
    """render_svg writes its elements itself, escaping each value once; the characters are
    those ElementTree's serialiser writes for the same tree."""
    ours = _root("svg", {"xmlns": "http://www.w3.org/2000/svg", "data-x": value})
    theirs = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "data-x": value})
    group = _el(ours, "g", class_="labels", data_key=value)
    their_group = ET.SubElement(theirs, "g", {"class": "labels", "data-key": value})
    _el(group, "text", text, x=number, font_size=3.0, stroke_width=2)
    shown = f"{number:.1f}".rstrip("0").rstrip(".") if number == number else "0"
    their_text = ET.SubElement(their_group, "text", {"x": shown, "font-size": "3", "stroke-width": "2"})
    their_text.text = _xml_safe(text)
    _el(group, "title", "")
    ET.SubElement(their_group, "title").text = ""
    _el(ours, "rect")
    ET.SubElement(theirs, "rect")
    assert ours.markup() == ET.tostring(theirs, encoding="unicode")


def test_hostile_names_are_escaped():
    hostile = "<script>alert(\"x\")</script> & 'Co' ]]> <!--"
    snap = NetworkSnapshot(
        [
            Person(1, "Barn", is_child=True),
            Person(2, hostile),
            Person(3, "Ctrl\x00\x07\x1b\ufffe Name\ud800", is_professional=True),
        ],
        [Organisation(9, "<b>Org</b> & Søn", "school")],
        [Relation(1, 2, 1, "supports", note="</text><script>"), Relation(2, 3, 1, "teacher_of")],
        [KeepApart(2, 3, '<evil> & "quoted"')],
    )
    svg = ecomap_svg(snap, centre_id=1)
    root = parse(svg)
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    text = all_text(root)
    assert hostile in text  # the full name, intact, in a <title> tooltip
    assert "<b>Org</b> & Søn" in text
    assert "Ctrl Name" in text and "\x00" not in svg
    assert '<evil> & "quoted"' in text
    assert not list(root.iter(f"{SVG}script"))


@pytest.mark.parametrize(
    ("person", "texts"),
    [
        (Person(2, "Ida", protected_address=True), ["Beskyttet"]),
        (Person(2, "Kim", used_violence=True), ["Udøvet vold"]),
        (
            Person(2, "Begge", protected_address=True, used_violence=True),
            ["Beskyttet · Udøvet vold"],
        ),
    ],
)
def test_safety_markers_have_text(person, texts):
    snap = NetworkSnapshot([Person(1, "Barn", is_child=True), person])
    lay = layout(snap, centre_id=1)
    node = next(n for n in lay.nodes if n.key == "p:2")
    label = next(lab for lab in lay.labels if lab.node_key == "p:2")
    assert [line.text for line in label.lines if line.style == "warn"] == texts
    assert node.protected_address == person.protected_address
    assert node.used_violence == person.used_violence
    svg = render_svg(lay)
    if person.protected_address:
        assert 'fill="#1F5C99"' in svg  # the shield glyph
    if person.used_violence:
        assert 'fill="#B3261E"' in svg  # the warning triangle


def test_keep_apart_is_a_red_dashed_line_with_marker_and_in_legend():
    lay = layout(family_network(12))
    [pair] = lay.keep_apart
    assert {pair.a_key, pair.b_key} == {"p:2", "p:4"}
    assert "Voldsudøver" in pair.title
    root = parse(render_svg(lay))
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "keep-apart")
    line = group.find(f".//{SVG}line")
    assert line.get("stroke") == "#B3261E" and line.get("stroke-dasharray")
    assert any(c.get("stroke") == "#B3261E" for c in group.iter(f"{SVG}circle"))
    assert "Skal holdes adskilt" in all_text(root)


def test_shapes_and_line_styles_differ_not_only_colour():
    snap = NetworkSnapshot(
        [
            Person(1, "Barn", is_child=True),
            Person(2, "Mormor"),
            Person(3, "Lærer", is_professional=True, organisation_id=9),
        ],
        [Organisation(9, "Skolen", "school")],
        [Relation(1, 2, 1, "grandmother_of"), Relation(2, 3, 1, "teacher_of")],
    )
    lay = layout(snap, centre_id=1)
    shapes = {n.key: n.shape for n in lay.nodes}
    assert shapes == {
        "centre": "centre",
        "p:2": "private",
        "p:3": "professional",
        "o:9": "organisation",
    }
    styles = {(e.a_key, e.b_key): e.style for e in lay.edges}
    assert styles[("centre", "p:2")] == "family"
    assert styles[("centre", "p:3")] == "professional"
    assert styles[("o:9", "p:3")] == "membership"
    root = parse(render_svg(lay))
    nodes = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "nodes")
    tags = [child[1].tag for child in nodes]  # [0] is the <title>
    assert tags == [f"{SVG}circle", f"{SVG}circle", f"{SVG}rect", f"{SVG}polygon"]
    edges = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "edges")
    dashes = {line.find(f"{SVG}title").text: line.get("stroke-dasharray") for line in edges}
    assert dashes["Mormor bedstemor til Barn"] is None
    assert dashes["Lærer lærer for Barn"] == "6 4"


def test_rings_order_family_private_professional_organisation():
    lay = layout(family_network(30), centre_id=1)
    radius = {}
    for n in lay.nodes:
        radius.setdefault(n.band, []).append(math.hypot(n.x - lay.cx, n.y - lay.cy))
    bands = sorted(b for b in radius if b >= 0)
    assert bands == [0, 1, 2, 3]
    for inner, outer in zip(bands, bands[1:]):
        assert max(radius[inner]) < min(radius[outer])


def test_nodes_sit_in_their_sector_wedge():
    lay = layout(family_network(50))
    wedges = {w.sector: w for w in lay.wedges}
    assert [w.sector for w in lay.wedges] == list(Sector)
    for n in lay.nodes:
        if n.key == "centre":
            continue
        w = wedges[n.sector]
        angle = math.atan2(n.y - lay.cy, n.x - lay.cx)
        while angle < w.start:
            angle += 2 * math.pi
        assert angle <= w.end, n.key


def test_long_names_are_truncated_with_full_name_in_tooltip():
    long_name = "Maria-Kristina Bjørnholm-Frederiksen von Rosenørn-Lehn Andersen"
    snap = NetworkSnapshot(
        [Person(1, "Barn", is_child=True), Person(2, long_name)],
        (),
        [Relation(1, 2, 1, "supports")],
    )
    lay = layout(snap, centre_id=1)
    label = next(lab for lab in lay.labels if lab.node_key == "p:2")
    assert label.truncated and label.lines[0].text.endswith("…")
    assert label.full_name == long_name
    root = parse(render_svg(lay))
    assert long_name in [t.text for t in root.iter(f"{SVG}title")]


def test_unknown_centre_is_rejected():
    with pytest.raises(ValueError, match="not a person"):
        layout(family_network(5), centre_id=999)


def test_empty_network_still_renders():
    root = parse(ecomap_svg(NetworkSnapshot(())))
    assert "Familien" in all_text(root)


def test_id_prefix_keeps_ids_unique():
    root = parse(ecomap_svg(family_network(3), id_prefix="kort2"))
    assert root.get("aria-labelledby") == "kort2-title kort2-desc"


# -------------------------------------------------------------------- text metrics


@pytest.mark.parametrize(
    ("narrow", "wide"),
    [("iiii", "MMMM"), ("Ida", "Ida Jensen"), ("ll", "ææ"), ("a", "中")],
)
def test_text_width_orders_by_glyph_width(narrow, wide):
    assert text_width(narrow, 13) < text_width(wide, 13)


def test_text_width_scales_with_size():
    assert text_width("Søren", 26) == pytest.approx(2 * text_width("Søren", 13))


@pytest.mark.parametrize("max_width", [20, 60, 120])
def test_truncate_fits(max_width):
    text = "Bedstemor Gudrun Margrethe Kristensen"
    cut = truncate(text, 13, max_width)
    assert cut.endswith("…") and text_width(cut, 13) <= max_width
    assert truncate("Ida", 13, 120) == "Ida"


# --------------------------------------------------------------------------- fuzz

name_chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
names = st.text(alphabet=name_chars, min_size=0, max_size=45)


@st.composite
def random_networks(draw):
    n = draw(st.integers(min_value=1, max_value=80))
    n_orgs = draw(st.integers(min_value=0, max_value=8))
    orgs = [
        Organisation(
            1000 + k,
            draw(names),
            draw(
                st.sampled_from(
                    [
                        "school",
                        "day_care",
                        "health_visiting",
                        "authority",
                        "crisis_centre",
                        "voluntary",
                        "police",
                        "other",
                    ]
                )
            ),
        )
        for k in range(n_orgs)
    ]
    people = []
    for i in range(n):
        pro = draw(st.booleans())
        people.append(
            Person(
                i,
                draw(names),
                is_professional=pro,
                sector=draw(st.sampled_from(list(Sector))),
                organisation_id=(
                    (1000 + draw(st.integers(0, n_orgs - 1))) if pro and n_orgs else None
                ),
                is_child=not pro and draw(st.integers(0, 5)) == 0,
                protected_address=draw(st.integers(0, 6)) == 0,
                used_violence=draw(st.integers(0, 8)) == 0,
            )
        )
    kinds = ["mother_of", "friend_of", "teacher_of", "supports", "knows", "grandmother_of"]
    rels = []
    for r in range(draw(st.integers(0, n))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        rels.append(Relation(r, a, b, draw(st.sampled_from(kinds))))
    apart = [
        KeepApart(draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1)))
        for _ in range(draw(st.integers(0, 3)))
    ]
    centre = draw(st.one_of(st.none(), st.integers(0, n - 1)))
    return NetworkSnapshot(people, orgs, rels, apart), centre


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_networks())
def test_fuzz_random_networks_never_overlap_and_always_parse(case):
    snap, centre = case
    lay = layout(snap, centre_id=centre)
    assert_no_overlaps(lay)
    root = parse(render_svg(lay))
    assert root.get("role") == "img"
    assert not list(root.iter(f"{SVG}script"))


def _shown(text: str) -> str:
    """Text as a parser reads it back: what XML can carry, line ends as one newline."""
    return _xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")


def _number(value: str | None) -> float:
    assert value is not None
    return float(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_networks())
def test_the_map_carries_every_name_key_and_position_as_laid_out(case):
    """The nodes, labels, lines and keep-apart pairs are written as markup directly (not
    through ``_el``): read back, each carries its key, its text and its place exactly."""
    snap, centre = case
    lay = layout(snap, centre_id=centre)
    root = parse(render_svg(lay))
    groups = {g.get("class"): g for g in root.findall(f"{SVG}g")}

    nodes = list(groups["nodes"])
    assert [g.get("data-key") for g in nodes] == [n.key for n in lay.nodes]
    for g, node in zip(nodes, lay.nodes, strict=True):
        assert (g.find(f"{SVG}title").text or "") == _shown(node.tooltip)
        shape = g[1]
        x = shape.get("cx") or shape.get("x") or shape.get("points").split(",")[0]
        assert abs(_number(x) - node.x) <= node.size + 0.05

    labels = list(groups["labels"])
    assert [g.get("data-key") for g in labels] == [lab.node_key for lab in lay.labels]
    for g, lab in zip(labels, lay.labels, strict=True):
        assert (g.find(f"{SVG}title").text or "") == _shown(lab.full_name)
        rect = g.find(f"{SVG}rect")
        assert _number(rect.get("x")) == pytest.approx(lab.box.x, abs=0.05)
        assert _number(rect.get("height")) == pytest.approx(lab.box.h, abs=0.05)
        texts = g.findall(f"{SVG}text")
        assert [t.text or "" for t in texts] == [_shown(line.text) for line in lab.lines]
        for t, line in zip(texts, lab.lines, strict=True):
            assert _number(t.get("y")) == pytest.approx(line.y, abs=0.05)
            assert _number(t.get("textLength")) == pytest.approx(line.width, abs=0.05)
            assert t.get("font-weight") == ("bold" if line.style == "warn" else "normal")

    lines = list(groups["edges"])
    assert [(e.get("data-a"), e.get("data-b")) for e in lines] == [
        (e.a_key, e.b_key) for e in lay.edges]
    for element, edge in zip(lines, lay.edges, strict=True):
        assert (element.find(f"{SVG}title").text or "") == _shown(edge.title)
        assert _number(element.get("x2")) == pytest.approx(edge.x2, abs=0.05)
        assert element.get("stroke") == _EDGE_STYLE[edge.style]["stroke"]

    pairs = groups["keep-apart"].findall(f"{SVG}g")
    assert [(g.get("data-a"), g.get("data-b")) for g in pairs] == [
        (k.a_key, k.b_key) for k in lay.keep_apart]
    for g, pair in zip(pairs, lay.keep_apart, strict=True):
        assert (g.find(f"{SVG}title").text or "") == _shown(pair.title)
        assert g.find(f"{SVG}line").get("stroke-dasharray") == "14 7"
    markers = groups["keep-apart"].findall(f"{SVG}circle")
    assert [(_number(c.get("cx")), _number(c.get("cy"))) for c in markers] == [
        pytest.approx((k.marker_x, k.marker_y), abs=0.05) for k in lay.keep_apart]


_coordinate = st.floats(min_value=-900, max_value=900, allow_nan=False)
_extent = st.floats(min_value=0, max_value=300, allow_nan=False)
_boxes = st.builds(Box, _coordinate, _coordinate, _extent, _extent)


@settings(max_examples=300, deadline=None)
@given(added=st.lists(_boxes, max_size=30), asked=st.lists(_boxes, min_size=1, max_size=10))
def test_the_layout_grid_answers_as_the_boxes_overlap(added, asked):
    """The grid keeps numbers, not boxes: it must still answer exactly as ``Box.overlaps``
    with the collision pad, for boxes across cells, touching and far apart."""
    grid = _Grid()
    for box in added:
        grid.add(box)
    for box in asked + added[:3]:
        expected = any(box.overlaps(other, COLLISION_PAD) for other in added)
        assert grid.hits(box) is expected
        assert grid.hits_at(box.x, box.y, box.w, box.h) is expected
