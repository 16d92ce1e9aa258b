"""The template environment's fast paths print exactly what Jinja's own code prints."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from jinja2 import Environment, pass_context, pass_environment
from markupsafe import Markup, escape

from coordinator.app import _environment, _TemplateContext, escape_output

TRICKY = ["", "plain", "<script>alert('x')</script>", 'a "quoted" & <b>', "Søndre Allé 7",
          "&amp; already", "\u00a0non-breaking\u2028line", "'", '"']


@pytest.mark.parametrize("value", TRICKY + [0, -12, 2**70, True, None, 1.5, Markup("<b>ok</b>")])
def test_escape_output_writes_what_escape_writes(value: object) -> None:
    assert str(escape_output(value)) == str(escape(value))


class _Html:
    def __html__(self) -> str:
        return "<i>own markup</i>"


@dataclass
class _Row:
    name: str
    count: int


SOURCE = """\
<p title="{{ title }}">{{ text }}</p>{{ number }}{{ flag }}{{ nothing }}{{ ratio }}
{{ trusted }}{{ own }}{{ missing }}{{ row.name }}{{ row.count }}{{ d.name }}{{ d.items is callable }}
{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}{{ cell(text) }}{{ cell(trusted) }}
{% set block %}<em>{{ text }}</em>{% endset %}{{ block }}{{ block | length }}
{% filter upper %}{{ text }}{% endfilter %}
{% autoescape false %}{{ text }}{% endautoescape %}{% autoescape flag %}{{ text }}{% endautoescape %}
{% for x in items %}{{ x }}{{ loop.index }}{% endfor %}{{ text | e }}{{ text | safe }}
{% macro wrap() %}<div>{{ caller() }}{{ text }}</div>{% endmacro %}{% call wrap() %}{{ text }}{% endcall %}
{% for node in tree recursive %}<li>{{ node.name }}{{ loop(node.kids) }}</li>{% endfor %}
{{ text ~ number ~ trusted }}{{ "%s" | format(text) }}{{ [text, trusted] | join(", ") }}
"""


def _context(text: str) -> dict[str, object]:
    return {"title": text, "text": text, "number": 42, "flag": True, "nothing": None,
            "ratio": 0.25, "trusted": Markup("<b>bold</b>"), "own": _Html(),
            "row": _Row(text, 3), "d": {"name": text, "items": "a key"}, "items": [text, 7, Markup("<u>")],
            "tree": [{"name": text, "kids": [{"name": Markup("<i>"), "kids": []}]}]}


@pytest.mark.parametrize("text", TRICKY)
def test_pages_render_as_with_jinjas_own_code(text: str) -> None:
    ours = _environment().from_string(SOURCE)
    jinja = Environment(autoescape=True).from_string(SOURCE)
    assert ours.render(_context(text)) == jinja.render(_context(text))


CALLS = """\
{% for x in items %}{{ d.get("name") }}{{ counts.get(x, "-") }}{{ loop.cycle("a", "b") }}{% endfor %}
{{ d.items() | list | length }}{{ with_context() }}{{ with_environment() }}[{{ nxt(empty) }}]
{% set s %}{{ d.get("name") }}{% endset %}{{ s }}{% macro m() %}{{ d.get("name") }}{% endmacro %}{{ m() }}
{% block b %}{% for x in items %}{{ counts.get(x, "-") }}{% endfor %}{% endblock %}
"""


@pytest.mark.parametrize("text", TRICKY)
def test_calls_answer_as_with_jinjas_own_context(text: str) -> None:
    """Built-in methods take a short way in (``_TemplateContext``): in a loop, a block, a
    macro and a ``{% set %}``; a callable that asks for the context or the environment
    still gets it; a ``StopIteration`` is undefined."""
    def values() -> dict[str, object]:
        return {**_context(text), "counts": {7: text}, "nxt": next, "empty": iter(()),
                "with_context": pass_context(lambda context: context["number"]),
                "with_environment": pass_environment(lambda environment: environment.autoescape)}

    ours = _environment().from_string(CALLS)
    jinja = Environment(autoescape=True).from_string(CALLS)
    assert ours.render(values()) == jinja.render(values())
    assert "42True[]" in ours.render(values())
    assert isinstance(ours.new_context(), _TemplateContext)  # the short way is the one taken


def test_printed_values_go_through_the_fast_path() -> None:
    """If a Jinja upgrade stops calling the hook, the templates still work but slowly:
    this says so."""
    code = _environment().compile("{{ x }}{% autoescape flag %}{{ y }}{% endautoescape %}",
                                  raw=True)
    assert "environment.escape_output(" in code
    assert "(escape if context.eval_ctx.autoescape else str)(" in code  # decided at render time


def test_a_missing_attribute_is_undefined_as_in_jinja() -> None:
    env = _environment()
    assert env.from_string("[{{ row.nope }}][{{ d.nope }}][{{ n.real }}]").render(
        row=_Row("a", 1), d={}, n=5) == "[][][5]"
