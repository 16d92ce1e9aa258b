"""A large organisation directory in the place picker: the team's page lists the family's
own organisations and searches the rest, never offering a protected place or, for a
shielded family, the children's school at one click; readers outside the team (the
father's kontaktperson) are never offered which organisations are the family's, nor find a
protected place by its name."""

from __future__ import annotations

import re

import pytest

from coordinator import clock as app_clock
from coordinator.meetings.tables import BicSession, Meeting, Participant
from coordinator.network import directory
from coordinator.network.tables import Organisation, Person, Relation
from tests import factories as f
from tests.meetings import support as s
from tests.meetings.test_bic_http import _post as bic_post
from tests.meetings.test_bic_http import _session
from tests.network.test_directory_search import search


@pytest.fixture(autouse=True)
def large(monkeypatch):
    """Every directory counts as large: the test's few organisations take the searched form."""
    monkeypatch.setattr(directory, "LIST_LIMIT", 2)


async def _organisations(family_id: int) -> dict[str, int]:
    [centre] = await Organisation.insert(Organisation(
        name="Demoby Krisecenter", kind="crisis_centre", sector="crisis_centre",
        address="Skjultvej 1", location_protected=True))
    ids = {"Demoby Krisecenter": centre["id"]}
    for name, kind in (("Fjordskolen", "school"), ("Rådhuset Demoby", "other"),
                       ("Tandplejen Nord", "other"), ("Biblioteket Syd", "other"),
                       ("Sundhedsplejen Vest", "health_visitor")):
        [row] = await Organisation.insert(Organisation(name=name, kind=kind, sector="other"))
        ids[name] = row["id"]
    for name, org in (("Lise Lærer", "Fjordskolen"), ("Kim Kontakt", "Demoby Krisecenter"),
                      ("Pia Plejer", "Sundhedsplejen Vest")):
        await Person.insert(Person(family=family_id, name=name, role="professional",
                                   is_professional=True, sector="education",
                                   organisation=ids[org]))
    return ids


def _picker(page: str, select_id: str = "d-org") -> str:
    found = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert found, "no place picker"
    return found.group(0)


async def test_the_team_sees_the_familys_places_and_searches_the_rest(client):
    sara = await f.user()
    family_id = await f.family(sara, at_crisis_centre=False)
    ids = await _organisations(family_id)
    await f.login(client, sara)
    new = _picker((await client.get(f"/families/{family_id}/meetings/new")).text, "m-org")
    assert "Fjordskolen" in new and "Sundhedsplejen Vest" in new and "Tandplejen" not in new
    assert "Krisecenter" not in new  # a protected place is never one click away
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværksmøde", "location": "",
        "location_organisation": str(ids["Biblioteket Syd"])}, page=f"/families/{family_id}")
    assert r.status_code == 303, r.text[:300]
    meeting_page = r.headers["location"]
    page = (await client.get(meeting_page)).text
    picker = _picker(page)
    # the family's organisations and the place its meetings are held (chosen); nothing else
    assert f'<option value="{ids["Biblioteket Syd"]}" selected>Biblioteket Syd</option>' in picker
    assert "Fjordskolen" in picker and "Familiens organisationer og mødesteder" in picker
    assert all(name not in picker for name in ("Tandplejen", "Rådhuset", "Krisecenter"))
    assert 'hx-post="/meetings/places"' in page and 'id="d-org-found"' in picker
    assert "blandt alle 6 organisationer" in page
    # the team finds a protected place, marked as one, the chosen place kept chosen
    r = await search(client, "/meetings/places", {
        "q": "krise", "location_organisation": str(ids["Tandplejen Nord"])}, target="d-org-found")
    assert r.status_code == 200
    assert r.text.startswith(
        f'<option value="{ids["Tandplejen Nord"]}" selected>Tandplejen Nord</option>'
        f'<option value="{ids["Demoby Krisecenter"]}">Demoby Krisecenter (beskyttet adresse)'
        '</option><span id="d-org-q-status"')
    # a place found by a search is saved like a listed one
    meeting_id = int(meeting_page.rsplit("/", 1)[1])
    r = await f.post_form(client, f"{meeting_page}/details", {
        "title": "Netværksmøde", "location": "",
        "location_organisation": str(ids["Tandplejen Nord"]), "description": ""}, page=meeting_page)
    assert r.status_code == 303, r.text[:300]
    assert (await Meeting.select(Meeting.location_organisation).where(
        Meeting.id == meeting_id).first())["location_organisation"] == ids["Tandplejen Nord"]
    picker = _picker((await client.get(meeting_page)).text)
    assert f'<option value="{ids["Tandplejen Nord"]}" selected>Tandplejen Nord</option>' in picker


