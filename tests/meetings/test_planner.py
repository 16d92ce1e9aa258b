"""Tests of the pure slot finder: time zones, DST, holidays, working hours, parts, rooms."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.meetings.planner import (
    DEFAULT_WORKING_HOURS,
    EXTRA_CLOSED_DAYS,
    LOCAL_TZ,
    AllDay,
    Busy,
    Part,
    Participant,
    PlanningError,
    PlanningRequest,
    Room,
    busy_span,
    closed_day_reason,
    earliest_allowed_date,
    find_slots,
    format_local_date,
    is_working_day,
    overlapping,
    searched_days,
)

UTC = timezone.utc
NO_HOURS = {weekday: None for weekday in range(7)}


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A local Copenhagen wall time as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ).astimezone(UTC)


def busy_local(day: date, start: tuple[int, int], end: tuple[int, int]) -> Busy:
    return Busy(local(day.year, day.month, day.day, *start), local(day.year, day.month, day.day, *end))


def request(
    participants,
    window: tuple[datetime, datetime],
    parts=None,
    now: datetime | None = None,
    **kw,
) -> PlanningRequest:
    return PlanningRequest(
        participants=participants,
        parts=parts or [Part("meeting", "Møde", timedelta(hours=1))],
        window_start=window[0],
        window_end=window[1],
        now=now or window[0] - timedelta(days=10),
        min_notice_working_days=kw.pop("min_notice_working_days", 0),
        **kw,
    )


def local_starts(result) -> list[datetime]:
    return [slot.start.astimezone(LOCAL_TZ).replace(tzinfo=None) for slot in result.slots]


def messages(result) -> list[str]:
    return [r.message for r in result.rejections]


# --------------------------------------------------------------------------- basics


def test_first_slot_is_the_first_morning_and_explained_in_danish() -> None:
    result = find_slots(request([Participant("a", "Anne")], (local(2027, 3, 1), local(2027, 3, 6))))
    first = result.slots[0]
    assert first.start == local(2027, 3, 1, 9) and first.end == local(2027, 3, 1, 10)
    assert first.start.tzinfo == UTC
    assert first.parts[0].start == first.start and first.parts[0].end == first.end
    assert first.room_id is None
    assert first.score == 1000
    assert first.explanation == "Mandag den 1. marts 2027 kl. 09.00–10.00. Alle kan. Formiddag – foretrukket tidspunkt."
    assert result.rejections == ()


def test_slots_do_not_overlap_and_respect_the_per_day_limit() -> None:
    result = find_slots(
        request([Participant("a", "Anne")], (local(2027, 3, 1), local(2027, 3, 13)), max_slots=6, max_slots_per_day=2)
    )
    assert len(result.slots) == 6
    per_day: dict[date, int] = {}
    for i, slot in enumerate(result.slots):
        day = slot.start.astimezone(LOCAL_TZ).date()
        per_day[day] = per_day.get(day, 0) + 1
        for other in result.slots[i + 1 :]:
            assert slot.end <= other.start or other.end <= slot.start
    assert max(per_day.values()) <= 2
    scores = [slot.score for slot in result.slots]
    assert scores == sorted(scores, reverse=True)


def test_result_is_deterministic() -> None:
    req = request(
        [Participant("a", "Anne", busy=[busy_local(date(2027, 3, 2), (8, 0), (11, 0))]), Participant("b", "Bo")],
        (local(2027, 3, 1), local(2027, 3, 20)),
        now=local(2027, 2, 26, 10),
        min_notice_working_days=2,
    )
    assert find_slots(req) == find_slots(req)


# --------------------------------------------------------------------------- DST


DST_WEEKS = [
    # (day before the change, day after the change, UTC hour of 09:00 before, after)
    (date(2027, 3, 24), date(2027, 3, 30), 8, 7),
    (date(2027, 10, 29), date(2027, 11, 1), 7, 8),
    (date(2026, 3, 27), date(2026, 3, 30), 8, 7),
    (date(2026, 10, 23), date(2026, 10, 26), 7, 8),
]


@pytest.mark.parametrize("before,after,utc_before,utc_after", DST_WEEKS)
def test_nine_oclock_stays_nine_oclock_across_dst(before: date, after: date, utc_before: int, utc_after: int) -> None:
    person = Participant(
        "a", "Anne", working_hours=NO_HOURS, date_overrides={before: (time(9), time(10)), after: (time(9), time(10))}
    )
    window = (local(before.year, before.month, before.day), local(after.year, after.month, after.day, 23))
    result = find_slots(request([person], window))
    assert [s.start for s in result.slots] == [
        datetime(before.year, before.month, before.day, utc_before, tzinfo=UTC),
        datetime(after.year, after.month, after.day, utc_after, tzinfo=UTC),
    ]
    assert [t.time() for t in local_starts(result)] == [time(9), time(9)]
    assert all(s.end - s.start == timedelta(hours=1) for s in result.slots)
    assert all("kl. 09.00–10.00" in s.explanation for s in result.slots)


@pytest.mark.parametrize("before,after,utc_before,utc_after", DST_WEEKS)
def test_whole_dst_week_with_default_hours_only_offers_local_office_hours(before, after, utc_before, utc_after) -> None:
    window = (local(before.year, before.month, before.day), local(after.year, after.month, after.day, 23))
    result = find_slots(request([Participant("a", "Anne")], window, max_slots=20, max_slots_per_day=8))
    assert result.slots
    for slot in result.slots:
        start, end = slot.start.astimezone(LOCAL_TZ), slot.end.astimezone(LOCAL_TZ)
        assert time(8) <= start.time() and end.time() <= time(16) and start.minute % 15 == 0
        assert is_working_day(start.date())


def test_spring_forward_sunday_never_offers_a_missing_local_time() -> None:
    sunday = date(2026, 3, 29)  # 02:00 → 03:00
    person = Participant("a", "Anne", working_hours=NO_HOURS, date_overrides={sunday: (time(1), time(5))})
    result = find_slots(
        request(
            [person],
            (local(2026, 3, 28), local(2026, 3, 30)),
            parts=[Part("m", "Møde", timedelta(minutes=30))],
            step=timedelta(minutes=30),
            allow_weekends=True,
            max_slots=10,
            max_slots_per_day=10,
        )
    )
    starts = [s.start.astimezone(LOCAL_TZ) for s in result.slots]
    assert [t.strftime("%H:%M") for t in sorted(starts)] == ["01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    ends = {s.start.astimezone(LOCAL_TZ).strftime("%H:%M"): s.end.astimezone(LOCAL_TZ).strftime("%H:%M") for s in result.slots}
    assert ends["01:30"] == "03:00"  # 30 real minutes across the gap
    assert all(s.end - s.start == timedelta(minutes=30) for s in result.slots)
    # Saturday: Anne does not work; Sunday 02:00 and 02:30 do not exist.
    assert [(r.code, r.count) for r in result.rejections] == [("outside_hours", 1), ("local_time", 2)]


def test_fall_back_sunday_never_offers_an_ambiguous_local_time() -> None:
    sunday = date(2026, 10, 25)  # 03:00 → 02:00, so 02:00–02:59 happens twice
    person = Participant("a", "Anne", working_hours=NO_HOURS, date_overrides={sunday: (time(1), time(5))})
    result = find_slots(
        request(
            [person],
            (local(2026, 10, 24), local(2026, 10, 26)),
            parts=[Part("m", "Møde", timedelta(minutes=30))],
            step=timedelta(minutes=30),
            allow_weekends=True,
            max_slots=10,
            max_slots_per_day=10,
        )
    )
    starts = sorted(s.start.astimezone(LOCAL_TZ).strftime("%H:%M") for s in result.slots)
    # 01:30 would end at an ambiguous 02:00; 02:00 and 02:30 are ambiguous themselves.
    assert starts == ["01:00", "03:00", "03:30", "04:00", "04:30"]
    local_time = [r for r in result.rejections if r.code == "local_time"]
    assert local_time and local_time[0].count == 3
    assert local_time[0].message == "Tidspunktet findes ikke eller er tvetydigt ved skift af sommertid"


# --------------------------------------------------------------------------- closed days


@pytest.mark.parametrize(
    "day,reason",
    [
        (date(2027, 5, 6), "Helligdag: Kristi himmelfartsdag"),
        (date(2026, 5, 14), "Helligdag: Kristi himmelfartsdag"),
        (date(2027, 3, 25), "Helligdag: Skærtorsdag"),
        (date(2027, 3, 29), "Helligdag: Anden påskedag"),
        (date(2027, 5, 17), "Helligdag: Anden pinsedag"),
        (date(2026, 6, 5), "Lukkedag: Grundlovsdag"),
        (date(2027, 6, 5), "Lukkedag: Grundlovsdag"),
        (date(2026, 12, 24), "Lukkedag: Juleaftensdag"),
        (date(2026, 12, 25), "Helligdag: Juledag"),
        (date(2026, 12, 26), "Helligdag: Anden juledag"),
        (date(2026, 12, 31), "Lukkedag: Nytårsaftensdag"),
        (date(2027, 1, 1), "Helligdag: Nytårsdag"),
        (date(2026, 5, 1), None),  # Arbejdernes kampdag: offices open
        (date(2027, 5, 5), None),
    ],
)
def test_closed_day_reason(day: date, reason: str | None) -> None:
    assert closed_day_reason(day) == reason
    assert is_working_day(day) is (reason is None and day.weekday() < 5)


def test_extra_closed_days_constant() -> None:
    assert EXTRA_CLOSED_DAYS == {(6, 5): "Grundlovsdag", (12, 24): "Juleaftensdag", (12, 31): "Nytårsaftensdag"}


def test_kristi_himmelfartsdag_is_skipped_and_explained() -> None:
    person = Participant("a", "Sundhedsplejerske Yrsa", busy=[AllDay(date(2027, 5, 5))])
    result = find_slots(request([person], (local(2027, 5, 5), local(2027, 5, 8)), max_slots=1))
    assert result.slots[0].start == local(2027, 5, 7, 9)
    assert messages(result) == ["Optaget: Sundhedsplejerske Yrsa", "Helligdag: Kristi himmelfartsdag"]
    holiday = result.rejections[1]
    assert (holiday.code, holiday.count, holiday.first_start) == ("closed_day", 1, local(2027, 5, 6))


def test_grundlovsdag_is_closed() -> None:
    person = Participant("a", "Anne", busy=[AllDay(date(2026, 6, 4))])
    result = find_slots(request([person], (local(2026, 6, 4), local(2026, 6, 10)), max_slots=1))
    assert result.slots[0].start == local(2026, 6, 8, 9)  # Thu busy, Fri Grundlovsdag, weekend
    assert messages(result) == ["Optaget: Anne", "Lukkedag: Grundlovsdag", "Weekend"]


def test_christmas_and_new_year() -> None:
    person = Participant("a", "Anne", busy=[AllDay(date(2026, 12, 23))])
    result = find_slots(
        request([person], (local(2026, 12, 23), local(2027, 1, 6)), max_slots=5, max_slots_per_day=1)
    )
    days = [s.start.astimezone(LOCAL_TZ).date() for s in result.slots]
    assert days == [date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2027, 1, 4), date(2027, 1, 5)]
    assert messages(result) == [
        "Optaget: Anne",
        "Lukkedag: Juleaftensdag",
        "Helligdag: Juledag",
        "Helligdag: Anden juledag",
        "Weekend",
        "Lukkedag: Nytårsaftensdag",
        "Helligdag: Nytårsdag",
    ]
    weekend = next(r for r in result.rejections if r.code == "weekend")
    assert weekend.count == 3  # 27 Dec, 2 and 3 Jan (26 Dec is a holiday)


# --------------------------------------------------------------------------- busy and all-day


def test_all_day_event_blocks_the_whole_local_day_and_multi_day_events() -> None:
    person = Participant("a", "Anne", busy=[AllDay(date(2027, 3, 1)), AllDay(date(2027, 3, 3), date(2027, 3, 4))])
    result = find_slots(request([person], (local(2027, 3, 1), local(2027, 3, 6)), max_slots=4, max_slots_per_day=1))
    days = [s.start.astimezone(LOCAL_TZ).date() for s in result.slots]
    assert days == [date(2027, 3, 2), date(2027, 3, 5)]


def test_busy_interval_edges_are_half_open() -> None:
    person = Participant("a", "Anne", busy=[busy_local(date(2027, 3, 1), (8, 0), (9, 30))])
    result = find_slots(request([person], (local(2027, 3, 1), local(2027, 3, 2)), max_slots=1))
    assert result.slots[0].start == local(2027, 3, 1, 9, 30)
    assert messages(result) == ["Optaget: Anne"]
    assert result.rejections[0].count == 6  # 08:00 … 09:15
    assert result.rejections[0].first_start == local(2027, 3, 1, 8)
    assert result.rejections[0].last_start == local(2027, 3, 1, 9, 15)


def test_overlapping_and_unsorted_busy_intervals_are_merged() -> None:
    day = date(2027, 3, 1)
    person = Participant(
        "a",
        "Anne",
        busy=[busy_local(day, (12, 0), (16, 0)), busy_local(day, (8, 0), (10, 0)), busy_local(day, (9, 0), (11, 0)),
              busy_local(day, (10, 30), (11, 15)), Busy(local(2027, 3, 1, 11, 30), local(2027, 3, 1, 11, 30))],
    )
    result = find_slots(request([person], (local(2027, 3, 1), local(2027, 3, 2)), max_slots=3, max_slots_per_day=3))
    assert result.slots == ()
    person = Participant("a", "Anne", busy=list(person.busy[:3]))
    result = find_slots(request([person], (local(2027, 3, 1), local(2027, 3, 2)), max_slots=3, max_slots_per_day=3))
    assert [s.start for s in result.slots] == [local(2027, 3, 1, 11)]


def test_rejections_are_aggregated_per_person() -> None:
    people = [
        Participant("t", "Lærer Hanne", busy=[busy_local(date(2027, 3, d), (8, 0), (16, 0)) for d in (1, 2)]),
        Participant("h", "Sundhedsplejerske Yrsa", busy=[busy_local(date(2027, 3, 1), (8, 0), (12, 0))]),
    ]
    result = find_slots(request(people, (local(2027, 3, 1), local(2027, 3, 6)), max_slots=1))
    assert result.slots[0].start == local(2027, 3, 3, 9)
    assert messages(result) == ["Optaget: Lærer Hanne", "Optaget: Sundhedsplejerske Yrsa"]
    teacher, nurse = result.rejections
    assert teacher.count == 2 * 29  # every start 08:00 … 15:00 on Monday and Tuesday
    assert (teacher.subject_id, nurse.subject_id) == ("t", "h")
    assert nurse.count == 16  # Monday 08:00 … 11:45


# --------------------------------------------------------------------------- working hours


def test_per_person_working_hours_and_date_overrides() -> None:
    teacher = Participant(
        "t",
        "Lærer Hanne",
        working_hours={0: (time(10), time(14)), 1: None},
        date_overrides={date(2027, 3, 3): (time(12), time(15))},
    )
    result = find_slots(
        request(
            [teacher, Participant("s", "Anne")],
            (local(2027, 3, 1), local(2027, 3, 4)),
            parts=[Part("m", "Møde", timedelta(hours=2))],
            max_slots=10,
            max_slots_per_day=10,
        )
    )
    by_day: dict[date, list[str]] = {}
    for slot in sorted(result.slots, key=lambda s: s.start):
        start = slot.start.astimezone(LOCAL_TZ)
        by_day.setdefault(start.date(), []).append(start.strftime("%H:%M"))
    assert by_day == {date(2027, 3, 1): ["10:00", "12:00"], date(2027, 3, 3): ["12:00"]}
    outside = next(r for r in result.rejections if r.code == "outside_hours")
    assert (outside.message, outside.subject_id) == ("Uden for arbejdstid for Lærer Hanne", "t")


def test_default_working_hours_are_monday_to_friday_eight_to_four() -> None:
    assert DEFAULT_WORKING_HOURS == {
        0: (time(8), time(16)), 1: (time(8), time(16)), 2: (time(8), time(16)), 3: (time(8), time(16)),
        4: (time(8), time(16)), 5: None, 6: None,
    }
    result = find_slots(
        request([Participant("a", "Anne")], (local(2027, 3, 1), local(2027, 3, 2)),
                parts=[Part("m", "Møde", timedelta(hours=8))])
    )
    assert [s.start for s in result.slots] == [local(2027, 3, 1, 8)]


def test_nobody_working_is_explained() -> None:
    person = Participant("a", "Anne", date_overrides={date(2027, 3, 1): None})
    result = find_slots(request([person], (local(2027, 3, 1), local(2027, 3, 3)), max_slots=1))
    assert result.slots[0].start == local(2027, 3, 2, 9)
    assert messages(result) == ["Uden for arbejdstid for Anne"]


# --------------------------------------------------------------------------- parts


FGC_PARTS = [
    Part("information", "Informationsdel", timedelta(minutes=45)),
    Part("family_time", "Familiens egen tid", timedelta(minutes=120), frozenset({"mother"})),
    Part("plan", "Fremlæggelse og godkendelse af planen", timedelta(minutes=45), frozenset({"mother", "worker"})),
]


def test_participant_only_needs_to_be_free_in_their_parts() -> None:
    day = date(2027, 3, 1)
    people = [
        Participant("mother", "Mor"),
        Participant("worker", "Socialrådgiver Anne", busy=[busy_local(day, (9, 45), (11, 45))]),
        Participant("nurse", "Sundhedsplejerske Yrsa", busy=[busy_local(day, (10, 0), (16, 0))]),
    ]
    result = find_slots(request(people, (local(2027, 3, 1), local(2027, 3, 2)), parts=FGC_PARTS, max_slots=1))
    slot = result.slots[0]
    assert slot.start == local(2027, 3, 1, 9) and slot.end == local(2027, 3, 1, 12, 30)
    assert [(p.key, p.start, p.end) for p in slot.parts] == [
        ("information", local(2027, 3, 1, 9), local(2027, 3, 1, 9, 45)),
        ("family_time", local(2027, 3, 1, 9, 45), local(2027, 3, 1, 11, 45)),
        ("plan", local(2027, 3, 1, 11, 45), local(2027, 3, 1, 12, 30)),
    ]
    assert "Informationsdel 09.00–09.45; Familiens egen tid 09.45–11.45" in slot.explanation
    # If the nurse had to stay for the whole meeting, 09:00 would not work.
    everyone = [Part(p.key, p.label, p.duration) for p in FGC_PARTS]
    assert find_slots(request(people, (local(2027, 3, 1), local(2027, 3, 2)), parts=everyone)).slots == ()


def test_staggered_attendance_working_hours_per_part() -> None:
    # The worker stops at 11:00 but only attends the first hour; the mother stays four hours.
    people = [Participant("mother", "Mor"), Participant("worker", "Anne", working_hours={0: (time(8), time(11))})]
    parts = [
        Part("first", "Første del", timedelta(hours=1)),
        Part("second", "Anden del", timedelta(hours=3), frozenset({"mother"})),
    ]
    window = (local(2027, 3, 1), local(2027, 3, 2))
    result = find_slots(request(people, window, parts=parts, max_slots=5, max_slots_per_day=5))
    assert [s.start for s in result.slots] == [local(2027, 3, 1, 9)]
    whole = [Part(p.key, p.label, p.duration) for p in parts]
    result = find_slots(request(people, window, parts=whole))
    assert result.slots == ()
    assert messages(result) == ["Uden for arbejdstid for Anne"]


# --------------------------------------------------------------------------- rooms


def test_first_free_room_is_used() -> None:
    day = date(2027, 3, 1)
    rooms = [Room("r1", "Mødelokale 1", busy=[busy_local(day, (8, 0), (12, 0))]), Room("r2", "Mødelokale 2")]
    result = find_slots(request([Participant("a", "Anne")], (local(2027, 3, 1), local(2027, 3, 2)), rooms=rooms))
    assert result.slots[0].room_id == "r2"
    assert result.slots[0].explanation.startswith("Mandag den 1. marts 2027 kl. 09.00–10.00, Mødelokale 2.")


def test_no_free_room_is_explained() -> None:
    day = date(2027, 3, 1)
    rooms = [Room("r1", "Mødelokale 1", busy=[AllDay(day)]), Room("r2", "Mødelokale 2", busy=[busy_local(day, (8, 0), (13, 0))])]
    result = find_slots(request([Participant("a", "Anne")], (local(2027, 3, 1), local(2027, 3, 2)), rooms=rooms, max_slots=1))
    assert result.slots[0].start == local(2027, 3, 1, 13) and result.slots[0].room_id == "r2"
    assert messages(result) == ["Intet ledigt lokale"]
    assert result.rejections[0].code == "no_room"


# --------------------------------------------------------------------------- notice


@pytest.mark.parametrize(
    "now,days,expected",
    [
        (local(2027, 3, 1, 10), 2, date(2027, 3, 3)),  # Monday → Wednesday
        (local(2027, 3, 4, 10), 2, date(2027, 3, 8)),  # Thursday → Monday
        (local(2027, 3, 6, 10), 2, date(2027, 3, 9)),  # Saturday → Tuesday
        (local(2027, 5, 5, 10), 2, date(2027, 5, 10)),  # Wed; Kristi himmelfartsdag on Thursday
        (local(2027, 3, 1, 10), 0, date(2027, 3, 1)),
        (local(2027, 3, 1, 23, 30), 1, date(2027, 3, 2)),  # late evening local, still Monday
    ],
)
def test_earliest_allowed_date(now: datetime, days: int, expected: date) -> None:
    assert earliest_allowed_date(now, days) == expected


def test_minimum_notice_is_respected_and_explained() -> None:
    result = find_slots(
        request(
            [Participant("a", "Anne")],
            (local(2027, 3, 1), local(2027, 3, 10)),
            now=local(2027, 3, 1, 10),
            min_notice_working_days=2,
            max_slots=1,
        )
    )
    assert result.slots[0].start == local(2027, 3, 3, 9)
    past, notice = result.rejections
    assert (past.message, past.first_start, past.last_start) == (
        "Tidspunktet er passeret", local(2027, 3, 1, 8), local(2027, 3, 1, 9, 45)
    )
    assert notice.message == "For kort varsel (mindst 2 arbejdsdage)"
    assert notice.first_start == local(2027, 3, 1, 10)
    assert notice.last_start == local(2027, 3, 2, 15)
    assert notice.count == 21 + 29


def test_without_notice_the_past_is_still_excluded() -> None:
    result = find_slots(
        request([Participant("a", "Anne")], (local(2027, 3, 1), local(2027, 3, 2)), now=local(2027, 3, 1, 10, 5), max_slots=1)
    )
    assert result.slots[0].start == local(2027, 3, 1, 10, 15)


# --------------------------------------------------------------------------- ranking


def test_next_morning_beats_a_late_afternoon() -> None:
    # Thursday only free 14–16; Friday free: Friday morning ranks above Thursday afternoon.
    person = Participant("a", "Anne", busy=[busy_local(date(2027, 3, 4), (8, 0), (14, 0))])
    result = find_slots(
        request([person], (local(2027, 3, 4), local(2027, 3, 6)), parts=[Part("m", "Møde", timedelta(hours=2))], max_slots=4)
    )
    ranked = [(s.start.astimezone(LOCAL_TZ).strftime("%a %H:%M"), s.score) for s in result.slots]
    assert ranked == [("Fri 09:00", 990), ("Fri 11:00", 990), ("Thu 14:00", 975)]
    assert result.slots[2].explanation.endswith("Slutter sent på eftermiddagen.")


def test_friday_after_two_is_avoided() -> None:
    # Thu busy; Fri free only 13–16; Mon free only 14–16: Monday afternoon beats Friday afternoon.
    person = Participant(
        "a",
        "Anne",
        busy=[AllDay(date(2027, 3, 4)), busy_local(date(2027, 3, 5), (8, 0), (13, 0)), busy_local(date(2027, 3, 8), (8, 0), (14, 0))],
    )
    result = find_slots(
        request([person], (local(2027, 3, 4), local(2027, 3, 9)), parts=[Part("m", "Møde", timedelta(hours=2))], max_slots=4)
    )
    ranked = [(s.start.astimezone(LOCAL_TZ).strftime("%a %H:%M"), s.score) for s in result.slots]
    assert ranked == [("Mon 14:00", 955), ("Fri 13:00", 940)]
    assert result.slots[1].explanation == (
        "Fredag den 5. marts 2027 kl. 13.00–15.00. Alle kan. Fredag eftermiddag – helst undgås."
    )


@pytest.mark.parametrize(
    "start,hours,expected",
    [
        ((2027, 3, 1, 9, 0), 1, 1000),  # Monday morning
        ((2027, 3, 1, 8, 0), 1, 995),  # before 09:00
        ((2027, 3, 1, 12, 0), 1, 990),  # afternoon
        ((2027, 3, 1, 14, 0), 2, 975),  # afternoon ending after 15
        ((2027, 3, 5, 9, 0), 1, 960),  # Friday morning (4 open days later)
        ((2027, 3, 5, 13, 0), 2, 910),  # Friday 13–15: 1000 − 40 − 10 (afternoon) − 40 (Friday after 14)
    ],
)
def test_score_formula(start: tuple[int, ...], hours: int, expected: int) -> None:
    y, m, d, hh, mm = start
    day = date(y, m, d)
    person = Participant(
        "a", "Anne", working_hours=NO_HOURS, date_overrides={day: (time(hh, mm), time(hh + hours, mm))}
    )
    result = find_slots(
        request([person], (local(2027, 3, 1), local(2027, 3, 6)), parts=[Part("m", "Møde", timedelta(hours=hours))])
    )
    assert [(s.start, s.score) for s in result.slots] == [(local(y, m, d, hh, mm), expected)]


# --------------------------------------------------------------------------- validation


def _valid(**changes) -> PlanningRequest:
    base = dict(
        participants=[Participant("a", "Anne")],
        parts=[Part("m", "Møde", timedelta(hours=1))],
        window_start=local(2027, 3, 1),
        window_end=local(2027, 3, 5),
        now=local(2027, 2, 1),
    )
    base.update(changes)
    return PlanningRequest(**base)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"window_end": local(2027, 2, 28)}, "Søgevinduets slutning skal ligge efter dets start."),
        ({"window_end": local(2027, 3, 1)}, "Søgevinduets slutning skal ligge efter dets start."),
        ({"now": local(2027, 3, 6)}, "Søgevinduet ligger i fortiden."),
        ({"window_end": local(2028, 3, 5)}, "Søgevinduet må højst være et år."),
        ({"parts": [Part("m", "Informationsdel", timedelta(0))]}, "Varigheden af »Informationsdel« skal være større end nul."),
        ({"parts": [Part("m", "Plan", timedelta(minutes=-15))]}, "Varigheden af »Plan« skal være større end nul."),
        ({"participants": []}, "Mødet skal have mindst én deltager."),
        ({"parts": []}, "Mødet skal have mindst én del."),
        ({"step": timedelta(0)}, "Trinlængden skal være større end nul."),
        ({"min_notice_working_days": -1}, "Varslet kan ikke være negativt."),
        ({"max_slots": 0}, "Der skal mindst foreslås ét tidspunkt."),
        ({"window_start": datetime(2027, 3, 1)}, "Søgevinduets start mangler tidszone."),
        ({"now": datetime(2027, 3, 1)}, "Det aktuelle tidspunkt mangler tidszone."),
        ({"participants": [Participant("a", "Anne"), Participant("a", "Anne")]}, "En deltager står på listen mere end én gang."),
        (
            {"parts": [Part("m", "Plan", timedelta(hours=1), frozenset({"zz"}))]},
            "»Plan« nævner en deltager, som ikke er med på mødet.",
        ),
        (
            {"participants": [Participant("a", "Anne", working_hours={0: (time(16), time(8))})]},
            "Arbejdstiden for Anne slutter før den starter.",
        ),
        (
            {"participants": [Participant("a", "Anne", working_hours={7: (time(8), time(16))})]},
            "Arbejdstiden for Anne har en ukendt ugedag.",
        ),
        (
            {"participants": [Participant("a", "Anne", busy=[Busy(local(2027, 3, 2), local(2027, 3, 1))])]},
            "En optaget periode for Anne slutter før den starter.",
        ),
        (
            {"participants": [Participant("a", "Anne", busy=[Busy(datetime(2027, 3, 1), datetime(2027, 3, 2))])]},
            "En optaget periode for Anne mangler tidszone.",
        ),
        (
            {"participants": [Participant("a", "Anne", busy=[AllDay(date(2027, 3, 2), date(2027, 3, 1))])]},
            "En heldagsbegivenhed for Anne slutter før den starter.",
        ),
        (
            {"rooms": [Room("r", "Lokale 1", busy=[Busy(local(2027, 3, 2), local(2027, 3, 1))])]},
            "En optaget periode for Lokale 1 slutter før den starter.",
        ),
    ],
)
def test_validation_errors_are_danish(changes: dict, message: str) -> None:
    with pytest.raises(PlanningError) as caught:
        find_slots(_valid(**changes))
    assert caught.value.message_da == message
    assert str(caught.value) == message


def test_window_partly_in_the_past_is_fine() -> None:
    result = find_slots(_valid(now=local(2027, 3, 3, 12), min_notice_working_days=0, max_slots=2, max_slots_per_day=1))
    # Wednesday 12:00 (afternoon, score 970) ties with Thursday 09:00; the earlier wins.
    assert [(s.start, s.score) for s in result.slots] == [(local(2027, 3, 3, 12), 970), (local(2027, 3, 4, 9), 970)]
    assert messages(result) == ["Tidspunktet er passeret"]
    assert result.rejections[0].last_start == local(2027, 3, 3, 11, 45)


def test_nobody_attending_any_part_is_an_error() -> None:
    with pytest.raises(PlanningError) as caught:
        find_slots(_valid(parts=[Part("m", "Familiens egen tid", timedelta(hours=1), frozenset())]))
    assert caught.value.message_da == "Ingen af deltagerne deltager i nogen del af mødet."


def test_format_local_date() -> None:
    assert format_local_date(date(2027, 5, 6)) == "torsdag den 6. maj 2027"


def test_no_slot_explains_every_candidate() -> None:
    person = Participant("a", "Anne", busy=[AllDay(date(2027, 3, 1), date(2027, 3, 5))])
    result = find_slots(request([person], (local(2027, 3, 1), local(2027, 3, 8))))
    assert result.slots == ()
    assert messages(result) == ["Optaget: Anne", "Weekend"]
    assert result.rejections[0].count == 5 * 29


# --------------------------------------------------------------------------- property test


def _naive_feasible(req: PlanningRequest, start: datetime) -> bool:
    """A slow, obviously-correct check of one candidate, independent of the planner's bisect."""
    start_local = start.astimezone(LOCAL_TZ)
    day = start_local.date()
    if closed_day_reason(day) or (day.weekday() >= 5 and not req.allow_weekends):
        return False
    cursor = start
    for part in req.parts:
        end = cursor + part.duration
        members = [p for p in req.participants if part.participant_ids is None or p.id in part.participant_ids]
        for person in members:
            hours = person.date_overrides.get(day, person.working_hours.get(day.weekday(), DEFAULT_WORKING_HOURS[day.weekday()]))
            if hours is None:
                return False
            if cursor < datetime.combine(day, hours[0], tzinfo=LOCAL_TZ) or end > datetime.combine(day, hours[1], tzinfo=LOCAL_TZ):
                return False
            for item in person.busy:
                if isinstance(item, AllDay):
                    b0 = datetime.combine(item.first, time(0), tzinfo=LOCAL_TZ)
                    b1 = datetime.combine((item.last or item.first) + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
                else:
                    b0, b1 = item.start, item.end
                if b0 < end and cursor < b1:
                    return False
        cursor = end
    return True


WINDOW_BASES = [local(2027, 3, 22), local(2027, 10, 25), local(2026, 3, 23), local(2026, 10, 19), local(2027, 5, 3),
                local(2026, 6, 1), local(2026, 12, 21)]


@st.composite
def planning_requests(draw) -> PlanningRequest:
    base = draw(st.sampled_from(WINDOW_BASES))
    window_start = base + timedelta(hours=draw(st.integers(0, 72)))
    window_end = window_start + timedelta(days=draw(st.integers(1, 12)), hours=draw(st.integers(0, 23)))
    people = []
    for i in range(draw(st.integers(1, 4))):
        busy: list[Busy | AllDay] = []
        for _ in range(draw(st.integers(0, 8))):
            if draw(st.booleans()) and draw(st.integers(0, 4)) == 0:
                first = (window_start + timedelta(days=draw(st.integers(0, 12)))).astimezone(LOCAL_TZ).date()
                busy.append(AllDay(first, first + timedelta(days=draw(st.integers(0, 2)))))
            else:
                start = window_start + timedelta(minutes=5 * draw(st.integers(0, 12 * 24 * 12)))
                busy.append(Busy(start, start + timedelta(minutes=5 * draw(st.integers(1, 60)))))
        hours = {}
        if draw(st.booleans()):
            weekday = draw(st.integers(0, 6))
            begin = draw(st.integers(0, 20))
            hours[weekday] = (time(begin), time(begin + draw(st.integers(1, 3)))) if draw(st.booleans()) else None
        people.append(Participant(f"p{i}", f"Person {i}", busy=busy, working_hours=hours))
    ids = [p.id for p in people]
    parts = []
    for j in range(draw(st.integers(1, 3))):
        subset = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(ids))))
        parts.append(Part(f"part{j}", f"Del {j}", timedelta(minutes=15 * draw(st.integers(1, 12))), subset))
    if all(part.participant_ids == frozenset() for part in parts):
        parts[0] = Part(parts[0].key, parts[0].label, parts[0].duration, None)
    return PlanningRequest(
        participants=people,
        parts=parts,
        window_start=window_start,
        window_end=window_end,
        now=window_start - timedelta(days=draw(st.integers(0, 5))),
        min_notice_working_days=draw(st.integers(0, 3)),
        step=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        max_slots=draw(st.integers(1, 8)),
        allow_weekends=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planning_requests())
