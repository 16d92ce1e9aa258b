"""Editing people, relations and keep-apart pairs over HTTP: access, audit, history, conflicts."""

from __future__ import annotations

import pytest

from coordinator.audit import service as audit_service
from coordinator.audit.tables import AuditEvent
from coordinator.families.tables import Family
from coordinator.network.tables import KeepApart, NetworkChange, Organisation, Person, Relation
from tests import factories as f


async def _person(family_id: int, name: str, **kw) -> int:
    kw.setdefault("sector", "family")
    return (await Person.insert(Person(family=family_id, name=name, **kw)))[0]["id"]


async def _relation(family_id: int, source: int, type_: str, target: int, note: str = "") -> int:
    return (await Relation.insert(Relation(family=family_id, source=source, target_person=target,
                                           type=type_, note=note)))[0]["id"]


async def _family_with_people():
    worker = await f.user()
    family_id = await f.family(worker)
    emma = await _person(family_id, "Emma", role="child", is_child=True)
    anna = await _person(family_id, "Anna", role="mother", protected_address=True)
    jens = await _person(family_id, "Jens", role="father", used_violence=True)
    return worker, family_id, {"emma": emma, "anna": anna, "jens": jens}


async def _post(client, family_id, path, data, htmx=False):
    return await f.post_form(client, f"/families/{family_id}/network{path}", data,
                             page=f"/families/{family_id}/network", htmx=htmx)


# ------------------------------------------------------------------------ access

GET_ROUTES = ["/intake", "/network", "/network/people/{p}/edit", "/network/people/{p}/remove",
              "/network/relations/{r}/edit", "/network/keep-apart/{k}/edit", "/history",
              "/network.svg"]
POST_ROUTES = [
    ("/intake/family", {"name": "X", "role": "child"}),
    ("/intake/s141", {"version": "1", "s141_plan": "yes"}),
    ("/network/people", {"name": "X", "role": "private_network"}),
    ("/network/people/{p}", {"name": "X", "role": "child", "version": "1"}),
    ("/network/people/{p}/remove", {"confirm": "on"}),
    ("/network/relations", {"source": "{p}", "type": "friend_of", "target_person": "{p}"}),
    ("/network/relations/{r}", {"type": "friend_of", "note": "x", "version": "1"}),
    ("/network/relations/{r}/remove", {}),
    ("/network/keep-apart", {"person_a": "{p}", "person_b": "{p}", "reason": "x"}),
    ("/network/keep-apart/{k}", {"reason": "x", "version": "1"}),
    ("/network/keep-apart/{k}/remove", {}),
]


async def _foreign_family():
    stranger = await f.user()
    family_id = await f.family(stranger, name="Familien Fremmed")
    p = await _person(family_id, "Fremmed Mor", role="mother")
    c = await _person(family_id, "Fremmed Barn", role="child", is_child=True)
    r = await _relation(family_id, p, "mother_of", c)
    k = (await KeepApart.insert(KeepApart(family=family_id, person_a=p, person_b=c)))[0]["id"]
    return family_id, {"p": p, "r": r, "k": k}


def _fill(template: str, ids: dict) -> str:
    return template.format(**ids)


@pytest.mark.parametrize("role", ["socialraadgiver", "samordner", "admin"])
async def test_every_network_route_is_404_for_a_foreign_family(client, role):
    user = await f.user(role)
    await f.family(user)
    family_id, ids = await _foreign_family()
    await f.login(client, user)
    own_family = await f.family(user)
    before = (await Person.count(), await Relation.count(), await KeepApart.count(),
              await NetworkChange.count())
    for route in GET_ROUTES:
        response = await client.get(f"/families/{family_id}" + _fill(route, ids))
        assert response.status_code == 404, route
        assert "Fremmed" not in response.text
    for route, data in POST_ROUTES:
        data = {k: _fill(v, ids) for k, v in data.items()}
        for htmx in (False, True):
            response = await f.post_form(client, f"/families/{family_id}" + _fill(route, ids), data,
                                         page=f"/families/{own_family}" if role == "socialraadgiver"
                                         else "/", htmx=htmx)
            assert response.status_code == 404, (route, htmx)
            assert "Fremmed" not in response.text
    after = (await Person.count(), await Relation.count(), await KeepApart.count(),
             await NetworkChange.count())
    assert after == before


