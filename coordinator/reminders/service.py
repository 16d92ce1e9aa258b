"""Use cases for reminders: the daily digest per user and the reminder before a meeting.

``run_due`` is what the worker calls (``invites/worker.py``, about once a minute): it queues
each due digest and meeting reminder in the outbox, where the worker delivers them like
invitations. Both are idempotent:

* a digest once per user per day: a ``DigestRun`` row with the unique key
  ``<user>:<day>`` is claimed (``INSERT … ON CONFLICT DO NOTHING``) in the transaction that
  queues the mail; a day with nothing to say claims the row too, and sends nothing;
* a meeting reminder once per participant per meeting time: the outbox's unique
  ``dedupe_key`` is ``remind:<meeting>:<participant>:<their start>``, so a moved meeting
  gets a new one and the same time never a second.

What a reminder says goes through the same redaction as the invitation
(``invites.redact.events_for_recipient`` and the leak scan over the finished mail). The
digest goes to the user's own address and lists only the families the access policy lets
them read (audited); no protected place is ever written into it (``protected.replace``
over every line, and no place for a meeting at a protected place).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email import policy

from coordinator import clock, db
from coordinator.agreements import service as agreements
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, FamilyAccessFacts, Principal, may_access_family
from coordinator.auth.roles import CASE_HOLDERS, Role, values
from coordinator.auth.service import principal_from_row
from coordinator.auth.tables import User
from coordinator.families import service as families
from coordinator.followup import service as followup
from coordinator.invites import redact
from coordinator.invites import service as invites
from coordinator.invites.ical import COPENHAGEN, Person, is_valid_email
from coordinator.invites.imip import danish_datetime
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import kinds, protected, safety
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting, MeetingChange, Participant
from coordinator.reminders import digest, mail, preferences
from coordinator.reminders.tables import DigestRun
from coordinator.settings import Settings

log = logging.getLogger("coordinator.reminders")
DIGEST_SENDER = "Koordinator"
DIGEST_ENTITY = "daglig påmindelse"
SETTINGS_PATH = "/paamindelser/"


async def run_due(settings: Settings) -> tuple[int, int]:
    """Queue every digest and meeting reminder due now; returns (digests, reminders)."""
    now = clock.now()
    sent_digests = await send_digests(settings, now)
    sent_reminders = await send_meeting_reminders(settings, now)
    await _forget_sent_digests()
    return sent_digests, sent_reminders


# ------------------------------------------------------------------------ the digest

@dataclass(frozen=True)
class _Run:
    """What every digest of one run shares: the day, the protected facts, due agreements."""

    day: date
    now: datetime
    base: str
    facts: tuple[str, ...]
    agreements_due: list[dict]
    unanswered_days: int

    def safe(self, text: str) -> str:
        """The text with every protected place's facts hidden."""
        return protected.replace(text, self.facts, safety.HIDDEN)


async def send_digests(settings: Settings, now: datetime) -> int:
    """Queue today's digest for each user it is due for; returns the number queued."""
    local = now.astimezone(COPENHAGEN)
    if not digest.digest_due(local, settings.reminder_digest_time):
        return 0
    day = local.date()
    users = await User.select().where(
        (User.active == True) & User.role.is_in(values(CASE_HOLDERS)) & (User.email != "")  # noqa: E712
    ).order_by(User.id)
    decided = {r["user"] for r in await DigestRun.select(DigestRun.user).where(DigestRun.day == day)}
    waiting = [u for u in users if u["id"] not in decided and is_valid_email(u["email"])]
    if not waiting:
        return 0
    choices = await preferences.choices_of([u["id"] for u in waiting])
    run = _Run(day, now, settings.public_base_url.rstrip("/"), await meetings.protected_facts(),
               await agreements.due(day, digest.DUE_WITHIN_DAYS), settings.reminder_unanswered_days)
    queued = 0
    for row in waiting:
        if not choices[row["id"]].digest:
            continue
        try:
            queued += await _digest_for_user(settings, run, row)
        except Exception:  # one user's digest never holds up the others'
            log.exception("digest for user %s not queued; tried again next minute", row["id"])
    return queued


