"""Use cases for calendar invites: the outbox, answer links and iTIP replies.

``enqueue_for_change`` is called by ``meetings.service._notify`` INSIDE the transaction of
the meeting change: the change, its ``MeetingChange`` row and one complete, redacted
``OutboxMessage`` per affected recipient commit together or not at all. The worker
(``worker.py``) delivers them later. Answers come back through the personal link
(``/svar/{token}``) or as iTIP REPLY/COUNTER mails (``replies.py``).

``enqueue_for_change`` and ``resend_invitation`` read the process's settings through
``settings.current()``, the one place that does (every meeting use case reaches them; see
``settings.py``); everything else here is handed its settings by the caller.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_string
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from coordinator import clock, db, web
from coordinator import settings as config
from coordinator.audit.tables import AuditEvent
from coordinator.invites import redact
from coordinator.invites.ical import Person, is_valid_email
from coordinator.invites.imip import ImipMail, MailKind, as_sent, build_imip
from coordinator.invites.tables import AnswerToken, OutboxMessage
from coordinator.meetings import kinds, place, safety
from coordinator.meetings.participants import (
    KEPT_APART_COLUMN,
    ON_TEAM_COLUMN,
    RSVP_LABELS,
    safety_id,
    safety_person,
)
from coordinator.meetings.protected_places import (
    childrens_places,
    protected_facts,
    protected_people,
)
from coordinator.meetings.tables import (
    Meeting,
    MeetingPart,
    Participant,
)
from coordinator.reminders import preferences
from coordinator.settings import Settings

# The answers of the personal link. A proposed time is its own answer ("PROPOSED"), not the
# calendar's TENTATIVE ("Måske"); pages rendered before the change still post TENTATIVE.
ANSWERS = {"ACCEPTED": "Jeg deltager", "DECLINED": "Jeg kan ikke deltage",
           "PROPOSED": "Jeg foreslår et andet tidspunkt"}
ANSWER_ALIASES = {"TENTATIVE": "PROPOSED"}


def answered_themselves() -> dict:
    """The values that mark an answer as the participant's own (link or calendar): no
    longer one the socialrådgiver recorded for them."""
    return {Participant.answer_via: "", Participant.answer_recorded_by: None,
            Participant.answer_recorded_name: ""}


DELIVERY_LABELS = {"queued": "I kø", "sending": "Sendes", "sent": "Sendt", "failed": "Fejlet",
                   "superseded": "Erstattet af en nyere ændring",
                   "withheld": "Holdt tilbage: nævnte noget, modtageren nu ikke må se"}
# How the answers list marks a delivery: a failed mail stands out, a sent one is done, one
# on its way is a plain badge; every other state (superseded, not mailed) is quiet text.
DELIVERY_BADGES = {"failed": "badge badge-danger", "sent": "badge badge-ok", "queued": "badge",
                   "sending": "badge", "withheld": "badge badge-danger"}

log = logging.getLogger(__name__)


def uid_domain(settings: Settings) -> str:
    """The domain part of UIDs and Message-IDs: the public host name."""
    host = urlsplit(settings.public_base_url).hostname or ""
    return host if "." in host else "koordinator.invalid"


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a secret link is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def audit_as(username: str, action: str, entity: str, entity_id: object,
                   family_id: int | None, summary: str, address: str = "") -> None:
    """Audit an event done without an account (answer link, feed, inbound mail)."""
    await AuditEvent.insert(AuditEvent(
        user_id=None, username=username[:64], role="", action=action, entity=entity,
        entity_id=str(entity_id), family_id=family_id, summary=summary[:2000],
        client_address=address[:64]))


# ------------------------------------------------------------------------ loading

# The statements of ``load_meetings``, hand-written (Piccolo built each in ~0.4 ms, and an
# IN list of 2,000 meetings cost it 0.1 s to convert): the same columns under the same names.
# ``{ids}`` is an IN list, filled a chunk at a time (the engines take some 32,000 values).
_MEETINGS = (f'SELECT {db.columns(Meeting, "m")}, u."full_name" AS "organiser_name", '
             'u."email" AS "organiser_email", u."phone" AS "organiser_phone" '
             'FROM "meeting" m LEFT JOIN "app_user" u ON u."id" = m."organiser" '
             'WHERE m."id" IN ({ids}) ORDER BY m."id"')
_FAMILIES = 'SELECT "id", "at_crisis_centre" FROM "family" WHERE "id" IN ({ids})'
_CHILDREN = ('SELECT "family", "name" FROM "person" WHERE "family" IN ({ids}) '
             'AND "role" = \'child\' ORDER BY "id"')
_ORGANISATIONS = 'SELECT "id", "name", "location_protected" FROM "organisation" WHERE "id" IN ({ids})'
_ROOMS = 'SELECT "id", "name", "location", "at_crisis_centre" FROM "room" WHERE "id" IN ({ids})'
_PARTS = (f'SELECT {db.columns(MeetingPart)} FROM "meeting_part" WHERE "meeting" IN ({{ids}}) '
          'ORDER BY "meeting", "position"')
_AGENDAS = ('SELECT "meeting", "part_key", "title" FROM "agenda_point" WHERE "meeting" IN ({ids}) '
            'ORDER BY "meeting", "position", "id"')
_PARTICIPANTS = (
    f'SELECT {db.columns(Participant, "p")}, pe."role" AS "person_role", '
    'pe."protected_address" AS "protected_address", pe."used_violence" AS "used_violence", '
    'pe."contact_only_via_worker" AS "contact_only_via_worker", pe."phone" AS "person_phone", '
    'pe."address" AS "person_address", pe."sector" AS "person_sector", '
    f'{KEPT_APART_COLUMN}, '
    'pe."organisation" AS "person_organisation", u."unit" AS "user_unit", u."role" AS "user_role", '
    f'{ON_TEAM_COLUMN} '
    'FROM "participant" p LEFT JOIN "person" pe ON pe."id" = p."person" '
    'LEFT JOIN "app_user" u ON u."id" = p."user" WHERE p."meeting" IN ({ids}) ORDER BY p."id"')
_PART_KEYS = ('SELECT pp."participant", mp."key" FROM "participant_part" pp '
              'JOIN "meeting_part" mp ON mp."id" = pp."part" WHERE mp."meeting" IN ({ids}) '
              'ORDER BY pp."id"')
_INVITED_SEQUENCES = ('SELECT "meeting", "sequence" FROM "meeting_change" '
                      'WHERE "meeting" IN ({ids}) AND "change_kind" = \'invited\'')


async def _participant_rows(meeting_ids: list[int]) -> list[dict]:
    return await db.fetch_in(_PARTICIPANTS, meeting_ids)


async def _base_sequences(meeting_ids: list[int]) -> dict[int, int]:
    """Meeting.sequence at the first invitation: iCalendar SEQUENCE counts from there."""
    base: dict[int, int] = {}
    for row in await db.fetch_in(_INVITED_SEQUENCES, meeting_ids):
        base[row["meeting"]] = min(base.get(row["meeting"], row["sequence"]), row["sequence"])
    return base


async def load_meetings(meeting_ids: Iterable[int]) -> list[redact.MeetingData]:
    """Meetings as plain data for the redaction step, in a fixed number of queries."""
    ids = sorted(set(meeting_ids))
    if not ids:
        return []
    meetings = await db.fetch_in(_MEETINGS, ids)
    families = {f["id"]: f for f in await db.fetch_in(
        _FAMILIES, {m["family"] for m in meetings if m["family"]})}
    children: dict[int, list[str]] = {}
    for child in await db.fetch_in(_CHILDREN, families):
        children.setdefault(child["family"], []).append(child["name"])
    orgs = {o["id"]: o for o in await db.fetch_in(
        _ORGANISATIONS, {m["location_organisation"] for m in meetings if m["location_organisation"]})}
    rooms = {r["id"]: r for r in await db.fetch_in(_ROOMS, {m["room"] for m in meetings if m.get("room")})}
    parts = await db.fetch_in(_PARTS, ids)
    agendas: dict[int, list[tuple[str, str]]] = {}
    for point in await db.fetch_in(_AGENDAS, ids):
        agendas.setdefault(point["meeting"], []).append((point["part_key"], point["title"]))
    rows = await _participant_rows(ids)
    links = await db.fetch_in(_PART_KEYS, ids)
    base = await _base_sequences(ids)
    keys: dict[int, list[str]] = {}
    for link in links:
        keys.setdefault(link["participant"], []).append(link["key"])
    parts_of: dict[int, list[dict]] = {}
    for part in parts:
        parts_of.setdefault(part["meeting"], []).append(part)
    rows_of: dict[int, list[dict]] = {}
    for row in rows:
        rows_of.setdefault(row["meeting"], []).append(row)
    # Every protected place is withheld from the non-entitled wherever it is written, not
    # only when the meeting is held there: the same facts as on the meeting page, for every
    # meeting, and a place (typed text, room, organisation) is checked against them once
    # however many meetings share it.
    terms = await protected_facts()
    # A shielded family's children's school and day care: never to the father's side.
    childrens = await childrens_places(families)
    # The family's people whose contact data is protected, invited or not: their address,
    # phone and e-mail never reach those not entitled, wherever a worker wrote them.
    shielded = await protected_people(families)
    places: dict[tuple[Any, ...], place.Place] = {}
    result = []
    for meeting in meetings:
        # A meeting between organisations (an agreement evaluation) has no family and so
        # no crisis-centre stay to protect.
        family = families.get(meeting["family"], {"at_crisis_centre": False})
        own_parts = parts_of.get(meeting["id"], [])
        own_rows = rows_of.get(meeting["id"], [])
        people: dict[str, safety.Person] = {}
        participants = []
        for row in own_rows:
            row["safety_id"] = safety_id(row)
            row["part_keys"] = keys.get(row["id"], [])
            if row["removed_at"] is None:
                people[row["safety_id"]] = safety_person(row, bool(family["at_crisis_centre"]))
            participants.append(_participant_data(row))
        for row in own_rows:  # removed people are known only for their own cancellation
            if row["safety_id"] not in people:
                people[row["safety_id"]] = safety_person(row, bool(family["at_crisis_centre"]))
        # Partners read the kind and the children's first names, not the team's title for
        # the family, unless the team chose to share it (a meeting between organisations
        # has no family: its title is all there is).
        partner_title = "" if meeting["family"] is None or meeting["title_to_partners"] else \
            safety.partner_title(meeting["kind"], children.get(meeting["family"], []))
        org = orgs.get(meeting["location_organisation"]) if meeting["location_organisation"] else None
        room = rooms.get(meeting.get("room"))
        own_childrens = childrens.get(meeting["family"], ())
        where_key = (meeting["location"], meeting.get("room") if room else None,
                     meeting["location_organisation"] if org else None, own_childrens)
        if where_key not in places:
            # The one place the meeting page shows too (meetings/place.py): the typed text,
            # else the booked room, else the organisation; protected when any of them is a
            # protected place or the text names one.
            places[where_key] = place.place_of(meeting["location"], room, org, terms,
                                               own_childrens)
        result.append(_meeting_data(meeting, own_parts, participants, people, terms,
                                    places[where_key], base.get(meeting["id"], meeting["sequence"]),
                                    partner_title, tuple(agendas.get(meeting["id"], ())),
                                    own_childrens, shielded.get(meeting["family"], ()),
                                    tuple(children.get(meeting["family"], ()))))
    return result


def _participant_data(row: Mapping[str, Any]) -> redact.ParticipantData:
    return redact.ParticipantData(
        id=row["id"], safety_id=row["safety_id"], name=row["name"], email=row["email"] or "",
        rsvp=row["rsvp"], part_keys=tuple(row["part_keys"]),
        arrival_offset=row["arrival_offset"] or 0, departure_offset=row["departure_offset"] or 0,
        invite_via_worker=bool(row["invite_via_worker"]), removed=row["removed_at"] is not None,
        person_id=row["person"], user_id=row["user"],
        organisation_id=row.get("person_organisation"), category=row.get("category") or "")


def _meeting_data(meeting: Mapping[str, Any], parts: list[dict],
                  participants: list[redact.ParticipantData], people: dict[str, safety.Person],
                  terms: tuple[str, ...], where: place.Place, base_sequence: int,
                  partner_title: str = "", agenda: tuple[tuple[str, str], ...] = (),
                  childrens: tuple[str, ...] = (),
                  shielded: tuple[safety.Person, ...] = (),
                  family_children: tuple[str, ...] = ()) -> redact.MeetingData:
    text, at_protected_place = where.text, where.protected
    active = [p for p in participants if not p.removed]
    s_parts = tuple(
        safety.MeetingPart(part["key"], part["label"], frozenset(
            p.safety_id for p in active if part["key"] in p.part_keys))
        for part in parts)
    s_meeting = safety.Meeting(
        kind=meeting["kind"], title=meeting["title"],
        location=safety.Location(text=text, at_crisis_centre=at_protected_place,
                                 childrens_place=where.childrens), parts=s_parts,
        description=meeting["description"],
        invite_via_worker=frozenset(p.safety_id for p in active if p.invite_via_worker),
        send_email_invites=bool(meeting["send_email_invites"]), sensitive_terms=tuple(terms),
        childrens_places=childrens, protected_people=shielded, children=family_children,
        partner_title=partner_title, agenda=agenda)
    return redact.MeetingData(
        id=meeting["id"], family_id=meeting["family"], kind=meeting["kind"],
        title=meeting["title"], status=meeting["status"],
        sequence=max(0, meeting["sequence"] - base_sequence),
        send_email_invites=bool(meeting["send_email_invites"]),
        organiser_id=meeting["organiser"], organiser_name=meeting.get("organiser_name") or "",
        organiser_email=meeting.get("organiser_email") or "",
        organiser_phone=meeting.get("organiser_phone") or "",
        parts=tuple(redact.PartData(p["key"], p["label"], p["starts_at"], p["ends_at"])
                    for p in parts),
        participants=tuple(participants), safety_meeting=s_meeting, people=people,
        updated_at=meeting["updated_at"])


async def load_meeting(meeting_id: int) -> redact.MeetingData:
    """One meeting as plain data (see ``load_meetings``)."""
    [data] = await load_meetings([meeting_id])
    return data


# ------------------------------------------------------------------------ the outbox

def message_text(message: Message) -> str:
    """Everything a recipient can read in a mail: headers, decoded parts, file names.

    The leak scan runs on this, because base64, quoted-printable and RFC 2047 encoded
    words would hide a protected string from a scan of the raw bytes. A part that repeats
    another to the letter (an invitation's .ics attachment repeats its calendar part) is
    read once.
    """
    chunks = [line for name, value in message.items() for line in _header_lines(name, value)]
    for part in message.walk():
        chunks += [line for name, value in part.items() for line in _header_lines(name, value)]
        if filename := part.get_filename():
            chunks.append(filename)
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                chunks.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(dict.fromkeys(chunks))


def _header_lines(name: str, value: object) -> list[str]:
    """A header as written and, where it holds RFC 2047 encoded words, as its reader sees it
    decoded (decoding can mangle the plain text around an encoded word, so both are read)."""
    text = str(value)
    lines = [f"{name}: {text}"]
    if "=?" in text:
        try:
            decoded = str(make_header(decode_header(text)))
        except (ValueError, LookupError, UnicodeDecodeError):
            decoded = text
        if decoded != text:
            lines.append(f"{name}: {decoded}")
    return lines


def mailable(participant: redact.ParticipantData) -> bool:
    """Whether invites go to this participant by mail (else the case worker passes them on)."""
    return bool(participant.email) and not participant.invite_via_worker


def _mail_kind(change_kind: str, removed: bool, first: bool) -> MailKind:
    if change_kind == "cancelled":
        return MailKind.CANCELLATION
    if removed:
        return MailKind.REMOVAL
    return MailKind.INVITATION if first else MailKind.UPDATE


def _dedupe_key(data: redact.MeetingData, participant_id: int, method: str, part_key: str,
                revision: int | str | None) -> str:
    """One message per recipient, part (UID), SEQUENCE and method; a change of text only
    (same SEQUENCE) is told once per meeting version (``revision``)."""
    key = f"{data.id}:{participant_id}:{data.sequence}:{method}:{part_key}"
    return key + (f":r{revision}" if revision is not None else "")


def _part_of_key(dedupe_key: str) -> str | None:
    """The part a queued or sent message was about (None for a message of the old form)."""
    fields = dedupe_key.split(":")
    return fields[4] if len(fields) >= 5 else None


@dataclass
class _Telling:
    """What one participant is to be told by one change: the events projected for them and
    the parts (UIDs) those events are about. Pure; the outbox is asked afterwards."""

    participant: redact.ParticipantData
    kind: MailKind
    method: str
    redacted: Any
    wanted: list[tuple[Any, str]]
    whole_key: str  # the old form of message (all parts in one) for this SEQUENCE
    revision: int | str | None  # "w<id>": in place of the outbox row <id>, withheld

    def keys(self, data: redact.MeetingData) -> list[str]:
        """Every dedupe key this telling may look up."""
        found = [self.whole_key]
        found += [_dedupe_key(data, self.participant.id, self.method, part, self.revision)
                  for _, part in self.wanted]
        if self.method == "REQUEST":
            found += [_dedupe_key(data, self.participant.id, "CANCEL", part.key, None)
                      for part in data.parts if part.key not in self.participant.part_keys]
        return found


def _part_of_uid(settings: Settings, data: redact.MeetingData) -> dict[str, str]:
    """The part (key) each of the meeting's event UIDs is about."""
    return {redact.uid_for(data.id, part.key, uid_domain(settings)): part.key for part in data.parts}


def _telling(settings: Settings, data: redact.MeetingData, participant: redact.ParticipantData,
             kind: MailKind, now: datetime, revision: int | str | None) -> _Telling:
    method = "CANCEL" if kind in (MailKind.CANCELLATION, MailKind.REMOVAL) else "REQUEST"
    if not is_valid_email(participant.email):
        raise web.UserError(f"E-mailadressen for {participant.name} er ikke gyldig. Ret den, "
                            "eller lad socialrådgiveren give invitationen videre. Intet er sendt.")
    redacted = redact.events_for_recipient(
        data, participant.id, mail_from=settings.mail_from, uid_domain=uid_domain(settings),
        dtstamp=now, url=None, only_recipient=method == "CANCEL")
    part_of_uid = _part_of_uid(settings, data)
    return _Telling(participant, kind, method, redacted,
                    [(event, part_of_uid[event.uid]) for event in redacted.events],
                    f"{data.id}:{participant.id}:{data.sequence}:{method}", revision)


@dataclass(frozen=True)
class _NewToken:
    """An answer link to write (``answer_token``): only its hash."""

    meeting: int
    participant: int
    token_hash: str
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class _NewMessage:
    """A message to write to the outbox (``outbox_message``), queued."""

    meeting: int
    participant: int
    recipient_email: str
    kind: str
    sequence: int
    dedupe_key: str
    message_id: str
    message: str
    next_attempt_at: datetime
    created_at: datetime


# The statements of a change's outbox, hand-written: Piccolo built them (and an object per
# row) for every message of every partner, an eighth of a sent meeting's change.
_OUTBOX_ROWS = ('SELECT "id", "participant", "dedupe_key", "kind", "status", "attempts", '
                '"next_attempt_at" FROM "outbox_message" WHERE "meeting" = {} '
                'AND "status" != \'superseded\' ORDER BY "id"')
_TAKEN_KEYS = 'SELECT "dedupe_key" FROM "outbox_message" WHERE "dedupe_key" IN ({ids})'
_SUPERSEDE = ('UPDATE "outbox_message" SET "status" = \'superseded\' '
              'WHERE "id" IN ({ids}) AND "status" = \'queued\'')
_TOKEN_COLUMNS = ("meeting", "participant", "token_hash", "expires_at", "created_at")
_MESSAGE_COLUMNS = ("meeting", "participant", "recipient_email", "kind", "sequence",
                    "dedupe_key", "message_id", "message", "status", "attempts",
                    "next_attempt_at", "last_error", "claimed_by", "created_at")
_ROWS_PER_INSERT = 200  # well under either driver's 32,767 values per statement


async def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """``rows`` (values in ``columns``' order) into ``table``, a few hundred per statement."""
    row = f"({db.marks(columns)})"
    head = f'INSERT INTO "{table}" (' + ", ".join(f'"{c}"' for c in columns) + ") VALUES "
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start:start + _ROWS_PER_INSERT]
        await db.fetch(head + ", ".join(row for _ in chunk), *(v for r in chunk for v in r))


