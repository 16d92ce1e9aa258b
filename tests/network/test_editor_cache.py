"""The network editor page is kept like the family page (tests/families/test_page_cache.py):
under the family's and the shared content stamps, per user and day. Every table it reads
is watched by a trigger; the access check, the audit record and the CSRF token stay per
request."""

from __future__ import annotations

from datetime import timedelta

from coordinator import db, demo
from coordinator.audit.tables import AuditEvent
from coordinator.families import revisions
from coordinator.families.tables import Family
from coordinator.network.routes import EDITOR_PAGES
from coordinator.network.tables import Organisation, Person
from tests import factories as f
from tests.support import pages
from tests.support.statements import capture_tables

NOT_CONTENT = {"app_session", "audit_event", "content_revision"}


async def test_every_table_the_editor_reads_is_watched(app, monkeypatch):
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    rendered = 0
    async with pages.team_members(app) as client_for:
        for family in await Family.select(Family.id).order_by(Family.id):
            http = await client_for(family["id"])
            if http is None:
                continue
            reading.on = True
            response = await http.get(f"/families/{family['id']}/network")
            reading.on = False
            if response.status_code == 404:  # a kontaktperson's father-side family
                continue
            assert response.status_code == 200
            rendered += 1
    assert rendered >= 3
    assert {"person", "relation", "organisation"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the network editor reads tables no trigger watches: {unwatched}"


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


async def test_the_editor_is_kept_minutes_later_and_ten_at_most(client, clock):
    """The editor shows nothing that changes by the time alone: kept across minutes (a
    socialrådgiver coming back to it), at most ten (pagecache.KEPT_AT_MOST)."""
    worker = await f.user()
    family_id = await f.family(worker)
    await f.login(client, worker)
    path = f"/families/{family_id}/network"
    start = clock.local_now().replace(hour=10, minute=0, second=0, microsecond=0)
    clock.pin(start, ticking=False)
    first = (await client.get(path)).text
    clock.pin(start + timedelta(minutes=9), ticking=False)
    assert (await client.get(path)).text == first
    clock.pin(start + timedelta(minutes=10), ticking=False)
    await client.get(path)
    assert (EDITOR_PAGES.hits, EDITOR_PAGES.misses) == (1, 2)
