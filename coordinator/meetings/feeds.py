"""Imported ICS free/busy feeds: fetch, parse, cache.

A partner organisation, a user or a network person may have a configured ICS URL
(``tables.BusyFeed``). Before the slot finder runs, ``busy_for`` refreshes the feeds that
are older than ``REFRESH_AFTER`` and hands the planner their busy intervals; the planner
itself never waits for the network.

Parsing (``parse_ics``, pure): every VEVENT is busy unless ``TRANSP:TRANSPARENT`` or
``STATUS:CANCELLED``; recurring events are expanded with ``recurring-ical-events``;
all-day events block their whole local days; FREEBUSY periods of VFREEBUSY components are
busy unless ``FBTYPE=FREE``. Floating times are read as Copenhagen time.

Fetching (``fetch``): httpx, 5 s timeout, at most ``MAX_BYTES``, http/https only,
redirects followed by hand (at most 3, and only to http/https), ``If-None-Match`` with the
cached ETag. Every failure becomes ``FeedError`` with a Danish message that the meeting page
shows as a warning; the cached intervals stay in use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar
import recurring_ical_events

from coordinator.meetings import planner

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
TIMEOUT_SECONDS = 5.0
MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 3
MAX_INTERVALS = 5000
REFRESH_AFTER = timedelta(minutes=15)
HORIZON_BEFORE = timedelta(days=1)
HORIZON_AFTER = timedelta(days=400)


class FeedError(Exception):
    """A feed could not be fetched or read; ``message_da`` is shown on the meeting page."""

    def __init__(self, message_da: str) -> None:
        super().__init__(message_da)
        self.message_da = message_da


# ------------------------------------------------------------------------------ URL

def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL with a host; otherwise ``FeedError``."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FeedError("Kalenderadressen er ikke en gyldig URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError("Kalenderadressen skal begynde med http:// eller https://.")
    if len(url) > 1000:
        raise FeedError("Kalenderadressen er for lang (højst 1000 tegn).")
    return url


_allowed_hosts: frozenset[str] = frozenset()


def allow_hosts(hosts: Iterable[str]) -> None:
    """Hosts an administrator allows although they resolve to internal addresses
    (``BUSY_FEED_ALLOWED_HOSTS``; set once at start-up by the app factory)."""
    global _allowed_hosts
    _allowed_hosts = frozenset(h.lower().rstrip(".") for h in hosts)


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


async def check_destination(url: str) -> str | None:
    """Refuse a URL whose host resolves to a loopback, private, link-local, multicast or
    reserved address (the server would fetch from inside the municipality's network for
    whoever typed the address), unless the host is allowed by name. Checked before the
    first request and again before every redirect. Returns the checked address the request
    must go to (``pinned``), so a second DNS answer cannot differ (DNS rebinding); None for
    an allowed host."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in _allowed_hosts:
        return None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FeedError("Kalenderens adresse kunne ikke slås op.") from None
    if not infos or any(_internal(str(info[4][0])) for info in infos):
        raise FeedError("Kalenderadressen peger ind i et internt netværk og hentes ikke. "
                        "En administrator kan tillade værten.")
    return str(infos[0][4][0])


def pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request for ``url`` sent to the checked ``address``: (URL with the address as
    host, the Host header, the TLS server name). Certificates are still checked against the
    host's name; nothing is resolved again."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return (urlunsplit(parts._replace(netloc=netloc)),
            {"Host": host + (f":{parts.port}" if parts.port else "")}, extensions)


# ------------------------------------------------------------------------------ parsing

def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def _event_interval(event: Any) -> planner.Busy | planner.AllDay | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    start = start.dt
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif event.get("DURATION") is not None:
        end = start + event.get("DURATION").dt
    else:
        end = start + (timedelta(days=1) if not isinstance(start, datetime) else timedelta(0))
    if not isinstance(start, datetime):  # all-day: DTEND is exclusive
        last = (end if not isinstance(end, datetime) else end.date()) - timedelta(days=1)
        return planner.AllDay(start, max(last, start))
    start, end = _aware(start), _aware(end if isinstance(end, datetime)
                                       else datetime.combine(end, time(0)))
    if end <= start:
        return None
    return planner.Busy(start.astimezone(UTC), end.astimezone(UTC))


def _freebusy_periods(component: Any) -> Iterable[planner.Busy]:
    props = component.get("FREEBUSY")
    if props is None:
        return
    for prop in props if isinstance(props, list) else [props]:
        if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
            continue
        for period in prop.dt if isinstance(prop.dt, list) else [prop.dt]:
            if isinstance(period, tuple) and len(period) == 2:
                start, end = period
                start = _aware(start)
                end = start + end if isinstance(end, timedelta) else _aware(end)
                if end > start:
                    yield planner.Busy(start.astimezone(UTC), end.astimezone(UTC))