async def test_rows_of_another_family_are_404_inside_my_own_family(client):
    worker, family_id, _ = await _family_with_people()
    _, ids = await _foreign_family()
    await f.login(client, worker)
    for route in ["/network/people/{p}/edit", "/network/relations/{r}/edit",
                  "/network/keep-apart/{k}/edit"]:
        assert (await client.get(f"/families/{family_id}" + _fill(route, ids))).status_code == 404
    response = await _post(client, family_id, _fill("/network/relations/{r}/remove", ids)[8:], {})
    assert response.status_code == 404
    assert await Relation.count() == 1


async def test_closed_family_is_read_only(client):
    worker, family_id, people = await _family_with_people()
    await Family.update({Family.status: "closed"}).where(Family.id == family_id)
    await f.login(client, worker)
    assert (await client.get(f"/families/{family_id}/network")).status_code == 200
    response = await _post(client, family_id, "/people", {"name": "Ny", "role": "private_network"})
    assert response.status_code == 404
    assert await Person.count() == 3


# ------------------------------------------------------------------------ people

async def test_add_edit_person_with_audit_and_history(client):
    worker, family_id, people = await _family_with_people()
    await f.login(client, worker)
    response = await _post(client, family_id, "/people", {
        "name": "Lise Lærer", "role": "professional", "is_professional": "on",
        "organisation": "Byskolen", "organisation_kind": "school", "phone": "70 10 11 12",
        "email": "lise@byskolen.example.org"}, htmx=True)
    assert response.status_code == 200 and 'id="network-editor"' in response.text
    assert "Lise Lærer" in response.text and "Ændringen er gemt" in response.text
    lise = await Person.select().where(Person.name == "Lise Lærer").first()
    assert lise["sector"] == "school_daycare" and lise["phone"] == "+45 70 10 11 12"
    form = (await client.get(f"/families/{family_id}/network/people/{lise['id']}/edit",
                             headers={"HX-Request": "true"})).text
    assert 'name="version" value="1"' in form and "<!doctype" not in form
    response = await _post(client, family_id, f"/people/{lise['id']}", {
        "name": "Lise Lærer", "role": "professional", "is_professional": "on",
        "organisation": "Byskolen", "phone": "70 10 11 13", "version": "1",
        "email": "lise@byskolen.example.org"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/families/{family_id}/network"
    lise = await Person.select().where(Person.id == lise["id"]).first()
    assert lise["phone"] == "+45 70 10 11 13" and lise["version"] == 2
    change = await NetworkChange.select().where(NetworkChange.summary == "Person ændret: Lise Lærer").first()
    assert (change["old_value"], change["new_value"], change["username"]) == (
        "Telefon: +45 70 10 11 12", "Telefon: +45 70 10 11 13", worker.username)
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.entity).where(
        (AuditEvent.username == worker.username) & (AuditEvent.action != "read")
        & (AuditEvent.action != "login")).order_by(AuditEvent.id)
    assert [(e["action"], e["entity"]) for e in events] == [
        ("create", "organisation"), ("create", "netværksperson"), ("update", "netværksperson")]
    history = (await client.get(f"/families/{family_id}/history")).text
    assert "Telefon: +45 70 10 11 12" in history and "Telefon: +45 70 10 11 13" in history


async def test_two_clients_editing_the_same_person_conflict(client, other_client):
    worker, family_id, people = await _family_with_people()
    await f.login(client, worker)
    await f.login(other_client, worker)
    base = {"role": "mother", "protected_address": "on", "version": "1"}
    first = await _post(client, family_id, f"/people/{people['anna']}",
                        {**base, "name": "Anna", "phone": "70 10 20 30"})
    assert first.status_code == 303
    for htmx in (False, True):
        second = await _post(other_client, family_id, f"/people/{people['anna']}",
                             {**base, "name": "Anna", "phone": "70 10 99 99"}, htmx=htmx)
        assert second.status_code == 409
        assert "Din udgave" in second.text and "Gemt af en anden" in second.text
        assert "+45 70 10 99 99" in second.text and "+45 70 10 20 30" in second.text
    anna = await Person.select().where(Person.id == people["anna"]).first()
    assert anna["phone"] == "+45 70 10 20 30" and anna["version"] == 2
    assert await NetworkChange.count() == 1


@pytest.mark.parametrize("data,message", [
    ({"name": "", "role": "child"}, "Udfyld feltet »Navn«"),
    ({"name": "X", "role": "boss"}, "Ugyldigt valg i »Rolle«"),
    ({"name": "X", "role": "child", "phone": "1234"}, "ikke et gyldigt nummer"),
    ({"name": "X", "role": "child", "email": "x@y"}, "E-mailadressen er ikke gyldig"),
    ({"name": "X", "role": "child", "notes": "cpr 0101901234"}, "CPR-nummer"),
    ({"name": "X", "role": "child", "sector": "mars"}, "Ugyldigt valg i »Sektor«"),
    ({"name": "X", "role": "professional", "organisation": "Ny Instans"},
     "Vælg, hvilken slags organisation"),
    ({"name": "X" * 201, "role": "child"}, "højst være 200 tegn"),
])
async def test_bad_person_input_is_refused_and_nothing_saved(client, data, message):
    worker, family_id, _ = await _family_with_people()
    await f.login(client, worker)
    for htmx in (False, True):
        response = await _post(client, family_id, "/people", data, htmx=htmx)
        assert response.status_code == 422
        assert message in response.text
    assert await Person.count() == 3 and await NetworkChange.count() == 0


async def test_duplicate_person_in_editor_is_offered(client):
    worker, family_id, _ = await _family_with_people()
    await _person(family_id, "Grethe", role="relative", phone="+45 70 10 20 30")
    await f.login(client, worker)
    response = await _post(client, family_id, "/people",
                           {"name": "GRETHE", "role": "relative", "phone": "70102030"})
    assert response.status_code == 422 and "findes allerede" in response.text
    assert 'name="existing_person_id"' in response.text
    assert await Person.count() == 4


async def test_removing_a_connected_person_asks_first_then_removes_edges(client):
    worker, family_id, people = await _family_with_people()
    await _relation(family_id, people["anna"], "mother_of", people["emma"])
    await _relation(family_id, people["jens"], "father_of", people["emma"])
    await KeepApart.insert(KeepApart(family=family_id, person_a=people["anna"],
                                     person_b=people["jens"], reason="Vold"))
    await f.login(client, worker)
    confirm = (await client.get(f"/families/{family_id}/network/people/{people['jens']}/remove")).text
    assert "Jens far til Emma" in confirm and "Anna og Jens holdes adskilt" in confirm
    unconfirmed = await _post(client, family_id, f"/people/{people['jens']}/remove", {})
    assert unconfirmed.status_code == 422 and "Bekræft" in unconfirmed.text
    assert "Jens far til Emma" in unconfirmed.text
    assert await Person.count() == 3 and await Relation.count() == 2 and await KeepApart.count() == 1
    done = await _post(client, family_id, f"/people/{people['jens']}/remove",
                       {"confirm": "on", "version": "1"})
    assert done.status_code == 303
    assert await Person.count() == 2 and await Relation.count() == 1 and await KeepApart.count() == 0
    summaries = [c["summary"] for c in await NetworkChange.select().order_by(NetworkChange.id)]
    assert summaries == ["Relation fjernet sammen med Jens: Jens far til Emma",
                         "Aftale om at holde adskilt fjernet sammen med Jens",
                         "Person fjernet: Jens"]
    assert await AuditEvent.count().where(AuditEvent.action == "delete") == 3


async def test_person_without_relations_is_removed_without_confirmation(client):
    worker, family_id, people = await _family_with_people()
    await f.login(client, worker)
    response = await _post(client, family_id, f"/people/{people['emma']}/remove",
                           {"version": "1"}, htmx=True)
    assert response.status_code == 200 and "Emma" not in response.text.split("<h2")[1]
    assert await Person.count() == 2


async def test_removal_is_one_transaction(client, monkeypatch):
    worker, family_id, people = await _family_with_people()
    await _relation(family_id, people["jens"], "father_of", people["emma"])
    original = audit_service.record

    async def failing(user, action, entity, *args, **kw):
        if action == "delete" and entity == "netværksperson":
            raise RuntimeError("disk full")
        return await original(user, action, entity, *args, **kw)

    monkeypatch.setattr(audit_service, "record", failing)
    await f.login(client, worker)
    response = await _post(client, family_id, f"/people/{people['jens']}/remove",
                           {"confirm": "on", "version": "1"})
    assert response.status_code == 500 and "Intet er gemt halvt" in response.text
    assert await Person.count() == 3 and await Relation.count() == 1
    assert await NetworkChange.count() == 0


# --------------------------------------------------------------------- relations

@pytest.mark.parametrize("data,message", [
    ({"source": "anna", "type": "friend_of", "target_person": "anna"}, "relation til sig selv"),
    ({"source": "anna", "type": "boss_of", "target_person": "emma"}, "Ukendt relationstype"),
    ({"source": "anna", "type": "", "target_person": "emma"}, "Udfyld feltet »Relation«"),
    ({"source": "anna", "type": "works_at", "target_person": "emma"}, "skal pege på en organisation"),
    ({"source": "anna", "type": "mother_of", "target_person": ""}, "Vælg, hvem personen er"),
    ({"source": "anna", "type": "mother_of", "target_person": "foreign"}, "hører ikke til"),
    ({"source": "foreign", "type": "mother_of", "target_person": "emma"}, "hører ikke til"),
    ({"source": "anna", "type": "mother_of", "target_person": "emma"}, "findes allerede"),
    ({"source": "anna", "type": "mother_of", "target_person": "abc"}, "helt tal"),
    ({"source": "anna", "type": "friend_of", "target_person": "emma", "note": "0101901234"},
     "CPR-nummer"),
])
async def test_bad_relations_are_refused_and_nothing_saved(client, data, message):
    worker, family_id, people = await _family_with_people()
    await _relation(family_id, people["anna"], "mother_of", people["emma"])
    _, foreign = await _foreign_family()
    people["foreign"] = foreign["p"]
    await f.login(client, worker)
    data = {k: str(people.get(v, v)) for k, v in data.items()}
    for htmx in (False, True):
        response = await _post(client, family_id, "/relations", data, htmx=htmx)
        assert response.status_code == 422, response.text[:300]
        assert message in response.text
    assert await Relation.count() == 2 and await NetworkChange.count() == 0


async def test_relation_add_edit_conflict_remove(client, other_client):
    worker, family_id, people = await _family_with_people()
    await f.login(client, worker)
    await f.login(other_client, worker)
    response = await _post(client, family_id, "/relations", {
        "source": str(people["anna"]), "type": "mother_of", "target_person": str(people["emma"]),
        "note": "Bor sammen"})
    assert response.status_code == 303
    relation = await Relation.select().first()
    ok = await _post(client, family_id, f"/relations/{relation['id']}",
                     {"type": "parent_of", "note": "Bor sammen på krisecentret", "version": "1"})
    assert ok.status_code == 303
    stale = await _post(other_client, family_id, f"/relations/{relation['id']}",
                        {"type": "mother_of", "note": "Andet", "version": "1"})
    assert stale.status_code == 409 and "Bor sammen på krisecentret" in stale.text
    relation = await Relation.select().first()
    assert (relation["type"], relation["note"], relation["version"]) == (
        "parent_of", "Bor sammen på krisecentret", 2)
    removed = await _post(client, family_id, f"/relations/{relation['id']}/remove", {}, htmx=True)
    assert removed.status_code == 200 and await Relation.count() == 0
    summaries = [c["summary"] for c in await NetworkChange.select().order_by(NetworkChange.id)]
    assert summaries == ["Relation tilføjet: Anna mor til Emma",
                         "Relation ændret: Anna forælder til Emma",
                         "Relation fjernet: Anna forælder til Emma"]


# -------------------------------------------------------------------- keep apart

@pytest.mark.parametrize("a,b,message", [
    ("anna", "anna", "holdes adskilt fra sig selv"),
    ("anna", "foreign", "hører ikke til"),
    ("anna", "", "hører ikke til"),
    ("jens", "anna", "skal allerede holdes adskilt"),
])
async def test_bad_keep_apart_is_refused(client, a, b, message):
    worker, family_id, people = await _family_with_people()
    await KeepApart.insert(KeepApart(family=family_id, person_a=people["anna"],
                                     person_b=people["jens"]))
    _, foreign = await _foreign_family()
    people["foreign"] = foreign["p"]
    await f.login(client, worker)
    response = await _post(client, family_id, "/keep-apart", {
        "person_a": str(people.get(a, a)), "person_b": str(people.get(b, b)), "reason": "x"})
    assert response.status_code == 422 and message in response.text
    assert await KeepApart.count() == 2 and await NetworkChange.count() == 0


async def test_keep_apart_add_edit_remove_with_history(client):
    worker, family_id, people = await _family_with_people()
    await f.login(client, worker)
    added = await _post(client, family_id, "/keep-apart", {
        "person_a": str(people["anna"]), "person_b": str(people["jens"]), "reason": "Vold"},
        htmx=True)
    assert added.status_code == 200 and "Anna og Jens holdes adskilt" in added.text
    pair = await KeepApart.select().first()
    edited = await _post(client, family_id, f"/keep-apart/{pair['id']}",
                         {"reason": "Vold; polititilhold", "version": "1"})
    assert edited.status_code == 303
    stale = await _post(client, family_id, f"/keep-apart/{pair['id']}",
                        {"reason": "Noget andet", "version": "1"})
    assert stale.status_code == 409
    removed = await _post(client, family_id, f"/keep-apart/{pair['id']}/remove", {})
    assert removed.status_code == 303 and await KeepApart.count() == 0
    changes = await NetworkChange.select().order_by(NetworkChange.id)
    assert [(c["entity"], c["old_value"].split("\n")[-1], c["new_value"].split("\n")[-1])
            for c in changes] == [
        ("holdes_adskilt", "", "Begrundelse: Vold"),
        ("holdes_adskilt", "Begrundelse: Vold", "Begrundelse: Vold; polititilhold"),
        ("holdes_adskilt", "Begrundelse: Vold; polititilhold", "")]


async def test_a_relation_to_a_person_and_an_organisation_at_once_is_refused(client):
    """Both targets chosen: one would be dropped without a word, so she is asked which."""
    worker, family_id, people = await _family_with_people()
    org = (await Organisation.insert(Organisation(name="Ydelseskontoret", kind="other",
                                                  sector="social_services")))[0]["id"]
    await f.login(client, worker)
    response = await _post(client, family_id, "/relations", {
        "source": str(people["anna"]), "type": "works_at", "target_person": str(people["emma"]),
        "target_organisation": str(org)})
    assert response.status_code == 422 and "ikke begge" in response.text
    assert await Relation.count() == 0
