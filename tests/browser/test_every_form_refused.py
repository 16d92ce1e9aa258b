"""Issue 17, point 3, for every form: a browser walks the demo's pages as the users who have
them, finds every form that posts, sends each with a bad value and checks the answer is the
form's own page again – never a bare error page – with what was typed kept and the message
at a field marked ``aria-invalid`` and described by it.

The walk runs without JavaScript (as a browser that has none, or whose scripts did not load,
sends a form): the server alone must keep the input (``web.RefusedForm``). With JavaScript
the same refusals are fragments ``static/app.js`` shows at the field; the six kinds of form
in ``test_refused_forms_journey.py`` cover that path.

The walk reaches every form a user can type into; the test checks the ones that need a
particular state: a stay to end, a move-out to ask about, a correction of the trappe, a
mother's consent, a familierådslagning to create, a plan and a safety finding waiting for
approval (``meetings.demo.PENDING_DECISIONS``), a partner's answer link, the centre's
tablet.

The bad value is what a user can type: far too long a text (every text field has a limit),
an impossible number, an empty required date, an unticked required confirmation. A form
with nothing a user can type wrongly (buttons, hidden ids, choices from lists) is not sent:
its bad values cannot come from a browser. Nothing refused is saved, so the demo data stays
as it was for the other journeys; the one thing the walk saves is the tablet's one-time
link, which no other journey uses.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Page

from coordinator.demo import DEMO_PASSWORD
from tests.browser.helpers import an_answer_link

TOO_LONG = "x" * 20_001  # longer than any text field allows (the longest: a meeting's minutes)
HUGE_NUMBER = "99999999999"
REFUSED = {400, 409, 422}

# Where each user's walk starts, and which links on the pages it follows: sara's, mikkel's
# and mads' lead to the rest (families, their network, meetings of every kind, agreements,
# a participant's hours, the trappe's corrections, move-outs…); the leader edits the
# organisation directory. Forms without a login (a partner's answer link, the centre's
# tablet) are walked after them.
SEEDS = {
    "sara": ["/", "/agreements/", "/agreements/new", "/agreements/due", "/feeds/", "/rooms",
             "/paamindelser/", "/followup/samarbejdsmoede", "/followup/teammoede"],
    "mikkel": ["/"],  # his families have stays to end and move-outs to ask about
    "mads": ["/followup/kontaktperson"],
    "lene": ["/unit/", "/organisations/", "/followup/succeskriterier", "/audit/"],
    "admin": ["/admin/users/"],
}
FOLLOWS = {"sara": re.compile(""), "mikkel": re.compile(""), "mads": re.compile(""),
           "lene": re.compile(r"^/organisations/\d+$"), "admin": re.compile(r"^$")}
# Pages visited per kind of address (digits count as one kind); the meeting page more
# often, since its forms differ with the meeting's kind.
VISITS_PER_KIND = 2
VISITS_OF = {"/meetings/#": 30, "/families/#": 30, "/families/#/familieraadslagning": 30,
             "/families/#/bic": 30, "/families/#/trappe": 6, "/families/#/tilfredshed": 30,
             "/organisations/#": 1, "/agreements/#": 1}
PAGES_PER_USER = 250
# Links not followed: leaving, files, machine feeds, and pages without forms (print views,
# histories, old versions, the criteria's figures, the answers fragment).
SKIPPED_LINKS = re.compile(r"^/(logout|static/|feeds/f/|inbound/|followup/kriterier|"
                           r"trappe/kriterium|trappe/moeder|tilfredshed/)|\.(ics|csv|json|svg|png)$"
                           r"|/(export|print|ical|download|history|versions|answers|letter|remove)"
                           r"(/|$|\?)")
# Forms not sent, and why:
# - signing in: its own page shows its refusal (tests/auth), and the walk is signed in;
# - the password: a password is never sent back to the browser, so it cannot be "kept";
# - a file import: the bad value is a file, not something typed.
SKIPPED_FORMS = re.compile(r"^/(login|logout|password)$|/import$")

# Forms where ticking nothing is wrong (elsewhere an empty choice means "the usual ones").
UNTICKED = re.compile(r"/meetings/\d+/participants/\d+$")

FORMS_JS = """() => Array.from(document.querySelectorAll('form')).filter(
    f => (f.getAttribute('method') || '').toLowerCase() === 'post').map((f, index) => ({
  index, action: new URL(f.getAttribute('action') || '', location.href).pathname,
  fields: Array.from(f.elements).filter(e => e.name).map(e => ({
    name: e.name, tag: e.tagName.toLowerCase(), type: (e.type || '').toLowerCase(),
    required: e.required, disabled: e.disabled, readonly: e.readOnly, checked: !!e.checked,
    value: e.value || ''})),
}))"""


@dataclass
class Bad:
    """The bad value for one form: which field, what goes in it, how to read it back."""

    name: str
    value: str | None  # None: a checkbox left unticked
    kind: str


@dataclass
class Walk:
    """What the walk saw: pages, forms sent, forms left alone (with why), failures, and a
    page that makes the centre's tablet link."""

    pages: list[str] = field(default_factory=list)
    tablet_page: str | None = None
    sent: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


