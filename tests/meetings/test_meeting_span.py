"""A meeting's span (first part's start, last part's end) follows its parts on every write
path: database triggers keep it (migration 2026-11-23T00:20:43), on both engines."""

from datetime import datetime, timedelta, timezone

from coordinator.meetings import service
from coordinator.meetings.tables import Meeting, MeetingPart
from tests import factories as f

UTC = timezone.utc
NINE = datetime(2026, 8, 31, 7, 0, tzinfo=UTC)


async def _meeting(family_id: int) -> int:
    rows = await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede", title="M",
                                        status="held"))
    return rows[0]["id"]


async def _part(meeting_id: int, starts: datetime | None, minutes: int = 60) -> int:
    rows = await MeetingPart.insert(MeetingPart(
        meeting=meeting_id, key="p", label="Del", starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes) if starts else None))
    return rows[0]["id"]


async def _span(meeting_id: int) -> tuple[datetime | None, datetime | None]:
    row = await Meeting.select(Meeting.starts_at, Meeting.ends_at).where(
        Meeting.id == meeting_id).first()
    return row["starts_at"], row["ends_at"]


async def test_span_follows_inserts_updates_moves_and_deletes_of_parts():
    family_id = await f.family(await f.user())
    meeting, other = await _meeting(family_id), await _meeting(family_id)
    untimed = await _part(meeting, None)
    assert await _span(meeting) == (None, None)
    first = await _part(meeting, NINE, 45)
    late = await _part(meeting, NINE + timedelta(hours=3), 30)
    assert await _span(meeting) == (NINE, NINE + timedelta(hours=3, minutes=30))
    await MeetingPart.update({MeetingPart.starts_at: NINE - timedelta(hours=1)}).where(
        MeetingPart.id == first)
    assert await _span(meeting) == (NINE - timedelta(hours=1),
                                    NINE + timedelta(hours=3, minutes=30))
    await MeetingPart.update({MeetingPart.meeting: other}).where(MeetingPart.id == late)
    assert await _span(meeting) == (NINE - timedelta(hours=1), NINE + timedelta(minutes=45))
    assert await _span(other) == (NINE + timedelta(hours=3), NINE + timedelta(hours=3, minutes=30))
    await MeetingPart.delete().where(MeetingPart.id == first)
    assert await _span(meeting) == (None, None)
    await MeetingPart.delete().where(MeetingPart.id == untimed)
    assert await _span(meeting) == (None, None)
    await Meeting.delete().where(Meeting.id == other)  # cascades to its part: no error
    assert not await Meeting.exists().where(Meeting.id == other)


async def test_span_of_meetings_created_and_moved_by_the_service(clock):
    clock.pin(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))  # a working week before the meeting
    worker = await f.user()
    family = {"id": await f.family(worker), "name": "Familien X"}
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    times = {"information": (start, start + timedelta(minutes=45)),
             "family_time": (start + timedelta(minutes=45), start + timedelta(minutes=165)),
             "plan": (start + timedelta(minutes=165), start + timedelta(minutes=210))}
    meeting_id = await service.create_meeting(worker, family, "familieraadslagning", "FR",
                                              times=times)
    assert await _span(meeting_id) == (start, start + timedelta(minutes=210))
    draft = await service.create_meeting(worker, family, "statusmoede", "Status")
    assert await _span(draft) == (None, None)
