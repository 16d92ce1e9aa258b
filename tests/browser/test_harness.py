"""The harness itself: axe-core really runs and really reports, CSP refusals are caught."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE_VERSION
from tests.browser.helpers import axe_check, shot

BROKEN_PAGE = """<!doctype html><html lang="da"><head><title>Fejlside</title></head>
<body><main><h1>Fejlside</h1><img src="/static/none.png">
<button></button></main></body></html>"""


async def test_vendored_axe_is_loaded_in_every_page(page):
    await page.goto("/login")
    assert await page.evaluate("() => axe.version") == AXE_VERSION


async def test_axe_check_reports_serious_violations_with_rule_impact_and_target(page):
    await page.goto("/login")
    await page.set_content(BROKEN_PAGE)
    with pytest.raises(AssertionError) as failure:
        await axe_check(page)
    report = str(failure.value)
    assert "image-alt (critical)" in report
    assert "button-name (critical)" in report
    assert "img" in report and "button" in report


async def test_axe_check_reports_what_the_csp_blocked(page):
    await page.goto("/login")
    await page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true';
        document.body.append(s);
    }""")
    assert await page.evaluate("() => window.inlineRan") is None
    with pytest.raises(AssertionError, match="Content Security Policy"):
        await axe_check(page)


async def test_shot_writes_a_png(page):
    await page.goto("/login")
    path = await shot(page, "harness-login")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
