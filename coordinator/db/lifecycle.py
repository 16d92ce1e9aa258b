"""The database's life in a process: the connectivity check, migrations, pools."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from coordinator.db.engines import engine
from coordinator.db.sqlite import PooledSQLiteEngine


class DatabaseUnavailable(RuntimeError):
    """The database named by DATABASE_URL cannot be reached."""


async def check_connection() -> None:
    """Run a trivial query; raise DatabaseUnavailable with a one-line reason."""
    try:
        await engine().run_ddl("SELECT 1")
    except Exception as exc:  # any driver error means "cannot reach it"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(reason) from None


async def prepare_sqlite() -> None:
    """Switch an SQLite file to WAL so readers never block the writer (persistent)."""
    if isinstance(engine(), SQLiteEngine):
        await engine().run_ddl("PRAGMA journal_mode=WAL")


async def migrate(quiet: bool = True) -> None:
    """Apply every pending migration of every app; running it twice changes nothing.

    Triggers are part of the schema: the migrations install them (``db/triggers.py``),
    so a start with nothing to migrate touches no table."""
    await check_connection()
    await prepare_sqlite()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"Migration failed: {result.message}\n{buffer.getvalue()}")


async def start() -> None:
    """Open the connection pool (PostgreSQL) at process start.

    Each connection keeps up to ``STATEMENT_CACHE`` prepared statements. asyncpg keeps
    100 by default, fewer than the distinct statements of a day's mixed load (Piccolo's
    queries, ``IN`` lists of every length), so statements were evicted and prepared again
    (a Parse and Describe round trip and a new plan): the mixed load did 232 → 246 req/s,
    server CPU 6.0 → 5.7 ms per request, in runs back to back (bench/results/NOTES.md)."""
    if isinstance(engine(), PostgresEngine):
        await engine().start_connection_pool(min_size=2, max_size=20, reset=keep_session,
                                              statement_cache_size=STATEMENT_CACHE)


STATEMENT_CACHE = 1000


async def keep_session(connection: Any) -> None:
    """The pool's reset of a connection given back: nothing beyond asyncpg's own (it rolls
    back a transaction left open and drops listeners before calling this).

    asyncpg's default runs ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release, a second round trip for each statement outside a
    transaction. The coordinator keeps no session state to undo: no SET outside a
    transaction, no session advisory locks, no LISTEN, no cursors held across statements
    (``tests/test_architecture.py`` fails on a statement that would)."""


async def stop() -> None:
    """Close the connection pool at process end."""
    if isinstance(engine(), PostgresEngine):
        await engine().close_connection_pool()
    elif isinstance(engine(), PooledSQLiteEngine):
        await engine().close_pool()