@dataclass
class _Outbox:
    """A meeting's outbox as one change sees it.

    Read in two statements (the rows still in play, and which of the keys the change may
    use are taken), changed in memory in the order the messages are decided, and written
    back in three (``flush``): the answer links, the superseded updates, the new messages.
    A change of a meeting with many partners so costs the same few statements as one
    with a single partner; it all runs inside the change's transaction.
    """

    rows: list[dict]
    taken: set[str]
    tokens: list[_NewToken] = field(default_factory=list)
    superseded: set[int] = field(default_factory=set)
    new: list[_NewMessage] = field(default_factory=list)

    @classmethod
    async def read(cls, meeting_id: int, keys: Iterable[str]) -> _Outbox:
        rows = await db.fetch(_OUTBOX_ROWS, meeting_id)
        taken = {row["dedupe_key"] for row in rows}
        if wanted := set(keys) - taken:
            taken |= {row["dedupe_key"] for row in await db.fetch_in(_TAKEN_KEYS, wanted)}
        return cls(rows, taken)

    def newest(self, participant_id: int, all_parts: list[str]) -> dict[str, str]:
        """Per part, the kind of the newest REQUEST or CANCEL to the participant that still
        stands (not superseded), this change's messages included."""
        newest: dict[str, str] = {}
        for row in self.rows:
            if (row["participant"] != participant_id or row["kind"] not in ("REQUEST", "CANCEL")
                    or row["status"] in ("superseded", "withheld")):
                continue  # replies to proposals are not in the calendar
            about = _part_of_key(row["dedupe_key"])
            for key in ([about] if about else all_parts):  # the old form: every part
                newest[key] = row["kind"]
        return newest

    def supersede_settling(self, participant_id: int, prefix: str, part: str,
                           now: datetime) -> None:
        """An update of this part still settling in the queue is replaced (by a newer update,
        or by a cancellation, which goes at once)."""
        for row in self.rows:
            if (row["participant"] == participant_id and row["status"] == "queued"
                    and row["kind"] == "REQUEST" and row["attempts"] == 0
                    and row["next_attempt_at"] > now and row["dedupe_key"].startswith(prefix)
                    and _part_of_key(row["dedupe_key"]) in (part, None)):
                row["status"] = "superseded"
                if row["id"] is not None:
                    self.superseded.add(row["id"])

    def add(self, message: _NewMessage) -> None:
        self.new.append(message)
        self.taken.add(message.dedupe_key)
        self.rows.append({"id": None, "participant": message.participant,
                          "dedupe_key": message.dedupe_key, "kind": message.kind,
                          "status": "queued", "attempts": 0,
                          "next_attempt_at": message.next_attempt_at})

    async def flush(self) -> None:
        if not db.in_transaction():  # the change's statements commit together or not at all
            raise RuntimeError("The outbox is written inside the change's transaction.")
        if self.tokens:
            await _insert("answer_token", _TOKEN_COLUMNS, [
                (t.meeting, t.participant, t.token_hash, t.expires_at, t.created_at)
                for t in self.tokens])
        if self.superseded:
            await db.fetch_in(_SUPERSEDE, self.superseded)
        if self.new:
            await _insert("outbox_message", _MESSAGE_COLUMNS, [
                (m.meeting, m.participant, m.recipient_email, m.kind, m.sequence, m.dedupe_key,
                 m.message_id, m.message, "queued", 0, m.next_attempt_at, "", "", m.created_at)
                for m in self.new])


