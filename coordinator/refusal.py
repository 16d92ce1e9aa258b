"""A refused form shown again without JavaScript: the page it was sent from, the form as it
was sent, the message above the form and at the field.

With JavaScript a refused form keeps what was typed by itself (``static/app.js`` swaps the
message in above it and marks the field). A browser without JavaScript gets a whole page
back; ``refill`` makes that page the form's own page, read afresh, with every value the
user sent put back into the form, the field the message is about ``aria-invalid`` and
described by the message, and focus on it. What the page shows otherwise is untouched: it
was rendered for this user by the same access checks as any view of it.

Plain text in, plain text out (the standard library's HTML tokenizer); no HTTP, no database.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

# The ids of what ``refill`` adds to the page (an id no template uses).
ALERT_ID = "refusal"
FIELD_MESSAGE_ID = "refusal-field-message"

_TEXT_LIKE_SKIPPED = frozenset({"hidden", "password", "file", "submit", "button", "reset", "image"})
_CHECKED_TYPES = frozenset({"checkbox", "radio"})


@dataclass(frozen=True)
class Refusal:
    """What was refused: the path the form was sent to, what it sent (every value per field
    name, in order), the Danish message and the field it is about (or None)."""

    action: str
    values: Mapping[str, Sequence[str]]
    message: str
    field: str | None = None
    title: str = "Det indtastede kunne ikke gemmes"
    page: str = ""  # the page read again: a form without an action posts to it


@dataclass
class _Element:
    """A start tag in the page: where it is and its attributes (values unescaped)."""

    tag: str
    start: int
    end: int
    attrs: list[tuple[str, str | None]]

    def get(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return "" if value is None else value
        return None

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.attrs)


@dataclass
class _Control:
    """A form control: its start tag, where the element ends, the elements around it that
    the message may go after, and (textarea) its content or (select) its options."""

    element: _Element
    after: int = -1
    content: tuple[int, int] | None = None
    options: list[tuple[_Element, str]] = field(default_factory=list)
    label_end: int | None = None
    fieldset: _Element | None = None
    fieldset_close: int | None = None

    @property
    def name(self) -> str:
        return self.element.get("name") or ""

    @property
    def kind(self) -> str:
        if self.element.tag != "input":
            return self.element.tag
        return (self.element.get("type") or "text").lower()


@dataclass
class _Form:
    element: _Element
    details: list[_Element]
    controls: list[_Control] = field(default_factory=list)

    @property
    def action(self) -> str:
        return _path(self.element.get("action") or "")


class _Text:
    """The text inside one element (nested elements of the same name counted)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.depth = 0
        self.parts: list[str] = []
        self.done = False

    def start(self, tag: str) -> None:
        if tag == self.tag:
            self.depth += 1

    def end(self, tag: str) -> None:
        if tag == self.tag:
            self.depth -= 1
            self.done = self.depth < 0

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


@dataclass
class _Alert:
    """A page's own refusal (``class="alert …" data-field="…"``): the field it names, its
    text (or its ``refusal-message`` part), the form it is in and the forms before it."""

    element: _Element
    field: str
    inside: _Form | None
    forms_before: int
    whole: _Text
    message: _Text | None = None

    @property
    def text(self) -> str:
        return (self.message.text if self.message else "") or self.whole.text