TEXT_TYPES = {"text", "search", "email", "tel", "url", "textarea"}


def bad_value(form: dict) -> Bad | None:
    """What a user could get wrong in this form, or None when nothing typed can be wrong."""
    usable = [f for f in form["fields"] if not f["disabled"] and not f["readonly"]
              and f["type"] not in ("hidden", "submit", "button", "reset", "file", "password")]
    for f in usable:
        if f["type"] in TEXT_TYPES:
            return Bad(f["name"], TOO_LONG, "text")
    for f in usable:
        if f["type"] == "number":
            return Bad(f["name"], HUGE_NUMBER, "number")
    for f in usable:
        if f["type"] in ("date", "datetime-local", "time") and f["required"]:
            return Bad(f["name"], "", "date")
    for f in usable:
        if f["type"] == "checkbox" and f["required"] and not f["checked"]:
            return Bad(f["name"], None, "confirmation")
    for f in usable:
        if f["type"] == "checkbox" and UNTICKED.search(form["action"]) and f["name"] == "parts":
            return Bad(f["name"], None, "no choice")  # a participant in none of the parts
    for f in usable:
        if f["type"] == "time" and f["value"]:  # a start without its end (hours come in pairs)
            return Bad(f["name"], "", "time")
    return None


TABLET_LINK = re.compile(r"^/families/\d+/tilfredshed/tablet$")


def kind_of(path: str) -> str:
    return re.sub(r"\d+", "#", urlsplit(path).path.rstrip("/") or "/")


def form_key(form: dict) -> str:
    """One form per action and set of fields (a meeting's times differ by kind)."""
    names = sorted({re.sub(r"\d+", "#", f["name"]) for f in form["fields"]
                    if f["type"] != "hidden"})
    return kind_of(form["action"]) + " " + ",".join(names)