def test_fuzz_slots_never_overlap_busy_holidays_or_leave_working_hours(req: PlanningRequest) -> None:
    result = find_slots(req)
    earliest = earliest_allowed_date(req.now, req.min_notice_working_days)
    for slot in result.slots:
        start_local, end_local = slot.start.astimezone(LOCAL_TZ), slot.end.astimezone(LOCAL_TZ)
        assert slot.start.tzinfo == UTC
        assert req.window_start <= slot.start and slot.end <= req.window_end
        assert slot.start >= req.now and start_local.date() >= earliest
        # within one day: a meeting may end at midnight, never after it
        assert start_local.date() == (end_local - timedelta(microseconds=1)).date()
        assert closed_day_reason(start_local.date()) is None
        assert req.allow_weekends or start_local.weekday() < 5
        assert _naive_feasible(req, slot.start)
        # The local start is on the wall-clock grid and every boundary is unambiguous.
        step_minutes = int(req.step.total_seconds() // 60)
        assert (start_local.hour * 60 + start_local.minute) % step_minutes == 0
        for moment in (slot.start, *(p.end for p in slot.parts)):
            wall = moment.astimezone(LOCAL_TZ).replace(tzinfo=None)
            for fold in (0, 1):
                assert wall.replace(tzinfo=LOCAL_TZ, fold=fold).astimezone(UTC) == moment
        assert slot.parts[0].start == slot.start and slot.parts[-1].end == slot.end
        assert sum((p.end - p.start for p in slot.parts), timedelta()) == sum((p.duration for p in req.parts), timedelta())
    for i, slot in enumerate(result.slots):
        for other in result.slots[i + 1 :]:
            assert slot.end <= other.start or other.end <= slot.start
    assert len(result.slots) <= req.max_slots


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planning_requests())
def test_fuzz_planner_finds_a_slot_whenever_a_naive_scan_does(req: PlanningRequest) -> None:
    """Completeness against a brute-force scan of the same local wall-clock grid (regular days)."""
    result = find_slots(req)
    earliest = max(
        req.now,
        datetime.combine(earliest_allowed_date(req.now, req.min_notice_working_days), time(0), tzinfo=LOCAL_TZ)
        if req.min_notice_working_days
        else req.now,
    )
    total = sum((p.duration for p in req.parts), timedelta())
    found = False
    day = req.window_start.astimezone(LOCAL_TZ).date()
    while day <= req.window_end.astimezone(LOCAL_TZ).date() and not found:
        midnight = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
        regular = (midnight + timedelta(days=1)).utcoffset() == midnight.utcoffset() and (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ) - midnight == timedelta(days=1)
        )
        if regular:
            t = datetime.combine(day, time(0))
            while t.date() == day:
                start = t.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
                if (
                    start >= earliest
                    and start >= req.window_start
                    and start + total <= req.window_end
                    and (start + total).astimezone(LOCAL_TZ).date() == day
                    and _naive_feasible(req, start)
                ):
                    found = True
                    break
                t += req.step
        day += timedelta(days=1)
    if found:
        assert result.slots


