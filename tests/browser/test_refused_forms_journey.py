"""Issue 17, point 3 in a real browser: every kind of form, sent with a bad value, is
refused at the field – the message next to the field, the field ``aria-invalid`` and
described by the message, focus on it – and what was typed stays in the form. Nothing
refused is saved, so the demo data is left as it was.

The browser's own checks (required, min, type=email) are switched off for the walk
(``noValidate``), as a browser without them would send the form: the server's refusal is
what is tested.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Locator, Page, expect

from coordinator import clock
from coordinator.demo import SURNAMES
from tests.browser.helpers import axe_check, login, shot

# Demo family 5 is sara's and has an invited "Første statusmøde"; family 4's
# familierådslagning is in preparation (coordinator/meetings/demo.py).
MEETING_FAMILY = f"Familien {SURNAMES[5]}"
MEETING = f"Første statusmøde – {MEETING_FAMILY}"
FGC_FAMILY = f"Familien {SURNAMES[4]}"


async def send_unchecked(form: Locator) -> None:
    """Send the form as a browser without its own checks would."""
    await form.evaluate("f => { f.noValidate = true; }")
    await form.locator('button[type="submit"]').first.click()


async def refused_at_field(page: Page, form: Locator, name: str, message: str,
                           kept: dict[str, str]) -> None:
    """The refusal is at the field ``name`` and the typed values are kept."""
    field = form.locator(f'[name="{name}"]:not([type="hidden"])').first
    await expect(field).to_have_attribute("aria-invalid", "true")
    described = (await field.get_attribute("aria-describedby") or "").split()
    texts = [await page.locator(f"#{ident}").inner_text() for ident in described]
    assert any(message in text for text in texts), (name, texts)
    await expect(field).to_be_focused()
    for other, value in kept.items():
        await expect(form.locator(f'[name="{other}"]').first).to_have_value(value)
    await axe_check(page)


async def open_meeting(page: Page) -> None:
    await page.get_by_role("link", name=MEETING_FAMILY, exact=True).click()
    await page.get_by_role("link", name=MEETING).first.click()
    await expect(page.get_by_role("heading", level=1, name=MEETING)).to_be_visible()


async def test_every_kind_of_form_is_refused_at_the_field_and_keeps_the_input(page):
    await login(page, "sara")
    await open_meeting(page)

    # 1. The time of the meeting: the end before the start.
    await page.get_by_text("Sæt eller flyt tidspunktet").click()
    times = page.locator('form[action$="/times"]')
    start_name = await times.locator('input[name$="_start"]').first.get_attribute("name")
    end_name = start_name.replace("_start", "_end")
    start = await times.locator(f'[name="{start_name}"]').input_value()
    await times.locator(f'[name="{end_name}"]').fill(start)
    await send_unchecked(times)
    await refused_at_field(page, times, end_name, "sluttidspunktet skal ligge efter",
                           {start_name: start, end_name: start})
    await shot(page, "refused-1-times")

    # 2. The slot finder (an hx-post form): a duration below five minutes.
    slots = page.locator('form[action$="/slots"]')
    duration = await slots.locator('input[name^="duration_"]').first.get_attribute("name")
    await slots.locator(f'[name="{duration}"]').fill("2")
    await slots.locator('[name="min_notice"]').fill("3")
    await send_unchecked(slots)
    await refused_at_field(page, slots, duration, "skal være mindst 5",
                           {duration: "2", "min_notice": "3"})
    await shot(page, "refused-2-slots")

    # 3. A new participant: an e-mail address that is not one.
    add = page.locator("form[aria-labelledby='add-heading']")
    await add.locator('[name="name"]').fill("Testperson Afvist")
    await add.locator('[name="email"]').fill("ikke-en-adresse")
    await send_unchecked(add)
    await refused_at_field(page, add, "email", "E-mailadressen er ikke gyldig",
                           {"name": "Testperson Afvist", "email": "ikke-en-adresse"})
    await expect(page.locator("main")).not_to_contain_text("Testperson Afvist (")  # not added
    await shot(page, "refused-3-participant")

    # 4. The title: empty (the page is rendered again with the message at the field).
    await page.get_by_text("Ret titel, sted og beskrivelse").click()
    details = page.locator('form[action$="/details"]')
    await details.locator('[name="title"]').fill("")
    await details.locator('[name="description"]').fill("Skrevet før fejlen")
    await send_unchecked(details)
    await refused_at_field(page, details, "title", "Udfyld feltet »Titel«",
                           {"title": "", "description": "Skrevet før fejlen"})
    await shot(page, "refused-4-details")

    # 5. The formøde of a familierådslagning: more than a year ahead.
    await page.goto("/")
    await page.get_by_role("link", name=FGC_FAMILY, exact=True).click()
    await page.get_by_role("link", name="Åbn familierådslagning").first.click()
    formoede = page.locator('form[action$="/formoede"]')
    far = (clock.today() + timedelta(days=400)).isoformat()
    await formoede.locator('[name="formoede_on"]').fill(far)
    await send_unchecked(formoede)
    await refused_at_field(page, formoede, "formoede_on", "højst planlægges et år frem",
                           {"formoede_on": far})
    await shot(page, "refused-5-formoede")

    # 6. An agreement's evaluation: no conclusions (a page rendered again with the input).
    await page.goto("/agreements")
    await page.locator("main table a[href^='/agreements/']").first.click()
    evaluation = page.locator('form[action$="/evaluations"]')
    await evaluation.locator('[name="held_on"]').fill(clock.today().isoformat())
    await evaluation.locator('[name="participants"]').fill("Skolen og sundhedsplejen")
    await send_unchecked(evaluation)
    await refused_at_field(page, evaluation, "conclusions", "Udfyld feltet »Konklusioner«",
                           {"participants": "Skolen og sundhedsplejen",
                            "held_on": clock.today().isoformat()})
    await shot(page, "refused-6-evaluation")
