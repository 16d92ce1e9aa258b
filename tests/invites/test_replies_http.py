"""Answers that come back by mail (issue 18, replies): delegates, notes, proposals,
delegations, ordering, ignored answers, plain human replies and Reply-To."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_string, policy

import pytest
from icalendar import Calendar

from coordinator.db import ANY_VERSION
from coordinator.invites.tables import DelegateAddress, OutboxMessage, ReplyRecord
from coordinator.meetings.tables import MeetingPart, Participant
from tests import conftest, factories
from tests.invites import support

AUTH = {"Authorization": "Bearer indgaaende-hemmelighed"}
TEACHER = "laerer@skole.example.org"


@pytest.fixture
def settings():
    return conftest.test_settings(inbound_mail_token="indgaaende-hemmelighed")


def calendar_mail(sender: str, vevent: list[str], method: str = "REPLY",
                  extra_headers: str = "") -> bytes:
    """A raw mail with one calendar part, as a client sends an answer."""
    ics = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Klient//EN",
                       f"METHOD:{method}", "BEGIN:VEVENT", *vevent, "END:VEVENT",
                       "END:VCALENDAR", ""])
    return (f"From: {sender}\r\nTo: koordinator@example.invalid\r\n{extra_headers}"
            "Subject: Svar\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: text/calendar; method={method}; charset="UTF-8"\r\n\r\n' + ics).encode()


async def _uid(s: support.Scenario) -> tuple[str, int]:
    data = await support.invites.load_meeting(s.meeting_id)
    return f"m{s.meeting_id}-{data.parts[0].key}@testserver.local", data.sequence


def _head(uid: str, sequence: int, dtstamp: str = "20261101T100000Z") -> list[str]:
    return [f"UID:{uid}", f"SEQUENCE:{sequence}", f"DTSTAMP:{dtstamp}"]


async def _post(client, mail: bytes) -> dict:
    response = await client.post("/inbound/mail", content=mail, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def _participant(person_id: int) -> dict:
    return await Participant.select().where(Participant.person == person_id).first()


async def _partial(client, s: support.Scenario) -> str:
    response = await client.get(f"/meetings/{s.meeting_id}/answers", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text


async def _sent(s: support.Scenario) -> tuple[str, int]:
    await support.send(s)
    return await _uid(s)


# ------------------------------------------------------------------------ delegates

async def test_delegate_of_the_same_organisation_answers_for_the_attendee(client):
    """A secretary at the teacher's school answers with SENT-BY: the answer counts."""
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    mail = calendar_mail("sekretaer@skole.example.org", [*_head(uid, seq), (
        'ATTENDEE;PARTSTAT=ACCEPTED;SENT-BY="mailto:sekretaer@skole.example.org":mailto:'
        + TEACHER)])
    body = await _post(client, mail)
    assert body["svar"][0]["anvendt"] is True
    assert (await _participant(s.teacher))["rsvp"] == "ACCEPTED"


@pytest.mark.parametrize("sender", ["nabo@example.net", "fremmed@gmail.com"])
async def test_an_unknown_delegate_waits_until_the_socialraadgiver_confirms(client, other_client, sender):
    """The mother is not a professional, so a shared domain proves nothing (nor does a
    public mail service): the answer waits; confirmed on the meeting page, it counts."""
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    mail = calendar_mail(sender, [*_head(uid, seq),
                                  f'ATTENDEE;PARTSTAT=DECLINED;SENT-BY="mailto:{sender}":mailto:mor@example.net'])
    body = await _post(client, mail)
    assert body["svar"][0]["anvendt"] is False and sender in body["svar"][0]["grund"]
    assert (await _participant(s.mother))["rsvp"] == "NEEDS-ACTION"

    await factories.login(other_client, s.worker)
    partial = await _partial(other_client, s)
    assert f"Godkend {sender} til at svare for Maria Hansen" in partial
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "unconfirmed").first()
    page = f"/meetings/{s.meeting_id}"
    confirmed = await factories.post_form(
        other_client, f"/meetings/{s.meeting_id}/replies/{record['id']}/confirm-sender", {}, page=page)
    assert confirmed.status_code == 303
    assert (await _participant(s.mother))["rsvp"] == "DECLINED"
    assert await DelegateAddress.exists().where(DelegateAddress.email == sender)