# --------------------------------------------------------------------------- the span read


@pytest.mark.parametrize("now,notice,expected", [
    (local(2026, 5, 4, 10), 0, local(2026, 5, 4, 10)),   # no notice: from now
    (local(2026, 5, 4, 10), 2, local(2026, 5, 6)),       # Monday + 2 working days: Wednesday 00:00
    (local(2026, 4, 30, 10), 1, local(2026, 5, 1)),      # 1 May is a working day
    (local(2026, 3, 27, 10), 1, local(2026, 3, 30)),     # over the DST weekend: local midnight
    (local(2026, 2, 20), 2, local(2026, 3, 1)),          # the window starts later than that
])
def test_busy_span_starts_where_the_first_candidate_may_start(now, notice, expected) -> None:
    start, end = busy_span(local(2026, 3, 1), local(2026, 6, 1), now, notice)
    assert (start, end) == (expected, local(2026, 6, 1))


def test_searched_days_are_the_local_dates_of_the_window() -> None:
    assert searched_days(local(2026, 3, 28), local(2026, 3, 30)) == (date(2026, 3, 28), date(2026, 3, 30))


def test_overlapping_keeps_what_touches_the_span_half_open() -> None:
    start, end = local(2026, 5, 4, 8), local(2026, 5, 5, 8)
    inside = [Busy(local(2026, 5, 4, 7), local(2026, 5, 4, 8, 1)), Busy(local(2026, 5, 5, 7), local(2026, 5, 5, 9)),
              AllDay(date(2026, 5, 4)), AllDay(date(2026, 5, 1), date(2026, 5, 4)), AllDay(date(2026, 5, 5))]
    outside = [Busy(local(2026, 5, 4, 7), local(2026, 5, 4, 8)), Busy(local(2026, 5, 5, 8), local(2026, 5, 5, 9)),
               AllDay(date(2026, 5, 1), date(2026, 5, 3)), AllDay(date(2026, 5, 6))]
    assert overlapping([*outside, *inside], start, end) == inside


