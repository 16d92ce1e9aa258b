"""Subscribed calendar feeds behind revocable secret tokens.

Three kinds: a partner organisation's meetings (where its people take part), a user's
meetings (organised or attended), and one recurring series (team meeting, annual
cooperation meeting). Every event passes the redaction step (``redact.events_for_feed``):
a feed link can be forwarded and synced to cloud calendars, so a feed never shows a
protected location, never lists attendees, and names children as externals see them.

Conditional GETs are answered from a cheap version query (no calendar is built for a
304); a built calendar is kept in a small in-process cache keyed by token and version,
so repeated fetches of an unchanged feed cost one token lookup and one version query. The
version last served and its copy are kept with the link, so the other web processes answer
from them instead of building the same calendar each.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import pickle
import secrets
import threading
import weakref
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from coordinator import admission, clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.cache import BoundedCache
from coordinator.families import revisions
from coordinator.invites import redact, withdrawal
from coordinator.invites.ical import CalendarEvent, Person, build_publish
from coordinator.invites.service import (
    audit_as,
    load_meetings,
    token_hash,
    uid_domain,
)
from coordinator.invites.tables import FeedCopy, FeedToken, MeetingSeries
from coordinator.meetings.kinds import SENT_STATUSES, MeetingStatus
from coordinator.meetings.tables import Meeting, ParticipantPart
from coordinator.network.tables import Organisation
from coordinator.settings import Settings

KINDS = {"partner_organisation": "Partnerorganisation", "user": "Bruger", "series": "Mødeserie"}
USER_FEED_STATUSES = (MeetingStatus.PLANNED.value, *SENT_STATUSES)
AUDIT_EVERY = timedelta(hours=1)
_CACHE_SIZE = 64


@dataclass(frozen=True)
class FeedVersion:
    """What a conditional GET is answered from."""

    etag: str
    last_modified: datetime
    # The GDPR purge's stamp when the version was read (``revisions.PURGE``, replaced only
    # by the purge of a family): a calendar built under another one may hold what the purge
    # blanked (``record_served``, ``_withdrawn``: no clock is compared for that).
    purge: str = ""


# ------------------------------------------------------------------------ tokens

async def create_token(user: Principal, kind: str, target_id: int, label: str,
                       address: str = "") -> str:
    """Create a feed token and return the secret (shown once; only its hash is stored)."""
    if kind not in kinds_for(user):
        raise web.UserError("Vælg en gyldig type kalender.", 403 if kind in KINDS else 422, field="kind")
    if kind == "user" and target_id != user.id:
        raise web.UserError("Du kan kun oprette din egen kalender. En kollega opretter selv sin.", 403)
    await _check_target(kind, target_id)
    if await FeedToken.exists().where(
            (FeedToken.created_by == user.id) & (FeedToken.kind == kind)
            & (FeedToken.target_id == target_id) & (FeedToken.label == label[:200])
            & FeedToken.revoked_at.is_null()):
        # the form sent again (the browser's reload) would make a second live secret link
        raise web.UserError(f"Du har allerede et kalenderlink »{label[:200]}« til det samme. "
                            "Brug det, eller tilbagekald det, hvis du vil have et nyt link. "
                            "Intet er oprettet.", 409, field="label")
    token = secrets.token_urlsafe(32)
    async with db.transaction():
        rows = await FeedToken.insert(FeedToken(kind=kind, target_id=target_id,
                                                label=label[:200], token_hash=token_hash(token),
                                                created_by=user.id))
        await audit.record(user, "create", "kalenderfeed", rows[0]["id"], None,
                           f"{KINDS[kind]}: {label}", address)
    return token


def kinds_for(user: Principal) -> dict[str, str]:
    """The feeds a user may create. A partner organisation's feed carries meetings of every
    family the partner takes part in, so only a leader makes it (for the partner, who is
    entitled to their own meetings); a user feed is one's own; series are internal."""
    return {k: v for k, v in KINDS.items() if k != "partner_organisation" or user.role is Role.LEDER}


# The form field that chooses what a feed of each kind shows.
TARGET_FIELDS = {"partner_organisation": "organisation", "user": "user", "series": "series"}
TARGET_LABELS = {"partner_organisation": "Partnerorganisation", "user": "Bruger",
                 "series": "Mødeserie"}  # the fields' labels on the form


