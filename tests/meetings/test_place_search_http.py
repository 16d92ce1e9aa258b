"""A large organisation directory in the place picker: the team's page lists the family's
own organisations and searches the rest; readers outside the team (the father's
kontaktperson) are never offered which schools are the family's, nor find a protected
place by its name."""

from __future__ import annotations

import re

import pytest

from coordinator import clock as app_clock
from coordinator.meetings.tables import BicSession, Meeting
from coordinator.network import directory
from coordinator.network.tables import Organisation, Person
from tests import factories as f
from tests.meetings import support as s
from tests.meetings.test_bic_http import _post as bic_post
from tests.meetings.test_bic_http import _session


@pytest.fixture(autouse=True)
def large(monkeypatch):
    """Every directory counts as large: the test's few organisations take the searched form."""
    monkeypatch.setattr(directory, "LIST_LIMIT", 2)


async def _organisations(family_id: int) -> dict[str, int]:
    [centre] = await Organisation.insert(Organisation(
        name="Demoby Krisecenter", kind="crisis_centre", sector="crisis_centre",
        address="Skjultvej 1", location_protected=True))
    ids = {"Demoby Krisecenter": centre["id"]}
    for name in ("Fjordskolen", "Rådhuset Demoby", "Tandplejen Nord", "Biblioteket Syd"):
        [row] = await Organisation.insert(Organisation(name=name, kind="school" if "skole" in name
                                                       else "other", sector="other"))
        ids[name] = row["id"]
    await Person.insert(Person(family=family_id, name="Lise Lærer", role="professional",
                               is_professional=True, sector="education",
                               organisation=ids["Fjordskolen"]))
    return ids


def _picker(page: str) -> str:
    found = re.search(r'<select id="d-org".*?</select>', page, re.S)
    assert found, "no place picker"
    return found.group(0)


async def test_the_team_sees_the_familys_places_and_searches_the_rest(client):
    sara = await f.user()
    family_id = await f.family(sara)
    ids = await _organisations(family_id)
    await f.login(client, sara)
    new = (await client.get(f"/families/{family_id}/meetings/new")).text
    new_picker = re.search(r'<select id="m-org".*?</select>', new, re.S).group(0)
    assert "Fjordskolen" in new_picker and "Tandplejen" not in new_picker
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværksmøde", "location": "",
        "location_organisation": str(ids["Biblioteket Syd"])}, page=f"/families/{family_id}")
    assert r.status_code == 303, r.text[:300]
    page = (await client.get(r.headers["location"])).text
    picker = _picker(page)
    # the family's school, and the place its meetings are held, chosen; nothing else listed
    assert f'<option value="{ids["Biblioteket Syd"]}" selected>Biblioteket Syd</option>' in picker
    assert "Fjordskolen" in picker and "I familiens netværk" in picker
    assert all(name not in picker for name in ("Tandplejen", "Rådhuset", "Krisecenter"))
    assert 'hx-get="/meetings/places"' in page and 'id="d-org-found"' in picker
    # the team finds a protected place, marked as one, the chosen place kept chosen
    r = await client.get("/meetings/places", params={
        "q": "krise", "location_organisation": str(ids["Fjordskolen"])})
    assert r.status_code == 200
    assert r.text == (f'<option value="{ids["Fjordskolen"]}" selected>Fjordskolen</option>'
                      f'<option value="{ids["Demoby Krisecenter"]}">Demoby Krisecenter '
                      '(beskyttet adresse)</option>')
    # a place found by a search is saved like a listed one
    [row] = await Meeting.select(Meeting.id)
    meeting_id = row["id"]
    m = await Meeting.select().where(Meeting.id == meeting_id).first()
    r = await f.post_form(client, f"/meetings/{meeting_id}/details", {
        "version": str(m["version"]), "title": m["title"], "location": "",
        "location_organisation": str(ids["Tandplejen Nord"]), "description": ""},
        page=f"/meetings/{meeting_id}")
    assert r.status_code == 303, r.text[:300]
    picker = _picker((await client.get(f"/meetings/{meeting_id}")).text)
    assert f'<option value="{ids["Tandplejen Nord"]}" selected>Tandplejen Nord</option>' in picker


