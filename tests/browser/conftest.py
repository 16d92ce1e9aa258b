"""Fixtures for the browser journeys: the real server with demo data, Debian's Chromium.

The server runs as a subprocess (``coordinator demo``) on a fresh SQLite file, whatever
TEST_DATABASE_URL says; so the journeys run once per ``bin/test``, on its SQLite pass.
Its mail goes to an aiosmtpd server of the tests (``demo_smtp``), delivered by a
``coordinator worker`` process started beside it (the web process only writes the outbox).
Both run the code of this checkout (PYTHONPATH), not whatever the editable install points
at. Playwright's async API
is used because the tests run inside pytest-asyncio's session event loop, where the sync
API refuses to start. Chromium is always /usr/bin/chromium from apt, never a download.

axe-core goes in with ``context.add_init_script`` (the DevTools protocol's "evaluate on new
document"), which the page's Content-Security-Policy does not govern. We do not use
``bypass_csp=True``: the journeys must see the page under the real CSP, so that an inline
style or script the CSP blocks shows up as a failure (see helpers.watch_problems).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI, TEST_DATABASE_URL
from tests.support.smtp import SmtpTestServer, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-gpu", "--no-first-run"]
AXE_VERSION = "4.14.1"  # tests/browser/vendor/README.md
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_SECONDS = 60
WORKER_POLL_SECONDS = "0.3"


def _missing_browser() -> str | None:
    """Why the journeys cannot run here, or None when Chromium and Playwright are present."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config, items) -> None:
    """Skip the folder on the PostgreSQL pass, and outside CI when Chromium is missing."""
    mine = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    if not mine:
        return
    if TEST_DATABASE_URL.startswith("postgres"):
        reason = "browser journeys run on the SQLite pass"
    elif (missing := _missing_browser()) and not IN_CI:
        reason = f"browser journeys need Chromium: {missing}"
    else:
        return  # in CI a missing browser fails in the `browser` fixture
    for item in mine:
        item.add_marker(pytest.mark.skip(reason=reason))


@dataclass(frozen=True)
class DemoServer:
    """The running demo server: its base URL and the SMTP server it sends mail to."""

    url: str
    smtp: SmtpTestServer
    log: Path


def _server_environment(url: str, smtp: SmtpTestServer, workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"TEST_DATABASE_URL", "COOKIE_SECURE"}}
    env.update(DATABASE_URL=f"sqlite:///{workdir}/demo.sqlite",
               SMTP_URL=f"smtp://{smtp.host}:{smtp.port}", PUBLIC_BASE_URL=url,
               SECRET_KEY="browser-journeys-" + "k" * 32, LOG_LEVEL="WARNING",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return env


def _browser_environment() -> dict[str, str]:
    """Chromium's environment: ours, without a shifted clock (``bin/test --shifted`` moves
    the clock of our processes; the browser is not ours, and libfaketime stalls it)."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith("FAKETIME") and key != "LD_PRELOAD"}


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(SERVER_START_SECONDS * 10):
            if process.poll() is not None:
                break
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:]
    pytest.fail(f"the demo server at {url} did not become healthy; its log:\n{tail}")


@pytest.fixture(scope="session")
def demo_smtp() -> SmtpTestServer:
    """The SMTP server the demo server sends to; ``.messages`` / ``.wait_for(n)`` (shared
    by the whole session: filter by recipient rather than counting from zero)."""
    with SmtpTestServer() as server:
        yield server


@pytest.fixture(scope="session")
async def demo_server(demo_smtp) -> AsyncIterator[DemoServer]:
    """``coordinator demo`` on 127.0.0.1 with a fresh SQLite file, and ``coordinator worker``
    delivering its outbox to ``demo_smtp``, until the session ends."""
    workdir = Path(tempfile.mkdtemp(prefix="coordinator-browser-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "browser-server.log"
    coordinator = str(Path(sys.executable).with_name("coordinator"))
    env = _server_environment(url, demo_smtp, workdir)
    with log.open("w") as log_file:
        process = subprocess.Popen([coordinator, "demo", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=workdir, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    worker = None
    try:
        await _wait_healthy(url, process, log)
        # Started after the demo data exists, so the worker's migrate finds nothing to do.
        with (ARTIFACTS / "browser-worker.log").open("w") as worker_log:
            worker = subprocess.Popen([coordinator, "worker", "--poll", WORKER_POLL_SECONDS],
                                      cwd=workdir, stdout=worker_log, stderr=subprocess.STDOUT,
                                      env=env)
        yield DemoServer(url, demo_smtp, log)
    finally:
        for running in (worker, process):
            if running is not None:
                _stop(running)


@pytest.fixture(scope="session")
async def browser():
    """Debian's Chromium, headless, shared by the session (each test gets fresh contexts)."""
    if missing := _missing_browser():
        pytest.fail(f"browser journeys need Chromium in CI: {missing}")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, env=_browser_environment())
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The vendored axe-core script."""
    from tests.browser.helpers import AXE_SOURCE_PATH

    return AXE_SOURCE_PATH.read_text(encoding="utf-8")


@pytest.fixture
async def open_page(browser, demo_server, axe_source) -> AsyncIterator[Callable[[], Awaitable]]:
    """A factory of pages, each in its own fresh context (= its own user and cookies).

    Use it when one journey needs two people at once, e.g. sara and an invited teacher.
    """
    from tests.browser.helpers import watch_problems

    contexts = []

    async def new_page():
        context = await browser.new_context(base_url=demo_server.url, locale="da-DK",
                                            timezone_id="Europe/Copenhagen",
                                            viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        await context.add_init_script(script=axe_source)
        contexts.append(context)
        page = await context.new_page()
        watch_problems(page)
        return page

    yield new_page
    for context in contexts:
        await context.close()


@pytest.fixture
async def page(open_page):
    """A fresh page in a fresh context: nobody is logged in."""
    return await open_page()
