"""Imported ICS free/busy feeds: fetch, parse, cache.

A partner organisation, a user or a network person may have a configured ICS URL
(``tables.BusyFeed``). Before the slot finder runs, ``busy_for`` refreshes the feeds that
are older than ``REFRESH_AFTER`` and hands the planner their busy intervals; the planner
itself never waits for the network.

Parsing (``read_ics``, pure): every VEVENT is busy unless ``TRANSP:TRANSPARENT`` or
``STATUS:CANCELLED``; recurring events are expanded with ``recurring-ical-events``;
all-day events block their whole local days; FREEBUSY periods of VFREEBUSY components are
busy unless ``FBTYPE=FREE``. Floating times are read in the calendar's ``X-WR-TIMEZONE``
(Google, Apple), without one as Copenhagen time; Windows zone names (Outlook, Exchange) and
vendor-prefixed TZIDs are read as the tzdata zone they name, and a zone only the feed's
VTIMEZONE defines (Outlook's "Customized Time Zone") as the tzdata zone that agrees with it
over the window, else by that definition. A
series that cannot be read (no DTSTART, a broken RRULE or EXDATE…) is skipped and named in
``BusyFeed.skipped``; the rest of the calendar is used. Series that plainly end before the
window (or start after it) are left out before icalendar reads the text, so ten years of a
partner's past meetings cost little (bench/bench_busy_import.py).

Fetching (``fetch``): httpx, 5 s timeout, at most ``MAX_BYTES``, http/https only,
redirects followed by hand (at most 3, and only to http/https), ``If-None-Match`` with the
cached ETag. Every failure becomes ``FeedError`` with a Danish message that the meeting page
shows as a warning; the cached intervals stay in use.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import json
import re
import socket
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, available_timezones

import httpx
import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

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


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


async def check_destination(url: str, allowed_hosts: Collection[str] = ()) -> str | None:
    """Refuse a URL whose host resolves to a loopback, private, link-local, multicast or
    reserved address (the server would fetch from inside the municipality's network for
    whoever typed the address), unless the host is allowed by name (``allowed_hosts``:
    ``BUSY_FEED_ALLOWED_HOSTS``, lower case, as ``Settings`` reads them). Checked before the
    first request and again before every redirect. Returns the checked address the request
    must go to (``pinned``), so a second DNS answer cannot differ (DNS rebinding); None for
    an allowed host."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in allowed_hosts:
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


# ------------------------------------------------------------------------------ time zones

_ZONES = frozenset(available_timezones())
_TZID_PARAM = re.compile(r';TZID=(?:"([^"]*)"|([^;:]*))', re.IGNORECASE)
_TZID_LINE = re.compile(r"^TZID:(.*)$", re.IGNORECASE | re.MULTILINE)


def olson_name(tzid: str) -> str | None:
    """The tzdata name a feed's TZID means, or None for a zone only its VTIMEZONE defines.

    Outlook and Exchange write Windows names ("Romance Standard Time", "W. Europe Standard
    Time"), libical, Evolution and Lightning vendor-prefixed ones
    ("/freeassociation.sourceforge.net/Europe/Copenhagen")."""
    name = tzid.strip().strip('"').strip()
    if name.strip("/") in _ZONES:
        return name.strip("/")
    if name in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[name]
    if name.startswith("/"):
        parts = name.strip("/").split("/")
        for first in range(1, len(parts)):
            if "/".join(parts[first:]) in _ZONES:
                return "/".join(parts[first:])
    return None


_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE[ \t]*\r?$.*?^END:VTIMEZONE[ \t]*\r?$",
                        re.IGNORECASE | re.MULTILINE | re.DOTALL)


# Zones a definition is compared with: Copenhagen first, then every zone a Windows name means.
_CANDIDATE_ZONES = tuple(dict.fromkeys(
    ["Europe/Copenhagen", *sorted(z for z in set(WINDOWS_TO_OLSON.values()) if z in _ZONES)]))
_PROBE_DAYS = (1, 15)