async def _alarms(settings: Settings, tellings: list[_Telling]) -> dict[int, int]:
    """Per participant, the calendar alarm (VALARM) of an invitation:
    ``CALENDAR_ALARM_MINUTES`` before the start, unless the recipient turned reminders
    before meetings off (reminders domain). One lookup for all the change's recipients."""
    asked = [t.participant for t in tellings if t.method == "REQUEST"]
    if settings.calendar_alarm_minutes <= 0 or not asked:
        return {}
    wanted = await preferences.meeting_reminder_wishes([(p.email, p.user_id) for p in asked])
    return {p.id: settings.calendar_alarm_minutes if wanted[(p.email, p.user_id)] else 0
            for p in asked}


def _answer_url(settings: Settings, data: redact.MeetingData,
                participant: redact.ParticipantData, now: datetime, outbox: _Outbox) -> str:
    token = secrets.token_urlsafe(32)
    ends = [p.ends_at for p in data.parts if p.ends_at]
    last = max(ends) if ends else now
    outbox.tokens.append(_NewToken(
        meeting=data.id, participant=participant.id, token_hash=token_hash(token),
        expires_at=last + timedelta(days=settings.invite_link_days), created_at=now))
    return f"{settings.public_base_url.rstrip('/')}/svar/{token}"


