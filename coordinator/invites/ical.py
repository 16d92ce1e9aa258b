"""Pure iCalendar (RFC 5545) and iTIP (RFC 5546) building and parsing.

Plain dataclasses in, bytes out (and the reverse for replies). Every byte of
iCalendar text is produced by the ``icalendar`` library, which escapes text
values, quotes parameters (RFC 6868) and folds lines at 75 octets. This module
adds what the library cannot know: our time zone, our safety rules for text
that reaches outside the system, and the iTIP rules for SEQUENCE.

The caller passes text that is already redacted for the recipient; this module
never adds a location, an attendee or a name on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import cast
from zoneinfo import ZoneInfo

from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    vCalAddress,
    vDDDTypes,
    vDuration,
    vRecur,
    vText,
    vUri,
)
from icalendar.parser import Contentline, Parameters

TZID = "Europe/Copenhagen"
COPENHAGEN = ZoneInfo(TZID)
PRODID = "-//Koordinator//Familieafdelingen//DA"

_MAX_ICS_BYTES = 1_000_000

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_UID_RE = re.compile(r"[A-Za-z0-9@._+=-]{1,255}")
_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_RRULE_RE = re.compile(r"[A-Za-z0-9=;,+\-]{1,500}")
_RRULE_PARTS = frozenset(
    {
        "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR",
        "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS",
        "WKST",
    }
)


class Role(StrEnum):
    """ROLE parameter of an attendee (RFC 5545 3.2.16)."""

    CHAIR = "CHAIR"
    REQ_PARTICIPANT = "REQ-PARTICIPANT"
    OPT_PARTICIPANT = "OPT-PARTICIPANT"
    NON_PARTICIPANT = "NON-PARTICIPANT"


class PartStat(StrEnum):
    """PARTSTAT parameter of an attendee of a VEVENT (RFC 5545 3.2.12)."""

    NEEDS_ACTION = "NEEDS-ACTION"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"
    DELEGATED = "DELEGATED"


class EventStatus(StrEnum):
    """STATUS of a VEVENT (RFC 5545 3.8.1.11)."""

    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    TENTATIVE = "TENTATIVE"


class CalendarParseError(ValueError):
    """Raised when incoming calendar data cannot be used.

    ``str(error)`` is a plain Danish sentence fit to show or log; it never
    repeats the offending input.
    """


@dataclass(frozen=True)
class Person:
    """A calendar user: the organizer, or the sender/recipient of a mail."""

    name: str
    email: str


@dataclass(frozen=True)
class Attendee:
    """One ATTENDEE of one event part."""

    name: str
    email: str
    role: Role = Role.REQ_PARTICIPANT
    partstat: PartStat = PartStat.NEEDS_ACTION
    rsvp: bool = True


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT: a meeting, one part of a meeting, or one recurring series.

    ``start``/``end``/``dtstamp``/``exdates``/``recurrence_id`` must be
    timezone-aware. ``rrule`` is a mapping like ``{"FREQ": "WEEKLY",
    "INTERVAL": 2}`` or its text form ``"FREQ=WEEKLY;INTERVAL=2"``.
    ``private`` marks the event CLASS:PRIVATE so shared calendars and
    delegates see only busy time. ``alarm_minutes`` (> 0) adds a VALARM that
    reminds the recipient that many minutes before the start.
    """

    uid: str
    sequence: int
    dtstamp: datetime
    start: datetime
    end: datetime
    summary: str
    organizer: Person
    attendees: tuple[Attendee, ...] = ()
    description: str = ""
    location: str | None = None
    status: EventStatus = EventStatus.CONFIRMED
    url: str | None = None
    rrule: Mapping[str, object] | str | None = None
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None
    private: bool = True
    alarm_minutes: int = 0


