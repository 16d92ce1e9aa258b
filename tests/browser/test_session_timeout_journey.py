"""A form sent after the session ran out: the user logs in again and is back on the same
page with what they typed put back into the form, told so, and nothing saved meanwhile.
In a real browser (the kept text lives in the tab, ``static/app.js``)."""

from __future__ import annotations

from playwright.async_api import expect

from coordinator.demo import DEMO_PASSWORD, SURNAMES
from tests.browser.helpers import axe_check, login, open_meeting_by_keyboard, tab_to

# Demo family 5 is sara's and has an invited "Første statusmøde" (coordinator/meetings/demo.py).
FAMILY = f"Familien {SURNAMES[5]}"
MEETING = f"Første statusmøde – {FAMILY}"
TYPED = "Skrevet, mens sessionen udløb"


async def test_typed_text_survives_a_session_that_ran_out(page):
    await login(page, "sara")
    await open_meeting_by_keyboard(page, FAMILY, MEETING)
    meeting_url = page.url
    await tab_to(page, text="Ret titel, sted og beskrivelse")
    await page.keyboard.press("Enter")
    details = page.locator('form[action$="/details"]')
    title = await details.locator('[name="title"]').input_value()
    await details.locator('[name="description"]').fill(TYPED)

    # the session runs out (its cookie gone, as after the idle limit); the form is sent
    await page.context.clear_cookies(name="coordinator_session")
    async with page.expect_navigation(url="**/login?next=**"):
        await details.locator('button[type="submit"]').click()
    await page.get_by_label("Brugernavn").fill("sara")
    await page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    async with page.expect_navigation(url=meeting_url):
        await page.get_by_role("button", name="Log ind").click()

    notice = page.get_by_role("status").filter(has_text="Du blev logget ud, før det blev gemt")
    await expect(notice).to_be_visible()
    await expect(notice).to_be_focused()
    details = page.locator('form[action$="/details"]')
    await expect(details.locator('[name="description"]')).to_have_value(TYPED)
    await expect(details.locator('[name="title"]')).to_have_value(title)
    await axe_check(page)
    # nothing was saved while logged out, and the text is put back only once
    await page.reload()
    await expect(page.locator("main")).not_to_contain_text(TYPED)
    await expect(page.get_by_text("Du blev logget ud, før det blev gemt")).to_have_count(0)


async def test_another_user_in_the_same_tab_never_gets_the_text(page):
    """jonas, on the same family's team, logs in at the same login page and lands on the
    same meeting: sara's text is not his to read, and it is gone from the tab."""
    await login(page, "sara")
    await open_meeting_by_keyboard(page, FAMILY, MEETING)
    meeting_url = page.url
    await tab_to(page, text="Ret titel, sted og beskrivelse")
    await page.keyboard.press("Enter")
    details = page.locator('form[action$="/details"]')
    await details.locator('[name="description"]').fill(TYPED)
    await page.context.clear_cookies(name="coordinator_session")
    async with page.expect_navigation(url="**/login?next=**"):
        await details.locator('button[type="submit"]').click()
    await page.get_by_label("Brugernavn").fill("jonas")
    await page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    async with page.expect_navigation(url=meeting_url):
        await page.get_by_role("button", name="Log ind").click()
    await expect(page.locator('form[action$="/details"]')).to_have_count(1)
    await expect(page.get_by_text("Du blev logget ud, før det blev gemt")).to_have_count(0)
    await expect(page.locator('form[action$="/details"] [name="description"]')).not_to_have_value(
        TYPED)
    assert await page.evaluate("sessionStorage.getItem('coordinator:draft')") is None
