"""Load benchmark: one command builds the data, starts the server and Radicale, runs wrk.

Standalone script, not part of the test suite::

    python bench/run.py --engine sqlite --scale municipal
    python bench/run.py --engine postgresql --scale national [--municipalities 10]
    python bench/run.py all            # sqlite+postgresql municipal, postgresql national
    python bench/run.py workload all   # the day's mixed load (bench/workload.py), same runs

For each engine and scale: creates the database (SQLite file under ``BENCH_DATA_DIR``,
default /tmp/coordinator-bench; PostgreSQL database ``bench_<scale>`` on
``BENCH_PG_URL``, default postgresql://postgres@127.0.0.1:5432), migrates it and fills
it with ``bench/generate.py`` unless a matching generation is already there; starts
``coordinator serve`` on 127.0.0.1 (no debug, ``--workers``), logs in the benchmark
social worker and leader, starts Radicale with the partner feed's events, and runs wrk
(``--duration`` seconds, ``--connections``) against every endpoint with
``bench/wrk_report.lua``. Writes ``bench/results/<engine>-<scale>.md`` and the summary
``bench/results/README.md`` (targets met or not). Only 127.0.0.1 is ever a target.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk_report.lua"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/coordinator-bench"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
HOST = "127.0.0.1"
SECRET = "benchmark-secret-key-not-for-production-0123456789"
COMBINATIONS = [("sqlite", "municipal"), ("postgresql", "municipal"), ("postgresql", "national")]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------- data

def database_url(engine: str, scale: str) -> str:
    """Where the benchmark database of this engine and scale lives."""
    if engine == "sqlite":
        return f"sqlite:///{DATA_DIR}/{engine}-{scale}.sqlite"
    return f"{PG_URL}/bench_{scale}"


def _psql(*args: str) -> None:
    host = PG_URL.split("@", 1)[-1].split(":")[0]
    user = PG_URL.split("://", 1)[1].split("@")[0].split(":")[0]
    subprocess.run([args[0], "-h", host, "-U", user, *args[1:]], check=True,
                   stdout=subprocess.DEVNULL)


def prepare(engine: str, scale: str, municipalities: int | None, regenerate: bool,
            pristine: bool = False) -> dict:
    """Create, migrate and fill the database unless the same generation is present.

    With ``pristine`` the database is put back as it was generated (a copy kept beside it),
    for benchmarks that write: the mixed workload adds people to networks, so without it
    every run measured bigger families than the one before."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    url = database_url(engine, scale)
    state_path = DATA_DIR / f"{engine}-{scale}.json"
    if state_path.exists() and not regenerate:
        state = json.loads(state_path.read_text())
        wanted = municipalities or (50 if scale == "national" else 1)
        if (state.get("municipalities") == wanted and state.get("generator") == _generator()
                and (not pristine or _has_pristine(engine, url))):
            _log(f"reusing {url} (generated {state['today']}, {state['seconds']} s)")
            if pristine:
                _restore_pristine(engine, url)
            return state
    _log(f"creating {url}")
    if engine == "sqlite":
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = url.rsplit("/", 1)[1]
        _psql("dropdb", "--if-exists", name)
        _psql("createdb", name)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    subprocess.run(["coordinator", "migrate"], env=env, check=True, cwd=DATA_DIR)
    command = [sys.executable, str(BENCH / "generate.py"), "--database-url", url,
               "--scale", scale, "--state", str(state_path)]
    if municipalities:
        command += ["--municipalities", str(municipalities)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    _keep_pristine(engine, url)
    state = json.loads(state_path.read_text())
    state["generator"] = _generator()
    state_path.write_text(json.dumps(state, indent=2))
    return state


def _generator() -> str:
    """The digest of the generator and of the schema it fills (every app's migrations, and
    the modules whose triggers they install): data made by another version of either is
    made again."""
    digest = hashlib.sha256((BENCH / "generate.py").read_bytes())
    schema = [*ROOT.glob("coordinator/*/piccolo_migrations/*.py"),
              *(module for module in ROOT.glob("coordinator/**/*.py")
                if "triggers.register(" in module.read_text(encoding="utf-8"))]
    for path in sorted(schema):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _pristine_name(engine: str, url: str) -> str:
    """The generated database's copy: a file beside SQLite's, a template on PostgreSQL."""
    if engine == "sqlite":
        return url.split("sqlite:///", 1)[1] + ".pristine"
    return url.rsplit("/", 1)[1] + "_pristine"


def _has_pristine(engine: str, url: str) -> bool:
    name = _pristine_name(engine, url)
    if engine == "sqlite":
        return Path(name).exists()
    listed = subprocess.run(["psql", PG_URL, "-Atc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            capture_output=True, text=True, check=True).stdout
    return listed.strip() == "1"


def _keep_pristine(engine: str, url: str) -> None:
    name = _pristine_name(engine, url)
    if engine == "sqlite":
        Path(name).unlink(missing_ok=True)
        source = sqlite3.connect(url.split("sqlite:///", 1)[1])
        target = sqlite3.connect(name)
        source.backup(target)
        target.close()
        source.close()
        return
    _psql("dropdb", "--if-exists", name)
    _psql("createdb", "-T", url.rsplit("/", 1)[1], name)


def _restore_pristine(engine: str, url: str) -> None:
    name = _pristine_name(engine, url)
    if engine == "sqlite":
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(name, path)
        return
    database = url.rsplit("/", 1)[1]
    _psql("dropdb", "--if-exists", database)
    _psql("createdb", "-T", name, database)


# ---------------------------------------------------------------------- servers

class Server:
    """``coordinator serve`` on 127.0.0.1 in a subprocess."""

    def __init__(self, url: str, workers: int) -> None:
        self.url = url
        self.workers = workers
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET,
               "COOKIE_SECURE": "false", "LOG_LEVEL": "WARNING",
               "PUBLIC_BASE_URL": f"http://{HOST}:{self.port}",
               # sessions must outlive a whole run
               "SESSION_IDLE_MINUTES": "600"}
        self.log = open(DATA_DIR / "server.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["coordinator", "serve", "--host", HOST, "--port", str(self.port),
             "--workers", str(self.workers)], env=env, cwd=DATA_DIR,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_http(f"{self.base}/hello", self.process)
        return self

    def __exit__(self, *exc: object) -> None:
        _stop(self.process)
        self.log.close()


class Radicale:
    """Radicale serving the partner feed's events as one calendar collection."""

    def __init__(self, ics: bytes) -> None:
        self.ics = ics
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="bench-radicale-", dir=DATA_DIR))
        self.process: subprocess.Popen | None = None
        self.events = 0

    @property
    def url(self) -> str:
        """The calendar collection's URL."""
        return f"http://{HOST}:{self.port}/bench/feed/"

    def _store(self) -> None:
        """Write every event as its own item (Radicale's multifilesystem layout)."""
        from icalendar import Calendar

        calendar = Calendar.from_ical(self.ics)
        timezones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
        collection = self.folder / "collection-root" / "bench" / "feed"
        collection.mkdir(parents=True)
        (self.folder / "collection-root" / "bench" / ".Radicale.props").write_text("{}")
        (collection / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR"}))
        for n, event in enumerate(c for c in calendar.subcomponents if c.name == "VEVENT"):
            item = Calendar()
            item.add("prodid", "-//coordinator bench//EN")
            item.add("version", "2.0")
            for tz in timezones:
                item.add_component(tz)
            item.add_component(event)
            (collection / f"event-{n:05d}.ics").write_bytes(item.to_ical())
            self.events = n + 1

    def __enter__(self) -> Radicale:
        self._store()
        config = self.folder / "config"
        config.write_text(
            f"[server]\nhosts = {HOST}:{self.port}\n[auth]\ntype = none\n[rights]\ntype = authenticated\n"
            f"[storage]\nfilesystem_folder = {self.folder}\n[web]\ntype = none\n"
            "[logging]\nlevel = warning\n")
        self.log = open(self.folder / "radicale.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        _wait_http(self.url, self.process, auth=("bench", "x"))
        return self

    def __exit__(self, *exc: object) -> None:
        _stop(self.process)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _wait_http(url: str, process: subprocess.Popen, auth: tuple[str, str] | None = None,
               timeout: float = 120) -> None:
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: the process for {url} exited (see {DATA_DIR})")
        try:
            if httpx.get(url, auth=auth, timeout=5).status_code < 500:
                return
        except httpx.TransportError:
            clock.sleep(0.2)
    raise SystemExit(f"bench: {url} did not answer within {timeout} s")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# ------------------------------------------------------------------------- http

@dataclass
class Session:
    """A logged-in browser: its cookies and CSRF token."""

    cookies: dict[str, str]
    csrf: str

    @property
    def cookie_header(self) -> str:
        """The Cookie header wrk sends."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def login(base: str, username: str, password: str) -> Session:
    """Log in through the login form; return the session cookie and CSRF token."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        page = client.get("/login")
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        if not match:
            raise SystemExit("bench: no CSRF token on /login")
        answer = client.post("/login", data={"username": username, "password": password,
                                             "next": "/", "_csrf_token": match.group(1)})
        if answer.status_code != 303 or "coordinator_session" not in client.cookies:
            raise SystemExit(f"bench: login as {username} failed ({answer.status_code})")
        return Session(dict(client.cookies.items()), match.group(1))


@dataclass
class Endpoint:
    """One row of the results table."""

    key: str
    label: str
    url: str
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    check: str = ""  # a text the answer must contain
    connections: int | None = None  # default: the run's --connections


def verify(endpoint: Endpoint) -> int:
    """One request before the load: right status and content, and the body's size."""
    answer = httpx.request(endpoint.method, endpoint.url, headers=endpoint.headers,
                           content=endpoint.body.encode() if endpoint.body else None, timeout=120)
    if answer.status_code != endpoint.expect or (endpoint.check and endpoint.check not in answer.text):
        raise SystemExit(f"bench: {endpoint.key} answered {answer.status_code} "
                         f"(wanted {endpoint.expect}, containing {endpoint.check!r}): "
                         f"{answer.text[:300]}")
    return len(answer.content)


def process_group_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server's processes (its process
    group: the uvicorn supervisor, the workers and their threads). Other processes on the
    machine do not count, so the figure per request holds on a busy machine too."""
    total = 0
    group = os.getpgid(pid)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_wrk(endpoint: Endpoint, duration: int, connections: int, server_pid: int | None = None
            ) -> dict:
    """wrk against one endpoint; the Lua report as a dict, with the server's CPU time per
    request and the machine's load average when it started."""
    load = os.getloadavg()[0]
    cpu_before = process_group_cpu(server_pid) if server_pid else None
    connections = endpoint.connections or connections
    env = {**os.environ, "WRK_METHOD": endpoint.method, "WRK_BODY": endpoint.body,
           "WRK_HEADERS": "\n".join(f"{k}: {v}" for k, v in endpoint.headers.items())}
    threads = min(2, connections)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                          "--timeout", "10s", "-s", str(LUA), endpoint.url],
                         env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRK_JSON "))
    report = json.loads(line[len("WRK_JSON "):])
    report["connections"] = connections
    report["load"] = load
    if cpu_before is not None and report.get("requests"):
        report["server_cpu_ms"] = ((process_group_cpu(server_pid) - cpu_before) * 1000
                                   / report["requests"])
    wrong = {s: n for s, n in report["statuses"].items() if int(s) != endpoint.expect}
    report["wrong_status"] = sum(wrong.values())
    return report


