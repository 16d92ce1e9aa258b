"""Read audit records of concurrent requests share one INSERT and one commit, and a
request still returns only once its own row is committed."""

from __future__ import annotations

import asyncio

import pytest

from coordinator import admission, db
from coordinator.audit import service as audit
from coordinator.audit.tables import AuditEvent
from tests import factories as f


@pytest.fixture
def statements(monkeypatch):
    seen: list[str] = []
    original = db.fetch

    async def counting(sql, *args, **kwargs):
        if "audit_event" in sql:
            seen.append(sql)
        return await original(sql, *args, **kwargs)

    monkeypatch.setattr(db, "fetch", counting)
    return seen


async def test_concurrent_reads_are_written_together_and_each_is_on_record(statements):
    user = await f.user()
    family = await f.family(user)
    await asyncio.gather(*(audit.record(user, "read", "familieside", family, family,
                                        f"Læsning {n}", "127.0.0.1") for n in range(40)))
    rows = await AuditEvent.select().where(AuditEvent.summary.like("Læsning %"))
    assert sorted(r["summary"] for r in rows) == sorted(f"Læsning {n}" for n in range(40))
    assert all(r["family_id"] == family and r["username"] == user.username for r in rows)
    assert 1 <= len(statements) < 5, len(statements)


async def test_a_single_read_is_on_record_when_record_returns(statements):
    user = await f.user()
    await audit.record(user, "read", "familieside", 7, None, "Alene", "127.0.0.1")
    assert await AuditEvent.count().where(AuditEvent.summary == "Alene") == 1
    assert len(statements) == 1


async def test_inside_a_transaction_the_row_goes_with_the_change():
    user = await f.user()

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with db.transaction():
            await audit.record(user, "update", "person", 1, None, "Rulles tilbage")
            assert await AuditEvent.count().where(AuditEvent.summary == "Rulles tilbage") == 1
            raise Undo
    assert await AuditEvent.count().where(AuditEvent.summary == "Rulles tilbage") == 0


async def test_a_failed_write_reaches_every_caller_in_it(monkeypatch):
    user = await f.user()
    original = db.fetch

    async def failing(sql, *args, **kwargs):
        if "audit_event" in sql:
            raise db.DatabaseUnavailable("nede")
        return await original(sql, *args, **kwargs)

    monkeypatch.setattr(db, "fetch", failing)
    outcomes = await asyncio.gather(*(audit.record(user, "read", "familieside", n, None, "x")
                                      for n in range(5)), return_exceptions=True)
    assert all(isinstance(o, db.DatabaseUnavailable) for o in outcomes)
    monkeypatch.setattr(db, "fetch", original)
    await audit.record(user, "read", "familieside", 9, None, "Igen")  # the next batch works
    assert await AuditEvent.count().where(AuditEvent.summary == "Igen") == 1


async def test_a_pages_many_reads_go_with_the_other_requests_and_are_all_on_record(statements):
    """``record_many`` outside a transaction (a list page): its rows join the group commit;
    it returns when every row is committed, also when they take more than one write."""
    user = await f.user()
    family = await f.family(user)
    many = [(family, f"Liste {n}") for n in range(audit.GROUP_COMMIT_ROWS + 20)]
    statements.clear()
    await asyncio.gather(
        audit.record_many(user, "read", "liste", "", many, "127.0.0.1"),
        audit.record(user, "read", "familieside", family, family, "Samtidig", "127.0.0.1"))
    assert await AuditEvent.count().where(AuditEvent.summary.like("Liste %")) == len(many)
    assert await AuditEvent.count().where(AuditEvent.summary == "Samtidig") == 1
    assert len(statements) == 2  # 521 rows: one full write of 500, then the rest together


async def test_a_pages_parts_write_their_records_together_when_the_block_ends(statements):
    user = await f.user()
    family = await f.family(user)
    statements.clear()
    async with audit.together():
        await audit.record_many(user, "read", "dagsorden", "", [(family, "Del 1")])
        await audit.record(user, "read", "trappe", "", family, "Del 2")
        async with audit.together():  # an inner block leaves the writing to the outer one
            await audit.record_many(user, "read", "mål", "", [(family, "Del 3")])
        assert await AuditEvent.count().where(AuditEvent.summary.like("Del %")) == 0
    assert await AuditEvent.count().where(AuditEvent.summary.like("Del %")) == 3
    assert len(statements) == 1

    class Failed(Exception):
        pass

    with pytest.raises(Failed):
        async with audit.together():
            await audit.record(user, "read", "trappe", "", family, "Læst før fejlen")
            raise Failed
    assert await AuditEvent.count().where(AuditEvent.summary == "Læst før fejlen") == 1


# ---------------------------------------------------------------- requests in progress
# The write waits for the rows of the other requests that hold a place (``admission``):
# one INSERT for the requests in progress, and never longer than GATHER_AT_MOST.


