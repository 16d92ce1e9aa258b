"""The transactional outbox and the worker, against a real SMTP server and Radicale."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from icalendar import Calendar

from coordinator import clock, db, web
from coordinator import settings as settings_module
from coordinator.db import ANY_VERSION
from coordinator.families.tables import Family
from coordinator.invites import service as invites_service
from coordinator.invites import worker
from coordinator.invites.tables import AnswerToken, OutboxMessage
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting, Participant
from tests import conftest
from tests.invites import support
from tests.support.caldav import itip_to_resources, radicale_fixture
from tests.support.smtp import smtp_server_fixture

smtp_server = smtp_server_fixture()
flaky_smtp = smtp_server_fixture(fail_first=1)
radicale = radicale_fixture()


async def deliver(server) -> int:
    """Run the worker in this process until nothing is due."""
    target = worker.parse_smtp_url(f"smtp://{server.host}:{server.port}")
    total = 0
    while handled := await worker.deliver_batch(target, "koordinator@example.invalid", "test"):
        total += handled
    return total


def calendar_of(received) -> Calendar:
    """The inline text/calendar part of a received mail."""
    [part] = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


async def test_create_change_cancel_yields_request_request_cancel_radicale_accepts(smtp_server, radicale):
    s = await support.scenario(with_father=False)
    await support.send(s)
    meeting = await s.meeting()
    parts = await meetings.parts_of(s.meeting_id)
    day = support.working_day(20)
    await meetings.set_times(s.worker, meeting, ANY_VERSION,
                             {parts[0]["key"]: (support.at(day, 13), support.at(day, 14))})
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    await deliver(smtp_server)

    to_teacher = [m for m in smtp_server.messages if m.rcpt_tos == ("laerer@skole.example.org",)]
    assert len(to_teacher) == 3
    calendars = [calendar_of(m) for m in to_teacher]
    assert [str(c["METHOD"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [c.walk("VEVENT")[0] for c in calendars]
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert len({str(e["UID"]) for e in events}) == 1
    assert events[1].decoded("DTSTART").hour == 13
    assert str(events[2]["STATUS"]) == "CANCELLED"
    # the text/calendar part's method parameter equals METHOD (what makes Outlook show buttons)
    methods = [[p.get_param("method") for p in m.message.walk()
                if p.get_content_type() == "text/calendar"][0] for m in to_teacher]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]

    collection = radicale.mkcalendar("laerer")
    etag = None
    for m in to_teacher:
        [(uid, body)] = itip_to_resources(calendar_of(m).to_ical()).items()
        href = radicale.href(collection, uid)
        etag = radicale.put(href, body, etag)
        stored, etag = radicale.get(href)
        got = Calendar.from_ical(stored).walk("VEVENT")[0]
        sent = Calendar.from_ical(body).walk("VEVENT")[0]
        for prop in ("UID", "SEQUENCE", "SUMMARY", "STATUS", "LOCATION"):
            assert str(got.get(prop)) == str(sent.get(prop))
        assert got.decoded("DTSTART") == sent.decoded("DTSTART")


async def test_one_message_per_recipient_and_none_without_email(smtp_server):
    s = await support.scenario()
    await support.send(s)
    assert await deliver(smtp_server) == 4
    recipients = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert recipients == ["far@example.net", "laerer@skole.example.org", "mor@example.net",
                          "sara@kommune.example.org"]
    assert await deliver(smtp_server) == 0  # nothing is sent twice
    rows = await support.outbox(s.meeting_id)
    assert {r["status"] for r in rows} == {"sent"}
    # the child (invited via the case worker, no e-mail) is shown as such to the organiser
    states = {d.name: d for d in await support.invites.deliveries(s.meeting_id)}
    assert not states["Emma Marie Hansen"].mail
    assert states["Emma Marie Hansen"].status_label == (
        "Socialrådgiveren giver invitationen videre · Skal have invitationen")
    assert states["Lars Lærer"].status_label == "Sendt"
    assert (states["Emma Marie Hansen"].badge, states["Lars Lærer"].badge) == ("muted", "badge badge-ok")


@pytest.mark.parametrize("status,badge", [
    ("failed", "badge badge-danger"), ("sent", "badge badge-ok"), ("queued", "badge"),
    ("sending", "badge"), ("superseded", "muted"), ("none", "muted"), ("no_email", "muted"),
])
def test_the_answers_list_marks_each_delivery_state(status, badge):
    delivery = support.invites.Delivery(1, "Lars Lærer", "NEEDS-ACTION", "Ikke svaret", "", None,
                                        True, status, "", 0, "", None)
    assert delivery.badge == badge


async def test_removed_participant_gets_cancel_others_an_update(smtp_server):
    s = await support.scenario(with_father=False)
    await support.send(s)
    teacher = await Participant.select().where(Participant.person == s.teacher).first()
    await meetings.remove_participant(s.worker, await s.meeting(), ANY_VERSION, teacher["id"])
    await deliver(smtp_server)
    to_teacher = [calendar_of(m) for m in smtp_server.messages if m.rcpt_tos == ("laerer@skole.example.org",)]
    assert [str(c["METHOD"]) for c in to_teacher] == ["REQUEST", "CANCEL"]
    cancel = to_teacher[1].walk("VEVENT")[0]
    assert int(cancel["SEQUENCE"]) == 1 and "STATUS" not in cancel
    attendees = cancel.get("ATTENDEE")
    assert str(attendees).lower() == "mailto:laerer@skole.example.org"
    to_mother = [calendar_of(m) for m in smtp_server.messages if m.rcpt_tos == ("mor@example.net",)]
    assert [int(c.walk("VEVENT")[0]["SEQUENCE"]) for c in to_mother] == [0, 1]
    assert "laerer@skole.example.org" not in to_mother[1].to_ical().decode().lower()


async def test_smtp_down_keeps_messages_queued_and_retries(smtp_server):
    s = await support.scenario(with_father=False)
    await support.send(s)
    down = worker.parse_smtp_url("smtp://127.0.0.1:9")  # nothing listens on the discard port
    assert await worker.deliver_batch(down, "koordinator@example.invalid", "w1") == 3
    rows = await support.outbox(s.meeting_id)
    assert {r["status"] for r in rows} == {"queued"}
    assert {r["attempts"] for r in rows} == {1}
    assert all(r["last_error"] and "@" not in r["last_error"] for r in rows)
    assert await deliver(smtp_server) == 0  # backing off: not due yet
    await OutboxMessage.update({OutboxMessage.next_attempt_at: OutboxMessage.created_at}, force=True)
    assert await deliver(smtp_server) == 3
    assert len(smtp_server.messages) == 3
    assert {r["status"] for r in await support.outbox(s.meeting_id)} == {"sent"}


async def test_temporary_smtp_failure_is_retried_with_backoff(flaky_smtp):
    s = await support.scenario(with_father=False)
    await support.send(s)
    await deliver(flaky_smtp)
    rows = await support.outbox(s.meeting_id)
    assert sorted(r["status"] for r in rows) == ["queued", "sent", "sent"]
    [queued] = [r for r in rows if r["status"] == "queued"]
    assert queued["last_error"] == "SMTPDataError (SMTP 451)"
    assert queued["next_attempt_at"] > queued["created_at"] + timedelta(seconds=20)


async def test_invalid_email_is_refused_and_nothing_is_saved():
    s = await support.scenario(with_father=False)
    meeting = await s.meeting()
    with pytest.raises(web.UserError) as refused:
        await meetings.add_participants(s.worker, meeting, ANY_VERSION, [meetings.NewParticipant(
            name="Ekstern", email="ikke en adresse", organisation="PPR")])
    assert refused.value.status == 422 and "ikke gyldig" in refused.value.message
    # an address the form let through but no mail server would take stops the sending
    await meetings.add_participants(s.worker, meeting, ANY_VERSION, [meetings.NewParticipant(
        name="Ekstern", email="ppr@localhost", organisation="PPR")])
    with pytest.raises(web.UserError) as stopped:
        await support.send(s)
    assert stopped.value.status == 422 and "ikke gyldig" in stopped.value.message
    assert await support.outbox(s.meeting_id) == []
    assert (await s.meeting())["status"] == "planned"


def test_backoff_grows_and_is_capped():
    assert [worker.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert worker.backoff(50) == worker.MAX_BACKOFF


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.org", ("mail.example.org", 587, False, "", "")),
    ("smtps://u%40x:p%3Aw@mail.example.org:465", ("mail.example.org", 465, True, "u@x", "p:w")),
    ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, False, "", "")),
])
def test_smtp_url(url, expected):
    t = worker.parse_smtp_url(url)
    assert (t.host, t.port, t.ssl, t.username, t.password) == expected


async def test_smtp_auth_is_used():
    from tests.support.smtp import SmtpTestServer

    s = await support.scenario(with_father=False)
    await support.send(s)
    with SmtpTestServer(users={"koord": "hemmelig"}) as server:
        target = worker.parse_smtp_url(f"smtp://koord:hemmelig@{server.host}:{server.port}")
        await worker.deliver_batch(target, "koordinator@example.invalid", "w")
        received = await asyncio.to_thread(server.wait_for, 3)
    assert {m.login for m in received} == {"koord"}


async def _fgc_meeting(s) -> int:
    """A familierådslagning in the scenario's family: the teacher in the information and
    plan parts, the mother in all three."""
    family = await Family.select().where(Family.id == s.family["id"]).first()
    day = support.working_day(15)
    meeting_id = await meetings.create_meeting(
        s.worker, family, "familieraadslagning", "Familierådslagning om Emma",
        location="Rådhuset", times={"information": (support.at(day, 9), support.at(day, 10)),
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


async def test_each_part_is_its_own_message_with_one_uid_and_radicale_stores_it(smtp_server, radicale):
    """Why: "A person in two parts of a familierådslagning gets one mail with two VEVENTs
    of different UIDs … Radicale refuses the object, and mail clients act on the first
    event only". Each part is its own message with one UID, stored as it is by Radicale."""
    s = await support.scenario(with_father=False)
    await _fgc_meeting(s)
    await deliver(smtp_server)
    to_teacher = [m for m in smtp_server.messages if m.rcpt_tos == ("laerer@skole.example.org",)]
    calendars = [calendar_of(m) for m in to_teacher]
    assert [len(c.walk("VEVENT")) for c in calendars] == [1, 1]
    uids = sorted(str(c.walk("VEVENT")[0]["UID"]) for c in calendars)
    assert len(set(uids)) == 2 and all(("information" in u) or ("plan" in u) for u in uids)
    subjects = " | ".join(sorted(str(m.message["Subject"]) for m in to_teacher))
    assert "Informationsdel" in subjects and "godkendelse af planen" in subjects
    collection = radicale.mkcalendar("laerer-fr")
    for calendar in calendars:
        body = calendar.to_ical()
        [(uid, resource)] = itip_to_resources(body).items()
        radicale.put(radicale.href(collection, uid), resource)
    assert len(radicale.report(collection)) == 2
    to_mother = [m for m in smtp_server.messages if m.rcpt_tos == ("mor@example.net",)]
    assert len(to_mother) == 3  # three parts, three messages


