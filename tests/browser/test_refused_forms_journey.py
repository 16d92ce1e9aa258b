"""Issue 17, point 3 in a real browser: every kind of form, sent with a bad value, is
refused at the field – the message next to the field, the field ``aria-invalid`` and
described by the message, focus on it – and what was typed stays in the form. Nothing
refused is saved, so the demo data is left as it was. Typed and sent with the keyboard;
screenshots at 1366 and 360 px.

The browser's own checks (required, min, type=email) are switched off for the walk
(``noValidate``), as a browser without them would send the form: the server's refusal is
what is tested.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from playwright.async_api import Locator, Page, expect

from coordinator import clock
from coordinator.demo import SURNAMES
from tests.browser.helpers import (
    WIDE,
    axe_check,
    follow,
    login,
    retype,
    shot_widths,
    tab_to,
    type_datetime,
)

# Demo family 5 is sara's and has an invited "Første statusmøde"; family 4's
# familierådslagning is in preparation (coordinator/meetings/demo.py).
MEETING_FAMILY = f"Familien {SURNAMES[5]}"
MEETING = f"Første statusmøde – {MEETING_FAMILY}"
FGC_FAMILY = f"Familien {SURNAMES[4]}"


async def send_unchecked(page: Page, form: Locator) -> None:
    """Send the form with the keyboard (Tab to its button, Enter) as a browser without its
    own checks would."""
    await form.evaluate("f => { f.noValidate = true; }")
    button = form.locator('button[type="submit"]').first
    await tab_to(page, text=(await button.inner_text()).strip())
    await page.keyboard.press("Enter")


async def type_in(page: Page, form: Locator, name: str, value: str) -> None:
    """Tab to the form's field ``name`` and type ``value`` over what it holds."""
    field = form.locator(f'[name="{name}"]:not([type="hidden"])').first
    await tab_to(page, id=await field.get_attribute("id"))
    await retype(page, value)


async def type_date_in(page: Page, form: Locator, name: str, when: datetime) -> None:
    """Tab to the form's date (or date and time) field ``name`` and type ``when``."""
    field = form.locator(f'[name="{name}"]').first
    await tab_to(page, id=await field.get_attribute("id"))
    await type_datetime(page, when)


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


async def open_link(page: Page, text: str) -> None:
    await tab_to(page, text=text)
    await follow(page)


async def test_every_kind_of_form_is_refused_at_the_field_and_keeps_the_input(page):
    await page.set_viewport_size(WIDE)
    await login(page, "sara")
    await open_link(page, MEETING_FAMILY)
    await open_link(page, MEETING)
    await expect(page.get_by_role("heading", level=1, name=MEETING)).to_be_visible()

    # 1. The time of the meeting: the end before the start.
    await tab_to(page, text="Sæt eller flyt tidspunktet")
    await page.keyboard.press("Enter")
    times = page.locator('form[action$="/times"]')
    start_name = await times.locator('input[name$="_start"]').first.get_attribute("name")
    end_name = start_name.replace("_start", "_end")
    start = await times.locator(f'[name="{start_name}"]').input_value()
    await type_date_in(page, times, end_name, datetime.fromisoformat(start))
    await send_unchecked(page, times)
    await refused_at_field(page, times, end_name, "sluttidspunktet skal ligge efter",
                           {start_name: start, end_name: start})
    await shot_widths(page, "refused-1-times", at=times)

    # 2. The slot finder (an hx-post form): a duration below five minutes.
    slots = page.locator('form[action$="/slots"]')
    duration = await slots.locator('input[name^="duration_"]').first.get_attribute("name")
    await type_in(page, slots, "min_notice", "3")
    await type_in(page, slots, duration, "2")
    await send_unchecked(page, slots)
    await refused_at_field(page, slots, duration, "skal være mindst 5",
                           {duration: "2", "min_notice": "3"})
    await shot_widths(page, "refused-2-slots", at=slots)

    # 3. A new participant: an e-mail address that is not one.
    add = page.locator("form[aria-labelledby='add-heading']")
    await type_in(page, add, "name", "Testperson Afvist")
    await type_in(page, add, "email", "ikke-en-adresse")
    await send_unchecked(page, add)
    await refused_at_field(page, add, "email", "E-mailadressen er ikke gyldig",
                           {"name": "Testperson Afvist", "email": "ikke-en-adresse"})
    await expect(page.locator("main")).not_to_contain_text("Testperson Afvist (")  # not added
    await shot_widths(page, "refused-3-participant", at=add)

    # 4. The title: empty (the page is rendered again with the message at the field).
    await tab_to(page, text="Ret titel, sted og beskrivelse")
    await page.keyboard.press("Enter")
    details = page.locator('form[action$="/details"]')
    await type_in(page, details, "title", "")
    await type_in(page, details, "description", "Skrevet før fejlen")
    await send_unchecked(page, details)
    await refused_at_field(page, details, "title", "Udfyld feltet »Titel«",
                           {"title": "", "description": "Skrevet før fejlen"})
    await shot_widths(page, "refused-4-details", at=details)

    # 5. The formøde of a familierådslagning: more than a year ahead.
    await open_link(page, "Mine familier")
    await open_link(page, FGC_FAMILY)
    await open_link(page, "Åbn familierådslagning")
    formoede = page.locator('form[action$="/formoede"]')
    far = clock.today() + timedelta(days=400)
    await type_date_in(page, formoede, "formoede_on", datetime.combine(far, time(12)))
    await send_unchecked(page, formoede)
    await refused_at_field(page, formoede, "formoede_on", "højst planlægges et år frem",
                           {"formoede_on": far.isoformat()})
    await shot_widths(page, "refused-5-formoede", at=formoede)

    # 6. An agreement's evaluation: no conclusions (a page rendered again with the input).
    await open_link(page, "Samarbejdsaftaler")
    first = page.locator("main table a[href^='/agreements/']").first
    await open_link(page, (await first.inner_text()).strip())
    evaluation = page.locator('form[action$="/evaluations"]')
    today = datetime.combine(clock.today(), time(12))
    await type_date_in(page, evaluation, "held_on", today)
    await type_in(page, evaluation, "participants", "Skolen og sundhedsplejen")
    await send_unchecked(page, evaluation)
    await refused_at_field(page, evaluation, "conclusions", "Udfyld feltet »Konklusioner«",
                           {"participants": "Skolen og sundhedsplejen",
                            "held_on": clock.today().isoformat()})
    await shot_widths(page, "refused-6-evaluation", at=evaluation)
