"""Helpers for the browser journeys: log in, visit, check accessibility, take screenshots.

Every helper takes a Playwright async ``Page`` made by the ``page`` / ``open_page`` fixtures
(tests/browser/conftest.py): its context has ``base_url`` set to the demo server, so paths
like ``"/login"`` work, and axe-core is already loaded into every document.

A journey step is: act as the user would, assert on what the user sees, ``await
axe_check(page)`` on every page reached, ``await shot(page, "step-name")``.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from pathlib import Path

from playwright.async_api import Locator, Page, Response, expect

from coordinator.demo import DEMO_PASSWORD
from coordinator.families import service as families
from coordinator.meetings import kinds, offers, participants

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SCREENSHOT_TIMEOUT_MS = 60_000
AXE_SOURCE_PATH = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
# The two widths every journey of issue 17 keeps screenshots at: a laptop and a small phone.
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}

# Problems the browser itself reported per page (CSP refusals, uncaught script errors);
# filled by ``watch_problems`` and asserted empty by ``axe_check``.
_problems: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def watch_problems(page: Page) -> None:
    """Record the page's CSP violations and uncaught script errors (the fixtures call this).

    The app's CSP forbids inline scripts and styles; a template that uses one still renders
    in a test client, but the browser refuses it, so only a browser can catch it.
    """
    found = _problems.setdefault(page, [])

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            found.append(f"CSP: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"script error: {error}"))


def format_violations(url: str, violations: list[dict]) -> str:
    """A readable report of axe violations: rule id, impact, help text and target nodes."""
    lines = [f"axe-core found {len(violations)} serious/critical violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                     f" <{violation.get('helpUrl', '')}>")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


async def axe_check(page: Page) -> None:
    """Fail unless the current page has zero serious/critical axe-core violations.

    Also fails when the browser refused something under the CSP or a script threw, since
    both mean the user sees a different page from the one the templates describe.
    """
    # A link's new address shows before its page has loaded: axe then ran on the document
    # being replaced ("Cannot read properties of null (reading 'documentElement')").
    await page.wait_for_load_state("load")
    problems = _problems.get(page, [])
    assert not problems, f"browser problems on {page.url}:\n" + "\n".join(problems)
    results = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(page.url, blocking)


async def shot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot as test-artifacts/screenshots/<name>.png (not committed): the whole
    page, or with ``full_page=False`` the window as the user sees it.

    A full-page capture of a tall page is rasterised in software; on a loaded two-core CI
    machine it once took longer than the 10 s that suits every interaction, so captures get
    their own, longer limit (``SCREENSHOT_TIMEOUT_MS``).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    await page.screenshot(path=str(path), full_page=full_page, timeout=SCREENSHOT_TIMEOUT_MS)
    return path


async def shot_widths(page: Page, name: str, at: Locator | None = None) -> None:
    """Screenshots of the page as it is now at 1366 and at 360 px (``<name>-1366.png``,
    ``<name>-360.png``); the window is 1366 px wide again afterwards.

    The page is not loaded again, so what a step left on it (a swapped section, an open
    fold, a message at a field) is in both pictures. With ``at`` each picture is the window
    scrolled to that element: a family page is over 20,000 px tall at 360 px, and its
    full-page capture takes half a minute on a busy machine.
    """
    for size, suffix in ((WIDE, "1366"), (PHONE, "360")):
        await page.set_viewport_size(size)
        await page.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")
        if at is not None:
            await at.evaluate("element => element.scrollIntoView({block: 'start'})")
        await shot(page, f"{name}-{suffix}", full_page=at is None)
    await page.set_viewport_size(WIDE)


async def visit(page: Page, path: str, status: int = 200) -> Response:
    """Open ``path`` as a typed address, assert the HTTP status, and axe-check the page."""
    response = await page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
    await axe_check(page)
    return response


async def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form like a user and axe-check the page it lands on."""
    await page.goto("/login")
    await page.get_by_label("Brugernavn").fill(username)
    await page.get_by_label("Adgangskode").fill(password)
    await page.get_by_role("button", name="Log ind").click()
    await page.wait_for_load_state()
    error = page.locator("#login-error")
    if await error.count():
        raise AssertionError(f"login as {username} refused: {await error.inner_text()}")
    await expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    await axe_check(page)


async def logout(page: Page) -> None:
    """Log out with the header's button and wait for the login page."""
    await page.get_by_role("button", name="Log ud").click()
    await expect(page.get_by_role("heading", name="Log ind")).to_be_visible()


