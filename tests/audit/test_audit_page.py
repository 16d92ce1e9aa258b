"""Leaders filter and page through the audit log; others cannot reach it."""

import pytest

from coordinator.audit import service as audit
from coordinator.families.tables import Family
from coordinator.invites import service as invites
from coordinator.meetings.tables import Meeting
from tests import factories as f


@pytest.mark.parametrize("role,status", [("leder", 200), ("admin", 200),
                                         ("socialraadgiver", 404), ("kontaktperson", 404),
                                         ("samordner", 404)])
async def test_audit_page_access(client, role, status):
    user = await f.user(role)
    await f.login(client, user)
    assert (await client.get("/audit/")).status_code == status


async def test_filter_and_pages(client):
    leader = await f.user("leder")
    worker = await f.user()
    family_id = await f.family(worker)
    for number in range(60):
        await audit.record(worker, "read", "familieside", family_id, family_id, f"opslag {number}")
    await audit.record(worker, "update", "person", 7, family_id, "ændring")
    await f.login(client, leader)
    page1 = await client.get(f"/audit/?username={worker.username}&action=read")
    assert page1.status_code == 200
    assert page1.text.count("opslag ") == 50
    assert "opslag 59" in page1.text and "<td>ændring</td>" not in page1.text
    assert "Næste side" in page1.text
    page2 = await client.get(f"/audit/?username={worker.username}&action=read&page=2")
    assert page2.text.count("opslag ") == 10 and "Næste side" not in page2.text
    by_family = await client.get(f"/audit/?family={family_id}&action=update")
    assert "<td>ændring</td>" in by_family.text


async def test_a_case_is_found_by_its_number(client):
    leader = await f.user("leder")
    worker = await f.user()
    family_id = await f.family(worker)
    other = await f.family(worker)
    await audit.record(worker, "update", "netværksperson", 7, family_id, "her")
    await audit.record(worker, "update", "netværksperson", 8, other, "der")
    reference = (await Family.select(Family.reference).where(Family.id == family_id).first())[
        "reference"]
    await f.login(client, leader)
    page = (await client.get("/audit/", params={"sag": reference})).text
    assert "<td>her</td>" in page and "<td>der</td>" not in page
    nobody = (await client.get("/audit/", params={"sag": "F-0000-0"})).text
    assert "Ingen hændelser matcher filtret." in nobody


async def test_events_read_as_plain_danish_with_names_not_ids(client):
    """Issue 17, point 9: "Mødet »…« blev åbnet", the case by its name, who in words – no
    stored keys, ids or action codes."""
    leader = await f.user("leder")
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Aagaard")
    meeting = (await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                            title="Netværksmøde om Ida")))[0]["id"]
    await audit.record(worker, "read", "møde", meeting, family_id, "")
    await invites.audit_as(f"feed:{meeting}", "read", "kalenderfeed", 3, None, "")
    await f.login(client, leader)
    page = (await client.get("/audit/")).text
    rows = page.split("<tbody>", 1)[1]
    assert "<td>Mødet »Netværksmøde om Ida« blev åbnet</td><td>Familien Aagaard</td>" in rows
    assert "<td>Et kalenderabonnement</td><td>Et kalenderabonnement blev åbnet</td>" in rows
    for internal in (f"møde {meeting}", ">read<", "feed:", "Familie-id", f">{family_id}<"):
        assert internal not in page, internal


@pytest.mark.parametrize("query", ["family=abc", "from=2026-13-01", "action=hack", "page=0"])
async def test_bad_filters_get_danish_422(client, query):
    leader = await f.user("leder")
    await f.login(client, leader)
    response = await client.get(f"/audit/?{query}")
    assert response.status_code == 422
    assert "Traceback" not in response.text


async def test_the_admin_sees_who_did_what_but_no_case_content(client):
    """Issue 14 point 3: audit views for the admin carry no family, person or meeting text."""
    admin = await f.user("admin")
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Hemmeligsen")
    await audit.record(worker, "update", "netværksperson", 7, family_id,
                       "Person tilføjet: Mette Hemmeligsen, Skjultvej 3")
    await audit.record(admin, "update", "bruger", worker.id, None, "Aktiveret")
    await f.login(client, admin)
    page = (await client.get("/audit/")).text
    assert "Hemmeligsen" not in page and "Skjultvej" not in page
    assert "sagsindhold – vises kun for ledere" in page and "<td>Aktiveret</td>" in page
    assert worker.username in page
    # the case by its number, the account by its name; nothing of the family's
    reference = (await Family.select(Family.reference).where(Family.id == family_id).first())[
        "reference"]
    assert f"<td>{reference}</td>" in page and "Personen i netværket blev ændret" in page
    assert f"Brugeren »{worker.full_name}« blev ændret" in page
    leader = await f.user("leder")
    await f.login(client, leader)
    assert "Mette Hemmeligsen, Skjultvej 3" in (await client.get("/audit/")).text
