"""Interop: what ical.py builds is accepted by a real CalDAV server (Radicale)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from coordinator.invites.ical import (
    Attendee,
    CalendarEvent,
    Person,
    build_cancel,
    build_publish,
    build_request,
)
from tests.support import caldav
from tests.support.caldav import PreconditionFailed, itip_to_resources, radicale_fixture, require_radicale

CPH = ZoneInfo("Europe/Copenhagen")
UTC = timezone.utc

radicale = radicale_fixture(scope="module")


def make_event(**changes) -> CalendarEvent:
    event = CalendarEvent(
        uid="m-200@koordinator.test",
        sequence=0,
        dtstamp=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        start=datetime(2026, 3, 12, 9, 0, tzinfo=CPH),
        end=datetime(2026, 3, 12, 10, 30, tzinfo=CPH),
        summary="Statusmøde – udviklingsprofil",
        organizer=Person("Sofie Sørensen", "sofie.sorensen@randers.dk"),
        attendees=(Attendee("Jens Ølgaard", "jens@skole.randers.dk"), Attendee("Mor", "mor@example.dk")),
        description="Dagsorden: mål i udviklingsprofilen; næste skridt.",
    )
    return replace(event, **changes)


def essentials(ics: bytes) -> list[tuple]:
    """The fields a client compares: UID, SEQUENCE, DTSTART, SUMMARY, STATUS."""
    return [
        (str(v["UID"]), int(v["SEQUENCE"]), v["DTSTART"].dt, str(v["SUMMARY"]), str(v["STATUS"]))
        for v in Calendar.from_ical(ics).walk("VEVENT")
    ]


def test_created_changed_cancelled_meeting_is_stored_in_that_order(radicale):
    created = make_event()
    changed = replace(
        created,
        sequence=1,
        dtstamp=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        start=datetime(2026, 3, 13, 13, 0, tzinfo=CPH),
        end=datetime(2026, 3, 13, 14, 0, tzinfo=CPH),
        summary="Statusmøde – udviklingsprofil (ny tid)",
    )
    cancelled = replace(changed, sequence=2, dtstamp=datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    messages = [build_request([created]), build_request([changed]), build_cancel([cancelled])]

    collection = radicale.mkcalendar("livscyklus")
    href = radicale.href(collection, created.uid)
    etag = None
    for message in messages:
        [(uid, body)] = itip_to_resources(message).items()
        assert uid == created.uid
        assert "METHOD" not in Calendar.from_ical(body)
        etag = radicale.put(href, body, etag=etag)
        stored, stored_etag = radicale.get(href)
        assert stored_etag == etag
        assert essentials(stored) == essentials(message)

    final = essentials(radicale.get(href)[0])
    assert final == [
        (created.uid, 2, datetime(2026, 3, 13, 13, 0, tzinfo=CPH), "Statusmøde – udviklingsprofil (ny tid)", "CANCELLED")
    ]
    assert list(radicale.list(collection)) == [href]


def test_stale_writer_is_refused_by_etag(radicale):
    collection = radicale.mkcalendar("etag")
    event = make_event(uid="etag-1@koordinator.test")
    [body] = itip_to_resources(build_request([event])).values()
    href = radicale.href(collection, event.uid)
    first = radicale.put(href, body)
    with pytest.raises(PreconditionFailed):
        radicale.put(href, body)  # If-None-Match: * on an existing object
    [update] = itip_to_resources(build_request([replace(event, sequence=1)])).values()
    second = radicale.put(href, update, etag=first)
    assert second != first
    with pytest.raises(PreconditionFailed):
        radicale.put(href, update, etag=first)  # someone else already wrote
    radicale.delete(href, etag=second)
    assert radicale.list(collection) == {}


def test_familieraadslagning_parts_become_three_resources(radicale):
    day = dict(year=2026, month=4, day=14, tzinfo=CPH)
    parts = [
        make_event(uid=f"fr-9-{name}@koordinator.test", summary=f"Familierådslagning – {name}",
                   start=datetime(hour=start, **day), end=datetime(hour=start + 1, **day))
        for name, start in (("information", 9), ("egen-tid", 10), ("plan", 12))
    ]
    resources = itip_to_resources(build_request(parts))
    assert sorted(resources) == sorted(p.uid for p in parts)
    collection = radicale.mkcalendar("familieraadslagning")
    for uid, body in resources.items():
        radicale.put(radicale.href(collection, uid), body)
    reported = radicale.report(collection)
    assert len(reported) == 3
    stored_uids = {str(Calendar.from_ical(data).walk("VEVENT")[0]["UID"]) for _, data in reported.values()}
    assert stored_uids == {p.uid for p in parts}
    for _, data in reported.values():
        assert [tz["TZID"] for tz in Calendar.from_ical(data).walk("VTIMEZONE")] == ["Europe/Copenhagen"]


def test_feed_series_with_rrule_and_exdate_is_accepted(radicale):
    series = make_event(
        uid="teammoede@koordinator.test",
        summary="Teammøde",
        start=datetime(2026, 9, 1, 9, 0, tzinfo=CPH),
        end=datetime(2026, 9, 1, 10, 0, tzinfo=CPH),
        rrule="FREQ=WEEKLY;INTERVAL=2",
        exdates=(datetime(2026, 12, 22, 9, 0, tzinfo=CPH),),
    )
    [(uid, body)] = itip_to_resources(build_publish([series], "Teammøder")).items()
    collection = radicale.mkcalendar("feed")
    href = radicale.href(collection, uid)
    radicale.put(href, body)
    [stored] = Calendar.from_ical(radicale.get(href)[0]).walk("VEVENT")
    assert stored["RRULE"]["FREQ"] == ["WEEKLY"] and stored["RRULE"]["INTERVAL"] == [2]
    assert [d.dt for d in stored["EXDATE"].dts] == [datetime(2026, 12, 22, 9, 0, tzinfo=CPH)]


def test_missing_radicale_skips_locally_and_fails_on_ci(monkeypatch):
    monkeypatch.setattr(caldav, "radicale_available", lambda: False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Radicale is not installed"):
        require_radicale()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI=1"):
        require_radicale()
