"""A meeting moved to another time asks everyone again: an answer was to the old time, so
it goes back to »Ikke svaret« (PARTSTAT NEEDS-ACTION in the update, as calendar programs
do), and a change that keeps the times keeps the answers."""

from __future__ import annotations

import pytest

from coordinator import settings as settings_module
from coordinator.db import ANY_VERSION
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Participant
from tests import conftest
from tests.invites import support
from tests.invites.support import at, working_day


@pytest.fixture(autouse=True)
def invite_settings():
    settings_module.use_settings(conftest.test_settings())
    yield
    settings_module.use_settings(None)


async def _answers(meeting_id: int) -> dict[int, str]:
    rows = await Participant.select(Participant.id, Participant.rsvp).where(
        Participant.meeting == meeting_id)
    return {row["id"]: row["rsvp"] for row in rows}


async def _answer_all(meeting_id: int, rsvp: str) -> None:
    await Participant.update({Participant.rsvp: rsvp, Participant.answer_via: "link"}).where(
        Participant.meeting == meeting_id)


async def test_a_moved_meeting_asks_everyone_again():
    s = await support.scenario()
    await support.send(s)
    await _answer_all(s.meeting_id, "ACCEPTED")
    [part] = await meetings.parts_of(s.meeting_id)
    same = {part["key"]: (part["starts_at"], part["ends_at"])}
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION, same)
    assert set((await _answers(s.meeting_id)).values()) == {"ACCEPTED"}  # the same time

    day = working_day(15)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION,
                             {part["key"]: (at(day, 9), at(day, 10))})
    assert set((await _answers(s.meeting_id)).values()) == {"NEEDS-ACTION"}
    rows = await Participant.select(Participant.answer_via, Participant.answered_at).where(
        Participant.meeting == s.meeting_id)
    assert all(r["answer_via"] == "" and r["answered_at"] is None for r in rows)


async def test_times_set_before_sending_keep_nothing_to_reset():
    s = await support.scenario()
    await _answer_all(s.meeting_id, "DECLINED")  # recorded before the invitations went
    [part] = await meetings.parts_of(s.meeting_id)
    day = working_day(15)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION,
                             {part["key"]: (at(day, 9), at(day, 10))})
    assert set((await _answers(s.meeting_id)).values()) == {"DECLINED"}