def _probes(zone: Any, first_year: int, last_year: int) -> list[tuple[datetime, timedelta]]:
    """Moments and the offset ``zone`` gives them: twice a month from ``first_year`` to
    ``last_year``, and a minute either side of every change of offset in between (found by
    bisection). Two zones that agree on these agree on every moment of those years."""
    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(zone).utcoffset() or timedelta(0)

    samples = [datetime(year, month, day, 12, tzinfo=UTC) for year in range(first_year, last_year + 1)
               for month in range(1, 13) for day in _PROBE_DAYS]
    samples.append(datetime(last_year + 1, 1, 1, 12, tzinfo=UTC))
    offsets = [offset(moment) for moment in samples]
    probes = list(zip(samples, offsets, strict=True))
    for index in range(len(samples) - 1):
        if offsets[index] == offsets[index + 1]:
            continue
        low, high = samples[index], samples[index + 1]
        while high - low > timedelta(minutes=1):
            middle = low + (high - low) / 2
            if offset(middle) == offsets[index]:
                low = middle
            else:
                high = middle
        probes += [(low, offsets[index]), (high, offset(high))]
    return probes


@functools.lru_cache(maxsize=128)
def zone_for_definition(vtimezone: str, first_year: int, last_year: int) -> str | None:
    """The tzdata zone that gives every moment of ``first_year``–``last_year`` the same
    offset as a feed's own VTIMEZONE (Outlook's "Customized Time Zone" is mostly Central
    European time written out from 1601), or None when none does or the definition cannot
    be read. tzdata is then used: evaluating Outlook's rules from 1601 for every occurrence
    of a large calendar costs seconds."""
    try:
        component = icalendar.Timezone.from_ical(vtimezone)
        if not isinstance(component, icalendar.Timezone):
            return None
        defined = component.to_tz(lookup_tzid=False)
        probes = _probes(defined, first_year, last_year)
    except Exception:  # noqa: BLE001 - an unreadable definition is simply not mapped
        return None
    for name in _CANDIDATE_ZONES:
        zone = ZoneInfo(name)
        if all(moment.astimezone(zone).utcoffset() == expected for moment, expected in probes):
            return name
    return None


def _own_zone_names(text: str, first_year: int, last_year: int) -> dict[str, str]:
    """A name for every zone only the feed's VTIMEZONE defines: the tzdata zone that agrees
    with it over the years read (``zone_for_definition``), else a name of its own made from
    the definition itself: Outlook calls any zone it has no Windows name for "Customized
    Time Zone", and icalendar keeps the first definition it meets under a name for the
    whole process, so the next partner's "Customized Time Zone" (another zone) would get
    its rules."""
    names: dict[str, str] = {}
    for block in _VTIMEZONE.findall(text):
        match = _TZID_LINE.search(block)
        if match is None:
            continue
        tzid = match.group(1).strip()
        if olson_name(tzid) is None and tzid not in names:
            known = zone_for_definition(block, first_year, last_year)
            rules = _TZID_LINE.sub("", block).replace("\r", "")
            digest = hashlib.sha256(rules.encode("utf-8", "replace")).hexdigest()[:16]
            names[tzid] = known or f"{tzid.strip(chr(34)).strip('/')} {digest}"
    return names


def _with_olson_tzids(text: str, first_year: int, last_year: int) -> str:
    """The feed with every TZID it uses by a known name replaced by the tzdata name, and
    every zone only its VTIMEZONE defines renamed after that definition (``_own_zone_names``).

    tzdata then decides the offsets, not the feed's own VTIMEZONE: icalendar keeps the
    first VTIMEZONE it meets under a name for the whole process (the next feed's zone of
    the same name would get its rules), and Outlook's definitions, which start in 1601,
    cost seconds to evaluate for a large calendar."""
    own = _own_zone_names(text, first_year, last_year)

    def renamed(tzid: str) -> str | None:
        return olson_name(tzid) or own.get(tzid.strip()) or own.get(tzid.strip().strip('"'))

    def param(match: re.Match[str]) -> str:
        tzid = match.group(1) if match.group(1) is not None else match.group(2)
        name = renamed(tzid)
        return f';TZID="{name}"' if name else match.group(0)

    def line(match: re.Match[str]) -> str:
        name = renamed(match.group(1))
        return f"TZID:{name}" if name else match.group(0)

    return _TZID_LINE.sub(line, _TZID_PARAM.sub(param, text))


# ------------------------------------------------------------------------------ bounding

_UNFOLD = re.compile(r"\r?\n[ \t]")
_VEVENT = re.compile(r"^BEGIN:VEVENT[ \t]*\r?$.*?^END:VEVENT[ \t]*\r?$\n?", re.IGNORECASE | re.MULTILINE | re.DOTALL)
_PROPERTY = re.compile(r"^(UID|DTSTART|DTEND|RECURRENCE-ID|RRULE|RDATE|EXRULE|DURATION)[;:]([^\r\n]*)",
                       re.IGNORECASE | re.MULTILINE)
