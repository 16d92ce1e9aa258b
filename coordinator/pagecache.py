"""Rendered pages kept in memory, keyed by everything they show.

A page is cached under a key the caller builds from every input of the rendering: the
user (a page is only ever served to the user it was rendered for), the content stamps the
database keeps (``families/revisions.py``) and the minute or the day (what depends on
"now"; the family page notes the moments its content changes by the time alone,
``clock.changes_at``). The access check and the audit record still happen on every
request, before the cache is asked; the cache only saves the reading and rendering of
content that has not changed.

The CSRF token differs per browser, so pages are rendered with a placeholder that is
replaced by the request's own token when served.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, TypeVar

from litestar import Request
from litestar.utils.scope.state import ScopeState

from coordinator import clock, web
from coordinator.cache import KEPT_UNDER_STAMPS_AT_MOST, BoundedCache

# Never in content: random per process, and not something a user could type into a form.
_TOKEN_PLACEHOLDER = "csrf-" + secrets.token_hex(16)
_PLACEHOLDER_BYTES = _TOKEN_PLACEHOLDER.encode()


class PageCache(BoundedCache[Hashable, Any]):
    """Rendered pages (encoded HTML), bounded by entries and by bytes.

    The bytes decide: 48 MB holds about 500 family pages or 700 meeting pages per process,
    the pages a municipality's socialrådgivere keep opening. (A bound of 256 entries
    held fewer pages than one municipality's 20 socialrådgivere have families, so the
    pages of a day's round were pushed out before they were opened again.)

    ``weigh`` gives an entry's size against ``max_bytes`` (the length of a page; another
    measure for cached values that are not bytes, such as rows)."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 48 * 1024 * 1024,
                 weigh: Callable[[Any], int] = len, name: str = "pages") -> None:
        super().__init__(name, max_entries, max_size=max_bytes, size=weigh)
        self.max_bytes = max_bytes


# What ``kept_for_the_day`` keeps: a page, or a page with what its request must do again
# on every view (the start page's due follow-ups, audited each time).
Kept = TypeVar("Kept")


# How long a page whose content stamps have not changed is kept at most
# (``cache.KEPT_UNDER_STAMPS_AT_MOST``).
KEPT_AT_MOST = KEPT_UNDER_STAMPS_AT_MOST


async def kept_for_the_day(cache: PageCache, key: Hashable | None,
                           render: Callable[[], Awaitable[Kept]]) -> Kept:
    """The page under ``key`` (which holds the day among everything the page shows), or
    rendered by ``render`` and kept until the earliest moment its content changes by the
    time alone (``clock.changes_at``, noted while it renders), at most ``KEPT_AT_MOST``.
    ``cache`` holds (page, kept until) pairs. A part of a page kept this way notes its own
    moment while the page around it renders, kept or not, so the page is kept no longer.
    Without a key (stamps that may not key anything) the page is rendered and not kept."""
    if key is None:
        return await render()
    kept = cache.get(key, fresh=lambda kept: clock.now() < kept[1])
    if kept is not None:
        clock.changes_at(kept[1])
        page: Kept = kept[0]
        return page
    with clock.noting_changes() as changes:
        page = await render()
    cache.put(key, (page, min([*changes, clock.now() + KEPT_AT_MOST])))
    return page


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
            csrf_input=web.form_inputs(request, _TOKEN_PLACEHOLDER))
    finally:
        state.csrf_token = real_token
    return page.encode()


def serve(request: Request, page: bytes) -> bytes:
    """The cached page with this request's CSRF token (escaped as the template would)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    token = token if isinstance(token, str) else ""
    return page.replace(_PLACEHOLDER_BYTES, html.escape(token).encode())
