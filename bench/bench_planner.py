"""Benchmark the pure slot finder: 12 participants, 4 weeks, 500 busy intervals, 15-min step.

Standalone script, not part of the test suite:

    python bench/bench_planner.py [--runs 200] [--seed 7]

Prints the median and 95th percentile of ``find_slots`` over the runs (target ≤ 20 ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coordinator.meetings.planner import (  # noqa: E402
    LOCAL_TZ,
    AllDay,
    Busy,
    Part,
    Participant,
    PlanningRequest,
    Room,
    find_slots,
)


def build_request(seed: int) -> PlanningRequest:
    """A realistic, busy four-week search: 500 busy intervals over 12 people and 3 rooms."""
    rng = random.Random(seed)
    window_start = datetime(2027, 3, 8, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    window_end = window_start + timedelta(weeks=4)
    now = window_start - timedelta(days=1)
    people: list[list[Busy | AllDay]] = [[] for _ in range(12)]
    for n in range(500):
        day = window_start.date() + timedelta(days=rng.randrange(28))
        if n % 50 == 0:
            people[n % 12].append(AllDay(day))
            continue
        start = datetime.combine(day, time(7 + rng.randrange(9), rng.choice((0, 15, 30, 45))), tzinfo=LOCAL_TZ)
        end = start + timedelta(minutes=rng.choice((30, 45, 60, 90)))
        people[n % 12].append(Busy(start.astimezone(timezone.utc), end.astimezone(timezone.utc)))
    participants = [
        Participant(
            f"p{i}",
            f"Deltager {i}",
            busy=busy,
            working_hours={4: (time(8), time(13))} if i == 3 else {},
            date_overrides={date(2027, 3, 17): None} if i == 5 else {},
        )
        for i, busy in enumerate(people)
    ]
    rooms = [
        Room(f"r{i}", f"Mødelokale {i}", busy=[Busy(window_start + timedelta(days=d, hours=8), window_start + timedelta(days=d, hours=11)) for d in range(i, 28, 3)])
        for i in range(3)
    ]
    family = frozenset(f"p{i}" for i in range(6, 12))
    parts = [
        Part("information", "Informationsdel", timedelta(minutes=45)),
        Part("family_time", "Familiens egen tid", timedelta(minutes=120), family),
        Part("plan", "Fremlæggelse og godkendelse af planen", timedelta(minutes=45), family | {"p0"}),
    ]
    return PlanningRequest(
        participants=participants,
        parts=parts,
        window_start=window_start,
        window_end=window_end,
        now=now,
        rooms=rooms,
        min_notice_working_days=2,
        step=timedelta(minutes=15),
    )


def _measure(request: PlanningRequest, runs: int) -> tuple[float, float, float, int, int]:
    result = find_slots(request)  # warm-up (holiday tables, imports)
    timings = []
    for _ in range(runs):
        started = clock.perf_counter()
        find_slots(request)
        timings.append((clock.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    return statistics.median(timings), p95, timings[-1], len(result.slots), len(result.rejections)


def main() -> None:
    """Run the benchmark and print median and p95 in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    request = build_request(args.seed)
    busy = sum(len(p.busy) for p in request.participants)
    print(f"participants=12 busy={busy} rooms=3 window=4 weeks step=15 min runs={args.runs}")
    scenarios = {
        "familierådslagning, 3 parts (nothing fits: every candidate explained)": request,
        "one 60-minute part (slots found)": replace(request, parts=[Part("m", "Møde", timedelta(minutes=60))]),
    }
    for label, scenario in scenarios.items():
        median, p95, worst, slots, rejections = _measure(scenario, args.runs)
        print(f"{label}: slots={slots} rejections={rejections}")
        print(f"  median={median:.2f} ms  p95={p95:.2f} ms  max={worst:.2f} ms")


if __name__ == "__main__":
    main()
