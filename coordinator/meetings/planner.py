"""Find meeting times that suit everyone: a pure slot finder.

Input is plain dataclasses (participants with working hours and busy times, optional
rooms, the meeting's parts, a search window, ``now``); output is ranked ``Slot``s and
aggregated ``Rejection``s that explain why earlier or better times were not offered.
No database, no HTTP.

Time
    All instants are timezone-aware; results are UTC. Working hours, closed days and
    "morning"/"afternoon" are judged in local time, Europe/Copenhagen (zoneinfo).
    Candidate start times are a grid of local wall-clock times (midnight + k·step), so a
    09:00 meeting is 09:00 local on both sides of a daylight-saving change. A slot whose
    start, end or part boundary does not exist (spring forward) or is ambiguous (fall
    back) in local time is never offered; meeting lengths are real elapsed time.

Closed days
    Saturdays and Sundays (unless ``allow_weekends``), the official Danish public
    holidays from the ``holidays`` package, and ``EXTRA_CLOSED_DAYS``: Grundlovsdag
    (5 June), juleaftensdag (24 December) and nytårsaftensdag (31 December). The last
    three are not public holidays in law, but most municipal offices, schools and day
    care close (or close at noon), so no meeting is planned on them. 1 May is *not*
    closed: many offices stay open.

Minimum notice
    ``min_notice_working_days = n`` means the meeting may be on the n-th working day
    after today (local) at the earliest, at any time of that day: invited on a Monday
    with two days' notice, the earliest meeting is Wednesday morning. Working days skip
    weekends and closed days. With n = 0 anything after ``now`` is allowed.

People
    Professionals are planned within their working hours (default Monday–Friday 08–16);
    private people (family, relatives, friends) outside school and work (default
    weekdays 15–20); both can be changed per person and per date. A child is never
    planned during school hours on school days (``school_hours``). ``not_before`` is a
    hard earliest start besides the notice: for a familierådslagning the day after its
    formøde (``formoede_limit``).

Ranking (deterministic)
    score = 1000 − 10 × (working days after the first open day of the window)
            − 5  if the meeting starts before 09:00
            − 10 if it starts at 12:00 or later
            − 15 if it ends after 15:00
            − 40 if it is a Friday and ends after 14:00
            − 20 if a child attends and it ends after 19:00
    Each slot's explanation says, in plain Danish, that everybody can and whose own
    hours shaped it ("Alle kan – Inger Hansen kun efter 16.").
    Slots are ordered by score (high first), then by start time. The returned slots do
    not overlap each other and at most ``max_slots_per_day`` are taken from one day, so
    the suggestions are real alternatives rather than 15-minute shifts of one another.
    Rooms are tried in the order given; the first free one is used.

Rejections
    Reported for candidate times that start before the chronologically last returned
    slot (so every gap between suggestions is explained), or would have scored higher
    than the best slot; when nothing fits, for every candidate. Each candidate yields all
    its reasons (everybody who is busy, not just the first), aggregated per reason and
    person, with a count and the first and last affected start. Closed days count once
    per day. The order of checks: closed day, weekend, passed, notice, not before, local-time gap,
    working hours, school, busy, room.

Speed
    Busy times are merged into sorted, disjoint intervals per person and room and
    probed with ``bisect``; the cost is O(candidates × attendees × log(busy)). Callers
    need to pass only the busy times that overlap ``busy_span`` and the date overrides
    of ``searched_days``: nothing else can change the result.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")

# Not public holidays in Danish law, but municipal offices close: planned as closed.
EXTRA_CLOSED_DAYS: dict[tuple[int, int], str] = {
    (6, 5): "Grundlovsdag",
    (12, 24): "Juleaftensdag",
    (12, 31): "Nytårsaftensdag",
}

WorkingHours = tuple[time, time] | None  # (start, end) in local time; None: not working

DEFAULT_WORKING_HOURS: dict[int, WorkingHours] = {
    0: (time(8), time(16)),
    1: (time(8), time(16)),
    2: (time(8), time(16)),
    3: (time(8), time(16)),
    4: (time(8), time(16)),
    5: None,
    6: None,
}

# Private people (family, relatives, friends) are planned outside school and work: weekday
# afternoons and evenings, unless their own hours say otherwise.
PRIVATE_DEFAULT_HOURS: dict[int, WorkingHours] = {
    0: (time(15), time(20)),
    1: (time(15), time(20)),
    2: (time(15), time(20)),
    3: (time(15), time(20)),
    4: (time(15), time(20)),
    5: None,
    6: None,
}

# A child is at school on school days (working days) during these local hours, whatever
# hours are set for the child: a meeting the child attends never overlaps them.
DEFAULT_SCHOOL_HOURS: tuple[time, time] = (time(8), time(15))

MAX_WINDOW = timedelta(days=366)

WEEKDAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS_DA = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)


class PlanningError(ValueError):
    """Invalid planning input; ``message_da`` is shown to the user as it is."""

    def __init__(self, message_da: str) -> None:
        super().__init__(message_da)
        self.message_da = message_da


@dataclass(frozen=True)
class Busy:
    """A busy interval [start, end) with timezone-aware datetimes (UTC preferred)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class AllDay:
    """An all-day event: blocks the whole local days from ``first`` to ``last`` inclusive."""

    first: date
    last: date | None = None


