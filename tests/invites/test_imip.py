"""Tests for coordinator.invites.imip: invite mails out, replies in."""

from __future__ import annotations

import base64
import quopri
import smtplib
from dataclasses import replace
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from coordinator.invites.ical import (
    Attendee,
    CalendarEvent,
    CalendarParseError,
    PartStat,
    Person,
    Reply,
    build_request,
)
from coordinator.invites.imip import ImipMail, MailKind, as_sent, build_imip, danish_datetime, parse_inbound
from tests.support.smtp import smtp_server_fixture

CPH = ZoneInfo("Europe/Copenhagen")
UTC = timezone.utc
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ORGANIZER = Person("Sofie Sørensen", "sofie.sorensen@randers.dk")
SYSTEM = Person("Familieafdelingen, Randers Kommune", "moeder@koordinator.randers.dk")
TEACHER = Attendee("Jens Ølgaard", "jens@skole.randers.dk")
MOTHER = Attendee("Mor", "mor@example.dk")
SECRET_PLACE = "Krisecentret, Hemmeligvej 7"

smtp_server = smtp_server_fixture()


def make_event(**changes) -> CalendarEvent:
    event = CalendarEvent(
        uid="m-100-del-1@koordinator.test",
        sequence=0,
        dtstamp=NOW,
        start=datetime(2026, 3, 12, 9, 0, tzinfo=CPH),
        end=datetime(2026, 3, 12, 10, 30, tzinfo=CPH),
        summary="Netværksmøde",
        organizer=ORGANIZER,
        attendees=(TEACHER, MOTHER),
        location="Rådhuset, lokale 4",
    )
    return replace(event, **changes)


def make_mail(**changes) -> ImipMail:
    mail = ImipMail(
        kind=MailKind.INVITATION,
        sender=SYSTEM,
        recipient=Person(TEACHER.name, TEACHER.email),
        events=(make_event(),),
        answer_url="https://koordinator.randers.dk/svar/3q2+7Zk_token",
        reply_to=ORGANIZER,
    )
    return replace(mail, **changes)


def built(mail: ImipMail, **options) -> EmailMessage:
    """The mail as its recipient reads it: the bytes it is sent as, parsed with the modern
    API (``build_imip`` builds with the faster compat32 classes)."""
    return message_from_bytes(as_sent(build_imip(mail, **options)), policy=policy.default)


def calendar_parts(msg: EmailMessage):
    inline = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in msg.walk() if p.get_content_type() == "application/ics"]
    return inline, attached


# --- building ----------------------------------------------------------------