async def test_a_forged_sender_is_still_refused(client):
    """SENT-BY names the delegate, but the mail comes from someone else."""
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    mail = calendar_mail("fremmed@example.com", [*_head(uid, seq), (
        'ATTENDEE;PARTSTAT=ACCEPTED;SENT-BY="mailto:sekretaer@skole.example.org":mailto:' + TEACHER)])
    body = await _post(client, mail)
    assert body["svar"][0] == {"uid": uid, "anvendt": False, "grund": "afsenderen er ikke inviteret",
                               "videresendt": False}
    assert (await _participant(s.teacher))["rsvp"] == "NEEDS-ACTION"


# ------------------------------------------------------------------------ notes

async def test_google_and_rfc_comments_are_kept_and_shown_to_the_organiser(client, other_client):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    mail = calendar_mail(TEACHER, [*_head(uid, seq), "COMMENT:Jeg har skemaet med", (
        'ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=TENTATIVE;X-NUM-GUESTS=0;'
        'X-RESPONSE-COMMENT="Kommer måske 10 min. senere":mailto:' + TEACHER)])
    assert (await _post(client, mail))["svar"][0]["anvendt"] is True
    comment = (await _participant(s.teacher))["rsvp_comment"]
    assert "Kommer måske 10 min. senere" in comment and "Jeg har skemaet med" in comment
    await factories.login(other_client, s.worker)
    partial = await _partial(other_client, s)
    assert "Kommer måske 10 min. senere" in partial and "Jeg har skemaet med" in partial


# ------------------------------------------------------------------------ proposals

def _counter(uid: str, seq: int, start: datetime, end: datetime, sender: str = TEACHER) -> bytes:
    fmt = "%Y%m%dT%H%M%SZ"
    return calendar_mail(sender, [
        *_head(uid, seq), f"DTSTART:{start.astimezone(UTC):{fmt}}", f"DTEND:{end.astimezone(UTC):{fmt}}",
        "SUMMARY:Netværksmøde", "ORGANIZER:mailto:koordinator@testserver.local",
        "COMMENT:Om eftermiddagen passer bedre", f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{sender}",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:mor@example.net"], method="COUNTER")


async def test_a_proposed_time_is_shown_and_accepting_it_moves_the_meeting(client, other_client):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    day = support.working_day(20)
    start, end = support.at(day, 13), support.at(day, 14)
    body = await _post(client, _counter(uid, seq, start, end))
    assert body["svar"] == [{"uid": uid, "anvendt": True, "grund": "forslag gemt til mødets arrangør",
                             "videresendt": False}]
    before = await s.meeting()

    await factories.login(other_client, s.worker)
    partial = await _partial(other_client, s)
    assert "Forslag om nyt tidspunkt" in partial and "Om eftermiddagen passer bedre" in partial
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").first()
    accepted = await factories.post_form(
        other_client, f"/meetings/{s.meeting_id}/proposals/{record['id']}/accept", {},
        page=f"/meetings/{s.meeting_id}")
    assert accepted.status_code == 303
    part = await MeetingPart.select().where(MeetingPart.meeting == s.meeting_id).first()
    assert (part["starts_at"], part["ends_at"]) == (start, end)
    after = await s.meeting()
    assert after["sequence"] > before["sequence"]
    update = await OutboxMessage.select().where(
        (OutboxMessage.recipient_email == TEACHER) & (OutboxMessage.kind == "REQUEST")
        & (OutboxMessage.sequence == after["sequence"] - (before["sequence"] - seq))).first()
    assert update is not None
    assert "Ændret møde" in message_from_string(update["message"], policy=policy.default)["Subject"]
    again = await factories.post_form(
        other_client, f"/meetings/{s.meeting_id}/proposals/{record['id']}/accept", {},
        page=f"/meetings/{s.meeting_id}")
    assert again.status_code == 409 and "allerede behandlet" in again.text


