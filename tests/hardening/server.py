"""The real server as a subprocess (`coordinator serve`) for the crash and concurrency tests."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tests import conftest, factories
from tests.support.smtp import free_port

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Server:
    """`coordinator serve` on 127.0.0.1 against the test database; start, kill -9, restart."""

    def __init__(self, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        self.gone = False  # the process group seen empty since the last start

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        """Start and wait until /healthz answers 200 (or fail with the server's stderr)."""
        env = {**os.environ, "DATABASE_URL": conftest.TEST_DATABASE_URL,
               "SECRET_KEY": "crash-test-secret-" + "y" * 32, "COOKIE_SECURE": "false",
               "PUBLIC_BASE_URL": self.base_url, "LOG_LEVEL": "WARNING", "SMTP_URL": "",
               **self.env}
        if self not in _started:
            _started.append(self)
        self.gone = False
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coordinator.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode()[-2000:])
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise AssertionError("the server did not answer /healthz in time")

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no flush, open transactions cut off; the server and
        its worker processes (its own process group), also when the server itself is gone.
        Once the group is seen empty it is never signalled again (its id could be reused)."""
        if self.process is None or self.gone:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)  # is any of the group left?
            except ProcessLookupError:
                self.gone = True
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """A normal stop at the end of a test; whatever of its process group is left after
        it is killed."""
        if self.process is None or self.gone:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


_started: list[Server] = []


@atexit.register
def _kill_left_over() -> None:
    """A test run stopped abruptly (its servers run in process groups of their own, which
    a signal to the run's group does not reach) leaves no server behind."""
    for server in _started:
        server.kill()


async def logged_in(server: Server, user) -> tuple[httpx.AsyncClient, str]:
    """A browser session on the real server and its CSRF token."""
    client = httpx.AsyncClient(base_url=server.base_url, timeout=30, follow_redirects=False)
    await factories.login(client, user)
    page = await client.get("/")
    match = CSRF_RE.search(page.text) or CSRF_RE.search((await client.get("/login")).text)
    assert match, "no CSRF token"
    return client, match.group(1)


async def post(client: httpx.AsyncClient, token: str, path: str, data: dict) -> httpx.Response:
    """A plain form post with the session's CSRF token."""
    return await client.post(path, data={**data, "_csrf_token": token})


__all__ = ["Server", "logged_in", "post", "asyncio"]