async def login_without_js(page: Page, username: str) -> None:
    await page.goto("/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert not page.url.endswith("/login"), f"{username} could not sign in"


async def links_of(page: Page) -> list[str]:
    hrefs = await page.evaluate("() => Array.from(document.querySelectorAll('main a[href]'))"
                                ".map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        if not href or not href.startswith("/") or href.startswith("//"):
            continue
        path = href.split("#", 1)[0]
        if path and not SKIPPED_LINKS.search(urlsplit(path).path):
            found.append(path)
    return found


async def still_there(page: Page, form: dict) -> bool:
    """Whether the page shown holds the form at the same place (the page refused a form
    before it and was shown again with every other form as it was)."""
    return await page.evaluate("""([index, action]) => {
      const form = Array.from(document.querySelectorAll('form')).filter(
        f => (f.getAttribute('method') || '').toLowerCase() === 'post')[index];
      return !!form && new URL(form.getAttribute('action') || '', location.href).pathname === action;
    }""", [form["index"], form["action"]])


async def send_bad(page: Page, url: str, form: dict, bad: Bad, walk: Walk) -> None:
    """Put the bad value in the form (on ``url``, or on that page shown again after the
    previous refusal), send it and check the answer."""
    label = f"{form['action']} ({bad.kind} in {bad.name}) from {url}"
    if not await still_there(page, form):
        await page.goto(url)
    async with page.expect_navigation() as navigation:
        await page.evaluate("""([index, name, value]) => {
          const form = Array.from(document.querySelectorAll('form')).filter(
            f => (f.getAttribute('method') || '').toLowerCase() === 'post')[index];
          form.noValidate = true;
          const fields = Array.from(form.elements).filter(e => e.name === name && e.type !== 'hidden');
          if (value === null) fields.forEach(f => { f.checked = false; }); else fields[0].value = value;
          const button = form.querySelector('button[type=submit], button:not([type]), input[type=submit]');
          form.requestSubmit(button || undefined);
        }""", [form["index"], bad.name, bad.value])
    response = await navigation.value
    status = response.status if response else 0
    walk.sent.append(label)
    if status not in REFUSED:
        walk.failures.append(f"{label}: HTTP {status}, not refused")
        return
    check = await page.evaluate("""([action, name]) => {
      const forms = Array.from(document.querySelectorAll('form')).filter(
        f => new URL(f.getAttribute('action') || '', location.href).pathname === action);
      if (!forms.length) return {form: false};
      const form = forms.find(f => f.querySelector('[aria-invalid="true"]')) || forms[0];
      const kept = Array.from(form.elements).find(e => e.name === name && e.type !== 'hidden');
      const invalid = Array.from(form.querySelectorAll('[aria-invalid="true"]')).map(e => ({
        name: e.name, messages: (e.getAttribute('aria-describedby') || '').split(/\\s+/)
          .filter(Boolean).map(id => document.getElementById(id))
          .filter(Boolean).map(el => el.textContent.trim())}));
      const alert = document.querySelector('[role="alert"]');
      return {form: true, kept: kept ? (kept.type === 'checkbox' ? String(kept.checked) : kept.value) : null,
              invalid, alert: alert ? alert.textContent.trim() : ''};
    }""", [form["action"], bad.name])
    if not check["form"]:
        walk.failures.append(f"{label}: HTTP {status} without the form (a bare error page): "
                             f"{(await page.inner_text('main'))[:200]!r}")
        return
    expected = "false" if bad.value is None else bad.value
    if check["kept"] != expected:
        walk.failures.append(f"{label}: the typed value was not kept "
                             f"({(check['kept'] or '')[:40]!r})")
    marked = [i for i in check["invalid"] if any(m for m in i["messages"])]
    if not marked:
        walk.failures.append(f"{label}: no field is aria-invalid and described by the message "
                             f"(the message: {check['alert'][:160]!r})")


async def walk_as(page: Page, username: str, walk: Walk, seen_forms: set[str]) -> None:
    await login_without_js(page, username)
    queue = list(SEEDS[username])
    visits: dict[str, int] = {}
    visited: set[str] = set()
    pages = 0
    while queue and pages < PAGES_PER_USER:
        url = queue.pop(0)
        kind = kind_of(url)
        if url in visited or visits.get(kind, 0) >= VISITS_OF.get(kind, VISITS_PER_KIND):
            continue
        visited.add(url)
        visits[kind] = visits.get(kind, 0) + 1
        response = await page.goto(url)
        if response is None or response.status != 200 or "text/html" not in (
                response.headers.get("content-type") or ""):
            continue
        pages += 1
        walk.pages.append(url)
        queue.extend(link for link in await links_of(page) if FOLLOWS[username].search(link))
        forms = await page.evaluate(FORMS_JS)
        if walk.tablet_page is None and any(TABLET_LINK.search(f["action"]) for f in forms):
            walk.tablet_page = url
        await send_forms(page, url, forms, walk, seen_forms)


async def send_forms(page: Page, url: str, forms: list[dict], walk: Walk,
                     seen_forms: set[str]) -> None:
    """Each form of the page at ``url`` not seen before, sent with its bad value."""
    for form in forms:
        key = form_key(form)
        if key in seen_forms:
            continue
        seen_forms.add(key)
        if SKIPPED_FORMS.search(form["action"]):
            walk.left[key] = "its own page or no typed value (see SKIPPED_FORMS)"
            continue
        bad = bad_value(form)
        if bad is None:
            walk.left[key] = "nothing typed can be wrong (buttons, hidden ids, choices)"
            continue
        await send_bad(page, url, form, bad, walk)


async def send_every_form(page: Page, url: str, walk: Walk, seen_forms: set[str]) -> None:
    """Every form of one page (reached without signing in) with its bad value."""
    response = await page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    walk.pages.append(urlsplit(url).path)
    await send_forms(page, url, await page.evaluate(FORMS_JS), walk, seen_forms)


async def make_tablet_link(page: Page, tablet_page: str) -> str:
    """As mikkel: the one-time link for the centre's tablet, made on the family's
    satisfaction page (the one form of the walk that is sent to succeed)."""
    await page.goto(tablet_page)
    async with page.expect_navigation():
        await page.evaluate("""() => {
          const form = Array.from(document.querySelectorAll('form')).find(
            f => /\\/tilfredshed\\/tablet$/.test(new URL(f.action, location.href).pathname));
          form.requestSubmit();
        }""")
    return await page.locator("#tablet-url").get_attribute("href")


async def test_every_form_refused_without_javascript_is_its_page_with_the_input_kept(
        browser, demo_server):
    walk = Walk()
    seen_forms: set[str] = set()

    async def one(username: str) -> None:
        context = await browser.new_context(base_url=demo_server.url, locale="da-DK",
                                            java_script_enabled=False,
                                            timezone_id="Europe/Copenhagen")
        context.set_default_timeout(20_000)
        try:
            await walk_as(await context.new_page(), username, walk, seen_forms)
        finally:
            await context.close()

    # Two walks at a time: the users' walks are independent (each its own cookies).
    await asyncio.gather(one("sara"), one("lene"))
    await asyncio.gather(one("mikkel"), one("mads"))
    await one("admin")

    # Without an account: a partner's answer link from a delivered invitation, and the
    # centre's tablet with the link mikkel makes.
    assert walk.tablet_page, "no family page offered a tablet link (the demo has move-outs)"
    context = await browser.new_context(base_url=demo_server.url, locale="da-DK",
                                        java_script_enabled=False,
                                        timezone_id="Europe/Copenhagen")
    context.set_default_timeout(20_000)
    try:
        page = await context.new_page()
        await login_without_js(page, "mikkel")
        tablet = await make_tablet_link(page, walk.tablet_page)
        await context.clear_cookies()  # the tablet is signed in by nobody
        await send_every_form(page, tablet, walk, seen_forms)
        await send_every_form(page, await an_answer_link(demo_server.smtp), walk, seen_forms)
    finally:
        await context.close()
    reached = {re.sub(r"^/(svar|tilfredshed/tablet)/[^/]+$", r"/\1/#", kind_of(line.split(" ", 1)[0]))
               for line in walk.sent}
    assert {"/svar/#", "/tilfredshed/tablet/#", "/families/#/tilfredshed", "/families/#/stays",
            "/families/#/trappe/#/ret", "/families/#/bic/agreement",
            "/families/#/familieraadslagning/meeting", "/families/#/familieraadslagning/plan/approve",
            "/meetings/#/approvals"} <= reached, sorted(reached)
    print(f"\n{len(walk.pages)} pages, {len(walk.sent)} forms sent, {len(walk.left)} left alone")
    for url in walk.pages:
        print("  page:", url)
    for line in walk.sent:
        print("  sent:", line)
    for key, why in walk.left.items():
        print("  left:", key, "–", why)
    assert len(walk.sent) >= 40, walk.sent  # the walk reached the forms, not just a few
    assert walk.failures == [], "\n".join(walk.failures)
