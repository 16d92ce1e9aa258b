"""The intake over HTTP: questions in order, answers become people, edges and case facts."""

from __future__ import annotations

import re

import pytest

from coordinator.audit.tables import AuditEvent
from coordinator.network.tables import CaseFacts, NetworkChange, Organisation, Person, Relation
from tests import factories as f


async def _setup(client, **family_kw):
    worker = await f.user()
    family_id = await f.family(worker, **family_kw)
    await f.login(client, worker)
    return worker, family_id


async def _post(client, family_id, block, data, htmx=False):
    return await f.post_form(client, f"/families/{family_id}/intake/{block}", data,
                             page=f"/families/{family_id}/intake", htmx=htmx)


async def _family_members(client, family_id):
    await _post(client, family_id, "family", {"name": "Anna Mor", "role": "mother",
                                              "protected_address": "on", "link_family": "on"})
    await _post(client, family_id, "family", {"name": "Emma", "role": "child",
                                              "birth_year": "2017", "link_family": "on"})
    people = {p["name"]: p for p in await Person.select()}
    return people


async def test_intake_page_asks_the_seed_questions_in_order(client):
    _, family_id = await _setup(client)
    page = (await client.get(f"/families/{family_id}/intake")).text
    headings = re.findall(r'<h2 id="q-[a-z0-9_]+-heading">\d+\. ([^<]+)</h2>', page)
    assert headings == [
        "Familien", "Hjælp fra andre offentlige instanser", "Socialrådgiver i Familieafdelingen",
        "Børnefaglig undersøgelse (SL § 50) og støtteforanstaltninger", "Handleplan (SL § 141)",
        "Særlig støtte i dagtilbud, skole eller PPR", "Andre offentlige kontakter",
        "Vigtige personer i det private netværk"]


async def test_family_members_are_linked_mother_to_child(client):
    _, family_id = await _setup(client)
    people = await _family_members(client, family_id)
    assert people["Emma"]["is_child"] and people["Emma"]["birth_year"] == 2017
    assert people["Anna Mor"]["protected_address"] and people["Anna Mor"]["sector"] == "family"
    rels = await Relation.select()
    assert [(r["source"], r["type"], r["target_person"]) for r in rels] == [
        (people["Anna Mor"]["id"], "mother_of", people["Emma"]["id"])]


