"""The team meeting every 14 days and the annual cooperation meeting, as pure rules.

The team meeting's rhythm: every other Tuesday at 09.00 Copenhagen time, counted from the
anchor Tuesday 6 January 2026 (``TEAM_ANCHOR``). When the Tuesday is a closed day (a public
holiday, or a day municipal offices close, per ``meetings.planner.is_working_day``), the
meeting moves to the next working day; the fortnightly count itself never shifts.

The agenda lists, for each current family, the state of its familierådslagning and its
father (BIC) assessment, the meetings in the 14 days from the agenda's date, and overdue
follow-ups. Everything is built from plain facts here; ``service`` reads them from the
database. Pure: no database, no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from coordinator.meetings import kinds
from coordinator.meetings.planner import is_working_day

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
TEAM_SERIES_KEY = "teammoede"
COOPERATION_SERIES_KEY = "samarbejdsmoede"
TEAM_ANCHOR = date(2026, 1, 6)  # a Tuesday; the first team meeting of the rhythm
TEAM_EVERY_DAYS = 14
TEAM_STARTS_AT = time(9, 0)
LOOKAHEAD_DAYS = 14
CLOSED_STATUSES = kinds.CLOSED_STATUSES
FGC_KIND = "familieraadslagning"

# The annual cooperation meeting the crisis centre calls (external contacts, no accounts).
COOPERATION_PARTICIPANTS: tuple[str, ...] = (
    "Ydelseskontoret",
    "Jobcenter og Integration",
    "Familieafdelingen",
    "Ungdommens Uddannelsesvejledning (UU)",
    "Myndighed",
    "Jurist",
)
COOPERATION_EVERY_MONTHS = 12

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
          "september", "oktober", "november", "december"]


def da_date(day: date) -> str:
    """'3. marts 2026'."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def _next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def team_meeting_on(nominal: date) -> date:
    """The day a fortnightly meeting nominally on ``nominal`` is held (closed days move on)."""
    return _next_working_day(nominal)


def next_team_meeting(on: date) -> date:
    """The first team-meeting day on or after ``on`` in the fortnightly rhythm."""
    cycles = (on - TEAM_ANCHOR).days // TEAM_EVERY_DAYS
    # Start one cycle back: last cycle's Tuesday may have moved onto or past ``on``.
    for k in range(cycles - 1, cycles + 3):
        held_on = team_meeting_on(TEAM_ANCHOR + timedelta(days=TEAM_EVERY_DAYS * k))
        if held_on >= on:
            return held_on
    raise AssertionError("unreachable: a working day falls within two cycles")


def next_series_occurrence(rrule: str, dtstart: datetime, exdates: str, on: date) -> datetime | None:
    """The first occurrence on or after ``on`` of a stored series (invites' MeetingSeries).

    ``rrule`` is the RRULE value (e.g. ``FREQ=WEEKLY;INTERVAL=2``), ``dtstart`` aware,
    ``exdates`` comma-separated ISO moments of cancelled occurrences. None when the rule
    cannot be read or has no occurrence left.
    """
    local_start = dtstart.astimezone(COPENHAGEN)
    try:
        rule = rrulestr(rrule, dtstart=local_start.replace(tzinfo=None))
    except (ValueError, TypeError):
        return None
    cancelled = set()
    for raw in (part.strip() for part in exdates.split(",") if part.strip()):
        try:
            cancelled.add(datetime.fromisoformat(raw).astimezone(COPENHAGEN).replace(tzinfo=None))
        except ValueError:
            continue
    moment = datetime.combine(on, time())
    for _ in range(1000):
        moment = rule.after(moment, inc=True)
        if moment is None:
            return None
        if moment not in cancelled:
            return moment.replace(tzinfo=COPENHAGEN)
        moment += timedelta(seconds=1)
    return None


def team_meeting_start(day: date) -> datetime:
    """The meeting's start as an aware Copenhagen time."""
    return datetime.combine(day, TEAM_STARTS_AT, COPENHAGEN)


def next_yearly(after: date) -> date:
    """The next occurrence of a yearly meeting: a year later, moved to a working day."""
    return _next_working_day(kinds.add_months(after, COOPERATION_EVERY_MONTHS))


# --- facts in -------------------------------------------------------------------------------