@dataclass(frozen=True)
class Reply:
    """One attendee's answer taken from an iTIP REPLY.

    ``recurrence_id`` is set when the answer concerns one occurrence of a
    series; aware datetimes are given in UTC. ``dtstamp`` orders several
    answers that carry the same SEQUENCE.
    """

    uid: str
    sequence: int
    attendee_email: str
    partstat: PartStat
    recurrence_id: datetime | date | None = None
    comment: str | None = None
    dtstamp: datetime | None = None
    method: str = "REPLY"  # REPLY, or COUNTER (the attendee proposes another time)
    name: str = field(default="", compare=False)  # the attendee's CN (not part of identity)
    sent_by: str = ""  # SENT-BY: the delegate (a secretary) who answered for the attendee
    delegated_to: tuple[str, ...] = ()  # PARTSTAT=DELEGATED: to whom
    delegated_from: tuple[str, ...] = ()  # the delegate's own line in a delegation
    proposed_start: datetime | None = None  # COUNTER: the proposed time (UTC)
    proposed_end: datetime | None = None


# --- text hygiene ------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


# Unicode's control characters (category Cc: U+0000–U+001F, U+007F–U+009F), lone
# surrogates (Cs) and U+FEFF, by the characters a value may keep (tested against
# ``unicodedata.category`` over every code point).
_UNSAFE_RANGES = (("\x00", "\x1f"), ("\x7f", "\x9f"), ("\ud800", "\udfff"), ("\ufeff", "\ufeff"))


@cache
def _unsafe_chars(keep: str) -> re.Pattern[str]:
    allowed = "".join(re.escape(ch) for ch in sorted(keep))
    ranges = "".join(f"{low}-{high}" for low, high in _UNSAFE_RANGES)
    return re.compile(f"(?![{allowed}])[{ranges}]" if allowed else f"[{ranges}]")


def _drop_unsafe_chars(value: str, keep: str) -> str:
    # U+FEFF (byte order mark) is invisible and parsers strip it at the start
    # of a value, so it would not survive a round trip.
    return _unsafe_chars(keep).sub("", value)


def clean_text(value: str) -> str:
    """Return ``value`` as it can travel in an iCalendar TEXT value.

    Every kind of line break becomes ``\\n`` (escaped by the library); other
    control characters, lone surrogates and the invisible U+FEFF are dropped.
    A text without such characters is returned unchanged, so what the user
    wrote is what the calendar shows.
    """
    return _drop_unsafe_chars(_LINE_BREAKS.sub("\n", value), keep="\t\n")


def clean_name(value: str) -> str:
    """Return ``value`` as it can travel in a CN parameter.

    Names are one line: line breaks and tabs become spaces and other control
    characters are dropped. A double quote becomes a single quote because
    Outlook does not decode RFC 6868 quoting, and a backslash becomes a slash
    because several parsers (icalendar among them) read it as an escape in
    parameters, which let a trailing backslash swallow the next parameter.
    Leading/trailing space is trimmed.
    """
    one_line = re.sub(r"[\t\n]", " ", _LINE_BREAKS.sub(" ", value))
    return _drop_unsafe_chars(one_line, keep="").replace('"', "'").replace("\\", "/").strip()


def is_valid_email(email: object) -> bool:
    """Whether ``email`` is a plain ASCII address fit for a mailto: URI and a
    mail header: no spaces, quotes, line breaks or URI delimiters."""
    return isinstance(email, str) and _EMAIL_RE.fullmatch(email) is not None


def _check_email(email: str) -> str:
    if not is_valid_email(email):
        raise ValueError("Ugyldig e-mailadresse i kalenderinvitationen.")
    return email.lower()


def _check_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} skal være et tidspunkt med tidszone.")
    return value


def _local(value: datetime, what: str) -> datetime:
    return _check_aware(value, what).astimezone(COPENHAGEN)


# --- building ----------------------------------------------------------------


def _address(
    person: Person | Attendee,
    *,
    cutype: str | None = None,
    role: str | None = None,
    partstat: str | None = None,
    rsvp: bool | None = None,
) -> vCalAddress:
    email = _check_email(person.email)
    return vCalAddress.new(
        email,
        cn=clean_name(person.name) or email,
        cutype=cutype,
        role=role,
        partstat=partstat,
        rsvp=rsvp,
    )