async def test_a_part_dropped_for_a_participant_is_cancelled_for_them(smtp_server):
    s = await support.scenario(with_father=False)
    meeting_id = await _fgc_meeting(s)
    await deliver(smtp_server)
    teacher = await Participant.select().where((Participant.person == s.teacher)
                                               & (Participant.meeting == meeting_id)).first()
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    before = len(smtp_server.messages)
    await meetings.update_participant(s.worker, meeting, ANY_VERSION, teacher["id"], ["information"], 0, 0)
    await deliver(smtp_server)
    to_teacher = {str(calendar_of(m)["METHOD"]): calendar_of(m).walk("VEVENT")[0]
                  for m in smtp_server.messages[before:]
                  if m.rcpt_tos == ("laerer@skole.example.org",)}
    assert set(to_teacher) == {"REQUEST", "CANCEL"}
    assert "information" in str(to_teacher["REQUEST"]["UID"])
    assert "plan" in str(to_teacher["CANCEL"]["UID"])
    assert str(to_teacher["CANCEL"]["ATTENDEE"]).lower() == "mailto:laerer@skole.example.org"


async def test_a_new_title_or_description_reaches_the_calendars_once_per_burst(smtp_server):
    """Why: "A new title or description sends nothing; calendars keep the old text". It
    now sends an update with the same SEQUENCE and the new text; a burst of edits waiting
    to settle is one mail per recipient and part."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    await deliver(smtp_server)
    before = len(smtp_server.messages)
    meeting = await s.meeting()
    await meetings.update_details(s.worker, meeting, ANY_VERSION, meeting["title"], meeting["location"],
                                  meeting["location_organisation"], "Vi taler om skolestarten.",
                                  True)
    await deliver(smtp_server)
    to_mother = [calendar_of(m) for m in smtp_server.messages[before:]
                 if m.rcpt_tos == ("mor@example.net",)]
    assert len(to_mother) == 1
    event = to_mother[0].walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 0  # as the invitation: the text changed, not the time
    assert "skolestarten" in str(event["DESCRIPTION"])
    # With a settle time, a second edit replaces the first update still waiting.
    settings_module.use_settings(replace(conftest.test_settings(), invite_update_settle_seconds=300))
    try:
        for text in ("Første udgave.", "Anden udgave."):
            meeting = await s.meeting()
            await meetings.update_details(s.worker, meeting, ANY_VERSION, meeting["title"],
                                          meeting["location"], meeting["location_organisation"],
                                          text, True)
    finally:
        settings_module.use_settings(None)
    rows = [r for r in await support.outbox(s.meeting_id) if r["recipient_email"] == "mor@example.net"]
    assert [r["status"] for r in rows[-2:]] == ["superseded", "queued"]
    assert "Anden udgave" in invites_message_text(rows[-1]["message"])
    assert await deliver(smtp_server) == 0  # still settling


def invites_message_text(raw: str) -> str:
    """What the recipient reads in a queued message (headers and decoded parts)."""
    from email import message_from_string
    from email import policy as email_policy

    return support.invites.message_text(message_from_string(raw, policy=email_policy.default))


async def test_a_cancellation_replaces_an_update_still_settling(smtp_server):
    """An update waiting out its settle time must not reach a participant after their
    cancellation (it would put the meeting back in their calendar)."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    await deliver(smtp_server)
    settings_module.use_settings(replace(conftest.test_settings(), invite_update_settle_seconds=300))
    try:
        meeting = await s.meeting()
        await meetings.update_details(s.worker, meeting, ANY_VERSION, meeting["title"],
                                      meeting["location"], meeting["location_organisation"],
                                      "Ny dagsorden.", True)
        teacher = await Participant.select().where(Participant.person == s.teacher).first()
        await meetings.remove_participant(s.worker, await s.meeting(), ANY_VERSION, teacher["id"])
    finally:
        settings_module.use_settings(None)
    rows = [r for r in await support.outbox(s.meeting_id)
            if r["recipient_email"] == "laerer@skole.example.org"]
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("REQUEST", "sent"), ("REQUEST", "superseded"), ("CANCEL", "queued")]


