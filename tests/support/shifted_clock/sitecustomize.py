"""Loaded by every Python process of a ``bin/test --shifted`` run (through PYTHONPATH).

``bin/test --shifted`` moves the wall clock with libfaketime and keeps the monotonic clock
real (with a faked monotonic clock, every ``threading`` wait with a timeout blocks for
ever). libfaketime 0.9.10 then answers ``EINVAL`` to ``clock_nanosleep`` with an absolute
deadline on the real monotonic clock, which is how Python's ``time.sleep`` sleeps; here it
sleeps through ``select``'s relative timeout instead. Nothing else changes.
"""

import os
import select
import time

if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