async def _check_target(kind: str, target_id: int) -> None:
    tables: dict[str, type[Organisation] | type[User] | type[MeetingSeries]] = {
        "partner_organisation": Organisation, "user": User, "series": MeetingSeries}
    table = tables[kind]
    if not await table.exists().where(table.id == target_id):
        raise web.UserError("Det valgte findes ikke.", field=TARGET_FIELDS[kind])
    if kind == "partner_organisation" and await Organisation.exists().where(
            (Organisation.id == target_id) & (Organisation.location_protected == True)):  # noqa: E712
        raise web.UserError("Et beskyttet sted (krisecentret) kan ikke få en partnerkalender: den "
                            "ville sende stedets møder ud af huset.", 403)


async def revoke(user: Principal, token_id: int, address: str = "") -> None:
    """Revoke a feed token: its link answers 404 from now on."""
    row = await FeedToken.select().where(FeedToken.id == token_id).first()
    if row is None or (row["created_by"] != user.id and user.role is not Role.LEDER):
        raise web.UserError("Kalenderen findes ikke.", 404)
    async with db.transaction():
        await FeedToken.update({FeedToken.revoked_at: clock.now()}).where(
            (FeedToken.id == token_id) & FeedToken.revoked_at.is_null())
        await FeedCopy.delete().where(FeedCopy.token == token_id)  # nothing kept for a dead link
        await audit.record(user, "update", "kalenderfeed", token_id, None,
                           f"Tilbagekaldt: {row['label']}", address)


async def targets() -> tuple[list[dict], list[dict]]:
    """What a feed link may follow besides one's own meetings: the partner organisations
    whose location is not protected, and the recurring meeting series."""
    organisations = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.location_protected == False  # noqa: E712
    ).order_by(Organisation.name)
    series = await MeetingSeries.select(MeetingSeries.id, MeetingSeries.title).order_by(
        MeetingSeries.title)
    return organisations, series


async def tokens_for(user: Principal) -> list[dict]:
    """The feed tokens a user manages (a leader sees all)."""
    query = FeedToken.select(*FeedToken.all_columns(),
                             FeedToken.created_by.full_name.as_alias("creator"))
    if user.role is not Role.LEDER:
        query = query.where(FeedToken.created_by == user.id)
    rows = await query.order_by(FeedToken.id, ascending=False)
    for row in rows:
        row["kind_label"] = KINDS.get(row["kind"], row["kind"])
    return rows


async def audit_fetch(row: dict, address: str) -> None:
    """Record a feed fetch as ``feed:<id>``, at most once per hour per token."""
    now = clock.now()
    last = row["last_audited_at"]
    if last is not None and _aware(last) > now - AUDIT_EVERY:
        return
    async with db.transaction():
        updated = await FeedToken.update({FeedToken.last_audited_at: now}).where(
            (FeedToken.id == row["id"]) & (FeedToken.last_audited_at.is_null()
                                           | (FeedToken.last_audited_at < now - AUDIT_EVERY))
        ).returning(FeedToken.id)
        if updated:
            await audit_as(f"feed:{row['id']}", "read", "kalenderfeed", row["id"], None,
                           f"Kalender hentet: {row['label']}", address)


# ------------------------------------------------------------------------ versions

def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# One round trip answers "is this token live, and what version is its feed?": the token
# row plus max(updated_at) and max(id) (never the calendar itself). Any meeting change
# anywhere changes every meeting feed's ETag — correct, and cheap to answer: every part is
# one index lookup (the updated_at indexes come with the invites migration "feed version
# indexes"), where count(*) scanned 1 M meetings and 6.7 M participants at national scale.
# max(id) sees every new meeting and participant as count(*) did; neither is ever deleted
# (participants are marked removed, which bumps the meeting). The shared data's content
# stamp (families/revisions.py) sees the organisations and rooms whose protected places
# the redaction withholds: a place marked protected later is withheld at the next build.
_RESOLVE_WITH_VERSION = (
    "SELECT t.id, t.kind, t.target_id, t.label, t.last_audited_at, t.served_etag, "
    "t.served_modified, t.served_at, t.build_claim, t.building_since, t.building_by, "
    "(SELECT max(updated_at) FROM meeting) AS m, (SELECT max(id) FROM meeting) AS mc, "
    "(SELECT max(updated_at) FROM person) AS p, (SELECT max(id) FROM participant) AS pc, "
    f"(SELECT r.stamp FROM content_revision r WHERE r.family_id = {revisions.GLOBAL}) AS gs, "
    f"(SELECT r.stamp FROM content_revision r WHERE r.family_id = {revisions.PURGE}) AS ps, "
    f"(SELECT r.changed_at FROM content_revision r WHERE r.family_id = {revisions.PURGE}) AS pw, "
    "(SELECT s.updated_at FROM meeting_series s WHERE s.id = t.target_id) AS su, "
    "(SELECT s.version FROM meeting_series s WHERE s.id = t.target_id) AS sv "
    "FROM feed_token t WHERE t.token_hash = {} AND t.revoked_at IS NULL "
    # A user's own feed lives with her account: deactivated, its link stops at once, as her
    # sessions do. A partner's feed is the organisation's and outlives whoever made it.
    "AND (t.kind != 'user' OR EXISTS (SELECT 1 FROM app_user u WHERE u.id = t.target_id "
    "AND u.active))")


