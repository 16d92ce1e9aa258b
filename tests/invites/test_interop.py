"""Interop with parsers beyond icalendar (issue 18, point 6): every calendar object the
coordinator produces — each REQUEST, update and CANCEL mail (inline part and attachment),
the DECLINECOUNTER of the answer handling, the feeds and the organiser's download — is
parsed by libical with zero X-LIC-ERROR and no broken RFC 5546 restriction, validated by
vobject, and each recipient's REQUEST, updates and CANCEL are accepted by Radicale in the
order they were sent. The answers the tests send in are checked by libical too, so the
answer handling is tested on well-formed answers."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from email import message_from_string, policy

import pytest
import vobject
from icalendar import Calendar

from coordinator import web
from coordinator.db import ANY_VERSION
from coordinator.families.tables import Family
from coordinator.invites import feeds
from coordinator.invites.tables import OutboxMessage, ReplyRecord
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting
from tests import conftest, factories
from tests.invites import support
from tests.invites.test_feeds_http import create_feed
from tests.invites.test_replies_http import AUTH, TEACHER, _counter, calendar_mail
from tests.support import libical
from tests.support.caldav import itip_to_resources, radicale_fixture

radicale = radicale_fixture()
CPH = web.COPENHAGEN


@pytest.fixture
def settings():
    return conftest.test_settings(inbound_mail_token="indgaaende-hemmelighed")


def calendar_objects(raw: str) -> list[tuple[str, str]]:
    """The calendar parts of a mail: ('inline' or the attachment's name, text)."""
    message = message_from_string(raw, policy=policy.default)
    found = []
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            content = part.get_content()
            text = content.decode("utf-8") if isinstance(content, bytes) else content
            found.append((part.get_filename() or "inline", text))
    return found


# libical's iTIP table wants no ATTENDEE and no SEQUENCE in a DECLINECOUNTER; RFC 5546
# 3.2.8 wants the ATTENDEE whose proposal is declined (1+) and SEQUENCE echoed (present when
# non-zero), which is what we send (test_ical.test_declinecounter_has_the_rfc_5546_shape).
LIBICAL_DECLINECOUNTER_TABLE = {
    "restriction: VEVENT: Failed iTIP restrictions for ATTENDEE property. "
    "Expected 0 instances of the property and got 1",
    "restriction: VEVENT: Failed iTIP restrictions for SEQUENCE property. "
    "Expected 0 instances of the property and got 1",
}


def declinecounter(objects: dict[str, str], name: str) -> bool:
    return name in objects and "METHOD:DECLINECOUNTER" in objects[name]


async def fgc_meeting(s: support.Scenario) -> int:
    """A familierådslagning in three parts: the teacher in two, the mother in all."""
    family = await Family.select().where(Family.id == s.family["id"]).first()
    day = support.working_day(15)
    meeting_id = await meetings.create_meeting(
        s.worker, family, "familieraadslagning", "Familierådslagning om Emma; plan, netværk",
        location="Rådhuset, lokale 2", times={"information": (support.at(day, 9), support.at(day, 10)),
                                               "family_time": (support.at(day, 10), support.at(day, 12)),
                                               "plan": (support.at(day, 12), support.at(day, 13))})
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.add_participants(s.worker, meeting, ANY_VERSION, [
        meetings.NewParticipant(person_id=s.teacher, part_keys=("information", "plan")),
        meetings.NewParticipant(person_id=s.mother)])
    for status in ("planned", "invited"):
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        await meetings.change_status(s.worker, meeting, ANY_VERSION, status)
    return meeting_id


async def everything_we_produce(client, other_client) -> tuple[dict[str, str], list[dict], dict[str, str]]:
    """Drive two meetings through their life and collect every calendar object that
    leaves: (objects by name, the outbox rows in order, the answers sent in by name)."""
    s = await support.scenario()  # with the father, kept apart: his own redaction
    await support.send(s)
    fgc_id = await fgc_meeting(s)
    meeting = await s.meeting()
    await meetings.update_details(s.worker, meeting, ANY_VERSION, "Netværksmøde; skolestart, Emma",
                                  meeting["location"], meeting["location_organisation"],
                                  "Dagsorden: skolen, fritiden\nog næste skridt.", True)
    parts = await meetings.parts_of(s.meeting_id)
    day = support.working_day(20)
    await meetings.set_times(s.worker, await s.meeting(), ANY_VERSION,
                             {parts[0]["key"]: (support.at(day, 13), support.at(day, 15))})
    # A proposed time from the teacher, declined: DECLINECOUNTER.
    data = await support.invites.load_meeting(s.meeting_id)
    uid = f"m{s.meeting_id}-{data.parts[0].key}@testserver.local"
    answers = {
        "COUNTER": _counter(uid, data.sequence, support.at(day, 9), support.at(day, 10)),
        "REPLY": calendar_mail(TEACHER, [f"UID:{uid}", f"SEQUENCE:{data.sequence}", "DTSTAMP:20261101T100000Z",
                                         "COMMENT:Jeg kommer\\, men går kl. 14", "X-RESPONSE-COMMENT:Jeg kommer",
                                         "ORGANIZER:mailto:koordinator@testserver.local",
                                         f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{TEACHER}"]),
        "REPLY SENT-BY": calendar_mail("sekretaer@skole.example.org", [
            f"UID:{uid}", f"SEQUENCE:{data.sequence}", "DTSTAMP:20261101T110000Z",
            "ORGANIZER:mailto:koordinator@testserver.local",
            f'ATTENDEE;PARTSTAT=TENTATIVE;SENT-BY="mailto:sekretaer@skole.example.org":mailto:{TEACHER}']),
        "REPLY DELEGATED": calendar_mail(TEACHER, [
            f"UID:{uid}", f"SEQUENCE:{data.sequence}", "DTSTAMP:20261101T120000Z",
            "ORGANIZER:mailto:koordinator@testserver.local",
            f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:kollega@skole.example.org":mailto:{TEACHER}']),
    }
    response = await client.post("/inbound/mail", content=answers["COUNTER"], headers=AUTH)
    assert response.status_code == 200, response.text
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").first()
    await factories.login(other_client, s.worker)
    declined = await factories.post_form(
        other_client, f"/meetings/{s.meeting_id}/proposals/{record['id']}/decline", {},
        page=f"/meetings/{s.meeting_id}")
    assert declined.status_code == 303
    teacher = await meetings.Participant.select().where(
        (meetings.Participant.person == s.teacher) & (meetings.Participant.meeting == s.meeting_id)).first()
    await meetings.remove_participant(s.worker, await s.meeting(), ANY_VERSION, teacher["id"])
    fgc = await Meeting.select().where(Meeting.id == fgc_id).first()
    fgc_parts = await meetings.parts_of(fgc_id)
    await meetings.set_times(s.worker, fgc, ANY_VERSION, {
        p["key"]: (p["starts_at"] + (support.at(day, 9) - fgc_parts[0]["starts_at"]),
                   p["ends_at"] + (support.at(day, 9) - fgc_parts[0]["starts_at"])) for p in fgc_parts})

    objects: dict[str, str] = {}
    for meeting_id in (s.meeting_id, fgc_id):
        download = await other_client.get(f"/meetings/{meeting_id}/invitation.ics")
        assert download.status_code == 200
        objects[f"download m{meeting_id}"] = download.text
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    fgc = await Meeting.select().where(Meeting.id == fgc_id).first()
    await meetings.change_status(s.worker, fgc, ANY_VERSION, "cancelled")

    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    for row in rows:
        for name, text in calendar_objects(row["message"]):
            objects[f"outbox {row['id']} {row['kind']} to {row['recipient_email']} ({name})"] = text

    series = await feeds.upsert_series("team_meeting", "Teammøde; BIC, status", "FREQ=WEEKLY;INTERVAL=2",
                                       datetime(2026, 3, 12, 10, 0, tzinfo=CPH), 90, "Familieafdelingen, lokale 3")
    await feeds.cancel_occurrence(series, datetime(2026, 4, 9, 10, 0, tzinfo=CPH))
    open_ended = await feeds.upsert_series("cooperation", "Årligt samarbejdsmøde", "FREQ=YEARLY",
                                           datetime(2026, 10, 20, 13, 0, tzinfo=CPH), 120)
    for kind, target, label in (("user", s.worker.id, "Mine møder, Sara; alle"),
                                ("series", series, "Teammøde"), ("series", open_ended, "Samarbejde")):
        path = await create_feed(client, s.worker, kind, target, label)
        feed = await other_client.get(path)
        assert feed.status_code == 200
        objects[f"feed {kind} {target}"] = feed.text
    return objects, rows, {name: mail.decode() for name, mail in answers.items()}


async def test_everything_we_produce_is_read_by_libical_vobject_and_radicale(client, other_client, radicale):
    libical.require_libical()
    objects, rows, answers = await everything_we_produce(client, other_client)
    kinds = {row["kind"] for row in rows}
    assert {"REQUEST", "CANCEL", "DECLCNTR"} <= kinds
    assert sum(1 for name in objects if name.startswith("outbox")) >= 2 * len(rows) >= 40
    assert sum(1 for name in objects if name.startswith(("feed", "download"))) == 5

    # libical: zero X-LIC-ERROR, no broken iTIP restriction for the METHOD.
    answer_parts = {f"answer {name}": text for name, mail in answers.items()
                    for _, text in calendar_objects(mail)}
    complaints = libical.problems({**objects, **answer_parts})
    assert set(complaints) == set(objects) | set(answer_parts)
    assert {name: found for name, found in complaints.items() if found and not declinecounter(objects, name)} == {}
    for name in objects:
        if declinecounter(objects, name):  # parsed cleanly; only libical's own table differs
            assert set(complaints[name]) <= LIBICAL_DECLINECOUNTER_TABLE, complaints[name]

    # Invitations and updates carry the calendar alarm (VALARM) the checks above and below
    # read too; cancellations, answers to proposals, feeds and downloads carry none.
    for name, text in objects.items():
        alarms = Calendar.from_ical(text).walk("VALARM")
        if name.startswith("outbox") and "METHOD:REQUEST" in text:
            events = Calendar.from_ical(text).walk("VEVENT")
            assert len(alarms) == len(events) >= 1, name
            assert all(a.decoded("TRIGGER") == -timedelta(hours=1) for a in alarms), name
        else:
            assert alarms == [], name

    # vobject: parses every object and its validation finds nothing.
    for name, text in objects.items():
        parsed = vobject.readOne(text)
        assert parsed.validate(raiseException=True), name
        assert len(parsed.vevent_list) >= 1 or name.startswith("feed"), name

    # Radicale: each recipient's REQUEST, updates and CANCELs, stored in the order sent;
    # one UID per message, and what Radicale keeps is what was sent.
    by_uid: dict[tuple[str, str], list[tuple[int, bytes]]] = defaultdict(list)
    for row in rows:
        if row["kind"] not in ("REQUEST", "CANCEL"):
            continue
        [(_, text), *_] = calendar_objects(row["message"])
        [(uid, body)] = itip_to_resources(text.encode()).items()
        by_uid[(row["recipient_email"], uid)].append((row["sequence"], body))
    assert any(len(steps) >= 3 for steps in by_uid.values())
    for number, ((recipient, uid), steps) in enumerate(by_uid.items()):
        collection = radicale.mkcalendar(f"modtager-{number}")
        href, etag = radicale.href(collection, uid), None
        for _, body in steps:
            etag = radicale.put(href, body, etag)
            stored = Calendar.from_ical(radicale.get(href)[0]).walk("VEVENT")[0]
            sent = Calendar.from_ical(body).walk("VEVENT")[0]
            for prop in ("UID", "SEQUENCE", "SUMMARY", "STATUS"):
                assert str(stored.get(prop)) == str(sent.get(prop)), (recipient, uid, prop)
            assert stored.decoded("DTSTART") == sent.decoded("DTSTART")


def test_the_libical_check_finds_what_is_wrong():
    """The check above can fail: libical's complaints reach the test."""
    broken = {
        "bad DTSTART": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n"
                       "DTSTAMP:20260101T000000Z\r\nDTSTART:2026-03-01 9:00\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "REQUEST without ORGANIZER": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:REQUEST\r\n"
                                     "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
                                     "DTSTART:20260301T090000Z\r\nSUMMARY:x\r\nATTENDEE:mailto:a@example.org\r\n"
                                     "END:VEVENT\r\nEND:VCALENDAR\r\n",
        "fine": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n"
                "DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    }
    found = libical.problems(broken)
    assert "DTSTART" in " ".join(found["bad DTSTART"])
    assert "ORGANIZER" in " ".join(found["REQUEST without ORGANIZER"])
    assert found["fine"] == []


def test_missing_libical_skips_locally_and_fails_on_ci(monkeypatch):
    monkeypatch.setattr(libical, "libical_missing", lambda: "libical (gir1.2-ical-3.0, python3-gi) is not available")
    monkeypatch.setattr(libical, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install gir1.2-ical-3.0"):
        libical.require_libical()
    monkeypatch.setattr(libical, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI requires"):
        libical.require_libical()