async def compose(user: Principal, run: _Run) -> tuple[digest.Digest, dict[int, str]]:
    """The user's digest for the run's day, and the families it names (id → name)."""
    own = {f["id"]: f for f in await families.families_for(user) if may_access_family(
        user, FamilyAccessFacts(on_team=True, family_closed=f["status"] == "closed"), Action.READ)}
    named: dict[int, str] = {}
    due: list[digest.Item] = []
    facts = await followup.meeting_facts(list(own))
    for family_id, family in own.items():
        for line in digest.followups_due(tuple(facts.get(family_id, ())), run.day):
            due.append(digest.Item(run.safe(f"{family['name']}: {line}"),
                                   f"{run.base}/families/{family_id}"))
            named[family_id] = family["name"]
    for entry in run.agreements_due:
        agreement, item = entry["agreement"], entry["item"]
        if user.role is Role.LEDER or agreement["created_by"] == user.id:
            due.append(digest.Item(run.safe(digest.agreement_line(
                item.kind.label_da, agreement["title"], item.due_on, item.overdue)),
                f"{run.base}/agreements/{agreement['id']}"))
    unanswered = await _unanswered(user, run, own, named)
    upcoming = await _next_meetings(user, run, own, named)
    remind = await _to_remind(user, run, own, named)
    return digest.build(user.full_name, run.day, due, unanswered, upcoming, remind), named


def _visible(meeting: dict, own: dict[int, dict]) -> bool:
    """A meeting the digest may name: between organisations, or of a family of the user's."""
    return meeting["family"] is None or meeting["family"] in own


async def _unanswered(user: Principal, run: _Run, own: dict[int, dict],
                      named: dict[int, str]) -> list[digest.Item]:
    """Participants of the user's own sent meetings who have not answered after N days."""
    rows = [m for m in await Meeting.select(
        Meeting.id, Meeting.family, Meeting.title, Meeting.starts_at).where(
        (Meeting.organiser == user.id) & (Meeting.status == kinds.MeetingStatus.INVITED.value)
        & (Meeting.starts_at > run.now)).order_by(Meeting.starts_at) if _visible(m, own)]
    if not rows:
        return []
    ids = [m["id"] for m in rows]
    people = await Participant.select(
        Participant.id, Participant.meeting, Participant.name, Participant.user).where(
        Participant.meeting.is_in(ids) & Participant.removed_at.is_null()
        & (Participant.rsvp == "NEEDS-ACTION")).order_by(Participant.id)
    first_mail: dict[int, datetime] = {}  # when their invitation was delivered
    for mail_row in await OutboxMessage.select(OutboxMessage.participant, OutboxMessage.sent_at).where(
            OutboxMessage.meeting.is_in(ids) & (OutboxMessage.kind == "REQUEST")
            & OutboxMessage.sent_at.is_not_null()):
        at = mail_row["sent_at"]
        first_mail[mail_row["participant"]] = min(first_mail.get(mail_row["participant"], at), at)
    invited: dict[int, datetime] = {}
    for change in await MeetingChange.select(MeetingChange.meeting, MeetingChange.at).where(
            MeetingChange.meeting.is_in(ids) & (MeetingChange.change_kind == "invited")):
        invited[change["meeting"]] = min(invited.get(change["meeting"], change["at"]), change["at"])
    by_id = {m["id"]: m for m in rows}
    limit = run.now - timedelta(days=run.unanswered_days)
    items = []
    for person in people:
        if person["user"] == user.id:
            continue
        since = first_mail.get(person["id"]) or invited.get(person["meeting"])
        if since is None or since > limit:
            continue
        meeting = by_id[person["meeting"]]
        items.append(digest.Item(run.safe(digest.unanswered_line(
            person["name"], meeting["title"], meeting["starts_at"],
            since.astimezone(COPENHAGEN).date())), f"{run.base}/meetings/{meeting['id']}"))
        if meeting["family"] is not None:
            named[meeting["family"]] = own[meeting["family"]]["name"]
    return items


async def _to_remind(user: Principal, run: _Run, own: dict[int, dict],
                     named: dict[int, str]) -> list[digest.Item]:
    """The participants of the user's own sent meetings from tomorrow to the next working
    day whom no reminder mail reaches (invited by phone, letter or through the
    socialrådgiver, or the meeting sends no e-mail): the socialrådgiver reminds them, so
    nobody is forgotten. Colleagues and those who said no are left out."""
    first, last = digest.next_days(run.day)
    start = datetime.combine(first, time(), COPENHAGEN)
    end = datetime.combine(last + timedelta(days=1), time(), COPENHAGEN)
    rows = [m for m in await Meeting.select(
        Meeting.id, Meeting.family, Meeting.title, Meeting.starts_at,
        Meeting.send_email_invites).where(
        (Meeting.organiser == user.id) & (Meeting.status == kinds.MeetingStatus.INVITED.value)
        & (Meeting.starts_at >= start) & (Meeting.starts_at < end)).order_by(Meeting.starts_at)
        if _visible(m, own)]
    if not rows:
        return []
    by_id = {m["id"]: m for m in rows}
    people = await Participant.select(
        Participant.meeting, Participant.name, Participant.channel, Participant.email).where(
        Participant.meeting.is_in(list(by_id)) & Participant.removed_at.is_null()
        & Participant.user.is_null() & (Participant.rsvp != "DECLINED")).order_by(Participant.id)
    items = []
    for person in people:
        meeting = by_id[person["meeting"]]
        mailed = (person["channel"] == "email" and meeting["send_email_invites"]
                  and is_valid_email(person["email"] or ""))
        if mailed:
            continue
        channel = person["channel"] if person["channel"] != "email" else "worker"
        items.append(digest.Item(run.safe(digest.remind_line(
            person["name"], channel, meeting["title"], meeting["starts_at"], run.day)),
            f"{run.base}/meetings/{meeting['id']}#participants"))
        if meeting["family"] is not None:
            named[meeting["family"]] = own[meeting["family"]]["name"]
    return items