def test_invitation_has_the_imip_structure_outlook_shows_as_a_request():
    msg = built(make_mail(), message_id_domain="koordinator.randers.dk", now=NOW)
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    text, inline = alternative.get_payload()
    assert text.get_content_type() == "text/plain"
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invitation.ics"
    assert inline.get_payload(decode=True) == attachment.get_payload(decode=True)
    calendar = Calendar.from_ical(inline.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert vevent["ORGANIZER"] == "mailto:sofie.sorensen@randers.dk"
    assert "mailto:jens@skole.randers.dk" in [str(a) for a in vevent["ATTENDEE"]]


def test_headers_are_danish_and_complete():
    msg = built(make_mail(), message_id_domain="koordinator.randers.dk", now=NOW)
    assert msg["From"].addresses[0].addr_spec == "moeder@koordinator.randers.dk"
    assert msg["From"].addresses[0].display_name == "Familieafdelingen, Randers Kommune"
    assert msg["To"].addresses[0].addr_spec == "jens@skole.randers.dk"
    assert msg["Reply-To"].addresses[0].addr_spec == "sofie.sorensen@randers.dk"
    assert msg["Subject"] == "Invitation: Netværksmøde – torsdag den 12. marts 2026 kl. 09.00"
    assert msg["Message-ID"].endswith("@koordinator.randers.dk>")
    assert msg["Date"].datetime == NOW
    assert msg["Auto-Submitted"] == "auto-generated"


LONG = "Marie-Louise Kirstine Østergaard-Bønnelykke Christiansen, afdelingsleder"
ASCII_LONG = "Network coordination meeting about the family, with every partner " * 2


def test_headers_about_a_line_long_are_folded_as_compat32_folds_them():
    for length in range(60, 90):  # "To: " and the address about 78 characters, with spaces
        name = ("Ole Berg " * 10)[:length - len(" <ole@example.org>")].strip() or "Ole"
        recipient = Person(name, "ole@example.org")
        events = (make_event(attendees=(Attendee(name, recipient.email),)),)
        message = build_imip(make_mail(recipient=recipient, events=events),
                             message_id_domain="koordinator.test", now=NOW)
        assert as_sent(message) == message.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize(("sender", "recipient", "summary"), [
    (SYSTEM, Person(TEACHER.name, TEACHER.email), "Netværksmøde"),
    (Person(LONG, "moeder@koordinator.test"), Person("Ole\tBerg  ", "ole@example.org"),
     ASCII_LONG),
    (Person("A", "a@example.org"), Person(LONG, "long.named.partner@sundhed.example.org"),
     LONG * 2),
    (Person("Plain Name", "plain@example.org"), Person("=?utf-8?q?x?= Kim", "kim@example.org"),
     "Møde; kl. 9 – \"vigtigt\""),
])
def test_a_mail_is_written_as_compat32_writes_it(kind, sender, recipient, summary):
    """Headers that need no folding are written as they are; the bytes are compat32's
    (the boundaries are the mail's own, so both writings use the same)."""
    attendee = Attendee(recipient.name, recipient.email)
    events = (make_event(summary=summary, attendees=(attendee, MOTHER)),)
    message = build_imip(make_mail(kind=kind, sender=sender, recipient=recipient, events=events,
                                   reply_to=Person(LONG, "r@example.org")),
                         message_id_domain="koordinator.test", now=NOW)
    written = as_sent(message)
    assert written == message.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
    assert message.as_string() == message.as_string(policy=policy.compat32)
    boundaries = [part.get_boundary() for part in message.walk() if part.is_multipart()]
    assert len(boundaries) == 2 and all(b.startswith("=_") for b in boundaries)
    for boundary in map(str.encode, boundaries):  # only where it is the boundary
        lines = [line for line in written.split(b"\r\n") if boundary in line]
        assert lines[0].endswith(b'boundary="' + boundary + b'"')
        assert set(lines[1:]) == {b"--" + boundary, b"--" + boundary + b"--"}
    assert as_sent(message) == written  # the boundaries stay as built


@pytest.mark.parametrize("kind", list(MailKind))
def test_content_language_is_on_the_mail_as_sent(kind):
    """set_content() used to drop the header again, so no mail carried it."""
    msg = built(make_mail(kind=kind), message_id_domain="koordinator.randers.dk", now=NOW)
    sent = message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert sent["Content-Language"] == "da"
    assert sent.get_all("Content-Language") == ["da"]


def test_body_is_danish_with_time_place_and_personal_answer_link():
    msg = built(make_mail(), message_id_domain="koordinator.randers.dk", now=NOW)
    body = msg.get_body(("plain",)).get_content()
    assert "Hej Jens Ølgaard," in body
    assert "Du er inviteret til et møde." in body
    assert "Tid: torsdag den 12. marts 2026 kl. 09.00–10.30" in body
    assert "Sted: Rådhuset, lokale 4" in body
    assert "Svar på invitationen her: https://koordinator.randers.dk/svar/3q2+7Zk_token" in body
    assert "Sofie Sørensen" in body


@pytest.mark.parametrize(
    ("kind", "method", "filename", "subject_start"),
    [
        (MailKind.INVITATION, "REQUEST", "invitation.ics", "Invitation:"),
        (MailKind.UPDATE, "REQUEST", "invitation.ics", "Ændret møde:"),
        (MailKind.CANCELLATION, "CANCEL", "aflysning.ics", "Aflyst:"),
        (MailKind.REMOVAL, "CANCEL", "aflysning.ics", "Du er ikke længere inviteret:"),
    ],
)
def test_method_parameter_always_matches_method_inside(kind, method, filename, subject_start):
    mail = make_mail(kind=kind, events=(make_event(sequence=2),))
    msg = built(mail, message_id_domain="koordinator.randers.dk", now=NOW)
    [inline], [attachment] = calendar_parts(msg)
    assert inline.get_param("method") == method
    assert str(Calendar.from_ical(inline.get_payload(decode=True))["METHOD"]) == method
    assert attachment.get_filename() == filename
    assert msg["Subject"].startswith(subject_start)
    [vevent] = Calendar.from_ical(inline.get_payload(decode=True)).walk("VEVENT")
    assert vevent["SEQUENCE"] == 2
    if kind == MailKind.CANCELLATION:
        assert str(vevent["STATUS"]) == "CANCELLED"
    if kind == MailKind.REMOVAL:
        assert "STATUS" not in vevent
    body = msg.get_body(("plain",)).get_content()
    assert ("Svar på invitationen" in body) is (method == "REQUEST")


def test_subject_and_file_names_never_carry_place_or_other_attendees():
    event = make_event(location=SECRET_PLACE, attendees=(TEACHER, Attendee("Far Farsen", "far@example.dk")))
    msg = built(make_mail(events=(event,)), message_id_domain="koordinator.randers.dk", now=NOW)
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    for secret in ("Krisecentret", "Hemmeligvej", "Farsen", "far@example.dk"):
        assert secret not in headers
    for part in msg.walk():
        assert "Krisecentret" not in (part.get_filename() or "")
        assert "Farsen" not in (part.get_filename() or "")
        for value in part.values():
            assert "Krisecentret" not in str(value)


def test_long_summary_is_shortened_in_the_subject():
    msg = built(make_mail(events=(make_event(summary="Æ" * 200),)), message_id_domain="k.dk", now=NOW)
    assert msg["Subject"].startswith("Invitation: " + "Æ" * 79 + "…")


@pytest.mark.parametrize(
    "evil",
    [
        "Jens\r\nBcc: far@example.dk",
        "Jens\nX-Injected: 1",
        "Jens\rSubject: Hej",
        'Jens" <far@example.dk>, "x',
    ],
)
def test_names_cannot_inject_mail_headers(evil):
    mail = make_mail(
        recipient=Person(evil, TEACHER.email),
        sender=Person(evil, SYSTEM.email),
        events=(make_event(summary=evil, attendees=(Attendee(evil, TEACHER.email),)),),
    )
    msg = built(mail, message_id_domain="koordinator.randers.dk", now=NOW)
    raw = msg.as_bytes()
    reparsed = message_from_bytes(raw, policy=policy.default)
    assert reparsed["Bcc"] is None and reparsed["X-Injected"] is None
    assert len(reparsed.get_all("Subject")) == 1
    assert [a.addr_spec for a in reparsed["To"].addresses] == [TEACHER.email]
    assert [a.addr_spec for a in reparsed["From"].addresses] == [SYSTEM.email]


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient": Person("Far", "far@example.dk")},
        {"events": ()},
        {"answer_url": "https://k.dk/svar\r\nBcc: far@example.dk"},
        {"sender": Person("X", "x@y.dk\r\nBcc: far@example.dk")},
    ],
    ids=["recipient-not-attendee", "no-events", "bad-url", "bad-sender"],
)
def test_invalid_mails_are_refused(changes):
    with pytest.raises(ValueError):
        build_imip(make_mail(**changes), message_id_domain="koordinator.randers.dk", now=NOW)


