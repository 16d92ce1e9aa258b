"""Content stamps: the database says when what a family page shows has changed.

Every write to a table the family page reads replaces a random *stamp* in
``content_revision`` — the family's own row for family data, row 0 for shared data
(organisations, agreements, user names). Database triggers do it, so every write path is
covered (services, the GDPR purge, a restore, a hand-written fix in psql) and the stamp
commits in the same transaction as the change: a reader never sees a new stamp with old
data. A stamp is random, not a counter, so it never repeats (not after emptied tables,
not after a restore of an older backup).

The family page and the meeting page cache their HTML under the stamps
(``coordinator/pagecache.py``); ``tests/families/test_page_cache.py`` checks that every
table those pages read is watched here, on both engines.

A family's row holds a second stamp, the *network stamp*, replaced only by writes to the
tables of ``NETWORK`` (the family row and its network). What shows the network and nothing
else of the family (the network editor, the network section of the family page) is kept
under it, so a meeting's change or a partner's answer does not draw the network again
(``tests/network/test_editor_cache.py`` checks that those views read nothing else).

The triggers are schema: they are registered here as the ``content_stamp`` set of
``db/triggers.py`` and each app's migrations install them on its tables (a migration that
rebuilds a watched table installs them again); starting a process installs nothing.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from datetime import datetime
from typing import TypeVar

from coordinator import clock, db
from coordinator.cache import KEPT_UNDER_STAMPS_AT_MOST, BoundedCache
from coordinator.db import triggers

V = TypeVar("V")

GLOBAL = 0  # content_revision.family_id of the shared data's stamp
PURGE = -2  # content_revision.family_id of the GDPR purge's stamp (``replace_purge_stamp``)

# Which family a row belongs to, as an SQL expression over the row ({row} is NEW or OLD).
_BY_FAMILY = '{row}."family"'
_BY_MEETING = '(SELECT m."family" FROM "meeting" m WHERE m."id" = {row}."meeting")'
_BY_CASE = '(SELECT c."family" FROM "fgc_case" c WHERE c."id" = {row}."case")'
_BY_PART = ('(SELECT m."family" FROM "meeting_part" p JOIN "meeting" m ON m."id" = p."meeting" '
            'WHERE p."id" = {row}."part")')
_SHARED = str(GLOBAL)
# A network person's row belongs to the person's family; a user's or an organisation's to
# the shared stamp (working hours and busy calendars on the meeting page).
_BY_PERSON_OR_SHARED = ('COALESCE((SELECT p."family" FROM "person" p WHERE p."id" = {row}."person"), '
                        f"{GLOBAL})")

WATCHED: dict[str, str] = {
    # the family row and its team
    "family": '{row}."id"',
    "team_member": _BY_FAMILY,
    # the network
    "person": _BY_FAMILY,
    "relation": _BY_FAMILY,
    "keep_apart": _BY_FAMILY,
    "case_facts": _BY_FAMILY,
    # meetings and the familierådslagning / Barnet i Centrum flows
    "meeting": _BY_FAMILY,
    "fgc_case": _BY_FAMILY,
    "father_assessment": _BY_FAMILY,
    "stay": _BY_FAMILY,
    "meeting_part": _BY_MEETING,
    "participant": _BY_MEETING,
    "bic_session": _BY_MEETING,
    "safety_approval": _BY_MEETING,
    "participant_part": _BY_PART,
    "fgc_task": _BY_CASE,
    "fgc_plan_item": _BY_CASE,
    "fgc_question": _BY_CASE,
    "fgc_plan_approval": _BY_CASE,
    "fgc_plan_change": _BY_CASE,
    "fgc_plan_review": ('(SELECT c."family" FROM "fgc_plan_item" i JOIN "fgc_case" c '
                        'ON c."id" = i."case" WHERE i."id" = {row}."item")'),
    "meeting_change": _BY_MEETING,
    "agenda_point": _BY_MEETING,
    # what the meeting page shows besides the family's own rows
    "working_hours": _BY_PERSON_OR_SHARED,
    "busy_feed": _BY_PERSON_OR_SHARED,
    "room": _SHARED,
    # Randers-trappen
    "trappe_assessment": _BY_FAMILY,
    # the method: Signs of Safety and the handleplan
    "sos_mapping": _BY_FAMILY,
    "sos_scale": _BY_FAMILY,
    "goal": _BY_FAMILY,
    "goal_evaluation": _BY_FAMILY,
    # shared by every family page
    "app_user": _SHARED,
    "organisation": _SHARED,
    "agreement": _SHARED,
    "agreement_party": _SHARED,
    "agreement_evaluation": _SHARED,
    "agreement_version": _SHARED,
}

# The tables whose writes also replace the family's network stamp: what the network views
# read of the family (its row, people, relations, keep-apart pairs and intake facts).
NETWORK: frozenset[str] = frozenset({"family", "person", "relation", "keep_apart", "case_facts"})

_UPSERT = ('INSERT INTO "content_revision" ("family_id", "stamp") {select} '
           'ON CONFLICT ("family_id") DO UPDATE SET "stamp" = excluded."stamp"')
_UPSERT_NETWORK = ('INSERT INTO "content_revision" ("family_id", "stamp", "network_stamp") {select} '
                   'ON CONFLICT ("family_id") DO UPDATE SET "stamp" = excluded."stamp", '
                   '"network_stamp" = excluded."network_stamp"')


def _sqlite_triggers(table: str, expression: str) -> list[str]:
    new, old = expression.format(row="NEW"), expression.format(row="OLD")
    families = {"INSERT": f"SELECT {new} AS f", "DELETE": f"SELECT {old} AS f",
                "UPDATE": f"SELECT {new} AS f UNION SELECT {old}"}
    stamps, upsert = "lower(hex(randomblob(12)))", _UPSERT
    if table in NETWORK:
        stamps, upsert = f"{stamps}, {stamps}", _UPSERT_NETWORK
    statements = []
    for operation, rows in families.items():
        name = f"content_stamp_{table}_{operation.lower()}"
        select = (f"SELECT f, {stamps} FROM ({rows}) WHERE f IS NOT NULL")
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}"',
            f'CREATE TRIGGER "{name}" AFTER {operation} ON "{table}" '
            f"BEGIN {upsert.format(select=select)}; END",
        ]
    return statements


def _postgres_triggers(table: str, expression: str) -> list[str]:
    new, old = expression.format(row="NEW"), expression.format(row="OLD")
    stamps, upsert = "gen_random_uuid()::text", _UPSERT
    if table in NETWORK:
        stamps, upsert = f"{stamps}, {stamps}", _UPSERT_NETWORK

    def bump(value: str) -> str:
        select = f"SELECT f, {stamps} FROM (SELECT {value} AS f) s WHERE f IS NOT NULL"
        return upsert.format(select=select) + ";"

    function = f"content_stamp_{table}"
    body = (
        f"BEGIN "
        f"IF TG_OP <> 'DELETE' THEN {bump(new)} END IF; "
        f"IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({old}) IS DISTINCT FROM ({new})) "
        f"THEN {bump(old)} END IF; "
        f"RETURN NULL; END"
    )
    return [
        f'CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql '
        f"AS $body$ {body} $body$",
        f'CREATE OR REPLACE TRIGGER "content_stamp" AFTER INSERT OR UPDATE OR DELETE '
        f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION "{function}"()',
    ]


def _postgres_truncate_triggers(tables: list[str]) -> list[str]:
    """TRUNCATE fires no row trigger: a truncated table replaces the shared stamp, which is
    part of every page's key. (SQLite has no TRUNCATE; its DELETE fires the row triggers.)"""
    select = f"SELECT {GLOBAL}, gen_random_uuid()::text"
    statements = [
        'CREATE OR REPLACE FUNCTION "content_stamp_truncate"() RETURNS trigger '
        f"LANGUAGE plpgsql AS $body$ BEGIN {_UPSERT.format(select=select)}; "
        "RETURN NULL; END $body$",
    ]
    for table in tables:
        statements.append(
            f'CREATE OR REPLACE TRIGGER "content_stamp_truncate" AFTER TRUNCATE ON "{table}" '
            'FOR EACH STATEMENT EXECUTE FUNCTION "content_stamp_truncate"()')
    return statements


