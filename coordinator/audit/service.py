"""Recording and reading the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coordinator import admission, clock, db
from coordinator.agreements.tables import Agreement
from coordinator.audit import wording
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families.tables import Family
from coordinator.meetings.tables import Meeting, Room
from coordinator.network.tables import Organisation, Person

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
PAGE_SIZE = 50
RECORD_MANY_CHUNK = 500

ACTION_LABELS = {
    "read": "Læst",
    "create": "Oprettet",
    "update": "Ændret",
    "delete": "Slettet",
    "send": "Sendt",
    "override": "Tilsidesat advarsel",
    "login": "Logget ind",
    "export": "Eksporteret",
    "denied": "Adgang afvist",
}


async def record(
    user: Principal | None,
    action: str,
    entity: str,
    entity_id: object = "",
    family_id: int | None = None,
    summary: str = "",
    client_address: str = "",
) -> None:
    """Append one audit event. Call it inside the transaction of the change it describes.

    Inside a transaction the row commits with the change. Outside one (the audit record of
    a page read) the rows of concurrent requests are written together: one multi-row
    INSERT and one commit for all of them (``_GroupCommit``), and this returns when the
    row is committed, so no page is answered before its read is on record.
    """
    values = (clock.now(), user.id if user else None, user.username if user else "",
              user.role.value if user else "", action, entity, str(entity_id), family_id,
              summary[:2000], client_address)
    if db.in_transaction():
        await db.fetch(_insert(1), *values)
        return
    collected = _COLLECTED.get()
    if collected is not None:
        collected.append(values)
        return
    await _group_commit().add(values)


_COLLECTED: ContextVar[list[tuple] | None] = ContextVar("audit_collected", default=None)


@contextlib.asynccontextmanager
async def together() -> AsyncIterator[None]:
    """The read records of one page that several services build, written in one go.

    Inside, ``record`` and ``record_many`` outside a transaction collect their rows; at the
    end of the block they go to the group commit together and the block is left when they
    are committed, so the page still waits for its records, once instead of once per
    service. They are written also when the block fails: what was read was read.
    """
    if _COLLECTED.get() is not None:  # already collecting: the outer block writes
        yield
        return
    rows: list[tuple] = []
    token = _COLLECTED.set(rows)
    try:
        yield
    finally:
        _COLLECTED.reset(token)
        if rows:
            await _group_commit().add_many(rows)


_COLUMNS = ('INSERT INTO "audit_event" ("at", "user_id", "username", "role", "action", '
            '"entity", "entity_id", "family_id", "summary", "client_address") VALUES ')
_ROW = "(" + ", ".join(["{}"] * 10) + ")"


@functools.lru_cache(maxsize=64)
def _insert(rows: int) -> str:
    return _COLUMNS + ", ".join([_ROW] * rows)


class _GroupCommit:
    """Audit rows of concurrent requests, written by one INSERT at a time.

    The first row that arrives while no write is running starts one. Before each INSERT it
    waits for the rows of the other requests in progress on this event loop (those holding
    a place, ``admission``): until as many rows' callers are waiting as there are places
    held, counted again whenever a place becomes free, or ``GATHER_AT_MOST`` has passed.
    The requests it waits for are at work or wait for something themselves (a statement,
    the write lock); a request that will write no read record (a change, the partner
    feed) makes it wait the whole ``GATHER_AT_MOST``. A reader alone in its process does
    not wait, nor does a write started outside a request (a command, a background task).
    Rows arriving while an INSERT runs go with the next one.
    Under load a write carries the rows of the requests in progress: one commit instead of
    one per request, which is what a read's audit record cost on PostgreSQL (a statement
    and its WAL flush) and on SQLite (the write lock). Each caller gets its own row's
    outcome: the statement's error, if any, reaches every caller whose row was in it.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[tuple, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        # The calls of ``add`` and ``add_many`` since the last INSERT that took every row
        # (requests, for the comparison with the places held).
        self._callers = 0
        # The admission of the requests whose rows the writer waits for: that of the first
        # caller holding a place, while the writer runs.
        self._admission: admission.Admission | None = None
        self._gathered: asyncio.Future[None] | None = None

    async def add(self, values: tuple) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((values, done))
        self._arrived()
        await done

    async def add_many(self, rows: Sequence[tuple]) -> None:
        """Several rows; returns when all of them are committed (a long list may be split
        over more than one write)."""
        loop = asyncio.get_running_loop()
        waiting = []
        for values in rows:
            done: asyncio.Future[None] = loop.create_future()
            self._pending.append((values, done))
            waiting.append(done)
        self._arrived()
        await asyncio.gather(*waiting)

    def _arrived(self) -> None:
        self._callers += 1
        self._admission = self._admission or admission.current()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        else:
            self._all_in()

    def _all_in(self) -> None:
        """Wake the gathering write when every request in progress has its row pending."""
        gathered = self._gathered
        if (gathered is not None and not gathered.done() and self._admission is not None
                and self._callers >= self._admission.in_progress):
            gathered.set_result(None)

    async def _gather(self) -> None:
        loop = asyncio.get_running_loop()
        place = self._admission
        if place is None or self._callers >= place.in_progress:
            return
        gathered = self._gathered = loop.create_future()
        timer = loop.call_later(GATHER_AT_MOST, _settle, gathered)
        try:
            with place.watch(self._all_in):
                await gathered
        finally:
            timer.cancel()
            self._gathered = None

    async def _write(self) -> None:
        try:
            await asyncio.sleep(0)  # let the requests that are ready add their rows
            while self._pending:
                await self._gather()
                batch, self._pending = self._pending[:GROUP_COMMIT_ROWS], self._pending[GROUP_COMMIT_ROWS:]
                if not self._pending:
                    self._callers = 0
                try:
                    await db.fetch(_insert(len(batch)),
                                   *(value for values, _ in batch for value in values))
                except BaseException as failure:  # noqa: BLE001 – handed to every caller
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(failure)
                    if not isinstance(failure, Exception):
                        raise
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._writer = None
            self._callers = 0
            self._admission = None
            # Stopped with rows left (the process shutting down): their callers are told,
            # rather than left waiting for a write that no longer comes.
            left, self._pending = self._pending, []
            for _, done in left:
                done.cancel()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