async def resolve_with_version(token: str) -> tuple[dict, FeedVersion] | None:
    """The live token row and its feed's version, in one query; None if unknown, revoked or
    the feed of a deactivated account."""
    if not token or len(token) > 100:
        return None
    rows = await db.fetch(_RESOLVE_WITH_VERSION, token_hash(token), quick=True)
    if not rows:
        return None
    row = rows[0]
    if row["kind"] == "series":
        stamp = _aware(row["su"]) if row["su"] else datetime(2000, 1, 1, tzinfo=UTC)
        basis = f"s:{row['sv']}:{stamp.isoformat()}"
    else:
        # the newest change of a meeting or a network person, or of what the calendars
        # withhold (``withdrawal``: a family became shielded, a place protected)
        stamps = [_aware(v) for v in (row["m"], row["p"], row["pw"]) if v]
        stamp = max(stamps) if stamps else datetime(2000, 1, 1, tzinfo=UTC)
        basis = f"m:{row['m']}:{row['mc']}:{row['p']}:{row['pc']}:{row['gs'] or ''}:{row['ps'] or ''}"
    digest = hashlib.sha256(f"{row['id']}:{row['kind']}:{row['target_id']}:{basis}".encode()).hexdigest()
    return row, FeedVersion(f'"{digest[:32]}"', stamp.replace(microsecond=0), row["ps"] or "")


async def after_every_change() -> datetime:
    """A moment later, at the second, than every partner feed's Last-Modified now (the
    newest change of a meeting or a network person, or of what the calendars withhold),
    and no earlier than now: for a write
    that must give every feed a new Last-Modified whatever this host's clock says (the
    GDPR purge: a client that asks with If-Modified-Since alone gets the blanked calendar)."""
    rows = await db.fetch('SELECT (SELECT max("updated_at") FROM "meeting") AS "m", '
                          '(SELECT max("updated_at") FROM "person") AS "p", '
                          '(SELECT "changed_at" FROM "content_revision" '
                          f'WHERE "family_id" = {revisions.PURGE}) AS "w"')
    newest = [_aware(value).replace(microsecond=0) + timedelta(seconds=1)
              for value in rows[0].values() if value]
    return max([clock.now(), *newest])


# ------------------------------------------------------------------------ building

async def _meeting_parts(kind: str, target_id: int) -> dict[int, set[str]]:
    """meeting id → the part keys the feed's subject attends."""
    if kind == "partner_organisation":
        links = await ParticipantPart.select(
            ParticipantPart.participant.meeting.as_alias("meeting"),
            ParticipantPart.part.key.as_alias("key"),
        ).where((ParticipantPart.participant._.person.organisation == target_id)
                & ParticipantPart.participant.removed_at.is_null()
                & ParticipantPart.participant._.meeting.status.is_in(list(SENT_STATUSES)))
    else:
        links = await ParticipantPart.select(
            ParticipantPart.participant.meeting.as_alias("meeting"),
            ParticipantPart.part.key.as_alias("key"),
        ).where((ParticipantPart.participant.user == target_id)
                & ParticipantPart.participant.removed_at.is_null()
                & ParticipantPart.participant._.meeting.status.is_in(list(USER_FEED_STATUSES)))
    result: dict[int, set[str]] = {}
    for link in links:
        result.setdefault(link["meeting"], set()).add(link["key"])
    if kind == "user":
        organised = await Meeting.select(Meeting.id).where(
            (Meeting.organiser == target_id) & Meeting.status.is_in(list(USER_FEED_STATUSES)))
        for row in organised:
            result.setdefault(row["id"], set()).add("*")
    return result


async def meeting_events(kind: str, target_id: int, now: datetime, settings: Settings
                         ) -> list[CalendarEvent]:
    """The redacted events of a partner organisation's or a user's feed."""
    wanted = await _meeting_parts(kind, target_id)
    return _redacted(await load_meetings(wanted), wanted, now, settings)


