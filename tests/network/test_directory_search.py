"""A large organisation directory is searched, not listed whole: the pure rules (search,
the list's tags, a search's answer), and the network editor's organisation select and name
suggestions over HTTP."""

from __future__ import annotations

import re

import pytest

from coordinator import web
from coordinator.network import directory
from coordinator.network.tables import Organisation, Person
from tests import factories as f

NAMES = [(1, "Nørre Skole"), (2, "Skolen ved Søen"), (3, "Sundhedsplejen Øst"),
         (4, "Børnehuset Skovly"), (5, "Demoby Krisecenter"), (6, "Østre  Skolefritidsordning")]
LABELS = dict(NAMES)


def test_every_word_must_be_in_the_name_and_case_does_not_matter():
    assert directory.search(NAMES, "SKOLE") == [2, 1, 6]
    assert directory.search(NAMES, "nørre sko") == [1]
    assert directory.search(NAMES, "skole øst") == [6]  # both words, in either order
    assert directory.search(NAMES, "skole vest") == []  # no name holds both
    assert directory.search(NAMES, "  øst  ") == [6, 3]
    assert directory.search(NAMES, "norre") == []  # the letters themselves must match


def test_names_that_start_with_the_text_come_first_then_words_that_start_with_it():
    # »Skolen ved Søen« starts with it; »Børnehuset Skovly«, »Nørre Skole« and »Østre
    # Skolefritidsordning« have a word that does (by name).
    assert directory.search(NAMES, "sko") == [2, 4, 1, 6]
    assert directory.search(NAMES, "ole") == [1, 2, 6]  # inside words only: by name


def test_a_text_too_short_finds_nothing_and_the_results_are_capped():
    assert directory.search(NAMES, "s") == [] and directory.search(NAMES, " ") == []
    many = [(i, f"Skole {i:04d}") for i in range(100)]
    found = directory.search(many, "skole")
    assert len(found) == directory.SEARCH_RESULTS and found[:2] == [0, 1]
    assert directory.search(many, "skole", limit=3) == [0, 1, 2]


def test_a_directory_is_large_past_the_list_limit():
    assert not directory.is_large(directory.LIST_LIMIT)
    assert directory.is_large(directory.LIST_LIMIT + 1)
    assert (web.fmt_number(4100), web.fmt_number(12), web.fmt_number(1234567)) == \
        ("4.100", "12", "1.234.567")  # as the search field's hint counts them


def test_the_list_holds_the_near_ones_by_name_and_the_chosen_one_apart_when_it_is_not_near():
    chosen, near = directory.listed_options(LABELS, 5, [3, 1, 99])
    assert chosen == '<option value="5" selected>Demoby Krisecenter</option>'
    assert near == ('<option value="1">Nørre Skole</option>'
                    '<option value="3">Sundhedsplejen Øst</option>')  # 99 is unknown
    chosen, near = directory.listed_options(LABELS, 3, [3])
    assert chosen == "" and near == '<option value="3" selected>Sundhedsplejen Øst</option>'
    assert directory.listed_options({7: "<Skolen & co>"}, None, [7])[1] == \
        '<option value="7">&lt;Skolen &amp; co&gt;</option>'


def test_a_search_keeps_the_chosen_one_first_and_leaves_out_what_the_list_holds():
    found = directory.found_options(LABELS, "skole", 4, near=[1])
    assert found.options == ('<option value="4" selected>Børnehuset Skovly</option>'
                             '<option value="2">Skolen ved Søen</option>'
                             '<option value="6">Østre  Skolefritidsordning</option>')
    assert found.status == "2 organisationer fundet for »skole«, øverst i listen."
    found = directory.found_options(LABELS, "nørre", 1, near=[1])  # chosen and near
    assert found.options == "" and "allerede står i listen" in found.status
    found = directory.found_options(LABELS, "zz<b>", None)
    assert found.options == "" and found.status == "Ingen organisation matcher »zz<b>«."
    assert directory.found_options(LABELS, "s", 2) == directory.Found(
        '<option value="2" selected>Skolen ved Søen</option>', "")
    # only the searchable pairs are found, whatever the labels hold
    found = directory.found_options(LABELS, "krise", None, searchable=[(1, "Nørre Skole")])
    assert found.options == "" and "Ingen" in found.status


def test_choose_marks_one_tag():
    tags = directory.option_tags([(1, "A"), (12, "B"), (2, "C")])
    assert directory.choose(tags, 2) == ('<option value="1">A</option><option value="12">B'
                                         '</option><option value="2" selected>C</option>')
    assert directory.choose(tags, None) == tags


@pytest.fixture
def large(monkeypatch):
    """Every directory counts as large: the test's few organisations take the searched form."""
    monkeypatch.setattr(directory, "LIST_LIMIT", 2)


