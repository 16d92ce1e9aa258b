"""Partner calendars in the shapes Outlook/Exchange, Google, Apple and Evolution export,
written here by hand (no network): what the busy-time import reads in the real world."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Outlook writes a Windows zone name and a VTIMEZONE with rules from 1601.
OUTLOOK_VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:{summer}\r\nTZOFFSETTO:{winter}\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:{winter}\r\nTZOFFSETTO:{summer}\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n")
OUTLOOK_HEAD = ("BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
                "VERSION:2.0\r\nMETHOD:PUBLISH\r\nX-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n")
# Apple writes tzdata names with a VTIMEZONE, and X-APPLE properties.
APPLE_HEAD = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 15.1//EN\r\n"
              "CALSCALE:GREGORIAN\r\nX-WR-CALNAME:Arbejde\r\n"
              "BEGIN:VTIMEZONE\r\nTZID:Europe/Copenhagen\r\n"
              "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
              "DTSTART:19810329T020000\r\nTZNAME:CEST\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n"
              "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
              "DTSTART:19961027T030000\r\nTZNAME:CET\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
              "END:VTIMEZONE\r\n")
# Google writes UTC times and names the calendar's zone in X-WR-TIMEZONE.
GOOGLE_HEAD = ("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
               "VERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:sundhedsplejen@example.org\r\n"
               "X-WR-TIMEZONE:Europe/Copenhagen\r\n")
END = "END:VCALENDAR\r\n"


def local(moment: datetime) -> str:
    """A wall time as a DATE-TIME value without zone."""
    return moment.strftime("%Y%m%dT%H%M%S")


def utc(moment: datetime) -> str:
    """An aware moment as a UTC DATE-TIME value."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def outlook_event(uid: str, summary: str, tzid: str, start: datetime, end: datetime,
                  extra: str = "") -> str:
    """A VEVENT as Outlook exports it (wall times in the Windows zone)."""
    return (f"BEGIN:VEVENT\r\nCLASS:PUBLIC\r\nCREATED:20250101T120000Z\r\n"
            f"DTEND;TZID=\"{tzid}\":{local(end)}\r\nDTSTAMP:20260101T120000Z\r\n"
            f"DTSTART;TZID=\"{tzid}\":{local(start)}\r\n{extra}PRIORITY:5\r\nSEQUENCE:0\r\n"
            f"SUMMARY;LANGUAGE=da:{summary}\r\nTRANSP:OPAQUE\r\n"
            f"UID:040000008200E00074C5B7101A82E00800000000{uid}\r\n"
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nX-MICROSOFT-CDO-IMPORTANCE:1\r\nEND:VEVENT\r\n")


def outlook_calendar(tzid: str, *events: str, winter: str = "+0100", summer: str = "+0200") -> bytes:
    """An Outlook export: its VTIMEZONE for ``tzid`` and the events."""
    return (OUTLOOK_HEAD + OUTLOOK_VTIMEZONE.format(tzid=tzid, winter=winter, summer=summer)
            + "".join(events) + END).encode()


def apple_calendar(*events: str) -> bytes:
    """An Apple Calendar export around the events."""
    return (APPLE_HEAD + "".join(events) + END).encode()


def apple_event(uid: str, summary: str, start: datetime, end: datetime, extra: str = "") -> str:
    """A VEVENT as Apple Calendar exports it."""
    return (f"BEGIN:VEVENT\r\nCREATED:20250101T120000Z\r\nUID:{uid}\r\n"
            f"DTEND;TZID=Europe/Copenhagen:{local(end)}\r\n{extra}TRANSP:OPAQUE\r\n"
            "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\n"
            f"SUMMARY:{summary}\r\nLAST-MODIFIED:20250101T120000Z\r\nDTSTAMP:20250101T120000Z\r\n"
            f"DTSTART;TZID=Europe/Copenhagen:{local(start)}\r\nSEQUENCE:0\r\nEND:VEVENT\r\n")


def google_calendar(*events: str) -> bytes:
    """A Google Calendar export around the events."""
    return (GOOGLE_HEAD + "".join(events) + END).encode()


def google_event(uid: str, summary: str, start: datetime, end: datetime, extra: str = "") -> str:
    """A VEVENT as Google Calendar exports it (UTC times)."""
    return (f"BEGIN:VEVENT\r\nDTSTART:{utc(start)}\r\nDTEND:{utc(end)}\r\n{extra}"
            f"DTSTAMP:20260101T120000Z\r\nUID:{uid}@google.com\r\nCREATED:20250101T120000Z\r\n"
            f"LAST-MODIFIED:20250101T120000Z\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:{summary}\r\n"
            "TRANSP:OPAQUE\r\nEND:VEVENT\r\n")


def large_outlook_calendar(today: date, *, series: int = 3000, single: int = 1500,
                           open_series: int = 40, seed: int = 7) -> bytes:
    """A partner's Outlook calendar of about 2 MB: ten years of recurring and single
    meetings, most of them over, ``open_series`` weekly series still running. Every event
    carries the description and Outlook's own properties, as real exports do."""
    rnd = random.Random(seed)
    tzid = "Romance Standard Time"
    events = []
    for number in range(series + single):
        start = datetime.combine(today - timedelta(days=rnd.randrange(60, 10 * 365)),
                                 datetime.min.time()).replace(hour=rnd.randrange(8, 16))
        end = start + timedelta(minutes=rnd.choice((30, 60, 90)))
        extra = "DESCRIPTION:" + "Dagsorden: status\\, opfølgning og aftaler. " * 3 + "\r\n"
        if number < open_series:
            extra += "RRULE:FREQ=WEEKLY;BYDAY=" + "MO TU WE TH FR".split()[number % 5] + "\r\n"
        elif number < series:
            until = start + timedelta(days=rnd.randrange(20, 50))
            freq = rnd.choice(("DAILY", "WEEKLY", "WEEKLY", "MONTHLY"))
            extra += f"RRULE:FREQ={freq};UNTIL={local(until)}Z;INTERVAL=1\r\n"
        events.append(outlook_event(f"{number:010d}", f"Aftale {number}", tzid, start, end, extra))
    return outlook_calendar(tzid, *events)
