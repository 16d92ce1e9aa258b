"""``kill -USR1`` of a server process logs its caches' hits, misses and entries
(``coordinator/cache.py``): the real server, a family page drawn once and then kept."""

from __future__ import annotations

import asyncio
import os
import re
import signal

from tests import factories
from tests.hardening.server import Server, logged_in

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