_DAY = re.compile(r":(\d{8})(?:T\d{6}Z?)?[ \t]*$")
_UNTIL = re.compile(r"UNTIL=(\d{8})", re.IGNORECASE)
_MARGIN = timedelta(days=2)


def _day_of(value: str) -> date | None:
    """The date a DTSTART/DTEND/RECURRENCE-ID line's value names (its parameters and time
    left aside); None when it is not plainly written."""
    match = _DAY.search(":" + value.rsplit(":", 1)[-1])
    if not match:
        return None
    digits = match.group(1)
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _reach(block: str) -> tuple[str, date | None, date | None]:
    """A VEVENT's UID and the first and last day it can touch, read from its text alone;
    None where that cannot be told cheaply (counted or endless series, RDATE, DURATION)."""
    props: dict[str, list[str]] = {}
    for name, value in _PROPERTY.findall(block):
        props.setdefault(name.upper(), []).append(value)
    uid = props.get("UID", [""])[0].lstrip(":").strip()
    starts = props.get("DTSTART", [])
    if len(starts) != 1 or "RDATE" in props or "EXRULE" in props or "DURATION" in props:
        return uid, None, None
    first = _day_of(starts[0])
    ends = [_day_of(v) for v in props.get("DTEND", [])]
    last = ends[0] if len(ends) == 1 else (first if not ends else None)
    if first is None or last is None:
        return uid, first, None
    if "RRULE" in props:
        until = _UNTIL.search(props["RRULE"][0])
        if len(props["RRULE"]) != 1 or until is None or "COUNT" in props["RRULE"][0].upper():
            return uid, first, None
        until_day = _day_of(":" + until.group(1))
        if until_day is None:
            return uid, first, None
        last = until_day + (last - first)
    return uid, first, last


def within_window(text: str, window_start: datetime, window_end: datetime) -> str:
    """The calendar without the series that cannot touch the window, judged from the text.

    A partner's calendar holds years of past meetings; reading them all with icalendar and
    expanding their rules to today cost seconds for a 2 MB calendar. A series (all VEVENTs
    of a UID) is left out only when every one of them plainly ends two days before the
    window or starts two days after it; anything not plainly written is kept and read."""
    text = _UNFOLD.sub("", text)
    low, high = window_start.date() - _MARGIN, window_end.date() + _MARGIN
    blocks = [(match, *_reach(match.group(0))) for match in _VEVENT.finditer(text)]
    needed: dict[str, bool] = {}
    for _, uid, first, last in blocks:
        outside = (last is not None and last < low) or (first is not None and first > high)
        needed[uid] = needed.get(uid, False) or not outside or not uid
    kept, position = [], 0
    for match, uid, _, _ in blocks:
        if not needed[uid]:
            kept.append(text[position:match.start()])
            position = match.end()
    kept.append(text[position:])
    return "".join(kept)


# ------------------------------------------------------------------------------ parsing

@dataclass(frozen=True)
class Reading:
    """What a feed gave: its busy intervals, and a Danish sentence per event that was
    skipped because it could not be read (the rest of the calendar is used)."""

    busy: list[planner.Busy | planner.AllDay]
    skipped: list[str]


_DATE_PROPERTIES = frozenset({"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
                              "RECURRENCE-ID", "EXRULE"})
_WHY = {"DTSTART": "har et starttidspunkt, der ikke kan læses",
        "DTEND": "har et sluttidspunkt, der ikke kan læses",
        "DURATION": "har en varighed, der ikke kan læses",
        "RRULE": "har en gentagelsesregel, der ikke kan læses",
        "EXRULE": "har en gentagelsesregel, der ikke kan læses",
        "RDATE": "har gentagelsesdatoer, der ikke kan læses",
        "EXDATE": "har undtagelsesdatoer, der ikke kan læses",
        "RECURRENCE-ID": "har en ændret forekomst, der ikke kan læses"}
_MAX_SKIPPED_NAMED = 5
_NAME_LENGTH = 60


def _text_of(text: str) -> str:
    """One line of a feed's text, shortened, with no control characters."""
    one_line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return one_line if len(one_line) <= _NAME_LENGTH else one_line[:_NAME_LENGTH - 1] + "…"


def _named(series: list[Any]) -> str:
    """How a skipped event is named to the user: its title and first date when readable,
    else its UID."""
    master = series[0]
    title = _text_of(str(master.get("SUMMARY", "")))
    name = f"»{title}«" if title else f"uden titel (UID {_text_of(str(master.get('UID', '?')))})"
    start = master.get("DTSTART")
    value = getattr(start, "dt", None) if start is not None and "DTSTART" not in dict(master.errors) else None
    if isinstance(value, date):
        name += f" ({value:%d.%m.%Y})"
    return f"Aftalen {name}"


