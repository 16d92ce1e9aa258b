"""Pure iMIP (RFC 6047): meeting invites as email, and replies read from email.

``build_imip`` wraps an iTIP message from :mod:`coordinator.invites.ical` in
the mail shape that Outlook, Google and Apple show as a meeting request:

    multipart/mixed
      multipart/alternative
        text/plain                       Danish text with the personal answer link
        text/calendar; method=REQUEST    the same iTIP message, inline
      application/ics attachment         invitation.ics / aflysning.ics

Only the ``email`` package is used; nothing is sent from here. The caller
passes events already redacted for this recipient; the subject carries the
meeting's summary and time, never a place or the other attendees, and file
names never carry a name, a place or a family.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.charset import BASE64, QP, Charset
from email.encoders import encode_base64
from email.header import Header, decode_header, make_header
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from enum import StrEnum

from coordinator.invites.ical import (
    COPENHAGEN,
    Attendee,
    CalendarEvent,
    CalendarParseError,
    Person,
    Reply,
    build_cancel,
    build_declinecounter,
    build_request,
    clean_name,
    clean_text,
    is_valid_email,
    parse_reply,
)

_MAX_MAIL_BYTES = 10_000_000
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_SUBJECT_SUMMARY_MAX = 80
# The text part in quoted-printable UTF-8 (readable in the raw mail, safe in 7 bits).
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
# The Subject as base64 encoded words. Quoted-printable words (the library's choice for a
# mostly-ASCII Danish subject) are split by measuring the encoded line again for every
# character, which was a quarter of building an update mail; every mail reader decodes both.
_UTF8_B = Charset("utf-8")
_UTF8_B.header_encoding = BASE64

_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)


class MailKind(StrEnum):
    """What an invite mail tells its recipient."""

    INVITATION = "invitation"  # METHOD:REQUEST, first time
    UPDATE = "update"  # METHOD:REQUEST, raised SEQUENCE
    CANCELLATION = "cancellation"  # METHOD:CANCEL, the meeting is off
    REMOVAL = "removal"  # METHOD:CANCEL, the recipient is no longer invited
    COUNTER_DECLINED = "counter_declined"  # METHOD:DECLINECOUNTER, a proposal turned down


_METHOD = {
    MailKind.INVITATION: "REQUEST",
    MailKind.UPDATE: "REQUEST",
    MailKind.CANCELLATION: "CANCEL",
    MailKind.REMOVAL: "CANCEL",
    MailKind.COUNTER_DECLINED: "DECLINECOUNTER",
}
_FILENAME = {"REQUEST": "invitation.ics", "CANCEL": "aflysning.ics", "DECLINECOUNTER": "svar.ics"}
_SUBJECT_PREFIX = {
    MailKind.INVITATION: "Invitation",
    MailKind.UPDATE: "Ændret møde",
    MailKind.CANCELLATION: "Aflyst",
    MailKind.REMOVAL: "Du er ikke længere inviteret",
    MailKind.COUNTER_DECLINED: "Forslag om nyt tidspunkt afvist",
}
_LEAD = {
    MailKind.INVITATION: "Du er inviteret til et møde.",
    MailKind.UPDATE: "Mødet er ændret. Her er de nye oplysninger.",
    MailKind.CANCELLATION: "Mødet er aflyst.",
    MailKind.REMOVAL: "Du deltager ikke længere i dette møde, så det er fjernet fra din kalender.",
    MailKind.COUNTER_DECLINED: "Tak for dit forslag om et nyt tidspunkt. Det kan desværre ikke "
                               "lade sig gøre, så mødet holdes som planlagt:",
}
COUNTER_DECLINED_COMMENT = "Forslaget er afvist. Mødet holdes som planlagt."


@dataclass(frozen=True)
class ImipMail:
    """One invite mail to one recipient.

    ``events`` are the meeting parts this recipient takes part in, already
    redacted for them; the recipient must be an attendee of every one.
    ``sender`` is the From mailbox (the organizer or the system's address);
    ``answer_url`` is the recipient's personal answer link.
    """

    kind: MailKind
    sender: Person
    recipient: Person
    events: tuple[CalendarEvent, ...]
    answer_url: str | None = None
    reply_to: Person | None = None


def danish_datetime(value: datetime) -> str:
    """Format a moment the way a Danish reader expects, in Copenhagen time.

    Example: ``torsdag den 12. marts 2026 kl. 09.00``.
    """
    local = value.astimezone(COPENHAGEN)
    return (
        f"{_WEEKDAYS[local.weekday()]} den {local.day}. {_MONTHS[local.month - 1]} "
        f"{local.year} kl. {local:%H.%M}"
    )


def _time_span(event: CalendarEvent) -> str:
    start, end = event.start.astimezone(COPENHAGEN), event.end.astimezone(COPENHAGEN)
    if start.date() == end.date():
        return f"{danish_datetime(start)}–{end:%H.%M}"
    return f"{danish_datetime(start)} til {danish_datetime(end)}"


def mail_subject(mail: ImipMail) -> str:
    """The Subject header: kind, the first part's summary and its start.

    Summary and time only: no place and no other attendees, because subjects
    show up in notifications, previews and mail logs.
    """
    first = min(mail.events, key=lambda ev: ev.start)
    summary = clean_name(first.summary)
    if len(summary) > _SUBJECT_SUMMARY_MAX:
        summary = summary[: _SUBJECT_SUMMARY_MAX - 1].rstrip() + "…"
    return f"{_SUBJECT_PREFIX[mail.kind]}: {summary} – {danish_datetime(first.start)}"


def mail_body(mail: ImipMail) -> str:
    """The Danish plain-text body: what happened, each part's time and place,
    and (for invitations and updates) the personal answer link."""
    greeting = clean_name(mail.recipient.name)
    lines = [f"Hej {greeting}," if greeting else "Hej,", "", _LEAD[mail.kind], ""]
    for event in sorted(mail.events, key=lambda ev: ev.start):
        lines.append(clean_name(event.summary))
        label = "Første gang" if event.rrule else "Tid"
        lines.append(f"{label}: {_time_span(event)}")
        if event.location:
            lines.append(f"Sted: {clean_name(event.location)}")
        lines.append("")
    if _METHOD[mail.kind] == "REQUEST":
        if mail.answer_url:
            lines += [f"Svar på invitationen her: {mail.answer_url}", ""]
        lines += ["Du kan også svare med knapperne i din kalender (Outlook, Google eller Apple).", ""]
    organizer = clean_name(mail.events[0].organizer.name)
    lines += ["Med venlig hilsen", organizer or "Familieafdelingen", ""]
    lines.append("Mailen er sendt automatisk. Kontakt mødets arrangør, hvis noget ikke passer.")
    return clean_text("\n".join(lines)) + "\n"


def _address(person: Person) -> str:
    """The mailbox as a header value: the name RFC 2047-encoded where it is not ASCII."""
    if not is_valid_email(person.email):
        raise ValueError("Ugyldig e-mailadresse til mailen.")
    return formataddr((clean_name(person.name), person.email), charset="utf-8")


def _check(mail: ImipMail, message_id_domain: str, now: datetime) -> None:
    if not mail.events:
        raise ValueError("Der er ingen møder at sende.")
    recipient = mail.recipient.email.lower()
    for event in mail.events:
        if recipient not in {a.email.lower() for a in event.attendees}:
            raise ValueError("Modtageren skal være deltager i alle mødets dele.")
    if not _DOMAIN_RE.fullmatch(message_id_domain):
        raise ValueError("Ugyldigt domæne til Message-ID.")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("Tidspunktet for mailen skal have tidszone.")
    if mail.answer_url is not None and re.search(r"\s", mail.answer_url):
        raise ValueError("Ugyldigt svarlink.")


class _Compat32(Compat32):
    """``compat32`` that writes a header needing no folding as it is: printable ASCII (or
    tabs) that fits on its line, which ``Header.encode`` gives back unchanged (most of a
    mail's headers; the folding machinery was a fifth of writing a mail). Everything else
    is folded by ``compat32`` itself; tests compare the two on every kind of header."""

    def _unfolded(self, name: str, value: str) -> str | None:
        if (type(value) is str and self.max_line_length is not None
                and len(name) + 2 + len(value) <= self.max_line_length
                and _UNFOLDED.fullmatch(value)):
            return f"{name}: {value}{self.linesep}"
        return None

    def fold(self, name: str, value: str) -> str:
        return self._unfolded(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        line = self._unfolded(name, value)
        return line.encode("ascii") if line else super().fold_binary(name, value)


_UNFOLDED = re.compile(r"[\t\x20-\x7e]*")
_SENT = _Compat32()


_NO_BOUNDARY = frozenset({"base64", "quoted-printable"})  # encodings without "=_"


def _boundary() -> str:
    """A multipart boundary that no part's body can hold: "=_" occurs neither in base64 nor
    in quoted-printable ("=" there is always followed by two hex digits or a line break),
    the encodings of every part ``build_imip`` writes. Given, the writer does not search
    the whole mail for a random one that does not occur (a regular expression compiled per
    mail)."""
    return f"=_{secrets.token_hex(16)}"


def build_imip(mail: ImipMail, *, message_id_domain: str, now: datetime) -> Message:
    """Build the complete iMIP mail for one recipient.

    The inline text/calendar part's ``method`` parameter always equals the
    METHOD inside it, which is what makes Outlook and Google show Accept and
    Decline buttons. The same bytes are attached as an .ics file for clients
    that only look at attachments.

    Built with the ``email.mime`` classes (the ``compat32`` API): a change of a sent
    meeting builds one mail per partner inside its transaction, and the newer
    ``EmailMessage`` API parses every header it is given and refolds it on output,
    four times the cost for the same mail. ``as_sent`` gives the bytes for SMTP; read it
    with ``email.policy.default`` for the modern API (as a recipient does).
    """
    _check(mail, message_id_domain, now)
    method = _METHOD[mail.kind]
    if method == "REQUEST":
        ics = build_request(mail.events)
    elif method == "DECLINECOUNTER":
        [event] = mail.events  # one proposal is about one event
        ics = build_declinecounter(event, Attendee(mail.recipient.name, mail.recipient.email),
                                   COUNTER_DECLINED_COMMENT)
    else:
        ics = build_cancel(mail.events, whole_event=mail.kind == MailKind.CANCELLATION)

    msg = MIMEMultipart("mixed", boundary=_boundary(), policy=_SENT)
    msg["From"] = _address(mail.sender)
    msg["To"] = _address(mail.recipient)
    if mail.reply_to is not None:
        msg["Reply-To"] = _address(mail.reply_to)
    # compat32 takes a Header as a value (typeshed says str only) and folds it itself.
    msg["Subject"] = Header(mail_subject(mail), _UTF8_B, header_name="Subject")  # type: ignore[assignment]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "da"

    alternative = MIMEMultipart("alternative", boundary=_boundary())
    text = MIMENonMultipart("text", "plain", charset="utf-8")
    text.set_payload(mail_body(mail), _UTF8_QP)
    alternative.attach(text)
    inline = MIMENonMultipart("text", "calendar", method=method, charset="UTF-8")
    inline.set_payload(ics)
    encode_base64(inline)
    alternative.attach(inline)
    msg.attach(alternative)
    attachment = MIMEApplication(ics, "ics", name=_FILENAME[method])
    attachment.add_header("Content-Disposition", "attachment", filename=_FILENAME[method])
    msg.attach(attachment)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
        if not part.is_multipart() and part["Content-Transfer-Encoding"] not in _NO_BOUNDARY:
            raise ValueError("En del af mailen kunne indeholde dens skillelinje.")  # _boundary
    return msg


def as_sent(message: Message) -> bytes:
    """The mail as it goes to the SMTP server: ASCII, lines ending in CRLF, written by the
    policy it was built with (``build_imip``'s compat32, ``build_forward``'s default)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


# --- inbound -----------------------------------------------------------------


def _is_calendar_part(part: Message) -> bool:
    content_type = part.get_content_type()
    if content_type in ("text/calendar", "application/ics", "text/x-vcalendar"):
        return True
    filename = part.get_filename() or ""
    return content_type == "application/octet-stream" and filename.lower().endswith(".ics")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise CalendarParseError("Kalenderdelen af mailen kunne ikke læses.")
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return payload.decode("utf-8", errors="replace")


def _parse_inbound(raw: bytes) -> list[Reply]:
    if not isinstance(raw, (bytes, bytearray)):
        raise CalendarParseError("Mailen skal gives som bytes.")
    if len(raw) > _MAX_MAIL_BYTES:
        raise CalendarParseError("Mailen er for stor.")
    message = message_from_bytes(bytes(raw), policy=policy.compat32)
    parts = [part for part in message.walk() if not part.is_multipart() and _is_calendar_part(part)]
    if not parts:
        raise NoCalendarPart("Mailen indeholder ikke et kalendersvar.")
    replies: list[Reply] = []
    first_error: CalendarParseError | None = None
    for part in parts:
        try:
            replies.extend(parse_reply(_part_text(part)))
        except CalendarParseError as error:
            first_error = first_error or error
    if not replies:
        raise first_error or CalendarParseError("Mailen indeholder ikke et kalendersvar.")
    return list(dict.fromkeys(replies))


class NoCalendarPart(CalendarParseError):
    """The mail has no calendar part at all: a person wrote it (see ``human_reply``)."""


@dataclass(frozen=True)
class HumanReply:
    """A plain reply a person wrote to one of our mails (no calendar part)."""

    sender: str
    subject: str
    text: str
    references: tuple[str, ...]  # Message-IDs from In-Reply-To and References


_MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,250}>")
_TAG_RE = re.compile(r"<[^>]*>")
_HUMAN_TEXT_MAX = 20_000


def human_reply(raw: bytes) -> HumanReply | None:
    """The sender, subject, text and referenced Message-IDs of a plain reply, or None
    when the mail cannot be read. The text is the first text/plain part (or the
    text/html part without its tags), cleaned and cut to a readable length."""
    try:
        message = message_from_bytes(bytes(raw), policy=policy.compat32)
        sender = parseaddr(str(message.get("From", "")))[1].lower()
        references = tuple(dict.fromkeys(
            _MESSAGE_ID_RE.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")))
        plain = html = None
        for part in message.walk():
            if part.is_multipart() or part.get_filename():
                continue
            if part.get_content_type() == "text/plain" and plain is None:
                plain = _part_text(part)
            elif part.get_content_type() == "text/html" and html is None:
                html = _TAG_RE.sub(" ", _part_text(part))
        subject = clean_name(str(make_header(decode_header(str(message.get("Subject", ""))))))
    except Exception:
        return None
    text = clean_text(plain if plain is not None else html or "").strip()[:_HUMAN_TEXT_MAX]
    if not is_valid_email(sender):
        return None
    return HumanReply(sender, subject[:200], text, references)


def build_forward(reply: HumanReply, *, sender: Person, recipient: Person, meeting_title: str,
                  participant_name: str, reply_to: Person | None, message_id_domain: str,
                  now: datetime) -> EmailMessage:
    """The mail that passes a participant's plain reply on to the responsible socialrådgiver.

    ``reply_to`` is the participant when the socialrådgiver may answer them directly
    (never for the father or anyone kept apart: they are answered through the department).
    """
    lines = [f"{clean_name(participant_name)} har svaret på invitationen til "
             f"»{clean_name(meeting_title)}« med en almindelig mail. Svaret er sendt videre "
             "til dig, fordi det ikke er et kalendersvar.", ""]
    if reply_to is None:
        lines += ["Svar ikke direkte fra din egen postkasse: afsenderen kontaktes gennem "
                  "afdelingen.", ""]
    lines += [f"Emne: {reply.subject}" if reply.subject else "Emne: (intet)", "", "Besked:",
              reply.text or "(tom besked)", ""]
    msg = EmailMessage()
    msg["From"] = _address(sender)
    msg["To"] = _address(recipient)
    if reply_to is not None:
        msg["Reply-To"] = _address(reply_to)
    msg["Subject"] = f"Svar fra {clean_name(participant_name)}: {clean_name(meeting_title)}"[:200]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "da"
    msg.set_content(clean_text("\n".join(lines)) + "\n", cte="quoted-printable")
    return msg


def parse_inbound(raw: bytes) -> list[Reply]:
    """Extract iTIP replies from a raw RFC 5322 mail as the inbound hook gets it.

    Finds text/calendar parts whether inline or attached, base64 or
    quoted-printable, and returns their replies once each (Outlook often sends
    the same REPLY inline and as attachment). Anything unusable raises
    CalendarParseError with a Danish message; no other exception escapes.
    The caller must still check that the answering attendee was invited.
    """
    try:
        return _parse_inbound(raw)
    except CalendarParseError:
        raise
    except Exception:
        raise CalendarParseError("Mailen kunne ikke læses.") from None
