"""The team agenda's rows of a user's own families, kept under the families' content stamps.

Safe for the same reasons as the page caches (tests/families/test_page_cache.py): every
table the agenda's facts come from is watched by a trigger, so any change shows on the next
view; who may see which family, and the audit record of each family shown, stay per view.
"""

from __future__ import annotations

from datetime import timedelta

from coordinator import clock, db, demo
from coordinator.audit.tables import AuditEvent
from coordinator.families import revisions
from coordinator.families.tables import Family, TeamMember
from coordinator.followup import service
from tests import factories as f
from tests.followup import data as d
from tests.support.statements import capture_tables

NOT_CONTENT = {"content_revision"}


async def test_every_table_the_agenda_reads_is_watched(monkeypatch):
    """The facts of every demo family (all stages of familierådslagning and BIC, stays,
    meetings) are read with the statements captured: each table must be watched."""
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    reading.on = True
    rows = await Family.select()
    facts = await service._agenda_facts(rows)  # noqa: SLF001 - what the cache keeps
    assert len(facts) == len(rows) >= 10
    assert {"meeting", "fgc_case", "father_assessment", "stay"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the team agenda reads tables no trigger watches: {unwatched}"


async def _page(client, on) -> str:
    response = await client.get(f"/followup/teammoede?date={on.isoformat()}")
    assert response.status_code == 200
    return response.text


async def test_a_change_shows_on_the_next_view_and_every_view_is_audited(client):
    sara = await f.user()
    family_id = await f.family(sara, name="Familien Cache")
    on = clock.today() + timedelta(days=1)
    await f.login(client, sara)
    first = await _page(client, on)
    assert "Familien Cache" in first
    hits = service._own_agendas.hits  # noqa: SLF001
    assert await _page(client, on) == first
    assert service._own_agendas.hits == hits + 1  # noqa: SLF001
    # A meeting planned behind the services' back is on the next view.
    await d.meeting(family_id, "statusmoede", "planned", d.local(on + timedelta(days=2)),
                    title="Statusmøde om skolen")
    assert "Statusmøde om skolen" in await _page(client, on)
    # A renamed family (the family table itself) too.
    await db.fetch('UPDATE "family" SET "name" = {} WHERE "id" = {}', "Familien Ny", family_id)
    assert "Familien Ny" in await _page(client, on)
    reads = await AuditEvent.count().where(
        (AuditEvent.family_id == family_id) & (AuditEvent.action == "read")
        & (AuditEvent.entity == service.AGENDA_ENTITY))
    assert reads == 4


async def test_each_user_sees_only_their_own_families(client, other_client):
    sara = await f.user()
    mikkel = await f.user()
    shared = await f.family(sara, mikkel, name="Familien Fælles")
    await f.family(sara, name="Familien Saras")
    on = clock.today() + timedelta(days=1)
    await f.login(client, sara)
    await f.login(other_client, mikkel)
    saras = await _page(client, on)
    mikkels = await _page(other_client, on)
    assert "Familien Saras" in saras and "Familien Fælles" in saras
    assert "Familien Fælles" in mikkels and "Familien Saras" not in mikkels
    # Taken off the team: gone from the next view, although the rows were kept.
    await TeamMember.delete().where((TeamMember.family == shared)
                                    & (TeamMember.user == mikkel.id))
    assert "Familien Fælles" not in await _page(other_client, on)


async def test_the_whole_agenda_page_is_kept_and_its_parts_audited_on_every_view(
        client, monkeypatch, clock):
    """The page (rows, the trappe point and the goals) is kept under the stamps of its
    families: every table its parts read is watched, a trappe assessment recorded behind
    the services' back shows on the next view, and the trappe's and the goals' read records
    are written on every view, also from the cache."""
    from coordinator.followup.routes import AGENDA_PAGES
    from coordinator.method import service as method
    from coordinator.method.tables import Goal
    from coordinator.trappe import service as trappe
    from coordinator.trappe.tables import TrappeAssessment
    from tests.trappe import data as trappe_data

    w = await trappe_data.world()
    await Goal.insert(Goal(family=w.family_id, title="Skolestart", cadence="quarterly",
                           starts_on=clock.today() - timedelta(days=95)))
    await f.login(client, w.worker)
    clock.pin(clock.now(), ticking=False)  # one minute of the key throughout
    reading = capture_tables(monkeypatch)
    reading.on = True
    first = (await client.get("/followup/teammoede")).text
    reading.on = False
    assert "Ida Trappe" in first and "Skolestart" in first
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT - {
        "app_session", "audit_event", "meeting_series"}
    assert not unwatched, f"the agenda page reads tables no trigger watches: {unwatched}"
    hits = AGENDA_PAGES.hits
    assert (await client.get("/followup/teammoede")).text == first
    assert AGENDA_PAGES.hits == hits + 1
    await TrappeAssessment.insert(TrappeAssessment(
        family=w.family_id, child=w.child_id, step=1, assessed_on=clock.today()))
    second = (await client.get("/followup/teammoede")).text
    assert second != first
    assert AGENDA_PAGES.hits == hits + 1
    for entity, expected in ((trappe.AGENDA_ENTITY, 2), (method.GOAL_ENTITY, 3)):
        reads = await AuditEvent.count().where(
            (AuditEvent.family_id == w.family_id) & (AuditEvent.action == "read")
            & (AuditEvent.entity == entity))
        assert reads >= expected, entity


async def test_after_a_change_of_one_family_only_its_row_is_built_again(client, monkeypatch):
    sara = await f.user()
    changed = await f.family(sara, name="Familien Ændret")
    others = [await f.family(sara, name=f"Familien Uændret {i}") for i in range(3)]
    on = clock.today() + timedelta(days=1)
    await f.login(client, sara)
    first = await _page(client, on)
    built: list[list[int]] = []
    facts = service._agenda_facts  # noqa: SLF001

    async def counting(rows, titles=True):
        built.append(sorted(r["id"] for r in rows))
        return await facts(rows, titles)

    monkeypatch.setattr(service, "_agenda_facts", counting)
    await d.meeting(changed, "statusmoede", "planned", d.local(on + timedelta(days=2)),
                    title="Statusmøde om skolen")
    page = await _page(client, on)
    assert built == [[changed]]
    assert "Statusmøde om skolen" in page and "Statusmøde om skolen" not in first
    names = ["Familien Ændret", *(f"Familien Uændret {i}" for i in range(len(others)))]
    assert sorted(names, key=page.index) == sorted(names, key=first.index)  # the same order
