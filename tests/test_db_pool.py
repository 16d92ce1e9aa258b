"""PostgreSQL's pool keeps the prepared statements of a day's load on each connection."""

from __future__ import annotations

import pytest
from piccolo.engine.postgres import PostgresEngine

from coordinator import db
from coordinator.db.lifecycle import STATEMENT_CACHE


async def test_a_pooled_connection_keeps_more_statements_than_asyncpgs_default(app):
    """asyncpg keeps 100 prepared statements per connection; a day's mix has more distinct
    ones, and an evicted statement is prepared again (a round trip and a new plan)."""
    eng = db.engine()
    if not isinstance(eng, PostgresEngine):
        pytest.skip("SQLite prepares statements in its own process (sqlite3's cache)")
    distinct = 150
    assert STATEMENT_CACHE > distinct
    async with eng.pool.acquire() as connection:
        for n in range(distinct):
            await connection.fetch(f"SELECT {n} AS n, $1::int AS m", n)
        await connection.fetch("SELECT 1 AS one")  # an eviction is deallocated on the next
        kept = await connection.fetchval(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT % AS n, %' "
            "AND statement NOT LIKE '%pg_prepared_statements%'")
    assert kept == distinct