async def _tell(settings: Settings, data: redact.MeetingData, tellings: list[_Telling],
                now: datetime) -> int:
    """Queue the messages of each telling: one iTIP message per part (UID) the participant
    is told about (iTIP carries one UID per message, so each part of a multi-part meeting is
    its own event and its own mail); a part the participant no longer attends is cancelled
    for them. Returns the number of messages queued."""
    if not tellings:
        return 0
    outbox = await _Outbox.read(data.id, (k for t in tellings for k in t.keys(data)))
    alarms = await _alarms(settings, tellings)
    all_parts = [part.key for part in data.parts]
    queued = 0
    for telling in tellings:
        participant, method = telling.participant, telling.method
        told = telling.revision is None and telling.whole_key in outbox.taken
        fresh = [(event, part) for event, part in telling.wanted if not told
                 and _dedupe_key(data, participant.id, method, part, telling.revision)
                 not in outbox.taken]
        if fresh:
            url = _answer_url(settings, data, participant, now, outbox) if method == "REQUEST" else None
            alarm = alarms.get(participant.id, 0)
            for event, part in fresh:
                queued += _queue(settings, data, participant, telling.kind, method, part,
                                 (replace(event, url=url, alarm_minutes=alarm),),
                                 telling.redacted.view, url, now, telling.revision, outbox)
        if method == "REQUEST":
            # A part whose newest message to this participant is a REQUEST is in their
            # calendar; if they no longer attend it, it is cancelled for them (once).
            newest = outbox.newest(participant.id, all_parts)
            dropped = sorted(p for p in all_parts
                             if newest.get(p) == "REQUEST" and p not in participant.part_keys)
            if dropped:
                gone = redact.events_for_dropped_parts(
                    data, participant.id, dropped, mail_from=settings.mail_from,
                    uid_domain=uid_domain(settings), dtstamp=now)
                part_of_uid = _part_of_uid(settings, data)
                for event in gone.events:
                    part = part_of_uid[event.uid]
                    if _dedupe_key(data, participant.id, "CANCEL", part, None) not in outbox.taken:
                        queued += _queue(settings, data, participant, MailKind.REMOVAL, "CANCEL",
                                         part, (event,), gone.view, None, now, None, outbox)
    await outbox.flush()
    return queued


