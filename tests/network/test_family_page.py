"""The family page's network section: map, table, overview and gaps, for every demo family."""

from __future__ import annotations

import re
from datetime import timedelta

from coordinator import clock, demo
from coordinator.agreements.tables import Agreement, AgreementParty
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families.tables import Family, TeamMember
from coordinator.network.tables import KeepApart, Organisation, Person, Relation
from tests import factories as f
from tests.support.statements import capture_tables


async def _login_demo(client, username: str) -> None:
    user = await User.select().where(User.username == username).first()
    await f.login(client, Principal(user["id"], username, Role(user["role"])), password="demo")


async def test_every_demo_family_page_shows_map_and_table(client, other_client):
    assert await demo.load()
    families = await Family.select(Family.id, Family.name).order_by(Family.id)
    assert len(families) == 30
    logged_in: dict[str, object] = {}
    for family in families:
        member = await TeamMember.select(TeamMember.user.username.as_alias("username")).where(
            TeamMember.family == family["id"]).first()
        username = member["username"]
        http = client if username == "sara" else other_client
        if username not in logged_in:
            await _login_demo(http, username)
            logged_in[username] = http
        http = logged_in[username]
        response = await http.get(f"/families/{family['id']}")
        assert response.status_code == 200, family
        page = response.text
        svg = re.search(r"<svg[^>]*>", page)
        assert svg and 'role="img"' in svg.group(0), family["name"]
        assert '<figure class="ecomap"' in page and "<figcaption" in page
        assert "style=" not in page.split('<figure class="ecomap"')[1].split("</figure>")[0]
        assert "<caption>Personer i netværket (" in page
        people = await Person.select(Person.name).where(Person.family == family["id"])
        assert 8 <= len(people) <= 40, (family["name"], len(people))
        for person in people:
            assert f'<th scope="row">{person["name"]}' in page.replace("&#39;", "'")
        assert "Hvem gør hvad – for hvert barn" in page


async def test_demo_networks_are_realistic_and_safe():
    assert await demo.load()
    crisis = await Organisation.select().where(Organisation.kind == "crisis_centre").first()
    assert crisis["location_protected"] and crisis["address"]
    assert await Organisation.count().where(Organisation.kind == "school") >= 4
    families = await Family.select().order_by(Family.id)
    violent_pairs = 0
    for family in families:
        people = await Person.select().where(Person.family == family["id"])
        mothers = [p for p in people if p["role"] == "mother"]
        assert len(mothers) == 1
        assert mothers[0]["protected_address"] is family["at_crisis_centre"]
        assert any(p["is_professional"] for p in people)
        assert any(p["sector"] == "private_network" for p in people)
        assert 1 <= sum(p["is_child"] for p in people) <= 4
        father = next(p for p in people if p["role"] == "father")
        pairs = await KeepApart.select().where(KeepApart.family == family["id"])
        if father["used_violence"]:
            violent_pairs += 1
            assert {(k["person_a"], k["person_b"]) for k in pairs} == {
                (mothers[0]["id"], father["id"])}
        assert all("example.org" in p["email"] for p in people if p["email"])
        assert all(p["phone"].startswith("+45 70 10 ") for p in people if p["phone"])
    assert violent_pairs >= 5
    assert await Relation.count().where(Relation.type == "knows") > 0
    assert await Relation.count().where(Relation.type == "coordinator_for") > 0