def parse_ics(data: bytes | str, window_start: datetime, window_end: datetime
              ) -> list[planner.Busy | planner.AllDay]:
    """Busy intervals of an ICS document within [window_start, window_end); ``FeedError``
    (Danish) if the document is not iCalendar."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception:
        raise FeedError("Kalenderen kunne ikke læses (ikke gyldig iCalendar).") from None
    result: list[planner.Busy | planner.AllDay] = []
    try:
        events = recurring_ical_events.of(calendar).between(window_start, window_end)
    except Exception:
        raise FeedError("Kalenderens gentagelser kunne ikke læses.") from None
    for event in events:
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        interval = _event_interval(event)
        if interval is not None:
            result.append(interval)
        if len(result) > MAX_INTERVALS:
            raise FeedError(f"Kalenderen har for mange aftaler (over {MAX_INTERVALS}).")
    for component in calendar.walk("VFREEBUSY"):
        for busy in _freebusy_periods(component):
            if busy.end > window_start and busy.start < window_end:
                result.append(busy)
    return result


def encode_busy(intervals: Iterable[planner.Busy | planner.AllDay]) -> str:
    """The JSON kept in ``BusyFeed.busy_json``."""
    rows = []
    for item in intervals:
        if isinstance(item, planner.AllDay):
            rows.append({"d": item.first.isoformat(), "l": (item.last or item.first).isoformat()})
        else:
            rows.append({"s": item.start.isoformat(), "e": item.end.isoformat()})
    return json.dumps(rows, separators=(",", ":"))


def decode_busy(text: str) -> list[planner.Busy | planner.AllDay]:
    """The intervals kept by ``encode_busy``."""
    result: list[planner.Busy | planner.AllDay] = []
    for row in json.loads(text or "[]"):
        if "d" in row:
            result.append(planner.AllDay(date.fromisoformat(row["d"]), date.fromisoformat(row["l"])))
        else:
            result.append(planner.Busy(datetime.fromisoformat(row["s"]),
                                       datetime.fromisoformat(row["e"])))
    return result


# ------------------------------------------------------------------------------ fetching

@dataclass(frozen=True)
class Fetched:
    """What a fetch brought: the body (None when unchanged, 304) and the new ETag."""

    body: bytes | None
    etag: str


async def fetch(url: str, etag: str = "", *, transport: httpx.AsyncBaseTransport | None = None
                ) -> Fetched:
    """GET the feed (see the module docstring for the limits); ``FeedError`` on failure."""
    url = check_url(url)
    address = await check_destination(url)
    headers = {"Accept": "text/calendar, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                                     transport=transport) as client:
            for _ in range(MAX_REDIRECTS + 1):
                target, host, extensions = pinned(url, address)
                async with client.stream("GET", target, headers={**headers, **host},
                                         extensions=extensions) as response:
                    if response.status_code == 304:
                        return Fetched(None, etag)
                    if response.status_code in (301, 302, 303, 307, 308):
                        location = response.headers.get("location", "")
                        url = check_url(urljoin(url, location))
                        address = await check_destination(url)
                        continue
                    if response.status_code != 200:
                        raise FeedError(f"Kalenderen svarede med fejl {response.status_code}.")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > MAX_BYTES:
                        raise FeedError("Kalenderen er for stor (over 2 MB).")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_BYTES:
                            raise FeedError("Kalenderen er for stor (over 2 MB).")
                    return Fetched(bytes(body), response.headers.get("etag", ""))
            raise FeedError("Kalenderen viderestiller for mange gange.")
    except httpx.TimeoutException:
        raise FeedError("Kalenderen svarede ikke inden for 5 sekunder.") from None
    except httpx.HTTPError:
        raise FeedError("Kalenderen kunne ikke hentes (forbindelsesfejl).") from None


def is_stale(row: Mapping[str, Any], now: datetime) -> bool:
    """Whether a cached feed should be fetched again (never fetched, or older than 15 min)."""
    return row["last_fetched"] is None or now - row["last_fetched"] >= REFRESH_AFTER


async def refreshed(row: Mapping[str, Any], now: datetime, *,
                    transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """The feed row's new values after a fetch: busy intervals, ETag, time and error.

    A failure keeps the cached intervals and records the Danish error; ``last_fetched``
    is set either way, so a failing feed is retried at most every 15 minutes.
    """
    values: dict[str, Any] = {"last_fetched": now, "error": ""}
    try:
        got = await fetch(row["url"], row["etag"], transport=transport)
        if got.body is not None:
            busy = parse_ics(got.body, now - HORIZON_BEFORE, now + HORIZON_AFTER)
            values.update(busy_json=encode_busy(busy), etag=got.etag)
    except FeedError as exc:
        values["error"] = exc.message_da
    return values
