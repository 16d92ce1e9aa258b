"""PostgreSQL: a request's statements share one pooled connection (``db/postgres.py``)."""

from __future__ import annotations

import asyncio

import pytest

from coordinator import db
from coordinator.audit import service as audit
from coordinator.db import postgres
from coordinator.db.postgres import PooledPostgresEngine
from coordinator.families.tables import Family
from tests import factories


@pytest.fixture
def engine(app) -> PooledPostgresEngine:
    eng = db.engine()
    if not isinstance(eng, PooledPostgresEngine):
        pytest.skip("PostgreSQL only: SQLite has no connection pool to take connections from")
    return eng


async def _backend() -> int:
    return (await db.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]


def _count_acquires(monkeypatch, eng: PooledPostgresEngine) -> list[int]:
    taken: list[int] = []
    original = type(eng.pool).acquire

    def acquire(pool, *args, **kwargs):
        taken.append(1)
        return original(pool, *args, **kwargs)

    monkeypatch.setattr(type(eng.pool), "acquire", acquire)
    return taken


async def test_statements_in_one_block_run_on_one_connection(engine, monkeypatch):
    taken = _count_acquires(monkeypatch, engine)
    async with db.one_connection():
        pids = {await _backend() for _ in range(5)}
        await Family.select(Family.id).limit(1)  # Piccolo's queries too
        pids.add(await _backend())
        assert engine.held == 1
    assert len(pids) == 1 and len(taken) == 1
    assert engine.held == 0  # given back when the block ends


async def test_without_a_block_each_statement_takes_a_connection(engine, monkeypatch):
    taken = _count_acquires(monkeypatch, engine)
    for _ in range(3):
        await _backend()
    assert len(taken) == 3 and engine.held == 0


async def test_a_transaction_gives_the_held_connection_back_first(engine):
    async with db.one_connection():
        await _backend()
        assert engine.held == 1
        async with db.transaction():
            assert engine.held == 0  # never two connections for one request
            await db.fetch("SELECT 1 AS one")
        assert engine.held == 0
        await _backend()  # the next statement takes one again
        assert engine.held == 1
    assert engine.held == 0


async def test_a_task_started_inside_uses_connections_of_its_own(engine):
    """Two statements must never run on one connection at once: a task the request starts
    (the audit log's group commit, a feed build) does not use the request's."""
    async with db.one_connection():
        mine = await _backend()
        started = asyncio.create_task(db.fetch("SELECT pg_backend_pid() AS pid, pg_sleep(0.05)"))
        await asyncio.sleep(0)
        assert await _backend() == mine  # while the other task's statement runs
        other = (await started)[0]["pid"]
    assert other != mine


async def test_only_so_many_requests_hold_a_connection(engine, monkeypatch):
    monkeypatch.setattr(postgres, "RESERVE", engine.pool.get_max_size() - 1)  # one holder
    entered, leave = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.one_connection():
            await _backend()
            entered.set()
            await leave.wait()

    first = asyncio.create_task(holder())
    await entered.wait()
    async with db.one_connection():
        await _backend()  # statement by statement: the one place is taken
        assert engine.held == 1
    leave.set()
    await first
    assert engine.held == 0


async def test_requests_waiting_for_the_group_commit_never_starve_it(engine):
    """More requests than the pool has connections, each holding one and then waiting for
    its audit row: the group commit still finds a connection (RESERVE), so all finish."""
    user = await factories.user()

    async def request(n: int) -> None:
        async with db.one_connection():
            await _backend()
            await asyncio.sleep(0.01)  # all of them hold before any writes
            await audit.record(user, "read", "family", n, summary=f"læst {n}")

    await asyncio.wait_for(asyncio.gather(*(request(n) for n in range(
        engine.pool.get_max_size() + 10))), timeout=20)
    assert engine.held == 0


async def test_pages_take_one_connection_besides_the_audit_log(engine, client, monkeypatch):
    user = await factories.user()
    family = await factories.family(user)
    await factories.login(client, user)
    assert (await client.get(f"/families/{family}")).status_code == 200
    taken = _count_acquires(monkeypatch, engine)
    response = await client.get(f"/families/{family}", params={"fresh": "1"})
    assert response.status_code == 200
    assert 1 <= len(taken) <= 2  # the request's own, and the audit row's group commit
    assert engine.held == 0