class _Scanner(HTMLParser):
    """Collects the forms with their controls, the ``<details>`` around each form and every
    element with ``autofocus``; offsets are positions in the page text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self._page = page
        self._line_starts = [0]
        for index, char in enumerate(page):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.forms: list[_Form] = []
        self.alerts: list[_Alert] = []
        self.autofocused: list[_Element] = []
        self._details: list[_Element] = []
        self._form: _Form | None = None
        self._labels: list[list[_Control]] = []
        self._fieldsets: list[tuple[_Element, list[_Control]]] = []
        self._textarea: _Control | None = None
        self._select: _Control | None = None
        self._option: tuple[_Element, list[str]] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _close_end(self, start: int) -> int:
        end = self._page.find(">", start)
        return len(self._page) if end < 0 else end + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("label", "fieldset", "details", "form", "textarea", "select", "option"):
            self.handle_endtag(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        text = self.get_starttag_text() or ""
        element = _Element(tag, start, start + len(text), attrs)
        if element.has("autofocus"):
            self.autofocused.append(element)
        self._track_alert(element)
        if tag == "details":
            self._details.append(element)
        elif tag == "form":
            self._form = _Form(element, list(self._details))
            self.forms.append(self._form)
        elif tag == "label":
            self._labels.append([])
        elif tag == "fieldset":
            self._fieldsets.append((element, []))
        elif tag in ("input", "textarea", "select") and self._form is not None:
            self._add(_Control(element, after=element.end))
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = (element, [])

    def _track_alert(self, element: _Element) -> None:
        open_alert = self.alerts[-1] if self.alerts and not self.alerts[-1].whole.done else None
        if open_alert is not None:
            open_alert.whole.start(element.tag)
            if open_alert.message is not None and not open_alert.message.done:
                open_alert.message.start(element.tag)
            elif open_alert.message is None and "refusal-message" in (element.get("class") or ""):
                open_alert.message = _Text(element.tag)
            return
        classes = (element.get("class") or "").split()
        if "alert" in classes and element.get("data-field") and not element.has("data-marked"):
            self.alerts.append(_Alert(element, element.get("data-field") or "", self._form,
                                      len(self.forms), _Text(element.tag)))

    def _add(self, control: _Control) -> None:
        assert self._form is not None
        self._form.controls.append(control)
        for members in self._labels:
            members.append(control)
        if self._fieldsets:
            control.fieldset = self._fieldsets[-1][0]
            self._fieldsets[-1][1].append(control)
        if control.element.tag == "textarea":
            self._textarea = control
        elif control.element.tag == "select":
            self._select = control

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1].append(data)
        if self.alerts and not self.alerts[-1].whole.done:
            alert = self.alerts[-1]
            alert.whole.parts.append(data)
            if alert.message is not None and not alert.message.done:
                alert.message.parts.append(data)

    def _close_option(self) -> None:
        if self._option is not None and self._select is not None:
            element, text = self._option
            self._select.options.append((element, "".join(text)))
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        if self.alerts and not self.alerts[-1].whole.done:
            alert = self.alerts[-1]
            if alert.message is not None and not alert.message.done:
                alert.message.end(tag)
            alert.whole.end(tag)
        if tag == "details" and self._details:
            self._details.pop()
        elif tag == "form":
            self._form = None
        elif tag == "label" and self._labels:
            for control in self._labels.pop():
                if control.label_end is None:
                    control.label_end = self._close_end(start)
        elif tag == "fieldset" and self._fieldsets:
            _, members = self._fieldsets.pop()
            for control in members:
                control.fieldset_close = start
        elif tag == "textarea" and self._textarea is not None:
            control = self._textarea
            control.content = (control.element.end, start)
            control.after = self._close_end(start)
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            self._select.after = self._close_end(start)
            self._select = None


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/") or "/"


def _tag(element: _Element, attrs: list[tuple[str, str | None]]) -> str:
    parts = [element.tag]
    for key, value in attrs:
        parts.append(key if value is None else f'{key}="{html.escape(value, quote=True)}"')
    return "<" + " ".join(parts) + ">"


def _set(attrs: list[tuple[str, str | None]], name: str, value: str | None) -> None:
    for index, (key, _) in enumerate(attrs):
        if key == name:
            attrs[index] = (name, value)
            return
    attrs.append((name, value))


def _drop(attrs: list[tuple[str, str | None]], name: str) -> None:
    attrs[:] = [(key, value) for key, value in attrs if key != name]


def _score(form: _Form, refusal: Refusal) -> int:
    """How well a form matches what was sent: its hidden values (ids, versions) equal to
    the sent ones, the refused field among its controls, and each field typed into (sent
    with a value) that it has: of two forms posting to one address (a person added by name,
    a colleague chosen from a list), the one the user typed into."""
    typed = {name for name, values in refusal.values.items() if any(v.strip() for v in values)}
    score = len({control.name for control in form.controls if control.kind != "hidden"} & typed)
    for control in form.controls:
        sent = refusal.values.get(control.name)
        if control.kind == "hidden" and sent and control.element.get("value") in sent:
            score += 2
        if refusal.field and control.name == refusal.field and control.kind != "hidden":
            score += 1
    return score


def _target(forms: list[_Form], refusal: Refusal) -> _Form | None:
    action = _path(refusal.action)
    own = _path(refusal.page) if refusal.page else None
    candidates = [form for form in forms
                  if (form.action if form.element.get("action") else own) == action]
    if not candidates:
        return None
    return max(candidates, key=lambda form: _score(form, refusal))


class _Edits:
    """Replacements and insertions at positions of the page, applied from the end."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, str]] = []

    def replace(self, start: int, end: int, text: str) -> None:
        self._items.append((start, end, len(self._items), text))

    def insert(self, at: int, text: str) -> None:
        self.replace(at, at, text)

    def apply(self, page: str) -> str:
        # In page order; at one position the insertions (in the order made) come first.
        pieces, cursor = [], 0
        for start, end, _, text in sorted(self._items, key=lambda e: (e[0], e[0] != e[1], e[2])):
            pieces += [page[cursor:start], text]
            cursor = max(cursor, end)
        pieces.append(page[cursor:])
        return "".join(pieces)


def _refill_control(control: _Control, sent: Sequence[str], taken: int,
                    attrs: list[tuple[str, str | None]], edits: _Edits) -> int:
    """Put what was sent back into one control; returns how many sent values it took."""
    kind = control.kind
    if kind in _CHECKED_TYPES:
        own = control.element.get("value")
        if (own if own is not None else "on") in sent:
            _set(attrs, "checked", None)
        else:
            _drop(attrs, "checked")
        return 0
    if kind == "select":
        multiple = control.element.has("multiple")
        chosen = set(sent) if multiple else set(sent[taken:taken + 1])
        for option, text in control.options:
            own = option.get("value")
            option_attrs = list(option.attrs)
            if (own if own is not None else text.strip()) in chosen:
                _set(option_attrs, "selected", None)
            else:
                _drop(option_attrs, "selected")
            edits.replace(option.start, option.end, _tag(option, option_attrs))
        return len(sent) if multiple else 1
    if taken >= len(sent):
        return 0
    value = sent[taken]
    if kind == "textarea" and control.content is not None:
        # A newline right after <textarea> is not part of the value: keep a leading one.
        text = ("\n" if value.startswith("\n") else "") + html.escape(value, quote=False)
        edits.replace(control.content[0], control.content[1], text)
    else:
        _set(attrs, "value", value)
    return 1


