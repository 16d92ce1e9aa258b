"""Leaders filter and page through the audit log; others cannot reach it."""

import pytest

from coordinator.audit import service as audit
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
    leader = await f.user("leder")
    await f.login(client, leader)
    assert "Mette Hemmeligsen, Skjultvej 3" in (await client.get("/audit/")).text
