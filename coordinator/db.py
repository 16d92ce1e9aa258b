"""Database lifecycle: connectivity check, migrations, pools and transactions."""

from __future__ import annotations

import contextlib
import io
from typing import AsyncIterator

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine


class DatabaseUnavailable(RuntimeError):
    """The database named by DATABASE_URL cannot be reached."""


def engine():
    """The engine all tables use (from piccolo_conf)."""
    from coordinator.piccolo_conf import DB

    return DB


def engine_name() -> str:
    """'sqlite' or 'postgresql'."""
    return "postgresql" if isinstance(engine(), PostgresEngine) else "sqlite"


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
    """Apply every pending migration of every app; running it twice changes nothing."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await check_connection()
    await prepare_sqlite()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"Migration failed: {result.message}\n{buffer.getvalue()}")


async def start() -> None:
    """Open the connection pool (PostgreSQL) at process start."""
    if isinstance(engine(), PostgresEngine):
        await engine().start_connection_pool(min_size=2, max_size=20)


async def stop() -> None:
    """Close the connection pool at process end."""
    if isinstance(engine(), PostgresEngine):
        await engine().close_connection_pool()


@contextlib.asynccontextmanager
async def transaction(immediate: bool = True) -> AsyncIterator[None]:
    """One unit of work: everything inside commits together or not at all.

    On SQLite the write lock is taken at the start (BEGIN IMMEDIATE): a deferred
    transaction that reads and then writes fails with "database is locked" when another
    writer got in between, and the immediate lock is also how a claim on SQLite stays safe
    without SELECT … FOR UPDATE. Pass ``immediate=False`` for read-only snapshots.
    """
    eng = engine()
    if isinstance(eng, SQLiteEngine):
        from piccolo.engine.sqlite import TransactionType

        kind = TransactionType.immediate if immediate else TransactionType.deferred
        async with eng.transaction(transaction_type=kind):
            yield
    else:
        async with eng.transaction():
            yield