STAMP_TABLE = "content_revision"  # truncating the stamps themselves replaces the shared one


def trigger_statements(engine_name: str, tables: list[str] | None = None) -> list[str]:
    """The DDL that installs (or replaces) the content-stamp triggers of ``tables`` (a
    watched table, or the stamp table for its TRUNCATE trigger); all of them by default."""
    tables = [*WATCHED, STAMP_TABLE] if tables is None else tables
    watched = [table for table in tables if table in WATCHED]
    if engine_name == "postgresql":
        return [statement for table in watched
                for statement in _postgres_triggers(table, WATCHED[table])
                ] + _postgres_truncate_triggers(tables)
    return [statement for table in watched
            for statement in _sqlite_triggers(table, WATCHED[table])]


def stamp_every_family(engine_name: str) -> str:
    """SQL that gives every family without a stamp or a network stamp one, as its first
    write would have. Families loaded before the stamps came (or in bulk, with the triggers
    off) have neither, and nothing of them is kept until one of their writes
    (``ContentStamps.keyable``); one without a network stamp has its network views keyed by
    the family's stamp, which every write replaces. A stamp a family has is kept, so nothing
    kept under it is dropped."""
    fresh = "gen_random_uuid()::text" if engine_name == "postgresql" else "lower(hex(randomblob(12)))"
    empty = 'COALESCE("content_revision"."{column}", \'\') = \'\''
    # Only the families that lack a stamp are selected: an ON CONFLICT DO UPDATE locks every
    # row it meets on PostgreSQL, even where its WHERE is false (the conflict clause is for
    # a write that stamps a family meanwhile).
    return (
        'INSERT INTO "content_revision" ("family_id", "stamp", "network_stamp") '
        f'SELECT f."id", {fresh}, {fresh} FROM "family" f WHERE NOT EXISTS ('
        'SELECT 1 FROM "content_revision" r WHERE r."family_id" = f."id" '
        'AND COALESCE(r."stamp", \'\') <> \'\' AND COALESCE(r."network_stamp", \'\') <> \'\') '
        'ON CONFLICT ("family_id") DO UPDATE SET '
        f'"stamp" = CASE WHEN {empty.format(column="stamp")} THEN excluded."stamp" '
        'ELSE "content_revision"."stamp" END, '
        f'"network_stamp" = CASE WHEN {empty.format(column="network_stamp")} '
        'THEN excluded."network_stamp" ELSE "content_revision"."network_stamp" END '
        f'WHERE {empty.format(column="stamp")} OR {empty.format(column="network_stamp")}')