# ------------------------------------------------------------------- in-process

INPROCESS = r"""
import asyncio, json, statistics, sys, time
from datetime import timedelta
async def main():
    from coordinator import db, web
    from coordinator.meetings import service
    from coordinator.meetings.tables import Meeting
    from coordinator.settings import Settings
    db.configure(Settings.from_env())
    await db.start()
    meeting = await Meeting.select().where(Meeting.id == int(sys.argv[1])).first()
    today = service.datetime.now(web.COPENHAGEN).date()
    query = service.SlotQuery(first_day=today + timedelta(days=1),
                              last_day=today + timedelta(days=28), min_notice=2,
                              durations={"meeting": 120})
    timings, reading, planning = [], [], []
    for n in range(60):
        started = time.perf_counter()
        result = await service.find_slots(meeting, query)
        timings.append((time.perf_counter() - started) * 1000)
        # the same work in its two halves: the database reads, then the pure planner
        started = time.perf_counter()
        request, _ = await service.planning_request(meeting, query, service.datetime.now(service.UTC))
        middle = time.perf_counter()
        service.planner.find_slots(request)
        reading.append((middle - started) * 1000)
        planning.append((time.perf_counter() - middle) * 1000)
    timings, reading, planning = (sorted(t[10:]) for t in (timings, reading, planning))
    await db.stop()
    p95 = lambda t: t[int(len(t) * 0.95) - 1]
    print(json.dumps({"runs": len(timings), "p50_ms": statistics.median(timings),
                      "p95_ms": p95(timings),
                      "db_p50_ms": statistics.median(reading), "db_p95_ms": p95(reading),
                      "planner_p50_ms": statistics.median(planning),
                      "planner_p95_ms": p95(planning),
                      "slots": len(getattr(result, "slots", []) or [])}))
asyncio.run(main())
"""