async def test_declining_a_proposal_sends_declinecounter_to_the_proposer(client, other_client):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    day = support.working_day(20)
    await _post(client, _counter(uid, seq, support.at(day, 13), support.at(day, 14)))
    before = await MeetingPart.select().where(MeetingPart.meeting == s.meeting_id).first()
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").first()
    await factories.login(other_client, s.worker)
    declined = await factories.post_form(
        other_client, f"/meetings/{s.meeting_id}/proposals/{record['id']}/decline", {},
        page=f"/meetings/{s.meeting_id}")
    assert declined.status_code == 303
    assert await MeetingPart.select().where(MeetingPart.meeting == s.meeting_id).first() == before
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "DECLCNTR")
    assert row["recipient_email"] == TEACHER
    message = message_from_string(row["message"], policy=policy.default)
    assert message["Reply-To"].addresses[0].addr_spec == "sara@kommune.example.org"
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "DECLINECOUNTER"
    calendar = Calendar.from_ical(part.get_content())
    assert calendar["METHOD"] == "DECLINECOUNTER"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid and event["SEQUENCE"] == seq
    assert str(event["ATTENDEE"]).lower() == f"mailto:{TEACHER}"
    assert support.CENTRE_ADDRESS not in support.invites.message_text(message)



@pytest.mark.parametrize("case", ["stranger", "unknown_record", "proposer_removed"])
async def test_acting_on_a_proposal_refuses_with_a_danish_4xx(client, other_client, case):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    day = support.working_day(20)
    await _post(client, _counter(uid, seq, support.at(day, 13), support.at(day, 14)))
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").first()
    record_id = record["id"] + 1000 if case == "unknown_record" else record["id"]
    user = await factories.user("socialraadgiver") if case == "stranger" else s.worker
    if case == "proposer_removed":
        await support.meetings.remove_participant(s.worker, await s.meeting(), ANY_VERSION, record["participant"])
    await factories.login(other_client, user)
    for action in ("accept", "decline"):
        response = await factories.post_form(
            other_client, f"/meetings/{s.meeting_id}/proposals/{record_id}/{action}", {},
            page="/" if case == "stranger" else f"/meetings/{s.meeting_id}")
        expected = {"stranger": 404, "unknown_record": 404, "proposer_removed": 409}[case]
        assert response.status_code == expected
        if case != "stranger":
            assert ("findes ikke" if expected == 404 else "ikke længere på mødet") in response.text
    assert (await ReplyRecord.select().where(ReplyRecord.id == record["id"]).first())["outcome"] == "proposal"
    assert not await OutboxMessage.exists().where(OutboxMessage.kind == "DECLCNTR")

# ------------------------------------------------------------------------ delegation

async def test_delegation_is_recorded_and_the_delegate_offered_not_added(client, other_client):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    mail = calendar_mail(TEACHER, [
        *_head(uid, seq),
        f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:kollega@skole.example.org":mailto:{TEACHER}',
        f'ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Karen Kollega;DELEGATED-FROM="mailto:{TEACHER}":'
        "mailto:kollega@skole.example.org"])
    body = await _post(client, mail)
    assert [o["anvendt"] for o in body["svar"]] == [True]
    assert (await _participant(s.teacher))["rsvp"] == "DELEGATED"
    assert not await Participant.exists().where(Participant.email == "kollega@skole.example.org")

    await factories.login(other_client, s.worker)
    partial = await _partial(other_client, s)
    assert "Har sendt en anden" in partial and "Tilføj Karen Kollega som deltager" in partial
    form = re.search(r'<form method="post"[^>]*? action="(/meetings/\d+/participants)".*?</form>', partial, re.S)
    assert form
    fields = dict(re.findall(r'<input type="hidden" name="(name|email|organisation|role|parts)" value="([^"]*)"',
                             form.group(0)))
    added = await factories.post_form(other_client, form.group(1), fields, page=f"/meetings/{s.meeting_id}")
    assert added.status_code == 303
    assert await Participant.exists().where(Participant.email == "kollega@skole.example.org")
    assert "Tilføj Karen Kollega" not in await _partial(other_client, s)