async def test_a_dropped_part_is_cancelled_once(smtp_server):
    s = await support.scenario(with_father=False)
    meeting_id = await _fgc_meeting(s)
    teacher = await Participant.select().where((Participant.person == s.teacher)
                                               & (Participant.meeting == meeting_id)).first()
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.update_participant(s.worker, meeting, ANY_VERSION, teacher["id"], ["information"], 0, 0)
    parts = {p["key"]: p for p in await meetings.parts_of(meeting_id)}
    day = support.working_day(16)
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.set_times(s.worker, meeting, ANY_VERSION, {
        "information": (support.at(day, 9), support.at(day, 10)),
        "family_time": (support.at(day, 10), support.at(day, 12)),
        "plan": (support.at(day, 12), support.at(day, 13))})
    assert set(parts) == {"information", "family_time", "plan"}
    rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.dedupe_key).where(
        OutboxMessage.participant == teacher["id"]).order_by(OutboxMessage.id)
    cancels = [r["dedupe_key"] for r in rows if r["kind"] == "CANCEL"]
    assert len(cancels) == 1 and cancels[0].endswith(":plan")


async def test_every_mail_received_says_it_is_danish(smtp_server):
    """Content-Language: da on the message itself, as the SMTP server receives it, for
    invitations, updates and cancellations alike."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    meeting = await s.meeting()
    parts = await meetings.parts_of(s.meeting_id)
    day = support.working_day(20)
    await meetings.set_times(s.worker, meeting, ANY_VERSION,
                             {parts[0]["key"]: (support.at(day, 13), support.at(day, 14))})
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    await deliver(smtp_server)
    assert len(smtp_server.messages) >= 3
    assert [m.message["Content-Language"] for m in smtp_server.messages] == ["da"] * len(smtp_server.messages)


async def test_a_worker_slower_than_its_lease_does_not_send_what_another_took():
    """The lease is renewed just before each send, only by the worker that still holds the
    row: once its lease ran out and another worker claimed the row, the slow one skips it."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    slow = await worker.claim("slow", 1, timedelta(seconds=-1))  # its lease already ran out
    assert len(slow) == 1
    fast = await worker.claim("fast", 1, timedelta(seconds=60))  # the same row, taken over
    assert [r["id"] for r in fast] == [slow[0]["id"]]
    assert not await worker.still_mine(slow[0], "slow", timedelta(seconds=60))
    assert await worker.still_mine(fast[0], "fast", timedelta(seconds=60))
    row = await OutboxMessage.select().where(OutboxMessage.id == fast[0]["id"]).first()
    assert row["claimed_by"] == "fast" and row["status"] == "sending"