async def test_a_refused_change_keeps_the_place_a_search_found(client):
    """The page comes back with what was typed, the place found by a search among it (it is
    not in the page's own list)."""
    sara = await f.user()
    family_id = await f.family(sara)
    ids = await _organisations(family_id)
    teacher = await s.person(family_id, "Lise Lærer", "professional", email="lise@example.org",
                             professional=True)
    await f.login(client, sara)
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværksmøde"}, page=f"/families/{family_id}")
    page = r.headers["location"]
    r = await f.post_form(client, f"{page}/participants", {"person_id": str(teacher)}, page=page)
    assert r.status_code == 303, r.text[:300]
    version = await s.form_version(client, page, f"{page}/details")
    r = await f.post_form(client, f"{page}/details", {
        "version": version, "title": "Netværksmøde", "location": "",
        "location_organisation": str(ids["Tandplejen Nord"]),
        "description": "Vi mødes på Skjultvej 1"}, page=page)
    assert r.status_code == 422 and "Skjultvej 1" in r.text  # the partner may not read it
    assert f'<option value="{ids["Tandplejen Nord"]}" selected>Tandplejen Nord</option>' in \
        _picker(r.text)


async def test_the_fathers_kontaktperson_is_offered_no_family_place_and_finds_no_protected_one(
        client, other_client):
    sara, mads = await f.user(), await f.user("kontaktperson")
    family_id = await f.family(sara, name="Familien Far")
    ids = await _organisations(family_id)
    father = await s.person(family_id, "Jens Far", "father", used_violence=True)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    for step, data in (("assessment", {"father": str(father), "involve": "ja",
                                       "reasons": "Far ønsker kontakt", "assessed_on": today}),
                       ("agreement", {"agreed": "on", "agreed_on": today, "note": "Mor accepterer"}),
                       ("referral", {"contact_person": str(mads.id), "referred_on": today}),
                       ("sessions", _session(s.working_day()))):
        r = await bic_post(client, family_id, step, data)
        assert r.status_code == 303, (step, r.text[:300])
    session = await BicSession.select().first()
    await f.login(other_client, mads)
    page = (await other_client.get(f"/meetings/{session['meeting']}")).text
    picker = _picker(page)  # he runs the session, so he may move it
    assert "I familiens netværk" not in picker and "Fjordskolen" not in picker
    assert 'hx-get="/meetings/places"' in page
    r = await other_client.get("/meetings/places", params={"q": "krisecenter"})
    assert r.status_code == 200
    assert r.text == '<option value="" disabled>Ingen organisation matcher »krisecenter«</option>'
    r = await other_client.get("/meetings/places", params={"q": "beskyttet adresse"})
    assert "Krisecenter" not in r.text and str(ids["Demoby Krisecenter"]) not in r.text
    # the chosen place, when it is a protected one, stays chosen without its name
    r = await other_client.get("/meetings/places", params={
        "q": "tand", "location_organisation": str(ids["Demoby Krisecenter"])})
    assert r.text == (f'<option value="{ids["Demoby Krisecenter"]}" selected>Beskyttet adresse – '
                      'oplyses af socialrådgiveren</option>'
                      f'<option value="{ids["Tandplejen Nord"]}">Tandplejen Nord</option>')
    # the team's search does find it
    r = await client.get("/meetings/places", params={"q": "krisecenter"})
    assert "Demoby Krisecenter (beskyttet adresse)" in r.text


async def test_the_search_is_for_logged_in_users_only(client):
    r = await client.get("/meetings/places", params={"q": "skole"})
    assert r.status_code in (302, 303, 401) and "skole" not in r.text.lower()