async def _next_meetings(user: Principal, run: _Run, own: dict[int, dict],
                         named: dict[int, str]) -> list[digest.Item]:
    """The user's meetings (organiser or participant) from tomorrow to the next working day;
    no place for a meeting at a protected place."""
    first, last = digest.next_days(run.day)
    start = datetime.combine(first, time(), COPENHAGEN)
    end = datetime.combine(last + timedelta(days=1), time(), COPENHAGEN)
    attending = Participant.select(Participant.meeting).where(
        (Participant.user == user.id) & Participant.removed_at.is_null())
    rows = [m for m in await Meeting.select(
        Meeting.id, Meeting.family, Meeting.title, Meeting.starts_at).where(
        ((Meeting.organiser == user.id) | Meeting.id.is_in(attending))
        & Meeting.status.is_in([kinds.MeetingStatus.PLANNED.value, kinds.MeetingStatus.INVITED.value])
        & (Meeting.starts_at >= start) & (Meeting.starts_at < end)).order_by(Meeting.starts_at)
        if _visible(m, own)]
    places = {d.id: d.safety_meeting.location for d in await invites.load_meetings([m["id"] for m in rows])}
    items = []
    for meeting in rows:
        location = places[meeting["id"]]
        place = "" if location.at_crisis_centre or not location.text.strip() else f", {location.text}"
        items.append(digest.Item(run.safe(f"{danish_datetime(meeting['starts_at'])}: "
                                          f"{meeting['title']}{place}"),
                                 f"{run.base}/meetings/{meeting['id']}"))
        if meeting["family"] is not None:
            named[meeting["family"]] = own[meeting["family"]]["name"]
    return items


async def _digest_for_user(settings: Settings, run: _Run, row: dict) -> int:
    """Claim the user's digest for the day and queue it when it has something to say."""
    user = principal_from_row(row)
    built, named = await compose(user, run)
    key = f"{user.id}:{run.day.isoformat()}"
    try:
        async with db.transaction():
            claimed = await DigestRun.insert(DigestRun(
                key=key, user=user.id, day=run.day, items=built.count, created_at=run.now),
            ).on_conflict(target=DigestRun.key, action="DO NOTHING").returning(DigestRun.id)
            if not claimed or built.count == 0:
                return 0
            message = mail.build_digest(
                built, sender=Person(DIGEST_SENDER, settings.mail_from),
                recipient=Person(user.full_name, row["email"]),
                settings_url=f"{run.base}{SETTINGS_PATH}",
                message_id_domain=invites.uid_domain(settings), now=run.now)
            await OutboxMessage.insert(OutboxMessage(
                meeting=None, participant=None, recipient_email=row["email"], kind="DIGEST",
                sequence=0, dedupe_key=f"digest:{key}", message_id=str(message["Message-ID"]),
                message=message.as_bytes(policy=policy.SMTP).decode("ascii"), status="queued",
                next_attempt_at=run.now, created_at=run.now))
            await audit.record_many(user, "send", DIGEST_ENTITY, run.day.isoformat(), [
                (family_id, f"Nævnt i den daglige påmindelse til {user.full_name}")
                for family_id in sorted(named)])
    except Exception as exc:
        # Another worker queued the same mail first (only PostgreSQL gets here: on SQLite
        # the transaction holds the write lock from its first read).
        if db.is_unique_violation(exc):
            return 0
        raise
    return 1


async def _forget_sent_digests() -> None:
    """A delivered (or failed) digest's text is not kept: it names families, and it is not
    tied to a meeting that pseudonymisation would find (the row stays, for once-per-day)."""
    async with db.transaction():
        await OutboxMessage.update({OutboxMessage.message: ""}).where(
            (OutboxMessage.kind == "DIGEST") & OutboxMessage.status.is_in(["sent", "failed"])
            & (OutboxMessage.message != ""))


# ------------------------------------------------------------------------ meeting reminders

