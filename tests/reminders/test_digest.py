"""Pure rules of the reminders: when the digest is due, which days "the next meetings"
cover, which follow-ups are due, and the two mails' text. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.followup.agenda import MeetingFacts
from coordinator.invites.ical import COPENHAGEN, Attendee, CalendarEvent, Person
from coordinator.meetings.planner import is_working_day
from coordinator.reminders import digest, mail


def a_working_day(after: date, *, friday: bool = False) -> date:
    """A working day after ``after`` (a Friday whose Monday is a working day, if asked)."""
    day = after
    while not (is_working_day(day) and (not friday or (
            day.weekday() == 4 and is_working_day(day + timedelta(days=3))))):
        day += timedelta(days=1)
    return day


DAY = a_working_day(app_clock.today() + timedelta(days=30))


@pytest.mark.parametrize(("moment", "due"), [
    (time(6, 59), False), (time(7, 0), True), (time(15, 30), True),
])
def test_the_digest_is_due_from_its_time_of_day(moment, due):
    assert digest.digest_due(datetime.combine(DAY, moment, COPENHAGEN), "07:00") is due


def test_no_digest_on_a_day_off():
    saturday = DAY + timedelta(days=(5 - DAY.weekday()) % 7)
    assert not digest.digest_due(datetime.combine(saturday, time(9), COPENHAGEN), "07:00")


def test_next_meetings_reach_the_next_working_day():
    friday = a_working_day(DAY, friday=True)
    assert digest.next_days(friday) == (friday + timedelta(days=1), friday + timedelta(days=3))
    monday = friday + timedelta(days=3)
    assert digest.next_days(monday)[0] == monday + timedelta(days=1)


def test_follow_ups_due_soon_and_overdue_are_listed_until_planned():
    held = datetime.combine(DAY - timedelta(days=88), time(10), COPENHAGEN)
    fgc = MeetingFacts(1, "familieraadslagning", "FR", "held", held, held + timedelta(hours=2))
    soon = digest.followups_due((fgc,), DAY)
    assert len(soon) == 1 and "skal holdes ca." in soon[0] and "ikke planlagt" in soon[0]
    assert digest.followups_due((fgc,), DAY, within_days=0) == ()
    later = DAY + timedelta(days=10)
    assert "skulle være holdt" in digest.followups_due((fgc,), later)[0]
    planned = MeetingFacts(2, "opfoelgningsmoede", "Opfølgning", "planned", None, None, parent_id=1)
    assert digest.followups_due((fgc, planned), DAY) == ()


def test_an_empty_digest_is_not_built_into_a_mail():
    empty = digest.build("Sara", DAY, [], [], [])
    assert empty.count == 0 and empty.sections == ()
    with pytest.raises(ValueError):
        mail.build_digest(empty, sender=Person("Koordinator", "k@example.org"),
                          recipient=Person("Sara", "sara@example.org"), settings_url="https://x.example.org/",
                          message_id_domain="example.org", now=datetime.now(UTC))
    full = digest.build("Sara", DAY, [digest.Item("Evaluering")], [], [digest.Item("Møde", "https://x/1")])
    assert [s.title for s in full.sections] == [digest.SECTION_DUE, digest.SECTION_MEETINGS]
    message = mail.build_digest(full, sender=Person("Koordinator", "k@example.org"),
                                recipient=Person("Sara", "sara@example.org"),
                                settings_url="https://x.example.org/paamindelser/",
                                message_id_domain="example.org", now=datetime.now(UTC))
    assert message["Subject"] == "Dagens påmindelser: 2 punkter"
    assert "- Møde\n  https://x/1" in message.get_content()


def test_the_meeting_reminder_says_time_place_and_how_to_stop():
    start = datetime.combine(DAY, time(10), COPENHAGEN)
    event = CalendarEvent(uid="m1-a@example.org", sequence=0, dtstamp=start, start=start,
                          end=start + timedelta(hours=1), summary="Netværksmøde",
                          organizer=Person("Familieafdelingen", "k@example.org"),
                          attendees=(Attendee("Frank", "far@example.net"),))
    reminder = mail.MeetingReminder(Person("Familieafdelingen", "k@example.org"),
                                    Person("Frank", "far@example.net"), (event,),
                                    "https://x.example.org/paamindelser/fra/abc")
    message = mail.build_meeting_reminder(reminder, message_id_domain="example.org", now=start)
    text = message.get_content()
    assert message["Subject"].startswith("Påmindelse: Netværksmøde – ")
    assert "kl. 10.00–11.00" in text and f"Sted: {mail.NO_PLACE}" in text
    assert "https://x.example.org/paamindelser/fra/abc" in text
    assert message["List-Unsubscribe"] == "<https://x.example.org/paamindelser/fra/abc>"
    assert message["Reply-To"] is None
