"""The busy-time import on the icalendar and recurring-ical-events projects' own test
calendars (their sdists at the versions pyproject.toml pins, downloaded by the test run:
tests/support/upstream_calendars.py): nothing raises, and every calendar that holds busy
time, or that icalendar alone cannot read, gives busy times or a warning naming what was
skipped. Also the repairs those calendars asked for, on calendars written here."""

from __future__ import annotations

import re
import warnings
from datetime import datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events

from coordinator import web
from coordinator.meetings import feeds
from tests.support import partner_calendars as pc
from tests.support import upstream_calendars

CPH = web.COPENHAGEN
_FIRST_START = re.compile(r"^DTSTART[^:\r\n]*:(\d{8})", re.MULTILINE)


def window_of(text: str) -> tuple[datetime, datetime]:
    """400 days from the first event's start (the import's own horizon), so the events of a
    calendar from 2014 are read too."""
    events = text.upper().find("BEGIN:VEVENT")
    match = _FIRST_START.search(text, max(events, 0))
    try:
        first = datetime.strptime(match.group(1), "%Y%m%d") if match else datetime(2026, 12, 1)
    except ValueError:
        first = datetime(2026, 12, 1)
    start = datetime.combine(first.date(), time(0), CPH) - timedelta(days=1)
    return start, start + timedelta(days=400)


def busy_without_us(data: bytes, start: datetime, end: datetime) -> bool | None:
    """Whether icalendar and recurring-ical-events alone find busy time in the window (an
    opaque, not cancelled occurrence that lasts); None when they cannot read the file."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
    except Exception:  # noqa: BLE001 - any failure means: they cannot read it
        return None
    for event in occurrences:
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT" or \
                str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        begin, finish = event.get("DTSTART"), event.get("DTEND")
        if begin is not None and (finish is None or finish.dt != begin.dt or not isinstance(begin.dt, datetime)):
            return True
    return False


@pytest.fixture(scope="module")
def upstream() -> dict[str, bytes]:
    return upstream_calendars.calendars()


def test_every_upstream_test_calendar_is_read_or_refused_with_a_reason(upstream):
    assert len(upstream) > 200, "both projects' test calendars should be there"
    is_calendar = {name: data.decode("utf-8", "replace").lstrip("\ufeff \r\n").upper().startswith("BEGIN:VCALENDAR")
                   for name, data in upstream.items()}
    assert sum(is_calendar.values()) > 150
    problems, read, warned = [], 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data in sorted(upstream.items()):
            start, end = window_of(data.decode("utf-8", "replace"))
            try:
                reading = feeds.read_ics(data, start, end)
            except feeds.FeedError as error:
                if is_calendar[name]:
                    problems.append(f"{name}: refused as a whole: {error.message_da}")
                continue
            except Exception as error:  # noqa: BLE001 - that is what the test looks for
                problems.append(f"{name}: raised {type(error).__name__}: {error}")
                continue
            read += 1
            warned += bool(reading.skipped)
            if not is_calendar[name]:
                problems.append(f"{name}: no VCALENDAR, yet read")
            expected = busy_without_us(data, start, end)
            has_events = b"BEGIN:VEVENT" in data.upper()
            if has_events and expected is not False and not reading.busy and not reading.skipped:
                problems.append(f"{name}: neither busy time nor a warning "
                                f"({'unreadable to icalendar' if expected is None else 'icalendar finds busy time'})")
            for note in reading.skipped:
                if not note or "\n" in note:
                    problems.append(f"{name}: a warning that names nothing: {note!r}")
    assert problems == []
    assert read == sum(is_calendar.values()) and warned >= 20


def test_the_sdists_are_the_pinned_versions(upstream):
    versions = upstream_calendars.pinned_versions()
    tops = {name.split("/", 1)[0] for name in upstream}
    assert tops == {f"icalendar-{versions['icalendar']}",
                    f"recurring_ical_events-{versions['recurring-ical-events']}"}


# ------------------------------------------------------------------------ the repairs

WINDOW = (datetime(2027, 1, 1, tzinfo=CPH), datetime(2027, 12, 31, tzinfo=CPH))
MEETING = pc.apple_event("ok-1", "Teammøde", datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10))


def starts(reading: feeds.Reading) -> list[str]:
    return sorted(b.start.astimezone(CPH).strftime("%Y-%m-%d %H:%M") for b in reading.busy)


def test_a_stray_line_costs_only_that_line():
    data = pc.apple_calendar(MEETING).replace(b"END:VCALENDAR", b"X\r\nORGANIZER;CN=Sixt SE\r\nEND:VCALENDAR")
    reading = feeds.read_ics(data, *WINDOW)
    assert starts(reading) == ["2027-03-01 09:00"]
    assert reading.skipped == ["2 linje(r) i kalenderen kunne ikke læses og er sprunget over."]


@pytest.mark.parametrize("cut", [b"END:VCALENDAR\r\n", b"END:VEVENT\r\nEND:VCALENDAR\r\n"])
def test_a_calendar_that_stops_too_early_gives_what_it_holds_and_says_so(cut):
    data = pc.apple_calendar(MEETING)
    reading = feeds.read_ics(data[:-len(cut)], *WINDOW)
    assert starts(reading) == ["2027-03-01 09:00"]
    assert reading.skipped == [
        "Kalenderen slutter for tidligt (den er ikke hentet hel); det, den nåede at vise, bruges."]


def test_a_byte_order_mark_and_one_calendar_per_event_are_read():
    second = pc.apple_event("ok-2", "Supervision", datetime(2027, 3, 2, 9), datetime(2027, 3, 2, 10))
    data = b"\xef\xbb\xbf" + pc.apple_calendar(MEETING) + pc.apple_calendar(second)
    reading = feeds.read_ics(data, *WINDOW)
    assert starts(reading) == ["2027-03-01 09:00", "2027-03-02 09:00"] and reading.skipped == []


def test_a_broken_vtimezone_of_a_known_zone_does_not_cost_the_calendar():
    broken_zone = (b"BEGIN:VTIMEZONE\r\nTZID:Europe/Prague\r\nBEGIN:STANDARD\r\nDTSTART:18500101T000000\r\n"
                   b"TZOFFSETFROM:+5744\r\nTZOFFSETTO:+5744\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
    event = pc.apple_event("prague", "Møde", datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10)).replace(
        "Europe/Copenhagen", "Europe/Prague")
    data = pc.apple_calendar(event).replace(b"END:VTIMEZONE\r\n", b"END:VTIMEZONE\r\n" + broken_zone, 1)
    reading = feeds.read_ics(data, *WINDOW)
    assert starts(reading) == ["2027-03-01 09:00"] and reading.skipped == []