def _redacted(datas: list, wanted: dict[int, set[str]], now: datetime, settings: Settings
              ) -> list[CalendarEvent]:
    events: list[CalendarEvent] = []
    for data in datas:
        if not data.scheduled:
            continue
        keys = wanted[data.id]
        if "*" in keys:
            keys = {p.key for p in data.parts}
        events.extend(_feed_events(data, keys, settings.mail_from, uid_domain(settings), now))
    return events


# One meeting's events as a feed publishes them, under a digest of everything the redaction
# reads: the meeting as loaded (its parts, participants, people with their contacts and
# roles, the safety model with the protected facts), the parts the feed shows and the
# sender. The redaction is a pure function of these, so an equal digest is an equal result
# and nothing is ever invalidated: a changed meeting, person or protected fact is a new
# digest. A feed rebuilt after a change redacts only what changed (2,000 meetings took 5 s
# at national scale, where every text is checked against every crisis centre's facts).
# Feeds are built in threads, hence the lock.
_FEED_EVENTS_DTSTAMP = datetime(2000, 1, 1, tzinfo=UTC)
_feed_events_cache: BoundedCache[bytes, tuple[CalendarEvent, ...]] = BoundedCache(
    "feed events", 20_000)
_feed_events_lock = threading.Lock()


def _feed_events(data: redact.MeetingData, keys: set[str], mail_from: str, domain: str,
                 now: datetime) -> list[CalendarEvent]:
    """``redact.events_for_feed`` of one meeting, stamped ``now``, redacted once per input."""
    digest = hashlib.blake2b(pickle.dumps((data, sorted(keys), mail_from, domain),
                                          protocol=pickle.HIGHEST_PROTOCOL),
                             digest_size=32).digest()
    with _feed_events_lock:
        events = _feed_events_cache.get(digest)
    if events is None:
        events = redact.events_for_feed(data, keys, mail_from=mail_from, uid_domain=domain,
                                        dtstamp=_FEED_EVENTS_DTSTAMP).events
        with _feed_events_lock:
            _feed_events_cache.put(digest, events)
    return [replace(event, dtstamp=now) for event in events]


def _exdates(text: str) -> tuple[datetime, ...]:
    return tuple(_aware(v.strip()) for v in text.split(",") if v.strip())


async def series_event(series_id: int, now: datetime, settings: Settings) -> list[CalendarEvent]:
    """One recurring series as a single event with RRULE and EXDATEs."""
    row = await MeetingSeries.select().where(MeetingSeries.id == series_id).first()
    if row is None:
        return []
    start = _aware(row["dtstart"])
    return [CalendarEvent(
        uid=f"series-{row['key']}@{uid_domain(settings)}".replace("_", "-"),
        sequence=max(0, row["version"] - 1), dtstamp=now, start=start,
        end=start + timedelta(minutes=row["duration_minutes"]), summary=row["title"],
        organizer=Person(redact.ORGANISATION_NAME, settings.mail_from),
        location=row["location"] or None, rrule=row["rrule"], exdates=_exdates(row["exdates"]),
        private=False)]


async def calendar_name(row: dict) -> str:
    """The feed's display name (X-WR-CALNAME)."""
    return f"Koordinator – {row['label']}" if row["label"] else "Koordinator"


@dataclass
class Build:
    """A feed link's latest calendar: when it was started, for which version, the bytes."""

    at: datetime
    version: FeedVersion
    body: asyncio.Future[bytes]
    # The calendar last served, sent again while another process builds the new one
    # (``_last_served``): never noted on the link as served anew.
    again: bool = False
    # While this one is built: a calendar this process holds, as (ETag it was served under,
    # body), sent meanwhile if it is still the one last served (``_meanwhile``).
    before: tuple[str, asyncio.Future[bytes]] | None = None


def _held(build: Build | None) -> tuple[str, asyncio.Future[bytes]] | None:
    """A calendar this process holds (built here or copied), as (ETag, body); None while
    it is being built or when its build failed."""
    if build is None or not build.body.done() or build.body.cancelled() \
            or build.body.exception() is not None:
        return None
    return build.version.etag, build.body


_builds: BoundedCache[int, Build] = BoundedCache("feed builds", _CACHE_SIZE)  # token id -> latest
log = logging.getLogger("coordinator.feeds")


