"""The one statement runner: hand-written SQL with ``{}`` placeholders, and transactions.

``fetch`` runs one statement (in the current transaction if there is one, like Piccolo's
own queries); ``rows`` is a table's ``select().where(…)`` without building the query
through Piccolo; ``columns`` and ``marks`` help writing the few joins the hot pages need.
Values are always bound, never pasted into the text. ``is_unique_violation`` reads a
failed statement's error the same way on both drivers.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from coordinator.db import postgres
from coordinator.db.engines import engine
from coordinator.db.postgres import PooledPostgresEngine
from coordinator.db.sqlite import PooledSQLiteEngine


def in_transaction() -> bool:
    """Whether the current task is inside ``transaction()``."""
    return engine().current_transaction.get() is not None


async def fetch(sql: str, *args: Any, quick: bool = False) -> list[dict]:
    """One hand-written statement (placeholders ``{}``), its rows as dicts.

    For the few statements every request runs (session, access check, audit, content
    stamps), where building the query through Piccolo costs more than running it. Runs in
    the current transaction if there is one, like Piccolo's own queries. ``quick=True``
    vouches that the statement is a read by index (microseconds): on SQLite it may then
    run on the event loop's thread instead of a hop to a connection thread.
    """
    eng = engine()
    if eng.current_transaction.get() is None:
        if isinstance(eng, PooledSQLiteEngine):
            return await eng.fetch_direct(_placeholders(sql, "sqlite"), list(args), quick)
        if isinstance(eng, PooledPostgresEngine) and eng.pool is not None:
            return _dicts(await eng.fetch_outside_transaction(_placeholders(sql, "postgresql"), args))
    rows = await eng.run_querystring(QueryString(sql, *args))
    if rows and not isinstance(rows[0], dict):
        return _dicts(rows)
    return rows or []


def _dicts(records: list[Any]) -> list[dict]:
    """asyncpg's records as dicts, as ``dict(record)`` makes them (a later column of the
    same name wins), with the names read once per statement rather than looked up by name
    for every value."""
    if not records:
        return []
    names = list(records[0].keys())
    return [dict(zip(names, record, strict=True)) for record in records]


def is_unique_violation(exc: BaseException) -> bool:
    """Whether a statement failed on a unique key (another writer inserted the same key
    first), on either driver: asyncpg's ``UniqueViolationError`` or SQLite's
    ``IntegrityError`` naming a UNIQUE constraint (a primary key counts)."""
    return isinstance(exc, asyncpg.UniqueViolationError) or (
        isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc))


def columns(table: Any, alias: str = "") -> str:
    """Every column of ``table`` as ``alias."column" AS "name"``, as Piccolo selects them."""
    key = (table, alias)
    names = _COLUMN_LISTS.get(key)
    if names is None:
        prefix = f'{alias}.' if alias else ""
        names = _COLUMN_LISTS[key] = ", ".join(
            f'{prefix}"{c._meta.db_column_name}" AS "{c._meta.name}"' for c in table._meta.columns)
    return names


_COLUMN_LISTS: dict[tuple[Any, str], str] = {}


async def rows(table: Any, where: str, *args: Any, order_by: str = '"id"',
               quick: bool = True) -> list[dict]:
    """``table.select().where(…).order_by(…)`` for the hot pages, without building the
    query through Piccolo (about 0.3 ms of CPU per statement): the same columns under the
    same names, the same values on both engines (``tests/test_db_rows.py``).

    ``where`` is SQL with ``{}`` placeholders over the table's own columns; ``quick`` as in
    ``fetch`` (the default: these are reads by an indexed column).
    """
    sql = (f'SELECT {columns(table)} FROM "{table._meta.tablename}" WHERE {where}'
           + (f" ORDER BY {order_by}" if order_by else ""))
    return await fetch(sql, *args, quick=quick)


def marks(values: Any) -> str:
    """One placeholder per value, for an ``IN (…)`` list."""
    return ", ".join("{}" for _ in values)


IN_CHUNK = 5_000  # values per IN list (both drivers take at most 32,767 per statement)
QUICK_IN = 64  # an IN list this short over an index is a quick read (``fetch``)


async def fetch_in(sql: str, ids: Iterable[Any], *, quick: bool = False) -> list[dict]:
    """``sql`` with its ``{ids}`` list filled with ``ids`` (sorted, each once, a chunk at a
    time, so any number can be asked for: the rows of one value come in one chunk, in the
    statement's order). ``quick`` (as in ``fetch``) vouches that each value has a few rows
    at most, found by index; it is used for lists of up to ``QUICK_IN`` values."""
    values = sorted(set(ids))
    rows: list[dict] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start:start + IN_CHUNK]
        rows += await fetch(sql.replace("{ids}", marks(chunk)), *chunk,
                            quick=quick and len(chunk) <= QUICK_IN)
    return rows


@functools.lru_cache(maxsize=512)
def _placeholders(sql: str, engine_name: str) -> str:
    """``{}`` → ``?`` (SQLite) or ``$1, $2 …`` (asyncpg)."""
    if engine_name == "sqlite":
        return sql.replace("{}", "?")
    parts = sql.split("{}")
    return "".join(part + (f"${n}" if n < len(parts) else "")
                   for n, part in enumerate(parts, start=1))


@contextlib.asynccontextmanager
async def transaction(immediate: bool = True) -> AsyncIterator[None]:
    """One unit of work: everything inside commits together or not at all.

    Transactions nest: inside another one, this joins it (the outer one commits), so a use
    case can call another use case that opens its own without a flag.

    On SQLite the write lock is taken at the start (BEGIN IMMEDIATE): a deferred
    transaction that reads and then writes fails with "database is locked" when another
    writer got in between, and the immediate lock is also how a claim on SQLite stays safe
    without SELECT … FOR UPDATE. Pass ``immediate=False`` for read-only snapshots.
    """
    eng = engine()
    if isinstance(eng, SQLiteEngine):
        kind = TransactionType.immediate if immediate else TransactionType.deferred
        nested = eng.current_transaction.get() is not None
        if immediate and not nested and isinstance(eng, PooledSQLiteEngine):
            async with eng.writing(), eng.transaction(transaction_type=kind):
                yield
        else:
            async with eng.transaction(transaction_type=kind):
                yield
    else:
        async with eng.transaction():  # gives back a held connection (db/postgres.py)
            yield


def one_connection() -> contextlib.AbstractAsyncContextManager[None]:
    """This task's statements outside transactions share one pooled connection until the
    block ends (PostgreSQL, ``db/postgres.py``; nothing on SQLite). The app opens one
    around every request."""
    return postgres.one_connection(engine())


async def give_back_connection() -> None:
    """Before this task waits for something other than the database (the client, another
    server): the connection it holds goes back to the pool (``db/postgres.py``)."""
    await postgres.give_back(engine())