def _fault(series: list[Any]) -> str | None:
    """Why a series (a master and its changed occurrences, one UID) cannot be expanded, as
    far as can be seen without expanding it; None when it looks sound."""
    for component in series:
        if component.get("DTSTART") is None:
            return "mangler et starttidspunkt"
        for name, _ in component.errors:
            if name in _DATE_PROPERTIES:
                return _WHY[name]
    return None


# What busy time needs of a VEVENT; the rest (descriptions, attendees, alarms, vendor
# properties) is dropped before expansion, which copies every event once per occurrence.
_KEPT = frozenset({"UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE",
                   "EXRULE", "RECURRENCE-ID", "SEQUENCE", "TRANSP", "STATUS"})


def _slim(component: Any) -> Any:
    for name in [name for name in component if name not in _KEPT]:
        del component[name]
    component.subcomponents = []
    return component


def _series(calendar: Any) -> list[list[Any]]:
    """The VEVENTs grouped by UID, each group a series with its changed occurrences, with
    only what busy time needs of them."""
    groups: dict[str, list[Any]] = {}
    for number, component in enumerate(_slim(c) for c in calendar.walk("VEVENT")):
        uid = str(component.get("UID", "")) or f"#{number}"
        groups.setdefault(uid, []).append(component)
    return [sorted(group, key=lambda c: c.get("RECURRENCE-ID") is not None) for group in groups.values()]


def _expanded(series: list[list[Any]], window_start: datetime, window_end: datetime,
              zone: str | None = None) -> list[Any]:
    calendar = icalendar.Calendar()
    if zone:
        # recurring-ical-events reads floating and UTC times in the calendar's X-WR-TIMEZONE
        # (Google writes a series in UTC and means the wall time there).
        calendar.add("X-WR-TIMEZONE", zone)
    for group in series:
        for component in group:
            calendar.add_component(component)
    return list(recurring_ical_events.of(calendar).between(window_start, window_end))


def _occurrences(series: list[list[Any]], window_start: datetime, window_end: datetime,
                 zone: str | None = None) -> tuple[list[Any], list[str]]:
    """The occurrences of the sound series in the window, and a sentence per series that
    could not be expanded. The whole set is expanded at once; only when that fails is each
    series expanded alone, to find the broken ones."""
    skipped: list[str] = []
    sound = []
    for group in series:
        fault = _fault(group)
        if fault is None:
            sound.append(group)
        else:
            skipped.append(f"{_named(group)} {fault}.")
    try:
        return _expanded(sound, window_start, window_end, zone), skipped
    except Exception:  # noqa: BLE001 - whatever a broken series raises, the others count
        pass
    occurrences: list[Any] = []
    for group in sound:
        try:
            occurrences.extend(_expanded([group], window_start, window_end, zone))
        except Exception:  # noqa: BLE001
            skipped.append(f"{_named(group)} har gentagelser, der ikke kan læses.")
    return occurrences, skipped


_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_COMPONENT = re.compile(r"^(BEGIN|END):([A-Za-z0-9-]+)[ \t]*$", re.IGNORECASE)


def _repaired(text: str) -> tuple[str, list[str]]:
    """The feed with what would make icalendar refuse all of it taken out, and a Danish
    sentence per repair: lines that are no content lines (no ``:``) are dropped, empty
    lines too (they may sit inside a folded line), VTIMEZONEs of zones tzdata knows are
    dropped (tzdata decides their offsets anyway, and a broken one must not cost the
    calendar), and a calendar that stops too early is closed (what it held is used)."""
    lines = [line for line in _LINE_BREAK.split(text) if line.strip()]
    unfolded: list[str] = []
    for line in lines:
        if line[0] in " \t" and unfolded:
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    kept: list[str] = []
    open_components: list[str] = []
    dropped = 0
    zone_start: int | None = None
    for line in unfolded:
        component = _COMPONENT.match(line.strip())
        if component is None:
            if ":" in line:
                kept.append(line)
            else:
                dropped += 1
            continue
        which, name = component.group(1).upper(), component.group(2).upper()
        if which == "BEGIN":
            if name == "VTIMEZONE":
                zone_start = len(kept)
            open_components.append(name)
            kept.append(line)
            continue
        if name not in open_components:
            dropped += 1
            continue
        while open_components[-1] != name:  # close what was left open inside it
            kept.append(f"END:{open_components.pop()}")
        open_components.pop()
        kept.append(line)
        if name == "VTIMEZONE" and zone_start is not None:
            tzid = _TZID_LINE.search("\n".join(kept[zone_start:]))
            if tzid and olson_name(tzid.group(1)):
                del kept[zone_start:]
            zone_start = None
    repairs = []
    if dropped:
        repairs.append(f"{dropped} linje(r) i kalenderen kunne ikke læses og er sprunget over.")
    if open_components and open_components[0] == "VCALENDAR":
        repairs.append("Kalenderen slutter for tidligt (den er ikke hentet hel); det, den "
                       "nåede at vise, bruges.")
        kept.extend(f"END:{name}" for name in reversed(open_components))
    return "\r\n".join(kept) + "\r\n", repairs


