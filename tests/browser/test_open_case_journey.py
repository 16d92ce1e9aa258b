"""A case from scratch in a real browser (issue 15): sara opens a family that arrived this
morning, adds a colleague, sees the stay, adds the child's teacher in the intake, plans and
sends a network meeting (the teacher's invitation arrives, naming the child's first name and
initial only), registers the move-out and hands the case over to Familieafdelingen; mikkel
finds it as tovholder; lene sees it counted in the success criteria and among her unit's
families. Only the new family is touched, never the demo families. Every page reached is
axe-checked; screenshots go to test-artifacts/screenshots/case-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page, expect

from coordinator import clock
from coordinator.meetings import planner
from tests.browser.helpers import axe_check, login, logout, mails_to, shot

FAMILY = "Familien Testrup"  # a name of its own: the demo data never uses it
MOTHER, CHILD, FATHER = "Freja Testrup", "Milo Testrup", "Kurt Testrup"
TEACHER, TEACHER_EMAIL = "Tove Lærer", "tove.laerer@testrup-skole.example.org"


async def _criteria(page: Page, days_back: int) -> tuple[int, int]:
    """The leader's count of current families and of those at the crisis centre, for a
    period ending today (a period of its own, so no earlier count is reused)."""
    today = clock.today()
    await page.goto(f"/followup/succeskriterier?from={(today - timedelta(days=days_back)).isoformat()}"
                    f"&to={today.isoformat()}")
    await axe_check(page)
    current = int(await page.locator("#current-families").inner_text())
    at_centre = int(await page.locator("#at-centre").inner_text())
    return current, at_centre


async def test_a_case_from_scratch_to_handover(page, demo_smtp):
    await login(page, "lene")
    before = await _criteria(page, 30)
    await logout(page)

    # Sara opens the family from her start page.
    await login(page, "sara")
    await page.get_by_text("Opret en ny familie (sag)").click()
    form = page.locator("form[action='/families']")
    await form.get_by_label("Familiens navn").fill(FAMILY)
    await form.get_by_label("Familien bor på krisecentret").check()
    mother = form.get_by_role("group", name="Mor")
    await mother.get_by_label("Navn").fill(MOTHER)
    await mother.get_by_label("Fødselsår").fill("1991")
    await mother.get_by_label("Beskyttet adresse").check()
    await form.get_by_label("Barn 1: navn").fill(CHILD)
    await form.locator("#o-child-1-year").fill(str(clock.today().year - 7))
    father = form.get_by_role("group", name="Far")
    await father.get_by_label("Navn").fill(FATHER)
    await father.get_by_label("Far har udøvet vold").check()
    await axe_check(page)
    await shot(page, "case-open-form")
    # A mistyped year is refused: the page shown again at the field, far down the start page
    # (not at its top), focus on it, what was typed kept.
    await mother.get_by_label("Fødselsår").fill("19x1")
    await form.get_by_role("button", name="Opret familie").click()
    year = page.locator("form[action='/families']").get_by_role("group", name="Mor") \
        .get_by_label("Fødselsår")
    await expect(year).to_be_focused()
    await expect(year).to_be_in_viewport()
    await expect(year).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("form[action='/families']").get_by_label("Familiens navn")
                 ).to_have_value(FAMILY)
    await year.fill("1991")
    await page.locator("form[action='/families']").get_by_role("button", name="Opret familie").click()
    await expect(page.get_by_role("heading", level=1, name=FAMILY)).to_be_visible()
    family_path = re.search(r"/families/\d+", page.url).group(0)
    team = page.locator("#team")
    await expect(team.get_by_role("row", name=re.compile(r"^Sara Demo Kristiansen Tovholder"))).to_be_visible()
    stays = page.locator("#stays")
    await expect(stays.get_by_text("Bor på krisecentret")).to_be_visible()
    await expect(page.get_by_role("cell", name=MOTHER).or_(
        page.get_by_role("rowheader", name=MOTHER)).first).to_be_visible()
    await axe_check(page)
    await shot(page, "case-family-page")

    # A colleague joins the team.
    await team.get_by_text("Tilføj en kollega eller overdrag sagen").click()
    await team.get_by_label("Kollega", exact=True).select_option(label="Jonas Demo Bech, Krisecentret")
    await team.get_by_label("Rolle på teamet").select_option("Børne- og ungepædagog")
    await team.get_by_role("button", name="Tilføj til teamet").click()
    await expect(page.locator("#team").get_by_role("row", name=re.compile(r"^Jonas Demo Bech"))
                 ).to_contain_text("Børne- og ungepædagog")

    # The intake: the child's teacher, with the e-mail the invitation will go to.
    await page.get_by_role("link", name="Intake: spørgsmål til familiens netværk").click()
    await expect(page.get_by_role("heading", level=1, name=f"Intake: {FAMILY}")).to_be_visible()
    support = page.locator("#q-special_support")
    await support.get_by_label("Navn (skal udfyldes)").fill(TEACHER)
    await support.get_by_label("Stilling").fill("Klasselærer")
    await support.get_by_label("Organisation", exact=True).fill("Testrup Skole")
    await support.get_by_label("Slags organisation (kun for en ny)").select_option("school")
    await support.get_by_label("E-mail").fill(TEACHER_EMAIL)
    await support.get_by_label("Relation").select_option("teacher_of")
    await support.get_by_role("button", name="Tilføj fagperson").click()
    await expect(page.locator("#q-special_support").get_by_role("status")).to_contain_text(TEACHER)
    await axe_check(page)
    await page.get_by_role("link", name="Tilbage til familien").click()

    # A network meeting with the teacher, planned and sent; the invitation arrives.
    await page.get_by_role("link", name="Nyt netværksmøde").click()
    day = clock.today() + timedelta(days=21)
    while day.weekday() >= 5 or planner.closed_day_reason(day):
        day += timedelta(days=1)
    await page.get_by_label("Titel").fill("Netværksmøde om Milo")
    await page.get_by_label("Mødested (adresse eller lokale)").fill("Rådhuset, mødelokale 3")
    await page.locator("#m-meeting-start").fill(f"{day.isoformat()}T10:00")
    await page.locator("#m-meeting-end").fill(f"{day.isoformat()}T11:30")
    await page.get_by_role("button", name="Opret møde").click()
    await expect(page.get_by_role("heading", level=1, name="Netværksmøde om Milo")).to_be_visible()
    await page.get_by_role("button", name=f"Inviter {TEACHER}").click()
    invited = page.get_by_role("table", name="Deltagere og svar")
    await expect(invited.get_by_role("row", name=re.compile("^" + TEACHER))).to_be_visible()
    await page.get_by_role("button", name="Planlæg mødet").click()
    await expect(page.locator(".facts")).to_contain_text("Planlagt")
    await page.get_by_role("button", name="Send invitationer").click()
    await expect(page.locator(".facts")).to_contain_text("Inviteret")
    await axe_check(page)
    await shot(page, "case-meeting-sent")
    mail = (await mails_to(demo_smtp, TEACHER_EMAIL))[0].message
    # A partner reads the kind and the child's first name and initial, not the family.
    assert "Netværksmøde om Milo T." in mail["Subject"], mail["Subject"]
    assert "Testrup" not in mail["Subject"]
    await page.goto(family_path)

    # Move-out today, and the case goes to Familieafdelingen.
    await page.locator("#stays").get_by_role("button", name="Registrér udskrivning").click()
    await expect(page.locator("#stays").get_by_text("Efterværn i gang")).to_be_visible()
    team = page.locator("#team")
    await team.get_by_text("Tilføj en kollega eller overdrag sagen").click()
    await team.get_by_label("Overdrag til").select_option(label="Mikkel Demo Lauridsen, Familieafdelingen")
    await team.get_by_role("button", name="Overdrag sagen").click()
    await expect(page.locator("#team").get_by_role(
        "row", name=re.compile(r"^Mikkel Demo Lauridsen Tovholder"))).to_be_visible()
    await axe_check(page)
    await shot(page, "case-handed-over")
    await logout(page)

    # Mikkel finds the family by a person's name on his start page.
    await login(page, "mikkel")
    await page.get_by_label("Søg").fill("kurt testrup")
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_text("1 familie passer på søgningen.")).to_be_visible()
    await page.get_by_role("link", name=FAMILY, exact=True).click()
    assert page.url.endswith(family_path)
    await axe_check(page)
    await logout(page)

    # Lene sees the new family counted (it arrived and moved out within the period).
    await login(page, "lene")
    after = await _criteria(page, 31)
    assert after[0] == before[0] + 1, (before, after)
    await shot(page, "case-criteria")
    # … and follows it among her unit's families (Sara of the crisis centre is on the team).
    await page.get_by_role("link", name="Enhedens familier").click()
    await expect(page.get_by_role("heading", level=1, name="Enhedens familier: Krisecentret")).to_be_visible()
    # A large unit's list comes a page at a time: she finds the family by its name. It has
    # moved out, so it is not among those at the crisis centre.
    await page.get_by_role("searchbox", name="Søg").fill("testrup")
    await page.get_by_role("checkbox", name="Kun familier på krisecentret").check()
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_text("Ingen af enhedens familier passer på søgningen.")).to_be_visible()
    await expect(page.get_by_role("searchbox", name="Søg")).to_have_value("testrup")
    await expect(page.get_by_role("checkbox", name="Kun familier på krisecentret")).to_be_checked()
    await page.get_by_role("checkbox", name="Kun familier på krisecentret").uncheck()
    await page.get_by_role("button", name="Find").click()
    row = page.get_by_role("row", name=re.compile("^" + FAMILY))
    await expect(row).to_contain_text("Mikkel Demo Lauridsen")
    await expect(page.locator("#unit-shown")).to_contain_text("1 af enhedens")
    await axe_check(page)
    await shot(page, "case-unit")
