"""Imported busy time survives real partner calendars: broken series are skipped and named,
Outlook/Exchange zone names and vendor-prefixed TZIDs map to tzdata, large calendars read
only what can reach the window (speed: bench/bench_busy_import.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator import web
from coordinator.db import ANY_VERSION
from coordinator.meetings import availability, feeds, planner, service
from coordinator.meetings.tables import BusyFeed
from tests import conftest
from tests import factories as f
from tests.meetings import support as s
from tests.meetings.icsserver import IcsServer, Route
from tests.support import partner_calendars as pc

CPH = web.COPENHAGEN
WINDOW_START = datetime(2027, 1, 1, tzinfo=CPH)
WINDOW_END = datetime(2027, 12, 31, tzinfo=CPH)


def busy_starts(reading: feeds.Reading, zone: ZoneInfo = CPH) -> list[str]:
    return sorted(b.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                  for b in reading.busy if isinstance(b, planner.Busy))


GOOD = pc.apple_event("good-1", "Teammøde", datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10),
                      "RRULE:FREQ=DAILY;COUNT=2\r\n")
BROKEN = {
    "no DTSTART": ("BEGIN:VEVENT\r\nUID:broken-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Forældremøde 3.b\r\n"
                   "DTEND:20270302T100000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n", "mangler et starttidspunkt"),
    "bad RRULE": (pc.apple_event("broken-2", "Forældremøde 3.b", datetime(2027, 3, 2, 9),
                                 datetime(2027, 3, 2, 10), "RRULE:FREQ=SOMETIMES;BYDAY=XX\r\n"),
                  "gentagelsesregel"),
    "bad EXDATE": (pc.apple_event("broken-3", "Forældremøde 3.b", datetime(2027, 3, 2, 9),
                                  datetime(2027, 3, 2, 10), "RRULE:FREQ=WEEKLY\r\nEXDATE:2027-03-09\r\n"),
                   "undtagelsesdatoer"),
    "bad DTSTART": (pc.apple_event("broken-4", "Forældremøde 3.b", datetime(2027, 3, 2, 9),
                                   datetime(2027, 3, 2, 10)).replace(":20270302T090000", ":2027-03-02 9:00"),
                    "starttidspunkt"),
}


@pytest.mark.parametrize("shape", BROKEN)
def test_one_broken_series_is_skipped_and_named_and_the_rest_is_used(shape):
    broken, why = BROKEN[shape]
    reading = feeds.read_ics(pc.apple_calendar(GOOD, broken), WINDOW_START, WINDOW_END)
    assert busy_starts(reading) == ["2027-03-01 09:00", "2027-03-02 09:00"]
    [note] = reading.skipped
    assert "»Forældremøde 3.b«" in note and why in note


def test_a_broken_event_without_title_is_named_by_its_uid():
    nameless = "BEGIN:VEVENT\r\nUID:abc-123\r\nDTSTAMP:20260101T000000Z\r\nDTEND:20270302T100000Z\r\nEND:VEVENT\r\n"
    reading = feeds.read_ics(pc.apple_calendar(GOOD, nameless), WINDOW_START, WINDOW_END)
    assert reading.skipped == ["Aftalen uden titel (UID abc-123) mangler et starttidspunkt."]
    assert len(reading.busy) == 2


def test_many_broken_events_are_named_up_to_five_and_counted():
    broken = [BROKEN["no DTSTART"][0].replace("broken-1", f"b{i}") for i in range(8)]
    note = feeds.skipped_note(feeds.read_ics(pc.apple_calendar(GOOD, *broken), WINDOW_START, WINDOW_END).skipped)
    assert len(note.splitlines()) == 6 and note.splitlines()[-1] == "Og 3 aftaler mere, der ikke kan læses."


def test_a_document_that_is_no_calendar_is_still_an_error():
    with pytest.raises(feeds.FeedError, match="ikke gyldig iCalendar"):
        feeds.read_ics(b"<html>Log ind</html>", WINDOW_START, WINDOW_END)


# ------------------------------------------------------------------------ time zones

@pytest.mark.parametrize("tzid, zone", [
    ("Romance Standard Time", "Europe/Paris"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("GMT Standard Time", "Europe/London"),
    ("Eastern Standard Time", "America/New_York"),
])
def test_outlook_windows_zone_names_map_to_tzdata(tzid, zone):
    """Outlook's wall times in a Windows zone are read in that zone, winter and summer,
    also after 2038 (its VTIMEZONE's rules start in 1601)."""
    events = [pc.outlook_event(f"{n:04d}", "Møde", tzid, datetime(y, m, 3, 9), datetime(y, m, 3, 10))
              for n, (y, m) in enumerate([(2027, 1), (2027, 7), (2040, 7)])]
    reading = feeds.read_ics(pc.outlook_calendar(tzid, *events), WINDOW_START,
                             datetime(2041, 1, 1, tzinfo=CPH))
    assert busy_starts(reading, ZoneInfo(zone)) == ["2027-01-03 09:00", "2027-07-03 09:00", "2040-07-03 09:00"]


def test_a_zone_name_means_tzdata_whatever_an_earlier_feed_defined_under_it():
    """icalendar keeps the first VTIMEZONE it meets under a name for the whole process: a
    feed whose Exchange server wrote 'W. Europe Standard Time' without summer time must not
    shift the next partner's summer meetings by an hour."""
    summer = pc.outlook_event("0001", "Møde", "W. Europe Standard Time",
                              datetime(2027, 7, 5, 9), datetime(2027, 7, 5, 10))
    without_dst = pc.outlook_calendar("W. Europe Standard Time", summer, winter="+0100", summer="+0100")
    proper = pc.outlook_calendar("W. Europe Standard Time", summer)
    for data in (without_dst, proper):
        assert busy_starts(feeds.read_ics(data, WINDOW_START, WINDOW_END)) == ["2027-07-05 09:00"]


@pytest.mark.parametrize("tzid", ["/freeassociation.sourceforge.net/Europe/London",
                                  "/freeassociation.sourceforge.net/Tzfile/Europe/London",
                                  "/mozilla.org/20050126_1/Europe/London"])
def test_vendor_prefixed_tzids_map_to_tzdata(tzid):
    event = (f"BEGIN:VEVENT\r\nUID:evo-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Møde\r\n"
             f"DTSTART;TZID={tzid}:20270705T090000\r\nDTEND;TZID={tzid}:20270705T100000\r\n"
             "RRULE:FREQ=YEARLY;COUNT=20\r\nEND:VEVENT\r\n")
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Ximian//NONSGML Evolution Calendar//EN\r\n"
                f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nX-LIC-LOCATION:Europe/London\r\n"
                "BEGIN:STANDARD\r\nTZNAME:GMT\r\nDTSTART:19701025T020000\r\nTZOFFSETFROM:+0100\r\n"
                "TZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" + event + "END:VCALENDAR\r\n")
    reading = feeds.read_ics(calendar.encode(), WINDOW_START, datetime(2041, 1, 1, tzinfo=CPH))
    assert busy_starts(reading, ZoneInfo("Europe/London")) == [f"{y}-07-05 09:00" for y in range(2027, 2041)]