async def settled(row: dict, current: FeedVersion, settings: Settings,
                  shared: FeedVersion | None = None) -> Build:
    """The calendar to serve for a feed link (being built or built), with its version and
    when its build began.

    A build of the current version is served once it is built. Else ``shared``, the version last
    served for the link by any process while it is still the one to serve
    (``shared_version``): a process that has not built it sends the copy kept with the link
    (``record_served``) instead of building the same calendar again. Otherwise the latest
    build is served while it is younger than ``FEED_SETTLE_SECONDS``: calendar clients poll
    every 15–60 minutes, so a change reaching them a minute later costs nothing, while
    rebuilding a partner's 2,000 events on every fetch during a day of writes took the
    server down. Concurrent fetches share one build; a failed build is forgotten.

    A new build is claimed on the link (``claim_build``), so of several web processes one
    builds and the others send the calendar last served until its build is recorded, for at
    most ``BUILD_WAIT_SECONDS`` past that calendar's settle time (``_last_served``):
    without the claim every process built each feed at each settle time, and a fetch in a
    process that was building waited for it (a partner's feed p99 near a second under the
    benchmark's mix). A fetch that finds a build in progress in its own process is sent the
    calendar last served on the same terms (``_meanwhile``), else it waits for the build; the
    fetch that began the build waits for it. A build records itself as served when it is
    done (``_build_and_record``), whether or not a fetch is still there to send it."""
    now = clock.now()
    kept = _builds.get(row["id"])
    if kept is not None and _withdrawn(row, kept):
        _builds.pop(row["id"])
        kept = None
    if kept is not None and kept.version.etag == current.etag:
        return await _meanwhile(row, kept, settings)
    if shared is not None and (kept is None or kept.version.etag != shared.etag):
        body = await _copy(row["id"], shared.etag)
        if body is not None:
            copied: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            copied.set_result(body)
            # Settling counts from when that calendar's build began, not from now.
            began = _aware(row["served_at"]) if row.get("served_at") else now
            kept = Build(began, shared, copied)
            _builds.put(row["id"], kept)
            return kept
    if kept is not None and kept.again and not building_elsewhere(row, now) \
            and not builder_first(row, now, settings):
        kept = None  # sent again while another would build; nobody does: claim it (below)
    if kept is not None and now - kept.at < timedelta(seconds=settings.feed_settle_seconds):
        return await _meanwhile(row, kept, settings)
    # One process builds, the others wait a little for its calendar (``claim_build``): a
    # process that cannot claim the build, or leaves it to the process that built the
    # calendar last served (``builder_first``), serves the calendar last served by any
    # process (``_last_served``) and takes the new one through ``shared`` once it is
    # recorded; when there is none, or it is too old, it builds as well.
    async with _claiming(row["id"]):
        return await _claimed_or_waiting(row, current, settings, now)


def _claiming(token_id: int) -> asyncio.Lock:
    """One fetch of a link at a time in this process from its claim to the build it puts in
    ``_builds``: a fetch that found the claim taken by another fetch here, not yet back
    from it, built the calendar a second time (and unclaimed, the one noted)."""
    lock = _claim_locks.get(token_id)
    if lock is None:
        lock = _claim_locks[token_id] = asyncio.Lock()
    return lock


_claim_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


async def _claimed_or_waiting(row: dict, current: FeedVersion, settings: Settings,
                              now: datetime) -> Build:
    """``settled``'s claim of a new build, or the calendar to send while another builds."""
    latest = _builds.get(row["id"])  # a fetch of this process may have started one meanwhile
    if latest is not None and latest.version.etag == current.etag:
        return await _meanwhile(row, latest, settings)
    claimed = (not building_elsewhere(row, now) and not builder_first(row, now, settings)
               and await claim_build(row, now))
    if not claimed:
        waiting = await _last_served(row, _held(latest), settings)
        if waiting is not None:
            _builds.put(row["id"], waiting)
            return waiting
    building = asyncio.ensure_future(_build_and_record(row, now, current, settings))
    kept = Build(now, current, building, before=_held(latest))
    _builds.put(row["id"], kept)

    def forget_failure(done: asyncio.Future[bytes]) -> None:
        kept.before = None  # built: nothing more to send meanwhile (nor to hold in memory)
        if not done.cancelled() and done.exception() is not None:
            entry = _builds.peek(row["id"])
            if entry is not None and entry.body is done:
                _builds.pop(row["id"])

    building.add_done_callback(forget_failure)
    return kept


# A claim older than this is taken over: the build it stood for failed or its process
# ended (a partner's 2,000 events take seconds to build, under load tens of seconds).
BUILD_CLAIM_SECONDS = 120
# How long past its settle time the calendar last served is sent while another process
# builds the next one; a build that takes longer is made by the waiting processes too.
BUILD_WAIT_SECONDS = 30
# How long past the settle time of the calendar last served the process that built it has
# to claim the next build before another process does (never longer than the settle time).
BUILDER_FIRST_SECONDS = 10
_process_keys: dict[int, str] = {}


