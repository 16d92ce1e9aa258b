"""The real server with two worker processes: connections opened at once end up spread over
both (``KEEPALIVE_REQUESTS``, coordinator/app.py ``_serving``), read from /proc."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path

from tests.hardening.server import Server

CONNECTIONS = 32
SPREAD_WITHIN_SECONDS = 60.0


def _workers(pid: int) -> list[int]:
    """The worker processes of the server process ``pid`` (not multiprocessing's helper)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _established_to(port: int) -> dict[int, int]:
    """Established TCP connections to ``port`` on 127.0.0.1: socket inode -> client port."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == port:  # 01: ESTABLISHED
            found[inode] = int(remote.split(":")[1], 16)
    return found


def _held_by(pids: list[int], port: int) -> Counter:
    """How many of the established connections to ``port`` each process holds."""
    connections = _established_to(port)
    held: Counter = Counter()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:[") and int(target[8:-1]) in connections:
                held[pid] += 1
    return held


async def _keep_asking(port: int, stop: asyncio.Event) -> None:
    """One client: /hello again and again on a keep-alive connection, opening a new one
    when the server closes it, until ``stop``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not stop.is_set():
            writer.write(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
            await reader.readexactly(length)
            if "connection: close" in head:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def test_connections_opened_at_once_spread_over_both_workers():
    """32 clients connect at once and keep asking; within seconds both workers hold a fair
    share of their connections. The same 32 clients throughout: without the closing a
    connection stays where it was accepted (all 32 on one worker in 1 run of 3)."""
    server = Server(workers=2, env={"KEEPALIVE_REQUESTS": "4"})
    server.start()
    stop = asyncio.Event()
    clients = []
    try:
        assert server.process is not None
        workers = _workers(server.process.pid)
        assert len(workers) == 2
        clients = [asyncio.create_task(_keep_asking(server.port, stop))
                   for _ in range(CONNECTIONS)]
        # A worker may still be starting when the first connections arrive (a loaded
        # machine, a shifted clock): the connections must move to it once it serves.
        deadline = time.monotonic() + SPREAD_WITHIN_SECONDS
        while True:
            await asyncio.sleep(0.5)
            held = _held_by(workers, server.port)
            # Closed one time in four, each client's next connection goes to either worker:
            # a fair share each (for fair coins, worse than 6/26 has a chance of 1 in 8,800).
            if min(held[pid] for pid in workers) >= 6:
                break
            assert time.monotonic() < deadline, held
            assert not any(client.done() for client in clients), "a client failed"
    finally:
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        server.stop()