GROUP_COMMIT_ROWS = 500  # ~10 bound values per row: far below a statement's 32,767
# How long a write waits at most for the rows of the other requests in progress, before
# each INSERT. In the mixed load on PostgreSQL (bench/results/NOTES.md, twenty-fourth
# round) the audit INSERTs per logged-in request fell from 0.79 (no wait) to 0.63 (2 ms)
# and 0.51 (6 ms).
GATHER_AT_MOST = 0.004
_GROUPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupCommit] = (
    weakref.WeakKeyDictionary())


def _group_commit() -> _GroupCommit:
    """The group commit of the running event loop (database pools are per loop)."""
    loop = asyncio.get_running_loop()
    group = _GROUPS.get(loop)
    if group is None:
        group = _GROUPS[loop] = _GroupCommit()
    return group


async def record_many(
    user: Principal | None,
    action: str,
    entity: str,
    entity_id: object,
    families: Sequence[tuple[int | None, str]],
    client_address: str = "",
) -> None:
    """Append one audit event per (family id, summary) in multi-row INSERTs.

    Same rows as calling ``record`` once per family, but in multi-row statements: a page
    listing many families holds the write lock for one round trip, not one per family.
    Inside a transaction the rows commit with it; outside one (a page's reads) they go with
    the concurrent requests' rows through the group commit, as ``record``'s do.
    """
    at = clock.now()
    who = (user.id if user else None, user.username if user else "",
           user.role.value if user else "")
    rows = [(at, *who, action, entity, str(entity_id), family_id, summary[:2000],
             client_address) for family_id, summary in families]
    if not rows:
        return
    if not db.in_transaction():  # a page's reads: with the other requests' rows (``record``)
        collected = _COLLECTED.get()
        if collected is not None:
            collected.extend(rows)
            return
        await _group_commit().add_many(rows)
        return
    # 10 bound values per row: stay far below the drivers' 32,767 arguments per statement.
    for start in range(0, len(rows), RECORD_MANY_CHUNK):
        chunk = rows[start:start + RECORD_MANY_CHUNK]
        await db.fetch(_insert(len(chunk)), *(value for row in chunk for value in row))


