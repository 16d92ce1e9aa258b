"""HTTP tests for the agreement pages: access per role, bad input, versions, 409, family page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.agreements import cadence, service
from coordinator.agreements.service import AgreementInput, PartyInput
from coordinator.agreements.tables import (
    Agreement,
    AgreementEvaluation,
    AgreementParty,
    AgreementVersion,
)
from coordinator.audit.tables import AuditEvent
from coordinator.network.tables import Organisation, Person, Relation
from tests import factories as f

TODAY = app_clock.today()
ROLES = ["socialraadgiver", "kontaktperson", "leder", "samordner", "admin"]
READERS = {"socialraadgiver", "leder"}  # not the kontaktperson: the crisis centre is a party
EDITORS = {"socialraadgiver", "leder"}


async def organisation(name: str, kind: str = "school") -> int:
    rows = await Organisation.insert(Organisation(name=name, kind=kind, sector="school_daycare"))
    return rows[0]["id"]


async def agreement(partner: int, *, title: str = "Samarbejdsaftale med skolen",
                    parties: tuple[PartyInput, ...] = (), start: date | None = None,
                    end: date | None = None, months: int = 3, status: str = "active") -> int:
    return await service.create_agreement(None, AgreementInput(
        title=title, partner_id=partner, period_start=start or TODAY - timedelta(days=30),
        period_end=end or TODAY + timedelta(days=600), evaluation_months=months,
        status=status, purpose="Tidlig opsporing", parties=parties))


def form(partner_id: int, **overrides) -> dict:
    data = {"title": "Aftale med Sundhedsplejen", "partner": str(partner_id),
            "period_start": "2025-01-01", "period_end": "2026-12-31",
            "evaluation_months": "3", "status": "active", "purpose": "Fælles opfølgning",
            "target_group": "", "party-0-organisation": str(partner_id),
            "party-0-contact_name": "Tove Testesen", "party-0-contact_email": "tove@example.org",
            "party-0-contact_phone": "70 10 20 30", "party-0-obligations": "Deltager i møder"}
    data.update(overrides)
    return data


async def logged_in(client, role: str):
    user = await f.user(role)
    await f.login(client, user)
    return user


# --- access per role ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
async def test_read_pages_per_role(client, role):
    school = await organisation("Østervangskolen")
    agreement_id = await agreement(school)
    await logged_in(client, role)
    for path in ["/agreements/", f"/agreements/{agreement_id}", "/agreements/due?days=365",
                 f"/agreements/{agreement_id}/versions/1"]:
        response = await client.get(path)
        assert response.status_code == (200 if role in READERS else 404), path
        assert ("Samarbejdsaftale med skolen" in response.text) is (role in READERS)


@pytest.mark.parametrize("role", ROLES)
async def test_edit_pages_per_role(client, role):
    school = await organisation("Østervangskolen")
    agreement_id = await agreement(school)
    await logged_in(client, role)
    expected = 200 if role in EDITORS else 404
    assert (await client.get("/agreements/new")).status_code == expected
    assert (await client.get(f"/agreements/{agreement_id}/edit")).status_code == expected


@pytest.mark.parametrize("role", ROLES)
async def test_create_per_role(client, role):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    await logged_in(client, role)
    response = await f.post_form(client, "/agreements/", form(partner), page="/")
    saved = await Agreement.count()
    if role in EDITORS:
        assert response.status_code == 303
        assert saved == 1
    else:
        assert response.status_code == 404
        assert saved == 0


@pytest.mark.parametrize("role", ROLES)
async def test_write_actions_refused_for_non_editors(client, role):
    if role in EDITORS:
        return
    school = await organisation("Østervangskolen")
    agreement_id = await agreement(school)
    await logged_in(client, role)
    for path, data in [(f"/agreements/{agreement_id}/edit", form(school, version="1")),
                       (f"/agreements/{agreement_id}/evaluations",
                        {"held_on": TODAY.isoformat(), "conclusions": "x"}),
                       (f"/agreements/{agreement_id}/archive", {"version": "1"}),
                       (f"/agreements/{agreement_id}/delete", {})]:
        response = await f.post_form(client, path, data, page="/")
        assert response.status_code == 404, path
    row = await Agreement.select().first()
    assert (row["version"], row["status"], await AgreementEvaluation.count()) == (1, "active", 0)


@pytest.mark.parametrize("role, shown", [(r, r in READERS) for r in ROLES])
async def test_navigation_link_per_role(client, role, shown):
    await logged_in(client, role)
    page = (await client.get("/", follow_redirects=True)).text  # the role's start page
    assert ('href="/agreements/"' in page) is shown


# --- creating, bad input --------------------------------------------------------------------

async def test_create_keeps_parties_version_and_audit(client):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    centre = await organisation("Krisecentret", "crisis_centre")
    user = await logged_in(client, "leder")
    data = form(partner, **{"party-1-organisation": str(centre),
                            "party-1-contact_name": "Karen Krise",
                            "party-1-obligations": "Henviser familier"})
    response = await f.post_form(client, "/agreements/", data, page="/agreements/new")
    assert response.status_code == 303
    agreement_id = int(response.headers["location"].rsplit("/", 1)[1])
    parties = await AgreementParty.select().order_by(AgreementParty.position)
    assert [(p["organisation"], p["contact_name"]) for p in parties] == [
        (partner, "Tove Testesen"), (centre, "Karen Krise")]
    assert await AgreementVersion.count() == 1
    events = await AuditEvent.select().where(AuditEvent.entity == "samarbejdsaftale")
    assert [(e["action"], e["username"], e["family_id"], e["entity_id"]) for e in events] == [
        ("create", user.username, None, str(agreement_id))]
    page = (await client.get(f"/agreements/{agreement_id}")).text
    assert "Karen Krise" in page and "Henviser familier" in page and "tove@example.org" in page
    assert parties[0]["contact_phone"] == "+45 70 10 20 30"  # as the network form writes it


@pytest.mark.parametrize("overrides, message", [
    ({"period_end": "2024-12-31"}, "Slutdatoen ligger før startdatoen"),
    ({"evaluation_months": "0"}, "mindst 1 måned"),
    ({"evaluation_months": "-3"}, "mindst 1 måned"),
    ({"evaluation_months": "tre"}, "skal være et helt tal"),
    ({"title": "  "}, "Udfyld feltet »Titel«"),
    ({"period_start": "2025-02-30"}, "skal være en dato"),
    ({"partner": "999999"}, "findes ikke i organisationsoversigten"),
    ({"status": "slettet"}, "Ugyldigt valg i »Status«"),
    ({"party-0-organisation": ""}, "Vælg organisationen for part 1"),
    ({"party-0-contact_email": "ikke en adresse"}, "ikke en gyldig e-mailadresse"),
    ({"party-0-contact_phone": "7010 20x0"}, "»Part 1: telefon«: Telefonnummeret må kun"),
    ({"party-0-contact_phone": "70 10 20"}, "»Part 1: telefon«: Telefonnummeret er ikke"),
    ({"party-1-organisation": "PARTNER"}, "står som part flere gange"),
])
async def test_bad_input_is_refused_in_danish_and_nothing_saved(client, overrides, message):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    overrides = {k: (str(partner) if v == "PARTNER" else v) for k, v in overrides.items()}
    await logged_in(client, "socialraadgiver")
    response = await f.post_form(client, "/agreements/", form(partner, **overrides),
                                 page="/agreements/new")
    assert response.status_code == 422
    assert message in response.text
    assert "Traceback" not in response.text
    assert 'name="title"' in response.text  # the form is shown again with the values
    assert (await Agreement.count(), await AgreementParty.count(),
            await AgreementVersion.count()) == (0, 0, 0)


# --- editing, versions, conflicts -----------------------------------------------------------

async def test_edit_keeps_earlier_versions_readable(client):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    await logged_in(client, "socialraadgiver")
    agreement_id = await agreement(partner, title="Første titel", parties=(
        PartyInput(partner, "Tove Testesen", obligations="Gammel forpligtelse"),))
    response = await f.post_form(client, f"/agreements/{agreement_id}/edit", form(
        partner, title="Anden titel", version="1",
        **{"party-0-obligations": "Ny forpligtelse"}), page=f"/agreements/{agreement_id}/edit")
    assert response.status_code == 303
    row = await Agreement.select().first()
    assert (row["title"], row["version"]) == ("Anden titel", 2)
    old = await client.get(f"/agreements/{agreement_id}/versions/1")
    assert old.status_code == 200
    assert "Første titel" in old.text and "Gammel forpligtelse" in old.text
    assert "tidligere udgave" in old.text and "Anden titel" not in old.text
    new = await client.get(f"/agreements/{agreement_id}/versions/2")
    assert "Anden titel" in new.text and "Ny forpligtelse" in new.text
    detail = (await client.get(f"/agreements/{agreement_id}")).text
    assert f'/agreements/{agreement_id}/versions/1"' in detail
    assert f'/agreements/{agreement_id}/versions/2"' in detail
    assert (await client.get(f"/agreements/{agreement_id}/versions/3")).status_code == 404


async def test_concurrent_edit_gets_409_with_both_versions(client, other_client):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    agreement_id = await agreement(partner, title="Oprindelig")
    await logged_in(client, "socialraadgiver")
    await logged_in(other_client, "leder")
    edit_page = f"/agreements/{agreement_id}/edit"
    first = await f.post_form(client, edit_page, form(partner, title="Saras titel", version="1"),
                              page=edit_page)
    assert first.status_code == 303
    school = await organisation("Skolen")
    second = await f.post_form(other_client, edit_page,
                               form(school, title="Lenes titel", version="1", status="draft"),
                               page=edit_page)
    assert second.status_code == 409
    assert "Saras titel" in second.text and "Lenes titel" in second.text
    assert "En anden har gemt aftalen" in second.text
    # The comparison (the one conflict table) speaks the form's words: names, labels and
    # dates, never ids or codes; it shows the fields that differ.
    rows = second.text.split("conflict-heading", 1)[1].split("</table>", 1)[0]
    assert "<th scope=\"row\">Samarbejdspartner</th><td>Skolen</td><td>Sundhedsplejen</td>" in rows
    assert "<th scope=\"row\">Parter</th><td>Skolen</td><td>Sundhedsplejen</td>" in rows
    assert cadence.STORED_STATUS_LABELS["active"] in rows and ">active<" not in rows
    assert "Formål" not in rows  # the same on both sides
    assert "(id)" not in rows and "(version" not in rows
    assert 'name="version" value="2"' in second.text
    row = await Agreement.select().first()
    assert (row["title"], row["version"]) == ("Saras titel", 2)
    assert await AgreementVersion.count() == 2
    # Saving again from the conflict page, knowingly on top of version 2, succeeds.
    third = await f.post_form(other_client, edit_page,
                              form(partner, title="Lenes titel", version="2"), page=edit_page)
    assert third.status_code == 303
    assert (await Agreement.select().first())["version"] == 3


async def test_edit_cannot_move_start_after_an_evaluation(client):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    user = await logged_in(client, "leder")
    agreement_id = await agreement(partner, start=TODAY - timedelta(days=100))
    await service.record_evaluation(user, agreement_id, TODAY - timedelta(days=10), "", "Godt",
                                    "", TODAY)
    response = await f.post_form(client, f"/agreements/{agreement_id}/edit", form(
        partner, version="1", period_start=TODAY.isoformat(),
        period_end=(TODAY + timedelta(days=300)).isoformat()), page="/")
    assert response.status_code == 422
    assert "før aftalen træder i kraft" in response.text
    assert (await Agreement.select().first())["version"] == 1


# --- evaluations, archive, delete -----------------------------------------------------------

@pytest.mark.parametrize("held_on, conclusions, status, message", [
    (TODAY - timedelta(days=5), "Aftalen fungerer", 303, None),
    (TODAY - timedelta(days=31), "For tidligt", 422, "før aftalen træder i kraft"),
    (TODAY + timedelta(days=1), "Fremtid", 422, "i fremtiden"),
    (TODAY, "", 422, "Udfyld feltet »Konklusioner«"),
])
async def test_record_evaluation(client, held_on, conclusions, status, message):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    agreement_id = await agreement(partner)
    await logged_in(client, "socialraadgiver")
    response = await f.post_form(client, f"/agreements/{agreement_id}/evaluations", {
        "held_on": held_on.isoformat(), "participants": "Tove, Karen",
        "conclusions": conclusions, "changes": ""}, page=f"/agreements/{agreement_id}")
    assert response.status_code == status
    assert await AgreementEvaluation.count() == (1 if status == 303 else 0)
    if message:
        assert message in response.text
    else:
        page = (await client.get(f"/agreements/{agreement_id}")).text
        assert "Aftalen fungerer" in page
        assert await AuditEvent.exists().where(AuditEvent.entity == "aftaleevaluering")


async def test_delete_refused_with_evaluations_archive_allowed(client):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    user = await logged_in(client, "leder")
    agreement_id = await agreement(partner)
    await service.record_evaluation(user, agreement_id, TODAY, "", "Godt", "", TODAY)
    page = f"/agreements/{agreement_id}"
    refused = await f.post_form(client, f"{page}/delete", {}, page=page)
    assert refused.status_code == 409
    assert "kan derfor ikke slettes" in refused.text
    assert await Agreement.count() == 1
    archived = await f.post_form(client, f"{page}/archive", {"version": "1"}, page=page)
    assert archived.status_code == 303
    row = await Agreement.select().first()
    assert (row["status"], row["version"]) == ("archived", 2)
    assert await AgreementVersion.count() == 2
    assert "Arkiveret" in (await client.get(page)).text
    stale = await f.post_form(client, f"{page}/archive", {"version": "1"}, page=page)
    assert stale.status_code == 409


async def test_delete_without_evaluations(client):
    partner = await organisation("Sundhedsplejen", "health_visiting")
    user = await logged_in(client, "socialraadgiver")
    agreement_id = await agreement(partner)
    page = f"/agreements/{agreement_id}"
    response = await f.post_form(client, f"{page}/delete", {}, page=page)
    assert response.status_code == 303
    assert (await Agreement.count(), await AgreementVersion.count(),
            await AgreementParty.count()) == (0, 0, 0)
    assert await AuditEvent.exists().where(
        (AuditEvent.action == "delete") & (AuditEvent.username == user.username))
    assert (await client.get(page)).status_code == 404
    gone = await f.post_form(client, f"{page}/delete", {}, page="/")
    assert gone.status_code == 404


# --- list, due list -------------------------------------------------------------------------

async def test_list_filters(client):
    school = await organisation("Østervangskolen")
    health = await organisation("Sundhedsplejen", "health_visiting")
    await agreement(school, title="Skoleaftalen")
    await agreement(health, title="Sundhedsaftalen", start=TODAY - timedelta(days=400),
                    end=TODAY - timedelta(days=5))
    await logged_in(client, "socialraadgiver")
    everything = (await client.get("/agreements/")).text
    assert "Skoleaftalen" in everything and "Sundhedsaftalen" in everything
    expired = (await client.get("/agreements/?status=expired")).text
    assert "Sundhedsaftalen" in expired and "Skoleaftalen" not in expired
    by_partner = (await client.get(f"/agreements/?partner={school}")).text
    assert "Skoleaftalen" in by_partner and "Sundhedsaftalen" not in by_partner
    by_text = (await client.get("/agreements/?q=sundhed")).text
    assert "Sundhedsaftalen" in by_text and "Skoleaftalen" not in by_text
    bad = await client.get("/agreements/?status=nonsense")
    assert bad.status_code == 422 and "Ugyldigt valg" in bad.text


async def test_due_list(client):
    school = await organisation("Østervangskolen")
    await agreement(school, title="Overskredet aftale", start=TODAY - timedelta(days=200),
                    months=3)
    await agreement(school, title="Snart udløbet", start=TODAY - timedelta(days=300),
                    end=TODAY + timedelta(days=20), months=12)
    await agreement(school, title="Rolig aftale", start=TODAY - timedelta(days=10), months=12)
    await logged_in(client, "leder")
    page = (await client.get("/agreements/due?days=30")).text
    assert "Overskredet aftale" in page and "Overskredet med" in page
    assert "Snart udløbet" in page and "Fornyelse" in page and "Om 20 dage" in page
    assert "Rolig aftale" not in page
    assert "Rolig aftale" in (await client.get("/agreements/due?days=400")).text
    bad = await client.get("/agreements/due?days=-1")
    assert bad.status_code == 422 and "mindst 0" in bad.text


# --- the family page ------------------------------------------------------------------------

async def test_family_page_shows_the_agreement_of_the_childs_school(client):
    worker = await logged_in(client, "socialraadgiver")
    school = await organisation("Østervangskolen")
    other_school = await organisation("Vestervangskolen")
    centre = await organisation("Krisecentret", "crisis_centre")
    await agreement(centre, title="Samarbejdsaftale om skolestart", parties=(
        PartyInput(centre, "Karen Krise"),
        PartyInput(school, "Ulla Underviser", "ulla@example.org", "70 10 44 55",
                   "Kontaktlærer for børn fra krisecentret")))
    await agreement(other_school, title="Vestervangs aftale", parties=(
        PartyInput(other_school, "Vera Vest"),))
    await agreement(school, title="Kladdeaftale", status="draft")
    family_id = await f.family(worker)
    child = await Person.insert(Person(family=family_id, name="Lille Test", is_child=True,
                                       sector="family"))
    await Relation.insert(Relation(family=family_id, source=child[0]["id"],
                                   target_organisation=school, type="attends"))
    page = (await client.get(f"/families/{family_id}")).text
    assert "Østervangskolen</strong> har en samarbejdsaftale" in page
    assert "Samarbejdsaftale om skolestart" in page
    assert "Kontaktperson: Ulla Underviser, tlf. 70 10 44 55" in page
    assert "Vestervangs aftale" not in page and "Vera Vest" not in page
    assert "Kladdeaftale" not in page

    other = await f.family(worker)
    await Person.insert(Person(family=other, name="Lærer", is_professional=True,
                               sector="school_daycare", organisation=other_school))
    other_page = (await client.get(f"/families/{other}")).text
    assert "Vestervangs aftale" in other_page and "Vera Vest" in other_page
    assert "Samarbejdsaftale om skolestart" not in other_page


async def test_family_without_linked_organisations(client):
    worker = await logged_in(client, "socialraadgiver")
    school = await organisation("Østervangskolen")
    await agreement(school)
    family_id = await f.family(worker)
    page = (await client.get(f"/families/{family_id}")).text
    assert "Ingen af organisationerne i familiens netværk" in page


async def test_the_agreements_on_the_family_page_follow_every_change_at_once(client):
    """What the family page keeps of the agreements (shared data, per organisation set) is
    replaced by any write to an agreement, its parties or an organisation."""
    worker = await logged_in(client, "socialraadgiver")
    school = await organisation("Østervangskolen")
    first = await agreement(school, title="Første aftale", parties=(
        PartyInput(school, "Ulla Underviser", "ulla@example.org", "70 10 44 55"),))
    family_id = await f.family(worker)
    await Person.insert(Person(family=family_id, name="Lærer", is_professional=True,
                               sector="school_daycare", organisation=school))
    page = (await client.get(f"/families/{family_id}")).text
    assert "Første aftale" in page and "Ulla Underviser" in page
    await agreement(school, title="Anden aftale")
    await AgreementParty.update({AgreementParty.contact_name: "Ulrik Underviser"}).where(
        AgreementParty.agreement == first)
    await Organisation.update({Organisation.name: "Østervangsskolen (ny)"}).where(
        Organisation.id == school)
    page = (await client.get(f"/families/{family_id}")).text
    assert "Anden aftale" in page and "Ulrik Underviser" in page
    assert "Ulla Underviser" not in page and "Østervangsskolen (ny)" in page
    await Agreement.update({Agreement.status: "archived"}).where(Agreement.id == first)
    page = (await client.get(f"/families/{family_id}")).text
    assert "Første aftale" not in page and "Anden aftale" in page
