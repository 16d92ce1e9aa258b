"""The meeting page cache: kept under the same content stamps as the family page.

What makes it safe, as for the family page (tests/families/test_page_cache.py): every table
the page reads is watched by a trigger, every write to those tables replaces a stamp, and
the access check, the audit record and the CSRF token stay per request.
"""

from __future__ import annotations

import re

from coordinator import db, demo
from coordinator.audit.tables import AuditEvent
from coordinator.cache import KEPT_UNDER_STAMPS_AT_MOST
from coordinator.families import revisions
from coordinator.families.tables import TeamMember
from coordinator.meetings import availability
from coordinator.meetings.routes import MEETING_PAGES
from coordinator.meetings.tables import Meeting, MeetingPart, Room, WorkingHours
from coordinator.network.tables import Person
from tests import factories as f
from tests.support import pages
from tests.support.statements import capture_tables

# Read on every request, deliberately not part of the page's content.
NOT_CONTENT = {"app_session", "audit_event", "content_revision"}


async def _stamps(family_id: int) -> tuple[str, str]:
    rows = await db.fetch('SELECT "family_id", "stamp" FROM "content_revision"')
    by_family = {row["family_id"]: row["stamp"] for row in rows}
    return by_family.get(family_id, ""), by_family.get(revisions.GLOBAL, "")


async def _meeting(family_id: int, title: str = "Netværksmøde") -> int:
    rows = await Meeting.insert(Meeting(family=family_id, title=title, kind="netvaerksmoede"))
    await MeetingPart.insert(MeetingPart(meeting=rows[0]["id"], key="meeting", label="Mødet"))
    return rows[0]["id"]


