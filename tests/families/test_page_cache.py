"""The family page cache: what it may keep, and that a change always shows at once.

The page is cached under the database's content stamps (families/revisions.py). These tests
prove the three things that make that safe: every table the page reads is watched by a
trigger on this engine, every kind of write replaces a stamp (services and raw SQL alike),
and the access check, the audit record and the CSRF token are per request, never cached.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from coordinator import db, demo, pagecache
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.db import triggers
from coordinator.families import revisions
from coordinator.families.routes import FAMILY_PAGES
from coordinator.families.tables import ContentRevision, Family, TeamMember
from coordinator.meetings import spans
from coordinator.meetings.tables import (
    FgcCase,
    FgcTask,
    Meeting,
    MeetingPart,
    Participant,
    ParticipantPart,
)
from coordinator.network.tables import KeepApart, Person
from tests import factories as f
from tests.conftest import http_client
from tests.support.statements import capture_tables

# Read on every request, deliberately not part of the page's content.
NOT_CONTENT = {"app_session", "audit_event", "content_revision"}


@pytest.fixture(autouse=True)
def empty_cache():
    FAMILY_PAGES.clear()
    yield
    FAMILY_PAGES.clear()


async def _stamps(family_id: int) -> tuple[str, str]:
    rows = await db.fetch('SELECT "family_id", "stamp" FROM "content_revision"')
    by_family = {row["family_id"]: row["stamp"] for row in rows}
    return by_family.get(family_id, ""), by_family.get(revisions.GLOBAL, "")


async def _login_demo(client, username: str) -> None:
    user = await User.select().where(User.username == username).first()
    await f.login(client, Principal(user["id"], username, Role(user["role"])), password="demo")


async def test_the_triggers_are_installed_on_every_watched_table():
    assert await revisions.installed_triggers() == set(revisions.WATCHED)


async def test_every_table_the_family_page_reads_is_watched(app, monkeypatch):
    """Render every demo family (networks, familierådslagning and BIC in every state) as a
    member of its team and collect the tables the statements name: each must be watched,
    or be per-request data."""
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    clients: dict[str, object] = {}
    rendered = 0
    try:
        for family in await Family.select(Family.id).order_by(Family.id):
            member = await TeamMember.select(
                TeamMember.user.username.as_alias("username")).where(
                TeamMember.family == family["id"]).order_by(TeamMember.id).first()
            username = member["username"]
            if username not in clients:
                clients[username] = await http_client(app).__aenter__()
                await _login_demo(clients[username], username)
            reading.on = True
            response = await clients[username].get(f"/families/{family['id']}")
            reading.on = False
            assert response.status_code == 200
            rendered += 1
    finally:
        for http in clients.values():
            await http.__aexit__(None, None, None)
    assert rendered == 30
    assert {"family", "team_member", "content_revision", "person", "relation", "meeting",
            "organisation", "agreement"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the family page reads tables no trigger watches: {unwatched}"


async def test_writes_replace_the_family_stamp_and_shared_writes_the_shared_stamp():
    worker = await f.user()
    family_id = await f.family(worker)
    other_id = await f.family(worker, name="Familien Anden")
    before, shared_before = await _stamps(family_id)
    other_before, _ = await _stamps(other_id)
    assert before  # creating the family stamped it

    await Person.insert(Person(family=family_id, name="Ny Person", sector="private_network"))
    after_insert, shared = await _stamps(family_id)
    assert after_insert != before and shared == shared_before
    assert (await _stamps(other_id))[0] == other_before  # another family is untouched

    await db.fetch('UPDATE "person" SET "name" = {} WHERE "family" = {}', "Omdøbt", family_id)
    after_update, _ = await _stamps(family_id)
    assert after_update != after_insert

    # a row moved to another family changes both families' pages
    await db.fetch('UPDATE "person" SET "family" = {} WHERE "family" = {}', other_id, family_id)
    after_move, _ = await _stamps(family_id)
    assert after_move != after_update and (await _stamps(other_id))[0] != other_before
    await db.fetch('UPDATE "person" SET "family" = {} WHERE "family" = {}', family_id, other_id)

    await db.fetch('DELETE FROM "person" WHERE "family" = {}', family_id)
    after_delete, _ = await _stamps(family_id)
    assert after_delete != after_move

    await db.fetch('UPDATE "app_user" SET "full_name" = {} WHERE "id" = {}', "Nyt Navn", worker.id)
    unchanged, shared_after = await _stamps(family_id)
    assert unchanged == after_delete and shared_after != shared_before


async def test_a_change_through_another_table_reaches_the_family(client):
    """meeting_part has no family column: its trigger finds the family through the meeting."""
    worker = await f.user()
    family_id = await f.family(worker)
    meeting = await Meeting.insert(Meeting(family=family_id, title="Netværksmøde",
                                           kind="network"))
    stamp, _ = await _stamps(family_id)
    await MeetingPart.insert(MeetingPart(meeting=meeting[0]["id"], key="main", label="Mødet"))
    after_insert, _ = await _stamps(family_id)
    assert after_insert != stamp
    part = await MeetingPart.select(MeetingPart.id).first()
    participant = await Participant.insert(Participant(meeting=meeting[0]["id"], name="Lærer"))
    stamp, _ = await _stamps(family_id)
    await ParticipantPart.insert(ParticipantPart(participant=participant[0]["id"],
                                                 part=part["id"]))
    assert (await _stamps(family_id))[0] != stamp  # two joins away from the family
    case = await FgcCase.insert(FgcCase(family=family_id))
    stamp, _ = await _stamps(family_id)
    await FgcTask.insert(FgcTask(case=case[0]["id"], title="Ring til mormor"))
    assert (await _stamps(family_id))[0] != stamp
    stamp, _ = await _stamps(family_id)
    await Meeting.delete().where(Meeting.id == meeting[0]["id"])  # cascades to its parts
    assert (await _stamps(family_id))[0] != stamp


async def test_the_page_shows_a_change_made_behind_the_services_back(client):
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Før")
    await f.login(client, worker)
    first = await client.get(f"/families/{family_id}")
    assert "Familien Før" in first.text
    assert (await client.get(f"/families/{family_id}")).text == first.text  # served again
    await db.fetch('UPDATE "family" SET "name" = {} WHERE "id" = {}', "Familien Efter", family_id)
    assert "Familien Efter" in (await client.get(f"/families/{family_id}")).text


async def test_every_cached_read_is_checked_and_audited(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)  # the day is part of the key: stay inside one
    for _ in range(3):
        assert (await client.get(f"/families/{family_id}")).status_code == 200
    reads = await AuditEvent.count().where(
        (AuditEvent.family_id == family_id) & (AuditEvent.action == "read")
        & (AuditEvent.entity == "familieside"))
    assert reads == 3
    assert FAMILY_PAGES.hits >= 2
    # Taken off the team: the next request is refused even though the page is cached.
    await TeamMember.delete().where(TeamMember.family == family_id)
    assert (await client.get(f"/families/{family_id}")).status_code == 404


async def test_a_page_is_only_served_to_the_user_it_was_rendered_for(client, other_client):
    first = await f.user(username="foerste", full_name="Første Rådgiver")
    second = await f.user(username="anden", full_name="Anden Rådgiver")
    family_id = await f.family(first, second)
    await f.login(client, first)
    await f.login(other_client, second)
    page_one = (await client.get(f"/families/{family_id}")).text
    page_two = (await other_client.get(f"/families/{family_id}")).text
    assert "Første Rådgiver · " in page_one and "Første Rådgiver · " not in page_two
    assert "Anden Rådgiver · " in page_two


async def test_each_browser_gets_its_own_csrf_token(client, other_client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    await f.login(client, worker)
    await f.login(other_client, worker)
    clock.pin(clock.now(), ticking=False)  # both requests on the same day of the key
    tokens = []
    for http in (client, other_client):
        page = (await http.get(f"/families/{family_id}")).text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
        assert f'"X-CSRFToken": "{token}"' in page
        assert token == http.cookies.get("coordinator_csrf")
        tokens.append(token)
    assert tokens[0] != tokens[1]
    assert FAMILY_PAGES.hits == 1  # the second browser got the first one's rendering
    assert pagecache._TOKEN_PLACEHOLDER not in page  # noqa: SLF001 - nowhere on the page


def test_the_cache_is_bounded():
    from coordinator.pagecache import PageCache

    cache = PageCache(max_entries=3, max_bytes=100)
    for n in range(5):
        cache.put(n, b"x" * 10)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) == b"x" * 10
    cache.put("big", b"y" * 95)
    assert cache.get("big") and len(cache) == 1
    cache.put("too big", b"z" * 101)
    assert cache.get("too big") is None


async def test_a_new_keep_apart_pair_shows_on_the_next_request(client):
    """The safety-relevant case: a pair that must be kept apart appears on the map at once,
    although the page was cached a moment before."""
    worker = await f.user()
    family_id = await f.family(worker)
    mother = await Person.insert(Person(family=family_id, name="Mor", role="mother",
                                        sector="family"))
    father = await Person.insert(Person(family=family_id, name="Far", role="father",
                                        sector="family"))
    await f.login(client, worker)
    before = (await client.get(f"/families/{family_id}")).text
    assert "Mor og Far skal holdes adskilt" not in before
    await KeepApart.insert(KeepApart(family=family_id, person_a=mother[0]["id"],
                                     person_b=father[0]["id"], reason="Vold"))
    after = (await client.get(f"/families/{family_id}")).text
    assert "Mor og Far skal holdes adskilt" in after


async def test_the_page_is_kept_until_the_next_meeting_starts_or_the_day_ends(client, clock):
    """What depends on the time is noted while the page is rendered: the page is served
    again minutes later, until the meeting it shows as the next one starts; at most ten
    minutes (what a load with the triggers off may leave); a new day renders it again
    (deadlines, follow-ups due)."""
    worker = await f.user()
    family_id = await f.family(worker)
    morning = clock.local_now().replace(hour=9, minute=0, second=0, microsecond=0)
    clock.pin(morning, ticking=False)
    starts = morning + timedelta(minutes=8)
    [meeting] = await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                             title="Netværksmøde om skolen", status="invited"))
    await MeetingPart.insert(MeetingPart(meeting=meeting["id"], key="moede", label="Møde",
                                         starts_at=starts, ends_at=starts + timedelta(hours=1)))
    await f.login(client, worker)
    path = f"/families/{family_id}"
    first = (await client.get(path)).text
    assert "Næste møde: Netværksmøde om skolen" in first
    clock.pin(starts - timedelta(seconds=1), ticking=False)  # minutes on, not begun
    assert (await client.get(path)).text == first
    assert (FAMILY_PAGES.hits, FAMILY_PAGES.misses) == (1, 1)
    clock.pin(starts, ticking=False)  # begun: no longer the next meeting
    started = (await client.get(path)).text
    assert "Næste møde" not in started
    assert FAMILY_PAGES.misses == 2
    clock.pin(starts + timedelta(minutes=9), ticking=False)
    assert (await client.get(path)).text == started  # kept again, nothing else is due
    clock.pin(starts + timedelta(minutes=10), ticking=False)
    await client.get(path)
    assert (FAMILY_PAGES.hits, FAMILY_PAGES.misses) == (2, 3)
    clock.pin(morning.replace(hour=23, minute=55), ticking=False)
    await f.login(client, worker)  # the session has ended meanwhile
    await client.get(path)
    clock.pin(morning.replace(hour=23, minute=55) + timedelta(minutes=6), ticking=False)
    await client.get(path)  # a new day, six minutes later
    assert (FAMILY_PAGES.hits, FAMILY_PAGES.misses) == (2, 5)


async def test_access_is_decided_per_request_even_when_the_page_is_cached(client, monkeypatch):
    """The policy is asked on every request: refusing without any data change (so the
    cached page is still current) must still answer 404."""
    from coordinator.families import service

    worker = await f.user()
    family_id = await f.family(worker)
    await f.login(client, worker)
    assert (await client.get(f"/families/{family_id}")).status_code == 200
    assert len(FAMILY_PAGES) == 1
    monkeypatch.setattr(service, "may_access_family", lambda *args: False)
    refused = await client.get(f"/families/{family_id}")
    assert refused.status_code == 404 and "Familien" not in refused.text
    assert await AuditEvent.count().where(AuditEvent.action == "denied") == 1


async def test_hand_written_writes_keep_foreign_keys_and_the_write_path():
    """db.fetch sends every statement that is not a plain SELECT to the writing connection
    (foreign keys on), never to the read-only quick reader."""
    with pytest.raises(Exception) as refused:
        await db.fetch('WITH x AS (SELECT 1) INSERT INTO "person" ("family", "name", "sector") '
                       'SELECT {}, {}, {} FROM x', 987654, "Ingen familie", "private_network")
    assert "foreign key" in str(refused.value).lower()
    assert await Person.count() == 0


async def test_migrate_leaves_installed_triggers_alone(monkeypatch):
    """Every process start migrates; replacing 23 triggers locks 23 tables, so a migrate
    with nothing to do runs no DDL: the triggers are installed by the migrations."""
    calls: list[str] = []
    original = type(db.engine()).run_ddl

    async def counting(engine, ddl, *args, **kwargs):
        calls.append(ddl)
        return await original(engine, ddl, *args, **kwargs)

    monkeypatch.setattr(type(db.engine()), "run_ddl", counting)
    await db.migrate()
    assert not [c for c in calls if "TRIGGER" in c]
    assert await revisions.installed_triggers() == set(revisions.WATCHED)
    if db.engine_name() == "postgresql":
        # A migration that rebuilds a table installs its triggers again through the
        # registry. (Checked on PostgreSQL only: on SQLite, reinstalling a trigger inside
        # the running suite was seen to collide, "trigger already exists", never alone.)
        await triggers.install("content_stamp", ["stay"])
        assert await revisions.installed_triggers() == set(revisions.WATCHED)
        await db.engine().run_ddl('DROP TRIGGER "content_stamp" ON "stay"', in_pool=False)
        assert "stay" not in await revisions.installed_triggers()
        await triggers.install("content_stamp", ["stay"])
        assert await revisions.installed_triggers() == set(revisions.WATCHED)


async def test_every_registered_trigger_set_is_installed_by_the_migrations():
    assert {revisions.CONTENT_STAMP.name, spans.MEETING_PART_TIMES.name} <= set(
        triggers.registered())
    for trigger_set in triggers.registered().values():
        assert await trigger_set.installed() == set(trigger_set.tables), trigger_set.name


async def test_emptying_a_table_at_once_is_seen():
    """PostgreSQL's TRUNCATE fires no row trigger: it replaces the shared stamp. SQLite has
    no TRUNCATE, and its DELETE without WHERE (otherwise emptied without visiting rows)
    fires the row triggers because they exist."""
    worker = await f.user()
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Mor", role="mother", sector="family"))
    own, shared = await _stamps(family_id)
    if db.engine_name() == "postgresql":
        await db.engine().run_ddl('TRUNCATE "person" CASCADE')
        assert (await _stamps(family_id))[1] != shared
    else:
        await db.engine().run_ddl('DELETE FROM "person"')
        assert (await _stamps(family_id))[0] != own
    assert await Person.count() == 0


async def test_a_kept_part_passes_its_moment_on_to_the_page_around_it(clock):
    """A part of a page kept on its own (the family page's network section) is kept until
    its moment; the page around it, drawn again with the part kept, is kept no longer than
    that moment either, although nothing in its own rendering noted it."""
    parts = pagecache.PageCache(name="parts under test")
    outer = pagecache.PageCache(name="pages under test")
    start = clock.local_now().replace(hour=9, minute=0, second=0, microsecond=0)
    clock.pin(start, ticking=False)
    part_changes = start + timedelta(minutes=4)

    async def part() -> bytes:
        clock.changes_at(part_changes)
        return b"part"

    async def page() -> bytes:
        return b"page:" + await pagecache.kept_for_the_day(parts, "part", part)

    assert await pagecache.kept_for_the_day(outer, ("page", 1), page) == b"page:part"
    assert outer.peek(("page", 1))[1] == part_changes
    # another page (or this one after a change of its own) with the part kept
    assert await pagecache.kept_for_the_day(outer, ("page", 2), page) == b"page:part"
    assert parts.hits == 1 and outer.peek(("page", 2))[1] == part_changes
    # with nothing noted, a part is kept ten minutes from its drawing, and so is a page
    # drawn later around it
    clock.pin(part_changes, ticking=False)

    async def quiet() -> bytes:
        return b"quiet"

    async def quiet_page() -> bytes:
        return await pagecache.kept_for_the_day(parts, "quiet", quiet)

    await pagecache.kept_for_the_day(outer, ("page", 3), quiet_page)
    clock.pin(part_changes + timedelta(minutes=3), ticking=False)
    await pagecache.kept_for_the_day(outer, ("page", 4), quiet_page)
    assert outer.peek(("page", 4))[1] == part_changes + pagecache.KEPT_AT_MOST


async def _every_stamp() -> dict[int, tuple[str, str]]:
    rows = await ContentRevision.select()
    return {row["family_id"]: (row["stamp"], row["network_stamp"]) for row in rows}


async def test_every_family_is_stamped_and_the_stamps_it_has_stay(client):
    """Families loaded before the stamps came (or in bulk) get a stamp and a network stamp
    (the migration "every family stamped", and the benchmark's generator); a stamp a family
    has is kept; a second run changes nothing. Nothing of a family is kept while it has no
    stamp (an empty stamp comes back); once stamped, its page is kept from the first view."""
    worker = await f.user()
    loaded, half, stamped = [await f.family(worker) for _ in range(3)]
    await ContentRevision.delete().where(ContentRevision.family_id == loaded)
    await ContentRevision.update({ContentRevision.network_stamp: ""}).where(
        ContentRevision.family_id == half)
    before = await _every_stamp()
    assert loaded not in before and before[half][0] and not before[half][1]
    await f.login(client, worker)
    FAMILY_PAGES.clear()
    for _ in range(2):
        assert (await client.get(f"/families/{loaded}")).status_code == 200
    assert (FAMILY_PAGES.hits, FAMILY_PAGES.misses, len(FAMILY_PAGES)) == (0, 0, 0)

    await ContentRevision.raw(revisions.stamp_every_family(db.engine_name()))
    after = await _every_stamp()
    assert all(after[family][0] and after[family][1] for family in (loaded, half, stamped))
    assert after[half][0] == before[half][0] and after[half][1] != after[half][0]
    assert after[stamped] == before[stamped]
    assert len({after[loaded][0], after[loaded][1], after[half][1]}) == 3
    await ContentRevision.raw(revisions.stamp_every_family(db.engine_name()))
    assert await _every_stamp() == after

    for _ in range(2):
        assert (await client.get(f"/families/{loaded}")).status_code == 200
    assert (FAMILY_PAGES.hits, FAMILY_PAGES.misses, len(FAMILY_PAGES)) == (1, 1, 1)