async def test_plain_post_redirects_back_to_the_question(client):
    _, family_id = await _setup(client)
    response = await _post(client, family_id, "family", {"name": "Emma", "role": "child"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/families/{family_id}/intake#q-family"


async def test_htmx_answer_returns_block_and_updated_result_at_once(client):
    _, family_id = await _setup(client)
    await _family_members(client, family_id)
    response = await _post(client, family_id, "private_network", {
        "name": "Grethe Bedste", "phone": "70 10 20 30", "type": "grandmother_of",
        "target": str((await Person.select().where(Person.name == "Emma").first())["id"]),
        "note": "Henter Emma i skole om tirsdagen"}, htmx=True)
    assert response.status_code == 200, response.text[:1000]
    body = response.text
    assert 'id="q-private_network"' in body and "Grethe Bedste er tilføjet" in body
    assert 'id="intake-result" aria-labelledby="intake-result-heading" hx-swap-oob="true"' in body
    assert "<svg" in body and 'role="img"' in body and "Grethe Bedste" in body
    grethe = await Person.select().where(Person.name == "Grethe Bedste").first()
    assert grethe["role"] == "relative" and grethe["sector"] == "private_network"
    assert grethe["phone"] == "+45 70 10 20 30" and not grethe["is_professional"]
    rel = await Relation.select().where(Relation.source == grethe["id"]).first()
    assert rel["type"] == "grandmother_of" and rel["note"] == "Henter Emma i skole om tirsdagen"


async def test_teacher_becomes_professional_at_a_school_in_the_directory(client):
    _, family_id = await _setup(client)
    people = await _family_members(client, family_id)
    response = await _post(client, family_id, "special_support_person", {
        "name": "Lars Lærer", "title": "Klasselærer", "organisation": "Byskolen",
        "organisation_kind": "school", "type": "teacher_of", "email": "lars@byskolen.example.org",
        "target": str(people["Emma"]["id"]), "note": "Ekstra støtte i dansk"})
    assert response.status_code == 303, response.text[:800]
    lars = await Person.select().where(Person.name == "Lars Lærer").first()
    school = await Organisation.select().where(Organisation.id == lars["organisation"]).first()
    assert (school["name"], school["kind"], school["sector"]) == ("Byskolen", "school",
                                                                 "school_daycare")
    assert lars["is_professional"] and lars["sector"] == "school_daycare"
    rel = await Relation.select().where(Relation.source == lars["id"]).first()
    assert (rel["type"], rel["target_person"]) == ("teacher_of", people["Emma"]["id"])
    # The same school typed again (other case) is found in the directory, not duplicated.
    await _post(client, family_id, "special_support_person", {
        "name": "Pia Pædagog", "organisation": "byskolen", "type": "pedagogue_of",
        "target": str(people["Emma"]["id"])})
    assert await Organisation.count() == 1


async def test_social_worker_defaults_to_the_family_department(client):
    _, family_id = await _setup(client)
    people = await _family_members(client, family_id)
    response = await _post(client, family_id, "social_worker", {
        "name": "Mette Rådgiver", "phone": "+4570102031", "organisation": "Familieafdelingen",
        "target": [str(people["Emma"]["id"]), str(people["Anna Mor"]["id"])]})
    assert response.status_code == 303, response.text[:800]
    mette = await Person.select().where(Person.name == "Mette Rådgiver").first()
    org = await Organisation.select().where(Organisation.id == mette["organisation"]).first()
    assert org["kind"] == "family_department" and mette["sector"] == "social_services"
    rels = await Relation.select().where(Relation.source == mette["id"]).order_by(Relation.id)
    assert [(r["type"], r["target_person"]) for r in rels] == [
        ("social_worker_for", people["Emma"]["id"]), ("social_worker_for", people["Anna Mor"]["id"])]


async def test_case_facts_are_saved_audited_and_shown_on_the_family_page(client):
    _, family_id = await _setup(client)
    assert (await _post(client, family_id, "s50", {
        "version": "1", "s50_status": "in_progress", "s50_date": "2026-09-01",
        "support_measures": "Familiebehandling"})).status_code == 303
    assert (await _post(client, family_id, "s141", {
        "version": "2", "s141_plan": "yes", "s141_date": "2026-10-01"})).status_code == 303
    facts = await CaseFacts.select().first()
    assert facts["s50_status"] == "in_progress" and facts["s141_plan"] == "yes"
    assert facts["support_measures"] == "Familiebehandling" and facts["version"] == 3
    changes = await NetworkChange.select().order_by(NetworkChange.id)
    assert "§ 50-undersøgelse: I gang" in changes[0]["new_value"]
    assert "§ 141-handleplan: Ja" in changes[1]["new_value"]
    assert await AuditEvent.count().where(AuditEvent.entity == "sagsoplysninger") == 2
    page = (await client.get(f"/families/{family_id}")).text
    assert "Sagsoplysninger fra intake" in page and "Familiebehandling" in page
    assert "1. september 2026" in page


async def test_stale_case_facts_are_a_conflict_showing_both(client, other_client):
    worker, family_id = await _setup(client)
    await f.login(other_client, worker)
    first = await _post(client, family_id, "s141", {"version": "1", "s141_plan": "yes"})
    assert first.status_code == 303
    second = await _post(other_client, family_id, "s141", {"version": "1", "s141_plan": "no"})
    assert second.status_code == 409
    assert "Din udgave" in second.text and "Nej" in second.text and "Ja" in second.text
    assert (await CaseFacts.select().first())["s141_plan"] == "yes"


@pytest.mark.parametrize("block,data,message", [
    ("family", {"name": "", "role": "child"}, "Udfyld feltet »Navn«"),
    ("family", {"name": "Emma", "role": "king"}, "Ugyldigt valg i »Rolle i familien«"),
    ("family", {"name": "Emma", "role": "child", "phone": "12"}, "ikke et gyldigt nummer"),
    ("family", {"name": "Emma", "role": "child", "phone": "70 10 ab 30"}, "kun indeholde cifre"),
    ("family", {"name": "Emma", "role": "child", "email": "emma@"}, "E-mailadressen er ikke gyldig"),
    ("family", {"name": "Emma 010190-1234", "role": "child"}, "CPR-nummer"),
    ("family", {"name": "Emma", "role": "child", "birth_year": "1700"}, "mindst 1900"),
    ("private_network", {"name": "Grethe", "type": "grandmother_of"}, "Vælg, hvem i familien"),
    ("private_network", {"name": "Grethe", "type": "boss_of", "target": "TARGET"},
     "Ukendt relationstype"),
    ("private_network", {"name": "Grethe", "type": "teacher_of", "target": "TARGET"},
     "Ukendt relationstype"),
    ("private_network", {"name": "Grethe", "type": "friend_of", "target": "999999"},
     "hører ikke til denne families netværk"),
    ("public_contacts", {"name": "Jens Job", "organisation": "Helt Ny Instans",
                         "type": "contact_person_for", "target": "TARGET"},
     "Vælg, hvilken slags organisation"),
    ("s50", {"version": "1", "s50_status": "maybe"}, "Ugyldigt valg"),
    ("s50", {"version": "1", "s50_date": "2026-13-01"}, "skal være en dato"),
    ("public_help", {"version": "x"}, "helt tal"),
])
async def test_bad_input_is_refused_in_danish_and_nothing_is_saved(client, block, data, message):
    _, family_id = await _setup(client)
    people = await _family_members(client, family_id)
    before = (await Person.count(), await Relation.count(), await NetworkChange.count(),
              await Organisation.count(), await CaseFacts.count())
    data = {k: (str(people["Emma"]["id"]) if v == "TARGET" else v) for k, v in data.items()}
    for htmx in (False, True):
        response = await _post(client, family_id, block, data, htmx=htmx)
        assert response.status_code == 422, response.text[:600]
        assert message in response.text
        assert "Traceback" not in response.text
    after = (await Person.count(), await Relation.count(), await NetworkChange.count(),
             await Organisation.count(), await CaseFacts.count())
    assert after == before


async def test_person_of_another_family_cannot_be_a_target(client):
    worker, family_id = await _setup(client)
    other_family = await f.family(worker)
    await _family_members(client, family_id)
    await _post(client, other_family, "family", {"name": "Fremmed Barn", "role": "child"})
    stranger = await Person.select().where(Person.name == "Fremmed Barn").first()
    response = await _post(client, family_id, "private_network", {
        "name": "Grethe", "type": "friend_of", "target": str(stranger["id"])})
    assert response.status_code == 422
    assert await Person.count().where(Person.name == "Grethe") == 0


async def test_likely_duplicate_is_offered_instead_of_created(client):
    _, family_id = await _setup(client)
    people = await _family_members(client, family_id)
    data = {"name": "Grethe Bedste", "phone": "70 10 20 30", "type": "grandmother_of",
            "target": str(people["Emma"]["id"]), "note": "Passer Emma"}
    assert (await _post(client, family_id, "private_network", data)).status_code == 303
    again = await _post(client, family_id, "private_network", {
        **data, "name": "grethe  bedste", "phone": "+45 70102030", "type": "supports",
        "target": str(people["Anna Mor"]["id"])})
    assert again.status_code == 422
    grethe = await Person.select().where(Person.name == "Grethe Bedste").first()
    assert "findes allerede" in again.text
    assert f'name="existing_person_id" value="{grethe["id"]}"' in again.text
    assert await Person.count().where(Person.phone == "+45 70 10 20 30") == 1
    # Taking the offer adds the new relation to the existing person.
    taken = await _post(client, family_id, "private_network", {
        **data, "type": "supports", "target": str(people["Anna Mor"]["id"]),
        "existing_person_id": str(grethe["id"])})
    assert taken.status_code == 303
    assert await Person.count().where(Person.phone == "+45 70 10 20 30") == 1
    rels = await Relation.select().where(Relation.source == grethe["id"]).order_by(Relation.id)
    assert [r["type"] for r in rels] == ["grandmother_of", "supports"]


async def test_each_intake_change_is_audited_and_in_the_history(client):
    worker, family_id = await _setup(client)
    await _family_members(client, family_id)
    events = await AuditEvent.select().where(
        (AuditEvent.family_id == family_id) & (AuditEvent.action == "create")
        & (AuditEvent.username == worker.username)).order_by(AuditEvent.id)
    assert [(e["username"], e["entity"]) for e in events] == [
        (worker.username, "netværksperson"), (worker.username, "netværksperson"),
        (worker.username, "relation")]
    history = (await client.get(f"/families/{family_id}/history")).text
    assert "Person tilføjet: Anna Mor (Mor)" in history
    assert "Relation tilføjet: Anna Mor mor til Emma" in history
    assert "Beskyttet adresse: ja" in history
