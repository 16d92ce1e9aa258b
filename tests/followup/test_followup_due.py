"""Follow-ups due in a period, at the edges: month ends (add_months clamps 30 and 31 August
alike to 30 November; nothing falls due on 31 December), Copenhagen midnight (a meeting
ending at 00.30 belongs to that day, not to the UTC day before), the week's grace, and
the on-time limit. The database selects the meetings by moment; the counts must be what
the kinds' rule says, on SQLite and PostgreSQL alike."""

from datetime import date, datetime, time, timedelta, timezone

import pytest

from coordinator.followup import agenda, service
from coordinator.meetings import kinds
from tests import factories as f
from tests.followup import data as d

FGC = "familieraadslagning"
UTC = timezone.utc


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), agenda.COPENHAGEN)


@pytest.mark.parametrize("kind", [k for k, v in kinds.KINDS.items() if v.followup_after_months])
def test_earliest_held_moment_splits_the_due_days_exactly(kind):
    moment = datetime(2025, 12, 20, 21, 30, tzinfo=UTC)
    while moment < datetime(2027, 4, 10, tzinfo=UTC):  # month ends, both DST changes
        due = agenda.followup_due_on(kind, moment)
        assert due == kinds.proposed_followup_date(kind, agenda.local_day(moment))
        for due_on in (due - timedelta(days=1), due, due + timedelta(days=1)):
            assert (due >= due_on) == (moment >= agenda.earliest_held_for(kind, due_on))
        moment += timedelta(minutes=45)


def test_earliest_held_moment_at_month_ends():
    assert agenda.earliest_held_for(FGC, date(2026, 11, 30)) == _local(date(2026, 8, 30), 0)
    assert agenda.earliest_held_for(FGC, date(2026, 12, 1)) == _local(date(2026, 9, 1), 0)
    # 30 September is due 30 December, 1 October 1 January: no meeting is due 31 December
    assert (agenda.earliest_held_for(FGC, date(2026, 12, 31))
            == agenda.earliest_held_for(FGC, date(2027, 1, 1)) == _local(date(2026, 10, 1), 0))
    assert agenda.earliest_held_for(FGC, date(2027, 2, 28)) == _local(date(2026, 11, 28), 0)
    assert agenda.earliest_held_for(FGC, date(2027, 3, 1)) == _local(date(2026, 12, 1), 0)


async def _held(family: int, ends: datetime, parent: int | None = None, status="held") -> int:
    """A meeting whose only part ends at ``ends`` (half an hour long)."""
    kind = f"{FGC}_followup" if parent else FGC
    return await d.meeting(family, kind, status, ends - timedelta(minutes=30), 30,
                           parent_id=parent)


async def _edge_world() -> None:
    family = await f.family(await f.user(), opened_on=date(2026, 1, 1))
    await _held(family, _local(date(2026, 8, 29), 23, 30))                 # due 29 November
    b = await _held(family, _local(date(2026, 8, 30), 0, 30))              # due 30 November
    c = await _held(family, _local(date(2026, 8, 31), 23, 30))             # due 30 November
    await _held(family, _local(date(2026, 9, 1), 0, 30))                   # due 1 December
    e = await _held(family, _local(date(2026, 9, 30), 12))                 # due 30 December
    await _held(family, _local(date(2026, 10, 1), 0, 30))                  # due 1 January
    await _held(family, _local(date(2026, 11, 30), 12), status="followup")  # 28 February
    await _held(family, _local(date(2026, 12, 1), 0, 30))                  # due 1 March
    await _held(family, _local(date(2026, 8, 30), 12), status="cancelled")  # not held
    await _held(family, _local(date(2026, 12, 7), 23, 30), parent=b)       # due + 7: on time
    await _held(family, _local(date(2026, 12, 8), 0, 30), parent=c)        # due + 8: late
    await _held(family, _local(date(2026, 12, 20), 12), parent=c, status="cancelled")
    await _held(family, _local(date(2026, 12, 29), 12), parent=e)          # early: on time
    # a family closed before the periods: its meetings never count
    gone = await f.family(await f.user(), opened_on=date(2026, 1, 1))
    await _held(gone, _local(date(2026, 8, 30), 12))
    await d.close(gone, date(2026, 9, 1))


@pytest.mark.parametrize("start,end,measured_on,due,on_time", [
    # 30 November: 30 and 31 August, both followed up (b on time, c a day late)
    (date(2026, 11, 30), date(2026, 11, 30), date(2026, 12, 20), 2, 1),
    # 29 November alone (29 August ended 23.30): measured on the period's last day, it may
    # still be followed up in its grace week, so it is not counted yet
    (date(2026, 11, 29), date(2026, 11, 29), date(2026, 12, 20), 0, 0),
    # measured 7 December: 29 Nov is 8 days late; 1 Dec (6 days) may still be held
    (date(2026, 11, 1), date(2026, 12, 7), date(2026, 12, 20), 3, 1),
    (date(2026, 11, 1), date(2026, 12, 8), date(2026, 12, 20), 3, 1),  # 1 Dec: 7 days
    (date(2026, 11, 1), date(2026, 12, 9), date(2026, 12, 20), 4, 1),  # 1 Dec: 8 days
    (date(2026, 12, 31), date(2026, 12, 31), date(2027, 1, 20), 0, 0),  # nothing due
    # 30 Dec followed up on the 29th; 1 Jan still in its grace week on 1 Jan
    (date(2026, 12, 30), date(2027, 1, 1), date(2027, 1, 20), 1, 1),
    (date(2027, 2, 28), date(2027, 3, 1), date(2027, 4, 1), 0, 0),  # measured 1 March
    (date(2027, 2, 1), date(2027, 3, 31), date(2027, 4, 1), 2, 0),
])
async def test_followups_due_at_the_edges(start, end, measured_on, due, on_time):
    await _edge_world()
    report = await service.success_criteria(start, end, measured_on)
    share = report.figures.followups_on_time
    assert (share.denominator, share.numerator) == (due, on_time)
