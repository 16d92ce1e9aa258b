"""A change of the family made a sent meeting unsafe: the family page says so.

A change of a sent meeting is refused when it would leave the meeting unsafe
(``meetings.service.refuse_if_unsafe``). A change of the family is not refused – a family
checked in at the crisis centre must be checked in – yet it can make a meeting already
sent unsafe: at the crisis centre the children's school is protected, and a meeting held
there with the father invited tells him where they are. The team is taken to a warning on
the family page, which stays until the meeting is changed, moved or cancelled."""

from __future__ import annotations

import html

import pytest

from coordinator import clock
from coordinator.db import ANY_VERSION
from coordinator.meetings import service as meetings
from tests import factories
from tests.invites import support

WARNING = "Udsendte møder, der ikke længere er sikre"


async def _check_in(client, family_id: int):
    page = f"/families/{family_id}"
    return await factories.post_form(client, f"{page}/stays",
                                     {"started_on": clock.today().isoformat()}, page=page)


async def test_a_check_in_takes_the_team_to_the_meetings_it_made_unsafe(client):
    sara, family_id, meeting_id, _ = await support.at_the_school()
    await factories.login(client, sara)
    page = f"/families/{family_id}"
    before = html.unescape((await client.get(page)).text)
    assert WARNING not in before and "Ikke sikkert" not in before

    checked_in = await _check_in(client, family_id)
    assert checked_in.status_code == 303
    assert checked_in.headers["location"].endswith(f"{page}#unsafe-meetings")
    after = html.unescape((await client.get(page)).text)
    warning = after[after.index('id="unsafe-meetings"'):after.index("<h3>Møder</h3>")]
    assert WARNING in warning and f'href="/meetings/{meeting_id}"' in warning
    assert "Skolemøde" in warning and "Ikke sikkert" in after

    # moved away from the school, the meeting is safe again and the warning goes
    meeting = await support.meeting_row(meeting_id)
    await meetings.update_details(sara, meeting, ANY_VERSION, meeting["title"], "Rådhuset",
                                  None, meeting["description"], True)
    moved = html.unescape((await client.get(page)).text)
    assert WARNING not in moved and "Ikke sikkert" not in moved


async def test_a_check_in_with_nothing_made_unsafe_goes_to_the_stays(client):
    sara, family_id, meeting_id, _ = await support.at_the_school()
    meeting = await support.meeting_row(meeting_id)
    await meetings.update_details(sara, meeting, ANY_VERSION, meeting["title"], "Rådhuset",
                                  None, meeting["description"], True)
    await factories.login(client, sara)
    checked_in = await _check_in(client, family_id)
    assert checked_in.headers["location"].endswith(f"/families/{family_id}#stays")
    assert WARNING not in html.unescape((await client.get(f"/families/{family_id}")).text)


async def test_a_cancelled_meeting_is_no_longer_listed(client):
    sara, family_id, meeting_id, _ = await support.at_the_school()
    await factories.login(client, sara)
    await _check_in(client, family_id)
    assert WARNING in html.unescape((await client.get(f"/families/{family_id}")).text)
    await meetings.change_status(sara, await support.meeting_row(meeting_id), ANY_VERSION,
                                 "cancelled")
    assert WARNING not in html.unescape((await client.get(f"/families/{family_id}")).text)


async def _father_and_teacher(family_id: int) -> tuple[int, int]:
    from coordinator.network.tables import Person
    people = {p["role"]: p["id"] for p in await Person.select().where(Person.family == family_id)}
    return people["father"], people["professional"]


@pytest.mark.parametrize("htmx", [True, False])
async def test_a_pair_kept_apart_in_a_sent_meeting_is_told_at_once(client, htmx):
    """The father and the teacher, both invited to the same part, are to be kept apart from
    now on: the network editor says at once which sent meeting that makes unsafe (without
    JavaScript, the family page's warning is where the change leads)."""
    sara, family_id, meeting_id, _ = await support.at_the_school()
    father, teacher = await _father_and_teacher(family_id)
    await factories.login(client, sara)
    page = f"/families/{family_id}/network"
    sent = await factories.post_form(client, f"{page}/keep-apart", {
        "person_a": father, "person_b": teacher, "reason": "Truede læreren"}, page=page,
        htmx=htmx)
    if htmx:
        told = html.unescape(sent.text)
        assert sent.status_code == 200 and "Ændringen er gemt" in told
        assert WARNING in told and f'href="/meetings/{meeting_id}"' in told
    else:
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/families/{family_id}#unsafe-meetings"
    assert WARNING in html.unescape((await client.get(f"/families/{family_id}")).text)


async def test_a_change_that_leaves_the_meetings_safe_says_nothing_of_them(client):
    sara, family_id, _, _ = await support.at_the_school()
    await factories.login(client, sara)
    page = f"/families/{family_id}/network"
    sent = await factories.post_form(client, f"{page}/people", {
        "name": "Bodil Bedstemor", "role": "private_network"}, page=page, htmx=True)
    assert sent.status_code == 200 and WARNING not in html.unescape(sent.text)
