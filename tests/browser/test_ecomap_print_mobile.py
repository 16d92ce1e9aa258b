"""Issue 17, points 6 and 7, measured in Debian's Chromium on the demo data.

6. The ecomap people can read: labels at least 12 px at a 1366 px window, zoom and pan with
   the keyboard (+, −, 0, arrow keys) and with labelled buttons, focus on one person (their
   ties highlighted, the others dimmed, said in words), the keep-apart mark thick and in the
   legend, and the map alone on one A4 landscape page.
7. Print and phone: the family page, the meeting page and the familierådslagning (the
   family's plan) each print on at most three A4 pages for every demo family (counted in
   Chromium's own PDF); the meeting pages and the answer page fit 360 px without sideways
   scrolling and without a word broken letter by letter.

Screenshots at 1366 and 360 px and sample PDFs go to test-artifacts/ (screenshots/, print/).
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page, expect

from tests.browser.helpers import ROOT, SCREENSHOT_TIMEOUT_MS, SCREENSHOTS, axe_check, login, tab_to

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}
MAX_PAGES = 3
PRINTS = ROOT / "test-artifacts" / "print"
ANSWER_LINK = re.compile(r"https?://\S+/svar/[A-Za-z0-9_-]+")
MAIL_WAIT_SECONDS = 30

# Every text of the map: its rendered size is its font size times the map's scale.
# The browser lays a map out in 1/64 px: its drawn width may come out a hair below its
# natural width (a scale of 0.9997 seen), which is no smaller text to a reader.
LAYOUT_SLACK = 0.05
LABEL_SIZES = """(svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')];
    return {count: texts.length, scale,
            smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
            lowest: Math.min(...texts.map(t => t.getBoundingClientRect().height))};
}"""

# Words (split at spaces, hyphens and slashes) that the browser broke over more than one
# line: a short word broken at all, or any word broken into more than two pieces, is a word
# broken letter by letter. Hidden text (visually-hidden captions, stacked tables' headers)
# is not seen and not counted.
BROKEN_WORDS = """() => {
    const broken = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const el = node.parentElement;
        if (!el || !el.getClientRects().length) continue;
        if (el.closest('.visually-hidden, table.stacked > thead, script, style, svg')) continue;
        const words = /[^\\s\\-\\/–—]+/g;
        let m;
        while ((m = words.exec(node.textContent))) {
            if (m[0].length < 3) continue;
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                  .map(r => Math.round(r.top)));
            if (lines.size > 2 || (lines.size === 2 && m[0].length < 20)) {
                broken.push(m[0] + ' (' + el.tagName.toLowerCase() + ')');
            }
        }
    }
    return broken;
}"""


async def shot(page: Page, name: str) -> None:
    """The window as the user sees it (not the whole long page) as
    test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), timeout=SCREENSHOT_TIMEOUT_MS)


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The (width, height) in points of every page of a PDF Chromium made."""
    count = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    boxes = [tuple(float(v) for v in box.split()[2:4])
             for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)]
    assert count and len(boxes) >= count, "not a PDF with pages"
    return boxes[-count:] if len(boxes) > count else boxes


async def print_pages(page: Page, name: str | None = None) -> int:
    """How many A4 pages the current page prints on, with its own @page rules."""
    pdf = await page.pdf(prefer_css_page_size=True)
    if name:
        PRINTS.mkdir(parents=True, exist_ok=True)
        (PRINTS / f"{name}.pdf").write_bytes(pdf)
    return len(pdf_pages(pdf))


async def family_paths(page: Page) -> list[str]:
    """The families on the logged-in user's start page."""
    hrefs = await page.eval_on_selector_all(
        "a[href^='/families/']", "els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if re.fullmatch(r"/families/\d+", h)))


async def meeting_paths(page: Page) -> list[str]:
    hrefs = await page.eval_on_selector_all(
        "a[href^='/meetings/']", "els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if re.fullmatch(r"/meetings/\d+", h)))


async def fits_phone(page: Page) -> None:
    """Nothing wider than 360 px and no word broken letter by letter."""
    await page.wait_for_load_state("networkidle")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at 360 px"
    assert await page.evaluate(BROKEN_WORDS) == [], page.url


async def family_with_keep_apart(page: Page) -> str:
    """A family of sara's whose map has a keep-apart pair (the demo's violent fathers)."""
    for path in await family_paths(page):
        await page.goto(path)
        if await page.locator("figure.ecomap svg .keep-apart > g").count():
            return path
    raise AssertionError("no demo family of sara's has a keep-apart pair")


# ------------------------------------------------------------------ 6. the ecomap


async def test_the_ecomap_is_legible_zoomable_and_focusable_with_the_keyboard(page):
    await page.set_viewport_size(WIDE)
    await login(page, "sara")
    await family_with_keep_apart(page)
    figure = page.locator("figure.ecomap")
    svg = figure.locator("svg").first
    view = figure.locator("[data-ecomap-viewport]")
    level = figure.locator("[data-ecomap-level]")
    await expect(figure.get_by_role("button", name=re.compile("^Zoom ind"))).to_be_visible()
    await axe_check(page)

    sizes = await svg.evaluate(LABEL_SIZES)
    assert sizes["count"] > 20
    assert sizes["smallest"] >= 12 - LAYOUT_SLACK, sizes
    assert sizes["lowest"] >= 12, sizes
    await view.scroll_into_view_if_needed()
    await shot(page, "ecomap-1366")

    # The keep-apart mark: thick, red, dashed, in the legend, and said in words.
    mark = svg.locator(".keep-apart > g > line").first
    assert float(await mark.get_attribute("stroke-width")) >= 5
    assert await mark.get_attribute("stroke-dasharray")
    assert "Skal holdes adskilt" in await svg.locator(".legend").text_content()
    assert "par skal holdes adskilt:" in await svg.locator("desc").text_content()
    assert re.search(r".+ og .+ skal holdes adskilt", await svg.locator(".keep-apart title").first.text_content())

    # Zoom and pan with the keyboard on the map itself.
    view_id = await view.get_attribute("id")
    await tab_to(page, id=view_id)
    natural = float(await svg.get_attribute("width"))
    await page.keyboard.press("+")
    await expect(level).to_have_text("125 %")
    # the map's natural width is written rounded to a tenth, the zoom rounds to a pixel
    assert abs(float(await svg.get_attribute("width")) - natural * 1.25) <= 1
    await page.keyboard.press("-")
    await page.keyboard.press("-")
    await expect(level).to_have_text("80 %")
    await page.keyboard.press("0")
    await expect(level).to_have_text("100 %")
    before = await view.evaluate("v => [v.scrollLeft, v.scrollTop]")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowDown")
    after = await view.evaluate("v => [v.scrollLeft, v.scrollTop]")
    assert after[0] > before[0] and after[1] > before[1], (before, after)

    # The buttons, reached and pressed with the keyboard.
    await tab_to(page, text=re.compile("^Zoom ind"), backwards=True)
    await page.keyboard.press("Enter")
    await expect(level).to_have_text("125 %")
    await tab_to(page, text="Hele kortet")
    await page.keyboard.press("Enter")
    whole = await view.evaluate("""v => { const s = v.querySelector('svg').getBoundingClientRect();
        return s.width <= v.clientWidth + 1 && s.height <= v.clientHeight + 1; }""")
    assert whole, "»Hele kortet« does not show the whole map"
    await tab_to(page, text="Normal størrelse")
    await page.keyboard.press("Enter")
    await expect(level).to_have_text("100 %")

    # Focus on one person with the keyboard: the first person in the list.
    focus = figure.locator("[data-ecomap-focus]")
    await tab_to(page, id=await focus.get_attribute("id"))
    await page.keyboard.press("ArrowDown")
    key = await focus.input_value()
    assert key.startswith("p:")
    await expect(svg).to_have_class(re.compile(r"\becomap-focused\b"))
    await expect(svg.locator(f'.nodes > g[data-key="{key}"]')).to_have_class(re.compile(r"\bis-focus\b"))
    said = figure.locator("[data-ecomap-said]")
    await expect(said).to_contain_text("Fremhævet: ")

    # The mother: her ties (the keep-apart line included) stand out, the others are dimmed.
    mother = await focus.locator("option", has_text="(Mor").first.get_attribute("value")
    await focus.select_option(mother)
    tied = svg.locator(".edges > line.is-tied")
    assert await tied.count() >= 1
    await expect(svg.locator(".keep-apart > g.is-tied")).to_have_count(1)
    opacities = await svg.evaluate("""s => {
        const of = selector => [...s.querySelectorAll(selector)].map(g => getComputedStyle(g).opacity);
        return {dimmed: of('.nodes > g:not(.is-focus):not(.is-tied)'),
                tied: of('.nodes > g.is-tied, .nodes > g.is-focus'), apart: of('.keep-apart > g')};
    }""")
    assert opacities["dimmed"] and set(opacities["dimmed"]) == {"0.15"}, opacities
    assert opacities["tied"] and set(opacities["tied"]) == {"1"}, opacities
    assert set(opacities["apart"]) == {"1"}, "a keep-apart mark must never be dimmed"
    await expect(said).to_contain_text("skal holdes adskilt")
    await axe_check(page)
    await shot(page, "ecomap-focus-1366")
    await focus.select_option("")
    await expect(svg).not_to_have_class(re.compile(r"\becomap-focused\b"))

    # On a phone the page still fits; the map scrolls inside its own view.
    await page.set_viewport_size(PHONE)
    await page.reload()
    await fits_phone(page)
    await axe_check(page)
    await shot(page, "ecomap-360")


async def test_the_ecomap_prints_alone_on_one_a4_landscape_page(page):
    await page.set_viewport_size(WIDE)
    await login(page, "sara")
    path = await family_with_keep_apart(page)
    await page.get_by_role("link", name=re.compile("^Udskriv netværkskortet")).click()
    await expect(page).to_have_url(re.compile(re.escape(path) + "/network/print$"))
    await expect(page.get_by_role("button", name="Udskriv eller gem som PDF")).to_be_visible()
    await expect(page.locator("figcaption")).to_contain_text("Skal holdes adskilt:")
    await axe_check(page)
    await shot(page, "ecomap-print-1366")
    pdf = await page.pdf(prefer_css_page_size=True)
    PRINTS.mkdir(parents=True, exist_ok=True)
    (PRINTS / "ecomap-a4-landscape.pdf").write_bytes(pdf)
    [(width, height)] = pdf_pages(pdf)
    assert (round(width), round(height)) == (842, 595), (width, height)  # A4 landscape in pt
    await page.emulate_media(media="print")
    sizes = await page.locator("svg").first.evaluate(LABEL_SIZES)
    assert sizes["count"] > 20


# ---------------------------------------------------------------- 7. print and phone


async def test_family_meeting_and_plan_pages_print_on_three_a4_pages_at_most(open_page):
    too_long: list[str] = []
    seen: set[str] = set()
    for user in ("sara", "mikkel"):  # between them, every demo family
        page = await open_page()
        await login(page, user)
        meetings: list[str] = []
        for index, family in enumerate(await family_paths(page)):
            if family in seen:
                continue
            seen.add(family)
            await page.goto(family)
            meetings += await meeting_paths(page)
            if (n := await print_pages(page, "family" if index == 0 else None)) > MAX_PAGES:
                too_long.append(f"{family}: {n} pages")
            await page.goto(family + "/familieraadslagning")
            if (n := await print_pages(page, "plan" if index == 0 else None)) > MAX_PAGES:
                too_long.append(f"{family}/familieraadslagning: {n} pages")
        for index, meeting in enumerate(dict.fromkeys(meetings)):
            await page.goto(meeting)
            if (n := await print_pages(page, "meeting" if index == 0 else None)) > MAX_PAGES:
                too_long.append(f"{meeting}: {n} pages")
    assert len(seen) == 30, f"{len(seen)} demo families reached"
    assert too_long == []


async def test_the_printed_family_page_keeps_what_matters(page):
    """On paper: the map whole, the people with their safety, who does what once per person;
    no forms, no menu."""
    await login(page, "sara")
    await family_with_keep_apart(page)
    await page.emulate_media(media="print")
    for hidden in ("header.site-header", "figure.ecomap [data-ecomap-tools]", "#network form"):
        for element in await page.locator(hidden).all():
            await expect(element).to_be_hidden()
    await expect(page.get_by_role("table", name=re.compile("^Personer i netværket"))).to_be_visible()
    await expect(page.get_by_role("table", name="Hvem gør hvad – samlet for børnene")).to_be_visible()
    await expect(page.locator("table.network-people")).to_contain_text("Holdes adskilt fra")
    whole = await page.locator("figure.ecomap svg").first.evaluate(
        "s => s.getBoundingClientRect().width <= s.closest('main').getBoundingClientRect().width + 1")
    assert whole
    await page.emulate_media(media="screen")
    await expect(page.get_by_role("table", name="Hvem gør hvad – samlet for børnene")).to_be_hidden()


async def test_meeting_pages_fit_a_360_px_phone(page):
    await page.set_viewport_size(PHONE)
    await login(page, "sara")
    meetings: list[str] = []
    for family in (await family_paths(page))[:6]:
        await page.goto(family)
        meetings += await meeting_paths(page)
    meetings = list(dict.fromkeys(meetings))
    assert len(meetings) >= 5
    for index, meeting in enumerate(meetings):
        await page.goto(meeting)
        await fits_phone(page)
        if index < 3:
            await axe_check(page)
    await page.goto(meetings[0])
    await fits_phone(page)
    await shot(page, "meeting-360")
    await page.set_viewport_size(WIDE)
    await page.wait_for_timeout(100)
    await shot(page, "meeting-1366")


async def _an_answer_link(smtp) -> str:
    """An answer link from an invitation the worker delivered (the demo queues some)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAIL_WAIT_SECONDS
    while True:
        for mail in list(smtp.messages):
            body = mail.message.get_body(preferencelist=("plain",))
            if body is not None and (found := ANSWER_LINK.findall(body.get_content())):
                return found[0]
        assert loop.time() < deadline, "no invitation with an answer link arrived"
        await asyncio.sleep(0.2)


async def test_the_answer_page_fits_a_360_px_phone(page, demo_smtp):
    link = await _an_answer_link(demo_smtp)
    await page.set_viewport_size(PHONE)
    response = await page.goto(link)
    assert response is not None and response.status == 200
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await fits_phone(page)
    await axe_check(page)
    for field in await page.locator("main input, main textarea, main select, main button").all():
        box = await field.bounding_box()
        assert box is None or box["x"] + box["width"] <= PHONE["width"], await field.get_attribute("name")
    await shot(page, "answer-360")
    await page.set_viewport_size(WIDE)
    await shot(page, "answer-1366")


async def test_the_printed_plan_and_meeting_show_their_content_not_their_forms(page):
    """The familierådslagning on paper: the questions the plan must answer, the preparation
    tasks and the plan as text; the meeting page on paper: its parts and participants, its
    agenda with the minutes, not the slot finder, the working hours or the buttons."""
    await login(page, "sara")
    for family in await family_paths(page):
        await page.goto(family + "/familieraadslagning")
        # the plan: one table per referral question (and one for items tied to none)
        if await page.locator("#step-6 table.data").count():
            break
    else:
        raise AssertionError("no demo family of sara's has a family plan")
    await page.emulate_media(media="print")
    await expect(page.locator("#step-6 table.data").first).to_be_visible()
    questions = page.get_by_label("Spørgsmål, familiens plan skal besvare")
    await expect(questions).to_be_visible()
    assert (await questions.input_value()).strip()
    task = re.compile(r"^(Udført|Mangler): (?!.*(Genåbn|Markér som udført))")
    await expect(page.locator("ul.tasks li").first).to_have_text(task, use_inner_text=True)
    await expect(page.get_by_role("button", name="Tilføj til planen")).to_be_hidden()
    await expect(page.get_by_label("Handling")).to_be_hidden()
    meeting = await page.locator("#step-5 a[href^='/meetings/']").first.get_attribute("href")
    await page.emulate_media(media="screen")

    await page.goto(meeting)
    await page.emulate_media(media="print")
    await expect(page.get_by_role("table", name="Deltagere og svar")).to_be_visible()
    await expect(page.get_by_role("heading", name="Tid og sted")).to_be_visible()
    # the agenda and its minutes as text, without the forms that write them
    await expect(page.get_by_role("heading", name="Dagsorden og referat")).to_be_visible()
    await expect(page.locator("#agenda ol.agenda-points .point-title").first).to_be_visible()
    await expect(page.locator("#agenda .point-minutes").first).to_be_visible()
    for hidden in ("#slot-heading", "#hours", "header.site-header", "main form",
                   "#agenda .point-tools", "#agenda summary"):
        for element in await page.locator(hidden).all():
            await expect(element).to_be_hidden()