def test_google_and_apple_exports_are_read_in_copenhagen_time():
    google = pc.google_calendar(pc.google_event("g1", "Hjemmebesøg", datetime(2027, 7, 5, 9, tzinfo=CPH),
                                                datetime(2027, 7, 5, 10, tzinfo=CPH)),
                                pc.google_event("g2", "Fri", datetime(2027, 7, 6, 9, tzinfo=CPH),
                                                datetime(2027, 7, 6, 10, tzinfo=CPH), "RRULE:FREQ=DAILY;COUNT=2\r\n"
                                                "EXDATE:20270707T070000Z\r\n"))
    apple = pc.apple_calendar(pc.apple_event("a1", "Supervision", datetime(2027, 11, 1, 9),
                                             datetime(2027, 11, 1, 10), "RRULE:FREQ=WEEKLY;UNTIL=20271109T080000Z\r\n"))
    assert busy_starts(feeds.read_ics(google, WINDOW_START, WINDOW_END)) == ["2027-07-05 09:00", "2027-07-06 09:00"]
    assert busy_starts(feeds.read_ics(apple, WINDOW_START, WINDOW_END)) == ["2027-11-01 09:00", "2027-11-08 09:00"]


def test_outlook_customized_time_zones_are_read_by_their_own_definition_in_every_feed():
    """Outlook names a zone it has no Windows name for "Customized Time Zone" and puts the
    definition in the file. Two partners' "Customized Time Zone" are different zones: each
    feed is read by its own VTIMEZONE, whichever was read first in this process."""
    summer = pc.outlook_event("0001", "Møde", "Customized Time Zone",
                              datetime(2027, 7, 5, 9), datetime(2027, 7, 5, 10))
    winter = pc.outlook_event("0002", "Møde", "Customized Time Zone",
                              datetime(2027, 1, 11, 9), datetime(2027, 1, 11, 10))
    central = pc.outlook_calendar("Customized Time Zone", summer, winter)
    eastern = pc.outlook_calendar("Customized Time Zone", summer, winter, winter="-0500", summer="-0400")
    for _ in range(2):
        assert sorted(b.start for b in feeds.read_ics(central, WINDOW_START, WINDOW_END).busy) == [
            datetime(2027, 1, 11, 8, tzinfo=UTC), datetime(2027, 7, 5, 7, tzinfo=UTC)]
        assert sorted(b.start for b in feeds.read_ics(eastern, WINDOW_START, WINDOW_END).busy) == [
            datetime(2027, 1, 11, 14, tzinfo=UTC), datetime(2027, 7, 5, 13, tzinfo=UTC)]