def process_key() -> str:
    """This web process's name on the builds it claims (random, made once per process)."""
    pid = os.getpid()
    key = _process_keys.get(pid)
    if key is None:
        key = _process_keys[pid] = secrets.token_hex(8)
    return key


def building_elsewhere(row: dict, now: datetime) -> bool:
    """Whether, by the link as read, another process is building its calendar: its claim
    is younger than ``BUILD_CLAIM_SECONDS`` and no calendar built since has been recorded
    (``record_served`` notes a build with the moment it began, the claim's own)."""
    by, since = row.get("building_by") or "", row.get("building_since")
    if not by or by == process_key() or since is None:
        return False
    began = _aware(since)
    if now - began >= timedelta(seconds=BUILD_CLAIM_SECONDS):
        return False
    served = row.get("served_at")
    return served is None or _aware(served) < began


def _withdrawn(row: dict, kept: Build) -> bool:
    """Whether the link as read on this request says that ``kept`` may no longer be sent: a
    calendar last served that is sent again (``again``) is no longer the one last served
    (another was served since, or the GDPR purge forgot it); a calendar built here or copied
    was followed by another recorded build begun later. A calendar so followed is replaced
    by the newer one (``shared``) or is past its settle time anyway, so nothing is built for
    it that would not have been.

    Nor may a calendar be sent that was read under another purge stamp than the link's as
    read now (``FeedVersion.purge``): the GDPR purge replaces it in each family's
    transaction, so what it blanked is never sent from memory, whatever the clock of the
    host that ran it said."""
    if (row.get("ps") or "") != kept.version.purge:
        return True
    served_etag, served_at = row.get("served_etag") or "", row.get("served_at")
    if kept.again:
        return served_etag != kept.version.etag
    return (served_etag != kept.version.etag and served_at is not None
            and _aware(served_at) > kept.at)


def builder_first(row: dict, now: datetime, settings: Settings) -> bool:
    """Whether another process built the calendar last served (its claim is the one
    recorded) and may still claim the next build before this one: until
    ``BUILDER_FIRST_SECONDS`` past that calendar's settle time. It redacts only the meetings
    changed since (its own ``_feed_events``), where a process that has never built the feed
    redacts every one of them: a partner's 2,000 meetings, seconds of CPU in the middle of a
    day's requests. Meanwhile the others send the calendar last served (``_last_served``) and
    claim the build once that time is up (``settled`` reuses a calendar sent again only while
    another process may still build); a feed fetched less often than its settle time is
    built wherever it is fetched."""
    by, since, served = row.get("building_by") or "", row.get("building_since"), row.get("served_at")
    if not by or by == process_key() or since is None or served is None:
        return False
    recorded = _aware(served)
    if recorded != _aware(since):  # its claim's build was not the one recorded
        return False
    settle = timedelta(seconds=settings.feed_settle_seconds)
    return now - recorded < settle + min(timedelta(seconds=BUILDER_FIRST_SECONDS), settle)


async def claim_build(row: dict, now: datetime) -> bool:
    """Claim the next build of the link's calendar for this process, unless another process
    claimed it since the link was read (the claim counter is compared and set)."""
    async with db.transaction():
        claimed = await FeedToken.update({
            FeedToken.build_claim: FeedToken.build_claim + 1,
            FeedToken.building_since: now, FeedToken.building_by: process_key(),
        }).where((FeedToken.id == row["id"]) & FeedToken.revoked_at.is_null()
                 & (FeedToken.build_claim == (row.get("build_claim") or 0))
                 ).returning(FeedToken.id)
    return bool(claimed)


async def _meanwhile(row: dict, build: Build, settings: Settings) -> Build:
    """What to send for ``build`` of this process: itself once it is built; while it is
    being built, the calendar last served by any process on the terms of
    ``_last_served`` (a fetch behind a partner's 2,000 events waited for seconds),
    else itself, to wait for."""
    if build.body.done():
        return build
    waiting = await _last_served(row, build.before, settings)
    if waiting is None:
        return build
    if not build.body.done():  # kept for the next fetches while the build runs
        build.before = (waiting.version.etag, waiting.body)
    return waiting