def _queue(settings: Settings, data: redact.MeetingData, participant: redact.ParticipantData,
           kind: MailKind, method: str, part: str, events: tuple, view: Any, url: str | None,
           now: datetime, revision: int | str | None, outbox: _Outbox) -> int:
    """Build, scan and queue one message with one event; an older message about the same
    part still waiting in the queue is superseded (a burst of edits sends one mail)."""
    mail = ImipMail(kind=kind, sender=Person(events[0].organizer.name, settings.mail_from),
                    recipient=Person(participant.name, participant.email),
                    reply_to=redact.reply_to_for(data, data.people[participant.safety_id], view),
                    events=events, answer_url=url)
    message = build_imip(mail, message_id_domain=uid_domain(settings), now=now)
    if safety.scan_for_leaks(message_text(message), view.protected_strings):
        raise web.UserError(f"Invitationen til {participant.name} ville vise oplysninger, som "
                            "modtageren ikke må se. Ret mødets titel eller beskrivelse. Intet er sendt.")
    settle = settings.invite_update_settle_seconds if kind is MailKind.UPDATE else 0
    if kind is MailKind.UPDATE or method == "CANCEL":
        # An update of this part still settling in the queue is replaced by a newer update
        # or by a cancellation (which goes at once: the older update, sent after it, would
        # put the meeting back in the calendar).
        outbox.supersede_settling(participant.id, f"{data.id}:{participant.id}:", part, now)
    outbox.add(_NewMessage(
        meeting=data.id, participant=participant.id, recipient_email=participant.email,
        kind=method, sequence=data.sequence,
        dedupe_key=_dedupe_key(data, participant.id, method, part, revision),
        message_id=str(message["Message-ID"]),
        message=as_sent(message).decode("ascii"),
        next_attempt_at=now + timedelta(seconds=settle), created_at=now))
    return 1


