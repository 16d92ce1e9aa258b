"""Reminders through the outbox and a real SMTP server: the daily digest (content, once per
user per day, nothing when there is nothing to say, switched off), the reminder before a
meeting (once per meeting time, a moved meeting gets a new one, the opt-out link, the
father's redaction) and the calendar alarm in the invitation."""

from __future__ import annotations

import re
from datetime import date, timedelta

from icalendar import Calendar

from coordinator import clock as app_clock
from coordinator.agreements import service as agreements
from coordinator.agreements.cadence import add_months
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.invites import worker
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting, MeetingPart
from coordinator.network.tables import Organisation
from coordinator.reminders import digest, preferences
from coordinator.reminders import service as reminders
from coordinator.reminders.tables import DigestRun
from tests import conftest, factories
from tests.invites import support
from tests.support.smtp import smtp_server_fixture

smtp_server = smtp_server_fixture()

PROTECTED = (support.CENTRE_NAME, support.CENTRE_ADDRESS, "Hemmelig Vej", support.MOTHER_ADDRESS,
             "Skjultvej", "70 10 11 12", "Krisecenter")


async def deliver(server) -> list:
    """Run the worker's delivery in this process until nothing is due; the mails the SMTP
    server accepted meanwhile."""
    before = len(server.messages)
    target = worker.parse_smtp_url(f"smtp://{server.host}:{server.port}")
    total = 0
    while handled := await worker.deliver_batch(target, "koordinator@example.invalid", "test"):
        total += handled
    return server.wait_for(before + total)[before:]


def body(received) -> str:
    """The plain-text body of a received mail."""
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/plain"]
    return part.get_content()


def everything(received) -> str:
    """Every header and the body: what a recipient can read."""
    return "\n".join(f"{k}: {v}" for k, v in received.message.items()) + "\n" + body(received)


def digest_day() -> date:
    """A working day three weeks ahead whose next working day is the meeting's day."""
    return support.working_day(21)


async def invited_meeting(on: date, hour: int = 10, *, with_father: bool = True) -> support.Scenario:
    """The test family's network meeting, sent a week before ``on`` (clock pinned there),
    held at ``hour`` on the first working day after ``on``."""
    app_clock.pin(support.at(on - timedelta(days=7), 8))
    s = await support.scenario(with_father=with_father)
    meeting_day = digest.next_days(on)[1]
    parts = await meetings.parts_of(s.meeting_id)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION,
                             {parts[0]["key"]: (support.at(meeting_day, hour),
                                                support.at(meeting_day, hour + 2))})
    await support.send(s)
    return s


async def test_digest_lists_unanswered_invitations_and_next_meetings_once_a_day(smtp_server):
    day = digest_day()
    s = await invited_meeting(day)
    await deliver(smtp_server)  # the invitations go out a week before

    app_clock.pin(support.at(day, 6, 30))  # before the digest's time of day: nothing yet
    assert await reminders.run_due(conftest.test_settings()) == (0, 0)

    app_clock.pin(support.at(day, 8))
    assert (await reminders.run_due(conftest.test_settings()))[0] == 1
    [received] = await deliver(smtp_server)
    assert received.rcpt_tos == ("sara@kommune.example.org",)
    assert received.message["Subject"].startswith("Dagens påmindelser")
    text = body(received)
    for name in ("Lars Lærer", "Maria Hansen", "Frank Hansen"):
        assert f"{name} har ikke svaret på »Netværksmøde om Emma Marie Hansen«" in text
    assert digest.SECTION_MEETINGS in text and "Rådhuset, mødelokale 2" in text
    assert f"https://testserver.local/meetings/{s.meeting_id}" in text
    assert "https://testserver.local/paamindelser/" in text
    assert not [fact for fact in PROTECTED if fact in everything(received)]

    # Once per user per day: later runs that day queue nothing.
    app_clock.advance(timedelta(hours=3))
    assert (await reminders.run_due(conftest.test_settings()))[0] == 0
    assert await OutboxMessage.count().where(OutboxMessage.kind == "DIGEST") == 1
    # A delivered digest's text is not kept (it names families).
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "DIGEST")
    assert row["status"] == "sent" and row["message"] == ""
    audited = await AuditEvent.select().where(AuditEvent.entity == reminders.DIGEST_ENTITY)
    assert [(a["family_id"], a["username"]) for a in audited] == [(s.family["id"], s.worker.username)]

    # The next working day has its own digest.
    next_day = digest.next_days(day)[1]
    app_clock.pin(support.at(next_day, 7, 5))
    assert (await reminders.run_due(conftest.test_settings()))[0] == 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == "DIGEST") == 2


