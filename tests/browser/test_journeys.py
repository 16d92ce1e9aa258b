"""The users' journeys in a real browser on the demo data (issue 8).

Each step asserts on what the user sees, axe-checks every page it reaches and leaves a
screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

from playwright.async_api import expect

from coordinator.auth.service import BAD_CREDENTIALS
from coordinator.demo import SURNAMES
from tests.browser.helpers import axe_check, focused, login, shot, visit

# Demo families 1-12 have sara and jonas on the team, not mikkel (coordinator/demo.py).
SARAS_FIRST_FAMILY = f"Familien {SURNAMES[0]}"


async def test_login_page_is_accessible(page):
    await visit(page, "/login")
    await expect(page.get_by_role("heading", level=1, name="Log ind")).to_be_visible()
    await shot(page, "login")


async def test_wrong_password_shows_the_danish_message(page):
    await visit(page, "/login")
    await page.get_by_label("Brugernavn").fill("sara")
    await page.get_by_label("Adgangskode").fill("forkert-kode")
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("alert")).to_have_text(BAD_CREDENTIALS)
    await expect(page.get_by_label("Brugernavn")).to_have_value("sara")
    await axe_check(page)
    await shot(page, "login-wrong-password")


async def test_sara_sees_her_families_as_links_and_opens_one(page):
    await login(page, "sara")
    await expect(page.get_by_role("heading", level=1, name="Mine familier")).to_be_visible()
    family = page.get_by_role("link", name=SARAS_FIRST_FAMILY, exact=True)
    await expect(family).to_be_visible()
    assert await page.locator(".family-list a").count() == 20  # 12 hers alone + 8 shared
    await shot(page, "sara-home")

    await family.click()
    await expect(page.get_by_role("heading", level=1, name=SARAS_FIRST_FAMILY)).to_be_visible()
    await expect(page.get_by_role("heading", name="Team")).to_be_visible()
    await expect(page.get_by_role("row", name=re.compile(r"^Sara Demo Kristiansen\b"))).to_be_visible()
    await axe_check(page)
    await shot(page, "sara-family")


async def test_keyboard_only_login_through_the_skip_link(page):
    await page.goto("/login")
    await page.keyboard.press("Tab")
    skip = await focused(page)
    assert (skip["tag"], skip["text"]) == ("a", "Spring til indholdet")
    assert skip["visible"], "the skip link must appear when it has focus"
    assert skip["outline"] != "none", "focus must be visible"
    await shot(page, "keyboard-skip-link")

    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert (await focused(page))["id"] == "username"
    await page.keyboard.type("sara")
    await page.keyboard.press("Tab")
    assert (await focused(page))["id"] == "password"
    await page.keyboard.type("demo")
    await shot(page, "keyboard-login-filled")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=1, name="Mine familier")).to_be_visible()
    await axe_check(page)


async def test_mikkel_gets_a_danish_404_without_family_data_for_saras_family(open_page):
    sara = await open_page()
    await login(sara, "sara")
    address = await sara.get_by_role("link", name=SARAS_FIRST_FAMILY, exact=True).get_attribute("href")

    mikkel = await open_page()
    await login(mikkel, "mikkel")
    await expect(mikkel.get_by_role("link", name=SARAS_FIRST_FAMILY)).to_have_count(0)
    await visit(mikkel, address, status=404)
    await expect(mikkel.get_by_role("heading", level=1, name="Siden findes ikke")).to_be_visible()
    content = await mikkel.content()
    for secret in (SURNAMES[0], "Sara Demo Kristiansen", "Sagsnummer", "krisecentret"):
        assert secret not in content, f"the 404 page shows {secret!r}"
    await shot(mikkel, "mikkel-foreign-family-404")


async def test_lene_reads_the_audit_log(page):
    await login(page, "lene")
    await page.get_by_role("link", name="Revisionslog").click()
    await expect(page.get_by_role("heading", level=1, name="Revisionslog")).to_be_visible()
    await expect(page.get_by_role("table")).to_be_visible()
    await axe_check(page)
    await shot(page, "lene-audit-log")


async def test_admin_sees_the_users(page):
    await login(page, "admin")
    await page.get_by_role("link", name="Brugere").click()
    await expect(page.get_by_role("heading", level=1, name="Brugere")).to_be_visible()
    await expect(page.get_by_role("cell", name="sara", exact=True)).to_be_visible()
    await axe_check(page)
    await shot(page, "admin-users")
