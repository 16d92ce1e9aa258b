"""Every alert in the templates has a style: a class no rule of ``static/app.css`` defines
renders an error as plain text, and the refusal is easy to miss."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALERT_CLASS = re.compile(r'class="[^"]*\balert (alert-[a-z-]+)')


def test_every_alert_class_in_the_templates_has_a_style():
    css = (ROOT / "static" / "app.css").read_text()
    used = {name: path.relative_to(ROOT) for path in (ROOT / "templates").rglob("*.html")
            for name in ALERT_CLASS.findall(path.read_text())}
    assert used, "no alerts found: the pattern no longer matches the templates"
    missing = {name: str(path) for name, path in used.items() if f".{name}" not in css}
    assert missing == {}, missing
