"""The one cache type: bounded by entries and size, least recently used, registered, and
single flight for values that take long to build."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

import pytest

from coordinator import cache, pagecache
from coordinator.families.routes import FAMILY_PAGES
from coordinator.followup import service as followup
from coordinator.invites import feeds
from coordinator.network import service as network

MODULES_WITH_CACHES = (followup, feeds, network)  # imported: their caches are registered


def test_the_least_recently_used_entry_makes_room():
    kept: cache.BoundedCache[str, int] = cache.BoundedCache("test lru", 2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.put("c", 3)
    assert "b" not in kept and kept.get("a") == 1 and kept.get("c") == 3
    assert len(kept) == 2
    assert (kept.hits, kept.misses) == (3, 0)
    assert kept.get("b") is None and kept.misses == 1


def test_the_size_budget_bounds_the_values_and_a_value_too_large_is_not_kept():
    kept: cache.BoundedCache[str, bytes] = cache.BoundedCache("test size", 10, max_size=10,
                                                              size=len)
    kept.put("a", b"12345")
    kept.put("b", b"12345")
    kept.put("c", b"123")
    assert "a" not in kept and "b" in kept and "c" in kept
    kept.put("b", b"1")  # replacing a value gives its size back
    kept.put("d", b"123456")
    assert sorted(k for k in "abcd" if k in kept) == ["b", "c", "d"]
    kept.put("huge", b"x" * 11)
    assert "huge" not in kept and len(kept) == 3


def test_peek_and_pop_do_not_count_as_use():
    kept: cache.BoundedCache[str, int] = cache.BoundedCache("test peek", 2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.peek("a") == 1 and kept.hits == 0
    kept.put("c", 3)  # "a" was only peeked at: it is still the least recently used
    assert "a" not in kept
    assert kept.pop("b") == 2 and kept.pop("b") is None and len(kept) == 1


def test_a_value_that_has_run_out_is_a_miss():
    kept: cache.BoundedCache[str, int] = cache.BoundedCache("test fresh", 4)
    kept.put("a", 5)
    assert kept.get("a", fresh=lambda value: value > 3) == 5
    assert kept.get("a", fresh=lambda value: value > 9) is None
    assert (kept.hits, kept.misses) == (1, 1)


def test_clear_all_empties_every_registered_cache():
    first: cache.BoundedCache[str, int] = cache.BoundedCache("test first", 4)
    second = pagecache.PageCache(max_entries=4, max_bytes=100, name="test pages")
    first.put("a", 1)
    second.put("page", b"<p>")
    FAMILY_PAGES.put(("someone", "stamp"), (b"<html>", datetime.max.replace(tzinfo=UTC)))
    names = cache.registered()
    assert {"test first", "test pages", "family pages", "network views", "feed builds",
            "success criteria", "unit agendas"} <= set(names)
    cache.clear_all()
    assert len(first) == len(second) == len(FAMILY_PAGES) == 0


async def test_concurrent_callers_share_one_build_and_a_failure_is_not_kept():
    flights: cache.FlightCache[str, int] = cache.FlightCache("test flights", 4, 60)
    builds: list[str] = []
    release = asyncio.Event()

    async def build() -> int:
        builds.append("built")
        await release.wait()
        return 42

    waiting = [asyncio.ensure_future(flights.get_or_build("k", build)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [42, 42, 42]
    assert builds == ["built"]
    assert await flights.get_or_build("k", build) == 42 and builds == ["built"]

    async def failing() -> int:
        raise RuntimeError("the count failed")

    with pytest.raises(RuntimeError):
        await flights.get_or_build("bad", failing)
    assert await flights.get_or_build("bad", build) == 42  # tried again, not the failure


async def test_a_value_older_than_its_age_is_built_again():
    flights: cache.FlightCache[str, int] = cache.FlightCache("test age", 4, 0)
    counts = iter(range(10))

    async def build() -> int:
        return next(counts)

    assert await flights.get_or_build("k", build) == 0
    assert await flights.get_or_build("k", build) == 1


async def test_get_each_builds_only_what_is_not_kept_and_keeps_what_has_a_key():
    kept: cache.BoundedCache[tuple, str] = cache.BoundedCache("each", 10)
    asked: list[list[int]] = []

    async def build(items: list[int]) -> dict[int, str]:
        asked.append(items)
        return {item: f"v{item}-{len(asked)}" for item in items}

    assert await kept.get_each({1: ("a", 1), 2: ("a", 2), 3: None}, build) == {
        1: "v1-1", 2: "v2-1", 3: "v3-1"}
    assert await kept.get_each({1: ("a", 1), 2: ("b", 2), 3: None}, build) == {
        1: "v1-1", 2: "v2-2", 3: "v3-2"}  # 2's key changed; 3 has none: built again
    assert asked == [[1, 2, 3], [2, 3]]
    assert await kept.get_each({1: ("a", 1)}, build) == {1: "v1-1"} and len(asked) == 2


def test_statistics_add_up_the_caches_of_one_name():
    first: cache.BoundedCache[str, int] = cache.BoundedCache("test statistics", 4)
    second: cache.BoundedCache[str, int] = cache.BoundedCache("test statistics", 4)
    first.put("a", 1)
    second.put("b", 2)
    assert first.get("a") == 1 and first.get("x") is None and second.get("b") == 2
    rows = {name: (hits, misses, entries) for name, hits, misses, entries in cache.statistics()}
    assert rows["test statistics"] == (2, 1, 2)
    assert "family pages" in rows


def test_the_logged_statistics_name_the_process(caplog):
    kept: cache.BoundedCache[str, int] = cache.BoundedCache("test logged", 4)
    kept.put("a", 1)
    kept.get("a")
    with caplog.at_level("INFO", logger="coordinator.cache"):
        cache.log_statistics()
    assert any(record.getMessage().endswith("test logged: 1 hits, 0 misses, 1 entries")
               and f"process {os.getpid()}," in record.getMessage() for record in caplog.records)