async def send_meeting_reminders(settings: Settings, now: datetime) -> int:
    """Queue a reminder to each participant whose part of a sent meeting starts within
    ``MEETING_REMINDER_HOURS``; returns the number queued."""
    hours = settings.meeting_reminder_hours
    if hours <= 0:
        return 0
    rows = await Meeting.select(Meeting.id).where(
        (Meeting.status == kinds.MeetingStatus.INVITED.value)
        & (Meeting.send_email_invites == True)  # noqa: E712
        & (Meeting.starts_at <= now + timedelta(hours=hours)) & (Meeting.ends_at > now)
    ).order_by(Meeting.id)
    queued = 0
    for row in rows:
        try:
            async with db.transaction():
                queued += await _remind_meeting(settings, row["id"], now, timedelta(hours=hours))
        except Exception as exc:  # one meeting's reminders never hold up the others'
            if not db.is_unique_violation(exc):
                log.exception("reminders for meeting %s not queued; tried again next minute",
                              row["id"])
    return queued


def _remind_key(meeting_id: int, participant_id: int, start: datetime) -> str:
    return f"remind:{meeting_id}:{participant_id}:{start.astimezone(UTC):%Y%m%dT%H%MZ}"


async def _remind_meeting(settings: Settings, meeting_id: int, now: datetime,
                          ahead: timedelta) -> int:
    """The reminders of one meeting, in the caller's transaction; audited when any."""
    data = await invites.load_meeting(meeting_id)
    if not data.scheduled:
        return 0
    domain = invites.uid_domain(settings)
    base = settings.public_base_url.rstrip("/")
    queued = 0
    for participant in data.participants:
        if (participant.removed or not invites.mailable(participant) or not participant.part_keys
                or participant.rsvp == "DECLINED" or not is_valid_email(participant.email)):
            continue
        redacted = redact.events_for_recipient(data, participant.id, mail_from=settings.mail_from,
                                               uid_domain=domain, dtstamp=now)
        if not redacted.events:
            continue
        start = min(e.start for e in redacted.events)
        key = _remind_key(data.id, participant.id, start)
        if not start - ahead <= now < start or await OutboxMessage.exists().where(
                OutboxMessage.dedupe_key == key):
            continue
        if not await preferences.wants_meeting_reminders(participant.email, participant.user_id):
            continue
        token = await preferences.new_link(participant.email)
        reminder = mail.MeetingReminder(
            sender=Person(redacted.events[0].organizer.name, settings.mail_from),
            recipient=Person(participant.name, participant.email), events=redacted.events,
            optout_url=f"{base}/paamindelser/fra/{token}",
            reply_to=redact.reply_to_for(data, data.people[participant.safety_id], redacted.view))
        message = mail.build_meeting_reminder(reminder, message_id_domain=domain, now=now)
        if safety.scan_for_leaks(invites.message_text(message), redacted.view.protected_strings):
            log.warning("reminder for meeting %s withheld: it would show a protected fact", data.id)
            continue
        await OutboxMessage.insert(OutboxMessage(
            meeting=data.id, participant=participant.id, recipient_email=participant.email,
            kind="REMIND", sequence=data.sequence, dedupe_key=key,
            message_id=str(message["Message-ID"]),
            message=message.as_bytes(policy=policy.SMTP).decode("ascii"), status="queued",
            next_attempt_at=now, created_at=now))
        queued += 1
    if queued:
        await invites.audit_as("påmindelse", "send", "møde", data.id, data.family_id,
                               f"Påmindelse om mødet sendt til {queued} deltager(e)")
    return queued


# ------------------------------------------------------------------------ the pages

@dataclass(frozen=True)
class SettingsPage:
    """What the user's reminder page shows."""

    choice: preferences.Choice
    email: str
    digest_offered: bool


async def settings_page(user: Principal) -> SettingsPage:
    """The user's reminders, their address and whether the digest is offered to them."""
    row = await User.select(User.email).where(User.id == user.id).first()
    return SettingsPage(await preferences.choice_of(user.id), (row or {}).get("email", ""),
                        user.role in CASE_HOLDERS)


async def save_settings(user: Principal, choice: preferences.Choice, address: str = "") -> None:
    """Store the user's reminders, audited, in one transaction."""
    if user.role not in CASE_HOLDERS:
        choice = preferences.Choice(digest=False, meeting_reminders=choice.meeting_reminders)
    async with db.transaction():
        await preferences.save_choice(user.id, choice)
        await audit.record(user, "update", "påmindelser", user.id, None,
                           f"Daglig oversigt {'til' if choice.digest else 'fra'}, påmindelser "
                           f"før møder {'til' if choice.meeting_reminders else 'fra'}", address)


async def opt_out_state(token: str) -> bool | None:
    """Whether the link's address is opted out; None for an unknown link."""
    return await preferences.link_state(token)


async def set_opt_out(token: str, out: bool) -> bool:
    """Opt the link's address out of (or back into) meeting reminders; False: unknown link."""
    async with db.transaction():
        return await preferences.set_opt_out(token, out)
