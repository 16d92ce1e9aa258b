"""The one in-process cache type: bounded, least recently used, registered.

Every cache of the process is a ``BoundedCache`` with a name: the family pages, the network
views, the calendar feeds, the success criteria and the unit agendas. Each is bounded by its
number of entries and, when it holds something large, by the total size of its values, so
no cache can grow with the data. What makes an entry correct is its key: callers build it
from what the value shows – the database's content stamps, a feed's version, the network
snapshot itself, or the period and the day – so a change in the database is a new key, and
an old entry simply falls out of the LRU order.

Entries that may be reused for a while although the data changed (the counts of the success
criteria, a leader's unit agenda) are a ``FlightCache`` with a maximum age; callers asking
while a value is being built wait for that build instead of starting their own.

``clear_all()`` empties every cache (tests start from nothing that way, and a restore of
the database does the same). ``kill -USR1`` of a server process logs each of its caches'
hits, misses and entries since it started (``report_on_signal``), so an operator – and the
mixed workload of ``bench/workload.py`` – can see how often a page is drawn again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
I = TypeVar("I", bound=Hashable)  # noqa: E741 - an item a value is kept for

_REGISTRY: weakref.WeakSet[BoundedCache] = weakref.WeakSet()
_LOG = logging.getLogger("coordinator.cache")

# How long what is kept under the database's content stamps (families/revisions.py) is kept
# at most. The stamps see every write made with the triggers on; this bounds what a load
# made with them off (as the benchmark generator makes its data) can leave on a page.
KEPT_UNDER_STAMPS_AT_MOST = timedelta(minutes=10)


class BoundedCache(Generic[K, V]):
    """A least-recently-used map with at most ``max_entries`` entries and, when ``size``
    is given, values whose sizes add up to at most ``max_size``."""

    def __init__(self, name: str, max_entries: int, *, max_size: int | None = None,
                 size: Callable[[V], int] | None = None) -> None:
        self.name = name
        self.max_entries = max_entries
        self.max_size = max_size
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._total = 0
        self.hits = 0
        self.misses = 0
        _REGISTRY.add(self)

    def get(self, key: K, fresh: Callable[[V], bool] | None = None) -> V | None:
        """The value under ``key`` (now the most recently used), or None; also None (a
        miss) when ``fresh`` says the value kept there has run out."""
        value = self._entries.get(key)
        if value is None or (fresh is not None and not fresh(value)):
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    async def get_each(self, keys: Mapping[I, K | None],
                       build: Callable[[list[I]], Awaitable[Mapping[I, V]]]) -> dict[I, V]:
        """The value of each item of ``keys``: the one kept under its key, or else built
        (all the missing ones in one call of ``build``) and kept. An item whose key is None
        is built and not kept."""
        found: dict[I, V] = {}
        for item, key in keys.items():
            if key is not None and (value := self.get(key)) is not None:
                found[item] = value
        missing = [item for item in keys if item not in found]
        if missing:
            built = await build(missing)
            for item in missing:
                found[item] = built[item]
                if (key := keys[item]) is not None:
                    self.put(key, found[item])
        return found

    def peek(self, key: K) -> V | None:
        """The value under ``key`` without counting a use."""
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key``; the least recently used entries make room. A value
        larger than the whole size budget is not kept."""
        size = self._size(value) if self._size is not None else 0
        if self.max_size is not None and size > self.max_size:
            return
        self.pop(key)
        self._entries[key] = value
        self._total += size
        while len(self._entries) > self.max_entries or (
                self.max_size is not None and self._total > self.max_size):
            _, evicted = self._entries.popitem(last=False)
            self._total -= self._size(evicted) if self._size is not None else 0

    def pop(self, key: K) -> V | None:
        """Forget the entry under ``key``; its value, or None."""
        value = self._entries.pop(key, None)
        if value is not None and self._size is not None:
            self._total -= self._size(value)
        return value

    def clear(self) -> None:
        """Forget every entry (and the counters)."""
        self._entries.clear()
        self._total = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries


class FlightCache(Generic[K, V]):
    """Values that take long to build, kept for ``max_age_seconds`` per key: concurrent
    callers share one build (single flight), and a failed build is not kept."""

    def __init__(self, name: str, max_entries: int, max_age_seconds: float) -> None:
        self.max_age_seconds = max_age_seconds
        self._flights: BoundedCache[K, tuple[float, asyncio.Future[V]]] = BoundedCache(
            name, max_entries)

    async def get_or_build(self, key: K, build: Callable[[], Awaitable[V]],
                           max_age_seconds: float | None = None) -> V:
        """The kept value for ``key`` while it is young enough (``max_age_seconds``, the
        cache's own by default), else a new build's."""
        max_age = self.max_age_seconds if max_age_seconds is None else max_age_seconds
        kept = self._flights.get(key)
        if kept is not None and time.monotonic() - kept[0] < max_age:
            return await asyncio.shield(kept[1])
        building: asyncio.Future[V] = asyncio.ensure_future(build())
        self._flights.put(key, (time.monotonic(), building))
        try:
            return await asyncio.shield(building)
        except Exception:
            current = self._flights.peek(key)
            if current is not None and current[1] is building:
                self._flights.pop(key)
            raise

    def clear(self) -> None:
        """Forget every kept value."""
        self._flights.clear()

    def __len__(self) -> int:
        return len(self._flights)


def registered() -> dict[str, BoundedCache]:
    """Every live cache by name."""
    return {cache.name: cache for cache in list(_REGISTRY)}


def clear_all() -> None:
    """Empty every cache of the process."""
    for cache in list(_REGISTRY):
        cache.clear()


def statistics() -> list[tuple[str, int, int, int]]:
    """(name, hits, misses, entries) of every live cache, by name; caches that share a
    name are added up."""
    totals: dict[str, list[int]] = {}
    for cache in list(_REGISTRY):
        row = totals.setdefault(cache.name, [0, 0, 0])
        row[0] += cache.hits
        row[1] += cache.misses
        row[2] += len(cache)
    return [(name, *row) for name, row in sorted(totals.items())]  # type: ignore[misc]


def log_statistics() -> None:
    """One log line per cache: this process, its hits, misses and entries."""
    for name, hits, misses, entries in statistics():
        _LOG.info("cache statistics: process %d, %s: %d hits, %d misses, %d entries",
                  os.getpid(), name, hits, misses, entries)


async def report_on_signal() -> None:
    """On start-up: ``SIGUSR1`` makes this process log its caches' statistics (where the
    platform has the signal). Asked for by a signal, the report is written whatever
    ``LOG_LEVEL`` says."""
    if not hasattr(signal, "SIGUSR1"):
        return
    if _LOG.getEffectiveLevel() > logging.INFO:
        _LOG.setLevel(logging.INFO)
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, log_statistics)
    except (RuntimeError, NotImplementedError, ValueError):  # a loop outside the main thread
        _LOG.debug("no cache report on SIGUSR1 in this process")