async def test_printable_map_is_a_download_without_the_family_name_and_audited(client):
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Hemmeligsen")
    await Person.insert(Person(family=family_id, name="Emma", role="child", is_child=True,
                               sector="family"))
    await f.login(client, worker)
    response = await client.get(f"/families/{family_id}/network.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="netvaerkskort.svg"'
    assert "Hemmeligsen" not in disposition
    assert response.text.startswith("<svg") and 'role="img"' in response.text and "Emma" in response.text
    exports = await AuditEvent.select().where(AuditEvent.action == "export")
    assert [(e["username"], e["family_id"], e["entity"]) for e in exports] == [
        (worker.username, family_id, "netværkskort")]


async def test_gaps_and_strength_are_shown_in_words(client):
    worker = await f.user()
    family_id = await f.family(worker)
    school = (await Organisation.insert(Organisation(name="Byskolen", kind="school",
                                                     sector="school_daycare")))[0]["id"]
    ids = {}
    for name, kw in [
        ("Emma", dict(role="child", is_child=True, sector="family")),
        ("Anna", dict(role="mother", sector="family", protected_address=True)),
        ("Jens", dict(role="father", sector="family", used_violence=True)),
        ("Lars Lærer", dict(role="professional", is_professional=True, sector="school_daycare",
                            organisation=school)),
        ("Sofie Sundhed", dict(role="professional", is_professional=True, sector="health")),
        ("Grethe", dict(role="relative", sector="private_network")),
    ]:
        ids[name] = (await Person.insert(Person(family=family_id, name=name, **kw)))[0]["id"]
    for src, type_, dst, note in [("Anna", "mother_of", "Emma", ""), ("Jens", "father_of", "Emma", ""),
                                  ("Lars Lærer", "teacher_of", "Emma", ""),
                                  ("Sofie Sundhed", "health_visitor_for", "Emma", ""),
                                  ("Grethe", "grandmother_of", "Emma", "Henter i skole")]:
        await Relation.insert(Relation(family=family_id, source=ids[src], target_person=ids[dst],
                                       type=type_, note=note))
    await f.login(client, worker)
    page = (await client.get(f"/families/{family_id}")).text
    assert "ingen er udpeget som tovholder" in page
    assert "ingen kendt kontakt med hinanden" in page
    assert "ingen aftale om at holde dem adskilt" in page
    # Most important first: safety, then the missing tovholder, then contact.
    assert (page.index("ingen aftale om at holde dem adskilt")
            < page.index("ingen er udpeget som tovholder")
            < page.index("ingen kendt kontakt med hinanden"))
    assert "<strong>Advarsel:</strong>" not in page
    assert "Privat netværk: <strong>svagt</strong>" in page
    assert "Beskyttet adresse" in page and "Har udøvet vold" in page
    assert "Henter i skole" in page


async def test_many_professionals_without_contact_are_one_finding_and_a_tovholder_ends_it(client):
    worker = await f.user()
    family_id = await f.family(worker)
    emma = (await Person.insert(Person(family=family_id, name="Emma", role="child",
                                       is_child=True, sector="family")))[0]["id"]
    pros = []
    for number, (name, sector) in enumerate([("Lars Lærer", "school_daycare"),
                                             ("Sofie Sundhed", "health"),
                                             ("Pia Psykolog", "health"),
                                             ("Dorte Dagpleje", "school_daycare"),
                                             ("Bo Behandler", "social_services")]):
        org = (await Organisation.insert(Organisation(name=f"Sted {number}", kind="other",
                                                      sector=sector)))[0]["id"]
        pid = (await Person.insert(Person(family=family_id, name=name, role="professional",
                                          is_professional=True, sector=sector,
                                          organisation=org)))[0]["id"]
        await Relation.insert(Relation(family=family_id, source=pid, target_person=emma,
                                       type="other"))
        pros.append(pid)
    await f.login(client, worker)
    page = (await client.get(f"/families/{family_id}")).text
    # Ten pairs without contact and no tovholder: said once, naming the five.
    assert "Ingen tovholder for barnet (1)" in page
    assert page.count("kendt kontakt med hinanden") == 1
    assert ("Bo Behandler, Dorte Dagpleje, Lars Lærer, Pia Psykolog og Sofie Sundhed arbejder "
            "med Emma, men har ikke alle kendt kontakt med hinanden.") in page
    assert "Fagpersoner om samme barn uden kendt kontakt" not in page
    assert '<details class="gaps-folded">' not in page
    # With a tovholder for Emma, the tovholder is everyone's contact: nothing to report.
    await Relation.insert(Relation(family=family_id, source=pros[4], target_person=emma,
                                   type="coordinator_for"))
    page = (await client.get(f"/families/{family_id}")).text
    assert "kendt kontakt" not in page and "tovholder" not in page.split("Netværkskort")[0]


async def test_demo_families_show_few_findings(client, other_client):
    """Issue 17, point 5: a demo family's network section shows its safety findings and at
    most one more (the missing tovholder with the professionals without contact, or the
    contact alone); it used to show 4–9 pairs repeating the missing tovholder."""
    assert await demo.load()
    logged_in: dict[str, object] = {}
    for family in await Family.select(Family.id, Family.name).order_by(Family.id):
        member = await TeamMember.select(TeamMember.user.username.as_alias("username")).where(
            TeamMember.family == family["id"]).first()
        username = member["username"]
        if username not in logged_in:
            http = client if not logged_in else other_client
            await _login_demo(http, username)
            logged_in[username] = http
        page = (await logged_in[username].get(f"/families/{family['id']}")).text
        lists = re.findall(r'<ul class="gaps">(.*?)</ul>', page, re.S)
        findings = [item for found in lists for item in re.findall(r"<li[^>]*>", found)]
        safety = [item for item in findings if "alert-error" in item]
        assert len(findings) - len(safety) <= 1, (family["name"], findings)
        assert page.count("kendt kontakt med hinanden") <= 1, family["name"]
        assert page.count("ingen er udpeget som tovholder") <= 1, family["name"]


async def test_the_demo_keeps_a_family_where_every_audience_can_be_tried():
    """Issue 14's proof: one demo family with a protected mother at the crisis centre, the
    father in Barnet i Centrum referred to mads, a familierådslagning coordinated by ida
    and partners invited to a sent meeting."""
    from coordinator.meetings.tables import FatherAssessment, FgcCase, Meeting, Participant

    assert await demo.load()
    users = {u["username"]: u["id"] for u in await User.select(User.id, User.username)}
    fathers = {r["family"] for r in await FatherAssessment.select(FatherAssessment.family).where(
        FatherAssessment.contact_person == users["mads"])}
    coordinated = {r["family"] for r in await FgcCase.select(FgcCase.family).where(
        FgcCase.samordner_user == users["ida"])}
    invited = await Meeting.select(Meeting.id, Meeting.family).where(Meeting.status == "invited")
    partners = {m["family"] for m in invited if await Participant.exists().where(
        (Participant.meeting == m["id"]) & (Participant.person.is_professional == True))}  # noqa: E712
    protected = {f["id"] for f in await Family.select(Family.id).where(
        Family.at_crisis_centre == True)}  # noqa: E712
    assert protected & fathers & coordinated & partners


async def test_a_network_the_graph_cannot_take_is_said_on_the_family_page(client):
    """A relation to someone of another family (edited by hand, or from before a check):
    the family page still opens and says so in its network section, and the editor answers
    409 with the same Danish message instead of a server error."""
    worker = await f.user()
    family_id = await f.family(worker)
    other_family = await f.family(worker)
    child = await Person.insert(Person(family=family_id, name="Lille Test", is_child=True,
                                       role="child", sector="family"))
    stranger = await Person.insert(Person(family=other_family, name="Fremmed", sector="family"))
    await Relation.insert(Relation(family=family_id, source=child[0]["id"],
                                   target_person=stranger[0]["id"], type="supports"))
    await f.login(client, worker)
    page = await client.get(f"/families/{family_id}")
    assert page.status_code == 200
    assert "peger på en person uden for familien" in page.text
    assert 'id="network-heading"' in page.text and "<svg" not in page.text.split(
        'id="network-heading"')[1].split("</section>")[0]
    editor = await client.get(f"/families/{family_id}/network", headers={"Accept": "text/html"})
    assert editor.status_code == 409
    assert "peger på en person uden for familien" in editor.text


async def _family_with_places(worker) -> dict[str, int]:
    """A family whose network reaches two organisations with agreements: a school through a
    teacher, a day care through a relation of the child."""
    family_id = await f.family(worker, at_crisis_centre=False)
    places = {}
    for name, kind in (("Nordskolen", "school"), ("Børnehuset Solen", "day_care")):
        places[name] = (await Organisation.insert(Organisation(name=name, kind=kind,
                                                               sector="school_daycare")))[0]["id"]
        agreement = (await Agreement.insert(Agreement(
            title=f"Aftale med {name}", partner=places[name],
            period_start=clock.today() - timedelta(days=30),
            period_end=clock.today() + timedelta(days=365))))[0]["id"]
        await AgreementParty.insert(AgreementParty(agreement=agreement,
                                                   organisation=places[name], position=0))
    child = (await Person.insert(Person(family=family_id, name="Ida Lund", role="child",
                                        is_child=True, birth_year=2019, sector="family")))[0]["id"]
    # a child by role alone (recorded before the flag), as the trappe counts children
    await Person.insert(Person(family=family_id, name="Otto Lund", role="child",
                               is_child=False, sector="family"))
    await Person.insert(Person(family=family_id, name="Bo Lærer", role="professional",
                               is_professional=True, sector="school_daycare",
                               organisation=places["Nordskolen"]))
    await Relation.insert(Relation(family=family_id, source=child,
                                   target_organisation=places["Børnehuset Solen"],
                                   type="works_at"))
    return {"family": family_id, "child": child}


async def test_the_family_pages_sections_read_the_network_once(client, monkeypatch):
    """The trappe's children, the agreements' organisations and the access export's people
    come from the network the page has read: the family's persons are read once."""
    worker = await f.user()
    case = await _family_with_places(worker)
    await f.login(client, worker)
    reading = capture_tables(monkeypatch)
    reading.on = True
    page = (await client.get(f"/families/{case['family']}")).text
    persons_read = [sql for sql in reading.statements if 'FROM "person"' in sql]
    assert len(persons_read) == 1, persons_read  # the network's read (others may join one)
    _shows_every_section(page, case)


def _shows_every_section(page: str, case: dict[str, int]) -> None:
    trappe = page[page.index('id="trappe-heading"'):]
    assert "<h3>Ida Lund" in trappe and "<h3>Otto Lund" in trappe  # each child's trappe
    agreements = page[page.index('id="agreements-heading"'):]
    assert "Aftale med Nordskolen" in agreements and "Aftale med Børnehuset Solen" in agreements
    export = page[page.index('id="gdpr-heading"'):]
    assert export.index("Bo Lærer") < export.index("Ida Lund")  # by name
    assert f"/people/{case['child']}/export" in export


async def test_a_network_the_graph_cannot_take_leaves_the_other_sections(client, monkeypatch):
    """A relation to another family's person breaks the map; the sections that read the
    network read their own rows instead, and show them."""
    worker = await f.user()
    case = await _family_with_places(worker)
    stranger = (await Person.insert(Person(family=await f.family(worker), name="Ukendt",
                                           role="relative", sector="family")))[0]["id"]
    await Relation.insert(Relation(family=case["family"], source=case["child"],
                                   target_person=stranger, type="friend_of"))
    await f.login(client, worker)
    reading = capture_tables(monkeypatch)
    reading.on = True
    response = await client.get(f"/families/{case['family']}")
    assert response.status_code == 200
    assert 'class="alert alert-error" role="alert"' in response.text  # said in its section
    _shows_every_section(response.text, case)
    network_reads = [sql for sql in reading.reading("relation")
                     if sql.startswith('SELECT "id" AS "id", "family" AS "family"')]
    assert len(network_reads) == 1  # found broken once, not again by each section


async def test_children_are_listed_in_one_order_on_every_page(client):
    """The family page takes its children from the network, the trappe page from its own
    read: the same order on both, and on both engines (a database's collation would put
    "Åse" and lower case elsewhere)."""
    worker = await f.user()
    family_id = await f.family(worker, at_crisis_centre=False)
    for name in ("Åse Lund", "anna Lund", "Bo Lund"):
        await Person.insert(Person(family=family_id, name=name, role="child", is_child=True,
                                   sector="family"))
    await f.login(client, worker)
    family_page = (await client.get(f"/families/{family_id}")).text
    trappe_page = (await client.get(f"/families/{family_id}/trappe")).text
    on_family_page = re.findall(r"<h3>([^<]+ Lund)", family_page)
    on_trappe_page = re.findall(r'<h2 id="child-\d+">([^<]+)</h2>', trappe_page)
    assert on_family_page == on_trappe_page == ["anna Lund", "Bo Lund", "Åse Lund"]
