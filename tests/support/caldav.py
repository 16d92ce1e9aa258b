"""A real CalDAV server (Radicale, as a subprocess) for calendar interop tests.

Use it as a context manager::

    from tests.support.caldav import RadicaleServer, itip_to_resources

    with RadicaleServer() as dav:
        calendar = dav.mkcalendar("moeder")
        for uid, body in itip_to_resources(ics_bytes).items():
            etag = dav.put(dav.href(calendar, uid), body)   # If-None-Match: *
        body, etag = dav.get(dav.href(calendar, uid))
        dav.report(calendar)                                # {href: (etag, body)}

or as a fixture: ``radicale = radicale_fixture(scope="module")`` in a test
module. Call ``require_radicale()`` (the fixture does) so a missing Radicale
skips the test with a clear reason locally, and fails it when ``CI=1``.

The server listens on 127.0.0.1 on a free port, stores into a temporary
folder, has auth type ``none`` and a rights file that allows everything, and
``strict_preconditions`` on, so an overwrite needs the right ``If-Match``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote
from xml.etree import ElementTree

import httpx
import pytest
from icalendar import Calendar

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
_NS = {"d": DAV, "c": CALDAV}

_RIGHTS = """\
[everything]
user: .*
collection: .*
permissions: RrWw
"""

_CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
[auth]
type = none
[rights]
type = from_file
file = {rights}
[storage]
filesystem_folder = {storage}
strict_preconditions = True
[web]
type = none
[logging]
level = warning
"""

_CALENDAR_QUERY = b"""<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter>
</c:calendar-query>
"""

_PROPFIND_ETAG = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>
"""


def radicale_available() -> bool:
    """Whether the Radicale package can be started with this interpreter."""
    return importlib.util.find_spec("radicale") is not None


def require_radicale() -> None:
    """Skip the calling test if Radicale is missing, or fail it when CI=1."""
    if radicale_available():
        return
    reason = "Radicale is not installed in this Python environment (pip install radicale==3.9.0)"
    if os.environ.get("CI", "") not in ("", "0", "false"):  # CI=1 or CI=true
        pytest.fail(f"{reason}; CI=1 requires the CalDAV interop tests to run")
    pytest.skip(reason)


class PreconditionFailed(Exception):
    """The server answered 412: the ETag did not match (someone else wrote)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RadicaleServer:
    """Radicale in a subprocess with a throw-away storage folder."""

    def __init__(self, *, user: str = "test", startup_timeout: float = 20.0) -> None:
        self.user = user
        self.startup_timeout = startup_timeout
        self.port = 0
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._client: httpx.Client | None = None

    # --- lifecycle -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> httpx.Client:
        """An httpx client bound to the server, logged in as ``user``."""
        if self._client is None:
            raise RuntimeError("the Radicale server is not running")
        return self._client

    @property
    def log(self) -> str:
        """What Radicale wrote to stdout/stderr so far (for failure messages)."""
        if self._dir is None or not (self._dir / "radicale.log").exists():
            return ""
        return (self._dir / "radicale.log").read_text(errors="replace")

    def start(self) -> RadicaleServer:
        """Start Radicale and wait until it answers HTTP."""
        self._dir = Path(tempfile.mkdtemp(prefix="radicale-test-"))
        (self._dir / "collections").mkdir()
        rights = self._dir / "rights"
        rights.write_text(_RIGHTS)
        self.port = _free_port()
        config = self._dir / "config"
        config.write_text(_CONFIG.format(port=self.port, rights=rights, storage=self._dir / "collections"))
        log = open(self._dir / "radicale.log", "wb")  # noqa: SIM115 - lives as long as the process
        self._process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self._client = httpx.Client(base_url=self.base_url, auth=(self.user, "x"), timeout=10)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                log = self.log
                self.stop()
                raise RuntimeError(f"Radicale exited during start-up:\n{log}")
            try:
                self.client.request("PROPFIND", f"/{self.user}/", headers={"Depth": "0"})
                return
            except httpx.TransportError:
                time.sleep(0.05)
        log = self.log
        self.stop()
        raise RuntimeError(f"Radicale did not answer within {self.startup_timeout}s:\n{log}")

    def stop(self) -> None:
        """Stop the process (terminate, then kill) and remove the storage."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=10)
            self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> RadicaleServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- CalDAV --------------------------------------------------------------

    def _check(self, response: httpx.Response, *expected: int) -> httpx.Response:
        if response.status_code == 412:
            raise PreconditionFailed(f"{response.request.method} {response.request.url.path}: 412")
        if response.status_code not in expected:
            raise AssertionError(
                f"{response.request.method} {response.request.url.path} answered "
                f"{response.status_code}, expected {expected}:\n{response.text}\n{self.log}"
            )
        return response

    def mkcalendar(self, name: str, displayname: str | None = None) -> str:
        """Create a calendar collection under the user's home; return its path."""
        path = f"/{self.user}/{quote(name, safe='')}/"
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:set><d:prop><d:displayname/></d:prop></d:set></c:mkcalendar>"
        )
        root = ElementTree.fromstring(body)
        root.find(".//d:displayname", _NS).text = displayname or name
        data = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
        self._check(self.client.request("MKCALENDAR", path, content=data), 201)
        return path

    @staticmethod
    def href(collection: str, uid: str) -> str:
        """The resource path for one UID inside a collection (one UID, one resource).

        Characters other than letters, digits and ``@._-+=`` are percent-encoded;
        ``list``/``report`` give hrefs percent-decoded, so ordinary UIDs compare equal.
        """
        return f"{collection}{quote(uid, safe='@+=')}.ics"

    def put(self, href: str, body: bytes, etag: str | None = None) -> str:
        """PUT a calendar object; return its new ETag.

        Without ``etag`` the object must not exist yet (``If-None-Match: *``);
        with it, the stored object must still have that ETag (``If-Match``).
        Raises PreconditionFailed on a mismatch.
        """
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if etag is None:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = etag
        response = self._check(self.client.put(href, content=body, headers=headers), 201, 204)
        new_etag = response.headers.get("ETag")
        if not new_etag:
            new_etag = self.get(href)[1]
        return new_etag

    def get(self, href: str) -> tuple[bytes, str]:
        """GET a calendar object; return its body and ETag."""
        response = self._check(self.client.get(href), 200)
        return response.content, response.headers["ETag"]

    def delete(self, href: str, etag: str | None = None) -> None:
        """DELETE a calendar object (with ``If-Match`` when an ETag is given)."""
        headers = {"If-Match": etag} if etag else {}
        self._check(self.client.delete(href, headers=headers), 200, 204)

    def list(self, collection: str) -> dict[str, str]:
        """PROPFIND depth 1: ``{href: etag}`` of the objects in a collection (hrefs decoded)."""
        response = self._check(
            self.client.request("PROPFIND", collection, content=_PROPFIND_ETAG, headers={"Depth": "1"}), 207
        )
        return {
            href: etag
            for href, props in _multistatus(response.content)
            if href.rstrip("/") != unquote(collection).rstrip("/")
            for etag in [props.findtext("d:getetag", namespaces=_NS)]
            if etag
        }

    def report(self, collection: str) -> dict[str, tuple[str, bytes]]:
        """calendar-query REPORT: ``{href: (etag, calendar data)}`` of every VEVENT object (hrefs decoded)."""
        response = self._check(
            self.client.request(
                "REPORT",
                collection,
                content=_CALENDAR_QUERY,
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            ),
            207,
        )
        return {
            href: (props.findtext("d:getetag", namespaces=_NS) or "", data.encode())
            for href, props in _multistatus(response.content)
            for data in [props.findtext("c:calendar-data", namespaces=_NS)]
            if data
        }