@st.composite
def requests_with_history(draw) -> PlanningRequest:
    """A planning request whose people also have busy times and date overrides far
    outside the window (their history and far future)."""
    req = draw(planning_requests())
    people = []
    for person in req.participants:
        extra: list[Busy | AllDay] = []
        overrides = {}
        for _ in range(draw(st.integers(0, 6))):
            start = req.window_start + timedelta(minutes=15 * draw(st.integers(-4 * 24 * 30, 4 * 24 * 30)))
            if draw(st.booleans()):
                extra.append(Busy(start, start + timedelta(minutes=15 * draw(st.integers(1, 200)))))
            else:
                day = start.astimezone(LOCAL_TZ).date()
                extra.append(AllDay(day, day + timedelta(days=draw(st.integers(0, 3)))))
            if draw(st.booleans()):
                overrides[start.astimezone(LOCAL_TZ).date()] = None if draw(st.booleans()) else (time(10), time(12))
        people.append(Participant(person.id, person.name, busy=[*person.busy, *extra],
                                  working_hours=person.working_hours, date_overrides=overrides))
    return PlanningRequest(participants=people, parts=req.parts, window_start=req.window_start,
                           window_end=req.window_end, now=req.now,
                           min_notice_working_days=req.min_notice_working_days, step=req.step,
                           max_slots=req.max_slots, allow_weekends=req.allow_weekends)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests_with_history())
