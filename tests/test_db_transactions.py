"""Transactions: they nest, commit or roll back as a whole, and on SQLite they run on kept
connections (a new connection per transaction was ~5 ms of CPU, bench/results/NOTES.md)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable

import pytest

from coordinator import db
from coordinator.db.sqlite import PooledSQLiteEngine, _LoopWriter, _SQLitePool


@pytest.fixture
async def scratch(app):
    """Two scratch tables, the child's key checked only at COMMIT (so a COMMIT can fail)."""
    await db.fetch("CREATE TABLE tx_parent (id INTEGER PRIMARY KEY)")
    await db.fetch("CREATE TABLE tx_child (id INTEGER PRIMARY KEY, parent INTEGER "
                   "REFERENCES tx_parent (id) DEFERRABLE INITIALLY DEFERRED)")
    yield
    await db.fetch("DROP TABLE tx_child")
    await db.fetch("DROP TABLE tx_parent")


def _connection():
    return db.engine().current_transaction.get().connection


async def _count(table: str) -> int:
    return (await db.fetch(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"]


async def test_commit_rollback_and_nesting(scratch):
    async with db.transaction():
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 1)
        async with db.transaction():  # joins the outer one
            await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 2)
    assert await _count("tx_parent") == 2
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 3)
            raise RuntimeError("the use case fails")
    assert await _count("tx_parent") == 2
    assert not db.in_transaction()


async def test_sqlite_keeps_the_connection_between_transactions(scratch):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL's transactions use asyncpg's pool")
    async with db.transaction():
        first = _connection()
    async with db.transaction():
        assert _connection() is first
    with pytest.raises(RuntimeError):
        async with db.transaction():
            assert _connection() is first
            raise RuntimeError("rolled back")
    async with db.transaction():  # a rollback leaves it fit for the next one
        assert _connection() is first
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 1)
    assert await _count("tx_parent") == 1


async def test_a_connection_whose_commit_failed_is_rolled_back_or_not_kept(scratch):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL's transactions use asyncpg's pool")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        async with db.transaction():
            failed = _connection()
            await db.fetch("INSERT INTO tx_child (id, parent) VALUES ({}, {})", 1, 99)
    assert not db.in_transaction()
    assert not failed.in_transaction  # the failed COMMIT's transaction was rolled back
    async with db.transaction():
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 99)
        await db.fetch("INSERT INTO tx_child (id, parent) VALUES ({}, {})", 1, 99)
    assert await _count("tx_child") == 1


async def test_a_duplicate_key_is_a_unique_violation_on_either_driver(scratch):
    await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 1)
    with pytest.raises(Exception) as duplicate:
        async with db.transaction():
            await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 1)
    assert db.is_unique_violation(duplicate.value)
    with pytest.raises(Exception) as missing:
        async with db.transaction():
            await db.fetch("INSERT INTO tx_missing (id) VALUES ({})", 1)
    assert not db.is_unique_violation(missing.value)
    assert not db.is_unique_violation(RuntimeError("UNIQUE"))


@contextlib.asynccontextmanager
async def _another_request(interval: float = 0.0) -> AsyncIterator[Callable[[], int]]:
    """A request that keeps taking turns on the event loop (as a page's rendering does);
    the yielded function counts its turns so far."""
    turns = 0
    done = asyncio.Event()

    async def other() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(interval)

    task = asyncio.create_task(other())
    await asyncio.sleep(0)
    try:
        yield lambda: turns
    finally:
        done.set()
        await task


async def test_sqlite_writes_run_on_the_loop_without_letting_other_requests_in(scratch):
    """A write transaction holds the write lock for its own work only: its statements run
    at once on the loop's thread, so the other requests' steps (a page's rendering) do not
    run between them while every writer waits (80 % of the time under load before)."""
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no database-wide write lock")
    async with _another_request() as turns:
        async with db.transaction():
            assert isinstance(_connection(), _LoopWriter)
            before = turns()
            for n in range(1, 21):
                await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", n)
            assert (await db.fetch("SELECT COUNT(*) AS n FROM tx_parent"))[0]["n"] == 20
            assert turns() == before
        outside = turns()
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 21)  # one write outside
        assert turns() == outside
    assert await _count("tx_parent") == 21


async def test_a_long_sqlite_write_transaction_still_lets_other_requests_in(scratch, monkeypatch):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no database-wide write lock")
    monkeypatch.setattr(_LoopWriter, "YIELD_SECONDS", 0.0)
    async with _another_request() as turns:
        async with db.transaction():
            for n in range(1, 6):
                await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", n)
        assert turns() >= 4
    assert await _count("tx_parent") == 5


async def test_a_transaction_without_the_write_lock_gets_a_connection_of_its_own(scratch):
    """Piccolo's own ``engine.transaction()`` (migrations) does not queue for the write
    lock: it never shares the loop writer with the task that holds it."""
    eng = db.engine()
    if not isinstance(eng, PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no database-wide write lock")
    async with eng.transaction():
        assert not isinstance(_connection(), _LoopWriter)
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 1)
    async with db.transaction():
        writer = _connection()
        assert isinstance(writer, _LoopWriter)
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 2)
    assert await _count("tx_parent") == 2


def _pool():
    return db.engine()._pools[id(asyncio.get_running_loop())]


async def _held_by_someone_else(seconds: float):
    """SQLite's own lock held for ``seconds`` by a connection outside the engine's writers
    (as a migration, a restore's checkpoint or the sqlite3 shell would)."""
    other = sqlite3.connect(db.engine().connection_kwargs["database"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(seconds, lambda: (other.commit(), other.close()))


async def test_a_write_waiting_for_sqlites_lock_does_not_stop_the_loop(scratch):
    """The loop writer never waits in SQLite's busy handler: when another connection holds
    the lock, the transaction and the single write wait on a connection thread, the other
    requests go on, and the loop writer is free again afterwards."""
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no database-wide write lock")

    async def transaction() -> None:
        async with db.transaction():
            assert not isinstance(_connection(), _LoopWriter)
            await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 1)

    async with _another_request(0.01) as turns:
        await _held_by_someone_else(0.3)
        await transaction()
        assert turns() >= 10
    async with _another_request(0.01) as turns:
        await _held_by_someone_else(0.3)
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 2)
        assert turns() >= 10
    async with db.transaction():
        assert isinstance(_connection(), _LoopWriter)
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 3)
    assert await _count("tx_parent") == 3


async def test_the_loop_writer_leaves_checkpoints_to_a_connection_thread(scratch, monkeypatch):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no WAL checkpoints to place")
    pool = _pool()
    if pool.checkpointing is not None:  # one the earlier tests' writes started
        await pool.checkpointing
    pool.writer.commits = 0
    monkeypatch.setattr(_SQLitePool, "CHECKPOINT_COMMITS", 5)
    threaded = []  # statements run on a connection thread
    run_pooled = PooledSQLiteEngine._run_pooled

    async def recorded(engine, pool, query, args):
        threaded.append(query)
        return await run_pooled(engine, pool, query, args)

    monkeypatch.setattr(PooledSQLiteEngine, "_run_pooled", recorded)
    for n in range(1, 5):
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", n)
    assert pool.checkpointing is None
    async with db.transaction():
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 5)
    assert pool.checkpointing is not None
    await pool.checkpointing
    assert threaded == ["PRAGMA wal_checkpoint(PASSIVE)"]
    assert pool.checkpointing is None
    writer = pool.writer
    assert writer.connection.execute("PRAGMA wal_autocheckpoint").fetchone()["wal_autocheckpoint"] == 0
