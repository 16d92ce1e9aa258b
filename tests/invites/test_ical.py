"""Tests for coordinator.invites.ical: building iTIP messages and reading replies."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from coordinator.invites import ical
from coordinator.invites.ical import (
    Attendee,
    CalendarEvent,
    CalendarParseError,
    EventStatus,
    PartStat,
    Person,
    Reply,
    Role,
    build_cancel,
    build_declinecounter,
    build_publish,
    build_request,
    clean_name,
    clean_text,
    is_newer,
    parse_reply,
    supersedes,
)

CPH = ZoneInfo("Europe/Copenhagen")
UTC = timezone.utc
ORGANIZER = Person("Sofie Sørensen", "sofie.sorensen@randers.dk")
TEACHER = Attendee("Jens Ølgaard", "jens@skole.randers.dk")
HEALTH_VISITOR = Attendee("Åse Bæk", "aase@sundhedsplejen.dk", role=Role.OPT_PARTICIPANT)
LONG_NAMED = Attendee("Marie-Louise Kirstine Østergaard-Bønnelykke Christiansen, "
                      "afdelingsleder i Sundhedsplejen", "marie-louise.kirstine@sundhed.example.org",
                      role=Role.CHAIR, partstat=PartStat.ACCEPTED, rsvp=False)
QUOTED = Attendee('Ole "Nabo" Berg; Vej 3, 2. th', "ole@example.org",
                  role=Role.NON_PARTICIPANT, partstat=PartStat.TENTATIVE)

VEVENT_PROPS = {
    "UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "CLASS",
    "TRANSP", "ORGANIZER", "STATUS", "ATTENDEE",
}


def make_event(**changes) -> CalendarEvent:
    """A plain network meeting; keyword arguments replace fields."""
    event = CalendarEvent(
        uid="m-100-del-1@koordinator.test",
        sequence=0,
        dtstamp=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        start=datetime(2026, 3, 12, 9, 0, tzinfo=CPH),
        end=datetime(2026, 3, 12, 10, 30, tzinfo=CPH),
        summary="Netværksmøde",
        organizer=ORGANIZER,
        attendees=(TEACHER, HEALTH_VISITOR),
    )
    return replace(event, **changes)


def text_value(prop) -> str:
    """A TEXT value as icalendar reads it: icalendar 7 keeps NAME and X-WR-CALNAME as they
    stand on the line (vUnknown), so they are read again as a TEXT property (SUMMARY)."""
    wrapped = f"BEGIN:VEVENT\r\nSUMMARY:{prop.to_ical().decode()}\r\nEND:VEVENT\r\n"
    return str(Event.from_ical(wrapped)["SUMMARY"])


def only_vevent(raw: bytes):
    [vevent] = Calendar.from_ical(raw).walk("VEVENT")
    return vevent


def unfolded_lines(raw: bytes) -> list[str]:
    """Content lines after unfolding, split without any iCalendar library."""
    text = raw.decode("utf-8")
    return [line for line in re.sub(r"\r\n[ \t]", "", text).split("\r\n") if line]


def property_names(raw: bytes) -> list[str]:
    return [re.split(r"[;:]", line, maxsplit=1)[0] for line in unfolded_lines(raw)]


def assert_well_formed(raw: bytes) -> None:
    """CRLF only, every physical line at most 75 octets, no UTF-8 sequence split."""
    assert raw.endswith(b"\r\n")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold inside æ/ø/å would make this raise


# --- structure --------------------------------------------------------------


def test_request_has_the_properties_outlook_and_google_need():
    raw = build_request([make_event()])
    cal = Calendar.from_ical(raw)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["PRODID"]).startswith("-//")
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["UID"]) == "m-100-del-1@koordinator.test"
    assert vevent["SEQUENCE"] == 0
    assert vevent["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert vevent["DTSTART"].dt == datetime(2026, 3, 12, 9, 0, tzinfo=CPH)
    assert vevent["DTEND"].dt == datetime(2026, 3, 12, 10, 30, tzinfo=CPH)
    assert "DTSTAMP:20260301T080000Z" in unfolded_lines(raw)
    organizer = vevent["ORGANIZER"]
    assert organizer == "mailto:sofie.sorensen@randers.dk"
    assert organizer.params["CN"] == "Sofie Sørensen"
    attendees = {str(a): a.params for a in vevent["ATTENDEE"]}
    assert attendees["mailto:jens@skole.randers.dk"]["CN"] == "Jens Ølgaard"
    assert attendees["mailto:jens@skole.randers.dk"]["ROLE"] == "REQ-PARTICIPANT"
    assert attendees["mailto:aase@sundhedsplejen.dk"]["ROLE"] == "OPT-PARTICIPANT"
    for params in attendees.values():
        assert params["PARTSTAT"] == "NEEDS-ACTION"
        assert params["RSVP"] in ("TRUE", True)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["CLASS"]) == "PRIVATE"
    assert_well_formed(raw)


def test_an_alarm_reminds_before_the_start_and_never_in_a_cancellation():
    raw = build_request([make_event(alarm_minutes=90, summary="Netværksmøde; skolen")])
    assert_well_formed(raw)
    [alarm] = only_vevent(raw).walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=90)
    assert str(alarm["DESCRIPTION"]) == "Påmindelse: Netværksmøde; skolen"
    assert only_vevent(build_request([make_event()])).walk("VALARM") == []
    assert only_vevent(build_cancel([make_event(alarm_minutes=90)])).walk("VALARM") == []
    with pytest.raises(ValueError, match="14 dage"):
        build_request([make_event(alarm_minutes=60 * 24 * 15)])


def test_times_given_in_utc_are_sent_in_copenhagen_time_never_floating():
    raw = build_request([make_event(start=datetime(2026, 7, 1, 7, 0, tzinfo=UTC), end=datetime(2026, 7, 1, 8, 0, tzinfo=UTC))])
    lines = unfolded_lines(raw)
    lines = lines[lines.index("BEGIN:VEVENT") :]
    assert "DTSTART;TZID=Europe/Copenhagen:20260701T090000" in lines
    assert "DTEND;TZID=Europe/Copenhagen:20260701T100000" in lines
    assert not any(re.fullmatch(r"DT(START|END):\d{8}T\d{6}", line) for line in lines)


@pytest.mark.parametrize("field", ["start", "end", "dtstamp"])
def test_naive_datetimes_are_refused(field):
    with pytest.raises(ValueError, match="tidszone"):
        build_request([make_event(**{field: datetime(2026, 3, 12, 9, 0)})])


@pytest.mark.parametrize(
    "changes",
    [
        {"end": datetime(2026, 3, 12, 8, 0, tzinfo=CPH)},
        {"sequence": -1},
        {"sequence": True},
        {"uid": ""},
        {"uid": "a b"},
        {"uid": "x\r\nATTENDEE:mailto:evil@x.dk"},
        {"attendees": ()},
        {"organizer": Person("X", "not-an-address")},
        {"organizer": Person("X", "x@y.dk\r\nATTENDEE:mailto:evil@x.dk")},
        {"attendees": (Attendee("X", "x@y.dk;ROLE=CHAIR"),)},
        {"attendees": (Attendee("X", 'x"@y.dk'),)},
        {"url": "javascript:alert(1)"},
        {"url": "https://k.test/svar\r\nATTENDEE:mailto:evil@x.dk"},
        {"url": "https://k.test/a b"},
        {"rrule": "FREQ=WEEKLY\r\nATTENDEE:mailto:evil@x.dk"},
        {"rrule": "FREQ=WEEKLY;X-EVIL=1"},
        {"rrule": "INTERVAL=2"},
        {"rrule": {"FREQ": "WEEKLY", "X-EVIL": "a:b"}},
        {"rrule": {"FREQ": "WEEKLY", "INTERVAL": "2\r\nATTENDEE:mailto:evil@x.dk"}},
    ],
    ids=lambda c: next(iter(c)),
)
def test_invalid_events_are_refused_with_a_danish_message(changes):
    with pytest.raises(ValueError) as error:
        build_request([make_event(**changes)])
    assert not isinstance(error.value, CalendarParseError)
    assert "evil" not in str(error.value)


def test_meeting_created_changed_cancelled_gives_request_request_cancel():
    created = make_event()
    changed = replace(
        created,
        sequence=1,
        dtstamp=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        start=datetime(2026, 3, 13, 13, 0, tzinfo=CPH),
        end=datetime(2026, 3, 13, 14, 0, tzinfo=CPH),
    )
    cancelled = replace(changed, sequence=2, dtstamp=datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    messages = [build_request([created]), build_request([changed]), build_cancel([cancelled])]
    methods = [str(Calendar.from_ical(m)["METHOD"]) for m in messages]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    vevents = [only_vevent(m) for m in messages]
    assert {str(v["UID"]) for v in vevents} == {created.uid}
    assert [v["SEQUENCE"] for v in vevents] == [0, 1, 2]
    assert [v["DTSTAMP"].dt for v in vevents] == [
        datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 6, 9, 0, tzinfo=UTC),
    ]
    assert str(vevents[2]["STATUS"]) == "CANCELLED"
    assert {str(a) for a in vevents[2]["ATTENDEE"]} == {
        "mailto:jens@skole.randers.dk",
        "mailto:aase@sundhedsplejen.dk",
    }


def test_removing_one_attendee_names_only_them_and_does_not_cancel_the_meeting():
    removal = make_event(sequence=3, attendees=(HEALTH_VISITOR,))
    raw = build_cancel([removal], whole_event=False)
    vevent = only_vevent(raw)
    assert str(Calendar.from_ical(raw)["METHOD"]) == "CANCEL"
    assert "STATUS" not in vevent
    assert vevent["ATTENDEE"] == "mailto:aase@sundhedsplejen.dk"
    assert property_names(raw).count("ATTENDEE") == 1


def test_cancel_must_name_whom_it_cancels_for():
    with pytest.raises(ValueError, match="deltagere"):
        build_cancel([make_event(attendees=())])


def test_familieraadslagning_in_three_parts_gives_three_vevents_with_own_uids():
    day = date(2026, 4, 14)
    at = lambda h, m=0: datetime(day.year, day.month, day.day, h, m, tzinfo=CPH)  # noqa: E731
    mother = Attendee("Mor", "mor@example.dk", role=Role.CHAIR)
    grandmother = Attendee("Mormor", "mormor@example.dk")
    worker = Attendee("Socialrådgiver", "sr@randers.dk")
    parts = [
        make_event(uid="fr-7-information@koordinator.test", summary="Familierådslagning – information",
                   start=at(9), end=at(10), attendees=(mother, grandmother, worker, TEACHER)),
        make_event(uid="fr-7-privat-tid@koordinator.test", summary="Familierådslagning – familiens egen tid",
                   start=at(10), end=at(12), attendees=(mother, grandmother)),
        make_event(uid="fr-7-plan@koordinator.test", summary="Familierådslagning – planen fremlægges",
                   start=at(12), end=at(13), attendees=(mother, grandmother, worker)),
    ]
    raw = build_request(parts)
    vevents = Calendar.from_ical(raw).walk("VEVENT")
    assert len(vevents) == 3
    assert len({str(v["UID"]) for v in vevents}) == 3
    private_time = next(v for v in vevents if "egen tid" in str(v["SUMMARY"]))
    assert {str(a) for a in private_time["ATTENDEE"]} == {"mailto:mor@example.dk", "mailto:mormor@example.dk"}
    assert len(Calendar.from_ical(raw).walk("VTIMEZONE")) == 1


# --- time zone --------------------------------------------------------------


@pytest.mark.parametrize(
    "local",
    [
        datetime(2026, 1, 15, 9, 0),
        datetime(2026, 3, 28, 9, 0),  # Saturday before summer time
        datetime(2026, 3, 30, 9, 0),  # Monday after
        datetime(2026, 10, 24, 9, 0),  # Saturday before winter time
        datetime(2026, 10, 26, 9, 0),  # Monday after
        datetime(2027, 7, 1, 9, 0),
    ],
)
def test_vtimezone_covers_the_event_and_its_daylight_saving_rules(local):
    start = local.replace(tzinfo=CPH)
    raw = build_request([make_event(start=start, end=start + timedelta(hours=1))])
    [vtimezone] = Calendar.from_ical(raw).walk("VTIMEZONE")
    assert {c.name for c in vtimezone.subcomponents} >= {"STANDARD", "DAYLIGHT"}
    tz_from_invite = vtimezone.to_tz()
    for probe in (local, local + timedelta(days=183), local - timedelta(days=183)):
        assert probe.replace(tzinfo=tz_from_invite).utcoffset() == probe.replace(tzinfo=CPH).utcoffset()


def _offsets_disagreeing(vtimezone, moments) -> list[datetime]:
    """The local moments where the VTIMEZONE's own definition (not the tzdata zone its TZID
    names) gives another UTC offset than tzdata."""
    from_definition = vtimezone.to_tz(lookup_tzid=False)
    return [m for m in moments
            if m.replace(tzinfo=from_definition).utcoffset() != m.replace(tzinfo=CPH).utcoffset()]


def _hours_around_every_transition(first_year: int, last_year: int) -> list[datetime]:
    """Every whole local hour of every last Sunday of March and October, and noon of every
    month, leaving out the non-existent 02:00 of the spring-forward day."""
    moments = []
    for year in range(first_year, last_year + 1):
        moments += [datetime(year, month, 15, 12) for month in range(1, 13)]
        for month in (3, 10):
            day = max(d for d in range(25, 32) if date(year, month, d).weekday() == 6)
            moments += [datetime(year, month, day, hour) for hour in range(24)
                        if not (month == 3 and hour == 2)]
    return moments


def test_vtimezone_of_an_open_series_holds_for_every_year():
    """An open series has instances in every later year; the VTIMEZONE must give each the
    right offset (one ending in 2038 made libical put the 2039 meetings an hour off)."""
    series = make_event(rrule={"FREQ": "WEEKLY", "INTERVAL": 2})
    [vtimezone] = Calendar.from_ical(build_publish([series], "Teammøder")).walk("VTIMEZONE")
    assert _offsets_disagreeing(vtimezone, _hours_around_every_transition(2026, 2100)) == []
    assert datetime(2039, 7, 1, 9).replace(tzinfo=vtimezone.to_tz(lookup_tzid=False)
                                           ).utcoffset() == timedelta(hours=2)


def test_vtimezone_read_by_vobject_gives_the_2039_instances_their_summer_offset():
    vobject = pytest.importorskip("vobject")
    series = make_event(rrule={"FREQ": "WEEKLY", "INTERVAL": 2})
    calendar = vobject.readOne(build_publish([series], "Teammøder").decode())
    starts = [d for d in calendar.vevent.getrruleset(addRDate=True).between(
        datetime(2039, 6, 1, tzinfo=UTC), datetime(2039, 12, 31, tzinfo=UTC))]
    assert starts and {(d.astimezone(CPH).hour, d.astimezone(CPH).minute) for d in starts} == {(9, 0)}
    assert {d.utcoffset() for d in starts} == {timedelta(hours=1), timedelta(hours=2)}


def test_vtimezone_also_covers_dates_before_the_current_rules():
    old = make_event(start=datetime(1990, 5, 2, 9, tzinfo=CPH), end=datetime(1990, 5, 2, 10, tzinfo=CPH),
                     rrule={"FREQ": "YEARLY"})
    [vtimezone] = Calendar.from_ical(build_publish([old], "Gammelt")).walk("VTIMEZONE")
    assert _offsets_disagreeing(vtimezone, [datetime(y, m, 15, 12) for y in range(1989, 2060)
                                            for m in range(1, 13)]) == []


# --- feed -------------------------------------------------------------------


def team_meeting_series() -> CalendarEvent:
    return make_event(
        uid="teammoede-serie@koordinator.test",
        summary="Teammøde – status på familierådslagning og BIC",
        start=datetime(2026, 9, 1, 9, 0, tzinfo=CPH),
        end=datetime(2026, 9, 1, 10, 0, tzinfo=CPH),
        rrule={"FREQ": "WEEKLY", "INTERVAL": 2, "UNTIL": datetime(2027, 4, 30, 22, 0, tzinfo=UTC)},
        exdates=(datetime(2026, 12, 22, 9, 0, tzinfo=CPH),),
    )


def test_until_given_in_local_time_is_sent_in_utc():
    series = make_event(rrule={"FREQ": "WEEKLY", "UNTIL": datetime(2026, 6, 30, 23, 59, tzinfo=CPH)})
    assert "RRULE:FREQ=WEEKLY;UNTIL=20260630T215900Z" in unfolded_lines(build_publish([series], "x"))
    with pytest.raises(ValueError, match="tidszone"):
        build_publish([make_event(rrule={"FREQ": "WEEKLY", "UNTIL": datetime(2026, 6, 30, 23, 59)})], "x")


def test_feed_has_calendar_name_timezone_and_refresh_interval():
    raw = build_publish([team_meeting_series()], "Teammøder, Familieafdelingen")
    cal = Calendar.from_ical(raw)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert text_value(cal["X-WR-CALNAME"]) == "Teammøder, Familieafdelingen"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Copenhagen"
    lines = unfolded_lines(raw)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert_well_formed(raw)


@pytest.mark.parametrize("name", ["Østre Skole; 0.-3. klasse, SFO", "a,b;c\\d", "Teammøde, Randers; Familie"])
def test_calendar_name_is_escaped_so_every_parser_reads_it_whole(name):
    raw = build_publish([team_meeting_series()], name)
    lines = unfolded_lines(raw)
    escaped = clean_name(name).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    assert f"NAME:{escaped}" in lines and f"X-WR-CALNAME:{escaped}" in lines
    calendar = Calendar.from_ical(raw)
    assert text_value(calendar["NAME"]) == text_value(calendar["X-WR-CALNAME"]) == clean_name(name)
    vobject = pytest.importorskip("vobject")
    parsed = vobject.readOne(raw.decode())
    assert parsed.contents["x-wr-calname"][0].value == clean_name(name)
    assert parsed.contents["name"][0].value == clean_name(name)


def test_feed_never_lists_attendees():
    raw = build_publish([team_meeting_series()], "Teammøder")
    assert "ATTENDEE" not in property_names(raw)
    assert b"jens@skole" not in raw
    assert "ORGANIZER" in property_names(raw)


def test_empty_feed_is_a_valid_calendar():
    cal = Calendar.from_ical(build_publish([], "Ingen møder"))
    assert cal.walk("VEVENT") == []
    assert str(cal["METHOD"]) == "PUBLISH"


def test_fortnightly_series_expands_to_0900_local_across_both_dst_changes_and_skips_exdate():
    raw = build_publish([team_meeting_series()], "Teammøder")
    vevent = only_vevent(raw)
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270430T220000Z;INTERVAL=2" in unfolded_lines(raw)
    assert vevent["EXDATE"].params["TZID"] == "Europe/Copenhagen"

    occurrences = recurring_ical_events.of(Calendar.from_ical(raw)).between(date(2026, 8, 1), date(2027, 6, 1))
    starts = sorted(o["DTSTART"].dt for o in occurrences)

    expected_days = [date(2026, 9, 1) + timedelta(days=14 * k) for k in range(30)]
    expected_days = [d for d in expected_days if d <= date(2027, 4, 30) and d != date(2026, 12, 22)]
    assert [s.date() for s in starts] == expected_days
    for start in starts:
        local = start.astimezone(CPH)
        assert (local.hour, local.minute) == (9, 0)
    offsets = {s.date(): s.utcoffset() for s in starts}
    assert offsets[date(2026, 10, 13)] == timedelta(hours=2)  # before the October change
    assert offsets[date(2026, 10, 27)] == timedelta(hours=1)  # after it
    assert offsets[date(2027, 3, 16)] == timedelta(hours=1)  # before the March change
    assert offsets[date(2027, 3, 30)] == timedelta(hours=2)  # after it
    assert date(2026, 12, 22) not in offsets


def test_feed_carries_a_moved_occurrence_as_recurrence_id():
    series = team_meeting_series()
    moved = replace(
        series,
        rrule=None,
        exdates=(),
        recurrence_id=datetime(2026, 11, 10, 9, 0, tzinfo=CPH),
        start=datetime(2026, 11, 11, 13, 0, tzinfo=CPH),
        end=datetime(2026, 11, 11, 14, 0, tzinfo=CPH),
        sequence=1,
    )
    raw = build_publish([series, moved], "Teammøder")
    occurrences = recurring_ical_events.of(Calendar.from_ical(raw)).between(date(2026, 11, 1), date(2026, 11, 20))
    assert [o["DTSTART"].dt for o in occurrences] == [datetime(2026, 11, 11, 13, 0, tzinfo=CPH)]


# --- folding, escaping, injection -------------------------------------------

LONG_DANISH = (
    "Familierådslagning for Søren og Åse: mødet handler om trivsel, skolegang og "
    "samvær; bedstemor Ærø-Østergaard deltager, og PPR giver en kort status. "
) * 8


def test_long_danish_text_is_folded_at_75_octets_without_splitting_letters():
    event = make_event(summary=LONG_DANISH[:200], description=LONG_DANISH, location="Rådhuset, lokale ÆØÅ " * 10)
    raw = build_request([event])
    assert_well_formed(raw)
    assert any(len(line) == 75 or len(line) == 74 for line in raw.split(b"\r\n"))
    vevent = only_vevent(raw)
    assert str(vevent["DESCRIPTION"]) == LONG_DANISH
    assert str(vevent["SUMMARY"]) == LONG_DANISH[:200]


def test_text_values_are_escaped():
    text = 'Punkt 1; punkt 2, punkt 3\\slut\nNy linje: "citat"'
    raw = build_request([make_event(description=text)])
    [line] = [line for line in unfolded_lines(raw) if line.startswith("DESCRIPTION")]
    assert line == 'DESCRIPTION:Punkt 1\\; punkt 2\\, punkt 3\\\\slut\\nNy linje: "citat"'
    assert str(only_vevent(raw)["DESCRIPTION"]) == text


INJECTIONS = [
    "Møde\r\nATTENDEE;CN=Far:mailto:far@example.dk",
    "Møde\nLOCATION:Krisecentret, Randersvej 1",
    "Møde\rURL:https://evil.example",
    "Møde\r\n END:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil",
    'Jens"; ROLE=CHAIR; X="',
    "Jens:mailto:far@example.dk\r\nATTENDEE:mailto:far@example.dk",
    'Jens";PARTSTAT=ACCEPTED:mailto:far@example.dk',
    "a,b;c:d\\e",
    "Møde\u2028LOCATION:Krisecentret",
    "Møde\x85ATTENDEE:mailto:far@example.dk",
    "Møde\x0bATTENDEE:mailto:far@example.dk",
    "Møde\x00\x1b[31m",
    "Jens\\",
    "Jens\\;ROLE=CHAIR",
    'Jens\\"; ROLE=CHAIR',
]


@pytest.mark.parametrize("evil", INJECTIONS)
@pytest.mark.parametrize("field", ["summary", "description", "location", "attendee", "organizer"])
def test_no_property_can_be_injected(field, evil):
    if field == "attendee":
        event = make_event(attendees=(Attendee(evil, "jens@skole.randers.dk"),))
    elif field == "organizer":
        event = make_event(attendees=(TEACHER,), organizer=Person(evil, "sofie@randers.dk"))
    else:
        event = make_event(attendees=(TEACHER,), **{field: evil})
    for raw in (build_request([event]), build_cancel([event]), build_publish([event], evil)):
        assert_well_formed(raw)
        names = property_names(raw)
        assert names.count("BEGIN") == names.count("END")
        assert names.count("UID") == 1
        assert names.count("ATTENDEE") <= 1
        assert "URL" not in names
        assert names.count("LOCATION") == (1 if field == "location" else 0)
        assert "mailto:far@example.dk" not in [line.split(":", 1)[-1] for line in unfolded_lines(raw) if line.startswith("ATTENDEE")]
        vevent = only_vevent(raw)
        assert set(vevent.keys()) <= VEVENT_PROPS | {"DESCRIPTION", "LOCATION"}
        if field == "attendee" and "ATTENDEE" in vevent:
            attendee = vevent["ATTENDEE"]
            assert attendee == "mailto:jens@skole.randers.dk"
            assert attendee.params["CN"] == clean_name(evil)
            assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        if field in ("summary", "description", "location"):
            assert str(vevent[field.upper()]) == clean_text(evil)


@pytest.mark.parametrize("name", ["Hansen; Jens", "Jens: lærer", "Jens, lærer", "Ølgaard & Co"])
def test_cn_with_separators_is_quoted(name):
    raw = build_request([make_event(attendees=(Attendee(name, "jens@skole.randers.dk"),))])
    [line] = [line for line in unfolded_lines(raw) if line.startswith("ATTENDEE")]
    if any(ch in name for ch in ";:,"):
        assert line.startswith(f'ATTENDEE;CN="{name}"')
    assert only_vevent(raw)["ATTENDEE"].params["CN"] == name


def test_backslash_in_a_name_cannot_swallow_the_next_parameter():
    raw = build_request([make_event(attendees=(Attendee("Jens\\", "jens@skole.randers.dk", role=Role.CHAIR),))])
    params = only_vevent(raw)["ATTENDEE"].params
    assert params["CN"] == "Jens/"
    assert params["ROLE"] == "CHAIR"


def test_double_quote_in_a_name_becomes_a_single_quote():
    raw = build_request([make_event(attendees=(Attendee('Jens "Store" Hansen', "jens@skole.randers.dk"),))])
    assert only_vevent(raw)["ATTENDEE"].params["CN"] == "Jens 'Store' Hansen"


def test_empty_name_falls_back_to_the_address():
    raw = build_request([make_event(attendees=(Attendee(" \r\n ", "jens@skole.randers.dk"),))])
    assert only_vevent(raw)["ATTENDEE"].params["CN"] == "jens@skole.randers.dk"


# --- hypothesis properties ---------------------------------------------------

dangerous_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list('\r\n;:,"\\^ \tæøåÆØÅ😀=x\x00\x0b\x85\u2028\ufeff'))),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=dangerous_text, description=dangerous_text, location=dangerous_text, name=dangerous_text)
def test_fuzz_text_round_trips_and_never_adds_a_property(summary, description, location, name):
    event = make_event(
        summary=summary,
        description=description,
        location=location or None,
        attendees=(Attendee(name, "jens@skole.randers.dk"),),
    )
    raw = build_request([event])
    assert_well_formed(raw)

    expected = VEVENT_PROPS | ({"DESCRIPTION"} if description else set()) | ({"LOCATION"} if location else set())
    lines = unfolded_lines(raw)
    body = lines[lines.index("BEGIN:VEVENT") + 1 : lines.index("END:VEVENT")]
    vevent_names = [re.split(r"[;:]", line, maxsplit=1)[0] for line in body]
    assert lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    assert sorted(vevent_names) == sorted(expected)

    cal = Calendar.from_ical(raw)
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE", "VEVENT"]
    vevent = cal.subcomponents[1]
    assert set(vevent.keys()) == expected
    assert vevent.subcomponents == []
    assert str(vevent["SUMMARY"]) == clean_text(summary)
    if description:
        assert str(vevent["DESCRIPTION"]) == clean_text(description)
    if location:
        assert str(vevent["LOCATION"]) == clean_text(location)
    assert vevent["ATTENDEE"].params["CN"] == (clean_name(name) or "jens@skole.randers.dk")


@given(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="\ufeff")))
def test_fuzz_clean_text_keeps_ordinary_text_unchanged(text):
    assert clean_text(text) == text
    assert clean_text(clean_text(text)) == text


@given(st.text())
def test_fuzz_clean_name_is_one_line_and_idempotent(text):
    name = clean_name(text)
    assert clean_name(name) == name
    assert not any(ch in name for ch in '\r\n"\t\\')
    assert name.splitlines() in ([], [name])


# --- replies -----------------------------------------------------------------

OUTLOOK_REPLY = (
    "BEGIN:VCALENDAR\r\n"
    "METHOD:REPLY\r\n"
    "PRODID:Microsoft Exchange Server 2010\r\n"
    "VERSION:2.0\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Romance Standard Time\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED;CN=Jens Ølgaard:MAILTO:Jens@Skole.Randers.dk\r\n"
    "COMMENT;LANGUAGE=da-DK:Jeg kommer gerne\\, men må gå kl. 10.\r\n"
    "SUMMARY;LANGUAGE=da-DK:Accepteret: Netværksmøde\r\n"
    "DTSTART;TZID=Romance Standard Time:20260312T090000\r\n"
    "DTEND;TZID=Romance Standard Time:20260312T103000\r\n"
    "UID:m-100-del-1@koordinator.test\r\n"
    "SEQUENCE:1\r\n"
    "DTSTAMP:20260305T101500Z\r\n"
    "ORGANIZER;CN=Sofie Sørensen:mailto:sofie.sorensen@randers.dk\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
).encode()


def test_parse_outlook_reply():
    [reply] = parse_reply(OUTLOOK_REPLY)
    assert reply == Reply(
        uid="m-100-del-1@koordinator.test",
        sequence=1,
        attendee_email="jens@skole.randers.dk",
        partstat=PartStat.ACCEPTED,
        recurrence_id=None,
        comment="Jeg kommer gerne, men må gå kl. 10.",
        dtstamp=datetime(2026, 3, 5, 10, 15, tzinfo=UTC),
    )


def test_parse_reply_for_one_occurrence_and_without_sequence():
    raw = OUTLOOK_REPLY.replace(b"SEQUENCE:1\r\n", b"RECURRENCE-ID;TZID=Europe/Copenhagen:20261103T090000\r\n")
    raw = raw.replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=declined")
    [reply] = parse_reply(raw)
    assert reply.sequence == 0
    assert reply.partstat is PartStat.DECLINED
    assert reply.recurrence_id == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def test_parse_reply_of_every_part_of_a_familieraadslagning():
    second = OUTLOOK_REPLY.split(b"BEGIN:VEVENT")[1].split(b"END:VCALENDAR")[0]
    second = second.replace(b"m-100-del-1", b"m-100-del-2").replace(b"ACCEPTED", b"TENTATIVE")
    raw = OUTLOOK_REPLY.replace(b"END:VCALENDAR", b"BEGIN:VEVENT" + second + b"END:VCALENDAR")
    replies = parse_reply(raw)
    assert [(r.uid, r.partstat) for r in replies] == [
        ("m-100-del-1@koordinator.test", PartStat.ACCEPTED),
        ("m-100-del-2@koordinator.test", PartStat.TENTATIVE),
    ]


@pytest.mark.parametrize(
    ("reply_sequence", "current_sequence", "counts"),
    [(0, 0, True), (1, 1, True), (2, 1, True), (0, 1, False), (1, 2, False), (3, 7, False)],
)
def test_a_reply_with_lower_sequence_than_current_is_ignored(reply_sequence, current_sequence, counts):
    assert is_newer(reply_sequence, current_sequence) is counts


def test_reply_to_an_outdated_version_is_recognised_as_stale():
    [old] = parse_reply(OUTLOOK_REPLY.replace(b"SEQUENCE:1", b"SEQUENCE:0"))
    [current] = parse_reply(OUTLOOK_REPLY)
    meeting_sequence = 1
    assert not is_newer(old.sequence, meeting_sequence)
    assert is_newer(current.sequence, meeting_sequence)


GARBAGE = {
    "empty": b"",
    "text": b"hello",
    "binary": bytes(range(256)),
    "html": b"<html><body>Svar</body></html>",
    "request, not reply": OUTLOOK_REPLY.replace(b"METHOD:REPLY", b"METHOD:REQUEST"),
    "no method": OUTLOOK_REPLY.replace(b"METHOD:REPLY\r\n", b""),
    "no vevent": b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n",
    "no uid": OUTLOOK_REPLY.replace(b"UID:m-100-del-1@koordinator.test\r\n", b""),
    "no attendee": re.sub(rb"ATTENDEE[^\r]*\r\n", b"", OUTLOOK_REPLY),
    "bad attendee": OUTLOOK_REPLY.replace(b"MAILTO:Jens@Skole.Randers.dk", b"urn:uuid:123"),
    "bad partstat": OUTLOOK_REPLY.replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=MAYBE"),
    "bad sequence": OUTLOOK_REPLY.replace(b"SEQUENCE:1", b"SEQUENCE:en"),
    "negative sequence": OUTLOOK_REPLY.replace(b"SEQUENCE:1", b"SEQUENCE:-3"),
    "bad recurrence-id": OUTLOOK_REPLY.replace(b"SEQUENCE:1", b"RECURRENCE-ID:igaar"),
    "unterminated": OUTLOOK_REPLY[: len(OUTLOOK_REPLY) // 2],
    "two calendars": OUTLOOK_REPLY + OUTLOOK_REPLY,
    "vcard": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jens\r\nEND:VCARD\r\n",
    "deep nesting": b"BEGIN:VCALENDAR\r\n" + b"BEGIN:X\r\n" * 5000 + b"END:X\r\n" * 5000 + b"END:VCALENDAR\r\n",
    "too large": b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"a" * 2_000_000 + b"\r\nEND:VCALENDAR\r\n",
}


@pytest.mark.parametrize("raw", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_raises_calendar_parse_error_in_danish(raw):
    with pytest.raises(CalendarParseError) as error:
        parse_reply(raw)
    message = str(error.value)
    assert re.search(r"[æøå]|kalender|svar", message, re.IGNORECASE)
    assert "Jens" not in message and "MAYBE" not in message


@pytest.mark.parametrize("value", [None, 42, ["BEGIN:VCALENDAR"]])
def test_non_text_input_raises_calendar_parse_error(value):
    with pytest.raises(CalendarParseError):
        parse_reply(value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_parse_reply_raises_nothing_but_calendar_parse_error(raw):
    try:
        replies = parse_reply(raw)
    except CalendarParseError:
        return
    assert all(isinstance(r, Reply) for r in replies)


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(OUTLOOK_REPLY)), junk=st.binary(max_size=40))
def test_fuzz_damaged_reply_raises_nothing_but_calendar_parse_error(position, junk):
    raw = OUTLOOK_REPLY[:position] + junk + OUTLOOK_REPLY[position:]
    try:
        replies = parse_reply(raw)
    except CalendarParseError:
        return
    assert all(isinstance(r.partstat, PartStat) and "@" in r.attendee_email for r in replies)


def test_a_built_request_is_not_accepted_as_a_reply():
    with pytest.raises(CalendarParseError):
        parse_reply(build_request([make_event()]))


def test_reply_round_trip_from_an_attendee_answer_built_with_icalendar():
    request = Calendar.from_ical(build_request([make_event(sequence=4)]))
    request["METHOD"] = "REPLY"
    vevent = request.walk("VEVENT")[0]
    [teacher] = [a for a in vevent["ATTENDEE"] if a == "mailto:jens@skole.randers.dk"]
    teacher.params["PARTSTAT"] = "TENTATIVE"
    vevent["ATTENDEE"] = teacher
    [reply] = parse_reply(request.to_ical())
    assert (reply.uid, reply.sequence, reply.attendee_email, reply.partstat) == (
        "m-100-del-1@koordinator.test", 4, "jens@skole.randers.dk", PartStat.TENTATIVE,
    )
    assert EventStatus.CONFIRMED == str(vevent["STATUS"])


def _answer(method: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", f"METHOD:{method}",
                        "BEGIN:VEVENT", "UID:m-1-del@koordinator.test", "SEQUENCE:2",
                        "DTSTAMP:20260305T101500Z", *lines, "END:VEVENT", "END:VCALENDAR", ""])


def test_sent_by_and_google_response_comment_are_read():
    [reply] = parse_reply(_answer(
        "REPLY", "COMMENT:Fra kalenderen",
        'ATTENDEE;PARTSTAT=ACCEPTED;SENT-BY="mailto:Sekretaer@Skole.dk";'
        'X-RESPONSE-COMMENT="Kommer, men går kl. 11; ok?":mailto:jens@skole.dk'))
    assert reply.sent_by == "sekretaer@skole.dk"
    assert reply.comment == "Kommer, men går kl. 11; ok?\nFra kalenderen"


def test_a_response_comment_property_is_kept_too():
    [reply] = parse_reply(_answer("REPLY", "X-RESPONSE-COMMENT:Jeg kommer",
                                  "ATTENDEE;PARTSTAT=ACCEPTED:mailto:jens@skole.dk"))
    assert reply.comment == "Jeg kommer"


def test_delegation_names_the_delegate():
    first, second = parse_reply(_answer(
        "REPLY", 'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:karen@skole.dk":mailto:jens@skole.dk',
        'ATTENDEE;CN=Karen K;DELEGATED-FROM="mailto:jens@skole.dk":mailto:karen@skole.dk'))
    assert (first.partstat, first.delegated_to) == (PartStat.DELEGATED, ("karen@skole.dk",))
    assert (second.delegated_from, second.name) == (("jens@skole.dk",), "Karen K")


def test_counter_carries_the_proposed_time():
    [reply] = parse_reply(_answer(
        "COUNTER", "DTSTART;TZID=Europe/Copenhagen:20260312T140000", "DURATION:PT90M",
        "ATTENDEE;PARTSTAT=TENTATIVE:mailto:jens@skole.dk"))
    assert reply.method == "COUNTER"
    assert reply.proposed_start == datetime(2026, 3, 12, 13, 0, tzinfo=UTC)
    assert reply.proposed_end == datetime(2026, 3, 12, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize("times", [(), ("DTSTART:20260312T140000Z", "DTEND:20260312T130000Z")])
def test_counter_without_a_usable_time_is_refused_in_danish(times):
    with pytest.raises(CalendarParseError, match="nyt tidspunkt"):
        parse_reply(_answer("COUNTER", *times, "ATTENDEE:mailto:jens@skole.dk"))


@pytest.mark.parametrize(("new", "kept", "wins"), [
    ((1, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)), (1, datetime(2026, 3, 5, 10, 5, tzinfo=UTC)), False),
    ((1, datetime(2026, 3, 5, 10, 5, tzinfo=UTC)), (1, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)), True),
    ((2, datetime(2026, 3, 5, 9, 0, tzinfo=UTC)), (1, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)), True),
    ((1, datetime(2026, 3, 5, 11, 0, tzinfo=UTC)), (2, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)), False),
    ((1, None), (1, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)), True),
])
def test_answers_are_ordered_by_sequence_then_dtstamp(new, kept, wins):
    assert supersedes(*new, *kept) is wins


def test_declinecounter_has_the_rfc_5546_shape():
    event = CalendarEvent(uid="m-1-del@koordinator.test", sequence=2,
                          dtstamp=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
                          start=datetime(2026, 3, 12, 9, 0, tzinfo=CPH),
                          end=datetime(2026, 3, 12, 10, 0, tzinfo=CPH),
                          summary="Netværksmøde", organizer=ORGANIZER, attendees=(TEACHER,))
    calendar = Calendar.from_ical(build_declinecounter(event, TEACHER, "Mødet holdes som planlagt."))
    assert calendar["METHOD"] == "DECLINECOUNTER"
    [vevent] = calendar.walk("VEVENT")
    assert {name for name in vevent} == {"UID", "SEQUENCE", "DTSTAMP", "ORGANIZER", "ATTENDEE", "COMMENT"}
    assert str(vevent["ATTENDEE"]) == "mailto:jens@skole.randers.dk" and vevent["SEQUENCE"] == 2


OWN = object()  # each event's own status


@pytest.mark.parametrize("starts", [
    [datetime(2026, 3, 12, 9, 0, tzinfo=CPH)],
    [datetime(2027, 7, 1, 13, 0, tzinfo=CPH), datetime(2026, 11, 30, 9, 0, tzinfo=CPH)],
    [datetime(1990, 6, 1, 10, 0, tzinfo=CPH)],  # before the yearly rules: tzdata's transitions
])
def test_a_message_is_written_as_the_library_writes_the_whole_calendar(starts):
    """Messages to several partners about the same events: each with its own moment, answer
    link and reminder (the kept lines of the first used for the others)."""
    base = [make_event(uid=f"m-100-del-{i}@koordinator.test", start=start,
                       end=start + timedelta(hours=1), location="Rådhuset",
                       description="Dagsorden:\nBEGIN:VEVENT\r\nDTSTAMP:20000101T000000Z\n"
                                   "URL:x END:VEVENT ; og \\ \r\nCLASS:PUBLIC\nCLASS:x " * 8)
            for i, start in enumerate(starts)]
    partners = [
        {},
        # Each partner sees the others, not themselves: the attendees differ per message
        # (folded names, quoted parameters, every role and answer), the rest is kept.
        {"attendees": (HEALTH_VISITOR,)},
        {"attendees": (LONG_NAMED, TEACHER, QUOTED), "url": "https://koordinator.test/svar/c"},
        {"attendees": (QUOTED, LONG_NAMED), "alarm_minutes": 15},
        {"attendees": (TEACHER,), "rrule": "FREQ=WEEKLY;COUNT=4",
         "exdates": (datetime(2026, 3, 19, 9, 0, tzinfo=CPH),)},
        {"attendees": (QUOTED, TEACHER), "rrule": {"FREQ": "WEEKLY"}},  # not a key
        {"attendees": (LONG_NAMED,), "recurrence_id": datetime(2026, 3, 19, 9, 0, tzinfo=CPH),
         "sequence": 3},
        {"url": "https://koordinator.test/svar/" + "a" * 60, "alarm_minutes": 30},
        {"url": "https://koordinator.test/svar/" + "b" * 20},
        {"alarm_minutes": 24 * 60, "dtstamp": datetime(2026, 12, 5, 10, 0, 1, tzinfo=UTC)},
        {"attendees": (TEACHER,), "status": EventStatus.TENTATIVE, "url": "https://x.test/s"},
    ]
    for partner in partners:
        events = [replace(ev, **partner) for ev in base]
        for method, built, status in (
                ("REQUEST", build_request(events), OWN),
                ("CANCEL", build_cancel(events), EventStatus.CANCELLED),
                ("CANCEL", build_cancel(events, whole_event=False), None)):  # no STATUS
            assert built == _as_the_library_writes_it(ical._calendar(method, ical.PRODID),
                                                      events, True, status)
            assert built.count(b"BEGIN:VTIMEZONE") == 1


def _as_the_library_writes_it(cal, events, with_attendees, status=OWN):
    """The whole calendar written by the library: the VTIMEZONE, then each event as a
    component, with ``status`` (None: no STATUS) or its own."""
    if events:
        cal.add_component(ical.copenhagen_vtimezone(events))
    for ev in events:
        cal.add_component(ical._vevent(ev, with_attendees=with_attendees,
                                       status=ev.status if status is OWN else status))
    return cal.to_ical()


def _publish_as_the_library_writes_it(events, calname):
    return _as_the_library_writes_it(
        ical._publish_calendar(calname, timedelta(hours=1), ical.PRODID), events, False)


def test_a_feed_is_written_as_the_library_writes_it_whatever_its_events_stamps():
    tricky = "DTSTAMP:20000101T000000Z\nDTSTAMP:20000101T000000Z " * 12  # in the text, folded
    events = [
        make_event(),
        make_event(uid="m-2@koordinator.test", description=tricky, location="Lokale 3"),
        make_event(uid="serie-1@koordinator.test", rrule="FREQ=WEEKLY;INTERVAL=2",
                   exdates=(datetime(2026, 3, 26, 9, 0, tzinfo=CPH),)),
        make_event(uid="serie-2@koordinator.test", rrule={"FREQ": "MONTHLY"}),  # not a key
        make_event(uid="m-3@koordinator.test", status=EventStatus.CANCELLED, private=False),
    ]
    for stamp in (datetime(2026, 12, 5, 10, 30, 15, tzinfo=UTC),
                  datetime(2026, 12, 5, 11, 0, tzinfo=CPH),  # kept lines, another stamp
                  datetime(2000, 1, 1, tzinfo=UTC)):  # the kept lines' own stamp
        stamped = [replace(ev, dtstamp=stamp) for ev in events]
        stamped[1] = replace(stamped[1], dtstamp=stamp + timedelta(seconds=7))
        built = build_publish(stamped, "Skolen, 4. klasse")
        assert built == _publish_as_the_library_writes_it(stamped, "Skolen, 4. klasse")
        assert built.count(tricky[:24].encode()) >= 1  # the text itself is left alone
    assert build_publish([], "Tom") == _publish_as_the_library_writes_it([], "Tom")


def test_cleaning_drops_exactly_the_control_characters_surrogates_and_the_bom():
    """The cleaning's character classes are Unicode's control characters (Cc), lone
    surrogates (Cs) and U+FEFF, over every code point, but for the characters a value
    keeps: what a text keeps is what the calendar shows."""
    every = "".join(chr(code) for code in range(0x110000))
    for keep in ("", "\t\n"):
        assert ical._drop_unsafe_chars(every, keep) == "".join(
            ch for ch in every if ch in keep
            or (ch != "\ufeff" and unicodedata.category(ch) not in ("Cc", "Cs")))