async def test_a_delegate_is_added_only_through_the_safety_checks(client, other_client):
    """The offered delegate goes through the ordinary add path: a name that gives away the
    crisis centre is refused there, as for anyone typed in."""
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    mail = calendar_mail(TEACHER, [
        *_head(uid, seq),
        f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:vagt@skole.example.org":mailto:{TEACHER}',
        f'ATTENDEE;CN={support.CENTRE_NAME};DELEGATED-FROM="mailto:{TEACHER}":mailto:vagt@skole.example.org'])
    await _post(client, mail)
    await factories.login(other_client, s.worker)
    partial = await _partial(other_client, s)
    form = re.search(r'<form method="post"[^>]*? action="(/meetings/\d+/participants)".*?</form>', partial, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(name|email|organisation|role|parts)" value="([^"]*)"',
                             form.group(0)))
    refused = await factories.post_form(other_client, form.group(1), fields, page=f"/meetings/{s.meeting_id}")
    assert refused.status_code == 422
    assert not await Participant.exists().where(Participant.email == "vagt@skole.example.org")



async def test_the_father_cannot_send_someone_in_his_place(client, other_client):
    """His delegate would read what he may not (the other attendees, the place): the
    delegation is recorded, nobody is offered, and the page says why."""
    s = await support.scenario()
    uid, seq = await _sent(s)
    mail = calendar_mail("far@example.net", [
        *_head(uid, seq),
        'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:ven@example.net":mailto:far@example.net',
        'ATTENDEE;CN=Ven;DELEGATED-FROM="mailto:far@example.net":mailto:ven@example.net'])
    assert (await _post(client, mail))["svar"][0]["anvendt"] is True
    assert (await _participant(s.father))["rsvp"] == "DELEGATED"
    await factories.login(other_client, s.worker)
    partial = await _partial(other_client, s)
    assert "Kan ikke sende en anden" in partial
    assert "Tilføj Ven som deltager" not in partial and "ven@example.net" not in partial

# ------------------------------------------------------------------------ ordering

async def test_an_older_accept_arriving_after_a_newer_decline_does_not_win(client):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    newer = calendar_mail(TEACHER, [*_head(uid, seq, "20261101T100500Z"),
                                    f"ATTENDEE;PARTSTAT=DECLINED:mailto:{TEACHER}"])
    older = calendar_mail(TEACHER, [*_head(uid, seq, "20261101T100000Z"),
                                    f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{TEACHER}"])
    assert (await _post(client, newer))["svar"][0]["anvendt"] is True
    late = (await _post(client, older))["svar"][0]
    assert late["anvendt"] is False and late["grund"] == "et nyere svar er allerede gemt"
    assert (await _participant(s.teacher))["rsvp"] == "DECLINED"
    latest = calendar_mail(TEACHER, [*_head(uid, seq, "20261101T101000Z"),
                                     f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{TEACHER}"])
    assert (await _post(client, latest))["svar"][0]["anvendt"] is True
    assert (await _participant(s.teacher))["rsvp"] == "ACCEPTED"


# ------------------------------------------------------------------------ ignored

@pytest.mark.parametrize("ending, reason", [("cancelled", "mødet er aflyst"),
                                            ("removed", "deltageren er fjernet fra mødet")])
async def test_answers_after_cancellation_or_removal_are_recorded_as_ignored(
        client, other_client, ending, reason):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    teacher = await _participant(s.teacher)
    if ending == "cancelled":
        await support.meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    else:
        await support.meetings.remove_participant(s.worker, await s.meeting(), ANY_VERSION, teacher["id"])
    _, seq = await _uid(s)
    body = await _post(client, calendar_mail(TEACHER, [*_head(uid, seq),
                                                       f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{TEACHER}"]))
    assert body["svar"][0]["anvendt"] is False and body["svar"][0]["grund"] == reason
    assert (await Participant.select().where(Participant.id == teacher["id"]).first())["rsvp"] == "NEEDS-ACTION"
    record = await ReplyRecord.select().first()
    assert (record["outcome"], record["reason"], record["participant"]) == ("ignored", reason, teacher["id"])
    if ending == "removed":  # a cancelled meeting's page has no answers to act on, but shows them
        await factories.login(other_client, s.worker)
        assert reason in await _partial(other_client, s)


# ------------------------------------------------------------------------ human replies

def plain_mail(sender: str, in_reply_to: str, text: str = "Hej Sara, jeg kommer, men tager en kollega med.") -> bytes:
    return (f"From: {sender}\r\nTo: koordinator@example.invalid\r\nSubject: SV: Invitation\r\n"
            f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
            f"{text}\r\n").encode()


async def _invite_id(s: support.Scenario, email: str) -> str:
    [row] = [r for r in await support.outbox(s.meeting_id)
             if r["recipient_email"] == email and r["kind"] == "REQUEST"]
    return row["message_id"]


async def test_a_plain_reply_is_forwarded_to_the_socialraadgiver(client):
    s = await support.scenario(with_father=False)
    await support.send(s)
    body = await _post(client, plain_mail(TEACHER, await _invite_id(s, TEACHER)))
    assert body["svar"] == [{"uid": "", "anvendt": True, "grund": "videresendt til socialrådgiveren",
                             "videresendt": True}]
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "FORWARD")
    assert row["recipient_email"] == "sara@kommune.example.org"
    message = message_from_string(row["message"], policy=policy.default)
    assert "jeg kommer, men tager en kollega med" in message.get_body(("plain",)).get_content()
    assert message["Reply-To"].addresses[0].addr_spec == TEACHER
    # the same mail posted twice is forwarded once
    assert (await _post(client, plain_mail(TEACHER, await _invite_id(s, TEACHER))))["svar"][0]["anvendt"] is False
    assert await OutboxMessage.count().where(OutboxMessage.kind == "FORWARD") == 1


async def test_the_fathers_plain_reply_is_forwarded_without_a_direct_reply_address(client):
    s = await support.scenario()
    await support.send(s)
    await _post(client, plain_mail("far@example.net", await _invite_id(s, "far@example.net"), "Hvor er de?"))
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "FORWARD")
    message = message_from_string(row["message"], policy=policy.default)
    assert message["Reply-To"] is None
    assert "afdelingen" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("case", ["no_reference", "other_sender"])
async def test_a_plain_mail_that_is_not_a_reply_to_us_is_a_danish_422(client, case):
    s = await support.scenario(with_father=False)
    await support.send(s)
    reference = "<ukendt@example.org>" if case == "no_reference" else await _invite_id(s, TEACHER)
    sender = TEACHER if case == "no_reference" else "fremmed@example.com"
    response = await client.post("/inbound/mail", content=plain_mail(sender, reference), headers=AUTH)
    assert response.status_code == 422
    assert "kan ikke knyttes til en invitation" in response.json()["fejl"]
    assert not await OutboxMessage.exists().where(OutboxMessage.kind == "FORWARD")


async def test_every_mail_to_a_participant_carries_the_socialraadgivers_reply_to(client, other_client):
    """Invitations, updates, cancellations and declined proposals: Reply-To is the
    responsible socialrådgiver, except towards the father (he reaches the department), and
    never a crisis-centre address."""
    s = await support.scenario()
    uid, seq = await _sent(s)
    day = support.working_day(20)
    await _post(client, _counter(uid, seq, support.at(day, 13), support.at(day, 14)))
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").first()
    await factories.login(other_client, s.worker)
    await factories.post_form(other_client, f"/meetings/{s.meeting_id}/proposals/{record['id']}/decline",
                              {}, page=f"/meetings/{s.meeting_id}")
    teacher = await _participant(s.teacher)
    await support.meetings.remove_participant(s.worker, await s.meeting(), ANY_VERSION, teacher["id"])
    await support.meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    rows = [r for r in await support.outbox(s.meeting_id) if r["kind"] != "FORWARD"]
    assert {r["kind"] for r in rows} == {"REQUEST", "CANCEL", "DECLCNTR"}
    for row in rows:
        message = message_from_string(row["message"], policy=policy.default)
        reply_to = message["Reply-To"]
        if row["recipient_email"] == "far@example.net":
            assert reply_to is None
        else:
            assert reply_to.addresses[0].addr_spec == "sara@kommune.example.org", row["kind"]
        assert support.CENTRE_NAME not in str(reply_to or "")



# ------------------------------------------------------------------------ the samordner

async def test_the_samordner_decides_proposals_on_the_familieraadslagning_she_plans(client, other_client):
    """A samordner plans the familierådslagninger she coordinates (times, participants), so
    a proposed time for one is hers to take (the update goes to everyone) or turn down
    (DECLINECOUNTER to the proposer), as for the organiser."""
    from tests.meetings import support as meeting_support
    from tests.meetings.test_fgc_http import _formoede_agreed, _through_samordner
    from tests.meetings.test_fgc_http import _post as fgc_post

    s = await support.scenario(with_father=False)
    ida = await factories.user("samordner", username="ida-forslag", full_name="Ida Samordner")
    await factories.login(other_client, s.worker)
    await _through_samordner(other_client, s.family["id"], ida)
    await _formoede_agreed(other_client, s.family["id"])  # planned only after the family's yes
    day = support.working_day(15)
    created = await fgc_post(other_client, s.family["id"], "meeting",
                             {"location": "Rådhuset", **meeting_support.fgc_times(day)})
    meeting_id = int(created.headers["location"].rsplit("/", 1)[1])
    meeting = await support.meetings.Meeting.select().where(support.meetings.Meeting.id == meeting_id).first()
    await support.meetings.add_participants(s.worker, meeting, ANY_VERSION, [
        support.meetings.NewParticipant(person_id=s.teacher, part_keys=("information", "plan"))])
    for status in ("planned", "invited"):
        meeting = await support.meetings.Meeting.select().where(support.meetings.Meeting.id == meeting_id).first()
        await support.meetings.change_status(s.worker, meeting, ANY_VERSION, status)
    sequence = (await support.invites.load_meeting(meeting_id)).sequence
    uid = f"m{meeting_id}-plan@testserver.local"
    later = (support.at(day, 13), support.at(day, 14))
    await _post(client, _counter(uid, sequence, *later))
    await _post(client, _counter(uid, sequence, support.at(day, 14), support.at(day, 15)).replace(
        b"DTSTAMP:20261101T100000Z", b"DTSTAMP:20261101T110000Z"))
    records = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").order_by(ReplyRecord.id)
    assert len(records) == 2

    await factories.login(other_client, ida)
    page = await other_client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200 and 'id="answers-heading"' in page.text
    partial = (await other_client.get(f"/meetings/{meeting_id}/answers", headers={"HX-Request": "true"})).text
    assert "Forslag om nyt tidspunkt" in partial and "Om eftermiddagen passer bedre" in partial
    assert f"/meetings/{meeting_id}/proposals/{records[0]['id']}/accept" in partial
    assert f"/meetings/{meeting_id}/proposals/{records[1]['id']}/decline" in partial
    assert "confirm-sender" not in partial and TEACHER not in partial  # no addresses outside the team

    declined = await factories.post_form(
        other_client, f"/meetings/{meeting_id}/proposals/{records[1]['id']}/decline", {},
        page=f"/meetings/{meeting_id}")
    assert declined.status_code == 303
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "DECLCNTR")
    assert row["recipient_email"] == TEACHER
    before = await OutboxMessage.count().where(OutboxMessage.kind == "REQUEST")
    accepted = await factories.post_form(
        other_client, f"/meetings/{meeting_id}/proposals/{records[0]['id']}/accept", {},
        page=f"/meetings/{meeting_id}")
    assert accepted.status_code == 303, accepted.text[:300]
    plan = await MeetingPart.select().where((MeetingPart.meeting == meeting_id) & (MeetingPart.key == "plan")).first()
    assert (plan["starts_at"], plan["ends_at"]) == later
    updates = await OutboxMessage.select().where(OutboxMessage.kind == "REQUEST").order_by(OutboxMessage.id)
    assert len(updates) > before and TEACHER in {u["recipient_email"] for u in updates[before:]}
    outcomes = [r["outcome"] for r in await ReplyRecord.select().where(
        ReplyRecord.id.is_in([records[0]["id"], records[1]["id"]])).order_by(ReplyRecord.id)]
    assert outcomes == ["accepted", "declined"]


async def test_a_samordner_not_coordinating_the_meeting_sees_and_decides_nothing(client, other_client):
    s = await support.scenario(with_father=False)
    uid, seq = await _sent(s)
    day = support.working_day(20)
    await _post(client, _counter(uid, seq, support.at(day, 13), support.at(day, 14)))
    record = await ReplyRecord.select().where(ReplyRecord.outcome == "proposal").first()
    await factories.login(other_client, await factories.user("samordner"))
    assert (await other_client.get(f"/meetings/{s.meeting_id}/answers")).status_code == 404
    for action in ("accept", "decline"):
        response = await factories.post_form(
            other_client, f"/meetings/{s.meeting_id}/proposals/{record['id']}/{action}", {}, page="/")
        assert response.status_code == 404
    assert (await ReplyRecord.select().where(ReplyRecord.id == record["id"]).first())["outcome"] == "proposal"