@dataclass(frozen=True)
class MeetingFacts:
    """One meeting of a family: kind, status, the first start and last end (aware)."""

    id: int
    kind: str
    title: str
    status: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    parent_id: int | None = None


@dataclass(frozen=True)
class FgcFacts:
    """The family's latest familierådslagning case."""

    possible: bool | None
    assessed_on: date | None = None
    referred_on: date | None = None
    samordner: str = ""
    next_task: tuple[str, date | None] | None = None  # the first open preparation task


@dataclass(frozen=True)
class FatherFacts:
    """The family's latest father (BIC) assessment."""

    involve: bool | None
    assessed_on: date | None = None
    mother_agreed_on: date | None = None
    contact_person: str = ""
    referred_on: date | None = None
    sessions_held: int = 0
    sessions_planned: int = 0


@dataclass(frozen=True)
class FamilyAgendaFacts:
    """Everything the agenda needs about one family."""

    family_id: int
    name: str
    reference: str
    at_crisis_centre: bool
    fgc: FgcFacts | None = None
    father: FatherFacts | None = None
    meetings: tuple[MeetingFacts, ...] = ()
    after_care_until: date | None = None  # the last day of § 109 stk. 7 after-care


# --- rows out -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Upcoming:
    """A meeting in the agenda's look-ahead window."""

    meeting_id: int
    starts_at: datetime
    label: str
    status_label: str


@dataclass(frozen=True)
class AgendaRow:
    """One family's line on the team-meeting agenda."""

    family_id: int
    name: str
    reference: str
    fgc_assessed: bool
    fgc_status: str
    fgc_next: str
    father_assessed: bool
    bic_status: str
    upcoming: tuple[Upcoming, ...] = ()
    overdue: tuple[str, ...] = field(default_factory=tuple)
    after_care: str = ""  # due-listed when after-care ends within the look-ahead


def local_day(moment: datetime) -> date:
    """The Copenhagen day of an aware moment."""
    return moment.astimezone(COPENHAGEN).date()


def _kind_label(kind_key: str) -> str:
    return kinds.KINDS[kind_key].label if kind_key in kinds.KINDS else kind_key


def _status_label(status: str) -> str:
    try:
        return kinds.STATUS_LABELS[kinds.MeetingStatus(status)]
    except ValueError:
        return status


def _fgc_meetings(meetings: tuple[MeetingFacts, ...]) -> tuple[MeetingFacts | None, MeetingFacts | None]:
    """The latest non-cancelled familierådslagning and its latest non-cancelled follow-up."""
    main = [m for m in meetings if m.kind == FGC_KIND and m.status != "cancelled"]
    latest = max(main, key=lambda m: m.id, default=None)
    if latest is None:
        return None, None
    follow = [m for m in meetings if m.parent_id == latest.id and m.status != "cancelled"]
    return latest, max(follow, key=lambda m: m.id, default=None)


def _when(meeting: MeetingFacts) -> str:
    return da_date(local_day(meeting.starts_at)) if meeting.starts_at else "uden tidspunkt"


def fgc_summary(facts: FgcFacts | None, meetings: tuple[MeetingFacts, ...]) -> tuple[bool, str, str]:
    """(assessed?, status, next step) for the familierådslagning, in the team's words."""
    if facts is None or facts.possible is None:
        return False, "Ikke vurderet", "Vurdér sammen med familien, om en familierådslagning er mulig"
    assessed = f" ({da_date(facts.assessed_on)})" if facts.assessed_on else ""
    if facts.possible is False:
        return True, f"Vurderet: ikke mulig nu{assessed}", "Ingen – genvurdér ved ændringer"
    meeting, follow = _fgc_meetings(meetings)
    if follow is not None:
        if follow.status in kinds.HELD_STATUSES:
            return True, f"Opfølgningsmøde afholdt {_when(follow)}", "Ingen – forløbet er fulgt op"
        return True, f"Opfølgningsmøde {_status_label(follow.status).lower()}, {_when(follow)}", \
            "Hold opfølgningsmødet"
    if meeting is not None:
        if meeting.status in kinds.HELD_STATUSES:
            return (True, f"Familierådslagning afholdt {_when(meeting)}",
                    "Planlæg opfølgningsmødet (ca. 3 måneder efter)")
        return True, f"Familierådslagning {_status_label(meeting.status).lower()}, {_when(meeting)}", \
            _task_or(facts, "Hold familierådslagningen")
    if facts.samordner:
        return True, f"Under forberedelse hos samordner {facts.samordner}", \
            _task_or(facts, "Planlæg familierådslagningen med samordneren")
    if facts.referred_on:
        return True, f"Henvist {da_date(facts.referred_on)}", "Find en samordner"
    return True, f"Vurderet: mulig{assessed}", "Skriv henvisningen (bekymring og spørgsmål)"