@dataclass(frozen=True)
class Participant:
    """A person whose calendar must be free.

    ``name`` is used in Danish explanations, e.g. "Lærer Hanne Holm".
    ``working_hours`` overrides the default hours per weekday (0 = Monday): a
    professional's default is ``DEFAULT_WORKING_HOURS``, a ``private`` person's
    ``PRIVATE_DEFAULT_HOURS``; weekdays not mentioned keep the default.
    ``date_overrides`` wins over both for single dates (None = not available that day).
    ``school_hours`` (a child): never planned during them on school days, whatever the
    hours say.
    """

    id: str
    name: str
    busy: Sequence[Busy | AllDay] = ()
    working_hours: Mapping[int, WorkingHours] = field(default_factory=dict)
    date_overrides: Mapping[date, WorkingHours] = field(default_factory=dict)
    private: bool = False
    school_hours: tuple[time, time] | None = None

    def default_hours(self, weekday: int) -> WorkingHours:
        """The hours that apply on ``weekday`` when nothing is set for the person."""
        return (PRIVATE_DEFAULT_HOURS if self.private else DEFAULT_WORKING_HOURS)[weekday]


@dataclass(frozen=True)
class Room:
    """A meeting room that must be free for the whole meeting."""

    id: str
    name: str
    busy: Sequence[Busy | AllDay] = ()


@dataclass(frozen=True)
class Part:
    """A part of the meeting; parts run back to back in the given order.

    ``participant_ids`` None means everybody; otherwise only those people need to be
    free (and within working hours) during this part.
    """

    key: str
    label: str
    duration: timedelta
    participant_ids: frozenset[str] | None = None


@dataclass(frozen=True)
class PlanningRequest:
    """Everything the slot finder needs."""

    participants: Sequence[Participant]
    parts: Sequence[Part]
    window_start: datetime
    window_end: datetime
    now: datetime
    rooms: Sequence[Room] = ()
    min_notice_working_days: int = 2
    step: timedelta = timedelta(minutes=15)
    max_slots: int = 5
    max_slots_per_day: int = 2
    allow_weekends: bool = False
    # A hard earliest start besides the notice (e.g. the day after the formøde), and the
    # Danish reason shown for the times it turns down.
    not_before: datetime | None = None
    not_before_message: str = ""


@dataclass(frozen=True)
class PartWindow:
    """When one part of a suggested slot runs (UTC)."""

    key: str
    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    """A suggested meeting time (UTC) with its parts, room, score and a Danish explanation."""

    start: datetime
    end: datetime
    parts: tuple[PartWindow, ...]
    room_id: str | None
    score: int
    explanation: str


@dataclass(frozen=True)
class Rejection:
    """Why candidate times were turned down, aggregated per reason (and person/day).

    ``count`` is the number of rejected candidate start times (a closed day counts once).
    """

    code: str
    message: str
    subject_id: str | None
    count: int
    first_start: datetime
    last_start: datetime


@dataclass(frozen=True)
class PlanningResult:
    """The ranked slots and the aggregated rejections."""

    slots: tuple[Slot, ...]
    rejections: tuple[Rejection, ...]


# --------------------------------------------------------------------------- calendar


@lru_cache(maxsize=64)
def _official_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("DK", years=year, language="da").items())


def closed_day_reason(day: date) -> str | None:
    """The Danish reason a (week)day is closed for meetings, or None if it is open.

    Public holidays read "Helligdag: Kristi himmelfartsdag"; the extra closed days read
    "Lukkedag: Grundlovsdag". Weekends are not covered here.
    """
    name = _official_holidays(day.year).get(day)
    if name is not None:
        return f"Helligdag: {name}"
    extra = EXTRA_CLOSED_DAYS.get((day.month, day.day))
    if extra is not None:
        return f"Lukkedag: {extra}"
    return None