def inprocess_slots(url: str, meeting_id: int) -> dict:
    """The slot search timed inside one process (no HTTP): 50 runs after 10 warm-ups."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    out = subprocess.run([sys.executable, "-c", INPROCESS, str(meeting_id)], env=env,
                         capture_output=True, text=True, check=True, cwd=DATA_DIR).stdout
    return json.loads(out.strip().splitlines()[-1])


def inprocess_cold(url: str, state: dict, path: str, requests: int = 100) -> dict:
    """A page rendered from the database every time, as after a change (the page cache
    bypassed; bench/inprocess.py --cold), for the benchmark's socialrådgiver."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    out = subprocess.run([sys.executable, str(BENCH / "inprocess.py"), path,
                          "--user", state["bench_user"], "--password", state["password"],
                          "--requests", str(requests), "--cold", "--json"], env=env,
                         capture_output=True, text=True, check=True, cwd=DATA_DIR).stdout
    return json.loads(out.strip().splitlines()[-1])


def inprocess_family_cold(url: str, state: dict) -> dict:
    """The family page rendered from the database every time (bench/inprocess.py --cold)."""
    return inprocess_cold(url, state, f"/families/{state['family_id']}")


# ------------------------------------------------------------------------ a run

def endpoints(base: str, state: dict, worker: Session, leader: Session, radicale_url: str,
              etag: str) -> list[Endpoint]:
    """Every endpoint measured, with the request it sends."""
    cookie = {"Cookie": worker.cookie_header}
    tomorrow = date.fromisoformat(state["today"]) + timedelta(days=1)
    today = datetime.now().date()
    first = max(tomorrow, today + timedelta(days=1))
    form = (f"first_day={first.isoformat()}&last_day={(first + timedelta(days=27)).isoformat()}"
            f"&min_notice=2&duration_meeting=120")
    feed = f"{base}/feeds/{state['feed_token']}.ics"
    basic = base64.b64encode(b"bench:x").decode()
    return [
        Endpoint("hello", "Hello world (ceiling)", f"{base}/hello", check="hello"),
        Endpoint("home", "Start page `/`", f"{base}/", headers=cookie, check="Familien"),
        Endpoint("family", "Family page with network and map", f"{base}/families/{state['family_id']}",
                 headers=cookie, check="<svg"),
        Endpoint("slots", "Slot search, 12-person meeting (htmx POST)",
                 f"{base}/meetings/{state['slot_meeting_id']}/slots", method="POST", body=form,
                 headers={**cookie, "HX-Request": "true", "x-csrftoken": worker.csrf,
                          "Content-Type": "application/x-www-form-urlencoded"}),
        Endpoint("feed", "Partner feed, 2,000 events (200)", feed, check="BEGIN:VEVENT"),
        Endpoint("feed304", "Partner feed, conditional GET (304)", feed,
                 headers={"If-None-Match": etag}, expect=304),
        Endpoint("feed304_1", "Partner feed 304, 1 connection", feed,
                 headers={"If-None-Match": etag}, expect=304, connections=1),
        Endpoint("agenda", "Team-meeting agenda `/followup/teammoede`",
                 f"{base}/followup/teammoede", headers=cookie, check="<table"),
        Endpoint("criteria", "Success criteria `/followup/succeskriterier`",
                 f"{base}/followup/succeskriterier",
                 headers={"Cookie": leader.cookie_header}, check="<svg"),
        # Last: Radicale keeps working through its backlog after wrk stops (seconds per
        # request), which would load the machine under the rows that follow it.
        # 4 connections: Radicale needs ~1 s of CPU per request, so with 32 queued none
        # finishes within wrk's timeout and the row would be empty.
        Endpoint("radicale", "Radicale, same events (GET collection)", radicale_url,
                 headers={"Authorization": f"Basic {basic}"}, check="BEGIN:VEVENT",
                 connections=4),
    ]


