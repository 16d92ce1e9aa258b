"""Each family's Randers-trappen follow-ups due, kept under the family's content stamp.

Safe for the same reasons as the page caches (tests/families/test_page_cache.py): every
table the follow-ups are read from is watched by a trigger, so any change shows on the next
view; who may see which family, and the read record of each family shown, stay per view.
"""

from __future__ import annotations

from datetime import timedelta

from coordinator import clock, db, demo
from coordinator.families import revisions
from coordinator.families.tables import Family
from coordinator.trappe import service
from tests import factories as f
from tests.support.statements import capture_tables
from tests.trappe import data as d

NOT_CONTENT = {"content_revision"}


async def test_every_table_the_followups_are_read_from_is_watched(monkeypatch):
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    reading.on = True
    rows = await Family.select()
    due = await service._due_of(rows, clock.today() + timedelta(days=400), True)  # noqa: SLF001
    assert len(due) == len(rows) >= 10 and any(due.values())
    assert {"person", "trappe_assessment", "stay"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the follow-ups are read from tables no trigger watches: {unwatched}"


async def test_a_change_of_one_family_builds_its_followups_again_and_shows_at_once(
        client, monkeypatch):
    w = await d.world()
    other = await f.family(w.worker, name="Familien Anden", at_crisis_centre=True,
                           opened_on=clock.today() - timedelta(days=20))
    await d.child(other, "Otto Anden", clock.today().year - 6)
    await f.login(client, w.worker)
    home = (await client.get("/")).text
    assert "Ida Trappe" in home and "Otto Anden" in home
    built: list[list[int]] = []
    due_of = service._due_of  # noqa: SLF001

    async def counting(rows, on, names):
        built.append(sorted(r["id"] for r in rows))
        return await due_of(rows, on, names)

    monkeypatch.setattr(service, "_due_of", counting)
    assert (await client.get("/")).text.count("Otto Anden") == home.count("Otto Anden")
    assert built == []  # nothing changed: nothing built again
    # A child renamed behind the services' back (the trigger replaces the family's stamp).
    await db.fetch('UPDATE "person" SET "name" = {} WHERE "id" = {}', "Ida Omdøbt", w.child_id)
    home = (await client.get("/")).text
    assert built == [[w.family_id]]
    assert "Ida Omdøbt" in home and "Ida Trappe" not in home and "Otto Anden" in home
    agenda = (await client.get("/followup/teammoede")).text
    assert "Ida Omdøbt" in agenda and "Otto Anden" in agenda


async def test_a_family_never_stamped_keeps_nothing(monkeypatch):
    """An empty stamp (data loaded in bulk) could come back: no family's follow-ups are
    kept under it, as none are under a stamp that is not read."""
    w = await d.world()
    rows = await Family.select().where(Family.id == w.family_id)
    built: list[int] = []
    due_of = service._due_of  # noqa: SLF001

    async def counting(rows, on, names):
        built.append(len(rows))
        return await due_of(rows, on, names)

    monkeypatch.setattr(service, "_due_of", counting)
    for _ in range(2):
        await service._due(rows, clock.today(), stamps={w.family_id: ""})  # noqa: SLF001
    assert built == [1, 1]
    for _ in range(2):
        await service._due(rows, clock.today(), stamps={w.family_id: "s1"})  # noqa: SLF001
    assert built == [1, 1, 1]