async def test_nothing_to_say_sends_nothing_and_a_switched_off_digest_is_not_sent(smtp_server):
    day = digest_day()
    s = await invited_meeting(day)
    await deliver(smtp_server)  # the invitations
    idle = await factories.user("leder", email="leder@kommune.example.org")
    await preferences.save_choice(s.worker.id, preferences.Choice(digest=False))
    app_clock.pin(support.at(day, 9))
    assert (await reminders.run_due(conftest.test_settings()))[0] == 0
    assert await deliver(smtp_server) == []
    runs = await DigestRun.select(DigestRun.user, DigestRun.items)
    assert runs == [{"user": idle.id, "items": 0}]  # decided for the day, nothing sent


async def test_meeting_reminder_once_per_time_with_opt_out_and_redaction(smtp_server, client):
    day = digest_day()
    s = await invited_meeting(day)
    invitations = await deliver(smtp_server)
    meeting_day = digest.next_days(day)[1]
    start = support.at(meeting_day, 10)

    app_clock.pin(start - timedelta(hours=25))  # outside MEETING_REMINDER_HOURS (24)
    assert (await reminders.run_due(conftest.test_settings()))[1] == 0
    app_clock.pin(start - timedelta(hours=23))
    assert (await reminders.run_due(conftest.test_settings()))[1] == 4  # mother, teacher, father, socialrådgiver
    assert (await reminders.run_due(conftest.test_settings()))[1] == 0  # once per participant and meeting time
    by_recipient = {m.rcpt_tos[0]: m for m in await deliver(smtp_server)}
    assert set(by_recipient) == {"mor@example.net", "laerer@skole.example.org", "far@example.net",
                                 "sara@kommune.example.org"}
    for received in by_recipient.values():
        assert received.message["Subject"].startswith("Påmindelse: ")
        assert "Tid: " in body(received)
    father = everything(by_recipient["far@example.net"])
    assert not [fact for fact in PROTECTED if fact in father]
    assert "Reply-To" not in by_recipient["far@example.net"].message
    # The invitation's VEVENT carries the calendar alarm.
    to_teacher = [m for m in invitations if m.rcpt_tos == ("laerer@skole.example.org",)]
    assert alarms(to_teacher[0]) == ["-PT1H"]

    # The teacher opts out with the link in the mail (no account).
    link = re.search(r"https://testserver\.local(/paamindelser/fra/\S+)",
                     body(by_recipient["laerer@skole.example.org"])).group(1)
    page = await client.get(link)
    assert page.status_code == 200 and "Stop påmindelser før møder" in page.text
    assert await preferences.opted_out("laerer@skole.example.org") is False  # a GET decides nothing
    answer = await factories.post_form(client, link, {"reminders": "off"}, page=link)
    assert answer.status_code == 200 and "Du får ikke flere påmindelser" in answer.text
    assert await preferences.opted_out("LAERER@skole.example.org")
    assert (await client.get("/paamindelser/fra/ukendt-link")).status_code == 404

    # The meeting moves: a new reminder for its new time, none for the teacher, and the
    # teacher's updated invitation has no alarm.
    parts = await meetings.parts_of(s.meeting_id)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION,
                             {parts[0]["key"]: (support.at(meeting_day, 13), support.at(meeting_day, 15))})
    updates = {m.rcpt_tos[0]: m for m in await deliver(smtp_server)}
    assert alarms(updates["laerer@skole.example.org"]) == []
    assert alarms(updates["mor@example.net"]) == ["-PT1H"]
    app_clock.pin(support.at(meeting_day, 13) - timedelta(hours=2))
    assert (await reminders.run_due(conftest.test_settings()))[1] == 3
    assert sorted(m.rcpt_tos[0] for m in await deliver(smtp_server)
                  if m.message["Subject"].startswith("Påmindelse: ")) == [
        "far@example.net", "mor@example.net", "sara@kommune.example.org"]
    audited = await AuditEvent.select().where((AuditEvent.username == "påmindelse")
                                              & (AuditEvent.action == "send"))
    assert len(audited) == 2


