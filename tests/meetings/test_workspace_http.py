"""The meeting page as a workspace (issue 17, point 1): a change sent by htmx answers with the
sections it touches, swapped in place, not the page; the new version reaches every form;
refusals and conflicts stay at the form; the same form without JavaScript still posts; the
place reads the same everywhere; nothing stale is served afterwards."""

from __future__ import annotations

import re

from coordinator.audit.tables import AuditEvent
from coordinator.invites import service as invites
from coordinator.meetings import service as meetings
from coordinator.meetings import workspace
from coordinator.meetings.tables import FgcCase, Meeting, Room
from coordinator.network.tables import Organisation
from tests import factories
from tests.invites import support

HTMX = {"HX-Request": "true"}
OOB = re.compile(r'<(?:section|div)[^>]*\bid="([\w-]+)"[^>]*hx-swap-oob="true"')
VERSIONS = re.compile(r'name="version" value="(\d+)" data-meeting-version')


async def _token(client, page: str) -> str:
    return await factories.csrf_token(client, page)


async def _details(s, **changes) -> dict:
    meeting = await s.meeting()
    form = {"version": str(meeting["version"]), "title": meeting["title"],
            "location": meeting["location"], "description": meeting["description"],
            "send_email_invites": "on"}
    form.update(changes)
    return form


async def _post(client, path: str, form: dict, page: str, htmx: bool = True):
    token = await _token(client, page)
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    data = form if htmx else {**form, "_csrf_token": token}
    return await client.post(path, data=data, headers=headers)


async def test_a_place_change_answers_with_its_sections_and_one_place(client):
    s = await support.scenario(with_father=False)
    centre = (await Organisation.select(Organisation.id).where(
        Organisation.name == support.CENTRE_NAME).first())["id"]
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    before = (await s.meeting())["version"]
    answer = await _post(client, f"{page}/details", await _details(
        s, location="", location_organisation=str(centre)), page)
    assert answer.status_code == 200, answer.text[:300]
    assert "<html" not in answer.text and "<nav aria-label=\"Hovedmenu\"" not in answer.text
    # its own section and those that show the place, each swapped in place by its id
    assert OOB.findall(answer.text) == list(workspace.sections_for("details"))
    assert 'id="participants"' not in answer.text
    assert answer.headers["HX-Trigger"] == workspace.CHANGED_EVENT
    # one place, the same words in the header and under "Tid og sted"
    places = re.findall(r'<span class="meeting-place">([^<]*)</span>', answer.text)
    assert places == [support.CENTRE_NAME, support.CENTRE_NAME]
    assert "Ikke angivet" not in answer.text
    # the new version reaches every form: in each section and in the version holder
    after = (await s.meeting())["version"]
    assert after == before + 1
    assert set(VERSIONS.findall(answer.text)) == {str(after)}
    assert f'id="meeting-version" hidden data-version="{after}"' in answer.text
    assert "Mødets oplysninger er gemt." in answer.text
    # the window's title follows the meeting's title (htmx takes a <title> from the answer)
    assert f"<title>{(await s.meeting())['title']} – Koordinator</title>" in answer.text
    # the page read afterwards is not stale (the cache is keyed on the content stamps)
    text = (await client.get(page)).text
    assert re.findall(r'<span class="meeting-place">([^<]*)</span>', text) == [
        support.CENTRE_NAME, support.CENTRE_NAME]