async def _directory(family_id: int) -> dict[str, int]:
    ids = {}
    for name, kind in (("Fjordskolen", "school"), ("Sundhedsplejen Vest", "health_visitor"),
                       ("Tandplejen Nord", "other"), ("Fritidsklubben Fyrtårnet", "other")):
        [row] = await Organisation.insert(Organisation(name=name, kind=kind, sector="other"))
        ids[name] = row["id"]
    await Person.insert(Person(family=family_id, name="Lise Lærer", role="professional",
                               is_professional=True, sector="education",
                               organisation=ids["Fjordskolen"]))
    return ids


def _select(page: str, select_id: str) -> str:
    found = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert found, f"no select {select_id}"
    return found.group(0)


async def search(client, path: str, data: dict, target: str | None = None):
    """Post a picker's search as htmx does (the CSRF header, the target's id)."""
    headers = {"HX-Request": "true", "X-CSRFToken": await f.csrf_token(client, "/")}
    if target:
        headers["HX-Target"] = target
    return await client.post(path, data=data, headers=headers)


async def test_the_editor_lists_the_networks_organisations_and_searches_the_rest(client, large):
    sara = await f.user()
    family_id = await f.family(sara)
    ids = await _directory(family_id)
    await f.login(client, sara)
    page = (await client.get(f"/families/{family_id}/network")).text
    select = _select(page, "rel-target_organisation")
    assert "Fjordskolen" in select and "Tandplejen" not in select and "Sundhedsplejen" not in select
    assert 'id="rel-target_organisation-found"' in select
    assert 'hx-post="/organisations/options"' in page and "data-org-search hidden" in page
    assert f'hx-vals=\'{{"near": "{ids["Fjordskolen"]}"}}\'' in page
    datalist = re.search(r'<datalist id="org-directory">(.*?)</datalist>', page, re.S).group(1)
    assert datalist == '<option value="Fjordskolen"></option>'
    assert 'hx-post="/organisations/suggestions" hx-params="organisation"' in page
    # a search: every word; the chosen one kept first and chosen; the near ones left out
    r = await search(client, "/organisations/options", {
        "q": "pleje", "target_organisation": str(ids["Tandplejen Nord"]),
        "near": str(ids["Fjordskolen"])}, target="rel-target_organisation-found")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.text == (
        f'<option value="{ids["Tandplejen Nord"]}" selected>Tandplejen Nord</option>'
        f'<option value="{ids["Sundhedsplejen Vest"]}">Sundhedsplejen Vest</option>'
        '<span id="rel-target_organisation-q-status" class="hint" role="status" '
        'hx-swap-oob="true">1 organisation fundet for »pleje«, øverst i listen.</span>')
    r = await search(client, "/organisations/options", {"q": "fjord", "near": str(ids["Fjordskolen"])})
    assert r.text == ""  # only the listed one matches; no target named, no status line
    r = await search(client, "/organisations/suggestions", {"organisation": "fyrtår"})
    assert r.text == '<option value="Fritidsklubben Fyrtårnet"></option>'
    r = await search(client, "/organisations/suggestions", {"organisation": " f "})
    assert r.status_code == 204  # too little typed: the suggestions it has stay


async def test_a_small_directory_is_listed_whole_without_a_search(client):
    sara = await f.user()
    family_id = await f.family(sara)
    ids = await _directory(family_id)
    await f.login(client, sara)
    page = (await client.get(f"/families/{family_id}/network")).text
    select = _select(page, "rel-target_organisation")
    assert all(name in select for name in ("Fjordskolen", "Tandplejen Nord", "Sundhedsplejen Vest"))
    assert "data-org-search" not in page and "/organisations/suggestions" not in page
    assert '<option value="Tandplejen Nord"></option>' in page
    # a refused relation keeps the organisation chosen
    r = await f.post_form(client, f"/families/{family_id}/network/relations", {
        "type": "works_at", "target_organisation": str(ids["Tandplejen Nord"])},
        page=f"/families/{family_id}/network", htmx=True)
    assert r.status_code == 422
    assert f'<option value="{ids["Tandplejen Nord"]}" selected>Tandplejen Nord</option>' in \
        _select(r.text, "rel-target_organisation")


@pytest.mark.parametrize("data", [
    {"q": "x" * 5000}, {"q": "sko", "target_organisation": "abc"},
    {"q": "sko", "target_organisation": "99999999999999999999"}, {"q": "sko", "near": "1,x,,-2"},
    {"target_organisation": "-1"}, {},
])
async def test_odd_searches_answer_plainly(client, large, data):
    sara = await f.user()
    family_id = await f.family(sara)
    await _directory(family_id)
    await f.login(client, sara)
    r = await search(client, "/organisations/options", data, target="x\"><script>-found")
    assert r.status_code == 200, r.text[:200]
    assert "selected" not in r.text and "<script>" not in r.text and "<span" not in r.text
    r = await search(client, "/organisations/suggestions", {"organisation": data.get("q", "")})
    assert r.status_code in (200, 204)