def _recurrence_rule(rrule: Mapping[str, object] | str) -> vRecur:
    """Validate an RRULE given as mapping or text; return it as vRecur."""
    if isinstance(rrule, Mapping):
        unknown = {str(key).upper() for key in rrule} - _RRULE_PARTS
        if unknown:
            raise ValueError("Ugyldig gentagelsesregel for mødet.")
        parts = {str(k).upper(): v for k, v in rrule.items()}
        until = parts.get("UNTIL")
        if isinstance(until, datetime):
            # RFC 5545: with a DTSTART in a time zone, UNTIL must be in UTC.
            parts["UNTIL"] = _check_aware(until, "UNTIL").astimezone(UTC)
        try:
            text = vRecur(parts).to_ical().decode()
        except (ValueError, TypeError):
            raise ValueError("Ugyldig gentagelsesregel for mødet.") from None
    else:
        text = str(rrule)
    if not _RRULE_RE.fullmatch(text):
        raise ValueError("Ugyldig gentagelsesregel for mødet.")
    try:
        recur = vRecur.from_ical(text)
    except (ValueError, TypeError):
        raise ValueError("Ugyldig gentagelsesregel for mødet.") from None
    if set(recur) - _RRULE_PARTS or "FREQ" not in recur:
        raise ValueError("Ugyldig gentagelsesregel for mødet.")
    return recur


def _check_event(ev: CalendarEvent) -> None:
    if not isinstance(ev.uid, str) or not _UID_RE.fullmatch(ev.uid):
        raise ValueError("Ugyldigt UID for mødet.")
    if not isinstance(ev.sequence, int) or isinstance(ev.sequence, bool) or ev.sequence < 0:
        raise ValueError("SEQUENCE skal være et heltal på 0 eller mere.")
    if _check_aware(ev.end, "Sluttidspunktet") <= _check_aware(ev.start, "Starttidspunktet"):
        raise ValueError("Mødet skal slutte efter det begynder.")
    if ev.url is not None and not _URL_RE.fullmatch(ev.url):
        raise ValueError("Ugyldigt link i kalenderinvitationen.")


def _vevent(ev: CalendarEvent, *, with_attendees: bool, status: EventStatus | None) -> Event:
    """Turn one CalendarEvent into an icalendar Event."""
    _check_event(ev)
    event = Event()
    event.add("uid", ev.uid)
    event.add("sequence", ev.sequence)
    event.add("dtstamp", _check_aware(ev.dtstamp, "DTSTAMP").astimezone(UTC))
    event.add("dtstart", _local(ev.start, "Starttidspunktet"))
    event.add("dtend", _local(ev.end, "Sluttidspunktet"))
    if ev.recurrence_id is not None:
        event.add("recurrence-id", _local(ev.recurrence_id, "RECURRENCE-ID"))
    event.add("summary", clean_text(ev.summary))
    if ev.description:
        event.add("description", clean_text(ev.description))
    if ev.location:
        event.add("location", clean_text(ev.location))
    if ev.url:
        event.add("url", ev.url)
    if status is not None:
        event.add("status", str(status))
    event.add("class", "PRIVATE" if ev.private else "PUBLIC")
    event.add("transp", "TRANSPARENT" if status == EventStatus.CANCELLED else "OPAQUE")
    event.add("organizer", _address(ev.organizer))
    if with_attendees:
        for attendee in ev.attendees:
            event.add(
                "attendee",
                _address(
                    attendee,
                    cutype="INDIVIDUAL",
                    role=str(Role(attendee.role)),
                    partstat=str(PartStat(attendee.partstat)),
                    rsvp=bool(attendee.rsvp),
                ),
            )
    if ev.rrule is not None:
        event.add("rrule", _recurrence_rule(ev.rrule))
    if ev.exdates:
        event.add("exdate", [_local(d, "EXDATE") for d in ev.exdates])
    if ev.alarm_minutes > 0 and status != EventStatus.CANCELLED:
        event.add_component(_alarm(ev.summary, ev.alarm_minutes))
    return event