def _multistatus(xml: bytes) -> Iterator[tuple[str, ElementTree.Element]]:
    """Yield (href, prop element) for each 200 propstat in a multistatus."""
    root = ElementTree.fromstring(xml)
    for response in root.findall("d:response", _NS):
        href = unquote(response.findtext("d:href", default="", namespaces=_NS))
        for propstat in response.findall("d:propstat", _NS):
            status = propstat.findtext("d:status", default="", namespaces=_NS)
            prop = propstat.find("d:prop", _NS)
            if " 200 " in status and prop is not None:
                yield href, prop


def itip_to_resources(itip: bytes) -> dict[str, bytes]:
    """Turn an iTIP message into storable CalDAV objects, one per UID.

    A CalDAV object may not carry METHOD (RFC 4791 4.1) and holds exactly one
    UID (a master and its RECURRENCE-ID overrides), so the message is split
    per UID; each object keeps the calendar's PRODID/VERSION/CALSCALE and the
    VTIMEZONEs its events refer to.
    """
    source = Calendar.from_ical(itip)
    timezones = {str(tz["TZID"]): tz for tz in source.walk("VTIMEZONE")}
    by_uid: dict[str, list] = {}
    for component in source.subcomponents:
        if component.name in ("VEVENT", "VTODO", "VJOURNAL"):
            by_uid.setdefault(str(component["UID"]), []).append(component)
    resources = {}
    for uid, components in by_uid.items():
        calendar = Calendar()
        for name in ("PRODID", "VERSION", "CALSCALE"):
            if name in source:
                calendar.add(name, source[name])
        holder = Calendar()
        for component in components:
            holder.add_component(component)
        for tzid in sorted(holder.get_used_tzids()):
            if tzid in timezones:
                calendar.add_component(timezones[tzid])
        for component in components:
            calendar.add_component(component)
        resources[uid] = calendar.to_ical()
    return resources


def radicale_fixture(*, scope: str = "module"):
    """Make a pytest fixture yielding a running RadicaleServer.

    Assign it to a name in a test module; that name becomes the fixture.
    """

    @pytest.fixture(scope=scope)
    def _radicale() -> Iterator[RadicaleServer]:
        require_radicale()
        with RadicaleServer() as server:
            yield server

    return _radicale
