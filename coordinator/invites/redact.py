"""The one redaction step for everything about a meeting that leaves the system.

Pure: plain data in (a meeting as loaded by ``service.load_meetings``), plain
``CalendarEvent`` objects out. Invite mails, the organiser's .ics download, feeds and
the answer page are all built from ``events_for_recipient`` (or the feed variant, which
redacts for a synthetic outside recipient), which in turn is built on
``meetings.safety.redact_for_recipient``: summary, description, location and attendee
list are exactly what that one recipient may see.

Decisions
---------
* One VEVENT per part the recipient attends; UID ``m<meeting>-<part>@<domain>`` is
  stable for the meeting's life, so updates replace and cancellations remove.
* ATTENDEE lines carry only the recipient and the other attendees whose e-mail the
  safety rules let this recipient see (an ATTENDEE needs an address). The names of the
  other visible attendees are listed in the description instead.
* The ORGANIZER address is the system's ``MAIL_FROM`` (replies come back to us). Its
  name is the organising case worker's, except for hostile recipients (a father,
  anyone who used violence), who see "Familieafdelingen".
* A participant's staggered arrival/departure moves their own start/end.
* Feeds (a link anyone holding it can read, synced to cloud calendars) redact for an
  outside professional who is never entitled to protected locations, and list no
  attendees and no agenda (a partner's calendar holds the minimum).
* The agenda's points of the part an event is about (and the whole meeting's) follow the
  description, as the recipient may read them (``RecipientView.agenda``: none for the
  father or anyone kept apart); the minutes never leave this way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from coordinator.invites.ical import (
    Attendee,
    CalendarEvent,
    EventStatus,
    PartStat,
    Person,
    is_valid_email,
)
from coordinator.meetings import safety

ORGANISATION_NAME = "Familieafdelingen"
FEED_RECIPIENT_ID = "feed:outside"
_UID_UNSAFE = re.compile(r"[^A-Za-z0-9.+=-]")


@dataclass(frozen=True)
class PartData:
    """One part of a meeting with its time window (UTC)."""

    key: str
    label: str
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class ParticipantData:
    """One participant as the invites domain needs them."""

    id: int
    safety_id: str
    name: str
    email: str
    rsvp: str
    part_keys: tuple[str, ...]
    arrival_offset: int = 0
    departure_offset: int = 0
    invite_via_worker: bool = False
    removed: bool = False
    person_id: int | None = None
    user_id: int | None = None
    organisation_id: int | None = None
    category: str = ""  # kinds.ParticipantCategory: professional, family, private_network


@dataclass(frozen=True)
class MeetingData:
    """A meeting as plain data: the DB rows plus the safety model built from them."""

    id: int
    family_id: int
    kind: str
    title: str
    status: str
    sequence: int  # the iCalendar SEQUENCE (0 at the first invitation)
    send_email_invites: bool
    organiser_id: int | None
    organiser_name: str
    parts: tuple[PartData, ...]
    participants: tuple[ParticipantData, ...]
    safety_meeting: safety.Meeting
    people: dict[str, safety.Person]
    updated_at: datetime | None = None
    organiser_email: str = ""
    organiser_phone: str = ""  # the socialrådgiver's work phone, for letters

    def participant(self, participant_id: int) -> ParticipantData | None:
        """The participant with this row id (removed ones included)."""
        return next((p for p in self.participants if p.id == participant_id), None)

    @property
    def scheduled(self) -> bool:
        """Every part has a time window (only then can it be a calendar event)."""
        return bool(self.parts) and all(p.starts_at and p.ends_at for p in self.parts)


@dataclass(frozen=True)
class Redacted:
    """What one recipient may see: the events and the safety view they came from."""

    events: tuple[CalendarEvent, ...]
    view: safety.RecipientView


def uid_for(meeting_id: int, part_key: str, domain: str) -> str:
    """The stable UID of one meeting part."""
    return f"m{meeting_id}-{_UID_UNSAFE.sub('-', part_key)}@{domain}"


def _with_recipient(data: MeetingData, recipient: safety.Person, part_keys: set[str]) -> safety.Meeting:
    """The safety meeting with ``recipient`` added to the given parts (organiser, feeds)."""
    parts = tuple(
        replace(part, participant_ids=part.participant_ids | {recipient.id})
        if part.key in part_keys else part
        for part in data.safety_meeting.parts
    )
    return replace(data.safety_meeting, parts=parts)


def _window(part: PartData, participant: ParticipantData | None, first: bool, last: bool
            ) -> tuple[datetime, datetime]:
    start, end = part.starts_at, part.ends_at
    assert start is not None and end is not None
    if participant is not None:
        moved_start = start + timedelta(minutes=participant.arrival_offset) if first else start
        moved_end = end - timedelta(minutes=participant.departure_offset) if last else end
        if moved_end > moved_start:
            start, end = moved_start, moved_end
    return start, end


def _summary(view: safety.RecipientView, part: safety.PartView, several: bool) -> str:
    return f"{view.title} – {part.label}" if several else view.title


def _description(view: safety.RecipientView, part_key: str, with_attendees: bool,
                 with_agenda: bool = True) -> str:
    lines = [view.description.strip()] if view.description.strip() else []
    points = [text for key, text in view.agenda if not key or key == part_key] if with_agenda else []
    if points:
        lines += ["", "Dagsorden:", *[f"{n}. {text}" for n, text in enumerate(points, start=1)]]
    if with_attendees:
        names = []
        for other in view.attendees:
            if part_key in other.part_keys:
                names.append(f"{other.name} ({other.organisation})" if other.organisation else other.name)
        if names:
            lines += ["", "Deltagere:", *[f"- {name}" for name in names]]
    return "\n".join(lines).strip()


def _attendees(data: MeetingData, view: safety.RecipientView, recipient: ParticipantData | None,
               part_key: str) -> tuple[Attendee, ...]:
    rsvp = {p.safety_id: p.rsvp for p in data.participants}
    result: list[Attendee] = []
    if recipient is not None and is_valid_email(recipient.email):
        result.append(Attendee(recipient.name, recipient.email, partstat=_partstat(recipient.rsvp)))
    for other in view.attendees:
        if part_key in other.part_keys and other.email and is_valid_email(other.email):
            result.append(Attendee(other.name, other.email,
                                   partstat=_partstat(rsvp.get(other.person_id, "NEEDS-ACTION"))))
    return tuple(result)


def _partstat(value: str) -> PartStat:
    try:
        return PartStat(value)
    except ValueError:
        return PartStat.NEEDS_ACTION


def _events(data: MeetingData, view: safety.RecipientView, recipient: ParticipantData | None,
            *, organizer: Person, uid_domain: str, dtstamp: datetime, url: str | None,
            with_attendees: bool, only_recipient: bool, with_agenda: bool = True
            ) -> tuple[CalendarEvent, ...]:
    parts = {p.key: p for p in data.parts}
    several = len(data.parts) > 1
    status = EventStatus.CANCELLED if data.status == "cancelled" else EventStatus.CONFIRMED
    own = [pv for pv in view.parts if parts[pv.key].starts_at and parts[pv.key].ends_at]
    events = []
    for index, part_view in enumerate(own):
        start, end = _window(parts[part_view.key], recipient, index == 0, index == len(own) - 1)
        if only_recipient:
            attendees = _attendees(data, replace(view, attendees=()), recipient, part_view.key)
        elif with_attendees:
            attendees = _attendees(data, view, recipient, part_view.key)
        else:
            attendees = ()
        events.append(CalendarEvent(
            uid=uid_for(data.id, part_view.key, uid_domain),
            sequence=data.sequence,
            dtstamp=dtstamp,
            start=start,
            end=end,
            summary=_summary(view, part_view, several),
            organizer=organizer,
            attendees=attendees,
            description=_description(view, part_view.key, with_attendees and not only_recipient,
                                     with_agenda),
            location=part_view.location_text or None,
            status=status,
            url=url,
        ))
    return tuple(events)


def organizer_for(data: MeetingData, recipient: safety.Person, mail_from: str) -> Person:
    """The ORGANIZER: the system address, named after the case worker (not for hostile)."""
    name = ORGANISATION_NAME if recipient.is_hostile else (data.organiser_name or ORGANISATION_NAME)
    return Person(name=name, email=mail_from)


def reply_to_for(data: MeetingData, recipient: safety.Person, view: safety.RecipientView) -> Person | None:
    """Where a recipient's reply goes: the responsible socialrådgiver, not the robot. Never
    an address that names what the recipient may not know (a crisis-centre mailbox), and
    none for the father or anyone kept apart: they reach the department, not a person."""
    if (recipient.is_hostile or not data.organiser_email
            or safety.scan_for_leaks(data.organiser_email, view.protected_strings)):
        return None
    return Person(name=data.organiser_name or ORGANISATION_NAME, email=data.organiser_email)


def reply_phone_for(data: MeetingData, recipient: safety.Person, view: safety.RecipientView) -> str:
    """The work phone a recipient may call to answer: the responsible socialrådgiver's, on
    the same terms as ``reply_to_for`` (none for the father or anyone kept apart, none that
    names what the recipient may not know, such as a crisis centre's number); empty when
    the socialrådgiver has none."""
    phone = data.organiser_phone.strip()
    if not phone or recipient.is_hostile or safety.scan_for_leaks(phone, view.protected_strings):
        return ""
    return phone


def view_for_recipient(data: MeetingData, recipient: ParticipantData) -> safety.RecipientView:
    """The meeting as ONE participant may read it (``safety.redact_for_recipient``): what
    every message to them is built from and scanned against."""
    person = data.people[recipient.safety_id]
    meeting = data.safety_meeting
    if recipient.removed:
        meeting = _with_recipient(data, person, set(recipient.part_keys))
    return safety.redact_for_recipient(meeting, person, data.people.values())


def events_for_recipient(data: MeetingData, participant_id: int, *, mail_from: str,
                         uid_domain: str, dtstamp: datetime, url: str | None = None,
                         only_recipient: bool = False) -> Redacted:
    """The calendar events ONE participant may see (one per part they attend).

    ``only_recipient`` lists the recipient as the only ATTENDEE (cancellations and
    removals name exactly the people they are for). Raises ``safety.SafetyError`` if
    the participant attends no part.
    """
    recipient = data.participant(participant_id)
    if recipient is None:
        raise safety.SafetyError("Modtageren er ikke deltager i mødet.")
    person = data.people[recipient.safety_id]
    view = view_for_recipient(data, recipient)
    events = _events(data, view, recipient, organizer=organizer_for(data, person, mail_from),
                     uid_domain=uid_domain, dtstamp=dtstamp, url=url, with_attendees=True,
                     only_recipient=only_recipient)
    return Redacted(events, view)


def events_for_dropped_parts(data: MeetingData, participant_id: int, part_keys: Iterable[str],
                             *, mail_from: str, uid_domain: str, dtstamp: datetime) -> Redacted:
    """Cancellations of the parts a participant no longer attends (still invited to the
    rest): one cancelled event per dropped part, redacted for them and naming only them."""
    recipient = data.participant(participant_id)
    if recipient is None:
        raise safety.SafetyError("Modtageren er ikke deltager i mødet.")
    dropped = set(part_keys)
    person = data.people[recipient.safety_id]
    view = safety.redact_for_recipient(_with_recipient(data, person, dropped), person,
                                       data.people.values())
    view = replace(view, parts=tuple(p for p in view.parts if p.key in dropped))
    events = _events(data, view, replace(recipient, part_keys=tuple(sorted(dropped))),
                     organizer=organizer_for(data, person, mail_from), uid_domain=uid_domain,
                     dtstamp=dtstamp, url=None, with_attendees=True, only_recipient=True)
    return Redacted(tuple(replace(e, status=EventStatus.CANCELLED) for e in events), view)


def organiser_person(data: MeetingData, entitled: bool = True) -> safety.Person:
    """The organising case worker as a safety recipient: internal staff, entitled (or, for a
    reader who is not, such as the samordner, an outside professional)."""
    return safety.Person(id=f"organiser:{data.organiser_id or 0}",
                         name=data.organiser_name or ORGANISATION_NAME,
                         roles=frozenset({safety.Role.PROFESSIONAL}), internal=entitled,
                         entitled_to_protected_location=entitled, outside_team=not entitled)


def events_for_organiser(data: MeetingData, *, mail_from: str, uid_domain: str,
                         dtstamp: datetime, entitled: bool = True) -> Redacted:
    """The events as the organiser may see them (the .ics download of the meeting page);
    ``entitled=False`` projects them for a reader who may not know protected places."""
    person = organiser_person(data, entitled)
    own = next((p for p in data.participants if p.user_id and p.user_id == data.organiser_id
                and not p.removed), None)
    if own is not None and entitled:
        return events_for_recipient(data, own.id, mail_from=mail_from, uid_domain=uid_domain,
                                    dtstamp=dtstamp)
    meeting = _with_recipient(data, person, {p.key for p in data.parts})
    view = safety.redact_for_recipient(meeting, person, [*data.people.values(), person])
    events = _events(data, view, None, organizer=organizer_for(data, person, mail_from),
                     uid_domain=uid_domain, dtstamp=dtstamp, url=None, with_attendees=True,
                     only_recipient=False)
    return Redacted(events, view)


# Whoever holds a feed's link: read as an outside professional outside the family's team,
# so a feed carries neither a protected place nor a shielded family's children's school.
FEED_RECIPIENT = safety.Person(id=FEED_RECIPIENT_ID, name="Kalenderabonnement",
                               roles=frozenset({safety.Role.PROFESSIONAL}), internal=False,
                               entitled_to_protected_location=False, outside_team=True)


def events_for_feed(data: MeetingData, part_keys: set[str], *, mail_from: str, uid_domain: str,
                    dtstamp: datetime) -> Redacted:
    """The events a feed may publish for the given parts: redacted for an outside
    professional who is never entitled to protected locations; no attendees."""
    meeting = _with_recipient(data, FEED_RECIPIENT, part_keys)
    view = safety.redact_for_recipient(meeting, FEED_RECIPIENT,
                                       [*data.people.values(), FEED_RECIPIENT])
    events = _events(data, view, None, organizer=organizer_for(data, FEED_RECIPIENT, mail_from),
                     uid_domain=uid_domain, dtstamp=dtstamp, url=None, with_attendees=False,
                     only_recipient=False, with_agenda=False)
    return Redacted(events, view)
