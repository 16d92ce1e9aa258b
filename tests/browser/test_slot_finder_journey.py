"""Issue 17, point 4 in a real browser: the slot finder knows people. sara gives the
grandmother her own hours (weekdays 16–20) on her hours page, and the slot finder says why
nothing fits (she only after 16, the professionals only until 16, the children at school);
sara and the informatør agree on a longer day, and the proposals come ranked with their
reasons ("Alle kan – <grandmother> kun efter 16, <child> efter skoletid"), none in school
hours, none before the notice; sara books the first. Keyboard only, axe on every page,
screenshots at 1366 and 360 px."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from playwright.async_api import Page, expect

from coordinator import clock
from coordinator.demo import SURNAMES
from coordinator.meetings import planner
from tests.browser.helpers import (
    WIDE,
    axe_check,
    focused,
    follow,
    login,
    open_meeting_by_keyboard,
    press_in_place,
    shot_widths,
    tab_to,
    type_datetime,
)

# Demo family 29 is sara's (and mikkel's) and has an invited "Første statusmøde" with the
# mother, the children, two of the private network, an informatør and sara (29 % 4 == 1:
# coordinator/meetings/demo.py); no other journey changes that meeting.
FAMILY = f"Familien {SURNAMES[29]}"
MEETING = f"Første statusmøde – {FAMILY}"
ME = "Sara Demo Kristiansen"
NOTICE = 2  # the slot finder's default notice in working days


def working_days_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day``."""
    while count:
        day += timedelta(days=1)
        count -= planner.is_working_day(day)
    return day


async def people_by_role(page: Page) -> dict[str, list[str]]:
    """The meeting's participants by their role, as "Tid og sted" lists them ("Ida (Barn)")."""
    items = await page.get_by_role("table", name="Mødets dele og deltagere").locator("li").all_inner_texts()
    found: dict[str, list[str]] = {}
    for item in items:
        if match := re.fullmatch(r"(.+) \(([^()]+)\)", item.strip()):
            found.setdefault(match[2], []).append(match[1])
    return found


