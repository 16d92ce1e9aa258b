"""Answers that come back by mail: iTIP REPLY and COUNTER, and plain human replies.

Every calendar answer for a known meeting is kept as a ``ReplyRecord`` with what was done
with it, so the organiser can see answers that were not used and why.

Rules
-----
* **Who may answer.** The mail's From must be the invited attendee's own address, or the
  address in the attendee's ``SENT-BY`` (a secretary answering for them) when that
  delegate is *known* for the attendee: confirmed by the socialrådgiver on the meeting
  page, or at the same organisation, which means a professional participant (never the
  family or its private network) whose e-mail domain is the delegate's and is not a
  public mail service (gmail.com, hotmail.dk…, where a shared domain proves nothing).
  An answer from an unknown delegate waits (``unconfirmed``) until she confirms it.
* **Which answer counts.** A lower SEQUENCE than the meeting's is outdated; among the
  answers of one participant the higher SEQUENCE, then the later DTSTAMP wins
  (``ical.supersedes``).
* **Ignored, with the reason.** Answers to a cancelled meeting and from a removed
  attendee are recorded, not applied.
* **COUNTER** (a proposed new time) is kept as a proposal; the organiser accepts it (the
  part is moved through ``meetings.service.set_times``, which sends the update) or
  declines it (a DECLINECOUNTER to the proposer through the outbox).
* **DELEGATED**: the answer is recorded and the delegate is offered to the
  socialrådgiver as a participant; she adds them through the ordinary add-participant
  path (its safety rules apply), never automatically.
* **Plain replies** (no calendar part) to one of our mails, from the address it was sent
  to, are forwarded to the meeting's organiser through the outbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parseaddr
from typing import Any

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.invites import redact
from coordinator.invites.ical import CalendarParseError, PartStat, Person, Reply, is_newer, supersedes
from coordinator.invites.imip import (
    ImipMail,
    MailKind,
    NoCalendarPart,
    as_sent,
    build_forward,
    build_imip,
    human_reply,
    parse_inbound,
)
from coordinator.invites.service import (
    answered_themselves,
    audit_as,
    load_meeting,
    load_meetings,
    message_text,
    uid_domain,
)
from coordinator.invites.tables import DelegateAddress, OutboxMessage, ReplyRecord
from coordinator.meetings import safety
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting, Participant
from coordinator.settings import Settings

ANSWERABLE = ("ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED")
# Public mail services: sharing one of these domains says nothing about who someone is.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.dk", "outlook.com", "outlook.dk",
    "live.com", "live.dk", "msn.com", "yahoo.com", "yahoo.dk", "icloud.com", "me.com",
    "mac.com", "aol.com", "gmx.com", "gmx.net", "proton.me", "protonmail.com", "mail.dk",
    "jubii.dk", "sol.dk", "ofir.dk", "email.dk", "privat.dk", "webspeed.dk", "stofanet.dk",
    "post.tele.dk", "mail.tele.dk", "youmail.dk", "tdcadsl.dk", "yandex.com",
})
NOT_LINKED = ("Mailen indeholder ikke et kalendersvar, og den kan ikke knyttes til en "
              "invitation fra os.")
OUTCOME_LABELS = {"applied": "Brugt", "ignored": "Ikke brugt", "proposal": "Forslag",
                  "accepted": "Forslag taget", "declined": "Forslag afvist",
                  "unconfirmed": "Afventer godkendelse af afsender", "confirmed": "Afsender godkendt"}
_INVITE_KINDS = ("REQUEST", "CANCEL", "DECLCNTR", "REMIND")  # REMIND: reminders domain


@dataclass(frozen=True)
class ReplyOutcome:
    """What happened to one answer in an inbound mail."""

    uid: str
    applied: bool
    reason: str
    forwarded: bool = False


def domain_of(email: str) -> str:
    """The domain part of an address, lower case."""
    return email.rsplit("@", 1)[-1].lower()


def delegate_is_known(participant: redact.ParticipantData, delegate: str,
                      confirmed: set[str]) -> bool:
    """Whether ``delegate`` may answer for ``participant`` (see the module's rules)."""
    delegate = delegate.lower()
    if delegate in confirmed:
        return True
    domain = domain_of(delegate)
    return (participant.category == "professional" and bool(participant.email)
            and domain == domain_of(participant.email) and domain not in PUBLIC_MAIL_DOMAINS)


def meeting_of_uid(uid: str) -> int | None:
    """The meeting id in one of our UIDs (``m<id>-<part>@domain``), else None."""
    head = uid.split("@", 1)[0]
    if not head.startswith("m") or "-" not in head:
        return None
    number = head[1:].split("-", 1)[0]
    return int(number) if number.isdigit() and len(number) < 12 else None


def _sender_of(raw: bytes) -> str:
    return parseaddr(str(message_from_bytes(raw, policy=policy.compat32).get("From", "")))[1].lower()


def _answers_of(replies: list[Reply], sender: str) -> list[Reply]:
    """The lines that are answers: a delegate's own line of a delegation is carried by the
    DELEGATED line; a COUNTER lists attendees, of whom the proposer is the sender."""
    lines = [r for r in replies if not r.delegated_from]
    result = []
    for uid in dict.fromkeys(r.uid for r in lines):
        same = [r for r in lines if r.uid == uid]
        counters = [r for r in same if r.method == "COUNTER"]
        own = [r for r in counters if sender in (r.attendee_email, r.sent_by)]
        result += [r for r in same if r.method != "COUNTER"] + (own or counters[:1])
    return result


async def apply_inbound(raw: bytes, settings: Settings, address: str = "") -> list[ReplyOutcome]:
    """Apply the calendar answers in a raw mail, or forward a plain human reply (the
    /inbound/mail hook and ``coordinator apply-reply`` hand over their settings).

    Raises ``CalendarParseError`` (Danish message) for a mail that is neither a usable
    calendar answer nor a reply to one of our mails from the address it went to.
    """
    try:
        replies = parse_inbound(raw)
    except NoCalendarPart:
        return [await _forward_human(raw, settings, address)]
    sender = _sender_of(raw)
    names = {r.attendee_email: r.name for r in replies}
    outcomes = []
    for reply in _answers_of(replies, sender):
        meeting_id = meeting_of_uid(reply.uid)
        if meeting_id is None:
            outcomes.append(ReplyOutcome(reply.uid, False, "ukendt møde"))
            continue
        async with db.transaction():
            outcomes.append(await _apply_reply(settings, meeting_id, reply, sender, address, names))
    return outcomes


def _record_values(meeting_id: int, participant_id: int | None, reply: Reply,
                   names: Mapping[str, str]) -> dict[str, Any]:
    delegate = reply.delegated_to[0] if reply.delegated_to else ""
    return dict(
        meeting=meeting_id, participant=participant_id, uid=reply.uid[:300], method=reply.method,
        attendee_email=reply.attendee_email[:254], sent_by=reply.sent_by[:254],
        partstat=reply.partstat.value, sequence=reply.sequence, dtstamp=reply.dtstamp,
        comment=(reply.comment or "")[:2000], delegated_to=delegate[:254],
        delegate_name=(names.get(delegate) or "")[:200],
        proposed_start=reply.proposed_start, proposed_end=reply.proposed_end,
        received_at=clock.now())


async def _record(values: Mapping[str, Any], outcome: str, reason: str) -> int:
    rows = await ReplyRecord.insert(ReplyRecord(**values, outcome=outcome, reason=reason[:200]))
    return rows[0]["id"]


async def _kept_answer(participant_id: int) -> dict | None:
    """The participant's answer that counts now: the applied one with the highest
    SEQUENCE and, among those, the latest DTSTAMP."""
    rows = await ReplyRecord.select(ReplyRecord.sequence, ReplyRecord.dtstamp).where(
        (ReplyRecord.participant == participant_id) & (ReplyRecord.outcome == "applied"))
    best = None
    for row in rows:
        if best is None or supersedes(row["sequence"], row["dtstamp"], best["sequence"], best["dtstamp"]):
            best = row
    return best


async def _apply_reply(settings: Settings, meeting_id: int, reply: Reply, sender: str,
                       address: str, names: Mapping[str, str]) -> ReplyOutcome:
    loaded = await load_meetings([meeting_id])
    data = loaded[0] if loaded else None
    if data is None or reply.uid not in {redact.uid_for(meeting_id, p.key, uid_domain(settings))
                                         for p in data.parts}:
        return ReplyOutcome(reply.uid, False, "ukendt møde")
    matches = [p for p in data.participants if p.email.lower() == reply.attendee_email]
    match = next((p for p in matches if not p.removed), matches[0] if matches else None)
    values = _record_values(meeting_id, match.id if match else None, reply, names)

    async def ignore(reason: str) -> ReplyOutcome:
        await _record(values, "ignored", reason)
        await audit_as(f"svarmail:{match.id if match else 0}", "update", "møde", meeting_id,
                       data.family_id, f"Kalendersvar ikke brugt: {reason}", address)
        return ReplyOutcome(reply.uid, False, reason)

    if match is None:
        return await ignore("afsenderen er ikke inviteret")
    if data.status == "cancelled":
        return await ignore("mødet er aflyst")
    if match.removed:
        return await ignore("deltageren er fjernet fra mødet")
    if not is_newer(reply.sequence, data.sequence):
        return await ignore("forældet svar (lavere SEQUENCE)")
    if sender and sender != reply.attendee_email:
        if not reply.sent_by or sender != reply.sent_by:
            return await ignore("afsenderen er ikke inviteret")
        confirmed = {row["email"] for row in await DelegateAddress.select(DelegateAddress.email).where(
            DelegateAddress.participant == match.id)}
        if not delegate_is_known(match, reply.sent_by, confirmed):
            # The kept reason names no address: the page shows the sender to the team only.
            await _record(values, "unconfirmed", "sendt af en anden på vegne af deltageren")
            return ReplyOutcome(reply.uid, False, f"sendt af {reply.sent_by} på vegne af "
                                "deltageren; afsenderen er ikke godkendt")
    if reply.method == "COUNTER":
        await _record(values, "proposal", "forslag om nyt tidspunkt")
        await audit_as(f"svarmail:{match.id}", "update", "møde", meeting_id, data.family_id,
                       "Forslag om nyt tidspunkt via kalender (iTIP COUNTER)", address)
        return ReplyOutcome(reply.uid, True, "forslag gemt til mødets arrangør")
    if reply.partstat.value not in ANSWERABLE:
        return await ignore("ukendt svar")
    kept = await _kept_answer(match.id)
    if kept is not None and not supersedes(reply.sequence, reply.dtstamp, kept["sequence"], kept["dtstamp"]):
        return await ignore("et nyere svar er allerede gemt")
    await Participant.update({
        Participant.rsvp: reply.partstat.value,
        Participant.rsvp_comment: (reply.comment or "")[:2000],
        Participant.answered_at: clock.now(), **answered_themselves(),
    }).where(Participant.id == match.id)
    by = f" (sendt af {reply.sent_by})" if reply.sent_by and sender == reply.sent_by else ""
    await _record(values, "applied", "brugt" + (" (sendt af en stedfortræder)" if by else ""))
    await audit_as(f"svarmail:{match.id}", "update", "møde", meeting_id, data.family_id,
                   f"Svar via kalender (iTIP REPLY): {reply.partstat.value}{by}", address)
    return ReplyOutcome(reply.uid, True, "anvendt")


# ------------------------------------------------------------------------ the organiser

@dataclass(frozen=True)
class ReplyRow:
    """One kept answer as the organiser's answers partial shows it."""

    id: int
    participant_id: int | None
    name: str
    attendee_email: str
    sent_by: str
    method: str
    partstat: str
    comment: str
    outcome: str
    outcome_label: str
    reason: str
    received_at: datetime
    proposed_start: datetime | None
    proposed_end: datetime | None
    delegated_to: str
    delegate_name: str
    part_keys: tuple[str, ...]
    organisation: str
    offer_delegate: bool
    delegate_role: str = "professional"
    delegation_refused: bool = False


async def reply_rows(meeting_id: int) -> list[ReplyRow]:
    """The meeting's kept calendar answers, newest first, with what may be done with them:
    a delegate is offered while the delegating participant is still on the meeting and the
    delegate is not (yet) a participant."""
    data = await load_meeting(meeting_id)
    records = await ReplyRecord.select().where(ReplyRecord.meeting == meeting_id).order_by(
        ReplyRecord.id, ascending=False)
    orgs = {row["id"]: row["organisation"] for row in await Participant.select(
        Participant.id, Participant.organisation).where(Participant.meeting == meeting_id)}
    active_emails = {p.email.lower() for p in data.participants if not p.removed and p.email}
    rows = []
    for record in records:
        participant = data.participant(record["participant"]) if record["participant"] else None
        delegation = (record["outcome"] == "applied" and record["partstat"] == PartStat.DELEGATED.value
                      and bool(record["delegated_to"]) and participant is not None
                      and not participant.removed and participant.rsvp == PartStat.DELEGATED.value
                      and record["delegated_to"].lower() not in active_emails)
        # The father, or anyone who used violence, cannot send someone in
        # their place: the delegate would read what they may not (other attendees, place).
        hostile = participant is not None and data.people[participant.safety_id].is_hostile
        offer = delegation and not hostile
        rows.append(ReplyRow(
            record["id"], record["participant"], participant.name if participant else "Ukendt afsender",
            record["attendee_email"], record["sent_by"], record["method"], record["partstat"],
            record["comment"], record["outcome"],
            OUTCOME_LABELS.get(record["outcome"], record["outcome"]), record["reason"],
            record["received_at"], record["proposed_start"], record["proposed_end"],
            record["delegated_to"], record["delegate_name"] or record["delegated_to"],
            participant.part_keys if participant else (),
            orgs.get(record["participant"], "") if record["participant"] else "", offer,
            "professional" if participant and participant.category == "professional" else "private_network",
            delegation and hostile))
    return rows


async def _open_record(meeting_id: int, record_id: int, outcome: str) -> dict:
    record = await ReplyRecord.select().where(
        (ReplyRecord.id == record_id) & (ReplyRecord.meeting == meeting_id)).first()
    if record is None:
        raise web.UserError("Svaret findes ikke på dette møde.", 404)
    if record["outcome"] != outcome:
        raise web.UserError("Svaret er allerede behandlet.", 409)
    return record


async def _active_participant(data: redact.MeetingData, record: Mapping[str, Any]
                              ) -> redact.ParticipantData:
    participant = data.participant(record["participant"]) if record["participant"] else None
    if participant is None or participant.removed:
        raise web.UserError("Deltageren er ikke længere på mødet.", 409)
    return participant


def _part_key_of(settings: Settings, data: redact.MeetingData, uid: str) -> str:
    domain = uid_domain(settings)
    key = next((p.key for p in data.parts if redact.uid_for(data.id, p.key, domain) == uid), None)
    if key is None:
        raise web.UserError("Forslaget gælder ikke en del af dette møde.", 409)
    return key


async def accept_proposal(user: Principal, meeting: Mapping[str, Any], record_id: int,
                          settings: Settings, address: str = "") -> None:
    """Move the proposed part to the proposed time through the ordinary time change (which
    checks the times and the room and sends the update to every participant)."""
    record = await _open_record(meeting["id"], record_id, "proposal")
    data = await load_meeting(meeting["id"])
    await _active_participant(data, record)
    if record["sequence"] < data.sequence:
        raise web.UserError("Mødet er ændret, siden forslaget kom. Afvis det, eller sæt et "
                            "nyt tidspunkt selv.", 409)
    key = _part_key_of(settings, data, record["uid"])
    times = {p.key: (p.starts_at, p.ends_at) for p in data.parts}
    times[key] = (record["proposed_start"], record["proposed_end"])
    fresh = await Meeting.select().where(Meeting.id == meeting["id"]).first() or meeting
    await meetings.set_times(user, fresh, fresh["version"], times, address)
    await ReplyRecord.update({ReplyRecord.outcome: "accepted", ReplyRecord.handled_at: clock.now()}
                             ).where(ReplyRecord.id == record_id)


async def decline_proposal(user: Principal, meeting: Mapping[str, Any], record_id: int,
                           settings: Settings, address: str = "") -> None:
    """Tell the proposer that their time was not taken (METHOD:DECLINECOUNTER, redacted for
    them, through the outbox); the meeting stays as it is."""
    async with db.transaction():
        record = await _open_record(meeting["id"], record_id, "proposal")
        data = await load_meeting(meeting["id"])
        participant = await _active_participant(data, record)
        await _enqueue_declinecounter(settings, data, participant, record)
        await ReplyRecord.update({ReplyRecord.outcome: "declined", ReplyRecord.handled_at: clock.now()}
                                 ).where(ReplyRecord.id == record_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                                   f"Forslag om nyt tidspunkt afvist: {participant.name}", address)


async def _enqueue_declinecounter(settings: Settings, data: redact.MeetingData,
                                  participant: redact.ParticipantData,
                                  record: Mapping[str, Any]) -> None:
    now = clock.now()
    redacted = redact.events_for_recipient(data, participant.id, mail_from=settings.mail_from,
                                           uid_domain=uid_domain(settings), dtstamp=now,
                                           only_recipient=True)
    events = [replace(ev, sequence=record["sequence"]) for ev in redacted.events if ev.uid == record["uid"]]
    if not events or not participant.email:
        raise web.UserError("Forslaget kan ikke besvares: deltageren har ingen e-mail til dette "
                            "møde.", 409)
    mail = ImipMail(kind=MailKind.COUNTER_DECLINED,
                    sender=Person(events[0].organizer.name, settings.mail_from),
                    recipient=Person(participant.name, participant.email),
                    reply_to=redact.reply_to_for(data, data.people[participant.safety_id], redacted.view),
                    events=tuple(events))
    message = build_imip(mail, message_id_domain=uid_domain(settings), now=now)
    if safety.scan_for_leaks(message_text(message), redacted.view.protected_strings):
        raise web.UserError(f"Svaret til {participant.name} ville vise oplysninger, som "
                            "modtageren ikke må se. Ret mødets titel eller beskrivelse. Intet er sendt.")
    await _enqueue(data.id, participant.id, participant.email, "DECLCNTR", record["sequence"],
                   f"{data.id}:{participant.id}:{record['id']}:DECLCNTR", message, now)


async def _enqueue(meeting_id: int, participant_id: int, recipient: str, kind: str, sequence: int,
                   dedupe: str, message, now: datetime) -> None:
    await OutboxMessage.insert(OutboxMessage(
        meeting=meeting_id, participant=participant_id, recipient_email=recipient,
        kind=kind, sequence=sequence, dedupe_key=dedupe, message_id=str(message["Message-ID"]),
        message=as_sent(message).decode("ascii"),
        status="queued", next_attempt_at=now, created_at=now))


async def confirm_delegate(user: Principal, meeting: Mapping[str, Any], record_id: int,
                           settings: Settings, address: str = "") -> ReplyOutcome:
    """The socialrådgiver confirms that the delegate (SENT-BY) may answer for the
    participant; the waiting answer is then applied by the ordinary rules."""
    async with db.transaction():
        record = await _open_record(meeting["id"], record_id, "unconfirmed")
        data = await load_meeting(meeting["id"])
        participant = await _active_participant(data, record)
        if not await DelegateAddress.exists().where(
                (DelegateAddress.participant == participant.id)
                & (DelegateAddress.email == record["sent_by"])):
            await DelegateAddress.insert(DelegateAddress(
                participant=participant.id, email=record["sent_by"], confirmed_by=user.id,
                confirmed_at=clock.now()))
        await ReplyRecord.update({ReplyRecord.outcome: "confirmed", ReplyRecord.handled_at: clock.now()}
                                 ).where(ReplyRecord.id == record_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                                   f"{record['sent_by']} godkendt til at svare for {participant.name}",
                                   address)
        reply = Reply(uid=record["uid"], sequence=record["sequence"],
                      attendee_email=record["attendee_email"], partstat=PartStat(record["partstat"]),
                      comment=record["comment"] or None, dtstamp=record["dtstamp"],
                      method=record["method"], sent_by=record["sent_by"],
                      delegated_to=(record["delegated_to"],) if record["delegated_to"] else (),
                      proposed_start=record["proposed_start"], proposed_end=record["proposed_end"])
        names = {record["delegated_to"]: record["delegate_name"]}
        return await _apply_reply(settings, meeting["id"], reply, record["sent_by"], address, names)


# ------------------------------------------------------------------------ human replies

async def _forward_human(raw: bytes, settings: Settings, address: str) -> ReplyOutcome:
    """Pass a plain reply to one of our mails on to the meeting's organiser."""
    human = human_reply(raw)
    if human is None or not human.references:
        raise CalendarParseError(NOT_LINKED)
    sent = await OutboxMessage.select().where(
        OutboxMessage.message_id.is_in(list(human.references))
        & OutboxMessage.kind.is_in(list(_INVITE_KINDS))).first()
    if sent is None or sent["recipient_email"].lower() != human.sender:
        raise CalendarParseError(NOT_LINKED)
    async with db.transaction():
        data = await load_meeting(sent["meeting"])
        participant = data.participant(sent["participant"])
        if participant is None or not data.organiser_email:
            return ReplyOutcome("", False, "ikke videresendt: mødet har ingen arrangør med e-mail")
        dedupe = "fwd:" + hashlib.sha256(raw).hexdigest()[:64]
        if await OutboxMessage.exists().where(OutboxMessage.dedupe_key == dedupe):
            return ReplyOutcome("", False, "allerede videresendt", forwarded=True)
        now = clock.now()
        person = data.people[participant.safety_id]
        reply_to = None if person.is_hostile else Person(participant.name, human.sender)
        message = build_forward(
            human, sender=Person(redact.ORGANISATION_NAME, settings.mail_from),
            recipient=Person(data.organiser_name, data.organiser_email), meeting_title=data.title,
            participant_name=participant.name, reply_to=reply_to,
            message_id_domain=uid_domain(settings), now=now)
        await _enqueue(data.id, participant.id, data.organiser_email, "FORWARD", data.sequence,
                       dedupe, message, now)
        await audit_as(f"svarmail:{participant.id}", "update", "møde", data.id, data.family_id,
                       "Almindelig mail videresendt til mødets arrangør", address)
    return ReplyOutcome("", True, "videresendt til socialrådgiveren", forwarded=True)
