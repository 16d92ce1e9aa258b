"""A form that creates something is saved once, however often it is sent.

A double click on »Opret« without JavaScript, or a queued second submit with it, sends the
same form twice; each would create a family, a meeting or a person of its own. The first
sending claims the form (a digest of who sent what to where, ``form_sent``); one sent again
by the same user within a minute, with the same fields, is answered with where the first
went (303) – after waiting for it when it is still being saved – and creates nothing. A
refused sending (its form shown again with the message) gives the claim back, so the form
mended or not may be sent again. Different fields are a different form: two tabs adding
two people both add theirs.

What is kept: the user's id, the digest and the first answer's address; no field's value.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from litestar import Request, Response
from litestar.response import Redirect

from coordinator import clock, db, web
from coordinator.auth.tables import FormSent

# How long a sending counts as the same form sent again, and how long a repeat waits for
# the first to be saved before it is answered as its own sending.
KEPT = timedelta(minutes=1)
WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05
# Fields that say nothing of what is created: the CSRF token of the page.
_IGNORED = frozenset({"_csrf_token"})


async def _digest(request: Request, user_id: int) -> str:
    sent = await request.form()
    fields = sorted((key, str(value)) for key, value in sent.multi_items()
                    if key not in _IGNORED)
    text = "\0".join([str(user_id), request.url.path, *(f"{k}={v}" for k, v in fields)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


async def _claim(user_id: int, digest: str) -> str | None:
    """None when this sending claimed the form; else where the first went ("" while it is
    still being saved)."""
    now = clock.now()
    async with db.transaction():
        await FormSent.delete().where(FormSent.at < now - KEPT)
        claimed = await FormSent.insert(FormSent(user=user_id, digest=digest, at=now)) \
            .on_conflict(action="DO NOTHING").returning(FormSent.id)
    if claimed:
        return None
    row = await FormSent.select(FormSent.location).where(FormSent.digest == digest).first()
    return row["location"] if row else None


async def _release(digest: str) -> None:
    async with db.transaction():
        await FormSent.delete().where(FormSent.digest == digest)


async def _settle(digest: str, location: str) -> None:
    async with db.transaction():
        await FormSent.update({FormSent.location: location}).where(FormSent.digest == digest)


async def once(request: Request, act: Callable[[], Awaitable[Response]]) -> Response:
    """``act`` (the route's saving, answering 303 to what it created) run once for the
    same form sent again and again; a repeat is answered 303 to where the first went."""
    user = request.scope.get("user")
    if user is None:
        return await act()
    digest = await _digest(request, user.id)
    waited = 0.0
    while True:
        first = await _claim(user.id, digest)
        if first is None:
            break
        if first:
            return web.see_other(request, first)
        if waited >= WAIT_SECONDS:  # the first never finished: this one is saved instead
            await _release(digest)
            continue
        await asyncio.sleep(_POLL_SECONDS)
        waited += _POLL_SECONDS
    try:
        response = await act()
    except BaseException:
        await _release(digest)
        raise
    # where it went: a redirect's address, or htmx's (``web.see_other``)
    location = (getattr(response, "url", None) if isinstance(response, Redirect) else None) \
        or response.headers.get("hx-redirect", "")
    if location:
        await _settle(digest, str(location))
    else:
        await _release(digest)
    return response
