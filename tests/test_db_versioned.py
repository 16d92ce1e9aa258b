"""``db.update_versioned``: the one optimistic-locking write, and its ``Conflict``.

A write that names a stale version, or none at all, changes nothing and tells the second
writer both sides; of two writers that saw the same version exactly one wins.
"""

from __future__ import annotations

import asyncio

import pytest

from coordinator import db, web
from coordinator.db import versioned
from coordinator.families.tables import Family
from coordinator.network.tables import CaseFacts, Person
from tests import factories as f


async def _family() -> dict:
    family_id = await f.family(await f.user(), name="Familien Versionsen")
    row = await Family.select().where(Family.id == family_id).first()
    assert row is not None and row["version"] == 1
    return row


async def _saved(family_id: int) -> dict:
    row = await Family.select().where(Family.id == family_id).first()
    assert row is not None
    return row


async def test_the_version_seen_writes_and_counts_up():
    family = await _family()
    async with db.transaction():
        row = await db.update_versioned(Family, family["id"], 1, {Family.notes: "Første note"})
    assert row["version"] == 2 and row["notes"] == "Første note"
    saved = await _saved(family["id"])
    assert (saved["version"], saved["notes"]) == (2, "Første note")
    # column names work as keys too, and the next write needs the new version
    await db.update_versioned(Family, family["id"], 2, {"notes": "Anden note"})
    assert (await _saved(family["id"]))["notes"] == "Anden note"


@pytest.mark.parametrize("sent", [1, 7, None])
async def test_a_stale_or_missing_version_is_a_conflict_and_nothing_is_saved(sent):
    family = await _family()
    await db.update_versioned(Family, family["id"], 1, {Family.notes: "Gemt af Lene"})
    with pytest.raises(db.Conflict) as refused:
        await db.update_versioned(Family, family["id"], sent, {Family.notes: "Mit udkast"},
                                  mine={"notes": "Mit udkast"}, shown=["notes"],
                                  message="Sagen er ændret af en anden.")
    conflict = refused.value
    assert isinstance(conflict, web.Conflict) and conflict.status == 409
    # a missing version says so: nobody else need have saved
    assert conflict.message == ("Sagen er ændret af en anden." if sent is not None
                                else versioned.MISSING_VERSION_MESSAGE)
    assert conflict.missing_version is (sent is None)
    assert conflict.mine == {"notes": "Mit udkast", "version": sent}
    assert conflict.theirs == {"notes": "Gemt af Lene", "version": 2}
    saved = await _saved(family["id"])
    assert (saved["version"], saved["notes"]) == (2, "Gemt af Lene")


async def test_theirs_is_the_whole_row_unless_fields_are_named():
    family = await _family()
    with pytest.raises(db.Conflict) as refused:
        await db.update_versioned(Family, family["id"], 5, {Family.notes: "x"})
    assert refused.value.theirs["name"] == "Familien Versionsen"
    assert refused.value.theirs["version"] == 1
    assert refused.value.mine == {"version": 5}


async def test_a_further_condition_that_no_longer_holds_is_a_conflict():
    family = await _family()
    await Family.update({Family.status: "closed"}).where(Family.id == family["id"])
    with pytest.raises(db.Conflict) as refused:
        await db.update_versioned(Family, family["id"], 1, {Family.notes: "x"},
                                  where=Family.status == "active", shown=["status"])
    assert refused.value.theirs == {"status": "closed", "version": 1}
    assert (await _saved(family["id"]))["notes"] == ""


async def test_a_row_that_is_gone_is_a_conflict_with_nothing_saved_on_their_side():
    family = await _family()
    await Family.delete().where(Family.id == family["id"])
    with pytest.raises(db.Conflict) as refused:
        await db.update_versioned(Family, family["id"], 1, {Family.notes: "x"})
    assert refused.value.theirs == {}


async def test_rows_found_by_another_key():
    family = await _family()
    await CaseFacts.insert(CaseFacts(family=family["id"]))
    row = await db.update_versioned(CaseFacts, family["id"], 1, {CaseFacts.s141_plan: "yes"},
                                    key=CaseFacts.family)
    assert (row["family"], row["version"], row["s141_plan"]) == (family["id"], 2, "yes")
    with pytest.raises(db.Conflict):
        await db.update_versioned(CaseFacts, family["id"], 1, {CaseFacts.s141_plan: "no"},
                                  key=CaseFacts.family)


async def test_of_two_writers_that_saw_the_same_version_exactly_one_wins():
    family = await _family()

    async def write(note: str) -> str:
        try:
            async with db.transaction():
                await db.update_versioned(Family, family["id"], 1, {Family.notes: note})
        except db.Conflict:
            return "conflict"
        return note

    outcomes = await asyncio.gather(write("Lene"), write("Mads"))
    assert sorted(outcomes, key=lambda o: o == "conflict")[1] == "conflict"
    winner = next(o for o in outcomes if o != "conflict")
    saved = await _saved(family["id"])
    assert (saved["version"], saved["notes"]) == (2, winner)


async def test_a_system_write_names_no_version_and_still_raises_it():
    family = await _family()
    row = await db.update_versioned(Family, family["id"], db.ANY_VERSION, {Family.notes: "Trin"})
    assert (row["version"], row["notes"]) == (2, "Trin")
    with pytest.raises(db.Conflict):  # a form opened before is told
        await db.update_versioned(Family, family["id"], 1, {Family.notes: "Gammel formular"})


async def test_a_system_write_to_many_rows_raises_each_ones_version():
    family, other = await _family(), await _family()
    for family_id, name in ((family["id"], "Anna"), (family["id"], "Bo"), (other["id"], "Cia")):
        await Person.insert(Person(family=family_id, name=name, role="mother", notes="x"))
    changed = await db.update_each_versioned(Person, Person.family == family["id"],
                                             {Person.notes: ""})
    assert changed == 2
    rows = await Person.select(Person.name, Person.notes, Person.version).order_by(Person.id)
    assert [tuple(r.values()) for r in rows] == [("Anna", "", 2), ("Bo", "", 2), ("Cia", "x", 1)]
    assert await db.update_each_versioned(Person, Person.family == -1, {Person.notes: ""}) == 0
