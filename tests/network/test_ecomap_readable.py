"""Issue 17, point 6: an ecomap people can read. The SVG's text sizes, the keep-apart mark,
the keys a viewer highlights with, the natural size for the zoomable view, the text
alternative; the printed overview folded per person; the A4 landscape print page over HTTP
(the team only, audited). What the browser shows is measured in
tests/browser/test_ecomap_print_mobile.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from coordinator.audit.tables import AuditEvent
from coordinator.families.tables import TeamMember
from coordinator.network.ecomap import (
    KEEP_APART_WIDTH,
    MIN_TEXT_SIZE,
    ecomap_svg,
    layout,
    render_svg,
)
from coordinator.network.graph import (
    ChildOverview,
    Involvement,
    KeepApart,
    NetworkSnapshot,
    who_does_what_by_person,
)
from coordinator.network.tables import KeepApart as KeepApartRow
from coordinator.network.tables import Person as PersonRow
from coordinator.network.tables import Relation as RelationRow
from coordinator.network.vocab import Sector
from tests import factories as f
from tests.network.test_ecomap import family_network

SVG = "{http://www.w3.org/2000/svg}"


def _root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


@pytest.mark.parametrize("n", [5, 24, 60])
def test_no_text_on_the_map_is_smaller_than_twelve_units(n):
    """At one CSS pixel per unit (the screen's normal size) every text is 12 px or more."""
    root = _root(ecomap_svg(family_network(n)))
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= MIN_TEXT_SIZE == 12.0


def test_natural_size_is_one_pixel_per_unit_and_the_default_fills_its_box():
    lay = layout(family_network(20))
    natural = _root(render_svg(lay, natural_size=True))
    _, _, w, h = map(float, natural.get("viewBox").split())
    assert float(natural.get("width")) == pytest.approx(w, abs=0.1)
    assert float(natural.get("height")) == pytest.approx(h, abs=0.1)
    fitted = _root(render_svg(lay))
    assert fitted.get("width") == "100%" and fitted.get("height") is None


def test_nodes_labels_and_lines_carry_the_keys_a_viewer_highlights_with():
    lay = layout(family_network(12))
    root = _root(render_svg(lay))
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g") if g.get("class")}
    node_keys = [g.get("data-key") for g in groups["nodes"]]
    assert node_keys == [n.key for n in lay.nodes]
    assert [g.get("data-key") for g in groups["labels"]] == [lab.node_key for lab in lay.labels]
    lines = list(groups["edges"])
    assert [(e.get("data-a"), e.get("data-b")) for e in lines] == [
        (e.a_key, e.b_key) for e in lay.edges]
    assert {e.get("data-a") for e in lines} | {e.get("data-b") for e in lines} <= set(node_keys)
    [pair] = [g for g in groups["keep-apart"] if g.tag == f"{SVG}g"]
    assert {pair.get("data-a"), pair.get("data-b")} == {"p:2", "p:4"}


def test_the_keep_apart_mark_is_thick_red_dashed_with_a_large_marker():
    root = _root(ecomap_svg(family_network(12)))
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "keep-apart")
    line = group.find(f".//{SVG}line")
    assert float(line.get("stroke-width")) == KEEP_APART_WIDTH >= 5
    assert line.get("stroke") == "#B3261E"
    dash, gap = map(float, line.get("stroke-dasharray").split())
    assert dash > gap > 0
    marker = next(c for c in group.iter(f"{SVG}circle"))
    assert float(marker.get("r")) >= 12
    # Every other line is thinner, so the mark stands out even without colour.
    edges = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "edges")
    assert max(float(e.get("stroke-width")) for e in edges) < KEEP_APART_WIDTH
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert "Skal holdes adskilt" in "".join(legend.itertext())
    assert any(float(x.get("stroke-width") or 0) == KEEP_APART_WIDTH
               for x in legend.iter(f"{SVG}line"))


def test_the_description_names_who_must_be_kept_apart():
    snap = family_network(12)
    desc = _root(ecomap_svg(snap)).find(f"{SVG}desc").text
    assert "1 par skal holdes adskilt: Ida Jensen og Kim Madsen." in desc
    two = NetworkSnapshot(snap.people, snap.organisations, snap.relations,
                          [*snap.keep_apart, KeepApart(1, 4, "")])
    desc = _root(ecomap_svg(two)).find(f"{SVG}desc").text
    assert "2 par skal holdes adskilt: " in desc and "Emma Jensen og Kim Madsen" in desc
    none = NetworkSnapshot(snap.people, snap.organisations, snap.relations, [])
    assert "adskilt" not in _root(ecomap_svg(none)).find(f"{SVG}desc").text


# ------------------------------------------------------------- the overview on paper


def _inv(pid, name, label, note="", org=None):
    return Involvement(pid, name, org, label, Sector.OTHER, "Andet", note)


