"""SQLite: the writers of every process on the file take turns on a file lock beside it, and
a waiting writer goes on as soon as the other process lets go (SQLite's own busy handler
sleeps up to 100 ms between looks)."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time

import pytest

from coordinator import db
from coordinator.db.sqlite import PooledSQLiteEngine

# Another process: takes the writers' lock, says so, holds it for HOLD seconds, lets go.
HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
print(time.monotonic(), flush=True)
fcntl.flock(fd, fcntl.LOCK_UN)
"""

# Another process: can it take the lock at once?
PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("taken")
"""


@pytest.fixture
async def scratch(app):
    if not isinstance(db.engine(), PooledSQLiteEngine):
        pytest.skip("PostgreSQL orders its writers itself")
    await db.fetch("CREATE TABLE lock_probe (id INTEGER PRIMARY KEY)")
    yield db.engine().writer_lock_path
    await db.fetch("DROP TABLE lock_probe")


async def _held_by_another_process(path: str, seconds: float) -> asyncio.subprocess.Process:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, path, str(seconds), stdout=asyncio.subprocess.PIPE)
    assert holder.stdout is not None
    assert (await holder.stdout.readline()).strip() == b"held"
    return holder


def _probe(path: str) -> str:
    return subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True, text=True,
                          check=True).stdout.strip()


async def test_a_writer_waits_for_another_process_and_goes_on_when_it_lets_go(scratch):
    """Five times: the writer waits while the other process holds the lock and goes on as
    soon as it lets go. After 0.4 s SQLite's busy handler would look every 100 ms, so its
    writer would go on a median 50 ms late; the median is asked for, as a loaded machine
    (two test suites side by side) may delay any one of them by a few tens of ms."""
    late = []
    for row in range(1, 6):
        holder = await _held_by_another_process(scratch, 0.4)
        began = time.monotonic()
        await db.fetch("INSERT INTO lock_probe (id) VALUES ({})", row)
        done = time.monotonic()
        assert holder.stdout is not None
        released = float((await holder.stdout.readline()).strip())
        await holder.wait()
        # it waited for the other process: done after the other let go (both clocks are the
        # machine's monotonic clock), whenever this process got to start its clock
        assert done >= released, (began, done, released)
        late.append(done - released)
    assert statistics.median(late) < 0.025, late  # and went on at once, not after a sleep
    assert (await db.fetch("SELECT COUNT(*) AS n FROM lock_probe"))[0]["n"] == 5
    assert _probe(scratch) == "free"  # and let go when it was done


async def test_a_transaction_holds_the_lock_until_it_commits(scratch):
    async with db.transaction():
        await db.fetch("INSERT INTO lock_probe (id) VALUES ({})", 1)
        assert await asyncio.to_thread(_probe, scratch) == "taken"
    assert await asyncio.to_thread(_probe, scratch) == "free"


async def test_a_writer_that_gives_up_waiting_leaves_the_lock_to_the_next(scratch, monkeypatch):
    monkeypatch.setattr(PooledSQLiteEngine, "WRITE_WAIT_SECONDS", 0.1)
    holder = await _held_by_another_process(scratch, 0.3)
    with pytest.raises(Exception, match="database is locked"):
        await db.fetch("INSERT INTO lock_probe (id) VALUES ({})", 1)
    monkeypatch.setattr(PooledSQLiteEngine, "WRITE_WAIT_SECONDS", 30)
    async with db.transaction():  # waits for the other process, then holds the lock
        await db.fetch("INSERT INTO lock_probe (id) VALUES ({})", 2)
        await asyncio.sleep(0.05)  # the writer that gave up never lets go of this hold
        assert await asyncio.to_thread(_probe, scratch) == "taken"
    await holder.wait()
    assert await asyncio.to_thread(_probe, scratch) == "free"
    assert [r["id"] for r in await db.fetch("SELECT id FROM lock_probe")] == [2]