def is_working_day(day: date) -> bool:
    """Whether offices are open: Monday–Friday and not a holiday or extra closed day."""
    return day.weekday() < 5 and closed_day_reason(day) is None


def earliest_allowed_date(now: datetime, min_notice_working_days: int) -> date:
    """The first local date a meeting may be held on with the given notice (see module doc)."""
    day = now.astimezone(LOCAL_TZ).date()
    counted = 0
    while counted < min_notice_working_days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def busy_span(window_start: datetime, window_end: datetime, now: datetime,
              min_notice_working_days: int, not_before: datetime | None = None
              ) -> tuple[datetime, datetime]:
    """The span [start, end) outside which no busy time can change the result.

    Every candidate, with all its parts and its room, lies inside the search window, and
    one that starts before ``now`` or the notice date is turned down before any calendar
    is looked at: busy times (of people and rooms) that do not overlap this span are
    never consulted, so callers need not read them.
    """
    earliest = now
    if min_notice_working_days > 0:
        notice_day = earliest_allowed_date(now, min_notice_working_days)
        earliest = max(now, datetime.combine(notice_day, time(0), tzinfo=LOCAL_TZ))
    if not_before is not None:
        earliest = max(earliest, not_before)
    return max(window_start, earliest), window_end


def searched_days(window_start: datetime, window_end: datetime) -> tuple[date, date]:
    """The first and last local dates the search visits: the working hours and date
    overrides of these days (and no others) are used."""
    return window_start.astimezone(LOCAL_TZ).date(), window_end.astimezone(LOCAL_TZ).date()


def overlapping(busy: Sequence[Busy | AllDay], start: datetime, end: datetime
                ) -> list[Busy | AllDay]:
    """The busy items that overlap [start, end) (all-day items by their local days)."""
    kept: list[Busy | AllDay] = []
    for item in busy:
        if isinstance(item, Busy):
            if item.start.tzinfo is None or item.end.tzinfo is None:
                kept.append(item)  # left for the validation to report
            elif item.end > start and item.start < end:
                kept.append(item)
        else:
            first = datetime.combine(item.first, time(0), tzinfo=LOCAL_TZ)
            after = datetime.combine((item.last or item.first) + timedelta(days=1), time(0),
                                     tzinfo=LOCAL_TZ)
            if after > start and first < end:
                kept.append(item)
    return kept


def _resolve_local(naive: datetime) -> int | None:
    """UTC epoch seconds of a local wall time, or None if it is skipped or repeated."""
    first = naive.replace(tzinfo=LOCAL_TZ, fold=0)
    second = naive.replace(tzinfo=LOCAL_TZ, fold=1)
    if first.utcoffset() != second.utcoffset():
        return None
    return int(first.timestamp())


def _epoch_is_clear_local(epoch: int) -> bool:
    local = datetime.fromtimestamp(epoch, LOCAL_TZ).replace(tzinfo=None)
    return _resolve_local(local) == epoch


def _local_midnight(day: date) -> int:
    return int(datetime.combine(day, time(0), tzinfo=LOCAL_TZ).timestamp())


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --------------------------------------------------------------------------- validation


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PlanningError(f"{what} mangler tidszone.")


def _validate_hours(hours: WorkingHours, owner: str) -> None:
    if hours is not None and hours[1] <= hours[0]:
        raise PlanningError(f"Arbejdstiden for {owner} slutter før den starter.")


