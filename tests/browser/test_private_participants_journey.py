"""Issue 17, point 2 in a real browser: sara switches a private participant's channel in
place, prints the letter, and records an answer given by phone (a refused answer keeps
what she chose and says why at the form). Keyboard only on the meeting page; axe on every
page; screenshots at 1366 and 360 px."""

from __future__ import annotations

import re

from playwright.async_api import expect

from coordinator.demo import SURNAMES
from tests.browser.helpers import (
    WIDE,
    axe_check,
    choose_radio,
    focused,
    login,
    open_meeting_by_keyboard,
    shot,
    shot_widths,
    tab_to,
)

# Demo family 5 is sara's and has an invited "Første statusmøde" with its private network
# (5 % 4 == 1: coordinator/meetings/demo.py); no other journey changes that meeting.
FAMILY = f"Familien {SURNAMES[5]}"
MEETING = f"Første statusmøde – {FAMILY}"


async def test_sara_switches_a_channel_and_records_an_answer_by_phone(page):
    await page.set_viewport_size(WIDE)
    await login(page, "sara")
    await open_meeting_by_keyboard(page, FAMILY, MEETING)
    await expect(page.locator("main")).not_to_contain_text("kalender-sekvens")

    participants = page.get_by_role("table", name="Deltagere og svar")
    # The first private participant: a row with a channel form and an answer form.
    row = participants.locator("tbody tr").filter(has=page.locator("details.record-answer")).first
    name = (await row.locator("td").first.inner_text()).split(",")[0].split("\n")[0].strip()
    row = participants.locator(f"tr#{await row.get_attribute('id')}")

    # The channel, switched in place with the keyboard: the same participant, a new channel
    # (typing the first letters of an option chooses it, as in any list).
    select = row.get_by_label("Inviteres")
    await tab_to(page, id=await select.get_attribute("id"))
    await page.keyboard.type("Brev")
    await expect(select.locator("option:checked")).to_have_text("Brev")
    await page.keyboard.press("Tab")
    await expect(row.get_by_role("button", name=f"Skift for {name}")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(row).to_contain_text("Inviteres: Brev")
    await expect(row.get_by_role("link", name=f"Invitationsbrev til {name} (udskriv)")).to_be_visible()
    await axe_check(page)
    await shot_widths(page, "private-1-channel-letter", at=row)

    # The letter: plain Danish, printable, opened from the meeting page.
    letter_href = await row.get_by_role("link", name=re.compile("^Invitationsbrev")).get_attribute("href")
    letter = await page.context.new_page()
    await letter.goto(letter_href)
    await expect(letter.get_by_role("heading", level=1)).to_have_text("Du er inviteret til et møde")
    await expect(letter.locator("main")).to_contain_text(f"Kære {name}")
    await axe_check(letter)
    await letter.emulate_media(media="print")
    await expect(letter.locator(".letter-tools")).to_be_hidden()
    await shot(letter, "private-2-letter-print")
    await letter.emulate_media(media="screen")
    await shot_widths(letter, "private-2-letter")
    await letter.close()

    # An answer by phone: "foreslår et andet tidspunkt" needs the time in the note. The
    # refusal appears at the form, and what sara chose stays chosen.
    await tab_to(page, text=f"Registrér svar fra {name}")
    await page.keyboard.press("Enter")
    form = row.locator("details.record-answer form")
    proposes, by_phone = form.get_by_label("Foreslår et andet tidspunkt"), form.get_by_label("pr. telefon")
    await tab_to(page, name="answer")
    await choose_radio(page, proposes)
    await tab_to(page, name="via")
    await choose_radio(page, by_phone)
    await tab_to(page, text="Gem svaret")
    await page.keyboard.press("Enter")
    refusal = row.locator(".form-refusal")
    await expect(refusal).to_contain_text("hvilket tidspunkt der foreslås")
    await expect(proposes).to_be_checked()
    await expect(by_phone).to_be_checked()
    await axe_check(page)
    await shot_widths(page, "private-3-answer-refused", at=row)

    note = form.get_by_label(re.compile("^Note"))
    if (await focused(page))["id"] != await note.get_attribute("id"):
        await tab_to(page, id=await note.get_attribute("id"))
    await page.keyboard.type("Kan først efter kl. 16 på hverdage")
    await tab_to(page, text="Gem svaret")
    await page.keyboard.press("Enter")
    row = page.get_by_role("table", name="Deltagere og svar").locator(
        "tbody tr").filter(has_text=name).first
    await expect(row).to_contain_text("Foreslår et andet tidspunkt: Kan først efter kl. 16")
    await expect(row).to_contain_text("Givet pr. telefon, registreret af Sara Demo Kristiansen")
    await expect(row).not_to_contain_text("Måske")
    # The answers table says the same, like any other answer (it polls every 10 s).
    answers = page.get_by_role("table", name="Deltagernes svar og invitationernes levering")
    answer = answers.get_by_role("row", name=re.compile("^" + re.escape(name)))
    await expect(answer).to_contain_text("Givet pr. telefon", timeout=25_000)
    await axe_check(page)
    await shot_widths(page, "private-4-answer-recorded", at=row)
    await shot_widths(page, "private-5-answers-table", at=answer)