async def enqueue_for_change(meeting_id: int, change_kind: str,
                             removed_participant_ids: Iterable[int] = (), *,
                             version: int | None = None) -> int:
    """Write complete, redacted invite mails per affected recipient to the outbox.

    Call INSIDE the meeting change's transaction (``meetings.service._notify`` does).
    ``invited``/``rescheduled``/``participant_removed``: a REQUEST with the current
    SEQUENCE to every mailable participant still invited; ``participant_removed`` also a
    CANCEL to each removed one; ``cancelled``: a CANCEL to everybody; ``updated`` (title or
    description, same SEQUENCE): a REQUEST to everybody, once per meeting version.
    Participants without an e-mail (or invited via the case worker) get nothing. One
    message per part (UID). ``version``: the meeting's version after the change, where the
    caller holds the row it wrote (read here otherwise). Returns the number queued.
    """
    data = await load_meeting(meeting_id)
    settings = config.current()
    now = clock.now()
    if not data.send_email_invites or not data.scheduled:
        return 0
    if change_kind == "updated" and version is None:
        rows = await db.fetch('SELECT "version" FROM "meeting" WHERE "id" = {}', meeting_id)
        version = rows[0]["version"] if rows else None
    revision = version if change_kind == "updated" else None
    removed_ids = {int(i) for i in removed_participant_ids}
    already = {row["participant"] for row in await db.fetch(
        'SELECT DISTINCT "participant" FROM "outbox_message" WHERE "meeting" = {} '
        "AND \"kind\" = 'REQUEST'", meeting_id)}
    tellings = []
    for participant in data.participants:
        if not mailable(participant) or not participant.part_keys:
            continue
        if participant.removed and participant.id not in removed_ids:
            continue
        if change_kind == "updated" and (participant.removed or participant.id not in already):
            continue  # told only about what they already have in their calendar
        if participant.removed or change_kind == "cancelled":
            kind = _mail_kind(change_kind, participant.removed, False)
        else:
            kind = _mail_kind(change_kind, False, participant.id not in already)
        tellings.append(_telling(settings, data, participant, kind, now, revision))
    return await _tell(settings, data, tellings, now)


