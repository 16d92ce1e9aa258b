"""The slot finder knows people: private hours, school hours, the formøde, the notice.

Every date is derived from today's date (``clock.today``) and ``now`` is passed in, so the
tests mean the same on any day they run.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from coordinator import clock
from coordinator.meetings.planner import (
    DEFAULT_SCHOOL_HOURS,
    LOCAL_TZ,
    Part,
    Participant,
    PlanningRequest,
    earliest_allowed_date,
    find_slots,
    formoede_limit,
    is_working_day,
)


def quiet_week() -> date:
    """A Monday at least eight weeks ahead whose five weekdays are all working days."""
    day = clock.today() + timedelta(days=56)
    day += timedelta(days=(7 - day.weekday()) % 7)
    while not all(is_working_day(day + timedelta(days=n)) for n in range(5)):
        day += timedelta(days=7)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def plan(people, monday: date, days: int = 5, now: datetime | None = None, notice: int = 0,
         minutes: int = 60, **extra) -> PlanningRequest:
    return PlanningRequest(
        participants=people, parts=[Part("main", "Møde", timedelta(minutes=minutes))],
        window_start=at(monday, 0), window_end=at(monday + timedelta(days=days), 0),
        now=now or at(monday - timedelta(days=21), 10), min_notice_working_days=notice,
        max_slots=10, max_slots_per_day=3, **extra)


def local_hours(result) -> list[tuple[int, int]]:
    return [(s.start.astimezone(LOCAL_TZ).hour, s.end.astimezone(LOCAL_TZ).hour)
            for s in result.slots]


def test_private_people_are_planned_on_weekday_afternoons_and_evenings() -> None:
    monday = quiet_week()
    mother = Participant("person:1", "Mor Sara", private=True)
    result = find_slots(plan([mother], monday))
    assert result.slots
    for slot in result.slots:
        start = slot.start.astimezone(LOCAL_TZ)
        assert start.weekday() < 5
        assert time(15) <= start.time() and slot.end.astimezone(LOCAL_TZ).time() <= time(20)
    assert result.slots[0].start == at(monday, 15)
    assert "Alle kan." in result.slots[0].explanation


def test_a_professional_and_a_private_person_meet_where_their_days_overlap() -> None:
    monday = quiet_week()
    worker = Participant("user:1", "Socialrådgiver Lene")
    mother = Participant("person:1", "Mor Sara", private=True)
    result = find_slots(plan([worker, mother], monday))
    assert {hours for hours in local_hours(result)} == {(15, 16)}
    morning = [r for r in result.rejections if r.subject_id == "person:1"]
    assert morning and morning[0].message == "Uden for de tider, Mor Sara kan"


def test_own_hours_of_a_private_person_win_and_are_named_in_the_reason() -> None:
    monday = quiet_week()
    granny = Participant("person:2", "Mormor Inger", private=True,
                         working_hours={d: (time(16), time(20)) for d in range(5)})
    mother = Participant("person:1", "Mor Sara", private=True)
    result = find_slots(plan([mother, granny], monday))
    assert result.slots and all(h >= 16 for h, _ in local_hours(result))
    assert "Alle kan – Mormor Inger kun efter 16." in result.slots[0].explanation
    assert any(r.subject_id == "person:2" for r in result.rejections)


def test_a_child_is_never_planned_in_school_time_on_a_school_day() -> None:
    monday = quiet_week()
    # Hours set wide open (a day off for the adults): school still wins on school days.
    child = Participant("person:3", "Emil (11 år)", private=True,
                        working_hours={d: (time(8), time(20)) for d in range(7)},
                        school_hours=DEFAULT_SCHOOL_HOURS)
    result = find_slots(plan([child], monday, minutes=90))
    assert result.slots
    for slot in result.slots:
        assert slot.start.astimezone(LOCAL_TZ).time() >= DEFAULT_SCHOOL_HOURS[1]
    assert any(r.code == "school" and r.message == "Emil (11 år) er i skole"
               for r in result.rejections)
    assert "Alle kan – Emil (11 år) efter skoletid." in result.slots[0].explanation


def test_school_hours_do_not_apply_on_a_weekend() -> None:
    monday = quiet_week()
    saturday = monday + timedelta(days=5)
    child = Participant("person:3", "Emil", private=True,
                        working_hours={5: (time(9), time(12))}, school_hours=DEFAULT_SCHOOL_HOURS)
    result = find_slots(plan([child], saturday, days=1, allow_weekends=True))
    assert result.slots[0].start == at(saturday, 9)


def test_a_late_meeting_with_a_child_ranks_lower_and_says_why() -> None:
    monday = quiet_week()
    child = Participant("person:3", "Emil", private=True, school_hours=DEFAULT_SCHOOL_HOURS)
    result = find_slots(plan([child], monday, days=1, minutes=60))
    starts = [s.start.astimezone(LOCAL_TZ).time() for s in result.slots]
    assert starts[0] == time(15)
    late = [s for s in result.slots if s.end.astimezone(LOCAL_TZ).time() > time(19)]
    assert all(s.score < result.slots[0].score for s in late)
    assert all("sent for børnene" in s.explanation for s in late)
    assert "Emil efter skoletid" in result.slots[0].explanation


def test_minimum_notice_is_a_hard_limit_for_private_people_too() -> None:
    monday = quiet_week()
    now = at(monday, 9)
    mother = Participant("person:1", "Mor Sara", private=True)
    result = find_slots(plan([mother], monday, now=now, notice=3))
    first_day = earliest_allowed_date(now, 3)
    assert result.slots
    assert all(s.start.astimezone(LOCAL_TZ).date() >= first_day for s in result.slots)
    assert any(r.code == "notice" for r in result.rejections)


def test_nothing_before_the_formoede_and_the_reason_is_given() -> None:
    monday = quiet_week()
    formoede = monday + timedelta(days=2)
    not_before, reason = formoede_limit("familieraadslagning", formoede)
    assert not_before == at(formoede + timedelta(days=1), 0)
    mother = Participant("person:1", "Mor Sara", private=True)
    result = find_slots(plan([mother], monday, not_before=not_before, not_before_message=reason))
    assert result.slots
    assert all(s.start >= not_before for s in result.slots)
    held_back = [r for r in result.rejections if r.code == "not_before"]
    assert held_back and held_back[0].message.startswith("Før formødet ")


def test_when_nothing_fits_the_formoede_is_named() -> None:
    monday = quiet_week()
    not_before, reason = formoede_limit("familieraadslagning", monday + timedelta(days=10))
    mother = Participant("person:1", "Mor Sara", private=True)
    result = find_slots(plan([mother], monday, not_before=not_before, not_before_message=reason))
    assert result.slots == ()
    assert [r.message for r in result.rejections if r.code == "not_before"] == [reason]


def test_formoede_limit_by_kind() -> None:
    assert formoede_limit("netvaerksmoede", None) == (None, "")
    assert formoede_limit("familieraadslagning_followup", None) == (None, "")
    start, reason = formoede_limit("familieraadslagning", None)
    assert start is None and "Formødet er ikke holdt eller planlagt endnu" in reason
