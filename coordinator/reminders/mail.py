"""Pure: the reminder mails, plain text in Danish, built from already redacted data.

The meeting reminder is built from the recipient's own redacted events (``invites.redact``)
and so says exactly what their invitation says: summary, time and the place as they may
know it. The digest is built from a ``digest.Digest``. Nothing is sent from here; the
subject never names a place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from coordinator.followup.agenda import da_date
from coordinator.invites.ical import COPENHAGEN, CalendarEvent, Person, clean_name, clean_text
from coordinator.invites.imip import danish_datetime
from coordinator.reminders.digest import Digest

NO_PLACE = "Oplyses af socialrådgiveren"


@dataclass(frozen=True)
class MeetingReminder:
    """A reminder to one participant: their redacted events and their opt-out link."""

    sender: Person
    recipient: Person
    events: tuple[CalendarEvent, ...]
    optout_url: str
    reply_to: Person | None = None


def _address(person: Person) -> Address:
    username, _, domain = person.email.partition("@")
    if not username or not domain:
        raise ValueError("Ugyldig e-mailadresse til mailen.")
    return Address(display_name=clean_name(person.name), username=username, domain=domain)


def _span(event: CalendarEvent) -> str:
    start, end = event.start.astimezone(COPENHAGEN), event.end.astimezone(COPENHAGEN)
    if start.date() == end.date():
        return f"{danish_datetime(start)}–{end:%H.%M}"
    return f"{danish_datetime(start)} til {danish_datetime(end)}"


def _message(sender: Person, recipient: Person, subject: str, body: str, *,
             message_id_domain: str, now: datetime, reply_to: Person | None = None,
             unsubscribe: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _address(sender)
    msg["To"] = _address(recipient)
    if reply_to is not None:
        msg["Reply-To"] = _address(reply_to)
    msg["Subject"] = clean_name(subject)[:200]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["Content-Language"] = "da"
    msg.set_content(clean_text(body) + "\n", cte="quoted-printable")
    return msg


def reminder_subject(events: tuple[CalendarEvent, ...]) -> str:
    """'Påmindelse: <summary> – <weekday and time>' (no place)."""
    first = min(events, key=lambda e: e.start)
    return f"Påmindelse: {clean_name(first.summary)[:80]} – {danish_datetime(first.start)}"


def reminder_body(reminder: MeetingReminder) -> str:
    """The reminder's text: each part's time and place, and how to stop reminders."""
    greeting = clean_name(reminder.recipient.name)
    lines = [f"Hej {greeting}," if greeting else "Hej,", "",
             "Husk mødet, du er inviteret til:", ""]
    for event in sorted(reminder.events, key=lambda e: e.start):
        lines += [clean_name(event.summary), f"Tid: {_span(event)}",
                  f"Sted: {clean_name(event.location) if event.location else NO_PLACE}", ""]
    lines += ["Kan du ikke komme, så svar på invitationen eller kontakt mødets arrangør.", "",
              "Vil du ikke have påmindelser før møder, kan du slå dem fra her:",
              reminder.optout_url, "",
              "Med venlig hilsen", clean_name(reminder.sender.name) or "Familieafdelingen", "",
              "Mailen er sendt automatisk."]
    return "\n".join(lines)


def build_meeting_reminder(reminder: MeetingReminder, *, message_id_domain: str,
                           now: datetime) -> EmailMessage:
    """The complete reminder mail for one participant."""
    if not reminder.events:
        raise ValueError("Der er intet møde at minde om.")
    return _message(reminder.sender, reminder.recipient, reminder_subject(reminder.events),
                    reminder_body(reminder), message_id_domain=message_id_domain, now=now,
                    reply_to=reminder.reply_to, unsubscribe=reminder.optout_url)


def digest_body(digest: Digest, settings_url: str) -> str:
    """The digest's text: one block per section, each line with its link."""
    lines = [f"Hej {clean_name(digest.name)}," if digest.name.strip() else "Hej,", "",
             f"Her er dagens påmindelser ({da_date(digest.day)}).", ""]
    for section in digest.sections:
        lines += [section.title, "-" * len(section.title)]
        for item in section.items:
            lines.append(f"- {item.text}")
            if item.link:
                lines.append(f"  {item.link}")
        lines.append("")
    lines += ["Du får denne oversigt hver arbejdsdag, når der er noget at minde om.",
              f"Slå den fra under Påmindelser: {settings_url}", "", "Koordinator"]
    return "\n".join(lines)


def build_digest(digest: Digest, *, sender: Person, recipient: Person, settings_url: str,
                 message_id_domain: str, now: datetime) -> EmailMessage:
    """The complete digest mail for one user."""
    if digest.count == 0:
        raise ValueError("En tom oversigt sendes ikke.")
    subject = f"Dagens påmindelser: {digest.count} " + ("punkt" if digest.count == 1 else "punkter")
    return _message(sender, recipient, subject, digest_body(digest, settings_url),
                    message_id_domain=message_id_domain, now=now)