def _calendar_zone(calendar: Any) -> str | None:
    """The tzdata zone a calendar's ``X-WR-TIMEZONE`` names (Google and Apple exports), in
    which its floating times are read; None without one (floating times are then read as
    Copenhagen time) or when the name is no zone."""
    value = calendar.get("X-WR-TIMEZONE")
    if isinstance(value, list):
        value = value[0] if value else None
    return olson_name(str(value)) if value is not None else None


def read_ics(data: bytes | str, window_start: datetime, window_end: datetime) -> Reading:
    """Busy intervals of an ICS document within [window_start, window_end), skipping (and
    naming) the events that cannot be read; ``FeedError`` (Danish) if the document is not
    iCalendar at all or holds too many intervals."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text, repairs = _repaired(text.lstrip("\ufeff"))
    try:
        parsed = icalendar.Calendar.from_ical(
            _with_olson_tzids(within_window(text, window_start, window_end), window_start.year,
                              window_end.year), multiple=True)
    except Exception:
        raise FeedError("Kalenderen kunne ikke læses (ikke gyldig iCalendar).") from None
    calendars = [c for c in parsed if isinstance(c, icalendar.Calendar)]
    if not calendars:
        raise FeedError("Kalenderen kunne ikke læses (ikke gyldig iCalendar).")
    calendar = calendars[0]
    for more in calendars[1:]:  # some servers write one VCALENDAR per event into one file
        calendar.subcomponents.extend(more.subcomponents)
    events, skipped = _occurrences(_series(calendar), window_start, window_end,
                                   _calendar_zone(calendar))
    skipped = repairs + skipped
    result: list[planner.Busy | planner.AllDay] = []
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
    return Reading(result, skipped)


def parse_ics(data: bytes | str, window_start: datetime, window_end: datetime
              ) -> list[planner.Busy | planner.AllDay]:
    """The busy intervals of ``read_ics`` (the skipped events left out)."""
    return read_ics(data, window_start, window_end).busy


def skipped_note(skipped: list[str]) -> str:
    """The skipped events as kept with the feed: the first few named, the rest counted."""
    shown = skipped[:_MAX_SKIPPED_NAMED]
    if len(skipped) > len(shown):
        shown.append(f"Og {len(skipped) - len(shown)} aftaler mere, der ikke kan læses.")
    return "\n".join(shown)


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


async def fetch(url: str, etag: str = "", *, allowed_hosts: Collection[str] = (),
                transport: httpx.AsyncBaseTransport | None = None) -> Fetched:
    """GET the feed (see the module docstring for the limits); ``FeedError`` on failure.
    Internal addresses are refused unless their host is in ``allowed_hosts``."""
    url = check_url(url)
    address = await check_destination(url, allowed_hosts)
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
                        address = await check_destination(url, allowed_hosts)
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


async def refreshed(row: Mapping[str, Any], now: datetime, *, allowed_hosts: Collection[str] = (),
                    transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """The feed row's new values after a fetch: busy intervals, ETag, time and error.

    A failure keeps the cached intervals and records the Danish error; ``last_fetched``
    is set either way, so a failing feed is retried at most every 15 minutes.
    """
    values: dict[str, Any] = {"last_fetched": now, "error": ""}
    try:
        got = await fetch(row["url"], row["etag"], allowed_hosts=allowed_hosts, transport=transport)
        if got.body is not None:
            # In a thread: a large calendar keeps the CPU busy for a while.
            reading = await asyncio.to_thread(read_ics, got.body, now - HORIZON_BEFORE,
                                              now + HORIZON_AFTER)
            values.update(busy_json=encode_busy(reading.busy), etag=got.etag,
                          skipped=skipped_note(reading.skipped))
    except FeedError as exc:
        values["error"] = exc.message_da
    return values