def test_who_does_what_by_person_says_each_person_once():
    overview = [
        ChildOverview(1, "Asta", (_inv(10, "Lærer Lis", "lærer for Asta", "Dansk", "Skolen"),),
                      (_inv(20, "Mormor", "mormor til Asta", "Henter"),)),
        ChildOverview(2, "Noah", (_inv(10, "Lærer Lis", "lærer for Noah", "Dansk", "Skolen"),
                                  _inv(11, "Læge", "læge for Noah")),
                      (_inv(20, "Mormor", "mormor til Noah", "Henter"),
                       _inv(21, "Nabo", "nabo til Noah", "Kaffe"))),
    ]
    rows = who_does_what_by_person(overview)
    assert [r.person_id for r in rows] == [10, 11, 20, 21]
    by_id = {r.person_id: r for r in rows}
    assert by_id[10].relations_da == ("lærer for Asta", "lærer for Noah")
    assert by_id[10].notes == ("Dansk",) and by_id[10].organisation_name == "Skolen"
    assert by_id[10].professional and not by_id[20].professional
    assert by_id[11].notes == ()
    assert by_id[20].relations_da == ("mormor til Asta", "mormor til Noah")
    assert who_does_what_by_person([]) == []


# ---------------------------------------------------------------- the print page (HTTP)


async def _family_with_pair():
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Kortlund")
    ids = {}
    for name, extra in (("Emma", {"role": "child", "is_child": True}),
                        ("Anna", {"role": "mother", "protected_address": True}),
                        ("Jens", {"role": "father", "used_violence": True})):
        ids[name] = (await PersonRow.insert(PersonRow(family=family_id, name=name,
                                                      sector="family", **extra)))[0]["id"]
    await RelationRow.insert(RelationRow(family=family_id, source=ids["Anna"],
                                         target_person=ids["Emma"], type="mother_of"))
    await KeepApartRow.insert(KeepApartRow(family=family_id, person_a=ids["Anna"],
                                           person_b=ids["Jens"], reason="Vold"))
    return worker, family_id


async def test_the_print_page_shows_the_map_alone_for_the_team_and_is_audited(client):
    worker, family_id = await _family_with_pair()
    await f.login(client, worker)
    response = await client.get(f"/families/{family_id}/network/print")
    assert response.status_code == 200
    page = response.text
    assert 'class="ecomap-print"' in page and 'role="img"' in page
    assert "Skal holdes adskilt:</strong> Anna og Jens." in page
    assert "Familien Kortlund" in page
    assert 'width="100%"' in page.split("<svg", 1)[1].split(">", 1)[0]
    assert "style=" not in page.split("<svg", 1)[1]  # CSP: no inline style
    assert response.headers["cache-control"] == "no-store"
    exports = await AuditEvent.select().where(AuditEvent.action == "export")
    assert [(e["username"], e["family_id"], e["entity"], e["summary"]) for e in exports] == [
        (worker.username, family_id, "netværkskort", "Netværkskort vist til udskrift (A4 liggende)")]
    family_page = (await client.get(f"/families/{family_id}")).text
    assert f'href="/families/{family_id}/network/print"' in family_page


@pytest.mark.parametrize("role", ["socialraadgiver", "kontaktperson", "samordner", "leder"])
async def test_the_print_page_is_not_found_outside_the_team(client, role):
    """Nobody outside the team (the father's kontaktperson on it included) sees the map."""
    _, family_id = await _family_with_pair()
    outsider = await f.user(role)
    if role == "kontaktperson":
        await TeamMember.insert(TeamMember(family=family_id, user=outsider.id,
                                           team_role="Kontaktperson, Modtagelsen"))
    await f.login(client, outsider)
    response = await client.get(f"/families/{family_id}/network/print")
    assert response.status_code == 404
    assert "Jens" not in response.text and "Anna" not in response.text
    assert await AuditEvent.count().where(AuditEvent.action == "export") == 0


async def test_the_family_page_offers_zoom_focus_and_the_natural_size(client):
    worker, family_id = await _family_with_pair()
    await f.login(client, worker)
    page = (await client.get(f"/families/{family_id}")).text
    figure = page.split('<figure class="ecomap"', 1)[1].split("</figure>", 1)[0]
    svg_tag = figure.split("<svg", 1)[1].split(">", 1)[0]
    assert 'width="100%"' not in svg_tag and 'height="' in svg_tag
    for control in ('data-ecomap-zoom="in"', 'data-ecomap-zoom="out"', 'data-ecomap-pan="left"',
                    'data-ecomap-focus', 'tabindex="0"'):
        assert control in figure
    assert '<option value="p:' in figure and ">Anna (Mor)</option>" in figure
    assert "style=" not in figure
    assert '<script src="/static/ecomap.js" defer></script>' in page
