"""The worker as real processes: killed mid-send, and two at once — no lost, no doubled mail.

What "exactly once" means here, honestly: a worker killed while the SMTP transaction is
open (here: held in RCPT, before DATA) has handed nothing over, its lease expires and the
next worker sends the message — exactly once. The one window this cannot close is a kill
*after* the server answered 250 to DATA and *before* the row is marked sent: then the
next worker sends it again, with the same Message-ID (fixed at enqueue), so receivers that
dedupe on Message-ID show it once. These tests count per Message-ID and recipient, and
kill outside that window, so any double here is a real bug.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import threading

from coordinator.invites.tables import OutboxMessage
from tests import conftest
from tests.invites import support
from tests.support.smtp import SmtpTestServer

LEASE_SECONDS = 2


def start_worker(server: SmtpTestServer, *extra: str) -> subprocess.Popen:
    """`coordinator worker --once` as its own process against the test database."""
    env = {**os.environ, "DATABASE_URL": conftest.TEST_DATABASE_URL,
           "SMTP_URL": f"smtp://{server.host}:{server.port}", "MAIL_FROM": "koordinator@example.invalid",
           "PUBLIC_BASE_URL": "https://testserver.local", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "coordinator.cli", "worker", "--once",
                             "--lease", str(LEASE_SECONDS), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen, timeout: float = 60) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode()[-2000:]
    return out.decode()


async def queued_invites(meetings: int = 1) -> list[dict]:
    for _ in range(meetings):
        s = await support.scenario(with_father=False)
        await support.send(s)
    return await OutboxMessage.select().order_by(OutboxMessage.id)


def deliveries(server: SmtpTestServer) -> collections.Counter:
    """How often each (Message-ID, recipient) arrived."""
    return collections.Counter((m.message["Message-ID"], m.rcpt_tos) for m in server.messages)


async def test_crash_mid_send_then_restart_delivers_each_message_once():
    rows = await queued_invites()
    expected = collections.Counter((r["message_id"], (r["recipient_email"],)) for r in rows)
    stall = threading.Event()
    with SmtpTestServer(stall=stall) as server:
        victim = start_worker(server)
        await asyncio.to_thread(server.wait_for_stall)  # mid-send: RCPT held, nothing accepted
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        stall.set()
        claimed = await OutboxMessage.select().order_by(OutboxMessage.id)
        assert {r["status"] for r in claimed} == {"sending"}  # leased to the dead worker
        assert server.messages == []
        await asyncio.sleep(LEASE_SECONDS + 0.5)  # the lease runs out
        finish(start_worker(server))
        assert deliveries(server) == expected  # every message once, none twice
    after = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert {r["status"] for r in after} == {"sent"}
    assert {r["attempts"] for r in after} == {2}


async def test_crash_two_workers_at_once_never_double():
    rows = await queued_invites(meetings=3)
    assert len(rows) == 9
    expected = collections.Counter((r["message_id"], (r["recipient_email"],)) for r in rows)
    with SmtpTestServer() as server:
        # No worker is killed here: a lease longer than any send on a slow machine (the short
        # one is for the crash above; the renewal before each send is tested on its own).
        workers = [start_worker(server, "--batch", "1", "--lease", "60") for _ in range(2)]
        outputs = [await asyncio.to_thread(finish, w) for w in workers]
        assert deliveries(server) == expected
    handled = [int(o.split("handled ")[1].split()[0]) for o in outputs]
    assert sum(handled) == 9
    after = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert {r["status"] for r in after} == {"sent"} and {r["attempts"] for r in after} == {1}
    assert len({r["claimed_by"] for r in after}) >= 1


async def test_worker_without_smtp_url_says_so():
    env = {**os.environ, "DATABASE_URL": conftest.TEST_DATABASE_URL, "SMTP_URL": ""}
    result = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "coordinator.cli", "worker",
                                                      "--once"], env=env, capture_output=True, timeout=60)
    assert result.returncode == 2 and b"SMTP_URL" in result.stderr
    assert b"Traceback" not in result.stderr