@pytest.mark.parametrize(
    ("domain", "now"),
    [("bad domain", NOW), ("k.dk>\r\nBcc: x", NOW), ("k.dk", datetime(2026, 3, 1, 8, 0))],
)
def test_invalid_message_id_domain_or_naive_time_is_refused(domain, now):
    with pytest.raises(ValueError):
        build_imip(make_mail(), message_id_domain=domain, now=now)


def test_danish_datetime_uses_copenhagen_time():
    assert danish_datetime(datetime(2026, 7, 5, 7, 5, tzinfo=UTC)) == "søndag den 5. juli 2026 kl. 09.05"
    assert danish_datetime(datetime(2026, 12, 7, 8, 0, tzinfo=UTC)) == "mandag den 7. december 2026 kl. 09.00"


def test_multi_part_meeting_lists_every_part_in_the_body():
    parts = (
        make_event(uid="fr-1@k.test", summary="Familierådslagning – information", attendees=(TEACHER,)),
        make_event(
            uid="fr-3@k.test",
            summary="Familierådslagning – planen",
            start=datetime(2026, 3, 12, 12, 0, tzinfo=CPH),
            end=datetime(2026, 3, 12, 13, 0, tzinfo=CPH),
            attendees=(TEACHER,),
        ),
    )
    msg = built(make_mail(events=parts), message_id_domain="k.dk", now=NOW)
    body = msg.get_body(("plain",)).get_content()
    assert body.index("information") < body.index("planen")
    [inline], _ = calendar_parts(msg)
    assert len(Calendar.from_ical(inline.get_payload(decode=True)).walk("VEVENT")) == 2


