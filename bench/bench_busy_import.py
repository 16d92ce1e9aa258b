"""Benchmark: reading a partner's large Outlook calendar for busy time.

    python bench/bench_busy_import.py [--repeat 5]

Generates the ~2 MB Outlook export of ten years of meetings that the tests use
(``tests.support.partner_calendars.large_outlook_calendar``: 3,000 series and 1,500 single
meetings, 40 weekly series still running) and times ``feeds.read_ics`` over the import's
window (yesterday to 400 days ahead), and its parts: leaving out what cannot reach the
window (``within_window``) and the reading of what is left. Prints a Markdown table and
writes it to bench/results/busy-import.md. Not part of the tests (speed is measured here,
not asserted in timed tests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coordinator.meetings import feeds  # noqa: E402
from tests.support.partner_calendars import large_outlook_calendar  # noqa: E402

CPH = ZoneInfo("Europe/Copenhagen")


def _timed(repeat: int, call) -> list[float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    today = date(2026, 12, 3)
    data = large_outlook_calendar(today)
    start = datetime.combine(today, datetime.min.time(), CPH)
    window = (start - feeds.HORIZON_BEFORE, start + feeds.HORIZON_AFTER)
    reading = feeds.read_ics(data, *window)
    kept = feeds.within_window(data.decode(), *window)
    rows = [("read_ics (the whole import)", _timed(args.repeat, lambda: feeds.read_ics(data, *window))),
            ("within_window (text only)", _timed(args.repeat, lambda: feeds.within_window(data.decode(), *window)))]
    load = os.getloadavg()[0]
    lines = [f"# Busy-time import of a {len(data) / 1e6:.1f} MB Outlook calendar",
             "",
             f"{data.count(b'BEGIN:VEVENT')} VEVENTs, {kept.count('BEGIN:VEVENT')} can reach the window; "
             f"{len(reading.busy)} busy intervals, {len(reading.skipped)} skipped. "
             f"{os.cpu_count()} CPUs, load average {load:.1f} at the start.",
             "",
             "| step | median s | min s | max s |",
             "|---|---|---|---|"]
    for name, seconds in rows:
        lines.append(f"| {name} | {statistics.median(seconds):.2f} | {min(seconds):.2f} | {max(seconds):.2f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "busy-import.md").write_text(report)


if __name__ == "__main__":
    main()