def _validate(request: PlanningRequest) -> None:
    _aware(request.window_start, "Søgevinduets start")
    _aware(request.window_end, "Søgevinduets slutning")
    _aware(request.now, "Det aktuelle tidspunkt")
    if request.not_before is not None:
        _aware(request.not_before, "Det tidligste tidspunkt")
    if request.window_end <= request.window_start:
        raise PlanningError("Søgevinduets slutning skal ligge efter dets start.")
    if request.window_end <= request.now:
        raise PlanningError("Søgevinduet ligger i fortiden.")
    if request.window_end - request.window_start > MAX_WINDOW:
        raise PlanningError("Søgevinduet må højst være et år.")
    if request.step <= timedelta(0):
        raise PlanningError("Trinlængden skal være større end nul.")
    if request.min_notice_working_days < 0:
        raise PlanningError("Varslet kan ikke være negativt.")
    if request.max_slots < 1 or request.max_slots_per_day < 1:
        raise PlanningError("Der skal mindst foreslås ét tidspunkt.")
    if not request.participants:
        raise PlanningError("Mødet skal have mindst én deltager.")
    if not request.parts:
        raise PlanningError("Mødet skal have mindst én del.")
    ids = [p.id for p in request.participants]
    if len(set(ids)) != len(ids):
        raise PlanningError("En deltager står på listen mere end én gang.")
    known = set(ids)
    for part in request.parts:
        if part.duration <= timedelta(0):
            raise PlanningError(f"Varigheden af »{part.label}« skal være større end nul.")
        if part.participant_ids is not None and not part.participant_ids <= known:
            raise PlanningError(f"»{part.label}« nævner en deltager, som ikke er med på mødet.")
    if all(part.participant_ids is not None and not part.participant_ids for part in request.parts):
        raise PlanningError("Ingen af deltagerne deltager i nogen del af mødet.")
    for person in request.participants:
        for hours in (*person.working_hours.values(), *person.date_overrides.values()):
            _validate_hours(hours, person.name)
        if any(k not in range(7) for k in person.working_hours):
            raise PlanningError(f"Arbejdstiden for {person.name} har en ukendt ugedag.")
        if person.school_hours is not None and person.school_hours[1] <= person.school_hours[0]:
            raise PlanningError(f"Skoletiden for {person.name} slutter før den starter.")
    for owner, busy in [(p.name, p.busy) for p in request.participants] + [
        (r.name, r.busy) for r in request.rooms
    ]:
        for item in busy:
            if isinstance(item, Busy):
                _aware(item.start, f"En optaget periode for {owner}")
                _aware(item.end, f"En optaget periode for {owner}")
                if item.end < item.start:
                    raise PlanningError(f"En optaget periode for {owner} slutter før den starter.")
            elif item.last is not None and item.last < item.first:
                raise PlanningError(f"En heldagsbegivenhed for {owner} slutter før den starter.")


# --------------------------------------------------------------------------- intervals


@dataclass
class _Calendar:
    """Merged, sorted busy intervals in epoch seconds, probed with bisect."""

    starts: list[int]
    ends: list[int]

    @classmethod
    def build(cls, busy: Sequence[Busy | AllDay]) -> _Calendar:
        raw: list[tuple[int, int]] = []
        for item in busy:
            if isinstance(item, Busy):
                start, end = int(item.start.timestamp()), int(item.end.timestamp())
            else:
                last = item.last or item.first
                start, end = _local_midnight(item.first), _local_midnight(last + timedelta(days=1))
            if end > start:
                raw.append((start, end))
        raw.sort()
        starts: list[int] = []
        ends: list[int] = []
        for start, end in raw:
            if ends and start <= ends[-1]:
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        return cls(starts, ends)

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


# --------------------------------------------------------------------------- the search


@dataclass
class _Candidate:
    start: int
    end: int
    part_bounds: list[tuple[int, int]]
    score: int
    day: date
    room_index: int | None = None


class _Rejections:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str | None, str], list[int]] = {}

    def add(self, code: str, message: str, subject: str | None, start: int) -> None:
        entry = self._by_key.get((code, subject, message))
        if entry is None:
            self._by_key[(code, subject, message)] = [1, start, start]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], start)
            entry[2] = max(entry[2], start)

    def add_many(self, code: str, message: str, subject: str | None, count: int, first: int, last: int) -> None:
        entry = self._by_key.get((code, subject, message))
        if entry is None:
            self._by_key[(code, subject, message)] = [count, first, last]
        else:
            entry[0] += count
            entry[1] = min(entry[1], first)
            entry[2] = max(entry[2], last)

    def result(self) -> tuple[Rejection, ...]:
        items = [
            Rejection(code, message, subject, count, _utc(first), _utc(last))
            for (code, subject, message), (count, first, last) in self._by_key.items()
        ]
        items.sort(key=lambda r: (r.first_start, -r.count, r.code, r.subject_id or "", r.message))
        return tuple(items)


def _score(open_day_index: int, weekday: int, start_secs: int, end_secs: int) -> int:
    score = 1000 - 10 * open_day_index
    if start_secs < 9 * 3600:
        score -= 5
    elif start_secs >= 12 * 3600:
        score -= 10
    if end_secs > 15 * 3600:
        score -= 15
    if weekday == 4 and end_secs > 14 * 3600:
        score -= 40
    return score


