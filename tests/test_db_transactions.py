"""Transactions: they nest, commit or roll back as a whole, and on SQLite they run on kept
connections (a new connection per transaction was ~5 ms of CPU, bench/results/NOTES.md)."""

from __future__ import annotations

import asyncio

import pytest

from coordinator import db
from coordinator.db.sqlite import PooledSQLiteEngine, _LoopWriter


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


async def test_sqlite_writes_run_on_the_loop_without_letting_other_requests_in(scratch):
    """A write transaction holds the write lock for its own work only: its statements run
    at once on the loop's thread, so the other requests' steps (a page's rendering) do not
    run between them while every writer waits (80 % of the time under load before)."""
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no database-wide write lock")
    steps = 0
    running = True

    async def other_request() -> None:
        nonlocal steps
        while running:
            steps += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_request())
    await asyncio.sleep(0)
    try:
        async with db.transaction():
            assert isinstance(_connection(), _LoopWriter)
            before = steps
            for n in range(1, 21):
                await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", n)
            assert (await db.fetch("SELECT COUNT(*) AS n FROM tx_parent"))[0]["n"] == 20
            assert steps == before
        outside = steps
        await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", 21)  # one write outside
        assert steps == outside
    finally:
        running = False
        await other
    assert await _count("tx_parent") == 21


async def test_a_long_sqlite_write_transaction_still_lets_other_requests_in(scratch, monkeypatch):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no database-wide write lock")
    monkeypatch.setattr(_LoopWriter, "YIELD_SECONDS", 0.0)
    steps = 0
    running = True

    async def other_request() -> None:
        nonlocal steps
        while running:
            steps += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_request())
    try:
        async with db.transaction():
            for n in range(1, 6):
                await db.fetch("INSERT INTO tx_parent (id) VALUES ({})", n)
        assert steps >= 4
    finally:
        running = False
        await other
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
