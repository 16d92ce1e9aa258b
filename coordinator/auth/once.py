"""A form that creates something is saved once, however often it is sent.

A double click on »Opret« without JavaScript, or a queued second submit with it, sends the
same form twice; each would create a family, a meeting or a person of its own. The first
sending claims the form (a digest of who sent what to where, ``form_sent``); one sent again
by the same user within a minute, with the same fields, is answered with where the first
went (303) – after waiting for it when it is still being saved, or told it is still
being saved (409) when it takes longer than seconds – and creates nothing. A
refused sending (its form shown again with the message) gives the claim back, so the form
mended or not may be sent again. Different fields are a different form: two tabs adding
two people both add theirs.

What is kept: the user's id, a keyed digest and the first answer's address; no field's
value.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
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
    """A keyed digest (HMAC with the server's secret) of who sent which fields where: the
    table holds nothing from which a field's value could be guessed back."""
    await web.form_of(request)  # a body that cannot be read is refused as every form's is
    sent = await request.form()  # read once: the same form, every value of each field
    fields = sorted((key, str(value)) for key, value in sent.multi_items()
                    if key not in _IGNORED)
    text = "\0".join([str(user_id), request.url.path, *(f"{k}={v}" for k, v in fields)])
    key = web.settings_of(request).secret_key.encode()
    return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


async def _claim(user_id: int, digest: str) -> bool:
    """Whether this sending claimed the form (no other sending of it within ``KEPT``)."""
    now = clock.now()
    async with db.transaction():
        await FormSent.delete().where(FormSent.at < now - KEPT)
        claimed = await FormSent.insert(FormSent(user=user_id, digest=digest, at=now)) \
            .on_conflict(action="DO NOTHING").returning(FormSent.id)
    return bool(claimed)


async def _first(digest: str) -> str | None:
    """Where the first sending went ("" while it is being saved); None when it is gone (it
    was refused, or is older than ``KEPT``)."""
    row = await FormSent.select(FormSent.location).where(FormSent.digest == digest).first()
    return row["location"] if row else None


async def _release(digest: str) -> None:
    async with db.transaction():
        await FormSent.delete().where(FormSent.digest == digest)


async def _settle(digest: str, location: str) -> None:
    async with db.transaction():
        await FormSent.update({FormSent.location: location}).where(FormSent.digest == digest)


# What a repeat is told when the first sending is still being saved after ``WAIT_SECONDS``.
STILL_SAVING = ("Formularen blev sendt to gange, og den første gemmes stadig. Se efter, om "
                "det er oprettet, før du sender formularen igen.")


async def once(request: Request, act: Callable[[], Awaitable[Response]]) -> Response:
    """``act`` (the route's saving, answering 303 to what it created) run once for the
    same form sent again and again; a repeat is answered 303 to where the first went."""
    user = request.scope.get("user")
    if user is None:
        return await act()
    digest = await _digest(request, user.id)
    waited = 0.0
    while not await _claim(user.id, digest):
        # another sending of the form holds it: wait for it by reading, not writing
        while (first := await _first(digest)) == "" and waited < WAIT_SECONDS:
            await asyncio.sleep(_POLL_SECONDS)
            waited += _POLL_SECONDS
        if first:
            return web.see_other(request, first)
        if first == "":  # still being saved: not taken over, which would save it twice
            return web.error_response(request, 409, STILL_SAVING)
        # None: the first was refused (or is old): this sending claims the form anew
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
