"""How many requests a server process works on at once; the others wait their turn.

A process runs one request at a time on its event loop, and every ``await`` (a statement,
the audit record's commit) lets another request take a step. With every request admitted
at once, 16 requests in progress per process (a day's load on 32 connections over two
processes) each moved a step at a time among fifteen others: a page that needs 4 ms took
the time of sixteen, a change that builds twelve invitations ten times that, and more
objects were alive at once for the collector to walk. With at most ``REQUESTS_AT_ONCE``
in progress and the rest waiting in arrival order, each request is worked on soon after
its turn comes (bench/results/NOTES.md: the mixed load's p95 and its throughput).

A few at once, not one: while a request waits for its database (PostgreSQL's round trip,
the audit record's commit) another uses the processor.

A request gives its place back while it waits for something outside the process — the
client's request body, a calendar feed being built in a thread, another server, a name
lookup — and takes one again at the front of the queue (it arrived before the ones
waiting). It gives its place back for good when its answer starts. So a slow client or a
slow server never holds a place. A request the app makes to itself inside a request (a
refused form's page, read again to show the form with its input) runs on the outer
request's place: asking for a second one could wait for ever when every place is held by
such a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from coordinator import db


class Admission:
    """At most ``limit`` holders at once; waiters are let in first come, first served (a
    returning holder ahead of the newcomers). A place is handed from the leaver straight
    to the next waiter, so no newcomer overtakes the queue."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.free = limit
        self._waiting: deque[asyncio.Future[None]] = deque()
        # Told when a place becomes free, no one waiting for it (``watch``): one who waits
        # for every request in progress to reach a point learns that one fewer is.
        self._watchers: list[Callable[[], None]] = []

    @property
    def in_progress(self) -> int:
        """How many requests hold a place now."""
        return self.limit - self.free

    @contextlib.contextmanager
    def watch(self, changed: Callable[[], None]) -> Iterator[None]:
        """Inside the block ``changed`` is called whenever a place becomes free (given back
        with no one waiting for it: at the end of a request, or while it waits outside)."""
        self._watchers.append(changed)
        try:
            yield
        finally:
            self._watchers.remove(changed)

    @property
    def waiting(self) -> int:
        """How many requests wait for a place (a wait cancelled since may still count)."""
        return len(self._waiting)

    async def enter(self, *, front: bool = False) -> None:
        """Take a place, waiting for one if all are taken (at the front with ``front``)."""
        if self.free > 0:  # then nobody waits: a leaver hands its place to a waiter
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        if front:
            self._waiting.appendleft(waiter)
        else:
            self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.leave()  # handed a place just as the wait was cancelled: pass it on
            raise

    def leave(self) -> None:
        """Give a place back: to the first live waiter, else to the free places."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1
        for changed in list(self._watchers):
            changed()


@dataclass
class _Place:
    """The current request's place: in which admission, and whether it holds it now."""

    admission: Admission
    task: asyncio.Task | None
    held: bool = True
    done: bool = False


_PLACE: ContextVar[_Place | None] = ContextVar("admission_place", default=None)


@contextlib.asynccontextmanager
async def admitted(admission: Admission) -> AsyncIterator[None]:
    """The block runs holding a place in ``admission`` (given back when it ends)."""
    await admission.enter()
    place = _Place(admission, asyncio.current_task())
    token = _PLACE.set(place)
    try:
        yield
    finally:
        _PLACE.reset(token)
        finish(place)


def _mine() -> _Place | None:
    place = _PLACE.get()
    if place is None or place.task is not asyncio.current_task():
        return None  # another task (a build started by the request) holds no place
    return place


def current() -> Admission | None:
    """The admission the current request holds a place in, or None (not a request at work
    on its place: a background task, a command, a test without the app)."""
    place = _mine()
    return place.admission if place is not None and place.held and not place.done else None


def holding() -> bool:
    """Whether the current task is a request at work on its place (its answer not started):
    a request it makes to the app itself (a refused form's page read again) runs on that
    place, not a second one."""
    place = _mine()
    return place is not None and not place.done


def finish(place: _Place | None = None) -> None:
    """The request's work is done (its answer starts): its place goes to the next."""
    place = place or _mine()
    if place is None or place.done:
        return
    place.done = True
    if place.held:
        place.held = False
        place.admission.leave()


@contextlib.asynccontextmanager
async def outside() -> AsyncIterator[None]:
    """The block waits for something outside this process: the request's place is given
    back meanwhile and taken again, at the front of the queue, when the block ends."""
    place = _mine()
    if place is None or place.done or not place.held or db.in_transaction():
        # In a transaction the place is kept: it may hold the write lock that the requests
        # taking the free place would wait for, while it waited for one of their places.
        yield
        return
    place.held = False
    place.admission.leave()
    try:
        yield
    except asyncio.CancelledError:
        place.done = True  # the request is being stopped: it ends without a place
        raise
    finally:
        if not place.done:
            await place.admission.enter(front=True)
            place.held = True


class PerLoop:
    """An app's admission on each event loop it serves on (one loop per serving process;
    tests run an app on several)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._admissions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Admission] = (
            weakref.WeakKeyDictionary())

    def current(self) -> Admission:
        loop = asyncio.get_running_loop()
        admission = self._admissions.get(loop)
        if admission is None:
            admission = self._admissions[loop] = Admission(self.limit)
        return admission
