"""Finding a family on the start page: text, status, crisis centre, nearest meeting first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.families import service
from coordinator.families.tables import Family
from coordinator.meetings.piccolo_migrations import (
    meetings_2026_12_03t18_00_00_000000 as upcoming_index,
)
from coordinator.meetings.tables import Meeting
from coordinator.network.tables import Person
from tests import factories as f


async def _world():
    sara, stranger = await f.user(), await f.user()
    ids = {
        "aalund": await f.family(sara, name="Familien Ålund"),
        "berg": await f.family(sara, name="Familien Berg", at_crisis_centre=False),
        "closed": await f.family(sara, name="Familien Lukket"),
        "foreign": await f.family(stranger, name="Familien Fremmed"),
    }
    await Family.update({Family.status: "closed"}).where(Family.id == ids["closed"])
    await Person.insert(Person(family=ids["berg"], name="Yasmin Hansen", role="mother",
                               sector="family"))
    await Person.insert(Person(family=ids["foreign"], name="Yasmin Hansen", role="mother",
                               sector="family"))
    soon = app_clock.now() + timedelta(days=2)
    await Meeting.insert(Meeting(family=ids["berg"], kind="netvaerksmoede", title="Møde",
                                 status="invited", starts_at=soon, ends_at=soon + timedelta(hours=1)))
    past = app_clock.now() - timedelta(days=2)
    await Meeting.insert(Meeting(family=ids["aalund"], kind="netvaerksmoede", title="Møde",
                                 status="held", starts_at=past, ends_at=past + timedelta(hours=1)))
    return sara, ids


def test_the_next_meeting_is_read_with_the_condition_of_its_index():
    """Each family's next meeting is one step into the partial index of upcoming meetings
    only while the statement's condition is the index's: the same literals, in order."""
    condition = service._UPCOMING.replace('m."status"', '"status"')
    assert upcoming_index.INDEX.endswith(f" WHERE {condition}")


def _listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<li>\s*<a href="/families/(\d+)">', html)]


@pytest.mark.parametrize("query,expected", [
    ("", ["berg", "aalund"]),  # the nearest next meeting first, then by name
    ("?q=yasmin", ["berg"]),  # a person's name
    ("?q=ålund", ["aalund"]),
    ("?q=T-", ["berg", "aalund"]),  # part of the reference
    ("?status=closed", ["closed"]),
    ("?status=all", ["berg", "closed", "aalund"]),  # Danish order: Å last
    ("?centre=ja", ["aalund"]),
    ("?centre=nej", ["berg"]),
    ("?q=fremmed", []),  # a stranger's family is never found
    ("?q=%25", ["berg", "aalund"]),  # a typed wildcard is only a character
    ("?status=hacker&centre=x", ["berg", "aalund"]),  # unknown values: no filter
])
async def test_the_start_page_finds_own_families(client, query, expected):
    sara, ids = await _world()
    await f.login(client, sara)
    response = await client.get("/" + query)
    assert response.status_code == 200
    assert _listed(response.text) == [ids[k] for k in expected]
    assert "Familien Fremmed" not in response.text
    if query and not expected:
        assert "Ingen af dine familier passer på søgningen." in response.text


async def test_the_next_meeting_is_shown(client):
    sara, ids = await _world()
    await f.login(client, sara)
    html = (await client.get("/")).text
    assert html.count("Næste møde") == 1
