"""The daily digest as pure rules: when it is due, what it says, and its sections.

Plain facts in (the followup domain's ``MeetingFacts``, due agreement items, unanswered
participants, the user's next meetings), plain ``Digest`` out. ``service`` reads the facts
through the access policy and the redaction; ``mail`` turns a digest into a mail.
Pure: no database, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from coordinator.followup import agenda
from coordinator.meetings.planner import is_working_day

# Evaluations, renewals and follow-ups falling due within this many days are listed
# (overdue ones always).
DUE_WITHIN_DAYS = 7

SECTION_DUE = "Evalueringer og opfølgning"
SECTION_UNANSWERED = "Invitationer uden svar"
SECTION_MEETINGS = "Dine møder den næste arbejdsdag"
SECTION_REMIND = "Husk at minde deltagerne om mødet"


@dataclass(frozen=True)
class Item:
    """One line of the digest and where in the coordinator it is dealt with."""

    text: str
    link: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and its lines."""

    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Digest:
    """One user's digest for one day."""

    name: str
    day: date
    sections: tuple[Section, ...]

    @property
    def count(self) -> int:
        """How many things it says (0: nothing is sent)."""
        return sum(len(s.items) for s in self.sections)


def digest_due(local_now: datetime, at: str) -> bool:
    """Whether today's digest is due: a working day, from the configured time of day (HH:MM,
    Copenhagen time) on. Missed hours (a stopped worker) still send it later that day."""
    hours, minutes = (int(x) for x in at.split(":"))
    return is_working_day(local_now.date()) and local_now.time() >= time(hours, minutes)


def next_days(on: date) -> tuple[date, date]:
    """The days the "next meetings" section covers: from tomorrow through the next working
    day (on a Friday: Saturday to Monday), so nothing falls between two digests."""
    last = on + timedelta(days=1)
    while not is_working_day(last):
        last += timedelta(days=1)
    return on + timedelta(days=1), last


def followups_due(meetings: tuple[agenda.MeetingFacts, ...], on: date,
                  within_days: int = DUE_WITHIN_DAYS) -> tuple[str, ...]:
    """The family's follow-ups: overdue ones (the team agenda's words) and those falling due
    within ``within_days`` that are not planned yet."""
    lines = list(agenda.overdue_followups(meetings, on))
    horizon = on + timedelta(days=within_days)
    for meeting in sorted(meetings, key=lambda m: m.id):
        due = agenda.followup_due(meeting)
        planned = any(m.parent_id == meeting.id and m.status != "cancelled" for m in meetings)
        held = meeting.ends_at or meeting.starts_at
        if due is not None and held is not None and on <= due <= horizon and not planned:
            when = agenda.da_date(agenda.local_day(held))
            lines.append(f"{agenda.meeting_label(meeting.kind, '')} {when}: opfølgningsmødet "
                         f"skal holdes ca. {agenda.da_date(due)} og er ikke planlagt")
    return tuple(lines)


def agreement_line(kind_label: str, title: str, due_on: date, overdue: bool) -> str:
    """'Evaluering af »Aftale«: frist 3. marts 2026 (overskredet)'."""
    late = " (overskredet)" if overdue else ""
    return f"{kind_label} af »{title}«: frist {agenda.da_date(due_on)}{late}"


def unanswered_line(name: str, meeting: str, starts_at: datetime | None, invited_on: date) -> str:
    """'Lars Lærer har ikke svaret på »Netværksmøde« (3. marts 2026), inviteret 20. februar'."""
    when = f" ({agenda.da_date(agenda.local_day(starts_at))})" if starts_at else ""
    return (f"{name} har ikke svaret på »{meeting}«{when}; "
            f"inviteret {agenda.da_date(invited_on)}")


def remind_line(name: str, channel: str, meeting: str, starts_at: datetime, on: date) -> str:
    """What to do for a participant the system does not remind by e-mail (invited by phone,
    letter or through the socialrådgiver): 'Ring til Grethe, og mind om »Netværksmøde« i
    morgen kl. 10.00', or 'Husk at minde Grethe om »Netværksmøde« i morgen kl. 10.00'."""
    local = starts_at.astimezone(agenda.COPENHAGEN)
    day = "i morgen" if local.date() == on + timedelta(days=1) else agenda.da_date(local.date())
    when = f"{day} kl. {local:%H.%M}"
    if channel == "phone":
        return f"Ring til {name}, og mind om »{meeting}« {when}"
    how = " (inviteret med brev)" if channel == "letter" else ""
    return f"Husk at minde {name} om »{meeting}« {when}{how}"


def build(name: str, day: date, due: list[Item], unanswered: list[Item],
          meetings: list[Item], remind: list[Item] | None = None) -> Digest:
    """The digest with its non-empty sections in a fixed order."""
    sections = [Section(title, tuple(items)) for title, items in (
        (SECTION_DUE, due), (SECTION_REMIND, remind or []), (SECTION_UNANSWERED, unanswered),
        (SECTION_MEETINGS, meetings)) if items]
    return Digest(name, day, tuple(sections))
