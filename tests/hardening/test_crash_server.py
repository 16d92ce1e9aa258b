"""kill -9 the real server in the middle of concurrent writes: nothing is half-written.

Several browser sessions plan network meetings through HTTP at once (create the meeting
with its part and time, invite a person, plan, send the invites — the last step writes
the outbox rows in the same transaction). The server is killed with SIGKILL while
requests are in flight, restarted, and the database must show only whole changes:
every meeting has all its parts, every participant at least one part, outbox rows
exist exactly for meetings whose "send invites" committed, and every write the server
acknowledged (303) is there. SQLite must also pass ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import date, datetime, time as dtime, timedelta

from coordinator import clock as app_clock
from coordinator import db, web
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import kinds, planner
from coordinator.meetings.tables import Meeting, MeetingChange, MeetingPart, Participant, ParticipantPart
from coordinator.network.tables import Person
from coordinator.settings import Settings
from tests import conftest, factories
from tests.hardening.server import Server, logged_in, post

SESSIONS = 6
KILL_AFTER_SECONDS = 2.5
TEST_BUDGET_SECONDS = 120


def _day(after: int) -> date:
    day = app_clock.today() + timedelta(days=after)
    while not planner.is_working_day(day):
        day += timedelta(days=1)
    return day


def _slot(n: int) -> dict[str, str]:
    """A distinct future working-day slot per meeting (09:00–11:00 local)."""
    day = _day(7 + n % 40)
    start = datetime.combine(day, dtime(9, 0))
    return {"meeting_start": start.strftime("%Y-%m-%dT%H:%M"),
            "meeting_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}


async def _session_loop(session, family_id: int, person_ids: list[int], index: int,
                        acknowledged: dict[str, set], stop: asyncio.Event) -> None:
    """One browser planning meetings until told to stop (or the server dies under it)."""
    client, token = session
    n = index * 1000
    try:
        while not stop.is_set():
            n += 1
            data = {"kind": "netvaerksmoede", "title": f"Netværksmøde {n}",
                    "location": "Familieafdelingen, mødelokale 2", **_slot(n)}
            created = await post(client, token, f"/families/{family_id}/meetings/", data)
            assert created.status_code == 303, created.text[:500]
            meeting_id = int(created.headers["location"].rsplit("/", 1)[1])
            acknowledged["created"].add(meeting_id)
            added = await post(client, token, f"/meetings/{meeting_id}/participants",
                               {"person_id": str(person_ids[n % len(person_ids)]), "version": "1"})
            assert added.status_code == 303, added.text[:500]
            acknowledged["participant"].add(meeting_id)
            for version, target in ((2, "planned"), (3, "invited")):
                moved = await post(client, token, f"/meetings/{meeting_id}/status",
                                   {"target": target, "version": str(version)})
                assert moved.status_code == 303, moved.text[:500]
            acknowledged["invited"].add(meeting_id)
    except (OSError, asyncio.TimeoutError) as exc:  # the server was killed under us
        acknowledged["cut"].add(index)
    except Exception as exc:  # httpx wraps connection errors
        if stop.is_set() and "httpx" in type(exc).__module__:
            acknowledged["cut"].add(index)
        else:
            raise
    finally:
        await client.aclose()


async def _check_whole(acknowledged: dict[str, set]) -> dict[str, int]:
    """The invariants after the crash; returns counts for the report."""
    meetings = await Meeting.select(Meeting.id, Meeting.kind, Meeting.status)
    parts = await MeetingPart.select(MeetingPart.meeting)
    participants = await Participant.select(Participant.id, Participant.meeting, Participant.email)
    links = await ParticipantPart.select(ParticipantPart.participant)
    outbox = await OutboxMessage.select(OutboxMessage.meeting, OutboxMessage.participant,
                                        OutboxMessage.kind)
    changes = await MeetingChange.select(MeetingChange.meeting, MeetingChange.change_kind)
    part_count = {m["id"]: 0 for m in meetings}
    for p in parts:
        part_count[p["meeting"]] += 1
    for m in meetings:
        assert part_count[m["id"]] == len(kinds.get_kind(m["kind"]).parts), f"meeting {m['id']} half-written"
    linked = {link["participant"] for link in links}
    assert all(p["id"] in linked for p in participants), "a participant without a part"
    invited = {m["id"] for m in meetings if m["status"] == "invited"}
    with_mail = {row["meeting"] for row in outbox}
    assert with_mail == invited, "outbox rows must exist exactly for committed invitations"
    mailable = {}
    for p in participants:
        if p["email"]:
            mailable.setdefault(p["meeting"], set()).add(p["id"])
    for meeting_id in invited:
        sent_to = {row["participant"] for row in outbox if row["meeting"] == meeting_id}
        assert sent_to == mailable.get(meeting_id, set())
    assert {c["meeting"] for c in changes if c["change_kind"] == "invited"} == invited
    # Every acknowledged write is durable.
    ids = {m["id"] for m in meetings}
    assert acknowledged["created"] <= ids
    with_participants = {p["meeting"] for p in participants}
    assert acknowledged["participant"] <= with_participants
    assert acknowledged["invited"] <= invited
    return {"meetings": len(meetings), "invited": len(invited), "outbox": len(outbox)}


def _integrity_check() -> None:
    if db.engine_name() != "sqlite":
        return
    path = Settings(database_url=conftest.TEST_DATABASE_URL).sqlite_path
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_kill_9_mid_write_leaves_no_half_written_meeting():
    began = time.monotonic()
    worker = await factories.user("socialraadgiver")
    family_id = await factories.family(worker, at_crisis_centre=False)
    person_ids = [(await Person.insert(Person(
        family=family_id, name=f"Netværksperson {i}", role="private_network",
        sector="private_network", email=f"netvaerk{i}@example.org")))[0]["id"] for i in range(4)]
    server = Server()
    server.start()
    acknowledged: dict[str, set] = {"created": set(), "participant": set(), "invited": set(),
                                    "cut": set()}
    stop = asyncio.Event()
    try:
        sessions = [await logged_in(server, worker) for _ in range(SESSIONS)]
        loops = [asyncio.create_task(_session_loop(session, family_id, person_ids, i,
                                                   acknowledged, stop))
                 for i, session in enumerate(sessions)]
        await asyncio.sleep(KILL_AFTER_SECONDS)
        # On a loaded machine the first invitation may take longer: kill only once writes
        # have completed (within the budget), so the kill always lands mid-stream.
        settle = time.monotonic() + 60
        while (not acknowledged["invited"] and time.monotonic() < settle
               and not any(t.done() for t in loops)):
            await asyncio.sleep(0.1)
        assert not any(t.done() for t in loops), [t.exception() for t in loops if t.done()]
        stop.set()
        server.kill()  # requests are in flight in every session
        await asyncio.wait_for(asyncio.gather(*loops), timeout=60)
        assert acknowledged["invited"], "no write completed before the kill: the test proves nothing"
        assert acknowledged["cut"], "the kill cut no request: it was not mid-stream"
        _integrity_check()
        server.start()  # restart on the same database
        counts = await _check_whole(acknowledged)
        # The restarted server takes writes again.
        client, token = await logged_in(server, worker)
        try:
            again = await post(client, token, f"/families/{family_id}/meetings/", {
                "kind": "netvaerksmoede", "title": "Efter genstart", **_slot(99)})
            assert again.status_code == 303
        finally:
            await client.aclose()
    finally:
        stop.set()
        server.stop()
    _integrity_check()
    assert counts["meetings"] >= len(acknowledged["created"])
    print(f"crash: {counts} acknowledged={ {k: len(v) for k, v in acknowledged.items()} }")
    assert time.monotonic() - began < TEST_BUDGET_SECONDS
