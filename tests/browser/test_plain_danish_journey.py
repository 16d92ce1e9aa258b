"""Issue 17, point 9 in a real browser: plain Danish. A socialrådgiver walks her main pages
with the keyboard – the start page, a family page, an invited and a held meeting, the
conflict view when another window saved the meeting first – and a partner opens the answer
page from the invitation mail; none of them shows (or says to a screen reader) a word of the
code: the list is ``helpers.INTERNAL_TERMS`` (raw status and answer codes, version or
sequence numbers, ranks, ids, ISO timestamps, error codes, programming values). axe on every
page, screenshots at 1366 and 360 px.

Not here: the person insight/export page, the error pages and the refusal texts, which are
being reworded on another branch (h17forms)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from coordinator.demo import SURNAMES
from tests.browser.helpers import (
    WIDE,
    an_answer_link,
    assert_plain_danish,
    axe_check,
    follow,
    login,
    retype,
    shot_widths,
    tab_to,
)

# Demo family 21 is mikkel's alone, with an invited "Første statusmøde" (21 % 4 == 1) and a
# held network meeting (21 % 3 == 0): coordinator/meetings/demo.py. No other journey
# changes them; this one changes only the statusmøde's description.
FAMILY = f"Familien {SURNAMES[21]}"
MEETING = f"Første statusmøde – {FAMILY}"
HELD = f"Netværksmøde – {FAMILY}"


async def read(page: Page, name: str, at: str = "main h1") -> None:
    """The page as its user meets it: axe, no internal terms, screenshots at both widths."""
    await axe_check(page)
    await assert_plain_danish(page)
    await shot_widths(page, name, at=page.locator(at).first)


async def open_link(page: Page, text: str) -> None:
    await tab_to(page, text=text)
    await follow(page)
    await expect(page.get_by_role("heading", level=1, name=text)).to_be_visible()


async def edit_description(page: Page, text: str) -> None:
    """»Ret titel, sted og beskrivelse«, a new description, »Gem« – with the keyboard."""
    await tab_to(page, text="Ret titel, sted og beskrivelse")
    await page.keyboard.press("Enter")
    await tab_to(page, id=await page.locator("details#details form").get_by_label(
        "Beskrivelse").get_attribute("id"))
    await retype(page, text)
    await tab_to(page, text="Gem")
    await page.keyboard.press("Enter")


async def test_the_main_pages_speak_plain_danish(page, open_page, demo_smtp):
    await page.set_viewport_size(WIDE)
    await login(page, "mikkel")
    await read(page, "plain-1-start")

    await tab_to(page, text=FAMILY)
    await follow(page)
    await read(page, "plain-2-family")

    await open_link(page, MEETING)
    meeting_path = page.url
    await read(page, "plain-3-meeting", at="#participants-heading")

    # Another window saves the meeting first: the conflict view at her form.
    other = await open_page()
    await other.set_viewport_size(WIDE)
    await login(other, "mikkel")
    await other.goto(meeting_path)
    await edit_description(other, "Skrevet i et andet vindue")
    await expect(other.locator("#workspace-status")).to_have_text("Mødets oplysninger er gemt.")
    await edit_description(page, "Min egen udgave")
    refusal = page.locator("details#details .form-refusal")
    await expect(refusal).to_contain_text("Konflikt")
    await expect(refusal).to_contain_text("Min egen udgave")
    await read(page, "plain-4-conflict", at="details#details")

    await tab_to(page, text=FAMILY)
    await follow(page)
    await open_link(page, HELD)
    await read(page, "plain-5-held-meeting", at="#participants-heading")

    # A partner answers from the invitation mail: no account, the personal link.
    partner = await open_page()
    await partner.set_viewport_size(WIDE)
    response = await partner.goto(await an_answer_link(demo_smtp))
    assert response is not None and response.status == 200
    await expect(partner.get_by_role("heading", level=1)).to_be_visible()
    await read(partner, "plain-6-answer-page")