async def focused(page: Page) -> dict:
    """What has keyboard focus: tag, id, accessible-ish text and whether it is on screen."""
    return await page.evaluate("""() => {
        const el = document.activeElement;
        const box = el.getBoundingClientRect();
        return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                text: (el.innerText || el.value || '').trim(),
                visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                         && box.left < innerWidth && box.top < innerHeight,
                outline: getComputedStyle(el).outlineStyle};
    }""")


# ---------------------------------------------------------------- keyboard-only journeys

TAB_LIMIT = 400  # the longest page (a meeting with its forms) has fewer tab stops than this


async def tab_to(page: Page, *, text: str | re.Pattern | None = None, id: str | None = None,
                 name: str | None = None, backwards: bool = False, limit: int = TAB_LIMIT) -> dict:
    """Press Tab (Shift+Tab with ``backwards``) until the element with this visible text (a
    string to equal or a pattern to search), id or form name (a group of radio buttons) has
    focus, like a keyboard user walking the page; fail if it is never reached.

    The element reached must be on screen with a visible focus indicator, since a user who
    cannot see where focus is cannot use the page with the keyboard.
    """
    assert text or id or name, "tell which element to reach"
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        await page.keyboard.press(key)
        now = await focused(page)
        if ((id is not None and now["id"] == id) or (name is not None and now["name"] == name)
                or (text is not None and _matches(text, now["text"]))):
            assert now["visible"], f"focus on {now} is off screen"
            assert now["outline"] != "none", f"focus on {now} is not visible (outline: none)"
            return now
    raise AssertionError(f"{limit} presses of {key} never reached {text or id or name!r} on {page.url}")


async def choose_radio(page: Page, radio: Locator, limit: int = 12) -> None:
    """With focus in a group of radio buttons, press the arrow key until ``radio`` is the one
    chosen, as a keyboard user picks an answer."""
    for _ in range(limit):
        if await radio.is_checked():
            return
        await page.keyboard.press("ArrowDown")
    await expect(radio).to_be_checked()


def _matches(wanted: str | re.Pattern, text: str) -> bool:
    return bool(wanted.search(text)) if isinstance(wanted, re.Pattern) else text == wanted


async def _date_segments(page: Page) -> list[str]:
    """The editable parts of the focused date/time field in the order the browser shows them
    (Day/Month/Year… in Danish, Month/Day/Year… in English), read from the accessibility tree."""
    cdp = await page.context.new_cdp_session(page)
    try:
        active = await cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})
        found = await cdp.send("Accessibility.queryAXTree", {
            "objectId": active["result"]["objectId"], "role": "spinbutton"})
        # Names read like "Month" (or "Month Month" with a label): the last word is the part.
        return [node["name"]["value"].split()[-1] for node in found["nodes"]]
    finally:
        await cdp.detach()


async def type_datetime(page: Page, when) -> None:
    """Type a date and time into the focused ``datetime-local`` (or ``date``) field with the
    keyboard alone, in whatever segment order the browser's locale gives it."""
    segments = await _date_segments(page)
    twelve_hour = "AM/PM" in segments
    values = {"Day": f"{when.day:02d}", "Month": f"{when.month:02d}", "Year": f"{when.year:04d}",
              "Hours": when.strftime("%I" if twelve_hour else "%H"),
              "Minutes": f"{when.minute:02d}", "AM/PM": when.strftime("%p")[0]}
    for index, segment in enumerate(segments):
        await page.keyboard.type(values[segment])
        # Two-digit segments move on by themselves; a year may have up to six digits.
        if segment == "Year" and index < len(segments) - 1:
            await page.keyboard.press("Tab")


async def follow(page: Page, key: str = "Enter") -> None:
    """Press a key on the focused link or button that opens the next page, wait for that
    page and axe-check it."""
    async with page.expect_navigation():
        await page.keyboard.press(key)
    await axe_check(page)


async def open_meeting_by_keyboard(page: Page, family: str, meeting: str) -> None:
    """From the start page to one of the family's meetings with Tab and Enter alone."""
    await tab_to(page, text=family)
    await follow(page)
    await tab_to(page, text=meeting)
    await follow(page)
    await expect(page.get_by_role("heading", level=1, name=meeting)).to_be_visible()


async def press_in_place(page: Page, saved: str, key: str = "Enter") -> None:
    """Press a key on a form of the meeting page's workspace: the change is saved and its
    sections are swapped in place (no next page); wait for the status line to say ``saved``
    and axe-check the page as it is now."""
    await page.evaluate("() => { document.getElementById('workspace-status').textContent = ''; }")
    await page.keyboard.press(key)
    await expect(page.locator("#workspace-status")).to_have_text(saved)
    await axe_check(page)


async def retype(page: Page, text: str) -> None:
    """Replace the text of the focused field with ``text``, typed key by key."""
    await page.keyboard.press("Control+A")
    if text:
        await page.keyboard.type(text)
    else:
        await page.keyboard.press("Delete")