def test_fuzz_what_lies_outside_the_span_and_the_searched_days_changes_nothing(req: PlanningRequest) -> None:
    """The database reads only busy times overlapping ``busy_span`` and date overrides of
    ``searched_days``: the answer must be the same as with everything."""
    start, end = busy_span(req.window_start, req.window_end, req.now, req.min_notice_working_days)
    first, last = searched_days(req.window_start, req.window_end)
    trimmed = [Participant(p.id, p.name, busy=overlapping(p.busy, start, end), working_hours=p.working_hours,
                           date_overrides={d: h for d, h in p.date_overrides.items() if first <= d <= last})
               for p in req.participants]
    assert find_slots(req) == find_slots(PlanningRequest(
        participants=trimmed, parts=req.parts, window_start=req.window_start, window_end=req.window_end,
        now=req.now, min_notice_working_days=req.min_notice_working_days, step=req.step,
        max_slots=req.max_slots, allow_weekends=req.allow_weekends))


def test_a_part_nobody_works_in_never_runs_past_midnight():
    """A late evening's hours (20–21) and a last part nobody attends that lasts four hours:
    the meeting would end at 01:00 the next day, so no slot that day is offered (found by
    the property test above)."""
    late = {d: (time(20), time(21)) for d in range(5)}
    people = [Participant("p0", "Person 0", working_hours=late)]
    parts = [Part("talk", "Samtale", timedelta(hours=1)),
             Part("alone", "Alene", timedelta(hours=4), participant_ids=frozenset())]
    result = find_slots(request(people, (local(2027, 3, 22, 0, 0), local(2027, 3, 27, 0, 0)),
                                parts=parts))
    assert result.slots == ()
    shorter = [parts[0], Part("alone", "Alene", timedelta(hours=3), participant_ids=frozenset())]
    result = find_slots(request(people, (local(2027, 3, 22, 0, 0), local(2027, 3, 27, 0, 0)),
                                parts=shorter))
    assert result.slots and all(s.end.astimezone(LOCAL_TZ).time() == time(0) for s in result.slots)