def run_one(engine: str, scale: str, args: argparse.Namespace) -> dict:
    """Prepare, serve and measure one engine at one scale; write its Markdown table."""
    state = prepare(engine, scale, args.municipalities if scale == "national" else None,
                    args.regenerate)
    url = database_url(engine, scale)
    results: dict[str, Any] = {"engine": engine, "scale": scale, "state": state,
                               "duration": args.duration, "connections": args.connections,
                               "workers": args.workers, "rows": {}, "sizes": {}}
    earlier = _load(engine, scale) if args.only else None
    if earlier:  # --only re-measures some rows of the stored run and keeps the others
        results.update({k: v for k, v in earlier.items() if k not in ("state", "rows", "sizes")})
        results["rows"], results["sizes"] = earlier["rows"], earlier.get("sizes", {})
    with Server(url, args.workers) as server:
        worker = login(server.base, state["bench_user"], state["password"])
        leader = login(server.base, state["bench_leader"], state["password"])
        feed = httpx.get(f"{server.base}/feeds/{state['feed_token']}.ics", timeout=120)
        feed.raise_for_status()
        etag = feed.headers["etag"]
        results["feed_events"] = feed.text.count("BEGIN:VEVENT")
        with Radicale(feed.content) as radicale:
            results["radicale_events"] = radicale.events
            for endpoint in endpoints(server.base, state, worker, leader, radicale.url, etag):
                if args.only and endpoint.key not in args.only:
                    continue
                try:
                    results["sizes"][endpoint.key] = verify(endpoint)
                except SystemExit as failure:  # a broken page is a result, not the end of the run
                    results.setdefault("failures", {})[endpoint.key] = str(failure)
                    _log(str(failure))
                    continue
                report = run_wrk(endpoint, args.duration, args.connections, server.process.pid)
                report["label"] = endpoint.label
                results["rows"][endpoint.key] = report
                _log(f"{engine}/{scale} {endpoint.key}: {report['rps']:.0f} req/s, "
                     f"p50 {report['p50_ms']:.1f} ms, p95 {report['p95_ms']:.1f} ms, "
                     f"p99 {report['p99_ms']:.1f} ms, wrong status {report['wrong_status']}")
    if not args.only or "slots" in args.only:
        results["slots_inprocess"] = inprocess_slots(url, state["slot_meeting_id"])
    if not args.only or "family" in args.only:
        results["family_cold_inprocess"] = inprocess_family_cold(url, state)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{engine}-{scale}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{engine}-{scale}.md").write_text(markdown(results))
    return results


