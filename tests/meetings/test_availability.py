"""The slot finder's inputs: working hours, rooms and imported ICS feeds (served by a local
HTTP server started here), through the service and over HTTP."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime, time, timedelta, timezone

import httpx
import pytest

from coordinator import clock as app_clock
from coordinator import web
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.meetings import availability, feeds, planner, service
from coordinator.meetings.tables import BusyFeed, Meeting, MeetingPart, WorkingHours
from coordinator.network.tables import Organisation
from tests import conftest
from tests import factories as f
from tests.meetings import support as s
from tests.meetings.icsserver import IcsServer, Route

UTC = timezone.utc


# The feed tests' ICS server runs on 127.0.0.1, which an administrator allows here by name
# (``BUSY_FEED_ALLOWED_HOSTS``); without it loopback is refused (tests below).
LOOPBACK = ("127.0.0.1",)


@pytest.fixture
def settings():
    """The app under test allows the ICS server's host, as the service calls below do."""
    return conftest.test_settings(busy_feed_allowed_hosts=LOOPBACK)


def _ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nUID:e{i}@example.org\r\nDTSTAMP:20260101T000000Z\r\n{e}"
                   "END:VEVENT\r\n" for i, e in enumerate(events))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//DA\r\n" + body
            + "END:VCALENDAR\r\n").encode()


def _utc(day, hour, minute=0) -> str:
    return datetime.combine(day, time(hour, minute), web.COPENHAGEN).astimezone(UTC).strftime(
        "%Y%m%dT%H%M%SZ")


async def _meeting(worker, *users, family=True, kind="statusmoede"):
    family_row = {"id": await f.family(worker)} if family else None
    meeting_id = await service.create_meeting(worker, family_row, kind, "Status")
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await service.add_participants(worker, meeting, ANY_VERSION, [
        service.NewParticipant(user_id=u.id) for u in (worker, *users)])
    return await Meeting.select().where(Meeting.id == meeting_id).first()


def _query(first, last=None, room=None, minutes=60):
    return service.SlotQuery(first_day=first, last_day=last or first, min_notice=0,
                             durations={"meeting": minutes}, room=room)


def _local(slot):
    return slot.start.astimezone(web.COPENHAGEN), slot.end.astimezone(web.COPENHAGEN)


# ----------------------------------------------------------------------- working hours

async def test_weekly_hours_and_a_day_off_shape_the_slots():
    sara, mads = await f.user(), await f.user()
    meeting = await _meeting(sara, mads)
    day = s.working_day(10)
    owner = availability.Owner(user_id=mads.id)
    await availability.set_weekly_hours(sara, owner, {d: (time(12), time(14)) for d in range(5)},
                                        meeting["family"], "Mads")
    answer = await service.find_slots(meeting, _query(day))
    assert answer.result.slots
    for slot in answer.result.slots:
        start, end = _local(slot)
        assert start.time() >= time(12) and end.time() <= time(14)
    assert any(r.code == "outside_hours" and r.subject_id == f"user:{mads.id}"
               for r in answer.result.rejections)
    await availability.set_date_override(sara, owner, day, None, meeting["family"], "Mads")
    assert not (await service.find_slots(meeting, _query(day))).result.slots
    await availability.remove_date_override(sara, owner, day, meeting["family"], "Mads")
    assert (await service.find_slots(meeting, _query(day))).result.slots
    summaries = [a["summary"] for a in await AuditEvent.select().where(
        AuditEvent.entity == "arbejdstider").order_by(AuditEvent.id)]
    assert len(summaries) == 3 and "mandag 12.00–14.00" in summaries[0]