async def test_each_change_answers_with_what_depends_on_it(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    day = support.working_day(15)
    times = await _post(client, f"{page}/times", {
        "version": str((await s.meeting())["version"]),
        "meeting_start": day.isoformat() + "T09:00", "meeting_end": day.isoformat() + "T10:30"},
        page)
    assert times.status_code == 200, times.text[:300]
    assert OOB.findall(times.text) == list(workspace.sections_for("times"))
    assert "09:00" in times.text
    status = await _post(client, f"{page}/status", {
        "version": str((await s.meeting())["version"]), "target": "planned"}, page)
    assert status.status_code == 200, status.text[:300]
    assert OOB.findall(status.text) == list(workspace.sections_for("status"))
    assert "Planlagt" in status.text


async def test_a_stale_version_is_the_conflict_view_at_the_form(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    stale = await _details(s)
    saved = await _post(client, f"{page}/details", await _details(s, description="Ny dagsorden"), page)
    assert saved.status_code == 200
    conflict = await _post(client, f"{page}/details", {**stale, "description": "Min udgave"}, page)
    assert conflict.status_code == 409
    assert "Konflikt" in conflict.text and "<html" not in conflict.text
    assert "Min udgave" in conflict.text and "Ny dagsorden" in conflict.text
    # in the form's words, as the conflict page says it: no internal field names
    assert "Beskrivelse" in conflict.text
    for internal in ("sequence", "updated_at", "version", "Status active"):
        assert internal not in conflict.text
    assert (await s.meeting())["description"] == "Ny dagsorden"
    # with the version the fragment carried, the next change goes through
    again = await _post(client, f"{page}/details", await _details(s, description="Tredje"), page)
    assert again.status_code == 200


async def test_a_refused_change_is_shown_at_the_field(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    refused = await _post(client, f"{page}/details", await _details(s, title=""), page)
    assert 400 <= refused.status_code < 500
    assert 'data-field="title"' in refused.text and "<html" not in refused.text
    assert (await s.meeting())["title"] != ""


async def test_without_javascript_the_form_still_posts_and_redirects(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    plain = await _post(client, f"{page}/details", await _details(s, description="Uden JS"),
                        page, htmx=False)
    assert plain.status_code == 303 and plain.headers["location"] == page
    assert "Uden JS" in (await client.get(page)).text


async def test_a_fragment_passes_the_same_access_check_and_audit(client):
    s = await support.scenario(with_father=False)
    stranger = await factories.user("socialraadgiver", username="fremmed")
    await factories.login(client, stranger)
    page = f"/meetings/{s.meeting_id}"
    form = await _details(s, description="Fremmed")
    token = await _token(client, "/")
    answer = await client.post(f"{page}/details", data=form,
                               headers={**HTMX, "X-CSRFToken": token})
    assert answer.status_code == 404 and "Fremmed" not in answer.text
    assert (await s.meeting())["description"] != "Fremmed"
    await factories.login(client, s.worker)
    reads = await AuditEvent.count().where(AuditEvent.action == "read")
    answer = await _post(client, f"{page}/details", await _details(s, description="Læst"), page)
    assert answer.status_code == 200
    assert await AuditEvent.count().where(AuditEvent.action == "read") > reads


async def test_a_room_and_an_organisation_at_two_places_are_named(client):
    s = await support.scenario(with_father=False)
    centre = (await Organisation.select(Organisation.id).where(
        Organisation.name == support.CENTRE_NAME).first())["id"]
    room = (await Room.insert(Room(name="Mødelokale 1", location="Rådhuset")))[0]["id"]
    await Meeting.update({Meeting.room: room, Meeting.location: "",
                          Meeting.location_organisation: centre}).where(
        Meeting.id == s.meeting_id)
    await factories.login(client, s.worker)
    text = (await client.get(f"/meetings/{s.meeting_id}")).text
    assert re.findall(r'<span class="meeting-place">([^<]*)</span>', text) == [
        "Mødelokale 1, Rådhuset", "Mødelokale 1, Rådhuset"]
    assert "To steder:" in text and "Vælg ét" in text


async def test_the_invitations_name_the_place_the_page_shows(client):
    """The same rule for the invitation as for the page: a booked room is the place when
    nothing is typed (it was left out of invitations before)."""
    s = await support.scenario(with_father=False)
    room = (await Room.insert(Room(name="Mødelokale 1", location="Rådhuset")))[0]["id"]
    await Meeting.update({Meeting.room: room, Meeting.location: ""}).where(
        Meeting.id == s.meeting_id)
    [data] = await invites.load_meetings([s.meeting_id])
    assert data.safety_meeting.location.text == "Mødelokale 1, Rådhuset"
    assert not data.safety_meeting.location.at_crisis_centre
    await factories.login(client, s.worker)
    text = (await client.get(f"/meetings/{s.meeting_id}")).text
    assert re.findall(r'<span class="meeting-place">([^<]*)</span>', text)[0] == "Mødelokale 1, Rådhuset"
    # a room at the crisis centre is a protected place in the invitation too
    centre_room = (await Room.insert(Room(name="Samtalerummet", location="",
                                          at_crisis_centre=True)))[0]["id"]
    await Meeting.update({Meeting.room: centre_room}).where(Meeting.id == s.meeting_id)
    [data] = await invites.load_meetings([s.meeting_id])
    assert data.safety_meeting.location.at_crisis_centre


async def test_a_samordners_fragment_is_projected_like_the_page(client):
    """A samordner changes the time of a familierådslagning held at the crisis centre: the
    sections sent back read "Oplyses af socialrådgiveren", as the page does, and name
    neither the centre nor its address; a section the samordner may not edit stays closed."""
    ida = await factories.user("samordner")
    sara, meeting_id = await support.fgc_at_the_crisis_centre(ida)
    page = f"/meetings/{meeting_id}"
    await factories.login(client, ida)
    shown = (await client.get(page)).text
    assert "Oplyses af socialrådgiveren" in shown and support.CENTRE_NAME not in shown
    version = (await Meeting.select(Meeting.version).where(Meeting.id == meeting_id).first())["version"]
    day = support.working_day(12).isoformat()
    answer = await _post(client, f"{page}/times", {
        "version": str(version),
        "information_start": f"{day}T09:00", "information_end": f"{day}T09:45",
        "family_time_start": f"{day}T09:45", "family_time_end": f"{day}T11:45",
        "plan_start": f"{day}T11:45", "plan_end": f"{day}T12:30"}, page)
    assert answer.status_code == 200, answer.text[:300]
    assert re.findall(r'<span class="meeting-place">([^<]*)</span>', answer.text) == [
        "Oplyses af socialrådgiveren", "Oplyses af socialrådgiveren"]
    for secret in (support.CENTRE_NAME, "Hemmelig Vej", "Krisecent"):
        assert secret not in answer.text
    assert "Ret titel, sted og beskrivelse" not in answer.text  # the team's form only
    # the team sees the place itself
    await factories.login(client, sara)
    assert support.CENTRE_NAME in (await client.get(page)).text


async def test_a_conflict_outside_the_team_never_shows_the_saved_place_or_texts(client):
    """A samordner's stale (or version-less) change of a meeting at the crisis centre: the
    conflict view, at the form or as a page, shows no title, place or description as saved
    (they may name the centre); the team's conflict shows them."""
    sara = await factories.user()
    ida = await factories.user("samordner")
    family_id = await factories.family(sara)
    await Organisation.insert(Organisation(
        name=support.CENTRE_NAME, kind="crisis_centre", sector="crisis_centre",
        address=support.CENTRE_ADDRESS, location_protected=True))
    case = (await FgcCase.insert(FgcCase(family=family_id, possible=True,
                                         samordner_user=ida.id)))[0]["id"]
    meeting_id = await meetings.create_meeting(
        sara, {"id": family_id}, "familieraadslagning", "Familierådslagning", fgc_case=case,
        location=f"{support.CENTRE_NAME}, {support.CENTRE_ADDRESS}",
        description=f"Vi mødes på {support.CENTRE_ADDRESS}")
    page = f"/meetings/{meeting_id}"
    day = support.working_day(12).isoformat()
    times = {"information_start": f"{day}T09:00", "information_end": f"{day}T09:45",
             "family_time_start": f"{day}T09:45", "family_time_end": f"{day}T11:45",
             "plan_start": f"{day}T11:45", "plan_end": f"{day}T12:30"}
    await factories.login(client, ida)
    for version in ("0", None):  # stale, and none at all
        form = {**times, **({"version": version} if version else {})}
        for htmx in (True, False):
            answer = await _post(client, f"{page}/times", form, page, htmx=htmx)
            assert answer.status_code == 409, answer.text[:300]
            for secret in (support.CENTRE_NAME, support.CENTRE_ADDRESS, "Krisecent"):
                assert secret not in answer.text, (version, htmx)
    await factories.login(client, sara)
    answer = await _post(client, f"{page}/times", {**times, "version": "0"}, page)
    assert answer.status_code == 409 and support.CENTRE_ADDRESS in answer.text
