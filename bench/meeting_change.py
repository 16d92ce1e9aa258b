"""A change on the meeting page, timed the way a socialrådgiver makes it (issue 17).

    DATABASE_URL=sqlite:////tmp/coordinator-bench/sqlite-municipal.sqlite \\
        python bench/meeting_change.py --state /tmp/coordinator-bench/sqlite-municipal.json

In-process (the app called through ASGI, no sockets), on the benchmark data of
``bench/run.py``: the benchmark socialrådgiver changes the description of one of her
meetings ``--changes`` times, in the two ways the page can answer:

- **fragment** (the workspace, what the browser does now): the htmx POST of the details
  form with the version she holds, answered with the sections the change touches
  (``meetings/workspace.py``); the next change sends the version the answer carried. Its
  time is the change's whole server time.
- **page** (before the workspace, and without JavaScript): the boosted POST, then the page
  load it leads to (always a fresh rendering: the change replaced the family's stamp).

Measured per change: the POST, the page load after it (page mode), their sum (what she
waits for), the answer's size and the process's CPU. Done for a meeting not yet sent and one
already sent (the change then queues an update for every invited partner). Writes
``bench/results/meeting-change-<engine>.md``. Not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PICCOLO_CONF", "coordinator.piccolo_conf")

import logging  # noqa: E402

import httpx  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)

TARGET_MS = 150.0
RESULTS = ROOT / "bench" / "results"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
TIMING = re.compile(r"(\w+);dur=([\d.]+)")
FRAGMENT_VERSION = re.compile(r'id="meeting-version" hidden data-version="(\d+)"')
DETAILS = re.compile(r'action="/meetings/\d+/details".*?name="version" value="(\d+)".*?'
                     r'id="d-title" name="title" required value="([^"]*)".*?'
                     r'id="d-location" name="location" value="([^"]*)"', re.S)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def run(state: dict, changes: int) -> dict:
    from coordinator import db
    from coordinator.app import create_app
    from coordinator.settings import Settings

    app = create_app(Settings(database_url=os.environ["DATABASE_URL"], secret_key="b" * 40,
                              log_level="WARNING", cookie_secure=False,
                              public_base_url="http://127.0.0.1"))
    results = {}
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = await client.get("/login")
            answer = await client.post("/login", data={
                "username": state["bench_user"], "password": state["password"], "next": "/",
                "_csrf_token": CSRF.search(page.text).group(1)})
            assert answer.status_code == 303, answer.status_code
            for status in ("draft", "invited"):
                rows = await db.fetch(
                    'SELECT m."id" FROM "meeting" m JOIN "team_member" t ON t."family" = m."family" '
                    'JOIN "app_user" u ON u."id" = t."user" JOIN "family" f ON f."id" = m."family" '
                    "WHERE u.\"username\" = {} AND m.\"status\" = {} AND f.\"status\" = 'active' "
                    "AND m.\"kind\" IN ('netvaerksmoede', 'statusmoede') AND m.\"starts_at\" > {} "
                    "ORDER BY m.\"id\" LIMIT 1",
                    state["bench_user"], status, datetime.now(UTC) + timedelta(days=2))
                if not rows:
                    continue
                if status == "invited":
                    await _send(rows[0]["id"])
                for mode in ("fragment", "page"):
                    queued = await _mails(rows[0]["id"])
                    result = await _changes(client, rows[0]["id"], changes, mode)
                    result["mails"] = (await _mails(rows[0]["id"]) - queued) / changes
                    results[(status, mode)] = result
    return results


async def _send(meeting_id: int) -> None:
    """The bench data's sent meetings were generated without their invitation mails; queue
    them as sending the meeting does (an update goes only to a partner who has the meeting
    in her calendar). Left waiting in the outbox: no worker runs here."""
    from coordinator import db
    from coordinator.invites.service import enqueue_for_change

    async with db.transaction():
        if await _mails(meeting_id) == 0:
            await enqueue_for_change(meeting_id, "invited")


async def _mails(meeting_id: int) -> int:
    """The update mails queued for the meeting so far (a sent meeting's change queues one per
    invited partner; none queued would mean the change did not reach the partners)."""
    from coordinator import db

    rows = await db.fetch('SELECT COUNT(*) AS n FROM "outbox_message" WHERE "meeting" = {}',
                          meeting_id)
    return int(rows[0]["n"])


async def _changes(client: httpx.AsyncClient, meeting_id: int, changes: int, mode: str) -> dict:
    path = f"/meetings/{meeting_id}"
    text = (await client.get(path)).text
    found = DETAILS.search(text)
    assert found, f"{path}: no details form"
    version, title, location = found.groups()
    token = CSRF.search(text).group(1)
    headers = {"HX-Request": "true", "HX-Current-URL": path, "X-CSRFToken": token}
    if mode == "page":
        headers["HX-Boosted"] = "true"
    posts, loads, rounds, sizes, writes, reads = [], [], [], [], [], []
    cpu = time.process_time()
    for n in range(changes):
        form = {"version": version, "title": _unescape(title), "location": _unescape(location),
                "description": f"Dagsorden {n} ({mode}): status og næste skridt",
                "send_email_invites": "on"}
        began = time.perf_counter()
        answer = await client.post(f"{path}/details", data=form, headers=headers)
        posted = time.perf_counter()
        if mode == "fragment":
            assert answer.status_code == 200, (answer.status_code, answer.text[:300])
            carried = FRAGMENT_VERSION.search(answer.text)
            assert carried, "the fragment carries no version"
            version = carried.group(1)
            loaded, size = posted, len(answer.content)
            timing = dict(TIMING.findall(answer.headers.get("server-timing", "")))
            writes.append(float(timing["write"]))
            reads.append(float(timing["read"]))
        else:
            assert answer.status_code in (204, 303), (answer.status_code, answer.text[:300])
            page = await client.get(path)
            loaded = time.perf_counter()
            assert page.status_code == 200
            found = DETAILS.search(page.text)
            assert found, f"{path}: no details form"
            version = found.group(1)
            size = len(page.content)
        posts.append((posted - began) * 1000)
        loads.append((loaded - posted) * 1000)
        rounds.append((loaded - began) * 1000)
        sizes.append(size)
    cpu_ms = (time.process_time() - cpu) * 1000 / changes
    return {"meeting": meeting_id, "changes": changes, "cpu_ms": cpu_ms,
            "kb": statistics.median(sizes) / 1024,
            **{f"{name}_{key}": value for name, values in
               (("post", posts), ("load", loads), ("round", rounds), ("write", writes),
                ("read", reads)) if values
               for key, value in (("p50", statistics.median(values)),
                                  ("p95", percentile(values, 0.95)))}}


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


def markdown(results: dict, engine: str, state: dict) -> str:
    lines = [
        "# A change on the meeting page",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, in-process (ASGI, one client, no sockets), {engine}, "
        f"benchmark data of `bench/run.py` ({state.get('municipalities')} municipality, "
        f"user `{state['bench_user']}`). `python bench/meeting_change.py`.",
        "",
        "A change, **fragment**: the htmx POST of the details form from the workspace, answered "
        "with the sections the change touches (its whole server time). **page**: the boosted "
        "POST, then the page load it leads to (a fresh rendering: the change replaced the "
        "family's stamp), as before the workspace and without JavaScript. Target: the change "
        f"answers in ≤ {TARGET_MS:.0f} ms server time (issue 17). The fragment's own "
        "Server-Timing header splits it: the write (the service, with the outbox for a sent "
        "meeting) and the sections read and rendered after it.",
        "",
        "| Meeting | Answer | Changes | POST p50 / p95 ms | Page p50 / p95 ms | "
        "Change p50 / p95 ms | of it: write / sections p95 ms | Mails queued per change | Answer KB | "
        "CPU per change ms | p95 ≤ 150 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (status, mode), r in results.items():
        label = {"draft": "not sent yet", "invited": "sent (partners get an update)"}[status]
        answer = {"fragment": "sections (workspace)", "page": "whole page"}[mode]
        lines.append(
            f"| {label} | {answer} | {r['changes']} | {r['post_p50']:.1f} / {r['post_p95']:.1f} | "
            + (f"{r['load_p50']:.1f} / {r['load_p95']:.1f}" if mode == "page" else "–")
            + f" | {r['round_p50']:.1f} / {r['round_p95']:.1f} | "
            + (f"{r['write_p95']:.1f} / {r['read_p95']:.1f}" if mode == "fragment" else "–")
            + f" | {r['mails']:.0f} | {r['kb']:.0f} | "
            f"{r['cpu_ms']:.1f} | {'met' if r['round_p95'] <= TARGET_MS else 'not met'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", required=True, help="the generator's state JSON")
    parser.add_argument("--changes", type=int, default=60)
    args = parser.parse_args()
    state = json.loads(Path(args.state).read_text())
    results = asyncio.run(run(state, args.changes))
    engine = "postgresql" if os.environ["DATABASE_URL"].startswith("postgres") else "sqlite"
    report = markdown(results, engine, state)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"meeting-change-{engine}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
