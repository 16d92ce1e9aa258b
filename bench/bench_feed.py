"""Benchmark: a partner feed with 2,000 events, our server beside Radicale (same run).

    python bench/bench_feed.py [--events 2000] [--requests 200]

Builds a fresh SQLite database (or BENCH_DATABASE_URL) with one partner organisation
whose person takes part in N invited meetings, creates a feed token, starts
``coordinator serve`` on 127.0.0.1, loads the very same N events into Radicale (a PUT
per event, as CalDAV requires) and then GETs the whole calendar from both, sequentially,
a bounded number of times. Also measures the conditional GET (If-None-Match → 304) over
HTTP and in-process (the app called through ASGI in this process, no sockets).
Prints a Markdown table and writes it to bench/results/feed.md. Not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="bench-feed-"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{TMP}/bench.sqlite"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("PICCOLO_CONF", "coordinator.piccolo_conf")

import logging  # noqa: E402

import httpx  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)  # logging inside the timed loop distorts

from tests.support.caldav import RadicaleServer, itip_to_resources  # noqa: E402
from tests.support.smtp import free_port  # noqa: E402


async def build_data(events: int) -> str:
    """Migrate, insert ``events`` invited meetings for one partner, return a feed token."""
    from coordinator import db
    from coordinator.auth import service as auth_service
    from coordinator.auth.policy import Principal
    from coordinator.auth.roles import Role
    from coordinator.families import service as family_service
    from coordinator.invites import feeds
    from coordinator.meetings.tables import Meeting, MeetingPart, Participant, ParticipantPart
    from coordinator.network.tables import Organisation, Person
    from coordinator.settings import Settings

    db.configure(Settings(database_url=DATABASE_URL))
    if db.engine_name() == "postgresql":
        await db.engine().run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
        await db.engine().run_ddl("CREATE SCHEMA public")
    await db.migrate()
    await db.start()
    user_id = await auth_service.create_user("bench", "Bench Rådgiver", "socialraadgiver",
                                             "bench-password-123", email="bench@example.org")
    user = Principal(user_id, "bench", Role.SOCIALRAADGIVER, "Bench Rådgiver")
    family = await family_service.create_family(None, "B-1", "Familien Bench",
                                                datetime.now().date(), team=[(user_id, "Rådgiver")])
    org = (await Organisation.insert(Organisation(name="Bench Skole", kind="school",
                                                  sector="school")))[0]["id"]
    teacher = (await Person.insert(Person(family=family, name="Lærer Bench", role="professional",
                                          is_professional=True, sector="school", organisation=org,
                                          email="laerer@bench.example.org")))[0]["id"]
    start = datetime(2027, 1, 4, 9, tzinfo=timezone.utc)
    async with db.transaction():
        for n in range(events):
            moment = start + timedelta(days=n // 4, hours=2 * (n % 4))
            meeting = (await Meeting.insert(Meeting(
                family=family, kind="statusmoede", title=f"Statusmøde {n}", status="invited",
                location=f"Skolen, lokale {n % 30}", organiser=user_id,
                description="Status på trivsel og skolegang.")))[0]["id"]
            part = (await MeetingPart.insert(MeetingPart(
                meeting=meeting, key="statusmoede", label="Statusmøde", starts_at=moment,
                ends_at=moment + timedelta(hours=1))))[0]["id"]
            participant = (await Participant.insert(Participant(
                meeting=meeting, person=teacher, name="Lærer Bench", email="laerer@bench.example.org",
                role="informatoer", category="professional")))[0]["id"]
            await ParticipantPart.insert(ParticipantPart(participant=participant, part=part))
    token = await feeds.create_token(user, "partner_organisation", org, "Bench Skole")
    await db.stop()
    return token


def measure(client: httpx.Client, url: str, count: int, headers: dict | None = None,
            expect: int = 200) -> tuple[list[float], int]:
    """Sequential GETs; returns latencies (ms) and the body size."""
    size = 0
    for _ in range(3):  # warm-up (and our first build of the feed)
        client.get(url, headers=headers)
    latencies = []
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        latencies.append((time.perf_counter() - began) * 1000)
        assert response.status_code == expect, (url, response.status_code)
        size = len(response.content)
    return latencies, size


def summary(name: str, latencies: list[float], size: int) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * len(ordered))) - 1)]

    return {"name": name, "rps": len(latencies) / (sum(latencies) / 1000), "p50": pct(50),
            "p95": pct(95), "p99": pct(99), "n": len(latencies), "size": size}


async def in_process_304(token: str, count: int) -> list[float]:
    """The 304 answered by the app in this process: the ASGI callable driven directly with
    a request scope (no sockets, no HTTP client), so the figure is the server's own time."""
    from coordinator import db
    from coordinator.app import create_app
    from coordinator.settings import Settings

    app = create_app(Settings(database_url=DATABASE_URL, secret_key="b" * 40, log_level="WARNING",
                              data_dir=TMP))
    await db.start()
    path = f"/feeds/{token}.ics"

    async def call(headers: list[tuple[bytes, bytes]]) -> tuple[int, dict]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"bench.local"), *headers],
                 "client": ("127.0.0.1", 50000), "server": ("bench.local", 443), "state": {}}
        sent: dict = {}

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["headers"] = dict(message["headers"])

        await app(scope, receive, send)
        return sent["status"], sent["headers"]

    latencies = []
    try:
        async with app.lifespan():
            status, headers = await call([])
            etag = headers[b"etag"]
            for _ in range(50):
                await call([(b"if-none-match", etag)])
            for _ in range(count):
                began = time.perf_counter()
                status, _ = await call([(b"if-none-match", etag)])
                latencies.append((time.perf_counter() - began) * 1000)
                assert status == 304
    finally:
        await db.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    began = time.perf_counter()
    token = asyncio.run(build_data(args.events))
    print(f"data: {args.events} meetings in {time.perf_counter() - began:.1f} s", flush=True)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "COOKIE_SECURE": "false",
           "SECRET_KEY": "b" * 40, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "coordinator.cli", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, cwd=TMP,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        ours = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        for _ in range(200):
            try:
                if ours.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        path = f"/feeds/{token}.ics"
        began = time.perf_counter()
        first = ours.get(path)
        cold_ms = (time.perf_counter() - began) * 1000
        body = first.content
        assert body.count(b"BEGIN:VEVENT") == args.events, "the feed must hold every event"
        with RadicaleServer() as dav:
            collection = dav.mkcalendar("bench")
            began = time.perf_counter()
            for uid, resource in itip_to_resources(body).items():
                dav.put(dav.href(collection, uid), resource)
            print(f"radicale: {args.events} PUTs in {time.perf_counter() - began:.1f} s", flush=True)
            radicale = httpx.Client(base_url=dav.base_url, auth=(dav.user, "x"), timeout=120)
            r_lat, r_size = measure(radicale, collection, args.requests)
            check = radicale.get(collection).content
            assert check.count(b"BEGIN:VEVENT") == args.events
        o_lat, o_size = measure(ours, path, args.requests)
        etag = first.headers["etag"]
        c_lat, _ = measure(ours, path, args.requests * 5, {"If-None-Match": etag}, expect=304)
        rows = [summary("Koordinator /feeds/{token}.ics (200)", o_lat, o_size),
                summary("Radicale GET calendar collection (200)", r_lat, r_size),
                summary("Koordinator If-None-Match → 304 (HTTP)", c_lat, 0)]
    finally:
        server.terminate()
        server.wait(timeout=20)
    inproc = asyncio.run(in_process_304(token, args.requests * 5))
    rows.append(summary("Koordinator If-None-Match → 304 (in-process, ASGI call)", inproc, 0))
    report(rows, args, cold_ms)


def report(rows: list[dict], args, cold_ms: float) -> None:
    ratio = rows[0]["rps"] / rows[1]["rps"]
    lines = [
        f"# Partner feed benchmark ({args.events} events)", "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, 127.0.0.1, sequential requests, one client; "
        f"engine {DATABASE_URL.split(':', 1)[0]}; Python {sys.version.split()[0]}.", "",
        "| What | Requests | req/s | p50 ms | p95 ms | p99 ms | Body bytes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['n']} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p95']:.2f} | "
                     f"{r['p99']:.2f} | {r['size']} |")
    lines += ["", f"- Koordinator / Radicale throughput: **{ratio:.1f}×** (goal ≥ 5×).",
              f"- First (cold) build of the feed: {cold_ms:.0f} ms; later 200s come from the "
              "in-process cache keyed by the feed's version.",
              f"- 304 p50 in-process: **{rows[3]['p50']:.2f} ms**, p99 {rows[3]['p99']:.2f} ms "
              "(goal ≤ 2 ms).", ""]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "results" / "feed.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
