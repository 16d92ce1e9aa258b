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
LOAD_SECONDS = 3.0


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


async def _keep_asking(port: int, until: float) -> asyncio.StreamWriter:
    """One client: /hello again and again on a keep-alive connection, opening a new one
    when the server closes it; the connection open at the end, which has been answered
    (a worker has accepted it: one still in the listening socket's queue belongs to none)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while True:
        writer.write(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        await reader.readexactly(length)
        if "connection: close" in head:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        elif time.monotonic() >= until:
            return writer


async def test_connections_opened_at_once_spread_over_both_workers():
    server = Server(workers=2, env={"KEEPALIVE_REQUESTS": "4"})
    server.start()
    try:
        until = time.monotonic() + LOAD_SECONDS
        writers = await asyncio.gather(*(_keep_asking(server.port, until)
                                         for _ in range(CONNECTIONS)))
        assert server.process is not None
        workers = _workers(server.process.pid)
        assert len(workers) == 2
        held = _held_by(workers, server.port)
        for writer in writers:
            writer.close()
        assert sum(held.values()) == CONNECTIONS
        # Closed one time in four, each client's next connection went to either worker:
        # both hold a fair part of the 32 (for fair coins, a split worse than 6/26 has a
        # chance of 1 in 8,800). Without the closing, all 32 often stayed with one.
        assert min(held[pid] for pid in workers) >= 6, held
    finally:
        server.stop()
