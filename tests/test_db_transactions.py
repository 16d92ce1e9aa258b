"""Transactions: they nest, commit or roll back as a whole, and on SQLite they run on kept
connections (a new connection per transaction was ~5 ms of CPU, bench/results/NOTES.md)."""

from __future__ import annotations

import pytest

from coordinator import db
from coordinator.db.sqlite import PooledSQLiteEngine


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


async def test_a_connection_whose_commit_failed_is_not_kept(scratch):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL's transactions use asyncpg's pool")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        async with db.transaction():
            failed = _connection()
            await db.fetch("INSERT INTO tx_child (id, parent) VALUES ({}, {})", 1, 99)
    assert not db.in_transaction()
    async with db.transaction():
        assert _connection() is not failed
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