@dataclass(frozen=True)
class AuditFilter:
    """The leader's filter on the audit page."""

    username: str = ""
    family_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


async def search(flt: AuditFilter) -> tuple[list[dict], bool]:
    """One page of events, newest first, and whether there is a next page."""
    query = AuditEvent.select().order_by(AuditEvent.id, ascending=False)
    where = []
    if flt.username:
        where.append(AuditEvent.username == flt.username.strip().lower())
    if flt.family_id is not None:
        where.append(AuditEvent.family_id == flt.family_id)
    if flt.action:
        where.append(AuditEvent.action == flt.action)
    if flt.date_from:
        where.append(AuditEvent.at >= datetime.combine(flt.date_from, time(), COPENHAGEN))
    if flt.date_to:
        end = datetime.combine(flt.date_to + timedelta(days=1), time(), COPENHAGEN)
        where.append(AuditEvent.at < end)
    if where:
        query = query.where(*where)
    offset = (max(flt.page, 1) - 1) * PAGE_SIZE
    rows = await query.limit(PAGE_SIZE + 1).offset(offset)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


CASE_CONTENT_HIDDEN = "(sagsindhold – vises kun for ledere)"


def project_for(reader: Principal, events: list[dict]) -> list[dict]:
    """The audit log as ``reader`` may see it: leaders read every summary; an admin, who
    investigates misuse but never reads case content, sees who did what when and on which
    case, without the summary of any event about a family (names, places, meetings)."""
    if reader.role is not Role.ADMIN:
        return events
    return [{**e, "summary": CASE_CONTENT_HIDDEN} if e.get("family_id") is not None else e
            for e in events]


# The things an event can be named by, per stored entity: the table and its name column.
NAMED: dict[str, tuple[Any, Any]] = {
    "møde": (Meeting, Meeting.title), "netværksperson": (Person, Person.name),
    "bruger": (User, User.full_name), "samarbejdsaftale": (Agreement, Agreement.title),
    "lokale": (Room, Room.name), "organisation": (Organisation, Organisation.name)}


async def _names(events: list[dict], entities: set[str]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e["entity"] in entities and str(e["entity_id"]).isdigit():
            wanted.setdefault(e["entity"], set()).add(int(e["entity_id"]))
    names: dict[tuple[str, int], str] = {}
    for entity, ids in wanted.items():
        table, column = NAMED[entity]
        for row in await table.select(table.id, column.as_alias("name")).where(
                table.id.is_in(sorted(ids))):
            names[(entity, row["id"])] = row["name"]
    return names


async def view_for(reader: Principal, events: list[dict]) -> list[dict]:
    """The audit page's rows as ``reader`` may see them, in plain Danish (``wording``): when,
    who, what happened to what (by its name, not its id), the case and the details. A leader
    sees the names and the summaries; an admin, who never reads case content, sees neither
    for an event about a family – only the case's number (sagsnummer) – but the names of
    accounts, rooms, organisations and agreements."""
    admin = reader.role is Role.ADMIN
    events = project_for(reader, events)
    families = {row["id"]: row for row in await Family.select(
        Family.id, Family.name, Family.reference).where(Family.id.is_in(
            sorted({e["family_id"] for e in events if e["family_id"] is not None}) or [-1]))}
    names = await _names([e for e in events if not (admin and e["family_id"] is not None)],
                         set(NAMED))
    rows = []
    for e in events:
        family = families.get(e["family_id"]) if e["family_id"] is not None else None
        name = names.get((e["entity"], int(e["entity_id"]))) if str(e["entity_id"]).isdigit() \
            else None
        case = "" if family is None else (family["reference"] if admin else family["name"])
        rows.append({"at": e["at"], "who": wording.actor(e["username"]),
                     "what": wording.sentence(e["entity"], e["action"], name or ""),
                     "case": case, "details": e["summary"]})
    return rows


async def family_by_reference(reference: str) -> int | None:
    """The family with this case number (sagsnummer), for the audit page's filter."""
    row = await Family.select(Family.id).where(Family.reference == reference.strip()).first()
    return row["id"] if row else None