async def open_hours_page(page: Page, name: str) -> str:
    """From the meeting page to the participant's hours page, with the keyboard."""
    await tab_to(page, text=f"Arbejdstider og kalender for {name}")
    await follow(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Arbejdstider og kalender for {name}")
    return page.url


async def back_to_meeting(page: Page) -> None:
    await tab_to(page, text=f"Tilbage til mødet »{MEETING}«")
    await follow(page)
    await expect(page.get_by_role("heading", level=1, name=MEETING)).to_be_visible()


async def type_time(page: Page, field_id: str, at: time) -> None:
    await tab_to(page, id=field_id)
    await type_datetime(page, datetime.combine(clock.today(), at))


async def find_slots(page: Page) -> None:
    """Search with the form's own period (tomorrow and four weeks on) and notice."""
    await tab_to(page, text="Find tidspunkter")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Forslag til tidspunkter")).to_be_focused()
    await axe_check(page)


async def longer_day(page: Page, name: str, day: date) -> None:
    """A special day on the participant's hours page: 08–18 instead of 08–16."""
    await open_hours_page(page, name)
    form = page.locator('form[action$="/hours/date"]').first
    await tab_to(page, id=await form.get_by_label("Dato").get_attribute("id"))
    await type_datetime(page, datetime.combine(day, time(12)))
    await type_time(page, await form.get_by_label("Start").get_attribute("id"), time(8))
    await type_time(page, await form.get_by_label("Slut").get_attribute("id"), time(18))
    await tab_to(page, text="Gem særlig dag")
    await follow(page)
    await expect(page.locator("#hours ul li").filter(has_text="08.00–18.00")).to_have_count(1)
    await back_to_meeting(page)


async def test_sara_finds_a_time_that_suits_the_grandmother_and_the_children(page):
    await page.set_viewport_size(WIDE)
    await login(page, "sara")
    await open_meeting_by_keyboard(page, FAMILY, MEETING)
    people = await people_by_role(page)
    grandmother = people["Privat netværk"][0]
    children = people["Barn"]
    informant = people["Informatør"][0]
    assert children, people

    # The grandmother's own hours: weekdays 16–20 (private people's default is 15–20).
    hours_page = await open_hours_page(page, grandmother)
    await expect(page.locator("main")).to_contain_text("standard for private personer: hverdage 15–20")
    form = page.locator('form[action$="/hours"]')
    for day in range(5):
        name = planner.WEEKDAYS_DA[day].capitalize()
        await type_time(page, await form.get_by_label(f"{name}: start").get_attribute("id"), time(16))
    await tab_to(page, text=f"Gem arbejdstider for {grandmother}")
    await follow(page)
    assert page.url == hours_page
    for day in range(5):
        name = planner.WEEKDAYS_DA[day].capitalize()
        await expect(form.get_by_label(f"{name}: start")).to_have_value("16:00")
        await expect(form.get_by_label(f"{name}: slut")).to_have_value("20:00")
    await shot_widths(page, "slots-1-own-hours")
    await back_to_meeting(page)
    await expect(page.locator("#hours")).to_contain_text(
        f"Arbejdstider og kalender for {grandmother} – egne arbejdstider")

    # Nothing fits: she comes after 16, the professionals leave at 16. The page says so.
    await find_slots(page)
    slots = page.locator("#slots")
    await expect(slots).to_contain_text("Der er ingen ledige tidspunkter i perioden.")
    await expect(slots.locator(".slot-list")).to_have_count(0)
    reasons = slots.locator("ul li")
    for reason in (f"Uden for de tider, {grandmother} kan", f"Uden for arbejdstid for {informant}",
                   f"Uden for arbejdstid for {ME}", f"{children[0]} er i skole",
                   f"For kort varsel (mindst {NOTICE} arbejdsdage)"):
        await expect(reasons.filter(has_text=reason)).not_to_have_count(0)
    await shot_widths(page, "slots-2-nothing-fits", at=slots)

    # sara and the informatør stay until 18 on one day.
    earliest = planner.earliest_allowed_date(clock.now(), NOTICE)
    day = working_days_after(earliest, 2)
    for name in (ME, informant):
        await longer_day(page, name, day)

    # The proposals: only that day, after 16, ranked, each saying who shaped it.
    await find_slots(page)
    proposals = page.locator("#slots .slot-list > li")
    await expect(proposals.first).to_be_visible()
    starts = []
    for proposal in await proposals.all():
        explanation = await proposal.locator(".muted").inner_text()
        assert explanation.startswith(planner.format_local_date(day).capitalize()), explanation
        assert "Alle kan – " in explanation and f"{grandmother} kun efter 16" in explanation, explanation
        for child in children:
            assert f"{child} efter skoletid" in explanation, explanation
        start = datetime.fromisoformat(
            await proposal.locator('input[name$="_start"]').first.get_attribute("value"))
        end = datetime.fromisoformat(
            await proposal.locator('input[name$="_end"]').last.get_attribute("value"))
        local_start, local_end = start.astimezone(planner.LOCAL_TZ), end.astimezone(planner.LOCAL_TZ)
        assert local_start.date() >= earliest, "a proposal before the notice"
        assert local_start.time() >= time(16), "a proposal before the grandmother can"
        assert local_start.time() >= planner.DEFAULT_SCHOOL_HOURS[1], "a proposal in school hours"
        assert local_end.time() <= time(18), "a proposal after the professionals leave"
        starts.append(start)
    assert starts == sorted(starts), "the proposals of one day are ranked by their start"
    why = page.locator("#slots ul li")
    await expect(why.filter(has_text=f"Uden for de tider, {grandmother} kan")).not_to_have_count(0)
    await expect(why.filter(has_text="For kort varsel")).not_to_have_count(0)
    await shot_widths(page, "slots-3-proposals", at=page.locator("#slots"))

    # sara books the first proposal with the keyboard; "Tid og sted" says the new time.
    chosen = (await proposals.first.locator("strong").inner_text()).split(" – ")[0]
    picked = await tab_to(page, text=re.compile("^Vælg dette tidspunkt"))
    assert chosen in picked["text"], "each choice names its time for screen readers"
    await press_in_place(page, "Tidspunktet er gemt.")
    parts = page.get_by_role("table", name="Mødets dele og deltagere")
    await expect(parts.get_by_role("row").nth(1)).to_contain_text(chosen)
    assert (await focused(page))["tag"] != "body", "focus was lost after the booking"
    await shot_widths(page, "slots-4-booked", at=page.locator("#times"))