# ------------------------------------------------------------------------ reports

def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu})"


def markdown(r: dict) -> str:
    """The results table of one run."""
    state = r["state"]
    lines = [f"# Benchmark: {r['engine']}, {r['scale']} scale", "",
             f"Measured {datetime.now().strftime('%Y-%m-%d %H:%M')} on {_machine()}; "
             f"`coordinator serve --workers {r['workers']}` on 127.0.0.1, wrk "
             f"{r['duration']} s per endpoint, {r['connections']} connections (2 threads) unless "
             f"noted; server, database and wrk share the machine.", "",
             f"Data: {state['municipalities']} municipalit{'y' if state['municipalities'] == 1 else 'ies'} "
             f"(seed {state['seed']}, generated in {state['seconds']} s): "
             + ", ".join(f"{n:,} {t}" for t, n in state["rows"].items()
                         if t in ("family", "person", "organisation", "relation", "meeting",
                                  "meeting_part", "participant", "agreement", "audit_event")) + ".",
             "Server CPU = CPU time of the server's processes per request (load on the "
             "machine does not inflate it); load = the 1-minute load average when the row "
             "started (2 cores: above ~2 the wall-clock figures include waiting for a core).",
             "", "| Endpoint | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req | conns | "
                 "requests | non-expected status | body bytes | load |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, row in r["rows"].items():
        cpu = f"{row['server_cpu_ms']:.2f}" if "server_cpu_ms" in row else ""
        lines.append(f"| {row['label']} | {row['rps']:,.0f} | {row['p50_ms']:.1f} | "
                     f"{row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {cpu} | {row['connections']} | "
                     f"{row['requests']:,} | {row['wrong_status'] + row['socket_errors'] + row['timeouts']} | "
                     f"{r['sizes'].get(key, 0):,} | {row.get('load', 0):.1f} |")
    for key, failure in r.get("failures", {}).items():
        lines.append(f"| {key} | FAILED: {failure[:160]} | | | | | | | | | |")
    cold = r.get("family_cold_inprocess")
    if cold:
        lines += ["", f"Family page, first view after a change (nothing kept under the family's content reused, "
                      f"`bench/inprocess.py --cold`, in-process, {cold['requests']} requests): "
                      f"p50 {cold['p50']:.1f} ms, p95 {cold['p95']:.1f} ms, CPU "
                      f"{cold['cpu']:.1f} ms per page, {cold['statements']:.0f} statements. "
                      f"The wrk row above is the page as it is opened again (a cached "
                      f"rendering; access check, audit record and CSRF token per request)."]
    slots = r.get("slots_inprocess")
    if slots:
        lines += ["", f"Slot search in-process (service.find_slots, {slots['runs']} runs after "
                      f"warm-up): p50 {slots['p50_ms']:.1f} ms, p95 {slots['p95_ms']:.1f} ms."]
        if "db_p50_ms" in slots:
            lines += [f"Of which reading the database (`service.planning_request`): p50 "
                      f"{slots['db_p50_ms']:.1f} ms, p95 {slots['db_p95_ms']:.1f} ms; the pure "
                      f"planner (`planner.find_slots`): p50 {slots['planner_p50_ms']:.1f} ms, "
                      f"p95 {slots['planner_p95_ms']:.1f} ms."]
    lines += ["", f"Partner feed events: {r.get('feed_events')}; Radicale items: "
                  f"{r.get('radicale_events')}.", ""]
    return "\n".join(lines)


def _load(engine: str, scale: str) -> dict | None:
    path = RESULTS / f"{engine}-{scale}.json"
    return json.loads(path.read_text()) if path.exists() else None


def targets(runs: dict[tuple[str, str], dict]) -> list[tuple[str, str, bool | None]]:
    """(target, figures, met) for every target of issue 7 that the runs can answer."""
    out: list[tuple[str, str, bool | None]] = []
    for engine in ("sqlite", "postgresql"):
        r = runs.get((engine, "municipal"))
        if not r or "family" not in r["rows"] or "hello" not in r["rows"]:
            continue
        fam, hello = r["rows"]["family"], r["rows"]["hello"]
        share = fam["rps"] / hello["rps"]
        out.append((f"Family page ≥ 25 % of hello req/s ({engine}, municipal)",
                    f"{fam['rps']:,.0f} / {hello['rps']:,.0f} req/s = {share:.0%}", share >= 0.25))
        out.append((f"Family page p95 ≤ 50 ms, 32 connections ({engine}, municipal)",
                    f"p95 {fam['p95_ms']:.1f} ms", fam["p95_ms"] <= 50))
    muni, nat = runs.get(("postgresql", "municipal")), runs.get(("postgresql", "national"))
    if muni and nat:
        fraction = nat["state"]["municipalities"]
        for key, row in nat["rows"].items():
            if key in ("hello", "radicale", "feed304_1") or key not in muni["rows"]:
                continue
            if not row.get("requests"):  # nothing finished: p95 0.0 must not read as "met"
                out.append((f"National p95 ≤ 2× municipal: {row['label']} "
                            f"({fraction}/50 of national)",
                            f"no request finished within the {row.get('seconds', 10):.0f} s "
                            f"run vs p95 {muni['rows'][key]['p95_ms']:.1f} ms", False))
                continue
            ratio = row["p95_ms"] / max(muni["rows"][key]["p95_ms"], 0.001)
            out.append((f"National p95 ≤ 2× municipal: {row['label']} "
                        f"({fraction}/50 of national)",
                        f"{row['p95_ms']:.1f} vs {muni['rows'][key]['p95_ms']:.1f} ms = {ratio:.2f}×",
                        ratio <= 2))
    for (engine, scale), r in sorted(runs.items()):
        rows = r["rows"]
        if "feed" in rows and "radicale" in rows and not rows["radicale"].get("requests"):
            out.append((f"Partner feed ≥ 5× Radicale ({engine}, {scale})",
                        "Radicale finished no request within the run: not measured", False))
        elif "feed" in rows and "radicale" in rows:
            ratio = rows["feed"]["rps"] / max(rows["radicale"]["rps"], 0.001)
            out.append((f"Partner feed ≥ 5× Radicale ({engine}, {scale})",
                        f"{rows['feed']['rps']:,.0f} vs {rows['radicale']['rps']:,.1f} req/s = {ratio:.0f}×",
                        ratio >= 5))
        if "feed304_1" in rows:
            p = rows["feed304_1"]
            out.append((f"Feed 304 ≤ 2 ms ({engine}, {scale}, 1 connection)",
                        f"p50 {p['p50_ms']:.2f} ms, p95 {p['p95_ms']:.2f} ms, p99 {p['p99_ms']:.2f} ms",
                        p["p95_ms"] <= 2))
        slots = r.get("slots_inprocess")
        if slots:
            out.append((f"Slot search ≤ 20 ms in-process ({engine}, {scale})",
                        f"p50 {slots['p50_ms']:.1f} ms, p95 {slots['p95_ms']:.1f} ms",
                        slots["p95_ms"] <= 20))
    return out


def summary() -> str:
    """bench/results/README.md from the stored runs."""
    runs = {(e, s): r for e, s in COMBINATIONS if (r := _load(e, s))}
    lines = ["# Benchmark results (issue 7)", "",
             "Produced by `python bench/run.py all` (or one `--engine/--scale` at a time); the "
             "tables per run are in this folder. Everything ran on one machine "
             f"({_machine()}): server, database, Radicale and wrk compete for the same cores, "
             "so the absolute numbers are a floor for a real deployment.", "",
             "| Target | Figures | Met |", "|---|---|---|"]
    for target, figures, met in targets(runs):
        lines.append(f"| {target} | {figures} | {'yes' if met else 'NO'} |")
    lines += ["", "## Runs", ""]
    for (engine, scale), r in runs.items():
        st = r["state"]
        lines.append(f"- [{engine}-{scale}.md]({engine}-{scale}.md): {st['municipalities']} "
                     f"municipalit{'y' if st['municipalities'] == 1 else 'ies'}, "
                     f"{st['rows']['family']:,} families, {st['rows']['meeting']:,} meetings; "
                     f"generation {st['seconds']} s.")
    notes = RESULTS / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line entry point (``workload …``: the day's mixed load, bench/workload.py)."""
    if sys.argv[1:2] == ["workload"]:  # python bench/run.py workload [all|scale-out] [...]
        sys.path.insert(0, str(BENCH))
        import workload  # noqa: PLC0415 - a sibling script, only for this mode

        sys.argv = [str(BENCH / "workload.py"), *sys.argv[2:]]
        workload.main()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", choices=["one", "all", "summary"], default="one")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", choices=["municipal", "national"], default="municipal")
    parser.add_argument("--municipalities", type=int, default=None,
                        help="national scale: how many of the 50 municipalities to generate")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="endpoint keys to measure")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing (apt-get install wrk)")
    if args.mode == "all":
        for engine, scale in COMBINATIONS:
            run_one(engine, scale, args)
    elif args.mode == "one":
        run_one(args.engine, args.scale, args)
    (RESULTS / "README.md").write_text(summary())
    print((RESULTS / "README.md").read_text())


if __name__ == "__main__":
    main()
