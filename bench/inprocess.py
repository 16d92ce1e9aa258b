"""In-process timing of one page: the app called through ASGI in this process (no sockets,
no wrk), so the figure is the server's own work per request, database included.

    DATABASE_URL=... python bench/inprocess.py /families/1 --user bench-sr --requests 200

Logs in through the login form, warms up, then requests the path sequentially and prints
p50/p95/p99, the process CPU time per request (robust on a busy machine, where wall-clock
percentiles mostly measure the neighbours) and the number of SQL statements per request. Run it under
``py-spy record -o profile.svg -- python bench/inprocess.py ...`` for a profile.
Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The code measured: this checkout's, or another's (bench/instructions.py --code), measured
# by this harness either way.
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(ROOT))
os.environ.setdefault("PICCOLO_CONF", "coordinator.piccolo_conf")

import logging  # noqa: E402

import httpx  # noqa: E402
import uvloop  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def run(path: str, user: str, password: str, requests: int, warmup: int,
              show_sql: bool = False, cold: bool = False) -> dict:
    """Time ``requests`` GETs of ``path`` after ``warmup`` untimed ones."""
    from coordinator import db, pagecache
    from coordinator.db import statements as statements_module
    from coordinator.followup import service as followup_service
    from coordinator.meetings import service as meetings_service
    from coordinator.network import service as network_service
    from coordinator.trappe import service as trappe_service
    replaced_by_a_change: tuple = ()  # forgotten before each request (``cold``)
    if cold:
        # Every request as the first view after a change of the family (of one of her
        # families, for the start page and the agenda): nothing kept under that family's
        # content is reused (the pages and their network sections; the network as read, the
        # network map and its analysis and the invite suggestions, which a change of the
        # network replaces; the family's agenda row and follow-ups due). What is kept under
        # the shared data and the other families stays, as it does when one family changes.
        pagecache.PageCache.get = lambda self, key, fresh=None: None
        # After a change the key (the new snapshot, the new stamp) is not among those kept:
        # each request starts without them (``forget``, before it), or keeping its entry
        # would first compare the new key field by field with the equal one a request before
        # it kept. Within the request what it reads is kept, as in a server: the family
        # page's sections share the one network the page read.
        replaced_by_a_change = (network_service._views, meetings_service._suggestions,
                                network_service._kept_networks)
        changed: list[int] = []  # the one family that changed: the first asked for
        for per_family in (followup_service._own_agendas, trappe_service._due_kept):
            def one_changed(key, kept=per_family.get):  # key: (day, …, family, stamp)
                if not changed:
                    changed.append(key[2])
                return None if key[2] == changed[0] else kept(key)

            per_family.get = one_changed  # type: ignore[method-assign]

    def forget() -> None:
        for kept in replaced_by_a_change:
            kept.clear()

    from coordinator.app import create_app, settle_collector
    from coordinator.settings import Settings

    app = create_app(Settings(database_url=os.environ["DATABASE_URL"], secret_key="b" * 40,
                              log_level="WARNING", cookie_secure=False,
                              public_base_url="http://127.0.0.1"))
    settle_collector()  # as a serving process does (coordinator.asgi)
    engine_class = type(db.engine())
    statements = 0
    original = engine_class.run_querystring

    async def counting(engine, querystring, *args, **kwargs):
        nonlocal statements
        statements += 1
        began = time.perf_counter()
        rows = await original(engine, querystring, *args, **kwargs)
        if show_sql:
            print(f"SQL {(time.perf_counter() - began) * 1000:7.2f} ms:", str(querystring)[:160])
        return rows

    engine_class.run_querystring = counting
    original_fetch = db.fetch

    async def counting_fetch(sql, *args, **kwargs):  # hand-written statements skip Piccolo
        nonlocal statements
        statements += 1
        began = time.perf_counter()
        rows = await original_fetch(sql, *args, **kwargs)
        if show_sql:
            print(f"SQL {(time.perf_counter() - began) * 1000:7.2f} ms:", sql[:160])
        return rows

    db.fetch = counting_fetch
    statements_module.fetch = counting_fetch  # what db.rows calls
    latencies: list[float] = []
    sizes: list[int] = []
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = await client.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            answer = await client.post("/login", data={"username": user, "password": password,
                                                        "next": "/", "_csrf_token": token})
            assert answer.status_code == 303, answer.status_code
            for _ in range(warmup):
                forget()
                assert (await client.get(path)).status_code == 200
            statements = 0
            if show_sql:
                forget()
                await client.get(path)
                return {}
            cpu = time.process_time()
            for _ in range(requests):
                forget()
                began = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - began) * 1000)
                sizes.append(len(response.content))
                assert response.status_code == 200, response.status_code
            cpu = (time.process_time() - cpu) * 1000 / requests
    return {"cpu": cpu, "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99), "mean": statistics.fmean(latencies),
            "statements": statements / requests, "kb": statistics.median(sizes) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--user", default="bench-sr")
    parser.add_argument("--password", default="bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--cold", action="store_true",
                        help="reuse nothing kept under the family's content (the first view "
                             "after a change)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    # The event loop the server runs on (uvicorn takes uvloop when it is installed, as it is
    # with litestar[standard]): asyncio's own loop cost a meeting page's first view about
    # 0.2 ms more CPU, in its twenty statements' round trips.
    result = uvloop.run(run(args.path, args.user, args.password, args.requests, args.warmup,
                            args.sql, args.cold))
    if args.sql:
        return
    if args.json:
        print(json.dumps({**result, "requests": args.requests}))
        return
    print(f"{args.path}: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
          f"p99 {result['p99']:.1f} ms, mean {result['mean']:.1f} ms, "
          f"CPU {result['cpu']:.1f} ms (all threads), "
          f"{result['statements']:.1f} statements per request, page {result['kb']:.0f} KB")


if __name__ == "__main__":
    main()
