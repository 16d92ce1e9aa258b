"""PostgreSQL: a request's statements share one pooled connection.

A page runs some twenty statements outside any transaction. Taking a connection from
asyncpg's pool and giving it back cost about half of each statement's CPU (0.05 of
0.11 ms), so a request inside ``one_connection`` (the app opens one around every HTTP
request) keeps the first connection one of its statements takes until the request ends,
and its later statements run on it.

Only the task that opened the scope uses the connection: a task it starts (the audit
log's group commit, a feed build) takes connections of its own, so two statements never
run on one connection at once. A request holds one connection at a time: a transaction
gives the held one back before it takes its own, Piccolo's own transactions included
(``PooledPostgresEngine.transaction``). It is also given back while the request waits for
anything but the database (``give_back``: the app does before it reads the request's body
and when the answer starts; busy-time calendars are fetched without it), so a slow client
never keeps a connection. At most ``pool size - RESERVE`` requests hold one; beyond that a
request runs statement by statement as before, so the tasks that requests wait for (the
group commit) always find a connection free. A held connection found closed (the server
ended its backend) is given back and another one taken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

RESERVE = 4  # connections never held by a request


@dataclass(eq=False)
class _Held:
    owner: asyncio.Task[Any] | None
    connection: Any = None  # asyncpg's pool connection, once a statement took it


_HELD: ContextVar[_Held | None] = ContextVar("coordinator_held_connection", default=None)


class PooledPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine whose queries outside a transaction run on the request's
    held connection (``one_connection``), else on one taken from the pool for the query."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held = 0  # connections held by requests now

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        return await self.fetch_outside_transaction(query, args or ())

    async def fetch_outside_transaction(self, query: str, args: Sequence[Any]) -> list[Any]:
        """One statement (``$n`` placeholders) on this task's held connection, else on one
        taken from the pool for it; asyncpg's records. Piccolo's queries and ``db.fetch``
        both come here."""
        connection = await held_connection(self)
        if connection is not None:
            return await connection.fetch(query, *args)
        if self.pool is None:
            raise ValueError("A pool isn't currently running.")
        async with self.pool.acquire() as taken:
            return await taken.fetch(query, *args)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _Transaction(engine=self, allow_nested=allow_nested)


class _Transaction(PostgresTransaction):
    """Piccolo's transaction, which first gives back the connection its task holds: it
    takes one of its own, and a request never holds two."""

    async def __aenter__(self) -> PostgresTransaction:
        if self.engine.current_transaction.get() is None and isinstance(
                self.engine, PooledPostgresEngine):
            await give_back(self.engine)
        return await super().__aenter__()


def _mine() -> _Held | None:
    held = _HELD.get()
    if held is None or held.owner is not asyncio.current_task():
        return None
    return held


async def held_connection(engine: PooledPostgresEngine) -> Any:
    """This task's held connection, taken from the pool by its first statement; None
    outside ``one_connection``, in another task, or when enough requests hold one."""
    held = _mine()
    if held is None or engine.pool is None:
        return None
    if held.connection is not None and _closed(held.connection):
        await give_back(engine)
    if held.connection is None:
        if engine.held >= engine.pool.get_max_size() - RESERVE:
            return None
        engine.held += 1
        try:
            held.connection = await engine.pool.acquire()
        except BaseException:
            engine.held -= 1
            raise
    return held.connection


def _closed(connection: Any) -> bool:
    try:
        return bool(connection.is_closed())
    except asyncpg.InterfaceError:  # terminated: the pool took it back already
        return True


async def give_back(engine: Any) -> None:
    """Return this task's held connection to the pool, if it holds one (before a
    transaction takes one, and while the request waits for the client or another server);
    its next statement takes one again."""
    held = _mine()
    if held is None or held.connection is None:
        return
    connection, held.connection = held.connection, None
    try:
        if engine.pool is not None:
            await engine.pool.release(connection)
    finally:
        engine.held -= 1


@contextlib.asynccontextmanager
async def one_connection(engine: Any) -> AsyncIterator[None]:
    """The statements of this task inside the block share one pooled connection
    (PostgreSQL; a no-op on SQLite and inside another such block)."""
    if not isinstance(engine, PooledPostgresEngine) or _HELD.get() is not None:
        yield
        return
    token = _HELD.set(_Held(asyncio.current_task()))
    try:
        yield
    finally:
        try:
            await give_back(engine)
        finally:
            _HELD.reset(token)
