"""Helpers for the browser journeys: log in, visit, check accessibility, take screenshots.

Every helper takes a Playwright async ``Page`` made by the ``page`` / ``open_page`` fixtures
(tests/browser/conftest.py): its context has ``base_url`` set to the demo server, so paths
like ``"/login"`` work, and axe-core is already loaded into every document.

A journey step is: act as the user would, assert on what the user sees, ``await
axe_check(page)`` on every page reached, ``await shot(page, "step-name")``.
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path

from playwright.async_api import Page, Response, expect

from coordinator.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_SOURCE_PATH = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Problems the browser itself reported per page (CSP refusals, uncaught script errors);
# filled by ``watch_problems`` and asserted empty by ``axe_check``.
_problems: "weakref.WeakKeyDictionary[Page, list[str]]" = weakref.WeakKeyDictionary()


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
    problems = _problems.get(page, [])
    assert not problems, f"browser problems on {page.url}:\n" + "\n".join(problems)
    results = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(page.url, blocking)


async def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png (not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


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