async def test_the_requests_in_progress_are_written_in_one_insert(statements, monkeypatch):
    monkeypatch.setattr(audit, "GATHER_AT_MOST", 30.0)  # only their rows end the wait
    user = await f.user()
    places = admission.Admission(4)
    statements.clear()

    async def request(n: int) -> None:
        async with admission.admitted(places):
            for _ in range(n):  # at different moments: each its own share of work first
                await asyncio.sleep(0)
            await audit.record(user, "read", "familieside", n, None, f"Side {n}")

    await asyncio.wait_for(asyncio.gather(*(request(n) for n in (0, 3, 7, 12))), timeout=10)
    assert len(statements) == 1
    assert await AuditEvent.count().where(AuditEvent.summary.like("Side %")) == 4


@pytest.fixture(autouse=True)
async def _group_commit_idle():
    """The tests share an event loop and so its group commit: each leaves it idle."""
    yield
    group = audit._group_commit()
    if group._writer is not None:  # a failed test's writer: stopped, not left to the next
        group._writer.cancel()
        await asyncio.gather(group._writer, return_exceptions=True)
    assert group._writer is None and not group._pending and group._callers == 0


@pytest.mark.parametrize("gives_back", ["finish", "outside"])
async def test_a_request_that_ends_without_a_record_lets_the_write_go(statements, monkeypatch,
                                                                      gives_back):
    """Its place given back (the answer started, or it waits outside the process): the
    write no longer waits for it, and does not wait for the timer either."""
    monkeypatch.setattr(audit, "GATHER_AT_MOST", 30.0)
    user = await f.user()
    places = admission.Admission(4)
    reading, answered = asyncio.Event(), asyncio.Event()

    async def reader() -> None:
        async with admission.admitted(places):
            reading.set()
            await audit.record(user, "read", "familieside", 1, None, "Læser")

    async def other() -> None:
        async with admission.admitted(places):
            await reading.wait()
            await asyncio.sleep(0.01)
            if gives_back == "finish":
                admission.finish()  # its answer starts: no record from it
                await answered.wait()
            else:
                async with admission.outside():  # e.g. a calendar fetched from elsewhere
                    await answered.wait()

    others = asyncio.create_task(other())
    await asyncio.wait_for(reader(), timeout=5)
    answered.set()
    await others
    assert await AuditEvent.count().where(AuditEvent.summary == "Læser") == 1


async def test_the_write_waits_at_most_gather_at_most(statements, monkeypatch):
    monkeypatch.setattr(audit, "GATHER_AT_MOST", 0.05)
    user = await f.user()
    places = admission.Admission(4)
    reading, done = asyncio.Event(), asyncio.Event()

    async def busy() -> None:  # holds its place for longer than the write may wait
        async with admission.admitted(places):
            reading.set()
            await done.wait()

    busy_task = asyncio.create_task(busy())
    await reading.wait()
    async with admission.admitted(places):
        started = asyncio.get_running_loop().time()
        async with asyncio.timeout(5):  # in this task: it holds the place
            await audit.record(user, "read", "familieside", 2, None, "Ventede")
        waited = asyncio.get_running_loop().time() - started
    done.set()
    await busy_task
    assert await AuditEvent.count().where(AuditEvent.summary == "Ventede") == 1
    assert 0.04 <= waited < 1, waited


async def test_a_request_alone_is_written_without_waiting(statements, monkeypatch):
    monkeypatch.setattr(audit, "GATHER_AT_MOST", 30.0)
    user = await f.user()
    places = admission.Admission(4)
    async with admission.admitted(places):
        async with asyncio.timeout(5):
            await audit.record(user, "read", "familieside", 3, None, "Alene her")
    assert await AuditEvent.count().where(AuditEvent.summary == "Alene her") == 1
    assert len(statements) == 1


async def test_a_writer_stopped_while_it_waits_tells_its_callers(statements, monkeypatch):
    """The process shutting down stops the write: the request waiting for its row learns
    it (cancelled) instead of waiting for ever."""
    monkeypatch.setattr(audit, "GATHER_AT_MOST", 30.0)
    user = await f.user()
    places = admission.Admission(4)
    busy, done = asyncio.Event(), asyncio.Event()

    async def other() -> None:
        async with admission.admitted(places):
            busy.set()
            await done.wait()

    async def reader() -> None:
        async with admission.admitted(places):
            await audit.record(user, "read", "familieside", 4, None, "Stoppet")

    others = asyncio.create_task(other())
    await busy.wait()
    reading = asyncio.create_task(reader())
    while audit._group_commit()._writer is None:
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)  # the writer is waiting for the other request's row
    audit._group_commit()._writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(reading, timeout=5)
    done.set()
    await others
    assert statements == []