def _note_position(control: _Control) -> int:
    """Where the message at a field goes: after its group of choices, after the label it is
    inside, or right after the control."""
    if control.kind in _CHECKED_TYPES and control.fieldset_close is not None:
        return control.fieldset_close
    if control.label_end is not None:
        return control.label_end
    return control.after


def _scan(page: str) -> _Scanner:
    scanner = _Scanner(page)
    scanner.feed(page)
    scanner.close()
    return scanner


def _controls_named(form: _Form, name: str | None) -> list[_Control]:
    return [c for c in form.controls if name and c.name == name and c.kind != "hidden"]


class _Changes:
    """Start tags to write again with changed attributes, and the text edits."""

    def __init__(self, scanner: _Scanner) -> None:
        self.edits = _Edits()
        self.attrs: dict[int, list[tuple[str, str | None]]] = {}
        self.elements: dict[int, _Element] = {}
        for element in scanner.autofocused:  # focus goes to the refusal, nowhere else
            self.of(element)[:] = [(k, v) for k, v in element.attrs if k != "autofocus"]

    def of(self, element: _Element) -> list[tuple[str, str | None]]:
        self.elements[element.start] = element
        return self.attrs.setdefault(element.start, list(element.attrs))

    def apply(self, page: str) -> str:
        for start, attrs in self.attrs.items():
            element = self.elements[start]
            self.edits.replace(element.start, element.end, _tag(element, attrs))
        return self.edits.apply(page)


def _mark(form: _Form, invalid: list[_Control], message: str, changes: _Changes) -> None:
    """The message at the field: the controls ``aria-invalid`` and described by it, the
    first focused, the message after it, the ``<details>`` around the form open."""
    for index, control in enumerate(invalid):
        attrs = changes.of(control.element)
        described = " ".join(filter(None, [control.element.get("aria-describedby"),
                                           FIELD_MESSAGE_ID]))
        _set(attrs, "aria-invalid", "true")
        _set(attrs, "aria-describedby", described)
        if index == 0:
            _set(attrs, "autofocus", None)
    if invalid:
        changes.edits.insert(_note_position(invalid[0]), f'<p class="field-error" '
                             f'id="{FIELD_MESSAGE_ID}">{html.escape(message)}</p>')
    for details in form.details:
        _set(changes.of(details), "open", None)


def refill(page: str, refusal: Refusal) -> str | None:
    """``page`` with the refused form as it was sent and the message at it; None when the
    page holds no form sent to ``refusal.action`` (the caller shows the message alone)."""
    scanner = _scan(page)
    form = _target(scanner.forms, refusal)
    if form is None:
        return None
    changes = _Changes(scanner)
    taken: dict[str, int] = {}
    for control in form.controls:
        if not control.name or control.kind in _TEXT_LIKE_SKIPPED or control.element.has("disabled"):
            continue
        sent = refusal.values.get(control.name, ())
        if control.kind not in _CHECKED_TYPES and control.name not in refusal.values:
            continue
        count = _refill_control(control, sent, taken.get(control.name, 0),
                                changes.of(control.element), changes.edits)
        taken[control.name] = taken.get(control.name, 0) + count
    invalid = _controls_named(form, refusal.field)
    _mark(form, invalid, refusal.message, changes)
    focus = "" if invalid else " autofocus"
    changes.edits.insert(form.element.start, (
        f'<div class="alert alert-error form-refusal" role="alert" id="{ALERT_ID}" '
        f'tabindex="-1"{focus}><strong>{html.escape(refusal.title)}.</strong> '
        f'<span class="refusal-message">{html.escape(refusal.message)}</span></div>\n'))
    return changes.apply(page)


def mark(page: str) -> str | None:
    """A page that shows its own refusal (an alert with ``data-field``, the form already
    holding what was typed) with that message also at the field, as ``static/app.js``
    does when scripts run; None when the page names no field it has."""
    scanner = _scan(page)
    for alert in scanner.alerts:
        later = scanner.forms[alert.forms_before:]
        candidates = [alert.inside] if alert.inside else []
        candidates += [f for f in later if f is not alert.inside] + scanner.forms
        form = next((f for f in candidates if f and _controls_named(f, alert.field)), None)
        if form is None:
            continue
        changes = _Changes(scanner)
        _mark(form, _controls_named(form, alert.field), alert.text, changes)
        _set(changes.of(alert.element), "data-marked", None)
        return changes.apply(page)
    return None