async def resend_invitation(meeting_id: int, participant_id: int, revision: int) -> int:
    """The invitation again, to one participant only: their e-mail address changed after the
    meeting was sent, so the calendar at the new address has nothing. The same SEQUENCE;
    ``revision`` (the meeting's version after this write) keeps it apart from what was sent
    before. Call INSIDE the write's transaction. Returns the number of messages queued."""
    data = await load_meeting(meeting_id)
    participant = data.participant(participant_id)
    if participant is None or participant.removed or not mailable(participant):
        raise web.UserError("Deltageren får ikke invitationer pr. e-mail.", 409)
    if not data.send_email_invites or not data.scheduled:
        return 0
    settings, now = config.current(), clock.now()
    return await _tell(settings, data, [_telling(settings, data, participant, MailKind.INVITATION,
                                                 now, revision)], now)


WITHHELD_NOTE = "Holdt tilbage før afsendelse: nævnte noget, modtageren nu ikke må se"
_WITHHOLD = ("UPDATE \"outbox_message\" SET \"status\" = 'withheld', \"claimed_until\" = NULL, "
             "\"last_error\" = {} WHERE \"id\" = {} AND \"status\" = 'sending' RETURNING \"id\"")
_SENT_REQUEST = ('SELECT 1 AS "sent" FROM "outbox_message" WHERE "meeting" = {} '
                 'AND "participant" = {} AND "kind" = \'REQUEST\' AND "status" = \'sent\'')


async def safe_to_send_now(row: Mapping[str, Any]) -> bool:
    """The second line: a mail about a meeting is scanned once more just before it leaves,
    against what its recipient may read NOW (the first line, ``_queue``, scanned it when it
    was composed). What became protected in between – a person marked protected, the
    family checked in at the crisis centre (its children's school), a place marked
    protected, a colleague taken off the team – keeps it from going: it is withheld (the
    meeting page says so) and, for an invitation or update to someone still invited, one
    built from the data as it is now takes its place, in the same transaction. Returns
    whether ``row`` (an outbox row this worker is sending) may be sent."""
    if row.get("meeting") is None or row.get("participant") is None:
        return True  # a digest: built for a staff account, of her own families
    loaded = await load_meetings([row["meeting"]])
    data = loaded[0] if loaded else None
    recipient = data.participant(row["participant"]) if data is not None else None
    if data is not None and recipient is not None and recipient.safety_id in data.people:
        text = message_text(message_from_string(row["message"], policy=email_policy.default))
        if not safety.scan_for_leaks(text, redact.view_for_recipient(data, recipient)
                                     .protected_strings):
            return True
    async with db.transaction():
        if not await db.fetch(_WITHHOLD, WITHHELD_NOTE, row["id"]):
            return False  # no longer this worker's to send
        replaced = 0
        if (data is not None and recipient is not None and row.get("kind") == "REQUEST"
                and not recipient.removed and recipient.part_keys and mailable(recipient)
                and data.send_email_invites and data.scheduled):
            settings, now = config.current(), clock.now()
            first = not await db.fetch(_SENT_REQUEST, data.id, recipient.id)
            try:
                replaced = await _tell(settings, data, [_telling(
                    settings, data, recipient, MailKind.INVITATION if first else MailKind.UPDATE,
                    now, f"w{row['id']}")], now)
            except web.UserError:  # the current data cannot be sent to them: withheld only
                replaced = 0
    log.warning("outbox message %s withheld before sending: it named what its recipient may "
                "no longer read (%d in its place)", row["id"], replaced)
    return False


async def letter_tells(data: redact.MeetingData, participant_id: int) -> str:
    """What a printed letter to a participant tells (``kinds.telling_state``): the
    cancellation of a cancelled meeting; the change, to someone told of the meeting before
    it moved; else the invitation."""
    if data.status == "cancelled":
        return "cancellation"
    rows = await db.fetch('SELECT p."told_what", p."told_sequence", m."sequence" '
                          'FROM "participant" p JOIN "meeting" m ON m."id" = p."meeting" '
                          'WHERE p."id" = {}', participant_id)
    told = rows[0] if rows else {"told_what": "", "told_sequence": None, "sequence": 0}
    return ("change" if told["told_what"] == "invitation"
            and told["told_sequence"] != told["sequence"] else "invitation")


@dataclass(frozen=True)
class Delivery:
    """One participant's answer and invite delivery, as the organiser sees them."""

    participant_id: int
    name: str
    answer: str
    answer_label: str
    comment: str
    answered_at: datetime | None
    mail: bool
    status: str
    status_label: str
    attempts: int
    last_error: str
    sent_at: datetime | None
    recorded: str = ""  # an answer the socialrådgiver recorded: how, by whom

    @property
    def badge(self) -> str:
        """The class that marks the delivery's state in the answers list."""
        return DELIVERY_BADGES.get(self.status, "muted")


# How an invitation reaches those the system does not e-mail (participant.channel).
NOT_MAILED = {"phone": "Socialrådgiveren inviterer pr. telefon",
              "letter": "Inviteres med brev",
              "worker": "Socialrådgiveren giver invitationen videre"}