def alarms(received) -> list[str]:
    """The TRIGGERs of the VALARMs in a mail's inline calendar part."""
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    return [alarm["TRIGGER"].to_ical().decode() for alarm in calendar.walk("VALARM")]


async def test_a_user_who_turned_meeting_reminders_off_gets_neither_mail_nor_alarm(smtp_server):
    day = digest_day()
    worker_user = await factories.user("socialraadgiver")
    await preferences.save_choice(worker_user.id, preferences.Choice(meeting_reminders=False))
    assert await preferences.wants_meeting_reminders("x@example.org", worker_user.id) is False
    s = await invited_meeting(day, with_father=False)
    await preferences.save_choice(s.worker.id, preferences.Choice(meeting_reminders=False))
    start = support.at(digest.next_days(day)[1], 10)
    app_clock.pin(start - timedelta(hours=1))
    assert (await reminders.run_due(conftest.test_settings()))[1] == 2  # mother and teacher, not Sara
    mails = [m for m in await deliver(smtp_server) if m.message["Subject"].startswith("Påmindelse: ")]
    assert sorted(m.rcpt_tos[0] for m in mails) == ["laerer@skole.example.org", "mor@example.net"]


async def test_digest_lists_due_evaluations_and_follow_ups_to_whom_they_concern(smtp_server):
    """The leader gets every agreement's due evaluation; the socialrådgiver the ones she
    wrote and her families' follow-ups; a colleague not on the team none of them."""
    day = digest_day()
    app_clock.pin(support.at(day, 8))
    sara = await factories.user("socialraadgiver", full_name="Sara Rådgiver",
                                email="sara@kommune.example.org")
    await factories.user("leder", full_name="Lene Leder", email="lene@kommune.example.org")
    other = await factories.user("socialraadgiver", full_name="Ole Anden",
                                 email="ole@kommune.example.org")
    family_id = await factories.family(sara, name="Familien Holm")
    partner = (await Organisation.insert(Organisation(name="Sundhedsplejen", kind="health",
                                                      sector="health")))[0]["id"]
    # Started 3 months and a day ago, evaluated every 3 months: the evaluation is overdue.
    await agreements.create_agreement(sara, agreements.AgreementInput(
        "Aftale om hjemmebesøg", partner, add_months(day, -3) - timedelta(days=1),
        add_months(day, 12), 3))
    # A familierådslagning held 3 months and 2 days ago, no follow-up planned.
    held = support.at(add_months(day, -3) - timedelta(days=2), 10)
    meeting = (await Meeting.insert(Meeting(family=family_id, kind="familieraadslagning",
                                            title="Familierådslagning", status="held",
                                            organiser=sara.id)))[0]["id"]
    await MeetingPart.insert(MeetingPart(meeting=meeting, key="plan", label="Plan",
                                         starts_at=held, ends_at=held + timedelta(hours=2)))

    assert (await reminders.run_due(conftest.test_settings()))[0] == 2  # Sara and Lene; Ole has nothing
    mails = {m.rcpt_tos[0]: body(m) for m in await deliver(smtp_server)}
    assert set(mails) == {"sara@kommune.example.org", "lene@kommune.example.org"}
    assert "Evaluering af »Aftale om hjemmebesøg«" in mails["lene@kommune.example.org"]
    assert "(overskredet)" in mails["lene@kommune.example.org"]
    assert "Familien Holm" not in mails["lene@kommune.example.org"]  # not on the team
    assert "Evaluering af »Aftale om hjemmebesøg«" in mails["sara@kommune.example.org"]
    assert "Familien Holm: Familierådslagning" in mails["sara@kommune.example.org"]
    assert "opfølgningsmødet skulle være holdt" in mails["sara@kommune.example.org"]
    assert f"https://testserver.local/families/{family_id}" in mails["sara@kommune.example.org"]
    assert await DigestRun.count().where(DigestRun.user == other.id) == 1


