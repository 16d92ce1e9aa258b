"""Randers-trappen in a real browser (issue 16): sara finds the trappe on a family's page,
opens the family's network meeting and records the children's trappe assessment there as
an agenda item (a refused form first, which keeps what she typed and says why at the
field); lene sees the criterion »Randers-trappen og analysen brugt« with its target and the
families of her unit that miss it. Every page reached is axe-checked; screenshots go to
test-artifacts/screenshots/trappe-*.png.
"""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.helpers import axe_check, login, logout, shot

FAMILY = "Familien Bækholm"  # demo family 0: at the crisis centre, sara's, a network meeting
TYPED = "Barnet sidder alene i frikvartererne"


async def test_a_trappe_assessment_in_a_network_meeting_and_the_leaders_drill_down(page):
    await login(page, "sara")
    await page.get_by_role("link", name=FAMILY, exact=True).first.click()
    section = page.locator("#trappe")
    await expect(section.get_by_role("heading", name="Randers-trappen")).to_be_visible()
    await expect(section.locator("svg[role=img]").first).to_be_visible()
    await axe_check(page)
    await shot(page, "trappe-family-page")

    await page.get_by_role("link", name=f"Netværksmøde – {FAMILY}").first.click()
    await page.get_by_role("link", name="Se børnenes trin og registrér vurderingen fra mødet").click()
    await expect(page.get_by_role("heading", name="Dagsordenspunkt: Randers-trappen")).to_be_visible()
    await axe_check(page)
    form = page.locator("form[action$='/trappe']")
    await form.get_by_label("Barn", exact=True).select_option(index=1)
    await form.get_by_label("Trin", exact=True).select_option("3")
    await form.get_by_label("Barnets syn – med barnets egne ord").fill(TYPED)
    for area in ("Sociale fællesskaber", "Fysisk og psykisk helbred", "Forælderrollen",
                 "Et liv uden vold", "Kontakt til far"):
        await form.get_by_label(area, exact=True).select_option("some")
    # the browser's own check would stop the empty required field; the server's is tested
    await form.get_by_label("Adfærd, der bekymrer").evaluate("el => el.removeAttribute('required')")
    await form.get_by_role("button", name="Gem vurderingen").click()
    await expect(page.locator("#err-worrying_behaviour")).to_contain_text("Beskriv den adfærd")
    await expect(page.get_by_label("Barnets syn – med barnets egne ord")).to_have_value(TYPED)
    await axe_check(page)
    await shot(page, "trappe-refused")
    await page.get_by_label("Adfærd, der bekymrer").fill("Trækker sig fra de andre")
    await page.get_by_role("button", name="Gem vurderingen").click()
    await expect(page.locator(".alert-ok")).to_contain_text("Vurderingen er gemt og knyttet til mødet")
    await axe_check(page)
    await shot(page, "trappe-meeting-saved")
    await logout(page)

    await login(page, "lene")
    await page.goto("/followup/succeskriterier")
    criterion = page.locator("#trappe-kriterium")
    await expect(criterion).to_contain_text("Mål: 100 %")
    await criterion.get_by_role("link", name="Se de familier, der mangler").click()
    await expect(page.get_by_role("heading", name="Randers-trappen og analysen brugt")).to_be_visible()
    await expect(page.locator("table.data tbody tr").first).to_be_visible()
    await axe_check(page)
    await shot(page, "trappe-drill-down")