def _alarm(summary: str, minutes: int) -> Alarm:
    """A display alarm ``minutes`` before the start (RFC 5545 3.6.6: ACTION, TRIGGER and,
    for DISPLAY, a DESCRIPTION), worded from the already redacted summary."""
    if not isinstance(minutes, int) or minutes > 60 * 24 * 14:
        raise ValueError("Påmindelsen skal ligge højst 14 dage før mødet.")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", clean_text(f"Påmindelse: {summary}"))
    alarm.add("trigger", timedelta(minutes=-minutes))
    return alarm


# Europe/Copenhagen as the EU has kept it since 1996 (summer time from the last Sunday of
# March 02:00 to the last Sunday of October 03:00), as yearly rules: the definition holds for
# every later year, so an open-ended series never meets a year it does not cover (a list of
# dates ends somewhere, and clients then shift the later instances by an hour).
_RULES_SINCE = 1996
_COPENHAGEN_RULES = (
    "BEGIN:VTIMEZONE\r\n"
    f"TZID:{TZID}\r\n"
    f"X-LIC-LOCATION:{TZID}\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    f"DTSTART:{_RULES_SINCE}0331T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZNAME:CET\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    f"DTSTART:{_RULES_SINCE}1027T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


@lru_cache(maxsize=64)
def _vtimezone_ical(first_year: int) -> bytes:
    rules = cast(Timezone, Timezone.from_ical(_COPENHAGEN_RULES))
    if first_year < _RULES_SINCE:
        # Older dates: the transitions tzdata knows, up to where the yearly rules begin.
        older = Timezone.from_tzid(TZID, first_date=date(first_year, 1, 1),
                                   last_date=date(_RULES_SINCE, 1, 1))
        for component in older.subcomponents:
            rules.add_component(component)
    return rules.to_ical()


def copenhagen_vtimezone(events: Iterable[CalendarEvent]) -> Timezone:
    """Return a VTIMEZONE for Europe/Copenhagen that covers all the events.

    The current rules are given as yearly RRULEs, so the definition holds for every year
    after the first event, however far an open series runs; dates before 1996 get the
    transitions of that time from tzdata.
    """
    return _vtimezone(_first_year(events))


def _first_year(events: Iterable[CalendarEvent]) -> int:
    """The first year a calendar's VTIMEZONE covers: the year before its first event."""
    return min(_local(ev.start, "Starttidspunktet").date() for ev in events).year - 1


@lru_cache(maxsize=64)
def _vtimezone(first_year: int) -> Timezone:
    """The parsed component, one per first year and process: parsing it was ~1.5 ms of
    every invitation (a change to a sent meeting builds one per partner). Shared by the
    messages that add it, which only ever serialise it; never changed after this."""
    # Component.from_ical is typed as Component; called on Timezone it builds a Timezone.
    return cast(Timezone, Timezone.from_ical(_vtimezone_ical(first_year)))


@lru_cache(maxsize=16)
def _calendar_written(method: str, prodid: str) -> bytes:
    """``_calendar`` as the library writes it (a tenth of a millisecond per message)."""
    return _calendar(method, prodid).to_ical()


def _calendar(method: str, prodid: str) -> Calendar:
    """A message calendar's own properties; its components are added by the caller."""
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


@lru_cache(maxsize=64)
def _vtimezone_written(first_year: int) -> bytes:
    """The VTIMEZONE as a calendar writes it: the same for every message of a year (its
    writing was a quarter of every invitation's iCalendar)."""
    return _vtimezone(first_year).to_ical()


def _assembled(written: bytes, events: Sequence[CalendarEvent], vevents: Sequence[bytes]) -> bytes:
    """A calendar with its own properties only, as the library wrote it, with the VTIMEZONE
    of ``events`` and then their VEVENTs as components: the components' lines go in before
    the calendar's END line, in the order the library writes them."""
    end = written.rindex(b"END:VCALENDAR\r\n")
    parts = [written[:end]]
    if events:
        parts.append(_vtimezone_written(_first_year(events)))
    parts += vevents
    parts.append(written[end:])
    return b"".join(parts)


# A change of a sent meeting writes one message per partner, and the partners who see the
# meeting alike get the same event but for its DTSTAMP (the moment), their own answer link
# (URL) and their reminder (VALARM). An event's lines are written once without those three
# and kept (with a fixed DTSTAMP); each message replaces the DTSTAMP line and puts its URL
# line and alarm in where the library writes them: the library writes SUMMARY, DTSTART,
# DTEND, DTSTAMP … first and the other properties in alphabetical order, so URL is the last
# property of these events, and the alarm the one component. The stamp's line is the first
# that begins with DTSTAMP: (a text value's line breaks are escaped, its folded lines begin
# with a space). Tests compare every message and feed with the library's whole calendar.
_KEPT_STAMP = datetime(2000, 1, 1, tzinfo=UTC)
_KEPT_STAMP_LINE = b"\r\nDTSTAMP:20000101T000000Z\r\n"
_VEVENT_END = b"END:VEVENT\r\n"


@lru_cache(maxsize=20_000)
def _kept_lines(ev: CalendarEvent, with_attendees: bool, status: EventStatus | None) -> bytes:
    """The event's lines as the library writes them, with the placeholder attendee when it
    has attendees (``_with_attendees`` replaces it)."""
    return _vevent(ev, with_attendees=with_attendees, status=status).to_ical()


# Each partner of a sent meeting sees the others but not themselves, so each message's
# event has its own list of attendees; the rest of the event is the same for those who see
# the meeting alike. An event with attendees is therefore kept with one placeholder
# attendee, wherever the library puts the ATTENDEE lines, and each message replaces that
# line with its attendees' lines, written one attendee at a time and kept. The kept event
# has no other attendee, and no other line can begin as the placeholder's does (text values
# have their line breaks escaped, a folded line begins with a space).
_PLACEHOLDER = Attendee("Deltager", "deltager@kept-lines.invalid")
_VEVENT_BEGIN = b"BEGIN:VEVENT\r\n"


@lru_cache(maxsize=20_000)
def _attendee_line(attendee: Attendee) -> bytes:
    """One ATTENDEE property's line(s) as ``_vevent`` writes them."""
    event = Event()
    event.add("attendee", _address(attendee, cutype="INDIVIDUAL", role=str(Role(attendee.role)),
                                   partstat=str(PartStat(attendee.partstat)),
                                   rsvp=bool(attendee.rsvp)))
    return event.to_ical()[len(_VEVENT_BEGIN):-len(_VEVENT_END)]


_PLACEHOLDER_LINE = b"\r\n" + _attendee_line(_PLACEHOLDER)


def _with_attendees(kept: bytes, attendees: Sequence[Attendee]) -> bytes:
    """The kept lines with the placeholder's line replaced by the attendees' lines."""
    return kept.replace(_PLACEHOLDER_LINE,
                        b"".join((b"\r\n", *(_attendee_line(a) for a in attendees))), 1)


def _url_line(url: str) -> bytes:
    """The URL property's line as the event writes it (folded)."""
    return Contentline.from_parts("URL", Parameters(), vUri(url)).to_ical() + b"\r\n"


@lru_cache(maxsize=1024)
def _alarm_lines(summary: str, minutes: int) -> bytes:
    return _alarm(summary, minutes).to_ical()


def _written_vevent(ev: CalendarEvent, stamps: dict[datetime, bytes], *, with_attendees: bool,
                    status: EventStatus | None) -> bytes:
    """``_vevent(ev, …).to_ical()``, from the event's kept lines (``stamps``: the DTSTAMP
    lines written for this calendar)."""
    _check_event(ev)  # its URL too, which the kept lines leave out
    stamp = _check_aware(ev.dtstamp, "DTSTAMP").astimezone(UTC)
    try:
        kept = _kept_lines(replace(ev, dtstamp=_KEPT_STAMP, url=None, alarm_minutes=0,
                                   attendees=(_PLACEHOLDER,) if with_attendees else ()),
                           with_attendees, status)
    except TypeError:  # a recurrence rule given as a mapping cannot be a key
        return _vevent(ev, with_attendees=with_attendees, status=status).to_ical()
    if with_attendees:
        kept = _with_attendees(kept, ev.attendees)
    line = stamps.get(stamp)
    if line is None:
        line = stamps[stamp] = b"\r\nDTSTAMP:" + vDDDTypes(stamp).to_ical() + b"\r\n"
    written = kept.replace(_KEPT_STAMP_LINE, line, 1)
    tail = b""
    if ev.url:
        tail += _url_line(ev.url)
    if ev.alarm_minutes > 0 and status != EventStatus.CANCELLED:
        tail += _alarm_lines(ev.summary, ev.alarm_minutes)
    if tail:
        written = written[:-len(_VEVENT_END)] + tail + _VEVENT_END
    return written


def _message_ical(method: str, events: Sequence[CalendarEvent],
                  statuses: Sequence[EventStatus | None], prodid: str) -> bytes:
    """A REQUEST or CANCEL calendar of ``events``, each with its STATUS (None: none)."""
    stamps: dict[datetime, bytes] = {}
    return _assembled(_calendar_written(method, prodid), events, [
        _written_vevent(ev, stamps, with_attendees=True, status=status)
        for ev, status in zip(events, statuses, strict=True)])


def _require_events(events: Sequence[CalendarEvent]) -> list[CalendarEvent]:
    events = list(events)
    if not events:
        raise ValueError("Der er ingen møder at sende.")
    return events


def build_request(events: Sequence[CalendarEvent], *, prodid: str = PRODID) -> bytes:
    """Build a METHOD:REQUEST message inviting to (or updating) the events.

    One VEVENT per meeting part, each with its own UID and attendees. An
    update is the same call with the same UIDs, a raised SEQUENCE and a new
    DTSTAMP. Every event must name at least one attendee, or no client would
    show it as a meeting request.
    """
    events = _require_events(events)
    if any(not ev.attendees for ev in events):
        raise ValueError("En invitation skal have mindst én deltager.")
    return _message_ical("REQUEST", events, [ev.status for ev in events], prodid)


def build_cancel(events: Sequence[CalendarEvent], *, whole_event: bool = True, prodid: str = PRODID) -> bytes:
    """Build a METHOD:CANCEL message for the events.

    The caller raises SEQUENCE and lists in ``attendees`` exactly the people
    the cancellation is for. With ``whole_event`` the meeting itself is
    cancelled (STATUS:CANCELLED). Without it, the listed attendees are only
    removed from a meeting that goes on, and RFC 5546 forbids STATUS there.
    """
    events = _require_events(events)
    if any(not ev.attendees for ev in events):
        raise ValueError("En aflysning skal nævne de deltagere, den gælder.")
    status = EventStatus.CANCELLED if whole_event else None
    return _message_ical("CANCEL", events, [status] * len(events), prodid)


def build_publish(
    events: Sequence[CalendarEvent],
    calname: str,
    *,
    refresh: timedelta = timedelta(hours=1),
    prodid: str = PRODID,
) -> bytes:
    """Build a METHOD:PUBLISH calendar for a subscribed feed.

    Recurring series carry their RRULE and EXDATEs; changed occurrences are
    events with RECURRENCE-ID. A feed can be read by anyone holding its link,
    so it never lists attendees, only the organizer. An empty feed is valid.
    """
    events = list(events)
    stamps: dict[datetime, bytes] = {}
    return _assembled(_publish_written(calname, refresh, prodid), events, [
        _written_vevent(ev, stamps, with_attendees=False, status=ev.status) for ev in events])


@lru_cache(maxsize=256)
def _publish_written(calname: str, refresh: timedelta, prodid: str) -> bytes:
    return _publish_calendar(calname, refresh, prodid).to_ical()


def _publish_calendar(calname: str, refresh: timedelta, prodid: str) -> Calendar:
    """A PUBLISH calendar's own properties; its components are added by the caller."""
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # As TEXT values: the library would leave ";" and "," unescaped in these two (NAME and
    # an X- property), and vobject then cuts the name at the first comma.
    name = vText(clean_name(calname))
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh))
    return cal


