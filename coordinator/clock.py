"""The one clock: every decision that depends on the time asks here.

Expiry of sessions and answer links, due dates, outbox backoff and leases, retention, what
counts as "in the past", success-criteria periods and feeds all read the time through
``now()`` / ``today()``, never ``datetime.now()``, ``date.today()`` or the database's
``now()``. Timestamps that decide something are written from this clock too, so the
database's own clock never takes part in a decision.

Production reads the system clock. Tests pin it (``pin``), move it (``advance``) and let it
go (``release``); the suite also runs with the process clock shifted by ``faketime`` to
prove that nothing depends on the day it runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def local_now() -> datetime:
    """The current moment in Europe/Copenhagen (the users' time)."""
    return now().astimezone(COPENHAGEN)


def today() -> date:
    """Today's date in Europe/Copenhagen."""
    return local_now().date()


def minute() -> int:
    """Minutes since the epoch: a key that changes once a minute."""
    return int(now().timestamp() // 60)


_CHANGES: ContextVar[list[datetime] | None] = ContextVar("clock_changes", default=None)


@contextlib.contextmanager
def noting_changes() -> Iterator[list[datetime]]:
    """Collect the moments at which what is built inside would change by the time alone
    (``changes_at``), so it can be kept until the earliest of them instead of a minute."""
    outer = _CHANGES.get()
    moments: list[datetime] = []
    token = _CHANGES.set(moments)
    try:
        yield moments
    finally:
        _CHANGES.reset(token)
        if outer is not None:  # what is built inside is part of what is built outside
            outer.extend(moments)


def changes_at(moment: datetime) -> None:
    """What is being built shows something that changes when the clock passes ``moment``
    (the next meeting, once it has started, is no longer the next one)."""
    moments = _CHANGES.get()
    if moments is not None:
        moments.append(moment)


def pin(moment: datetime, *, ticking: bool = True) -> None:
    """Set the clock to ``moment`` (aware). Ticking: it runs on from there; else it stands."""
    global _offset, _frozen
    if moment.tzinfo is None:
        raise ValueError("the clock is pinned to an aware datetime")
    if ticking:
        _frozen = None
        _offset = moment - datetime.now(UTC)
    else:
        _frozen = moment.astimezone(UTC)
        _offset = timedelta(0)


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back, with a negative delta)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def release() -> None:
    """Back to the system clock."""
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None