async def _last_served(row: dict, held: tuple[str, asyncio.Future[bytes]] | None,
                       settings: Settings) -> Build | None:
    """The calendar to serve while a process (another, or this one for another fetch) builds
    the link's next one: the one last served by any process, for at most
    ``BUILD_WAIT_SECONDS`` (no longer than the settle time) past the settle time of its own
    build; None when there is none (the GDPR purge blanks it) or it is older, and the
    process builds the calendar itself. Never a calendar
    only this process holds, so nothing withheld since reaches a client later than one
    wait past the settle time. ``held``: a calendar this process holds, as (ETag it was
    served under, body), sent instead of reading the copy when it is the one last served and
    its copy is still kept (the purge deletes the copies). The bound is checked against the
    clock as the calendar is sent: a claim or a copy read under load may take seconds."""
    etag, served_at = row.get("served_etag") or "", row.get("served_at")
    if not etag or served_at is None:
        return None
    began = _aware(served_at)
    settle = timedelta(seconds=settings.feed_settle_seconds)
    wait = min(timedelta(seconds=BUILD_WAIT_SECONDS), settle)
    if clock.now() - began >= settle + wait:
        return None
    if held is not None and held[0] == etag:
        if not await _copy_kept(row["id"], etag):
            return None
        body = held[1]
    else:
        copy = await _copy(row["id"], etag)
        if copy is None:
            return None
        body = asyncio.get_running_loop().create_future()
        body.set_result(copy)
    if clock.now() - began >= settle + wait:
        return None
    modified = row.get("served_modified")
    # kept until one wait past its settle time (``settled`` keeps a build for the settle time)
    return Build(began + wait, FeedVersion(etag, _aware(modified) if modified else began,
                                           row.get("ps") or ""), body, again=True)


async def _copy_kept(token_id: int, etag: str) -> bool:
    """Whether the copy of version ``etag`` is still the one kept with the link (it is not
    after the GDPR purge, nor once a newer one is recorded)."""
    return bool(await db.fetch('SELECT 1 AS "kept" FROM "feed_copy" WHERE "token" = {} '
                               'AND "etag" = {}', token_id, etag))


async def _copy(token_id: int, etag: str) -> bytes | None:
    """The calendar last served for the link, if it is still the copy of version ``etag``
    (a newer one may have replaced it meanwhile)."""
    rows = await db.fetch('SELECT "body" FROM "feed_copy" WHERE "token" = {} AND "etag" = {}',
                          token_id, etag)
    return bytes(rows[0]["body"]) if rows else None


async def calendar_of(building: asyncio.Future[bytes]) -> bytes:
    """The calendar ``settled`` gave. While a thread builds it, the fetch holds neither its
    database connection nor its place among the requests in progress (``admission``)."""
    if building.done():
        return building.result()
    await db.give_back_connection()
    async with admission.outside():
        return await asyncio.shield(building)


async def _build_and_record(row: dict, now: datetime, current: FeedVersion,
                            settings: Settings) -> bytes:
    """The calendar of version ``current``, begun ``now``, recorded as served once built
    (``record_served``): the fetches sent the calendar last served meanwhile do not record
    it, and the fetch that began it may have gone."""
    body = await _build(row, now, settings)
    built: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    built.set_result(body)
    try:
        await record_served(row, Build(now, current, built), body)
    except Exception:  # the calendar is good: unrecorded, the other processes build it too
        log.exception("feed link %s: its build %s was not recorded", row["id"], current.etag)
    return body


async def _build(row: dict, now: datetime, settings: Settings) -> bytes:
    """The feed's calendar; redaction and iCalendar run in a thread (CPU for a while on
    large feeds), so other requests are answered meanwhile."""
    name = await calendar_name(row)
    if row["kind"] == "series":
        events = await series_event(row["target_id"], now, settings)
        return await asyncio.to_thread(build_publish, events, name)
    wanted = await _meeting_parts(row["kind"], row["target_id"])
    datas = await load_meetings(wanted)
    return await asyncio.to_thread(
        lambda: build_publish(_redacted(datas, wanted, now, settings), name))


def shared_version(row: dict, current: FeedVersion, settle_seconds: int) -> FeedVersion | None:
    """The version of the calendar the link was last served in, by any process, while it is
    still the one to serve: it is current, or younger than ``settle_seconds`` (as
    ``settled``). A fetch holding it is answered 304 from the token row alone; without it
    each web process kept its own latest build, a client that received one process's copy
    got a 200 from the other, and a process without a build made that client wait for one."""
    etag = row.get("served_etag") or ""
    if not etag:
        return None
    if etag == current.etag:
        return current
    served_at = row.get("served_at")
    if served_at is None or clock.now() - _aware(served_at) >= timedelta(seconds=settle_seconds):
        return None
    modified = row.get("served_modified")
    return FeedVersion(etag, _aware(modified) if modified else current.last_modified,
                       current.purge)


