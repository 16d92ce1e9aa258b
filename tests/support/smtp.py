"""A real SMTP server (aiosmtpd) for tests that send mail.

Use it as a context manager::

    from tests.support.smtp import SmtpTestServer

    with SmtpTestServer() as server:
        smtplib.SMTP(server.host, server.port).send_message(msg)
        [received] = server.wait_for(1)
        received.message["Subject"]

or make a pytest fixture in a test module::

    from tests.support.smtp import smtp_server_fixture

    smtp_server = smtp_server_fixture()                       # plain
    smtp_auth_server = smtp_server_fixture(users={"u": "p"})  # AUTH required
    flaky_smtp = smtp_server_fixture(fail_first=2)            # 451 twice

The server listens on 127.0.0.1 on a free port in its own thread. It keeps
every accepted message (envelope plus the parsed ``email`` message) and can
require AUTH PLAIN/LOGIN without STARTTLS (fine on localhost only), refuse
the first N messages with a temporary error, or refuse given recipients.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

TEMPORARY_FAILURE = "451 4.3.0 Midlertidig fejl (testserver)"
UNKNOWN_RECIPIENT = "550 5.1.1 Ukendt modtager (testserver)"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted: envelope, raw bytes and parsed mail."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    login: str | None
    peer: str


@dataclass
class _Handler:
    fail_first: int
    fail_reply: str
    reject_recipients: frozenset[str]
    received: list[ReceivedMessage] = field(default_factory=list)
    attempts: int = 0
    condition: threading.Condition = field(default_factory=threading.Condition)
    stall: threading.Event | None = None
    stalled: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.stall is not None and not self.stall.is_set():
            with self.condition:
                self.stalled += 1
                self.condition.notify_all()
            while not self.stall.is_set():  # the client waits mid-transaction, before DATA
                await asyncio.sleep(0.02)
        if address.lower() in self.reject_recipients:
            return UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.condition:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                return self.fail_reply
            data = bytes(envelope.original_content or envelope.content)
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            self.received.append(
                ReceivedMessage(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=data,
                    message=message_from_bytes(data, policy=policy.default),
                    login=login,
                    peer=str(session.peer),
                )
            )
            self.condition.notify_all()
        return "250 2.0.0 OK"


class _Authenticator:
    def __init__(self, users: Mapping[str, str]):
        self.users = {user.encode(): password.encode() for user, password in users.items()}

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and self.users.get(auth_data.login) == auth_data.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SmtpTestServer:
    """A real aiosmtpd server on 127.0.0.1, started and stopped by ``with``.

    ``users`` (name → password) turns on required AUTH PLAIN/LOGIN over plain
    TCP; ``fail_first`` answers ``fail_reply`` (default 451) to the first N
    DATA commands; ``reject_recipients`` answers 550 for those addresses;
    ``stall`` (an Event) holds every RCPT until it is set, so a test can kill a client
    in the middle of a transaction (``wait_for_stall`` tells when one is held).
    """

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        fail_first: int = 0,
        fail_reply: str = TEMPORARY_FAILURE,
        reject_recipients: Iterable[str] = (),
        stall: threading.Event | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.users = dict(users or {})
        self._handler = _Handler(
            fail_first=fail_first,
            fail_reply=fail_reply,
            reject_recipients=frozenset(r.lower() for r in reject_recipients),
            stall=stall,
        )
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of the messages accepted so far, oldest first."""
        with self._handler.condition:
            return list(self._handler.received)

    @property
    def attempts(self) -> int:
        """How many DATA commands arrived, refused ones included."""
        with self._handler.condition:
            return self._handler.attempts

    def wait_for_stall(self, timeout: float = 30.0) -> None:
        """Block until a client is held in RCPT by ``stall``; fail the test if not."""
        deadline = time.monotonic() + timeout
        with self._handler.condition:
            while not self._handler.stalled:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"no SMTP client reached RCPT in {timeout}s")
                self._handler.condition.wait(remaining)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until ``count`` messages were accepted; fail the test if not."""
        deadline = time.monotonic() + timeout
        with self._handler.condition:
            while len(self._handler.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"SMTP test server got {len(self._handler.received)} of {count} messages in {timeout}s")
                self._handler.condition.wait(remaining)
            return list(self._handler.received)

    def start(self) -> SmtpTestServer:
        """Start listening on a free port (retrying if the port got taken)."""
        auth = {}
        if self.users:
            auth = {
                "authenticator": _Authenticator(self.users),
                "auth_required": True,
                "auth_require_tls": False,
            }
        last_error: Exception | None = None
        for _ in range(5):
            port = free_port(self.host)
            controller = Controller(self._handler, hostname=self.host, port=port, ready_timeout=10, **auth)
            try:
                controller.start()
            except (OSError, RuntimeError) as error:
                last_error = error
                continue
            self._controller, self.port = controller, port
            return self
        raise RuntimeError(f"could not start the SMTP test server: {last_error}")

    def stop(self) -> None:
        """Stop the server; safe to call twice."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def smtp_server_fixture(*, scope: str = "function", **options):
    """Make a pytest fixture yielding a running SmtpTestServer.

    Assign it to a name in a test module (the name becomes the fixture name);
    ``options`` are SmtpTestServer's keyword arguments.
    """

    @pytest.fixture(scope=scope)
    def _smtp_server() -> Iterator[SmtpTestServer]:
        with SmtpTestServer(**options) as server:
            yield server

    return _smtp_server
