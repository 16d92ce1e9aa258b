"""The network service without HTTP: the snapshot from the database, query counts, case facts."""

from __future__ import annotations

import re

import pytest

from coordinator import db, web
from coordinator.network import ecomap, graph, service
from coordinator.network.service import PersonInput, RelationInput
from coordinator.network.tables import NetworkChange, Organisation, Person
from coordinator.network.vocab import NodeKind, Sector
from tests import factories as f


async def _network(family_id: int, actor, size: int) -> None:
    child = await service.add_person(actor, family_id, PersonInput("Emma", role="child"))
    for i in range(size):
        await service.add_person(
            actor, family_id,
            PersonInput(f"Fagperson {i}", role="professional", is_professional=True,
                        organisation_name=f"Skole {i % 3}", organisation_kind="school"),
            relations=[RelationInput("teacher_of", target_person_id=child, note="Dansk")])


@pytest.fixture
def count_queries(monkeypatch):
    engine_class = type(db.engine())
    counter = {"n": 0}
    original = engine_class.run_querystring

    async def counting(self, *args, **kwargs):
        counter["n"] += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    original_fetch = db.fetch

    async def counting_fetch(*args, **kwargs):  # hand-written statements (outside transactions)
        counter["n"] += 1
        return await original_fetch(*args, **kwargs)

    monkeypatch.setattr(db, "fetch", counting_fetch)
    monkeypatch.setattr(db.statements, "fetch", counting_fetch)  # what ``db.rows`` runs
    return counter


@pytest.mark.parametrize("size", [2, 30])
async def test_snapshot_takes_four_queries_whatever_the_size(count_queries, size):
    actor = await f.user()
    family_id = await f.family(actor)
    await _network(family_id, actor, size)
    count_queries["n"] = 0
    net = await service.load_network(family_id)
    assert count_queries["n"] == 4
    assert len(net.snapshot.people) == size + 1
    assert len(net.snapshot.organisations) == min(size, 3)
    assert {r.target_kind for r in net.snapshot.relations} == {NodeKind.PERSON}
    teacher = next(p for p in net.snapshot.people if p.name == "Fagperson 0")
    assert teacher.sector is Sector.SCHOOL_DAYCARE and teacher.is_professional


async def test_snapshot_keeps_families_apart_and_feeds_the_rules():
    actor = await f.user()
    mine, other = await f.family(actor), await f.family(actor)
    await _network(mine, actor, 2)
    await _network(other, actor, 1)
    net = await service.load_network(mine)
    assert {p["name"] for p in net.people} == {"Emma", "Fagperson 0", "Fagperson 1"}
    overview = service.graph.who_does_what(net.snapshot)
    assert [i.name for i in overview[0].professionals] == ["Fagperson 0", "Fagperson 1"]


async def test_works_at_relation_points_at_an_organisation():
    actor = await f.user()
    family_id = await f.family(actor)
    org = (await Organisation.insert(Organisation(name="PPR", kind="ppr",
                                                  sector="school_daycare")))[0]["id"]
    person = await service.add_person(actor, family_id, PersonInput(
        "Pia Psykolog", role="professional", is_professional=True))
    await service.add_relation(actor, family_id, RelationInput(
        "works_at", source_id=person, target_organisation_id=org))
    net = await service.load_network(family_id)
    assert net.describe_relation(net.relations[0]) == "Pia Psykolog arbejder i PPR"
    assert net.snapshot.relations[0].target_kind is NodeKind.ORGANISATION


async def test_a_failing_relation_rolls_back_the_new_person():
    actor = await f.user()
    family_id = await f.family(actor)
    with pytest.raises(web.UserError, match="Ukendt relationstype"):
        await service.add_person(actor, family_id, PersonInput("Grethe", role="relative"),
                                 relations=[RelationInput("boss_of", target_person_id=1)])
    assert await Person.count() == 0 and await NetworkChange.count() == 0


async def test_case_facts_first_save_and_stale_version():
    actor = await f.user()
    family_id = await f.family(actor)
    facts = await service.case_facts(family_id)
    assert facts["version"] == 1 and facts["s50_status"] == ""
    assert await service.save_case_facts(actor, family_id, {"s141_plan": "yes"}, 1) == 2
    with pytest.raises(web.Conflict) as exc:
        await service.save_case_facts(actor, family_id, {"s141_plan": "no"}, 1)
    assert exc.value.mine == {"§ 141-handleplan": "Nej"}
    assert exc.value.theirs == {"§ 141-handleplan": "Ja"}
    assert service.case_facts_shown(await service.case_facts(family_id)) == [
        ("§ 141-handleplan", "Ja")]


def test_an_inline_ecomap_is_the_standalone_one_without_its_style_attribute():
    snapshot = graph.NetworkSnapshot(people=(
        graph.Person(id=1, name='Ida style="x"', sector=Sector.FAMILY, is_child=True),
        graph.Person(id=2, name="Mor", sector=Sector.FAMILY)))
    standalone = ecomap.ecomap_svg(snapshot, id_prefix="m")
    inline = ecomap.ecomap_svg(snapshot, id_prefix="m", inline=True)
    assert f' style="{ecomap.STANDALONE_STYLE}"' in standalone
    assert inline == standalone.replace(f' style="{ecomap.STANDALONE_STYLE}"', "", 1)
    assert not re.search(r'<[^>]*\sstyle="', inline)  # a name's text may say style=, no tag does
