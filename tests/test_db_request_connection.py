"""PostgreSQL: a request's statements share one pooled connection (``db/postgres.py``)."""

from __future__ import annotations

import asyncio

import pytest

from coordinator import db
from coordinator.app import _serving
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


async def test_a_page_takes_one_connection_besides_the_audit_log(engine, client, monkeypatch):
    user = await factories.user()
    family = await factories.family(user)
    await factories.login(client, user)
    taken = _count_acquires(monkeypatch, engine)
    response = await client.get(f"/families/{family}")  # its first view: ~20 statements
    assert response.status_code == 200 and "<svg" in response.text
    assert 1 <= len(taken) <= 2  # the request's own, and the audit row's group commit
    assert engine.held == 0


async def test_an_error_inside_the_block_gives_the_connection_back(engine):
    with pytest.raises(RuntimeError):
        async with db.one_connection():
            await _backend()
            raise RuntimeError("the request failed")
    assert engine.held == 0


async def test_piccolos_own_transaction_gives_the_held_connection_back(engine):
    async with db.one_connection():
        await _backend()
        async with engine.transaction():
            assert engine.held == 0
            await Family.select(Family.id).limit(1)
        assert engine.held == 0


async def test_a_closed_held_connection_is_replaced(engine):
    async with db.one_connection():
        first = await _backend()
        held = postgres._HELD.get()
        assert held is not None
        held.connection.terminate()  # the server ended the backend
        assert await _backend() != first
        assert engine.held == 1
    assert engine.held == 0


async def test_no_connection_is_held_while_the_client_sends_or_reads(engine):
    """A slow client (a POST body sent byte by byte, an answer read slowly) must not keep
    a connection: the app gives it back before reading the body and when it answers."""
    seen: dict[str, int] = {}

    async def inner(scope, receive, send):
        await _backend()
        seen["before receive"] = engine.held
        await receive()
        seen["while receiving"] = engine.held
        await _backend()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        seen["while answering"] = engine.held
        await send({"type": "http.response.body", "body": b""})

    async def receive():
        seen["receive"] = engine.held
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        seen.setdefault(message["type"], engine.held)

    await _serving(4)(inner)({"type": "http"}, receive, send)
    assert seen == {"before receive": 1, "receive": 0, "while receiving": 0,
                    "http.response.start": 0, "while answering": 0, "http.response.body": 0}
    assert engine.held == 0
