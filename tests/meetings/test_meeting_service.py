"""Service rules without HTTP: the samordner's narrow access, the invites seam, busy times,
default parts, time validation."""

from datetime import datetime, timedelta, timezone

import pytest
from litestar.exceptions import NotFoundException

from coordinator import web
from coordinator.auth.policy import Action
from coordinator.meetings import flows, kinds, service
from coordinator.meetings.tables import FgcCase, Meeting, MeetingChange
from tests import factories as f
from tests.meetings import support as s

UTC = timezone.utc


async def _fgc_meeting(worker, samordner=None):
    family_id = await f.family(worker)
    family = {"id": family_id, "name": "Familien X"}
    case = await FgcCase.insert(FgcCase(family=family_id, possible=True, concern="c", questions="q",
                                        samordner_user=samordner.id if samordner else None,
                                        samordner_name="" if samordner else "Ekstern"))
    meeting_id = await service.create_meeting(worker, family, "familieraadslagning", "FR",
                                              fgc_case=case[0]["id"])
    return family_id, meeting_id


@pytest.mark.parametrize("role,coordinates,kind,expected", [
    ("samordner", True, "familieraadslagning", True),
    ("samordner", True, "netvaerksmoede", False),
    ("samordner", False, "familieraadslagning", False),
    ("socialraadgiver", True, "familieraadslagning", False),
])
async def test_samordner_may_open(role, coordinates, kind, expected):
    worker = await f.user()
    user = await f.user(role)
    family_id, meeting_id = await _fgc_meeting(worker, user if coordinates else None)
    await Meeting.update({Meeting.kind: kind}).where(Meeting.id == meeting_id)
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert await service.samordner_may_open(user, meeting) is expected


async def test_samordner_reads_and_edits_only_scheduling():
    worker = await f.user()
    ida = await f.user("samordner")
    _, meeting_id = await _fgc_meeting(worker, ida)
    meeting, family = await service.load_meeting(ida, meeting_id, Action.READ)
    assert meeting["id"] == meeting_id and family["id"] == meeting["family"]
    with pytest.raises(NotFoundException):  # status, details, approvals: never
        await service.load_meeting(ida, meeting_id, Action.WRITE)
    meeting, _ = await service.load_meeting(ida, meeting_id, Action.WRITE, samordner_edit=True)
    assert meeting["id"] == meeting_id
    other = await f.user("samordner")
    with pytest.raises(NotFoundException):  # not their familierådslagning
        await service.load_meeting(other, meeting_id, Action.WRITE, samordner_edit=True)
    assert [m["id"] for m in await service.coordinated_meetings(ida)] == [meeting_id]


async def test_notify_records_change_with_sequence_and_rejects_unknown_kinds():
    worker = await f.user()
    _, meeting_id = await _fgc_meeting(worker)
    await Meeting.update({Meeting.sequence: 4}).where(Meeting.id == meeting_id)
    await service._notify(meeting_id, "participant_removed", [7, 9], user=worker)
    row = await MeetingChange.select().first()
    assert (row["change_kind"], row["sequence"], row["removed_participant_ids"]) == (
        "participant_removed", 4, "7,9")
    with pytest.raises(ValueError):
        await service._notify(meeting_id, "emailed")


async def test_bump_detects_stale_version():
    worker = await f.user()
    _, meeting_id = await _fgc_meeting(worker)
    await service._bump(meeting_id, 1, {"title": "A"})
    with pytest.raises(web.Conflict) as caught:
        await service._bump(meeting_id, 1, {"title": "B"}, mine={"title": "B"})
    assert caught.value.status == 409 and caught.value.theirs["title"] == "A"
    assert caught.value.mine["title"] == "B"


@pytest.mark.parametrize("kind,category,role,parts", [
    ("familieraadslagning", "professional", "informatoer", ["information"]),
    ("familieraadslagning", "family", "mother", ["information", "family_time", "plan"]),
    ("familieraadslagning", "private_network", "private_network", ["information", "family_time", "plan"]),
    ("familieraadslagning", "professional", "socialraadgiver", ["information", "plan"]),
    ("netvaerksmoede", "professional", "informatoer", ["meeting"]),
])
def test_default_parts(kind, category, role, parts):
    assert service.default_parts(kind, category, role) == parts


def test_validate_times_rules():
    kind = kinds.get_kind("statusmoede")
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    ok = service.validate_times(kind, {"meeting": (datetime(2026, 3, 3, 9, tzinfo=UTC),
                                                   datetime(2026, 3, 3, 10, tzinfo=UTC))}, now)
    assert ok["meeting"][0].tzinfo is not None
    for start, end, message in [
        (datetime(2026, 3, 3, 10, tzinfo=UTC), datetime(2026, 3, 3, 9, tzinfo=UTC), "efter"),
        (datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC), "fortiden"),
        (datetime(2026, 6, 5, 9, tzinfo=UTC), datetime(2026, 6, 5, 10, tzinfo=UTC), "Grundlovsdag"),
        (datetime(2026, 3, 7, 9, tzinfo=UTC), datetime(2026, 3, 7, 10, tzinfo=UTC), "weekend"),
    ]:
        with pytest.raises(web.UserError, match=message):
            service.validate_times(kind, {"meeting": (start, end)}, now)


async def test_busy_of_uses_other_meetings_by_person_and_user():
    worker = await f.user()
    family_id = await f.family(worker)
    family = {"id": family_id}
    anna = await s.person(family_id, "Anna", "mother", email="a@example.org")
    day = s.working_day()
    start = datetime.combine(day, datetime.min.time(), web.COPENHAGEN).replace(hour=9)
    other = await service.create_meeting(worker, family, "statusmoede", "Andet",
                                         times={"meeting": (start, start + timedelta(hours=1))})
    row = await Meeting.select().where(Meeting.id == other).first()
    await service.add_participants(worker, row, None, [service.NewParticipant(person_id=anna),
                                                       service.NewParticipant(user_id=worker.id)])
    this = await service.create_meeting(worker, family, "statusmoede", "Dette")
    this_row = await Meeting.select().where(Meeting.id == this).first()
    await service.add_participants(worker, this_row, None, [service.NewParticipant(person_id=anna),
                                                            service.NewParticipant(user_id=worker.id)])
    participants = await service.participants_of(this)
    busy = await service.busy_of(this, participants)
    assert {k: len(v) for k, v in busy.items()} == {f"person:{anna}": 1, f"user:{worker.id}": 1}
    await Meeting.update({Meeting.status: "cancelled"}).where(Meeting.id == other)
    busy = await service.busy_of(this, participants)
    assert all(not v for v in busy.values())


async def test_family_section_lists_meetings_and_missing_assessments():
    worker = await f.user()
    family_id, meeting_id = await _fgc_meeting(worker)
    section = await flows.family_section(worker, {"id": family_id})
    assert [m["id"] for m in section["meetings"]] == [meeting_id]
    assert any("far" in step for step in section["next_steps"])