def _hours_for(person: Participant, day: date) -> WorkingHours:
    if day in person.date_overrides:
        return person.date_overrides[day]
    weekday = day.weekday()
    if weekday in person.working_hours:
        return person.working_hours[weekday]
    return person.default_hours(weekday)


def _hours_epoch(day: date, hours: WorkingHours, midnight: int, regular: bool) -> tuple[int, int] | None:
    if hours is None:
        return None
    if regular:
        return (
            midnight + hours[0].hour * 3600 + hours[0].minute * 60,
            midnight + hours[1].hour * 3600 + hours[1].minute * 60,
        )
    start = int(datetime.combine(day, hours[0], tzinfo=LOCAL_TZ).timestamp())
    end = int(datetime.combine(day, hours[1], tzinfo=LOCAL_TZ).timestamp())
    return start, end


class _Search:
    def __init__(self, request: PlanningRequest) -> None:
        self.request = request
        self.people = list(request.participants)
        self.calendars = [_Calendar.build(p.busy) for p in self.people]
        self.rooms = list(request.rooms)
        self.room_calendars = [_Calendar.build(r.busy) for r in self.rooms]
        index_of = {p.id: i for i, p in enumerate(self.people)}
        self.part_members: list[list[int]] = [
            list(range(len(self.people)))
            if part.participant_ids is None
            else sorted(index_of[pid] for pid in part.participant_ids)
            for part in request.parts
        ]
        attending = sorted({i for members in self.part_members for i in members})
        self.attending = attending
        self.durations = [int(part.duration.total_seconds()) for part in request.parts]
        self.total = sum(self.durations)
        # A person who only attends later parts may have the meeting start before their
        # working day: lead = time from meeting start to their first part, tail = time
        # from the end of their last part to the meeting end.
        offsets = [sum(self.durations[:n]) for n in range(len(self.durations) + 1)]
        self.lead = {i: min(offsets[n] for n, m in enumerate(self.part_members) if i in m) for i in attending}
        self.tail = {i: self.total - max(offsets[n + 1] for n, m in enumerate(self.part_members) if i in m)
                     for i in attending}
        # Per attendee: the offsets (from meeting start) of the contiguous stretches they attend.
        self.spans: list[tuple[int, list[tuple[int, int]]]] = []
        for i in attending:
            stretches: list[tuple[int, int]] = []
            for n, members in enumerate(self.part_members):
                if i not in members:
                    continue
                if stretches and stretches[-1][1] == offsets[n]:
                    stretches[-1] = (stretches[-1][0], offsets[n + 1])
                else:
                    stretches.append((offsets[n], offsets[n + 1]))
            self.spans.append((i, stretches))
        # Everything the per-candidate check needs, flattened for speed.
        self.probes = [
            (i, st[0][0], st[-1][1], st, self.calendars[i].starts, self.calendars[i].ends) for i, st in self.spans
        ]
        self.step = int(request.step.total_seconds())
        self.window_start = int(request.window_start.timestamp())
        self.window_end = int(request.window_end.timestamp())
        self.now = int(request.now.timestamp())
        notice_day = earliest_allowed_date(request.now, request.min_notice_working_days)
        self.earliest = self.now if request.min_notice_working_days == 0 else max(
            self.now, _local_midnight(notice_day)
        )
        self.not_before = (int(request.not_before.timestamp())
                           if request.not_before is not None else None)
        self.school = [self._school_calendar(p) for p in self.people]
        self.children = any(self.people[i].school_hours is not None for i in attending)
        self.notice_message = (
            f"For kort varsel (mindst {request.min_notice_working_days} arbejdsdage)"
            if request.min_notice_working_days != 1
            else "For kort varsel (mindst 1 arbejdsdag)"
        )
        self.feasible: list[_Candidate] = []
        self.rejected: list[tuple[_Candidate, list[tuple[str, int | None]] | None]] = []
        self.closed_days: list[tuple[int, str, str]] = []  # (midnight, code, message)
        self.hours_today: list[tuple[int, int] | None] = []

    def _school_calendar(self, person: Participant) -> _Calendar:
        """A child's school hours on the school days (working days) of the window."""
        if person.school_hours is None:
            return _Calendar([], [])
        hours = person.school_hours
        day = self.request.window_start.astimezone(LOCAL_TZ).date()
        last = self.request.window_end.astimezone(LOCAL_TZ).date()
        spans: list[Busy | AllDay] = []
        while day <= last:
            if is_working_day(day):
                spans.append(Busy(datetime.combine(day, hours[0], tzinfo=LOCAL_TZ),
                                  datetime.combine(day, hours[1], tzinfo=LOCAL_TZ)))
            day += timedelta(days=1)
        return _Calendar.build(spans)

    # -- per candidate ------------------------------------------------------

    def _blockers(self, candidate: _Candidate, stop_at_first: bool) -> list[tuple[str, int | None]]:
        """Reasons a candidate fails: ("hours"|"busy"|"past"|"notice"|"room", person index)."""
        start = candidate.start
        if start < self.now:
            return [("past", None)]
        if start < self.earliest:
            return [("notice", None)]  # too early anyway: other reasons would be noise
        if self.not_before is not None and start < self.not_before:
            return [("not_before", None)]
        reasons: list[tuple[str, int | None]] = []
        hours = self.hours_today
        for i, first, last, stretches, starts, ends in self.probes:
            window = hours[i]
            if window is None or start + first < window[0] or start + last > window[1]:
                reasons.append(("hours", i))
                if stop_at_first:
                    return reasons
            school = self.school[i]
            if school.starts and any(school.overlaps(start + a, start + b) for a, b in stretches):
                reasons.append(("school", i))
                if stop_at_first:
                    return reasons
            if starts:
                count = len(starts)
                for a, b in stretches:
                    k = bisect_right(ends, start + a)  # first busy interval ending after a
                    if k < count and starts[k] < start + b:
                        reasons.append(("busy", i))
                        if stop_at_first:
                            return reasons
                        break
        if self.rooms:
            candidate.room_index = next(
                (r for r, cal in enumerate(self.room_calendars) if not cal.overlaps(start, candidate.end)),
                None,
            )
            if candidate.room_index is None:
                reasons.append(("room", None))
        return reasons

    # -- per day -------------------------------------------------------------

    def _scan_day(self, day: date, open_day_index: int) -> None:
        midnight = _local_midnight(day)
        next_midnight = _local_midnight(day + timedelta(days=1))
        regular = next_midnight - midnight == 86400
        self.hours_today = [
            _hours_epoch(day, _hours_for(p, day), midnight, regular) for p in self.people
        ]
        windows = [
            (hours[0] - self.lead[i], hours[1] + self.tail[i])
            for i in self.attending
            if (hours := self.hours_today[i]) is not None
        ]
        if not windows:
            for i in self.attending:
                self.rejected.append(
                    (_Candidate(midnight, midnight, [], 0, day), [("hours", i)])
                )
            return
        first_open = min(w[0] for w in windows)
        # A meeting stays within its day: parts nobody works in may run on to midnight.
        last_close = min(max(w[1] for w in windows), next_midnight)
        weekday = day.weekday()
        # Local wall-clock grid from midnight: k * step seconds after 00:00 local.
        if first_open <= midnight:
            first_secs = 0
        else:
            first_secs = first_open - midnight if regular else _local_seconds(first_open)
        k = -(-first_secs // self.step)
        secs = k * self.step
        while secs < 86400:
            if regular:
                start = midnight + secs
            else:
                resolved = _resolve_local(datetime.combine(day, time(0)) + timedelta(seconds=secs))
                if resolved is None:
                    if first_open <= midnight + secs <= last_close:
                        self.rejected.append(
                            (_Candidate(midnight + secs, midnight + secs, [], 0, day), [("dst", None)]))
                    secs += self.step
                    continue
                start = resolved
            end = start + self.total
            if end > last_close:
                break
            secs += self.step
            if start < self.window_start or end > self.window_end:
                continue
            bounds: list[tuple[int, int]] = []
            cursor = start
            for duration in self.durations:
                bounds.append((cursor, cursor + duration))
                cursor += duration
            if not regular and not all(_epoch_is_clear_local(b) for b in (start, *(e for _, e in bounds))):
                self.rejected.append((_Candidate(start, end, bounds, 0, day), [("dst", None)]))
                continue
            end_secs = secs - self.step + self.total if regular else _local_seconds(end)
            start_secs = secs - self.step if regular else _local_seconds(start)
            score = _score(open_day_index, weekday, start_secs, end_secs)
            if self.children and end_secs > LATE_FOR_CHILDREN:
                score -= 20
            candidate = _Candidate(start, end, bounds, score, day)
            if self._blockers(candidate, stop_at_first=True):
                self.rejected.append((candidate, None))  # reasons computed later if reported
            else:
                self.feasible.append(candidate)
        self._day_hours[day] = self.hours_today

    def run(self) -> PlanningResult:
        request = self.request
        self._day_hours: dict[date, list[tuple[int, int] | None]] = {}
        day = request.window_start.astimezone(LOCAL_TZ).date()
        last_day = request.window_end.astimezone(LOCAL_TZ).date()
        open_day_index = 0
        while day <= last_day:
            midnight = _local_midnight(day)
            reason = closed_day_reason(day)
            if reason is not None:
                self.closed_days.append((max(midnight, self.window_start), "closed_day", reason))
            elif day.weekday() >= 5 and not request.allow_weekends:
                self.closed_days.append((max(midnight, self.window_start), "weekend", "Weekend"))
            else:
                self._scan_day(day, open_day_index)
                open_day_index += 1
            day += timedelta(days=1)
        slots = self._select()
        return PlanningResult(tuple(self._to_slot(c) for c in slots), self._explain(slots))

    # -- results -------------------------------------------------------------

    def _select(self) -> list[_Candidate]:
        ranked = sorted(self.feasible, key=lambda c: (-c.score, c.start))
        chosen: list[_Candidate] = []
        per_day: dict[date, int] = {}
        for candidate in ranked:
            if per_day.get(candidate.day, 0) >= self.request.max_slots_per_day:
                continue
            if any(candidate.start < other.end and other.start < candidate.end for other in chosen):
                continue
            chosen.append(candidate)
            per_day[candidate.day] = per_day.get(candidate.day, 0) + 1
            if len(chosen) == self.request.max_slots:
                break
        return chosen

    def _explain(self, chosen: list[_Candidate]) -> tuple[Rejection, ...]:
        best = chosen[0] if chosen else None
        horizon = max((c.start for c in chosen), default=None)
        out = _Rejections()
        raw: dict[tuple[str, int | None], list[int]] = {}
        for start, code, message in self.closed_days:
            if horizon is None or start < horizon:
                out.add(code, message, None, start)
        for candidate, reasons in self.rejected:
            # horizon is None only when nothing was chosen, i.e. when best is None too.
            if (best is not None and horizon is not None
                    and not (candidate.start < horizon or candidate.score > best.score)):
                continue
            if reasons is None:
                self.hours_today = self._day_hours[candidate.day]
                reasons = self._blockers(candidate, stop_at_first=False)
            for reason in reasons:
                entry = raw.get(reason)
                if entry is None:
                    raw[reason] = [1, candidate.start, candidate.start]
                else:
                    entry[0] += 1
                    if candidate.start < entry[1]:
                        entry[1] = candidate.start
                    if candidate.start > entry[2]:
                        entry[2] = candidate.start
        for (code, index), (count, first, last) in raw.items():
            out.add_many(*self._reason_text(code, index), count, first, last)
        return out.result()

    def _reason_text(self, code: str, index: int | None) -> tuple[str, str, str | None]:
        if code == "past":
            return "past", "Tidspunktet er passeret", None
        if code == "notice":
            return "notice", self.notice_message, None
        if code == "room":
            return "no_room", "Intet ledigt lokale", None
        if code == "not_before":
            return "not_before", self.request.not_before_message or "Før det tidligste tidspunkt", None
        if code == "dst":
            return "local_time", "Tidspunktet findes ikke eller er tvetydigt ved skift af sommertid", None
        person = self.people[index]  # type: ignore[index]
        if code == "hours":
            if person.private:
                return "outside_hours", f"Uden for de tider, {person.name} kan", person.id
            return "outside_hours", f"Uden for arbejdstid for {person.name}", person.id
        if code == "school":
            return "school", f"{person.name} er i skole", person.id
        return "busy", f"Optaget: {person.name}", person.id

    def _to_slot(self, candidate: _Candidate) -> Slot:
        parts = tuple(
            PartWindow(part.key, part.label, _utc(start), _utc(end))
            for part, (start, end) in zip(self.request.parts, candidate.part_bounds, strict=False)
        )
        room = self.rooms[candidate.room_index] if candidate.room_index is not None else None
        return Slot(
            start=_utc(candidate.start),
            end=_utc(candidate.end),
            parts=parts,
            room_id=room.id if room else None,
            score=candidate.score,
            explanation=_explanation(candidate, parts, room, self._who_can(candidate.day),
                                     self.children),
        )

    def _who_can(self, day: date) -> str:
        """Everybody can, and whose own hours shaped the day (e.g. mormor only after 16)."""
        notes = []
        for i in self.attending:
            person = self.people[i]
            note = limit_note(person.name, _hours_for(person, day),
                              person.default_hours(day.weekday()))
            if note:
                notes.append(note)
            elif person.school_hours is not None and is_working_day(day):
                notes.append(f"{person.name} efter skoletid")
        return "Alle kan" + (" – " + ", ".join(notes) if notes else "") + "."


def _local_seconds(epoch: int) -> int:
    local = datetime.fromtimestamp(epoch, LOCAL_TZ)
    return local.hour * 3600 + local.minute * 60 + local.second


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H.%M")


def format_local_date(day: date) -> str:
    """A date in Danish, e.g. "torsdag den 6. maj 2027", for explanations and invites."""
    return f"{WEEKDAYS_DA[day.weekday()]} den {day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


def _clock(value: time) -> str:
    """A local time as Danes say it: "16", "16.30"."""
    return f"{value.hour}" if value.minute == 0 else f"{value.hour}.{value.minute:02d}"


def limit_note(name: str, own: WorkingHours, default: WorkingHours) -> str:
    """How a person's own hours narrow their default, in plain Danish ("Inger kun efter
    16", "Ole kun før 17", "Eva kun 10–12"), or "" when they do not."""
    if own is None or default is None or own == default:
        return ""
    later, earlier = own[0] > default[0], own[1] < default[1]
    if later and earlier:
        return f"{name} kun {_clock(own[0])}–{_clock(own[1])}"
    if later:
        return f"{name} kun efter {_clock(own[0])}"
    if earlier:
        return f"{name} kun før {_clock(own[1])}"
    return ""


# A meeting a child attends should be over by then (local seconds after midnight).
LATE_FOR_CHILDREN = 19 * 3600


def _explanation(candidate: _Candidate, parts: tuple[PartWindow, ...], room: Room | None,
                 who_can: str = "", children: bool = False) -> str:
    start = _utc(candidate.start)
    end = _utc(candidate.end)
    text = f"{format_local_date(candidate.day).capitalize()} kl. {_hhmm(start)}–{_hhmm(end)}"
    if room is not None:
        text += f", {room.name}"
    text += "."
    if who_can:
        text += f" {who_can}"
    if len(parts) > 1:
        text += " " + "; ".join(f"{p.label} {_hhmm(p.start)}–{_hhmm(p.end)}" for p in parts) + "."
    start_secs = _local_seconds(candidate.start)
    end_secs = _local_seconds(candidate.end)
    if children and end_secs > LATE_FOR_CHILDREN:
        text += " Slutter efter kl. 19 – sent for børnene."
    elif candidate.day.weekday() == 4 and end_secs > 14 * 3600:
        text += " Fredag eftermiddag – helst undgås."
    elif end_secs > 15 * 3600:
        text += " Slutter sent på eftermiddagen."
    elif start_secs >= 12 * 3600:
        text += " Eftermiddag."
    elif start_secs >= 9 * 3600:
        text += " Formiddag – foretrukket tidspunkt."
    else:
        text += " Tidlig morgen."
    return text


def formoede_limit(kind_key: str, formoede_on: date | None) -> tuple[datetime | None, str]:
    """The hard earliest start a familierådslagning has: the day after its formøde.

    Returns (the earliest start, the Danish reason for the times before it). For a
    familierådslagning without a dated formøde the earliest start is None and the reason
    says nothing can be proposed yet; other kinds have no limit: (None, "").
    """
    if kind_key != "familieraadslagning":
        return None, ""
    if formoede_on is None:
        return None, ("Formødet er ikke holdt eller planlagt endnu. Ved formødet vælger barnet "
                      "og familien, hvem der skal inviteres – registrér formødets dato, før "
                      "der søges tidspunkter.")
    start = datetime.combine(formoede_on + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return start, f"Før formødet {format_local_date(formoede_on)} er holdt"


def find_slots(request: PlanningRequest) -> PlanningResult:
    """Find and rank meeting times where every attendee (and a room) is free.

    Returns up to ``max_slots`` non-overlapping ``Slot``s, best first, and aggregated
    ``Rejection``s explaining why earlier or better times were not possible, so the
    worker can see e.g. that Kristi himmelfartsdag or one busy teacher is the obstacle.
    Raises ``PlanningError`` (Danish message) for invalid input.
    """
    _validate(request)
    return _Search(request).run()