async def test_a_change_writes_its_outbox_in_chunks_and_only_inside_its_transaction():
    """More answer links than one INSERT carries, and queued rows superseded, through the
    change's own writer; outside a transaction it refuses (the chunks commit together)."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    queued = [r["id"] for r in await support.outbox(s.meeting_id) if r["status"] == "queued"]
    assert queued
    participant = await Participant.select(Participant.id).where(
        Participant.meeting == s.meeting_id).first()
    now = clock.now()
    outbox = invites_service._Outbox(rows=[], taken=set())
    outbox.tokens = [invites_service._NewToken(
        meeting=s.meeting_id, participant=participant["id"], token_hash=f"{n:064x}",
        expires_at=now + timedelta(days=1), created_at=now) for n in range(450)]
    outbox.superseded = set(queued)
    with pytest.raises(RuntimeError):
        await outbox.flush()
    async with db.transaction():
        await outbox.flush()
    tokens = await AnswerToken.select().where(AnswerToken.token_hash.like("0000%"))
    assert len(tokens) == 450
    assert {t["meeting"] for t in tokens} == {s.meeting_id}
    assert all(t["created_at"] == now and t["expires_at"] == now + timedelta(days=1)
               for t in tokens)
    after = {r["id"]: r["status"] for r in await support.outbox(s.meeting_id)}
    assert {after[i] for i in queued} == {"superseded"}
