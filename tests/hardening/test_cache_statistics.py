"""``kill -USR1`` of a server process logs its caches' hits, misses and entries
(``coordinator/cache.py``): the real server, a family page drawn once and then kept."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

from tests import conftest, factories
from tests.hardening.server import Server, logged_in
from tests.support.smtp import free_port

LINE = re.compile(r"cache statistics: process (\d+), family pages: (\d+) hits, (\d+) misses, "
                  r"(\d+) entries")


async def test_sigusr1_logs_each_cache_of_the_process():
    worker = await factories.user("socialraadgiver")
    family_id = await factories.family(worker)
    server = Server()  # LOG_LEVEL=WARNING: the report asked for is written all the same
    server.start()
    try:
        assert server.process is not None
        client, _ = await logged_in(server, worker)
        try:
            for _ in range(2):  # drawn, then kept
                assert (await client.get(f"/families/{family_id}")).status_code == 200
        finally:
            await client.aclose()
        os.kill(server.process.pid, signal.SIGUSR1)
        await asyncio.sleep(1.0)  # the handler runs on the server's event loop
    finally:
        server.stop()
    assert server.process.stderr is not None
    logged = server.process.stderr.read().decode()
    found = LINE.findall(logged)
    assert found, logged[-2000:]
    assert found[-1] == (str(server.process.pid), "1", "1", "1")


async def test_a_process_that_does_not_serve_ignores_the_signal():
    """``pkill -USR1 -f coordinator`` reaches the outbox worker too: it goes on working
    (the signal's default would end it)."""
    env = {**os.environ, "DATABASE_URL": conftest.TEST_DATABASE_URL,
           "SECRET_KEY": "signal-test-secret-" + "y" * 32, "LOG_LEVEL": "WARNING",
           # nobody listens there: a mail it finds waits for the next try
           "SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
    worker = subprocess.Popen([sys.executable, "-m", "coordinator.cli", "worker", "--poll", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        await asyncio.sleep(3.0)  # migrated and polling
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
        os.kill(worker.pid, signal.SIGUSR1)
        await asyncio.sleep(1.0)
        assert worker.poll() is None, "the outbox worker ended on SIGUSR1"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