async def deliveries(meeting_id: int) -> list[Delivery]:
    """Each active participant's answer and the state of their latest invite mail."""
    rows = await Participant.select().where(
        (Participant.meeting == meeting_id) & Participant.removed_at.is_null()
    ).order_by(Participant.id)
    mails = await OutboxMessage.select(
        OutboxMessage.participant, OutboxMessage.status, OutboxMessage.attempts,
        OutboxMessage.last_error, OutboxMessage.sent_at,
    ).where((OutboxMessage.meeting == meeting_id) & OutboxMessage.kind.is_in(["REQUEST", "CANCEL"])
            ).order_by(OutboxMessage.id)
    latest = {m["participant"]: m for m in mails}
    meeting = await Meeting.select(Meeting.status, Meeting.sequence).where(
        Meeting.id == meeting_id).first() or {"status": "", "sequence": 0}
    result = []
    for row in rows:
        mail = latest.get(row["id"])
        has_mail = bool(row["email"]) and not row["invite_via_worker"]
        status = mail["status"] if mail else ("none" if has_mail else "no_email")
        # someone not e-mailed: what the socialrådgiver has told them, or still must
        telling = "" if has_mail else kinds.TELLING_LABELS[kinds.telling_state(
            meeting["status"], meeting["sequence"], row["told_what"], row["told_sequence"])]
        label = DELIVERY_LABELS.get(status) or (
            "Ikke sendt endnu" if has_mail else NOT_MAILED.get(
                row["channel"], "Ingen e-mailadresse – vælg telefon, brev eller via socialrådgiveren")
            + (f" · {telling}" if telling else ""))
        recorded = ""
        if row["answer_recorded_name"] and row["rsvp"] != "NEEDS-ACTION":
            via = kinds.ANSWER_VIA.get(row["answer_via"])
            recorded = (f"givet {via}, " if via else "") + f"registreret af {row['answer_recorded_name']}"
        result.append(Delivery(
            row["id"], row["name"], row["rsvp"], RSVP_LABELS.get(row["rsvp"], row["rsvp"]),
            row["rsvp_comment"], row["answered_at"], has_mail, status, label,
            mail["attempts"] if mail else 0, mail["last_error"] if mail else "",
            mail["sent_at"] if mail else None, recorded))
    return result


# ------------------------------------------------------------------------ answers

@dataclass(frozen=True)
class AnswerLink:
    """A valid answer link: who answers which meeting."""

    token_id: int
    meeting_id: int
    participant_id: int
    expires_at: datetime


class AnswerLinkGone(Exception):
    """The link was real but no longer works: it expired, the meeting was cancelled or the
    person was taken off it. The page says only that (410), nothing of the meeting."""


async def resolve_answer_token(token: str) -> AnswerLink | None:
    """The link behind a token (None: no such link). Raises ``AnswerLinkGone`` when it has
    expired, its meeting is cancelled or its participant was removed."""
    if not token or len(token) > 100:
        return None
    row = await AnswerToken.select().where(AnswerToken.token_hash == token_hash(token)).first()
    if row is None:
        return None
    if row["expires_at"] <= clock.now():
        raise AnswerLinkGone()
    active = await Participant.exists().where(
        (Participant.id == row["participant"]) & Participant.removed_at.is_null())
    meeting = await Meeting.select(Meeting.status).where(Meeting.id == row["meeting"]).first()
    if not active or meeting is None or meeting["status"] == "cancelled":
        raise AnswerLinkGone()
    return AnswerLink(row["id"], row["meeting"], row["participant"], row["expires_at"])


async def own_comment(participant_id: int) -> str:
    """What the participant wrote with their own answer (through their link or their
    calendar; a time they proposed is at its start): shown on their answer page with the
    answer. Empty when the socialrådgiver recorded the answer for them: her note is hers."""
    rows = await db.fetch('SELECT "rsvp_comment", "answer_recorded_by", "answered_at" '
                          'FROM "participant" WHERE "id" = {}', participant_id, quick=True)
    if not rows or rows[0]["answer_recorded_by"] is not None or rows[0]["answered_at"] is None:
        return ""
    return rows[0]["rsvp_comment"] or ""


async def record_answer(link: AnswerLink, answer: str, comment: str,
                        proposed: datetime | None, address: str = "") -> None:
    """Store a participant's answer from their personal link; audited, one transaction."""
    answer = ANSWER_ALIASES.get(answer, answer)
    if answer not in ANSWERS:
        raise web.UserError("Vælg et af svarene.", field="answer")
    if answer == "PROPOSED" and proposed is None:
        raise web.UserError("Skriv det tidspunkt, du foreslår.", field="proposed")
    if proposed is not None and answer == "PROPOSED":
        comment = f"Foreslår {web.fmt_datetime(proposed)}. {comment}".strip()
    async with db.transaction():
        meeting = await Meeting.select(Meeting.family, Meeting.status).where(
            Meeting.id == link.meeting_id).first()
        if meeting is None or meeting["status"] not in kinds.ANSWERABLE_STATUSES:
            raise web.UserError("Mødet kan ikke længere besvares.", 409)
        await Participant.update({
            Participant.rsvp: answer, Participant.rsvp_comment: comment[:2000],
            Participant.answered_at: clock.now(), **answered_themselves(),
        }).where(Participant.id == link.participant_id)
        await audit_as(f"svarlink:{link.participant_id}", "update", "møde", link.meeting_id,
                       meeting["family"], f"Svar via personligt link: {ANSWERS[answer]}", address)