async def test_a_shielded_familys_school_is_found_not_offered(client):
    """The mother has a protected address (or the family is at the crisis centre): the
    children's school is not one click from a meeting the father may be invited to."""
    sara = await f.user()
    family_id = await f.family(sara, at_crisis_centre=True)
    ids = await _organisations(family_id)
    await f.login(client, sara)
    new = _picker((await client.get(f"/families/{family_id}/meetings/new")).text, "m-org")
    assert "Sundhedsplejen Vest" in new
    assert "Fjordskolen" not in new and "Krisecenter" not in new
    r = await search(client, "/meetings/places", {"q": "fjord"})
    assert f'<option value="{ids["Fjordskolen"]}">Fjordskolen</option>' in r.text


async def test_a_network_the_graph_cannot_take_leaves_the_meetings_places(client):
    sara = await f.user()
    family_id = await f.family(sara, at_crisis_centre=False)
    ids = await _organisations(family_id)
    other = await f.family(sara)
    [stranger] = await Person.insert(Person(family=other, name="Fremmed", sector="family"))
    [child] = await Person.insert(Person(family=family_id, name="Lille Test", is_child=True,
                                         role="child", sector="family"))
    await Relation.insert(Relation(family=family_id, source=child["id"],
                                   target_person=stranger["id"], type="supports"))
    await f.login(client, sara)
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværksmøde",
        "location_organisation": str(ids["Biblioteket Syd"])}, page=f"/families/{family_id}")
    assert r.status_code == 303, r.text[:300]
    new = await client.get(f"/families/{family_id}/meetings/new")
    assert new.status_code == 200
    picker = _picker(new.text, "m-org")
    assert "Biblioteket Syd" in picker and "Fjordskolen" not in picker
    assert (await client.get(r.headers["location"])).status_code == 200


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
    family_id = await f.family(sara, name="Familien Far", at_crisis_centre=False)
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
    assert "Familiens organisationer" not in picker
    assert all(name not in picker for name in ("Fjordskolen", "Sundhedsplejen", "Krisecenter"))
    assert 'hx-post="/meetings/places"' in page and "Listen viser kun" not in page
    r = await search(other_client, "/meetings/places", {"q": "krisecenter"}, target="d-org-found")
    assert r.status_code == 200
    assert r.text == ('<span id="d-org-q-status" class="hint" role="status" hx-swap-oob="true">'
                      'Ingen organisation matcher »krisecenter«.</span>')
    r = await search(other_client, "/meetings/places", {"q": "beskyttet adresse"})
    assert "Krisecenter" not in r.text and str(ids["Demoby Krisecenter"]) not in r.text
    # the chosen place, when it is a protected one, stays chosen without its name
    r = await search(other_client, "/meetings/places", {
        "q": "tand", "location_organisation": str(ids["Demoby Krisecenter"])})
    assert r.text == (f'<option value="{ids["Demoby Krisecenter"]}" selected>Beskyttet adresse – '
                      'oplyses af socialrådgiveren</option>'
                      f'<option value="{ids["Tandplejen Nord"]}">Tandplejen Nord</option>')
    # the team's search does find it
    r = await search(client, "/meetings/places", {"q": "krisecenter"})
    assert "Demoby Krisecenter (beskyttet adresse)" in r.text


@pytest.mark.parametrize("role", ["samordner", "admin"])
async def test_only_those_who_place_meetings_search_for_places(client, role):
    await f.login(client, await f.user(role))
    r = await search(client, "/meetings/places", {"q": "skole"})
    assert r.status_code == 404 and "skole" not in r.text.lower()


async def test_the_childrens_school_chosen_from_the_directory_is_refused_for_a_meeting_with_violence(
        client):
    """Chosen from the list or found by a search, the children's school is as telling as
    the school's name typed: refused for a meeting with someone who used violence, nothing
    saved; another place is saved."""
    sara = await f.user()
    family_id = await f.family(sara, at_crisis_centre=True)
    ids = await _organisations(family_id)
    uncle = await s.person(family_id, "Ole Onkel", "relative", used_violence=True)
    await f.login(client, sara)
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværksmøde"}, page=f"/families/{family_id}")
    page = r.headers["location"]
    meeting_id = int(page.rsplit("/", 1)[1])
    await Participant.insert(Participant(meeting=meeting_id, person=uncle, name="Ole Onkel"))
    for place, status in (("Fjordskolen", 422), ("Tandplejen Nord", 303)):
        version = await s.form_version(client, page, f"{page}/details")
        r = await f.post_form(client, f"{page}/details", {
            "version": version, "title": "Netværksmøde", "location": "",
            "location_organisation": str(ids[place]), "description": ""}, page=page)
        assert r.status_code == status, (place, r.text[:300])
        if status == 422:
            assert "hvor børnene kan findes" in r.text and "Ole Onkel" in r.text
            assert (await Meeting.select(Meeting.location_organisation).where(
                Meeting.id == meeting_id).first())["location_organisation"] is None
    assert (await Meeting.select(Meeting.location_organisation).where(
        Meeting.id == meeting_id).first())["location_organisation"] == ids["Tandplejen Nord"]