US_VTIMEZONE = ("BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\n"
                "BEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
                "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n"
                "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n"
                "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")


def test_a_customized_time_zone_that_is_a_tzdata_zone_is_read_as_that_zone():
    """Outlook's "Customized Time Zone" is mostly a real zone written out from 1601: it is
    read as the tzdata zone that agrees with it over the years read (Central European time
    as Copenhagen), across the change to summer time; one no zone agrees with keeps its own."""
    central = pc.OUTLOOK_VTIMEZONE.format(tzid="Customized Time Zone", winter="+0100", summer="+0200")
    assert feeds.zone_for_definition(central, 2027, 2028) == "Europe/Copenhagen"
    invented = pc.OUTLOOK_VTIMEZONE.format(tzid="Customized Time Zone", winter="-0500", summer="-0400")
    assert feeds.zone_for_definition(invented, 2027, 2028) is None
    assert feeds.zone_for_definition("BEGIN:VTIMEZONE\r\nTZID:x\r\nEND:VTIMEZONE\r\n", 2027, 2028) is None
    us = US_VTIMEZONE
    zone = feeds.zone_for_definition(us, 2027, 2028)
    assert zone is not None and all(
        datetime(2027, m, d, h, tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset()
        == datetime(2027, m, d, h, tzinfo=UTC).astimezone(ZoneInfo("America/New_York")).utcoffset()
        for m, d, h in [(3, 14, 6), (3, 14, 7), (11, 7, 5), (11, 7, 6), (7, 1, 12), (1, 1, 12)])
    events = [pc.outlook_event(f"{n:04d}", "Møde", "Customized Time Zone", datetime(2027, m, d, 9),
                               datetime(2027, m, d, 10), "RRULE:FREQ=WEEKLY;COUNT=2\r\n")
              for n, (m, d) in enumerate([(3, 8), (10, 25)])]
    data = (pc.OUTLOOK_HEAD + us + "".join(events) + pc.END).encode()
    assert busy_starts(feeds.read_ics(data, WINDOW_START, WINDOW_END), ZoneInfo("America/New_York")) == [
        "2027-03-08 09:00", "2027-03-15 09:00", "2027-10-25 09:00", "2027-11-01 09:00"]


def test_google_floating_times_are_read_in_the_calendars_x_wr_timezone():
    """A Google export names its zone in X-WR-TIMEZONE: floating times are wall times there,
    and a series written in UTC keeps its wall time there across the change to summer time."""
    floating = ("BEGIN:VEVENT\r\nDTSTART:20270705T090000\r\nDTEND:20270705T100000\r\n"
                "DTSTAMP:20260101T120000Z\r\nUID:float@google.com\r\nSUMMARY:Kursus\r\nEND:VEVENT\r\n")
    series = pc.google_event("utc-series", "Supervision", datetime(2027, 3, 1, 9, tzinfo=ZoneInfo("America/New_York")),
                             datetime(2027, 3, 1, 10, tzinfo=ZoneInfo("America/New_York")),
                             "RRULE:FREQ=WEEKLY;COUNT=3\r\n")
    new_york = pc.google_calendar(floating, series).replace(b"X-WR-TIMEZONE:Europe/Copenhagen",
                                                             b"X-WR-TIMEZONE:America/New_York")
    reading = feeds.read_ics(new_york, WINDOW_START, WINDOW_END)
    assert busy_starts(reading, ZoneInfo("America/New_York")) == [
        "2027-03-01 09:00", "2027-03-08 09:00", "2027-03-15 09:00", "2027-07-05 09:00"]
    copenhagen = feeds.read_ics(pc.google_calendar(floating), WINDOW_START, WINDOW_END)
    assert busy_starts(copenhagen) == ["2027-07-05 09:00"]
    for unknown in (b"X-WR-TIMEZONE:Mars/Olympus", b"X-WR-TIMEZONE:"):
        odd = pc.google_calendar(floating).replace(b"X-WR-TIMEZONE:Europe/Copenhagen", unknown)
        assert busy_starts(feeds.read_ics(odd, WINDOW_START, WINDOW_END)) == ["2027-07-05 09:00"]


def test_an_apple_export_with_all_day_and_floating_events_and_an_alarm():
    """Apple writes all-day events as DATE values, reminders as VALARMs and may omit DTEND."""
    all_day = ("BEGIN:VEVENT\r\nUID:ferie\r\nDTSTART;VALUE=DATE:20270712\r\nDTEND;VALUE=DATE:20270714\r\n"
               "SUMMARY:Ferie\r\nDTSTAMP:20250101T120000Z\r\nEND:VEVENT\r\n")
    with_alarm = pc.apple_event("alarm", "Tandlæge", datetime(2027, 7, 5, 9), datetime(2027, 7, 5, 10),
                                "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Påmindelse\r\n"
                                "TRIGGER:-PT15M\r\nEND:VALARM\r\n")
    no_end = ("BEGIN:VEVENT\r\nUID:noend\r\nDTSTART;TZID=Europe/Copenhagen:20270706T090000\r\n"
              "DURATION:PT45M\r\nSUMMARY:Opkald\r\nDTSTAMP:20250101T120000Z\r\nEND:VEVENT\r\n")
    reading = feeds.read_ics(pc.apple_calendar(all_day, with_alarm, no_end), WINDOW_START, WINDOW_END)
    assert reading.skipped == []
    assert busy_starts(reading) == ["2027-07-05 09:00", "2027-07-06 09:00"]
    [holiday] = [b for b in reading.busy if isinstance(b, planner.AllDay)]
    assert (holiday.first, holiday.last) == (date(2027, 7, 12), date(2027, 7, 13))


# ------------------------------------------------------------------------ large calendars

def test_a_large_outlook_calendar_reads_what_reaches_the_window():
    """A ~2 MB Outlook calendar of ten years: the series that ended long ago are left out
    before icalendar reads them; the running ones give every weekday's busy time. (How
    long it takes is measured in bench/bench_busy_import.py.)"""
    today = date(2026, 12, 3)
    data = pc.large_outlook_calendar(today)
    assert len(data) > 2_000_000
    start = datetime.combine(today, time(0), CPH)
    kept = feeds.within_window(data.decode(), start - timedelta(days=1), start + timedelta(days=400))
    assert kept.count("BEGIN:VEVENT") == 40 and len(kept) < len(data) / 50
    reading = feeds.read_ics(data, start - timedelta(days=1), start + timedelta(days=400))
    assert reading.skipped == []
    weekdays = {b.start.astimezone(CPH).weekday() for b in reading.busy if isinstance(b, planner.Busy)}
    assert weekdays == {0, 1, 2, 3, 4}
    assert 40 * 57 <= len(reading.busy) <= 40 * 58


@pytest.mark.parametrize("kept_because", [
    "RRULE:FREQ=WEEKLY;COUNT=500\r\n",                 # counted: its end is not in the text
    "RRULE:FREQ=WEEKLY\r\n",                           # endless
    "RDATE;VALUE=DATE:20270301\r\n",                   # extra dates
])
def test_old_series_that_may_still_run_are_never_left_out(kept_because):
    old = pc.outlook_event("0001", "Gammel serie", "Romance Standard Time",
                           datetime(2015, 3, 2, 9), datetime(2015, 3, 2, 10), kept_because)
    text = pc.outlook_calendar("Romance Standard Time", old).decode()
    assert "Gammel serie" in feeds.within_window(text, WINDOW_START, WINDOW_END)


def test_a_moved_occurrence_keeps_its_old_series():
    """A series over long ago with one occurrence moved into the window: the whole UID is
    kept, so the moved occurrence counts."""
    master = pc.apple_event("moved", "Kursus", datetime(2015, 3, 2, 9), datetime(2015, 3, 2, 10),
                            "RRULE:FREQ=WEEKLY;UNTIL=20150330T080000Z\r\n")
    moved = pc.apple_event("moved", "Kursus", datetime(2027, 3, 3, 9), datetime(2027, 3, 3, 10),
                           "RECURRENCE-ID;TZID=Europe/Copenhagen:20150309T090000\r\n")
    reading = feeds.read_ics(pc.apple_calendar(master, moved), WINDOW_START, WINDOW_END)
    assert busy_starts(reading) == ["2027-03-03 09:00"]


# ------------------------------------------------------------------------ on the page

# The test's ICS server runs on 127.0.0.1, allowed here by name (as in test_availability).
LOOPBACK = ("127.0.0.1",)


@pytest.fixture
def settings():
    return conftest.test_settings(busy_feed_allowed_hosts=LOOPBACK)


async def test_the_meeting_page_names_the_skipped_event_and_the_slots_use_the_rest(client):
    sara, mads = await f.user(), await f.user()
    family_id = await f.family(sara)
    meeting_id = await service.create_meeting(sara, {"id": family_id}, "statusmoede", "Status")
    meeting = await service.Meeting.select().where(service.Meeting.id == meeting_id).first()
    await service.add_participants(sara, meeting, ANY_VERSION, [service.NewParticipant(user_id=u.id)
                                                         for u in (sara, mads)])
    meeting = await service.Meeting.select().where(service.Meeting.id == meeting_id).first()
    day = s.working_day(10)
    busy_morning = pc.google_event("ok", "Kursus", datetime.combine(day, time(8), CPH),
                                   datetime.combine(day, time(13), CPH))
    broken = BROKEN["bad RRULE"][0]
    with IcsServer() as srv:
        srv.routes["/mads.ics"] = Route(pc.google_calendar(busy_morning, broken))
        await availability.set_feed(sara, url=srv.url("/mads.ics"),
                                    owner=availability.Owner(user_id=mads.id), name="Mads",
                                    allowed_hosts=LOOPBACK)
        answer = await service.find_slots(meeting, service.SlotQuery(
            first_day=day, last_day=day, min_notice=0, durations={"meeting": 60}, room=None),
            allowed_hosts=LOOPBACK)
    assert answer.result.slots
    assert all(slot.start.astimezone(CPH).time() >= time(13) for slot in answer.result.slots)
    [warning] = answer.warnings
    assert "»Forældremøde 3.b«" in warning and "Resten af kalenderen bruges" in warning
    row = await BusyFeed.select().first()
    assert row["error"] == "" and "gentagelsesregel" in row["skipped"]
    await f.login(client, sara)
    page = (await client.get(f"/meetings/{meeting_id}")).text
    assert "Forældremøde 3.b" in page and "Resten af kalenderen bruges" in page


def test_busy_times_are_kept_in_utc():
    reading = feeds.read_ics(pc.apple_calendar(GOOD), WINDOW_START, WINDOW_END)
    assert [b.start for b in reading.busy] == [datetime(2027, 3, 1, 8, tzinfo=UTC), datetime(2027, 3, 2, 8, tzinfo=UTC)]
