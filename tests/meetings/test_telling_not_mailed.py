"""Those the system does not e-mail (the child through the socialrådgiver, a grandfather by
letter or phone) are told by the socialrådgiver, who marks it on the meeting page. A move
or a cancellation after that asks for it again, the letter says what changed, and a
cancelled meeting's letter is a cancellation, never an invitation."""

from __future__ import annotations

import pytest

from coordinator import settings as settings_module
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.invites import service as invites
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Participant
from tests import conftest, factories
from tests.invites import support
from tests.invites.support import at, working_day


@pytest.fixture(autouse=True)
def invite_settings():
    settings_module.use_settings(conftest.test_settings())
    yield
    settings_module.use_settings(None)


async def _child_row(s) -> int:
    return (await Participant.select(Participant.id).where(
        (Participant.meeting == s.meeting_id) & (Participant.person == s.child)).first())["id"]


def _row_of(page: str, participant_id: int) -> str:
    start = page.index(f'id="participant-{participant_id}"')
    return page[start:page.index("</tr>", start)]


async def test_a_move_after_the_letter_asks_for_a_new_one(client):
    s = await support.scenario()
    child = await _child_row(s)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    assert "Skal have invitationen" not in _row_of((await client.get(page)).text, child)

    await support.send(s)
    row = _row_of((await client.get(page)).text, child)
    assert "Skal have invitationen" in row and "Emma Marie Hansen har fået besked" in row
    states = {d.name: d for d in await invites.deliveries(s.meeting_id)}
    assert states["Emma Marie Hansen"].status_label == (
        "Socialrådgiveren giver invitationen videre · Skal have invitationen")
    letter = await client.get(f"{page}/participants/{child}/letter")
    assert "Du er inviteret til et møde" in letter.text

    told = await factories.post_form(client, f"{page}/participants/{child}/told", {}, page=page)
    assert told.status_code == 303
    row = _row_of((await client.get(page)).text, child)
    assert "Har fået invitationen" in row and "har fået besked</button>" not in row
    assert await AuditEvent.exists().where(AuditEvent.summary.like("%har fået besked om mødet%"))

    [part] = await meetings.parts_of(s.meeting_id)
    day = working_day(20)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION,
                             {part["key"]: (at(day, 9), at(day, 10))})
    row = _row_of((await client.get(page)).text, child)
    assert "Skal have besked om det nye tidspunkt eller sted" in row
    letter = await client.get(f"{page}/participants/{child}/letter")
    assert "Mødet er ændret" in letter.text and "Du er inviteret" not in letter.text


async def test_a_cancelled_meeting_asks_to_tell_those_who_were_told(client):
    s = await support.scenario()
    child = await _child_row(s)
    await support.send(s)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    await factories.post_form(client, f"{page}/participants/{child}/told", {}, page=page)
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled",
                                 reason="Familien er flyttet")
    row = _row_of((await client.get(page)).text, child)
    assert "Skal have besked om aflysningen" in row
    letter = await client.get(f"{page}/participants/{child}/letter")
    assert letter.status_code == 200
    assert "Mødet er aflyst" in letter.text and "Du er inviteret" not in letter.text
    assert "Kan du komme?" not in letter.text
    await factories.post_form(client, f"{page}/participants/{child}/told", {}, page=page)
    assert "Har fået besked om aflysningen" in _row_of((await client.get(page)).text, child)


async def test_only_the_team_marks_and_not_before_sending(client):
    s = await support.scenario()
    child = await _child_row(s)
    page = f"/meetings/{s.meeting_id}"
    await factories.login(client, s.worker)
    early = await factories.post_form(client, f"{page}/participants/{child}/told", {},
                                      page=page)
    assert early.status_code == 409 and "ikke sendt" in early.text
    teacher = (await Participant.select(Participant.id).where(
        (Participant.meeting == s.meeting_id) & (Participant.person == s.teacher)).first())["id"]
    await support.send(s)
    mailed = await factories.post_form(client, f"{page}/participants/{teacher}/told", {},
                                       page=page)
    assert mailed.status_code == 409 and "pr. e-mail" in mailed.text
    stranger = await factories.user()
    await factories.login(client, stranger)
    refused = await factories.post_form(client, f"{page}/participants/{child}/told", {}, page="/")
    assert refused.status_code == 404
    assert (await Participant.select(Participant.told_what).where(
        Participant.id == child).first())["told_what"] == ""


async def test_the_demo_s_sent_meetings_have_told_those_not_mailed(client):
    """The demo's sent meetings were sent before it starts: their letter and phone
    participants were told then, and their pages ask about nothing; those of a draft or a
    planned meeting, not sent yet, were not."""
    from coordinator import demo
    from coordinator.meetings import kinds
    from coordinator.meetings.tables import Meeting

    assert await demo.load()
    meetings_by_id = {m["id"]: m for m in await Meeting.select()}
    rows = await Participant.select().where(Participant.channel != "email")
    sent = [r for r in rows if meetings_by_id[r["meeting"]]["status"] in kinds.SENT_STATUSES]
    unsent = [r for r in rows if meetings_by_id[r["meeting"]]["status"] not in kinds.SENT_STATUSES]
    assert sent and all(r["told_what"] and r["told_sequence"] == 1 for r in sent)
    assert unsent and all(not r["told_what"] for r in unsent)
    cancelled = [r for r in sent if meetings_by_id[r["meeting"]]["status"] == "cancelled"]
    assert all(r["told_what"] == "cancellation" for r in cancelled)