def _task_or(facts: FgcFacts, fallback: str) -> str:
    if facts.next_task is None:
        return fallback
    title, deadline = facts.next_task
    return f"{title} (frist {da_date(deadline)})" if deadline else title


def bic_summary(facts: FatherFacts | None, at_crisis_centre: bool) -> tuple[bool, str]:
    """(assessed?, status) for the father's involvement (Barnet i Centrum)."""
    if facts is None or facts.involve is None:
        if not at_crisis_centre:
            return False, "Ikke vurderet (familien er ikke på krisecentret)"
        return False, "Ikke vurderet – vurdér, om far skal inddrages"
    if facts.involve is False:
        return True, "Vurderet: far inddrages ikke"
    if facts.mother_agreed_on is None:
        return True, "Far inddrages – afventer aftale med mor"
    if not facts.contact_person:
        return True, "Far inddrages – ikke henvist til kontaktperson"
    referred = f" {da_date(facts.referred_on)}" if facts.referred_on else ""
    return True, (f"Henvist til {facts.contact_person}{referred}: "
                  f"{facts.sessions_held} samtale(r) holdt, {facts.sessions_planned} planlagt")


def meeting_label(kind_key: str, title: str) -> str:
    """'Kind: title', or the title alone when it already says what kind of meeting it is."""
    label = _kind_label(kind_key)
    if not title or title.casefold() in label.casefold() or label.casefold() in title.casefold():
        return title or label
    return f"{label}: {title}"


def upcoming_meetings(meetings: tuple[MeetingFacts, ...], on: date,
                      days: int = LOOKAHEAD_DAYS) -> tuple[Upcoming, ...]:
    """Meetings starting from ``on`` (00.00) until ``days`` later, not cancelled or held."""
    start = datetime.combine(on, time(), COPENHAGEN)
    end = start + timedelta(days=days)
    rows = [Upcoming(m.id, m.starts_at, meeting_label(m.kind, m.title), _status_label(m.status))
            for m in meetings
            if m.starts_at is not None and start <= m.starts_at < end
            and m.status not in CLOSED_STATUSES]
    return tuple(sorted(rows, key=lambda u: (u.starts_at, u.meeting_id)))


def followup_due(meeting: MeetingFacts) -> date | None:
    """When a held meeting's follow-up should be held (kinds' rule), else None."""
    if meeting.status not in kinds.HELD_STATUSES:
        return None
    held = meeting.ends_at or meeting.starts_at
    if held is None:
        return None
    return followup_due_on(meeting.kind, held)


def followup_due_on(kind_key: str, held_at: datetime) -> date | None:
    """When the follow-up of a meeting of this kind held at ``held_at`` (its last part's
    end) should be held: the kinds' rule on the Copenhagen day; None for kinds without one."""
    return _due_after_day(kind_key, local_day(held_at))


@lru_cache(maxsize=4096)
def _due_after_day(kind_key: str, held_on: date) -> date | None:
    # Remembered: the success criteria ask for thousands of meetings held on a few hundred days.
    return kinds.proposed_followup_date(kind_key, held_on)