async def record_served(row: dict, served: Build, body: bytes) -> None:
    """Note on the link the version just served in full and keep its copy (once per new
    version, not per fetch), so every process answers a fetch holding it with 304 and sends
    the same copy to a fetch that does not hold it, without building it again.

    Noted with the moment its build began, and only over a calendar whose build began
    earlier and on a link not revoked: a slow build finishing after a newer one (another
    process's) never takes the newer one's place, and a revoked link keeps no copy. Nor is
    a build noted whose version was read under another purge stamp than the one now
    (``FeedVersion.purge``): begun before the GDPR purge blanked a family, it may hold the
    family as it was, whatever the clocks of the purge's host and this one say."""
    etag, modified = served.version.etag, served.version.last_modified
    if served.again or row.get("served_etag") == etag:
        return
    async with db.transaction():
        noted = await db.fetch(_NOTE_SERVED_BY_ENGINE[db.engine_name()], etag, modified,
                               served.at, row["id"], served.at, served.version.purge)
        if noted:
            await db.fetch('INSERT INTO "feed_copy" ("token", "etag", "body") VALUES ({}, {}, {}) '
                           'ON CONFLICT ("token") DO UPDATE SET "etag" = excluded."etag", '
                           '"body" = excluded."body"', row["id"], etag, body)


_NOTE_SERVED = (
    'UPDATE "feed_token" SET "served_etag" = {{}}, "served_modified" = {{}}, "served_at" = {{}} '
    'WHERE "id" = {{}} AND "revoked_at" IS NULL AND ("served_at" IS NULL OR "served_at" < {{}}) '
    f'AND COALESCE((SELECT r."stamp" FROM "content_revision" r WHERE r."family_id" = {revisions.PURGE}'
    "{lock}), '') = {{}} RETURNING \"id\"")
# On PostgreSQL the purge's stamp is read with a share lock: a note begun while a family's
# purge is under way waits for it and reads the stamp it commits (SQLite has one writer).
_NOTE_SERVED_BY_ENGINE = {"postgresql": _NOTE_SERVED.format(lock=" FOR SHARE"),
                          "sqlite": _NOTE_SERVED.format(lock="")}


async def forget_served() -> None:
    """Forget the version served and the copy kept for every link, in the GDPR purge's
    transaction of each family it blanks (a copy may hold the family's meetings as they
    were): each feed is built again from the tables at its next fetch, and the purge's
    stamp is replaced, so no process sends or notes a calendar read before it (a build
    that began before and finishes after is never noted nor kept as the copy).

    No moment is noted (``served_at``): the stamp says what was read before the purge,
    whatever the clocks say, and a moment from a host ahead of the web processes' clocks
    would hold back every note and every calendar kept for as long (every feed built on
    every fetch meanwhile)."""
    async with db.transaction():  # the caller's, inside the purge
        # In this order: the stamp (a note of a build waits for this transaction from here),
        # the links (a note that got in before has committed its copy by now), the copies.
        # The same statements run when a family becomes shielded (``withdrawal``).
        for statement in withdrawal.forget_statements(db.engine_name()):
            await db.fetch(statement)


def not_modified(current: FeedVersion, if_none_match: str | None,
                 if_modified_since: datetime | None) -> bool:
    """RFC 9110: If-None-Match wins; else If-Modified-Since at second precision."""
    if if_none_match:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or current.etag in tags
    return if_modified_since is not None and current.last_modified <= if_modified_since


# ------------------------------------------------------------------------ series

async def upsert_series(key: str, title: str, rrule: str, dtstart: datetime, duration: int,
                        location: str = "", organiser: int | None = None) -> int:
    """Create (or return) a recurring series by key."""
    row = await MeetingSeries.select(MeetingSeries.id).where(MeetingSeries.key == key).first()
    if row:
        return row["id"]
    rows = await MeetingSeries.insert(MeetingSeries(
        key=key, title=title, rrule=rrule, dtstart=dtstart, duration_minutes=duration,
        location=location, organiser=organiser))
    return rows[0]["id"]


async def cancel_occurrence(series_id: int, occurrence: datetime) -> None:
    """Cancel one occurrence of a series: it becomes an EXDATE."""
    async with db.transaction():
        row = await MeetingSeries.select().where(MeetingSeries.id == series_id).first()
        if row is None:
            raise web.UserError("Mødeserien findes ikke.", 404)
        dates = list(_exdates(row["exdates"]))
        moment = occurrence.astimezone(UTC)
        if moment not in dates:
            dates.append(moment)
        await db.update_versioned(MeetingSeries, series_id, db.ANY_VERSION, {
            MeetingSeries.exdates: ",".join(d.isoformat() for d in sorted(dates)),
            MeetingSeries.updated_at: clock.now(),
        })