# --- through a real SMTP server ----------------------------------------------


def test_imip_mail_survives_a_real_smtp_server(smtp_server):
    msg = built(make_mail(), message_id_domain="koordinator.randers.dk", now=NOW)
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(msg)
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == SYSTEM.email
    assert received.rcpt_tos == (TEACHER.email,)

    mail = message_from_bytes(received.data, policy=policy.default)
    assert mail["Subject"] == "Invitation: Netværksmøde – torsdag den 12. marts 2026 kl. 09.00"
    inline = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert len(inline) == 1
    calendar = Calendar.from_ical(inline[0].get_payload(decode=True))
    assert inline[0].get_param("method") == str(calendar["METHOD"]) == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == "m-100-del-1@koordinator.test"
    assert str(vevent["SUMMARY"]) == "Netværksmøde"
    assert vevent["DTSTART"].dt == datetime(2026, 3, 12, 9, 0, tzinfo=CPH)
    assert "https://koordinator.randers.dk/svar/3q2+7Zk_token" in mail.get_body(("plain",)).get_content()


# --- inbound replies ---------------------------------------------------------


def reply_ics(partstat: str = "ACCEPTED", sequence: int = 0, uid: str = "m-100-del-1@koordinator.test") -> bytes:
    """A REPLY as Outlook writes it (built here by hand on purpose: foreign input)."""
    return (
        "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\n"
        f"ATTENDEE;PARTSTAT={partstat};CN=Jens Ølgaard:mailto:jens@skole.randers.dk\r\n"
        "COMMENT;LANGUAGE=da-DK:Jeg kommer gerne.\r\n"
        "SUMMARY;LANGUAGE=da-DK:Accepteret: Netværksmøde\r\n"
        "DTSTART:20260312T080000Z\r\n"
        f"UID:{uid}\r\nSEQUENCE:{sequence}\r\nDTSTAMP:20260305T101500Z\r\n"
        "ORGANIZER;CN=Sofie Sørensen:mailto:sofie.sorensen@randers.dk\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


HEADERS = (
    "From: Jens =?utf-8?q?=C3=98lgaard?= <jens@skole.randers.dk>\r\n"
    "To: moeder@koordinator.randers.dk\r\n"
    "Subject: Accepteret: =?utf-8?q?Netv=C3=A6rksm=C3=B8de?=\r\n"
    "Date: Thu, 05 Mar 2026 11:15:00 +0100\r\n"
    "Message-ID: <svar-1@skole.randers.dk>\r\n"
    "MIME-Version: 1.0\r\n"
)


def outlook_mail(ics: bytes) -> bytes:
    """Outlook style: text/plain + inline text/calendar method=REPLY, base64."""
    encoded = base64.encodebytes(ics).decode().replace("\n", "\r\n")
    return (
        HEADERS
        + 'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Jeg kommer gerne.\r\n"
        "--b1\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REPLY\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}"
        "--b1--\r\n"
    ).encode()


def google_mail(ics: bytes) -> bytes:
    """Google style: inline text/calendar (quoted-printable) plus the same as an attachment."""
    qp = quopri.encodestring(ics).decode()
    b64 = base64.encodebytes(ics).decode().replace("\n", "\r\n")
    return (
        HEADERS
        + 'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        '--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        "--inner\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nJens har accepteret.\r\n"
        "--inner\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REPLY\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        f"{qp}\r\n"
        "--inner--\r\n"
        '--outer\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{b64}"
        "--outer--\r\n"
    ).encode()


def attachment_only_mail(ics: bytes) -> bytes:
    """Some clients only attach the answer, as application/octet-stream."""
    b64 = base64.encodebytes(ics).decode().replace("\n", "\r\n")
    return (
        HEADERS
        + 'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        "--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSvar vedhæftet.\r\n"
        '--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="svar.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{b64}"
        "--m--\r\n"
    ).encode()


EXPECTED_REPLY = Reply(
    uid="m-100-del-1@koordinator.test",
    sequence=0,
    attendee_email="jens@skole.randers.dk",
    partstat=PartStat.ACCEPTED,
    recurrence_id=None,
    comment="Jeg kommer gerne.",
    dtstamp=datetime(2026, 3, 5, 10, 15, tzinfo=UTC),
)


@pytest.mark.parametrize("style", [outlook_mail, google_mail, attachment_only_mail])
def test_parse_inbound_reply_from_common_clients(style):
    assert parse_inbound(style(reply_ics())) == [EXPECTED_REPLY]


def test_parse_inbound_reads_the_partstat_and_sequence():
    [reply] = parse_inbound(outlook_mail(reply_ics(partstat="DECLINED", sequence=3)))
    assert (reply.partstat, reply.sequence) == (PartStat.DECLINED, 3)


def test_parse_inbound_of_a_reply_mail_built_with_the_email_package():
    msg = EmailMessage()
    msg["From"] = "jens@skole.randers.dk"
    msg["Subject"] = "Svar"
    msg.set_content("Se svar")
    msg.add_alternative(reply_ics(partstat="TENTATIVE"), maintype="text", subtype="calendar", params={"method": "REPLY"})
    [reply] = parse_inbound(msg.as_bytes())
    assert reply.partstat is PartStat.TENTATIVE


GARBAGE_MAILS = {
    "empty": b"",
    "no calendar": HEADERS.encode() + b"Content-Type: text/plain\r\n\r\nHej\r\n",
    "request not reply": outlook_mail(build_request([make_event()])).replace(b"method=REPLY", b"method=REQUEST"),
    "broken calendar": outlook_mail(b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"),
    "bad base64": outlook_mail(reply_ics()).replace(
        base64.encodebytes(reply_ics())[:40].replace(b"\n", b"\r\n"), b"%%% kein base64 ###\xff\xfe"
    ),
    "binary": bytes(range(256)) * 4,
    "not bytes": "BEGIN:VCALENDAR",
    "huge": b"Subject: x\r\n\r\n" + b"a" * 11_000_000,
}


@pytest.mark.parametrize("raw", GARBAGE_MAILS.values(), ids=GARBAGE_MAILS.keys())
def test_garbage_mail_raises_calendar_parse_error_in_danish(raw):
    with pytest.raises(CalendarParseError) as error:
        parse_inbound(raw)
    assert str(error.value)
    assert "jens@" not in str(error.value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_fuzz_parse_inbound_raises_nothing_but_calendar_parse_error(raw):
    try:
        parse_inbound(raw)
    except CalendarParseError:
        pass


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(google_mail(reply_ics()))), junk=st.binary(max_size=30))
def test_fuzz_damaged_reply_mail_raises_nothing_but_calendar_parse_error(position, junk):
    raw = google_mail(reply_ics())
    try:
        replies = parse_inbound(raw[:position] + junk + raw[position:])
    except CalendarParseError:
        return
    assert all(isinstance(r, Reply) for r in replies)