def build_declinecounter(event: CalendarEvent, attendee: Attendee, comment: str = "",
                         *, prodid: str = PRODID) -> bytes:
    """Build a METHOD:DECLINECOUNTER: the organizer turns down one attendee's proposal.

    RFC 5546 3.2.8: UID, SEQUENCE (of the event the proposal was made against), DTSTAMP,
    ORGANIZER and the one ATTENDEE whose COUNTER is declined; an optional COMMENT. No
    times or other attendees: the event stays as the attendee's calendar already has it.
    """
    _check_event(event)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _check_aware(event.dtstamp, "DTSTAMP").astimezone(UTC))
    vevent.add("organizer", _address(event.organizer))
    vevent.add("attendee", _address(attendee, cutype="INDIVIDUAL"))
    if comment:
        vevent.add("comment", clean_text(comment))
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("method", "DECLINECOUNTER")
    cal.add_component(vevent)
    return cal.to_ical()


# --- parsing -----------------------------------------------------------------


def _decode(ics: bytes | str) -> str:
    if isinstance(ics, str):
        return ics
    if not isinstance(ics, (bytes, bytearray)):
        raise CalendarParseError("Kalenderdata skal være tekst.")
    try:
        return bytes(ics).decode("utf-8")
    except UnicodeDecodeError:
        return bytes(ics).decode("cp1252", errors="replace")