async def test_hours_form_over_http_saves_defaults_days_off_and_rejects_bad_input(client):
    sara, mads = await f.user(), await f.user()
    meeting = await _meeting(sara, mads)
    page = f"/meetings/{meeting['id']}"
    mads_row = next(p for p in await service.participants_of(meeting["id"]) if p["user"] == mads.id)
    await f.login(client, sara)
    hours_page = f"{page}/participants/{mads_row['id']}/hours"
    text = (await client.get(page)).text
    assert "Arbejdstider og kalendere" in text and f'href="{hours_page}"' in text
    assert 'name="start_0"' not in text  # each participant's form is on their own page
    text = (await client.get(hours_page)).text
    assert 'name="start_0" value="08:00"' in text and "Tilbage til mødet" in text
    form = {f"start_{d}": "09:00" for d in range(5)} | {f"end_{d}": "15:00" for d in range(5)}
    form |= {"off_4": "on", "off_5": "on", "off_6": "on"}
    r = await f.post_form(client, f"{page}/participants/{mads_row['id']}/hours", form,
                          page=hours_page)
    assert r.status_code == 303 and r.headers["location"] == hours_page, r.text[:300]
    assert 'name="start_0" value="09:00"' in (await client.get(hours_page)).text
    rows = {r["weekday"]: (r["starts"], r["ends"]) for r in await WorkingHours.select()}
    assert rows[0] == (time(9), time(15)) and rows[4] == (None, None) and len(rows) == 7
    bad = await f.post_form(client, f"{page}/participants/{mads_row['id']}/hours",
                            {**form, "end_0": "08:00"}, page=page)
    assert bad.status_code == 422 and "efter starttidspunktet" in bad.text
    bad = await f.post_form(client, f"{page}/participants/{mads_row['id']}/hours/date",
                            {"on_date": "2030-01-07", "start": "10:00"}, page=page)
    assert bad.status_code == 422 and "både start og slut" in bad.text
    r = await f.post_form(client, f"{page}/participants/{mads_row['id']}/hours/date",
                          {"on_date": "2030-01-07", "off": "on"}, page=page)
    assert r.status_code == 303
    assert "7. januar 2030: fri" in (await client.get(hours_page)).text
    assert len(await WorkingHours.select()) == 8


# ----------------------------------------------------------------------- rooms

async def test_room_is_required_booked_and_then_busy_for_other_meetings(client):
    sara, mads = await f.user(), await f.user()
    await f.login(client, sara)
    r = await f.post_form(client, "/rooms", {"name": "Mødelokale 1", "location": "Rådhuset, 2. sal",
                                             "capacity": "10"}, page="/rooms")
    assert r.status_code == 303
    dup = await f.post_form(client, "/rooms", {"name": "Mødelokale 1"}, page="/rooms")
    assert dup.status_code == 422
    room_id = (await availability.rooms())[0]["id"]
    first = await _meeting(sara)
    second = await _meeting(mads)
    day = s.working_day(10)
    page = f"/meetings/{first['id']}"
    r = await f.post_form(client, f"{page}/slots", {
        "first_day": day.isoformat(), "last_day": day.isoformat(), "min_notice": "0",
        "duration_meeting": "60", "room": str(room_id)}, page=page, htmx=True)
    assert r.status_code == 200 and "Lokale: Mødelokale 1" in r.text
    answer = await service.find_slots(first, _query(day, room=room_id))
    best = answer.result.slots[0]
    assert best.room_id == str(room_id)
    r = await f.post_form(client, f"{page}/slot", {
        "version": str(first["version"]), "room_id": str(room_id),
        "meeting_start": best.start.isoformat(), "meeting_end": best.end.isoformat()}, page=page)
    assert r.status_code == 303, r.text[:300]
    assert (await Meeting.select().where(Meeting.id == first["id"]).first())["room"] == room_id
    assert "Mødelokale 1" in (await client.get(page)).text
    # The second meeting cannot have the room at that time; any free room finds nothing else.
    again = await service.find_slots(second, _query(day, room=service.ANY_ROOM))
    assert all(not (slot.start < best.end and slot.end > best.start) for slot in again.result.slots)
    assert any(r.code == "no_room" for r in again.result.rejections)
    with pytest.raises(web.UserError) as exc:
        await service.set_times(mads, second, ANY_VERSION, {"meeting": (best.start, best.end)},
                                book_room=room_id)
    assert exc.value.status == 409 and "optaget" in exc.value.message
    parts = await MeetingPart.select().where(MeetingPart.meeting == second["id"])
    assert parts[0]["starts_at"] is None  # nothing saved
    # Cancelling the first meeting frees the room.
    await Meeting.update({Meeting.status: "cancelled"}).where(Meeting.id == first["id"])
    await service.set_times(mads, second, ANY_VERSION, {"meeting": (best.start, best.end)}, book_room=room_id)