_SHARED_STAMP = f'SELECT "stamp" FROM "content_revision" WHERE "family_id" = {GLOBAL}'
_FIRST_SHARED_STAMP = (f'INSERT INTO "content_revision" ("family_id", "stamp") VALUES ({GLOBAL}, {{}}) '
                       'ON CONFLICT ("family_id") DO UPDATE SET "stamp" = excluded."stamp" '
                       'WHERE "content_revision"."stamp" = \'\'')


_READ_ONCE: ContextVar[list[str] | None] = ContextVar("shared_stamp_read_once", default=None)
_NETWORK_KNOWN: ContextVar[tuple[int, Hashable] | None] = ContextVar("network_known", default=None)


@contextlib.contextmanager
def network_known(family_id: int, key: Hashable) -> Iterator[None]:
    """Inside, the family's network is the one ``key`` names (its network stamp, read
    before any of the page's data, ``ContentStamps.network_key``): what a process keeps of
    that network under the key may be used (``network.service.load_network``)."""
    token = _NETWORK_KNOWN.set((family_id, key))
    try:
        yield
    finally:
        _NETWORK_KNOWN.reset(token)


def known_network_key(family_id: int) -> Hashable | None:
    """The key of the family's network noted by ``network_known`` around this read, if
    any: None outside one, or for another family."""
    known = _NETWORK_KNOWN.get()
    return known[1] if known is not None and known[0] == family_id else None