def _email_of(address: object) -> str:
    value = str(address).strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if not _EMAIL_RE.fullmatch(value):
        raise CalendarParseError("Svaret har en deltager uden gyldig e-mailadresse.")
    return value.lower()


def _moment(prop: object, what: str) -> datetime | date | None:
    if prop is None:
        return None
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=COPENHAGEN)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return value
    raise CalendarParseError(f"Svaret har et ugyldigt tidspunkt ({what}).")


def _addresses(value: object) -> tuple[str, ...]:
    """The mail addresses of a DELEGATED-TO/-FROM parameter (one or a list); invalid ones dropped."""
    values = value if isinstance(value, (list, tuple)) else [value] if value else []
    found = []
    for item in values:
        try:
            found.append(_email_of(item))
        except CalendarParseError:
            continue
    return tuple(dict.fromkeys(found))


def _texts(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [clean_text(str(v)).strip() for v in values if str(v).strip()]


def _proposal(vevent: Event) -> tuple[datetime, datetime]:
    """The time a COUNTER proposes: DTSTART and DTEND (or DURATION), aware, in UTC."""
    start = _moment(vevent.get("DTSTART"), "DTSTART")
    end = _moment(vevent.get("DTEND"), "DTEND")
    if end is None and isinstance(start, datetime) and vevent.get("DURATION") is not None:
        end = start + vevent.decoded("DURATION")
    if not isinstance(start, datetime) or not isinstance(end, datetime) or end <= start:
        raise CalendarParseError("Forslaget om nyt tidspunkt har ikke et gyldigt start- og sluttidspunkt.")
    return start, end


def _replies_of(vevent: Event, method: str = "REPLY") -> list[Reply]:
    broken = {name for name, _ in vevent.errors}
    if broken & {"UID", "SEQUENCE", "ATTENDEE", "RECURRENCE-ID", "DTSTAMP", "DTSTART", "DTEND"}:
        raise CalendarParseError("Svaret indeholder ugyldige felter.")
    uid = vevent.get("UID")
    if not uid or not str(uid).strip():
        raise CalendarParseError("Svaret mangler møde-ID (UID).")
    sequence = vevent.get("SEQUENCE", 0)
    if not isinstance(sequence, int) or sequence < 0:
        raise CalendarParseError("Svaret har et ugyldigt versionsnummer (SEQUENCE).")
    attendees = vevent.get("ATTENDEE")
    if attendees is None:
        raise CalendarParseError("Svaret nævner ingen deltager.")
    if not isinstance(attendees, list):
        attendees = [attendees]
    # COMMENT (RFC 5546) and Google's X-RESPONSE-COMMENT (a property, or a parameter of
    # the answering ATTENDEE) are all kept.
    shared = _texts(vevent.get("COMMENT")) + _texts(vevent.get("X-RESPONSE-COMMENT"))
    proposed = _proposal(vevent) if method == "COUNTER" else None
    recurrence_id = _moment(vevent.get("RECURRENCE-ID"), "RECURRENCE-ID")
    dtstamp = _moment(vevent.get("DTSTAMP"), "DTSTAMP")
    replies = []
    for attendee in attendees:
        params = getattr(attendee, "params", {})
        raw_partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()
        try:
            partstat = PartStat(raw_partstat)
        except ValueError:
            raise CalendarParseError("Svaret har en ukendt deltagerstatus (PARTSTAT).") from None
        sent_by = _addresses(params.get("SENT-BY"))
        comment = "\n".join(dict.fromkeys(_texts(params.get("X-RESPONSE-COMMENT")) + shared))
        replies.append(
            Reply(
                uid=str(uid).strip(),
                sequence=int(sequence),
                attendee_email=_email_of(attendee),
                partstat=partstat,
                recurrence_id=recurrence_id,
                comment=comment or None,
                dtstamp=dtstamp if isinstance(dtstamp, datetime) else None,
                method=method,
                name=clean_name(str(params.get("CN", ""))),
                sent_by=sent_by[0] if sent_by else "",
                delegated_to=_addresses(params.get("DELEGATED-TO")),
                delegated_from=_addresses(params.get("DELEGATED-FROM")),
                proposed_start=proposed[0] if proposed else None,
                proposed_end=proposed[1] if proposed else None,
            )
        )
    return replies


def _parse_reply(ics: bytes | str) -> list[Reply]:
    if len(ics) > _MAX_ICS_BYTES:
        raise CalendarParseError("Kalenderdata er for store.")
    text = _decode(ics)
    try:
        calendar = Calendar.from_ical(text)
    except Exception:
        raise CalendarParseError("Kalenderdata kunne ikke læses.") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise CalendarParseError("Kalenderdata er ikke en VCALENDAR.")
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method not in ("REPLY", "COUNTER"):
        raise CalendarParseError("Kalenderbeskeden er ikke et svar på en invitation.")
    vevents = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not vevents:
        raise CalendarParseError("Svaret indeholder intet møde.")
    # The component factory parses every VEVENT into an Event; subcomponents is typed loosely.
    return [reply for vevent in vevents for reply in _replies_of(cast(Event, vevent), method)]


def parse_reply(ics: bytes | str) -> list[Reply]:
    """Read an iTIP METHOD:REPLY or METHOD:COUNTER and return one Reply per attendee line.

    A COUNTER's replies carry the proposed time (``proposed_start``/``proposed_end``);
    every attendee line of it is returned and the caller keeps the proposer's.

    Anything that is not a usable REPLY raises CalendarParseError with a
    Danish message; no other exception escapes, whatever the input.
    """
    try:
        return _parse_reply(ics)
    except CalendarParseError:
        raise
    except Exception:
        raise CalendarParseError("Kalendersvaret kunne ikke læses.") from None


def is_newer(reply_sequence: int, current_sequence: int) -> bool:
    """Whether a REPLY with ``reply_sequence`` still counts for the meeting.

    A REPLY answers the version it was sent for; one with a lower SEQUENCE
    than the meeting's current one answers an outdated version and is
    ignored. An equal SEQUENCE is the answer to the current version and
    counts (use Reply.dtstamp to order several such answers).
    """
    return reply_sequence >= current_sequence


def supersedes(sequence: int, dtstamp: datetime | None,
               kept_sequence: int, kept_dtstamp: datetime | None) -> bool:
    """Whether an answer (SEQUENCE, DTSTAMP) replaces the answer already kept.

    RFC 5546 2.1.5: the higher SEQUENCE wins; with the same SEQUENCE the later DTSTAMP
    wins, so an older ACCEPTED that arrives after a newer DECLINED does not count.
    Without a DTSTAMP on either side the arrival order decides (the newer one counts).
    """
    if sequence != kept_sequence:
        return sequence > kept_sequence
    if dtstamp is None or kept_dtstamp is None:
        return True
    return dtstamp >= kept_dtstamp
