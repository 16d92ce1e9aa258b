"""The method in a real browser on the demo data: sara follows the safety scale on the
family page, records a Signs of Safety mapping and a scale answer in a network meeting,
and evaluates a goal of the handleplan; mads (the father's kontaktperson) gets a 404."""

from __future__ import annotations

import re

from playwright.async_api import expect

from coordinator.demo import SURNAMES
from tests.browser.helpers import axe_check, login, shot, visit

# Demo family 1 (index 0) is sara's and has a held network meeting (coordinator/demo.py,
# meetings/demo.py), so the method's demo gives it mappings, scales and a handleplan.
FAMILY = f"Familien {SURNAMES[0]}"


async def test_sara_records_a_mapping_and_a_scale_and_evaluates_a_goal(open_page):
    sara = await open_page()
    await login(sara, "sara")
    await sara.get_by_role("link", name=FAMILY, exact=True).click()
    section = sara.locator("#method")
    await expect(section.get_by_role("heading", name="Sikkerhedsskala over tid")).to_be_visible()
    await expect(section.locator("svg[role=img]")).to_be_visible()
    await axe_check(sara)
    family_path = re.search(r"/families/\d+", sara.url).group(0)
    await section.locator("table a").last.click()
    sos = sara.locator("#sos")
    await expect(sos.get_by_role("heading", name="Signs of Safety")).to_be_visible()
    await sos.get_by_label("Bekymringer").fill("Browserbekymring: drengen er urolig om natten")
    await sos.get_by_role("button", name="Gem kortlægningen").click()
    # the saved page has come back (the form is sent by htmx): the mapping's next version
    await expect(sara.locator("#sos input[name=version]")).to_have_value("2")
    await expect(sara.locator("#sos-worries")).to_have_value(
        "Browserbekymring: drengen er urolig om natten")
    # the family answered already in this meeting: delete the answer and record it again
    await sara.locator("#sos").get_by_role("button", name="Slet svaret fra Familien").click()
    await expect(sara.locator("#sos").get_by_role("button", name="Slet svaret fra Familien")
                 ).to_have_count(0)
    await sara.locator("#sos-asker").select_option(label="Familien (samlet)")
    await sara.locator("#sos-score").fill("8")
    await sara.get_by_label("Begrundelse (valgfri)").fill("Mor: vi sover bedre nu")
    await sara.get_by_role("button", name="Registrér svaret").click()
    answer = sara.locator("#sos tr", has_text="Mor: vi sover bedre nu")
    await expect(answer).to_contain_text("8/10")
    await expect(answer).to_contain_text("Familien")
    await axe_check(sara)
    await shot(sara, "method-sos-meeting")

    await sara.goto(family_path + "/handleplan/")
    await expect(sara.get_by_role("heading", level=1, name=f"Handleplan: {FAMILY}")).to_be_visible()
    await axe_check(sara)
    goal = sara.locator("article.goal").first
    await goal.get_by_text("Evaluér målet").click()
    await goal.get_by_label("Noter").first.fill("Evalueret i browseren")
    await goal.get_by_role("button", name="Gem evalueringen").first.click()
    await expect(sara.get_by_text("Evalueret i browseren")).to_be_visible()
    await shot(sara, "method-handleplan")

    mads = await open_page()
    await login(mads, "mads")
    await visit(mads, family_path + "/handleplan/", status=404)
    await expect(mads.get_by_text("Browserbekymring")).to_have_count(0)