def earliest_held_for(kind_key: str, due_on: date) -> datetime:
    """The first moment a meeting of this kind can be held for its follow-up to fall due on
    ``due_on`` or later (Copenhagen midnight of the first such day).

    The rule only moves forward with the day held (``add_months`` clamps 29–31 August alike
    to 30 November), so a follow-up falls due in ``start``–``end`` exactly when the meeting
    was held from ``earliest_held_for(kind, start)`` until before
    ``earliest_held_for(kind, end + 1 day)``: the database then finds those meetings by one
    indexed moment instead of applying the rule to every meeting. A day no meeting can fall
    due on (31 December, three months after a 30-day September) leaves an empty range.
    """
    def due_from(day: date) -> bool:
        proposed = kinds.proposed_followup_date(kind_key, day)
        if proposed is None:  # callers pass only kinds with a follow-up rule
            raise ValueError(f"Meeting kind {kind_key!r} has no follow-up")
        return proposed >= due_on

    # A follow-up never falls before its meeting: ``due_on`` itself qualifies. Step back
    # in doubling strides to a day that does not, then halve the gap.
    latest_no, earliest_yes, stride = due_on, due_on, 1
    while True:
        latest_no = due_on - timedelta(days=stride)
        if not due_from(latest_no):
            break
        earliest_yes, stride = latest_no, stride * 2
    while (earliest_yes - latest_no).days > 1:
        middle = latest_no + timedelta(days=(earliest_yes - latest_no).days // 2)
        if due_from(middle):
            earliest_yes = middle
        else:
            latest_no = middle
    return datetime.combine(earliest_yes, time(), COPENHAGEN)


def overdue_followups(meetings: tuple[MeetingFacts, ...], on: date) -> tuple[str, ...]:
    """Follow-ups that should have been held before ``on`` and were not.

    A held familierådslagning with no follow-up meeting whose due date (about 3 months
    later) has passed; a follow-up meeting whose time has passed without being marked
    held; a follow-up without a time whose due date has passed.
    """
    by_id = {m.id: m for m in meetings}
    start = datetime.combine(on, time(), COPENHAGEN)
    lines: list[tuple[date, str]] = []
    for meeting in meetings:
        due = followup_due(meeting)
        children = [m for m in meetings if m.parent_id == meeting.id and m.status != "cancelled"]
        if due is not None and due < on and not children:
            lines.append((due, f"{_kind_label(meeting.kind)} {_when(meeting)}: opfølgningsmødet "
                               f"skulle være holdt ca. {da_date(due)} og er ikke planlagt"))
        if meeting.parent_id is None or meeting.status in CLOSED_STATUSES:
            continue
        parent = by_id.get(meeting.parent_id)
        if meeting.starts_at is not None and meeting.starts_at < start:
            lines.append((local_day(meeting.starts_at),
                          f"{_kind_label(meeting.kind)} {_when(meeting)} er ikke registreret "
                          f"som afholdt"))
        elif meeting.starts_at is None and parent is not None:
            parent_due = followup_due(parent)
            if parent_due is not None and parent_due < on:
                lines.append((parent_due, f"{_kind_label(meeting.kind)} har intet tidspunkt; "
                                          f"skulle være holdt ca. {da_date(parent_due)}"))
    return tuple(text for _, text in sorted(lines))


def after_care_due(until: date | None, on: date) -> str:
    """The after-care line (§ 109 stk. 7) when it ends within the look-ahead: the team
    decides whether the case closes or support goes on. Empty otherwise."""
    if until is None or not on <= until <= on + timedelta(days=LOOKAHEAD_DAYS):
        return ""
    days = (until - on).days
    when = "i dag" if days == 0 else ("i morgen" if days == 1 else f"om {days} dage")
    return (f"Efterværnet slutter {da_date(until)} ({when}): afslut sagen, "
            "eller aftal den videre støtte.")


def agenda_rows(families: list[FamilyAgendaFacts], on: date) -> list[AgendaRow]:
    """The agenda for the team meeting on ``on``: one row per family, by name."""
    rows = []
    for family in families:
        fgc_assessed, fgc_status, fgc_next = fgc_summary(family.fgc, family.meetings)
        father_assessed, bic_status = bic_summary(family.father, family.at_crisis_centre)
        rows.append(AgendaRow(
            family.family_id, family.name, family.reference, fgc_assessed, fgc_status,
            fgc_next, father_assessed, bic_status,
            upcoming_meetings(family.meetings, on), overdue_followups(family.meetings, on),
            after_care_due(family.after_care_until, on)))
    return in_order(rows)


def in_order(rows: Iterable[AgendaRow]) -> list[AgendaRow]:
    """Agenda rows in the agenda's order (``agenda_rows``): by family name."""
    return sorted(rows, key=lambda row: (row.name.casefold(), row.family_id))