async def test_room_at_crisis_centre_makes_the_location_protected():
    sara = await f.user()
    room_id = await availability.create_room(sara, "Samtalerummet", "Krisecentret", 4, True)
    meeting = await _meeting(sara)
    day = s.working_day(10)
    start = datetime.combine(day, time(10), web.COPENHAGEN)
    await service.set_times(sara, meeting, ANY_VERSION, {"meeting": (start, start + timedelta(hours=1))},
                            book_room=room_id)
    meeting = await Meeting.select().where(Meeting.id == meeting["id"]).first()
    where = await service._place(meeting)
    assert where.protected and "Samtalerummet" in where.text


# ----------------------------------------------------------------------- feeds (pure)

def test_parse_ics_busy_transparent_cancelled_all_day_recurring_and_freebusy():
    day = s.working_day(10)
    ics = _ics(f"DTSTART:{_utc(day, 9)}\r\nDTEND:{_utc(day, 10)}\r\nRRULE:FREQ=DAILY;COUNT=2\r\n",
               f"DTSTART:{_utc(day, 11)}\r\nDTEND:{_utc(day, 12)}\r\nTRANSP:TRANSPARENT\r\n",
               f"DTSTART:{_utc(day, 13)}\r\nDTEND:{_utc(day, 14)}\r\nSTATUS:CANCELLED\r\n",
               f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nDTEND;VALUE=DATE:{day + timedelta(days=2):%Y%m%d}\r\n")
    ics = ics.replace(b"END:VCALENDAR", (
        f"BEGIN:VFREEBUSY\r\nUID:fb@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        f"FREEBUSY:{_utc(day, 15)}/PT30M\r\nFREEBUSY;FBTYPE=FREE:{_utc(day, 8)}/PT1H\r\n"
        "END:VFREEBUSY\r\nEND:VCALENDAR").encode())
    start = datetime.combine(day, time(0), web.COPENHAGEN)
    got = feeds.parse_ics(ics, start, start + timedelta(days=5))
    busy = sorted((b.start.astimezone(web.COPENHAGEN).strftime("%d %H:%M")
                   for b in got if isinstance(b, planner.Busy)))
    assert busy == sorted([f"{day:%d} 09:00", f"{day + timedelta(days=1):%d} 09:00", f"{day:%d} 15:00"])
    assert [b for b in got if isinstance(b, planner.AllDay)] == [
        planner.AllDay(day, day + timedelta(days=1))]
    assert feeds.decode_busy(feeds.encode_busy(got)) == got
    with pytest.raises(feeds.FeedError):
        feeds.parse_ics(b"not a calendar", start, start + timedelta(days=1))


@pytest.mark.parametrize("url", ["ftp://example.org/a.ics", "file:///etc/passwd", "example.org",
                                 "http://", "javascript:alert(1)"])
def test_only_http_and_https_urls(url):
    with pytest.raises(feeds.FeedError):
        feeds.check_url(url)


# ----------------------------------------------------------------------- feeds (fetched)

async def test_feed_blocks_slots_is_cached_for_15_minutes_and_uses_etag():
    sara, mads = await f.user(), await f.user()
    meeting = await _meeting(sara, mads)
    day = s.working_day(10)
    with IcsServer() as srv:
        srv.routes["/mads.ics"] = Route(_ics(
            f"DTSTART:{_utc(day, 8)}\r\nDTEND:{_utc(day, 13)}\r\n",
            f"DTSTART:{_utc(day, 13)}\r\nDTEND:{_utc(day, 16)}\r\nTRANSP:TRANSPARENT\r\n",
            f"DTSTART;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}\r\n"), etag='"v1"')
        await availability.set_feed(sara, url=srv.url("/mads.ics"),
                                    owner=availability.Owner(user_id=mads.id), name="Mads",
                                    allowed_hosts=LOOPBACK)
        now = app_clock.now()
        answer = await service.find_slots(meeting, _query(day, day + timedelta(days=1)), now=now,
                                          allowed_hosts=LOOPBACK)
        assert answer.warnings == [] and answer.result.slots
        for slot in answer.result.slots:  # busy until 13, the transparent event does not count
            start, _ = _local(slot)
            assert start.date() == day and start.time() >= time(13)
        assert srv.hits["/mads.ics"] == 1
        await service.find_slots(meeting, _query(day), now=now + timedelta(minutes=14),
                                 allowed_hosts=LOOPBACK)
        assert srv.hits["/mads.ics"] == 1  # cached
        again = await service.find_slots(meeting, _query(day), now=now + timedelta(minutes=16),
                                         allowed_hosts=LOOPBACK)
        assert srv.hits["/mads.ics"] == 2 and again.result.slots  # 304: cached busy kept
        row = await BusyFeed.select().first()
        assert row["etag"] == '"v1"' and row["error"] == "" and len(feeds.decode_busy(row["busy_json"])) == 2


@pytest.mark.parametrize("route,message", [
    (Route(b"oops", status=500), "fejl 500"),
    (Route(b"", status=302, headers={"Location": "file:///etc/passwd"}), "http://"),
    (Route(b"BEGIN:VCALENDAR\r\n" + b"X" * (feeds.MAX_BYTES + 10)), "for stor"),
    (Route(b"<html>not a calendar</html>"), "ikke gyldig iCalendar"),
])
async def test_feed_errors_become_a_danish_warning_on_the_meeting_page(client, route, message):
    sara, mads = await f.user(), await f.user()
    meeting = await _meeting(sara, mads)
    page = f"/meetings/{meeting['id']}"
    day = s.working_day(10)
    with IcsServer() as srv:
        srv.routes["/bad.ics"] = route
        await f.login(client, sara)
        mads_row = next(p for p in await service.participants_of(meeting["id"]) if p["user"] == mads.id)
        r = await f.post_form(client, f"{page}/participants/{mads_row['id']}/feed",
                              {"url": srv.url("/bad.ics"), "scope": "own"}, page=page)
        assert r.status_code == 303
        r = await f.post_form(client, f"{page}/slots", {
            "first_day": day.isoformat(), "last_day": day.isoformat(), "min_notice": "0",
            "duration_meeting": "60"}, page=page, htmx=True)
        assert r.status_code == 200 and "Forslag til tidspunkter" in r.text
        assert message in r.text and "kunne ikke bruges" in r.text
        text = (await client.get(page)).text
        assert message in text and "Den seneste kendte kalender bruges" in text


async def test_redirect_to_http_is_followed_and_bad_url_is_refused(client):
    sara, mads = await f.user(), await f.user()
    meeting = await _meeting(sara, mads)
    day = s.working_day(10)
    with IcsServer() as srv:
        srv.routes["/old.ics"] = Route(b"", status=301, headers={"Location": "/new.ics"})
        srv.routes["/new.ics"] = Route(_ics(f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\n"))
        got = await feeds.fetch(srv.url("/old.ics"), allowed_hosts=LOOPBACK)
        assert b"VEVENT" in got.body and srv.hits["/new.ics"] == 1
    await f.login(client, sara)
    page = f"/meetings/{meeting['id']}"
    row = (await service.participants_of(meeting["id"]))[1]
    r = await f.post_form(client, f"{page}/participants/{row['id']}/feed",
                          {"url": "ftp://example.org/x.ics"}, page=page)
    assert r.status_code == 422 and "http://" in r.text and await BusyFeed.count() == 0


async def test_organisation_feed_applies_to_its_people_and_external_participants():
    sara = await f.user()
    org = (await Organisation.insert(Organisation(name="Byskolen", kind="school", sector="school")))[0]["id"]
    meeting = await _meeting(sara, family=False, kind="agreement_evaluation")
    await service.add_participants(sara, meeting, ANY_VERSION, [service.NewParticipant(
        name="Lise Lærer", email="lise@example.org", organisation="Byskolen")])
    day = s.working_day(10)
    with IcsServer() as srv:
        srv.routes["/school.ics"] = Route(_ics(f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\n"))
        await availability.set_feed(sara, url=srv.url("/school.ics"), organisation_id=org,
                                    name="Byskolen", allowed_hosts=LOOPBACK)
        meeting = await Meeting.select().where(Meeting.id == meeting["id"]).first()
        answer = await service.find_slots(meeting, _query(day), allowed_hosts=LOOPBACK)
        assert not answer.result.slots
        assert any("Lise Lærer" in r.message for r in answer.result.rejections)


# ----------------------------------------------------------------------- speed

async def test_planner_finds_slots_for_12_people_and_500_busy_intervals_from_the_database():
    worker = await f.user()
    colleagues = [await f.user() for _ in range(11)]
    meeting = await _meeting(worker, *colleagues)
    first = s.working_day(10)
    intervals = []
    for i in range(500):
        day = first + timedelta(days=i % 28)
        start = datetime.combine(day, time(8 + i % 7, 15 * (i % 4)), web.COPENHAGEN)
        intervals.append(planner.Busy(start.astimezone(UTC), (start + timedelta(minutes=45)).astimezone(UTC)))
    for n, user in enumerate([worker, *colleagues]):
        await BusyFeed.insert(BusyFeed(user=user.id, url="http://127.0.0.1:9/none.ics",
                                       last_fetched=app_clock.now(),
                                       busy_json=feeds.encode_busy(intervals[n::12])))
    query = _query(first, first + timedelta(days=27))
    request, warnings = await service.planning_request(meeting, query, app_clock.now())
    assert warnings == [] and sum(len(p.busy) for p in request.participants) == 500
    assert planner.find_slots(request).slots  # its speed: bench/bench_planner.py


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x.ics", "http://localhost/x.ics", "http://10.1.2.3/x.ics",
    "http://192.168.0.10/x.ics", "http://169.254.169.254/latest/meta-data", "http://[::1]/x.ics",
    "http://[::ffff:127.0.0.1]/x.ics", "http://224.0.0.1/x.ics", "http://0.0.0.0/x.ics",
])
async def test_busy_feeds_never_reach_internal_addresses(url):
    with pytest.raises(feeds.FeedError, match="internt netværk"):
        await feeds.fetch(url)


async def test_a_redirect_into_the_internal_network_is_refused_too():
    """The first host is allowed by name (as an administrator might allow one server); its
    redirect to another internal address is checked again and refused."""
    with IcsServer() as srv:
        srv.routes["/moved.ics"] = Route(status=302, headers={"Location": "http://10.0.0.5/x.ics"})
        with pytest.raises(feeds.FeedError, match="internt netværk"):
            await feeds.fetch(srv.url("/moved.ics"), allowed_hosts=LOOPBACK)
        assert srv.hits["/moved.ics"] == 1


async def test_the_checked_address_is_the_one_connected_to(monkeypatch):
    """DNS rebinding: the name answers a public address when it is checked and an internal
    one afterwards. The request goes to the checked address (the name only in Host and in
    TLS), so the second answer is never used."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    async def getaddrinfo(host, port, **_):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), 0))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["host"],
                     request.extensions.get("sni_hostname")))
        return httpx.Response(200, content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")

    await feeds.fetch("https://kalender.example.org/fri.ics", transport=httpx.MockTransport(handler))
    assert seen == [("93.184.216.34", "kalender.example.org", "kalender.example.org")]


async def test_saving_an_internal_feed_address_is_refused_in_danish(client):
    sara = await f.user()
    with pytest.raises(web.UserError, match="internt netværk"):
        await availability.set_feed(sara, url="http://127.0.0.1:8000/kalender.ics",
                                    owner=availability.Owner(user_id=sara.id))


async def test_a_room_is_edited_and_taken_out_of_use_with_history(client):
    sara = await f.user()
    await f.login(client, sara)
    await f.post_form(client, "/rooms", {"name": "Mødelokale 1", "capacity": "10"}, page="/rooms")
    await f.post_form(client, "/rooms", {"name": "Mødelokale 2"}, page="/rooms")
    room_id = (await availability.rooms())[0]["id"]
    r = await f.post_form(client, f"/rooms/{room_id}", {
        "name": "Mødelokale 1", "location": "Rådhuset, 3. sal", "capacity": "8"}, page="/rooms")
    assert r.status_code == 303
    assert [x["name"] for x in await availability.rooms()] == ["Mødelokale 2"]  # not in use
    page = (await client.get("/rooms")).text
    assert "Ikke i brug" in page and "Rådhuset, 3. sal" in page
    [event] = await AuditEvent.select().where(AuditEvent.summary.like("Mødelokale 1:%"))
    assert "Pladser: »10« → »8«" in event["summary"] and "I brug: »ja« → »nej«" in event["summary"]
    clash = await f.post_form(client, f"/rooms/{room_id}", {"name": "Mødelokale 2", "active": "on"},
                              page="/rooms")
    assert clash.status_code == 422 and "findes allerede" in clash.text
    missing = await f.post_form(client, "/rooms/999999", {"name": "X"}, page="/rooms")
    assert missing.status_code == 404
