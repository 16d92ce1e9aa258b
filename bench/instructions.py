"""Instructions per view: the first view after a change (``bench/inprocess.py --cold``)
counted by valgrind's cachegrind, the same count on a busy machine as on a quiet one.

    DATABASE_URL=... python bench/instructions.py /families/1 [/meetings/11 …] [--code DIR]

On a shared machine one run's CPU time differs from the next's by a quarter, so a change of
a few per cent cannot be told from the noise. The number of instructions the process runs
does not depend on the machine's load: this runs the view 10 and 40 times under cachegrind
and prints the difference per view (the start, the login and the warm-up cancel out), with
string hashing fixed (``PYTHONHASHSEED=0``); two counts of one view agree within about
0.1 %. ``--code`` counts another checkout (a ``git worktree`` of the code before a change)
with this checkout's harness (``bench/inprocess.py``), against the same database; an SQLite
database is copied (with what its write-ahead log holds) for each run, so every run reads
the same rows. Instructions are the process's own: the database server's work (PostgreSQL)
and the kernel's (its sockets) are not counted. Needs valgrind (Debian: ``apt-get install
valgrind``). Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEW, MANY = 10, 40


def instructions(code: Path, path: str, requests: int, database_url: str, user: str,
                 password: str) -> int:
    """The instructions cachegrind counts for one run of ``requests`` cold views."""
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url
        if url.startswith("sqlite:///"):  # a copy each run: every run reads the same rows
            copy = Path(scratch) / "copy.sqlite"
            source, target = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(copy)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            url = f"sqlite:///{copy}"
        env = {**os.environ, "DATABASE_URL": url, "BENCH_CODE": str(code), "PYTHONHASHSEED": "0",
               "SECRET_KEY": os.environ.get("SECRET_KEY", "instructions-" + "x" * 40)}
        try:
            out = subprocess.run(
                ["valgrind", "--tool=cachegrind", "--cache-sim=no",
                 "--cachegrind-out-file=/dev/null", sys.executable, str(ROOT / "bench" / "inprocess.py"),
                 path, "--cold", "--user", user, "--password", password,
                 "--requests", str(requests), "--warmup", "5"],
                env=env, cwd=scratch, capture_output=True, text=True, check=True)
        except subprocess.CalledProcessError as failed:
            raise SystemExit(f"{path} failed under valgrind:\n{failed.stderr[-3000:]}") from None
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        raise SystemExit(f"cachegrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to count")
    parser.add_argument("--user", default="bench-sr")
    parser.add_argument("--password", default="bench")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    url = os.environ["DATABASE_URL"]
    for path in args.paths:
        few, many = (instructions(args.code.resolve(), path, n, url, args.user, args.password)
                     for n in (FEW, MANY))
        print(f"{path}: {(many - few) / (MANY - FEW) / 1e6:.2f} M instructions per view "
              f"({args.code})")


if __name__ == "__main__":
    main()