# ------------------------------------------------------------------------ plain Danish

def _words(values) -> str:
    return "|".join(re.escape(value) for value in sorted(set(values), key=len, reverse=True))


# What the users must never read: the code's own words for things. Every journey that checks
# plain Danish uses this one list (issue 17, point 9). The status and role keys are read from
# the vocabularies that give them their Danish labels, so a new key is forbidden as it comes.
_CODE_WORDS = {
    *(status.value for status in kinds.MeetingStatus), *families.STATUSES, *kinds.FGC_STATUS,
    *kinds.BIC_STATUS, *offers.PLAN_STATUSES, *participants.ROLES,
} - {"all", "held", "samordner", "kontaktperson"}  # Danish words ("held": luck), or none ("all")
INTERNAL_TERMS: dict[str, re.Pattern] = {
    "a calendar answer code": re.compile(rf"\b(?:{_words(participants.RSVP_LABELS)})\b"),
    "a status or role code": re.compile(rf"\b(?:{_words(_CODE_WORDS)})\b", re.IGNORECASE),
    "an internal key": re.compile(r"\b[a-z]+(?:_[a-z]+)+\b"),
    "a version or sequence number": re.compile(r"\bversion\s*(?:nr\.?\s*)?\d+|sekvens|\bSEQUENCE\b",
                                               re.IGNORECASE),
    "a rank": re.compile(r"\bRang\b"),
    "an id": re.compile(r"\bID\b\s*(?:nr\.?|[:#])?\s*\d+", re.IGNORECASE),
    "an ISO timestamp": re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
    "an error code": re.compile(r"fejlkode", re.IGNORECASE),
    "a programming value": re.compile(r"\b(?:None|True|False|null|undefined|NaN)\b|Traceback|\[object "),
}

# Everything on the page a user can read or hear: the title, the rendered text with every
# fold opened (and closed again), the options of every list, and the names and hints that
# only a screen reader says.
_READABLE = """() => {
    const folds = [...document.querySelectorAll('details:not([open])')];
    folds.forEach(d => { d.open = true; });
    const texts = [document.title, document.body.innerText];
    folds.forEach(d => { d.open = false; });
    for (const option of document.querySelectorAll('option')) texts.push(option.textContent);
    for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
        for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
            if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
        }
    }
    for (const el of document.querySelectorAll('svg title, svg desc')) texts.push(el.textContent);
    return texts.join('\\n');
}"""


def internal_terms(text: str) -> list[str]:
    """The internal terms in ``text``: which kind, the term and a little around it."""
    found = []
    for kind, pattern in INTERNAL_TERMS.items():
        for match in pattern.finditer(text):
            around = text[max(match.start() - 40, 0):match.end() + 40].replace("\n", " ⏎ ")
            found.append(f"{kind}: {match.group(0)!r} in …{around}…")
    return found


async def assert_plain_danish(page: Page) -> None:
    """Fail when the page shows (or says to a screen reader) one of ``INTERNAL_TERMS``."""
    found = internal_terms(await page.evaluate(_READABLE))
    assert not found, f"internal terms on {page.url}:\n" + "\n".join(found)


# ------------------------------------------------------------------------------ mail

MAIL_WAIT_SECONDS = 30


async def mails_to(smtp, address: str, count: int = 1,
                   timeout: float = MAIL_WAIT_SECONDS) -> list:
    """Wait (bounded) until the tests' SMTP server holds ``count`` messages for ``address``,
    and return them; the worker delivers the outbox a moment after the click."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = [m for m in smtp.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]
        if len(found) >= count:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"{len(found)} of {count} mail(s) to {address} arrived in "
                                 f"{timeout} s; all recipients: "
                                 f"{[m.rcpt_tos for m in smtp.messages]}")
        await asyncio.sleep(0.1)


ANSWER_LINK = re.compile(r"https?://\S+/svar/[A-Za-z0-9_-]+")


async def an_answer_link(smtp, timeout: float = MAIL_WAIT_SECONDS) -> str:
    """An answer link from an invitation the worker delivered to a partner (the demo's
    invitations are in its outbox from the start)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for mail in list(smtp.messages):
            if mail.message.get_body(preferencelist=("plain",)) is not None and (
                    found := ANSWER_LINK.findall(text_part(mail.message))):
                return found[0]
        assert loop.time() < deadline, f"no invitation with an answer link arrived in {timeout} s"
        await asyncio.sleep(0.2)


def text_part(message) -> str:
    """The text/plain body of a received mail (``ReceivedMessage.message``)."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text/plain part"
    return part.get_content()
