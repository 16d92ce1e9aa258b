"""A large organisation directory is searched, not listed whole: the pure search rule, and
the network editor's organisation select and name suggestions over HTTP."""

from __future__ import annotations

import re

import pytest

from coordinator.network import directory
from coordinator.network.tables import Organisation, Person
from tests import factories as f

NAMES = [(1, "Nørre Skole"), (2, "Skolen ved Søen"), (3, "Sundhedsplejen Øst"),
         (4, "Børnehuset Skovly"), (5, "Demoby Krisecenter"), (6, "Østre  Skolefritidsordning")]


def test_every_word_must_be_in_the_name_and_case_does_not_matter():
    assert directory.search(NAMES, "SKOLE") == [2, 1, 6]
    assert directory.search(NAMES, "nørre sko") == [1]
    assert directory.search(NAMES, "skole øst") == [6]  # both words, in either order
    assert directory.search(NAMES, "skole vest") == []  # no name holds both
    assert directory.search(NAMES, "  øst  ") == [6, 3]


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


@pytest.fixture
def large(monkeypatch):
    """Every directory counts as large: the demo sizes then take the searched form."""
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


async def test_the_editor_lists_the_networks_organisations_and_searches_the_rest(client, large):
    sara = await f.user()
    family_id = await f.family(sara)
    ids = await _directory(family_id)
    await f.login(client, sara)
    page = (await client.get(f"/families/{family_id}/network")).text
    select = _select(page, "rel-target_organisation")
    assert "Fjordskolen" in select and "Tandplejen" not in select and "Sundhedsplejen" not in select
    assert 'id="rel-target_organisation-found"' in select
    assert 'hx-get="/organisations/options"' in page and "data-org-search hidden" in page
    datalist = re.search(r'<datalist id="org-directory">(.*?)</datalist>', page, re.S).group(1)
    assert datalist == '<option value="Fjordskolen"></option>'
    assert 'hx-get="/organisations/suggestions"' in page
    # the search: every word, the chosen one kept first and chosen
    r = await client.get("/organisations/options", params={
        "q": "pleje", "target_organisation": str(ids["Fjordskolen"])})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.text == (f'<option value="{ids["Fjordskolen"]}" selected>Fjordskolen</option>'
                      f'<option value="{ids["Sundhedsplejen Vest"]}">Sundhedsplejen Vest</option>'
                      f'<option value="{ids["Tandplejen Nord"]}">Tandplejen Nord</option>')
    r = await client.get("/organisations/options", params={"q": "zzz"})
    assert r.text == '<option value="" disabled>Ingen organisation matcher »zzz«</option>'
    r = await client.get("/organisations/suggestions", params={"organisation": "fyrtår"})
    assert r.text == '<option value="Fritidsklubben Fyrtårnet"></option>'


async def test_a_small_directory_is_listed_whole_without_a_search(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await _directory(family_id)
    await f.login(client, sara)
    page = (await client.get(f"/families/{family_id}/network")).text
    select = _select(page, "rel-target_organisation")
    assert all(name in select for name in ("Fjordskolen", "Tandplejen Nord", "Sundhedsplejen Vest"))
    assert "data-org-search" not in page and "/organisations/suggestions" not in page
    assert '<option value="Tandplejen Nord"></option>' in page


@pytest.mark.parametrize("params", [
    {"q": "x" * 5000}, {"q": "sko", "target_organisation": "abc"},
    {"q": "sko", "target_organisation": "99999999999999999999"}, {"q": ["a", "b"]},
    {"target_organisation": "-1"}, {},
])
async def test_odd_searches_answer_plainly(client, large, params):
    sara = await f.user()
    family_id = await f.family(sara)
    await _directory(family_id)
    await f.login(client, sara)
    r = await client.get("/organisations/options", params=params)
    assert r.status_code == 200, r.text[:200]
    assert "selected" not in r.text
    r = await client.get("/organisations/suggestions",
                         params={"organisation": params.get("q", "")})
    assert r.status_code == 200
