"""The network editor page is kept like the family page (tests/families/test_page_cache.py):
under the family's network stamp and the shared content stamp, per user and day. Every
table it reads is watched by a trigger, and of the family's tables it reads only the
network's (``revisions.NETWORK``); the access check, the audit record and the CSRF token
stay per request. The same holds for the family page's network section."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from coordinator import db, demo
from coordinator.audit.tables import AuditEvent
from coordinator.cache import KEPT_UNDER_STAMPS_AT_MOST
from coordinator.families import revisions
from coordinator.families import routes as family_routes
from coordinator.families import service as family_service
from coordinator.families.routes import FAMILY_PAGES, NETWORK_SECTIONS
from coordinator.families.sections import SECTIONS
from coordinator.families.tables import Family
from coordinator.meetings.routes import MEETING_PAGES
from coordinator.meetings.tables import Meeting
from coordinator.network import routes as network_routes
from coordinator.network import service as network_service
from coordinator.network.routes import EDITOR_PAGES
from coordinator.network.tables import CaseFacts, KeepApart, Organisation, Person, Relation
from tests import factories as f
from tests.support import pages
from tests.support.statements import capture_tables

NOT_CONTENT = {"app_session", "audit_event", "content_revision"}
# The shared data every family's pages show (the directory, users, rooms, agreements).
SHARED = {table for table, family in revisions.WATCHED.items() if family == str(revisions.GLOBAL)}


def _off_while_checking(reading, monkeypatch, module) -> None:
    """The per-request access check (family row, team, stamps) is not the kept content:
    nothing is captured while ``module.open_family_page`` runs."""
    check = module.open_family_page

    async def unread(*args, **kwargs):
        on, reading.on = reading.on, False
        try:
            return await check(*args, **kwargs)
        finally:
            reading.on = on

    monkeypatch.setattr(module, "open_family_page", unread)


async def test_the_editor_and_the_network_section_read_only_the_network(app, monkeypatch):
    """What is kept under the network stamp reads, of the family's tables, only those whose
    writes replace it: a meeting's or a follow-up's change may leave it as it is."""
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    _off_while_checking(reading, monkeypatch, network_routes)
    [network_section] = [section for section in SECTIONS if section.network_only]
    rendered = 0
    async with pages.team_members(app) as client_for:
        for family in await Family.select().order_by(Family.id):
            http = await client_for(family["id"])
            if http is None:
                continue
            reading.on = True
            response = await http.get(f"/families/{family['id']}/network")
            reading.on = False
            if response.status_code == 404:  # a kontaktperson's father-side family
                continue
            assert response.status_code == 200
            reading.on = True
            await network_section.load(None, family)
            reading.on = False
            rendered += 1
    assert rendered >= 3
    assert {"person", "relation", "keep_apart", "case_facts", "organisation"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the network views read tables no trigger watches: {unwatched}"
    beyond = reading.tables - revisions.NETWORK - SHARED - NOT_CONTENT
    assert not beyond, f"kept under the network stamp, but reads more of the family: {beyond}"
    assert [section.key for section in SECTIONS if section.network_only] == ["network"]


async def test_a_change_shows_on_the_next_request_and_every_view_is_checked(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Moster Alfa", sector="private_network"))
    await Organisation.insert(Organisation(name="Skolen ved Søen", kind="school"))
    await f.login(client, worker)
    # the clock stays pinned to one moment of the key throughout
    first = await pages.kept_twice(client, clock, f"/families/{family_id}/network", EDITOR_PAGES)
    assert "Moster Alfa" in first and "Skolen ved Søen" in first
    # behind the services' back: the family's person, and the shared directory
    await db.fetch('UPDATE "person" SET "name" = {} WHERE "family" = {}', "Moster Beta", family_id)
    assert "Moster Beta" in (await client.get(f"/families/{family_id}/network")).text
    await db.fetch('UPDATE "organisation" SET "name" = {} WHERE "name" = {}',
                   "Skolen ved Åen", "Skolen ved Søen")
    page = (await client.get(f"/families/{family_id}/network")).text
    assert "Skolen ved Åen" in page and "Skolen ved Søen" not in page
    await pages.assert_every_view_checked(client, f"/families/{family_id}/network", family_id, 4,
                                          AuditEvent.family_id == family_id,
                                          AuditEvent.entity == "netværk: redigering")


async def test_each_user_gets_her_own_page_and_token(client, other_client, clock):
    family_id = await pages.two_colleagues(client, other_client)
    await pages.assert_own_page_and_token(client, other_client, clock, f"/families/{family_id}/network")


async def test_the_directory_is_offered_whole_and_escaped(client):
    worker = await f.user()
    family_id = await f.family(worker)
    await Organisation.insert(Organisation(name='Skolen <"Øst"> & Co', kind="school"),
                              Organisation(name="Alfa PPR", kind="ppr"))
    org = (await Organisation.select(Organisation.id).where(
        Organisation.name == "Alfa PPR").first())["id"]
    await f.login(client, worker)
    page = (await client.get(f"/families/{family_id}/network")).text
    assert '<option value="Skolen &lt;&#34;Øst&#34;&gt; &amp; Co"></option>' in page
    assert f'<option value="{org}">Alfa PPR</option>' in page
    assert "<\"Øst\">" not in page
    # A refused relation form keeps the organisation it chose.
    refused = await f.post_form(client, f"/families/{family_id}/network/relations",
                                {"source": "", "type": "works_at", "target_organisation": str(org)},
                                page=f"/families/{family_id}/network")
    assert refused.status_code == 422
    assert f'<option value="{org}" selected>Alfa PPR</option>' in refused.text


async def test_the_directory_is_read_once_per_shared_stamp(monkeypatch):
    """The directory's options are kept under the shared stamp: not read again while it
    stands (a country's 4,100 organisations per editor page), and an organisation added,
    renamed or removed shows at once (its triggers replace the stamp)."""
    await Organisation.insert(Organisation(name="Alfa PPR", kind="ppr"))
    first = await network_service.directory_choices()
    assert "Alfa PPR" in first.options
    reading = capture_tables(monkeypatch)
    reading.on = True
    assert await network_service.directory_choices() is first
    assert "organisation" not in reading.tables
    await Organisation.insert(Organisation(name="Beta Skole", kind="school"))
    added = await network_service.directory_choices()
    assert "Beta Skole" in added.options and "organisation" in reading.tables
    await Organisation.update({Organisation.name: "Gamma PPR"}).where(
        Organisation.name == "Alfa PPR")
    renamed = await network_service.directory_choices()
    assert "Gamma PPR" in renamed.options and "Alfa PPR" not in renamed.suggestions
    await Organisation.delete().where(Organisation.name == "Beta Skole")
    assert "Beta Skole" not in (await network_service.directory_choices()).options


async def test_the_directory_is_read_again_ten_minutes_later_at_most(clock):
    """What a write with the shared stamp left as it was leaves (a restore with the triggers
    off, a fix in psql) is offered within ``KEPT_UNDER_STAMPS_AT_MOST``, as for the
    networks."""
    clock.pin(clock.now(), ticking=False)
    await Organisation.insert(Organisation(name="Alfa PPR", kind="ppr"))
    assert "Alfa PPR" in (await network_service.directory_choices()).options
    [shared] = await db.fetch('SELECT "stamp" FROM "content_revision" WHERE "family_id" = {}',
                              revisions.GLOBAL)
    await db.fetch('UPDATE "organisation" SET "name" = {} WHERE "name" = {}', "Gamma PPR", "Alfa PPR")
    await db.fetch('UPDATE "content_revision" SET "stamp" = {} WHERE "family_id" = {}',
                   shared["stamp"], revisions.GLOBAL)  # the stamp as it was
    clock.pin(clock.now() + KEPT_UNDER_STAMPS_AT_MOST - timedelta(seconds=1), ticking=False)
    assert "Alfa PPR" in (await network_service.directory_choices()).options
    clock.pin(clock.now() + timedelta(seconds=1), ticking=False)
    assert "Gamma PPR" in (await network_service.directory_choices()).options


async def test_the_editor_is_kept_minutes_later_and_ten_at_most(client, clock):
    """The editor shows nothing that changes by the time alone: kept across minutes (a
    socialrådgiver coming back to it), at most ten (pagecache.KEPT_AT_MOST)."""
    worker = await f.user()
    family_id = await f.family(worker)
    path = f"/families/{family_id}/network"
    start = clock.local_now().replace(hour=10, minute=0, second=0, microsecond=0)
    clock.pin(start, ticking=False)
    await f.login(client, worker)  # at the pinned moment: after midnight 10:00 is ahead
    first = (await client.get(path)).text
    clock.pin(start + timedelta(minutes=9), ticking=False)
    assert (await client.get(path)).text == first
    clock.pin(start + timedelta(minutes=10), ticking=False)
    await client.get(path)
    assert (EDITOR_PAGES.hits, EDITOR_PAGES.misses) == (1, 2)


async def _stamps(family_id: int) -> tuple[str, str]:
    row = (await db.fetch('SELECT "stamp", "network_stamp" FROM "content_revision" '
                          'WHERE "family_id" = {}', family_id))[0]
    return row["stamp"], row["network_stamp"]


async def test_network_writes_replace_the_network_stamp_and_other_writes_leave_it():
    worker = await f.user()
    family_id = await f.family(worker)
    [mother] = await Person.insert(Person(family=family_id, name="Mor", role="mother",
                                          sector="family"))
    [father] = await Person.insert(Person(family=family_id, name="Far", role="father",
                                          sector="family"))
    seen = [await _stamps(family_id)]
    assert seen[0][1]  # the people's inserts replaced it

    async def after(write, network_too: bool) -> None:
        await write
        stamps = await _stamps(family_id)
        assert stamps[0] != seen[-1][0]  # every write replaces the family's stamp
        assert (stamps[1] != seen[-1][1]) is network_too
        seen.append(stamps)

    await after(Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede", title="Møde")),
                network_too=False)
    await after(db.fetch('UPDATE "meeting" SET "description" = {} WHERE "family" = {}',
                         "Ny dagsorden", family_id), network_too=False)
    await after(Relation.insert(Relation(family=family_id, source=mother["id"],
                                         target_person=father["id"], type="partner")),
                network_too=True)
    await after(KeepApart.insert(KeepApart(family=family_id, person_a=mother["id"],
                                           person_b=father["id"], reason="Vold")), network_too=True)
    await after(CaseFacts.insert(CaseFacts(family=family_id)), network_too=True)
    await after(db.fetch('UPDATE "family" SET "name" = {} WHERE "id" = {}', "Familien Ny",
                         family_id), network_too=True)
    await after(db.fetch('DELETE FROM "case_facts" WHERE "family" = {}', family_id),
                network_too=True)
    await after(db.fetch('DELETE FROM "keep_apart" WHERE "family" = {}', family_id),
                network_too=True)
    await after(db.fetch('DELETE FROM "relation" WHERE "family" = {}', family_id),
                network_too=True)
    await after(db.fetch('DELETE FROM "person" WHERE "id" = {}', father["id"]), network_too=True)
    # a person moved to another family changes both families' networks
    other_id = await f.family(worker, name="Familien Anden")
    other_before = await _stamps(other_id)
    await after(db.fetch('UPDATE "person" SET "family" = {} WHERE "id" = {}', other_id,
                         mother["id"]), network_too=True)
    assert (await _stamps(other_id))[1] != other_before[1]


async def test_a_meeting_change_leaves_the_network_views_kept(client, monkeypatch):
    """A change of a meeting draws the family page again, but its network section and the
    network editor are served as kept; a change of the network draws them again, at once."""
    worker = await f.user()
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Moster Alfa", sector="private_network"))
    [meeting] = await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                             title="Første titel", status="draft"))
    await f.login(client, worker)
    loads = []
    sections = family_routes.family_sections()

    def counted(section):
        async def load(user, family):
            loads.append(section.key)
            return await section.load(user, family)
        return dataclasses.replace(section, load=load)

    monkeypatch.setattr(family_routes, "family_sections", lambda: [counted(s) for s in sections])
    page, editor = f"/families/{family_id}", f"/families/{family_id}/network"
    first = (await client.get(page)).text
    assert "Moster Alfa" in first and "Første titel" in first
    assert "Moster Alfa" in (await client.get(editor)).text
    assert loads.count("network") == 1 and EDITOR_PAGES.misses == 1

    await db.fetch('UPDATE "meeting" SET "title" = {} WHERE "id" = {}', "Anden titel",
                   meeting["id"])
    second = (await client.get(page)).text
    assert "Anden titel" in second and "Første titel" not in second
    assert FAMILY_PAGES.misses == 2 and NETWORK_SECTIONS.hits == 1
    assert loads.count("network") == 1  # drawn once, for both
    assert "Moster Alfa" in second
    await client.get(editor)
    assert (EDITOR_PAGES.hits, EDITOR_PAGES.misses) == (1, 1)

    await db.fetch('UPDATE "person" SET "name" = {} WHERE "family" = {}', "Moster Beta",
                   family_id)
    third = (await client.get(page)).text
    assert "Moster Beta" in third and "Moster Alfa" not in third
    assert loads.count("network") == 2
    assert "Moster Beta" in (await client.get(editor)).text
    # what the page shows around the kept section is the page's own, per request
    assert third.count('id="network"') == 1


async def test_a_family_never_given_a_network_stamp_keys_its_network_on_the_family_stamp(client):
    """Data loaded before the network stamp came (or in bulk) has none: until its first
    network write, any write of the family draws its network views again."""
    worker = await f.user()
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Moster Alfa", sector="private_network"))
    await db.fetch('UPDATE "content_revision" SET "network_stamp" = {} WHERE "family_id" = {}',
                   "", family_id)
    await f.login(client, worker)
    path = f"/families/{family_id}/network"
    await client.get(path)
    await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede", title="Møde"))
    await client.get(path)
    assert EDITOR_PAGES.misses == 2
    stamps = family_service.ContentStamps("f", "s")
    assert stamps.network_key == ("family", "f")
    assert family_service.ContentStamps("f", "s", "n").network_key == ("network", "n")


def _counting_reads(monkeypatch) -> list[int]:
    """The families whose network is read from the database from now on, in order."""
    reads: list[int] = []
    read = network_service._read_network

    async def counted(family):
        reads.append(family)
        return await read(family)

    monkeypatch.setattr(network_service, "_read_network", counted)
    return reads


async def test_the_pages_of_a_family_read_its_network_once_until_it_changes(client, monkeypatch):
    """Under the page's stamps (``revisions.network_known``) the family page's network
    section, the editor and the family's meeting pages use the network one of them read;
    a change of the network is read at once; each use has rows of its own."""
    worker = await f.user()
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Moster Alfa", sector="private_network"))
    meetings = [(await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                              title=f"Møde {n}", status="draft")))[0]["id"]
                for n in (1, 2)]
    await f.login(client, worker)
    reads = _counting_reads(monkeypatch)
    paths = [f"/families/{family_id}", f"/families/{family_id}/network",
             *(f"/meetings/{meeting}" for meeting in meetings)]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200 and "Moster Alfa" in response.text
    assert reads == [family_id]
    await db.fetch('UPDATE "meeting" SET "title" = {} WHERE "id" = {}', "Nyt navn", meetings[0])
    assert "Nyt navn" in (await client.get(f"/meetings/{meetings[0]}")).text
    assert reads == [family_id]  # the meetings changed, not the network
    await db.fetch('UPDATE "person" SET "name" = {} WHERE "family" = {}', "Moster Beta", family_id)
    for path in paths:
        page = (await client.get(path)).text
        assert "Moster Beta" in page and "Moster Alfa" not in page
    assert reads == [family_id, family_id]
    # outside a page's stamps (a write, a refused form) the network is read as it is
    net = await network_service.load_network(family_id)
    assert len(reads) == 3
    with revisions.network_known(family_id, ("network", "s")):
        first = await network_service.load_network(family_id)
        first.people[0]["name"] = "Ændret i én visning"
        second = await network_service.load_network(family_id)
    assert len(reads) == 4 and second.people[0]["name"] == net.people[0]["name"] == "Moster Beta"
    assert second.snapshot is first.snapshot


async def _stamped_back(family_id: int, stamps: tuple[str, str]) -> None:
    """The family's stamps put back as they were: what a write made with the triggers off
    (a bulk load, a fix in replica mode) leaves."""
    await db.fetch('UPDATE "content_revision" SET "stamp" = {}, "network_stamp" = {} '
                   'WHERE "family_id" = {}', *stamps, family_id)


async def test_what_a_write_behind_the_triggers_leaves_is_gone_within_ten_minutes(client, clock):
    """A keep-apart pair written with the stamps left as they were shows on every view of
    the network within ten minutes (pagecache.KEPT_AT_MOST), although the network as read
    is kept: the pages built from it are kept no longer than it."""
    start = clock.local_now().replace(hour=9, minute=0, second=0, microsecond=0)
    clock.pin(start, ticking=False)
    worker = await f.user()
    family_id = await f.family(worker)
    [mother] = await Person.insert(Person(family=family_id, name="Mor Alfa", role="mother",
                                          sector="family"))
    [uncle] = await Person.insert(Person(family=family_id, name="Onkel Beta", role="relative",
                                         sector="private_network"))
    await Person.insert(Person(family=family_id, name="Barnet", role="child", is_child=True,
                               sector="family"))
    [meeting] = await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                             title="Møde", status="draft"))
    await f.login(client, worker)
    paths = [f"/families/{family_id}/network", f"/families/{family_id}",
             f"/meetings/{meeting['id']}"]
    for path in paths[:2]:
        assert "Trusler" not in (await client.get(path)).text
    suggested = "<strong>Mor Alfa</strong>"  # from the network as read, not a query of its own
    assert suggested in (await client.get(paths[2])).text
    stamps = await _stamps(family_id)
    await KeepApart.insert(KeepApart(family=family_id, person_a=mother["id"],
                                     person_b=uncle["id"], reason="Trusler"))
    await db.fetch('UPDATE "person" SET "name" = {} WHERE "id" = {}', "Mor Gamma", mother["id"])
    await _stamped_back(family_id, stamps)
    clock.pin(start + timedelta(minutes=5), ticking=False)
    # the meeting page is drawn again (a new minute) from the network as read at 9:00
    assert suggested in (await client.get(paths[2])).text
    clock.pin(start + timedelta(minutes=10), ticking=False)
    for path in paths[:2]:
        assert "Trusler" in (await client.get(path)).text, path
    page = (await client.get(paths[2])).text
    assert "<strong>Mor Gamma</strong>" in page and suggested not in page


async def test_a_family_without_stamps_keeps_no_network(client, clock, monkeypatch):
    """The empty stamp can come back (its row deleted, data loaded in bulk): nothing is kept
    under it, so a network written meanwhile is read on the next view."""
    worker = await f.user()
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Moster Alfa", sector="private_network"))
    await db.fetch('DELETE FROM "content_revision" WHERE "family_id" = {}', family_id)
    await f.login(client, worker)
    reads = _counting_reads(monkeypatch)
    [meeting] = await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                             title="Møde", status="draft"))
    await db.fetch('DELETE FROM "content_revision" WHERE "family_id" = {}', family_id)
    for _ in range(2):
        MEETING_PAGES.clear()
        assert "Moster Alfa" in (await client.get(f"/meetings/{meeting['id']}")).text
    assert len(reads) == 2 and len(network_service._kept_networks) == 0
    stamps = family_service.ContentStamps("", "s")
    with family_service.network_known(family_id, stamps):
        await network_service.load_network(family_id)
    assert len(reads) == 3 and len(network_service._kept_networks) == 0