async def test_digest_reminds_the_socialraadgiver_of_those_no_reminder_mail_reaches(smtp_server):
    """Issue 17, 3a: reminders before a meeting are mailed only to e-mail participants; the
    socialrådgiver's digest the day before says whom to ring or remind, so nobody is
    forgotten – not those who are mailed, said no, or are colleagues."""
    day = digest_day()
    app_clock.pin(support.at(day - timedelta(days=7), 8))
    s = await support.scenario(with_father=False)
    grandmother = await support._person(s.family["id"], "Grethe Mormor", "relative",
                                        phone="70 10 44 55")
    neighbour = await support._person(s.family["id"], "Niels Nabo", "private_network")
    declined = await support._person(s.family["id"], "Dorte Moster", "relative",
                                     phone="70 10 44 66")
    await meetings.add_participants(s.worker, await s.meeting(), ANY_VERSION, [
        meetings.NewParticipant(person_id=grandmother),
        meetings.NewParticipant(person_id=neighbour, channel="letter"),
        meetings.NewParticipant(person_id=declined)])
    meeting_day = digest.next_days(day)[1]
    parts = await meetings.parts_of(s.meeting_id)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION, {parts[0]["key"]: (
        support.at(meeting_day, 10), support.at(meeting_day, 12))})
    await support.send(s)
    await meetings.record_answer_for(s.worker, await s.meeting(), next(
        p["id"] for p in await meetings.participants_of(s.meeting_id) if p["person"] == declined),
        "DECLINED", "phone", "")
    await deliver(smtp_server)

    app_clock.pin(support.at(day, 8))
    assert (await reminders.run_due(conftest.test_settings()))[0] == 1
    [received] = [m for m in await deliver(smtp_server)
                  if m.message["Subject"].startswith("Dagens påmindelser")]
    text = body(received)
    assert digest.SECTION_REMIND in text
    when = "i morgen" if meeting_day == day + timedelta(days=1) else "den"
    title = "»Netværksmøde om Emma Marie Hansen«"
    assert f"Ring til Grethe Mormor, og mind om {title} " in text
    assert f"Husk at minde Niels Nabo om {title} " in text and "(inviteret med brev)" in text
    assert f"Husk at minde Emma Marie Hansen om {title} " in text  # via the socialrådgiver
    assert when in text.split(digest.SECTION_REMIND, 1)[1]
    for mailed in ("Maria Hansen", "Lars Lærer", "Dorte Moster", "Sara Rådgiver"):
        assert f"minde {mailed}" not in text and f"Ring til {mailed}" not in text
    assert f"https://testserver.local/meetings/{s.meeting_id}#participants" in text
    assert not [fact for fact in PROTECTED if fact in everything(received)]


def test_the_reminder_line_says_tomorrow_or_the_day():
    monday = date(2026, 3, 2)
    tuesday_ten = support.at(date(2026, 3, 3), 10)
    assert digest.remind_line("Grethe", "phone", "Netværksmøde", tuesday_ten, monday) == (
        "Ring til Grethe, og mind om »Netværksmøde« i morgen kl. 10.00")
    assert digest.remind_line("Niels", "letter", "Statusmøde", tuesday_ten,
                              date(2026, 2, 27)) == (
        "Husk at minde Niels om »Statusmøde« 3. marts 2026 kl. 10.00 (inviteret med brev)")
