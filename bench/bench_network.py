"""Benchmark the pure network modules on a large family (60+ people): the graph analyses
the family page shows and the ecomap's layout and SVG.

Standalone script, not part of the test suite (the tests check what these functions
answer; how fast they answer is measured here):

    python bench/bench_network.py [--people 64] [--runs 50]

Prints the median and 95th percentile per function (targets: analyses ≤ 10 ms each, the
ecomap ≤ 500 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coordinator.network.ecomap import ecomap_svg  # noqa: E402
from coordinator.network.graph import (  # noqa: E402
    NetworkSnapshot,
    Organisation,
    Person,
    Relation,
    coordination_gaps,
    invite_suggestions,
    private_network_strength,
    who_does_what,
)

PROFESSIONS = ["teacher_of", "pedagogue_of", "health_visitor_for", "social_worker_for",
               "contact_person_for", "psychologist_for"]
ORGANISATION_KINDS = ["school", "day_care", "health_visiting", "authority", "crisis_centre",
                      "ppr"]


def family(people: int) -> NetworkSnapshot:
    """Two children, a protected mother, a father who used violence, then professionals
    (one in two) and private network around the children."""
    orgs = [Organisation(1000 + k, f"Org {k}", kind) for k, kind in enumerate(ORGANISATION_KINDS)]
    persons = [Person(1, "Barn A", is_child=True), Person(2, "Barn B", is_child=True),
               Person(3, "Mor", role="mother", protected_address=True),
               Person(4, "Far", role="father", used_violence=True)]
    relations = [Relation(1, 3, 1, "mother_of"), Relation(2, 3, 2, "mother_of"),
                 Relation(3, 4, 1, "father_of"), Relation(4, 4, 2, "father_of")]
    for i in range(5, people + 1):
        if i % 2:
            persons.append(Person(i, f"Fagperson {i}", is_professional=True,
                                  organisation_id=1000 + i % 6))
            relations.append(Relation(i, i, 1 + i % 3, PROFESSIONS[i % 6]))
        else:
            persons.append(Person(i, f"Netværk {i}"))
            relations.append(Relation(i, i, 1 + i % 3, "supports", note="Hjælper"))
    return NetworkSnapshot(persons, orgs, relations)


def measure(func: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=64)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    snap = family(args.people)
    cases: list[tuple[str, Callable[[], object], float]] = [
        ("who_does_what", lambda: who_does_what(snap), 10),
        ("coordination_gaps", lambda: coordination_gaps(snap), 10),
        ("private_network_strength", lambda: private_network_strength(snap), 10),
        ("invite_suggestions", lambda: invite_suggestions(snap, "familieraadslagning"), 10),
        ("ecomap_svg", lambda: ecomap_svg(snap), 500),
    ]
    print(f"{args.people} people, {args.runs} runs each")
    print(f"{'function':<26} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}")
    for name, func, target in cases:
        runs = max(5, args.runs // 10) if name == "ecomap_svg" else args.runs
        p50, p95 = measure(func, runs)
        verdict = "met" if p50 <= target else "NOT MET"
        print(f"{name:<26} {p50:>8.2f} {p95:>8.2f} {target:>6.0f} ms {verdict}")


if __name__ == "__main__":
    main()