async def test_every_table_the_meeting_page_reads_is_watched(app, monkeypatch):
    """Render every demo meeting of a family (all kinds, all states) as a member of the
    family's team and collect the tables the statements name: each must be watched, or
    be per-request data."""
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    rendered = 0
    async with pages.team_members(app) as client_for:
        meetings = await Meeting.select(Meeting.id, Meeting.family).where(
            Meeting.family.is_not_null()).order_by(Meeting.id)
        for meeting in meetings:
            http = await client_for(meeting["family"])
            assert http is not None, f"no one is on the team of family {meeting['family']}"
            reading.on = True
            response = await http.get(f"/meetings/{meeting['id']}")
            reading.on = False
            assert response.status_code == 200
            rendered += 1
    assert rendered >= 10
    assert {"meeting", "meeting_part", "participant", "room", "working_hours"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the meeting page reads tables no trigger watches: {unwatched}"


async def test_the_meeting_page_tables_replace_the_right_stamp():
    worker = await f.user()
    family_id = await f.family(worker)
    other_id = await f.family(worker, name="Familien Anden")
    meeting_id = await _meeting(family_id)
    person = await Person.insert(Person(family=family_id, name="Mormor", sector="private_network"))

    family_before, shared_before = await _stamps(family_id)
    other_before, _ = await _stamps(other_id)
    # a network person's hours belong to the family
    await WorkingHours.insert(WorkingHours(person=person[0]["id"], weekday=0))
    family_after, shared_after = await _stamps(family_id)
    assert family_after != family_before and shared_after == shared_before
    assert (await _stamps(other_id))[0] == other_before
    # a user's hours and a room are shared by every meeting page
    await WorkingHours.insert(WorkingHours(user=worker.id, weekday=1))
    assert (await _stamps(family_id))[1] != shared_after
    _, shared_after = await _stamps(family_id)
    await Room.insert(Room(name="Mødelokale 9"))
    assert (await _stamps(family_id))[1] != shared_after
    # the meeting's change log belongs to the meeting's family
    family_before, _ = await _stamps(family_id)
    await db.fetch('INSERT INTO "meeting_change" ("meeting", "change_kind", "sequence") '
                   'VALUES ({}, {}, {})', meeting_id, "updated", 0)
    assert (await _stamps(family_id))[0] != family_before


async def test_a_change_shows_on_the_next_request(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting(family_id, title="Mødet før")
    await Room.insert(Room(name="Lokale Alfa"))
    await f.login(client, worker)
    first = await pages.kept_twice(client, clock, f"/meetings/{meeting_id}", MEETING_PAGES)
    assert "Mødet før" in first and "Lokale Alfa" in first
    # behind the services' back: a meeting's title, and a room (shared)
    await db.fetch('UPDATE "meeting" SET "title" = {} WHERE "id" = {}', "Mødet efter", meeting_id)
    assert "Mødet efter" in (await client.get(f"/meetings/{meeting_id}")).text
    await db.fetch('UPDATE "room" SET "name" = {}', "Lokale Beta")
    page = (await client.get(f"/meetings/{meeting_id}")).text
    assert "Lokale Beta" in page and "Lokale Alfa" not in page


async def test_every_cached_read_is_checked_and_audited(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting(family_id)
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)
    hits = MEETING_PAGES.hits
    for _ in range(3):
        assert (await client.get(f"/meetings/{meeting_id}")).status_code == 200
    assert MEETING_PAGES.hits == hits + 2
    await pages.assert_every_view_checked(client, f"/meetings/{meeting_id}", family_id, 3,
                                          AuditEvent.entity_id == str(meeting_id),
                                          AuditEvent.entity == "møde")


async def test_a_page_is_only_served_to_the_user_it_was_rendered_for(client, other_client, clock):
    meeting_id = await _meeting(await pages.two_colleagues(client, other_client))
    await pages.assert_own_page_and_token(client, other_client, clock, f"/meetings/{meeting_id}")


async def test_a_meeting_without_a_family_is_not_cached(client):
    worker = await f.user()
    rows = await Meeting.insert(Meeting(family=None, title="Samarbejdsmøde", kind="cooperation_meeting",
                                        organiser=worker.id))
    await MeetingPart.insert(MeetingPart(meeting=rows[0]["id"], key="meeting", label="Mødet"))
    await f.login(client, worker)
    size = len(MEETING_PAGES)
    response = await client.get(f"/meetings/{rows[0]['id']}")
    assert response.status_code == 200
    assert len(MEETING_PAGES) == size


async def test_a_signs_of_safety_read_is_audited_on_every_view(client, clock):
    """The mapping's own read record is written on each view, also from the cache."""
    from coordinator.method import service as method
    from coordinator.method.tables import SosMapping

    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting(family_id)
    await SosMapping.insert(SosMapping(family=family_id, meeting=meeting_id,
                                       worries="Skoleskift midt i året"))
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)
    hits = MEETING_PAGES.hits
    for _ in range(3):
        page = await client.get(f"/meetings/{meeting_id}")
        assert "Skoleskift midt i året" in page.text
    assert MEETING_PAGES.hits == hits + 2
    reads = await AuditEvent.count().where(
        (AuditEvent.entity_id == str(meeting_id)) & (AuditEvent.action == "read")
        & (AuditEvent.entity == method.MAPPING_ENTITY))
    assert reads == 3


async def test_the_rooms_offered_are_read_once_per_shared_stamp(monkeypatch, clock):
    """The active rooms (every meeting page's slot search) are kept under the shared stamp:
    not read again while it stands, a room added, renamed or taken out of use offered as it
    is at once (its triggers replace the stamp), and at most ten minutes after a write that
    left the stamp as it was."""
    clock.pin(clock.now(), ticking=False)
    [room] = await Room.insert(Room(name="Mødelokale 1", capacity=8))
    assert [r["name"] for r in await availability.rooms()] == ["Mødelokale 1"]
    reading = capture_tables(monkeypatch)
    reading.on = True
    assert [r["name"] for r in await availability.rooms()] == ["Mødelokale 1"]
    assert "room" not in reading.tables
    await Room.insert(Room(name="Mødelokale 2", capacity=4))
    assert [r["name"] for r in await availability.rooms()] == ["Mødelokale 1", "Mødelokale 2"]
    await Room.update({Room.active: False}).where(Room.id == room["id"])
    assert [r["name"] for r in await availability.rooms()] == ["Mødelokale 2"]
    shared = (await _stamps(0))[1]
    await db.fetch('UPDATE "room" SET "name" = {} WHERE "name" = {}', "Lokale B", "Mødelokale 2")
    await db.fetch('UPDATE "content_revision" SET "stamp" = {} WHERE "family_id" = {}',
                   shared, revisions.GLOBAL)  # the stamp as it was
    assert [r["name"] for r in await availability.rooms()] == ["Mødelokale 2"]
    clock.pin(clock.now() + KEPT_UNDER_STAMPS_AT_MOST, ticking=False)
    assert [r["name"] for r in await availability.rooms()] == ["Lokale B"]
    # each caller gets rows of its own
    (await availability.rooms())[0]["name"] = "ændret"
    assert [r["name"] for r in await availability.rooms()] == ["Lokale B"]


async def test_the_meeting_row_is_read_with_the_stamps(client, monkeypatch):
    """A meeting page reads its meeting's row in the statement that reads the stamps (one
    snapshot), not again for the access check: on a kept page as on a first view."""
    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting(family_id, "Opfølgning hos familien")
    await f.login(client, worker)
    reading = capture_tables(monkeypatch)
    for _ in range(2):  # drawn, then kept
        reading.on = True
        page = await client.get(f"/meetings/{meeting_id}")
        reading.on = False
        assert page.status_code == 200 and "Opfølgning hos familien" in page.text
        # the meeting's row itself (not a subquery naming its family, as a participant's
        # team membership does)
        by_id = [sql for sql in reading.reading("meeting")
                 if re.search(r'FROM "meeting"(?: m)? (?:WHERE|LEFT JOIN)', sql)]
        assert len(by_id) == 1 and "content_revision" in by_id[0]
        reading.statements.clear()
    stranger = await f.user()  # the row read first still decides nothing: 404 for others
    await f.login(client, stranger)
    assert (await client.get(f"/meetings/{meeting_id}")).status_code == 404
    assert (await client.get("/meetings/999999")).status_code == 404


async def test_the_family_access_is_read_with_the_stamps_and_decided_on_every_view(
        client, monkeypatch):
    """The facts of the family's access check (its row, whether she is on its team) come
    with the meeting's stamps: a kept page reads the family and the team in that statement
    alone. They are read on every view, so leaving the team ends the access at once, also
    to a page kept for her."""
    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting(family_id, "Møde om skolestart")
    await f.login(client, worker)
    assert (await client.get(f"/meetings/{meeting_id}")).status_code == 200  # drawn
    reading = capture_tables(monkeypatch)
    reading.on = True
    page = await client.get(f"/meetings/{meeting_id}")  # kept
    reading.on = False
    assert page.status_code == 200 and "Møde om skolestart" in page.text
    facts = reading.reading("family") + reading.reading("team_member")
    assert facts and all("content_revision" in sql and 'FROM "meeting"' in sql for sql in facts)
    assert len(set(facts)) == 1
    await TeamMember.delete().where((TeamMember.family == family_id)
                                    & (TeamMember.user == worker.id))
    assert (await client.get(f"/meetings/{meeting_id}")).status_code == 404
    denied = await AuditEvent.select().where((AuditEvent.action == "denied")
                                             & (AuditEvent.family_id == family_id))
    assert [row["user_id"] for row in denied] == [worker.id]