@contextlib.contextmanager
def shared_stamp_read_once(known: str = "") -> Iterator[None]:
    """Inside, ``shared_stamp`` reads the stamp once and answers the same after (``known``:
    already read, as the page's stamps are). For one page's reads: the meeting page's
    place picker, protected places and colleague lists each asked again. A stamp read
    earlier still comes before the data it keys: at worst newer data is kept under the
    older stamp, which the next change replaces."""
    token = _READ_ONCE.set([known] if known else [])
    try:
        yield
    finally:
        _READ_ONCE.reset(token)


async def shared_stamp() -> str:
    """The stamp of the shared data (organisations, rooms, users, agreements), to key what
    is kept of it; read it before the data it keys, as the pages do. Data loaded in bulk
    (or a stamp row deleted by hand) has none: the first reader stamps it, so an empty
    stamp, which could come back, is never a key."""
    once = _READ_ONCE.get()
    if once:
        return once[0]
    stamp = await _read_shared_stamp()
    if once is not None:
        once.append(stamp)
    return stamp


async def kept_under_shared_stamp(kept: BoundedCache[str, tuple[V, datetime]],
                                  read: Callable[[], Awaitable[V]]) -> V:
    """What ``read`` gives, kept in ``kept`` under the shared data's stamp (read first) and
    at most ``KEPT_UNDER_STAMPS_AT_MOST`` (what a write made with the triggers off leaves):
    read again once a shared write (an organisation, a room, a user) has replaced it."""
    stamp = await shared_stamp()
    found = kept.get(stamp, fresh=lambda value: clock.now() < value[1])
    if found is not None:
        return found[0]
    value = await read()
    kept.put(stamp, (value, clock.now() + KEPT_UNDER_STAMPS_AT_MOST))
    return value


async def _read_shared_stamp() -> str:
    rows = await db.fetch(_SHARED_STAMP, quick=True)
    if rows and rows[0]["stamp"]:
        return str(rows[0]["stamp"])
    async with db.transaction():
        await db.fetch(_FIRST_SHARED_STAMP, secrets.token_hex(12))
        return str((await db.fetch(_SHARED_STAMP))[0]["stamp"])


async def replace_purge_stamp() -> None:
    """Replace the GDPR purge's stamp (row ``PURGE``, inside the caller's transaction): no
    trigger replaces it, only the purge of a family, so what is kept of data the purge may
    blank (a partner feed's calendar, ``invites.feeds``) is keyed on it without being
    dropped by every other shared change, and without comparing the clocks of the purge's
    host and the web processes."""
    await db.fetch(_UPSERT.format(select="VALUES ({}, {})"), PURGE, secrets.token_hex(12))


async def installed_triggers() -> set[str]:
    """The watched tables that carry a content-stamp trigger in the live schema."""
    if db.engine_name() == "postgresql":
        rows = await db.fetch(
            "SELECT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'content_stamp' AND NOT t.tgisinternal")
        return {row["name"] for row in rows}
    rows = await db.fetch("SELECT tbl_name AS name, name AS trigger FROM sqlite_master "
                          "WHERE type = 'trigger' AND name LIKE 'content_stamp_%'")
    per_table: dict[str, int] = {}
    for row in rows:
        per_table[row["name"]] = per_table.get(row["name"], 0) + 1
    return {table for table, count in per_table.items() if count == 3}


CONTENT_STAMP = triggers.register(triggers.TriggerSet(
    name="content_stamp", tables=frozenset(WATCHED),
    statements=trigger_statements, installed=installed_triggers))
