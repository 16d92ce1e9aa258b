"""Issue 17, point 2 in a real browser: sara switches a private participant's channel in
place, prints the letter, and records an answer given by phone (a refused answer keeps
what she chose and says why at the form)."""

from __future__ import annotations

import re

from playwright.async_api import expect

from coordinator.demo import SURNAMES
from tests.browser.helpers import axe_check, login, shot

# Demo family 5 is sara's and has an invited "Første statusmøde" with its private network
# (5 % 4 == 1: coordinator/meetings/demo.py); no other journey changes that meeting.
FAMILY = f"Familien {SURNAMES[5]}"
MEETING = f"Første statusmøde – {FAMILY}"


async def test_sara_switches_a_channel_and_records_an_answer_by_phone(page):
    await login(page, "sara")
    await page.get_by_role("link", name=FAMILY, exact=True).click()
    await page.get_by_role("link", name=MEETING).first.click()
    await expect(page.get_by_role("heading", level=1, name=MEETING)).to_be_visible()
    await axe_check(page)
    await expect(page.locator("main")).not_to_contain_text("kalender-sekvens")

    participants = page.get_by_role("table", name="Deltagere og svar")
    # The first private participant: a row with a channel form and an answer form.
    row = participants.locator("tbody tr").filter(has=page.locator("details.record-answer")).first
    name = (await row.locator("td").first.inner_text()).split(",")[0].split("\n")[0].strip()
    row = participants.locator(f"tr#{await row.get_attribute('id')}")

    # The channel, switched in place with the keyboard: the same participant, a new channel.
    select = row.get_by_label("Inviteres")
    await select.focus()
    await select.select_option(label="Brev")
    await page.keyboard.press("Tab")
    await expect(row.get_by_role("button", name=f"Skift for {name}")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(row).to_contain_text("Inviteres: Brev")
    await expect(row.get_by_role("link", name=f"Invitationsbrev til {name} (udskriv)")).to_be_visible()
    await axe_check(page)
    await shot(page, "private-1-channel-letter")

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
    await letter.close()

    # An answer by phone: "foreslår et andet tidspunkt" needs the time in the note. The
    # refusal appears at the form, and what sara chose stays chosen.
    await row.get_by_text(f"Registrér svar fra {name}").click()
    form = row.locator("details.record-answer form")
    await form.get_by_label("Foreslår et andet tidspunkt").check()
    await form.get_by_label("pr. telefon").check()
    await form.get_by_role("button", name="Gem svaret").click()
    refusal = row.locator(".form-refusal")
    await expect(refusal).to_contain_text("hvilket tidspunkt der foreslås")
    await expect(form.get_by_label("Foreslår et andet tidspunkt")).to_be_checked()
    await axe_check(page)
    await shot(page, "private-3-answer-refused")

    await form.get_by_label(re.compile("^Note")).fill("Kan først efter kl. 16 på hverdage")
    await form.get_by_role("button", name="Gem svaret").click()
    row = page.get_by_role("table", name="Deltagere og svar").locator(
        "tbody tr").filter(has_text=name).first
    await expect(row).to_contain_text("Foreslår et andet tidspunkt: Kan først efter kl. 16")
    await expect(row).to_contain_text("Givet pr. telefon, registreret af Sara Demo Kristiansen")
    await expect(row).not_to_contain_text("Måske")
    # The answers table says the same, like any other answer (it polls every 10 s).
    answers = page.get_by_role("table", name="Deltagernes svar og invitationernes levering")
    await expect(answers.get_by_role("row", name=re.compile("^" + re.escape(name)))).to_contain_text(
        "Givet pr. telefon", timeout=25_000)
    await axe_check(page)
    await shot(page, "private-4-answer-recorded")
