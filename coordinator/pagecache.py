"""Rendered pages kept in memory, keyed by everything they show.

A page is cached under a key the caller builds from every input of the rendering: the
user (a page is only ever served to the user it was rendered for), the content stamps the
database keeps (``families/revisions.py``) and the minute (what depends on "now"). The
access check and the audit record still happen on every request, before the cache is
asked; the cache only saves the reading and rendering of content that has not changed.

The CSRF token differs per browser, so pages are rendered with a placeholder that is
replaced by the request's own token when served.
"""

from __future__ import annotations

import html
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from litestar import Request
from litestar.utils.scope.state import ScopeState

from coordinator import clock

# Never in content: random per process, and not something a user could type into a form.
_TOKEN_PLACEHOLDER = "csrf-" + secrets.token_hex(16)
_PLACEHOLDER_BYTES = _TOKEN_PLACEHOLDER.encode()


class PageCache:
    """A bounded least-recently-used map from key to rendered HTML (entries and bytes).

    ``weigh`` gives an entry's size against ``max_bytes`` (the length of a page; another
    measure for cached values that are not bytes, such as rows)."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 64 * 1024 * 1024,
                 weigh: Callable[[Any], int] = len) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.weigh = weigh
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any:
        page = self._entries.get(key)
        if page is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return page

    def put(self, key: Hashable, page: Any) -> None:
        size = self.weigh(page)
        if size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= self.weigh(old)
        self._entries[key] = page
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= self.weigh(evicted)

    def clear(self) -> None:
        """Forget every page (and the counters)."""
        self._entries.clear()
        self._bytes = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


def minute() -> int:
    """The current minute: part of a key when the page shows anything relative to now."""
    return clock.minute()


def render_for_cache(request: Request, template: str, context: Mapping[str, Any]) -> bytes:
    """Render ``template`` like a Template response would, with the CSRF placeholder,
    encoded once (a hit then costs a bytes replace, not an encoding of the page)."""
    state = ScopeState.from_scope(request.scope)
    real_token = state.csrf_token
    engine = request.app.template_engine
    if engine is None:  # create_app always configures templates
        raise RuntimeError("The app has no template engine")
    state.csrf_token = _TOKEN_PLACEHOLDER
    try:
        page = engine.get_template(template).render(
            **context, request=request,
            csrf_input=f'<input type="hidden" name="_csrf_token" value="{_TOKEN_PLACEHOLDER}" />')
    finally:
        state.csrf_token = real_token
    return page.encode()


def serve(request: Request, page: bytes) -> bytes:
    """The cached page with this request's CSRF token (escaped as the template would)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    token = token if isinstance(token, str) else ""
    return page.replace(_PLACEHOLDER_BYTES, html.escape(token).encode())
