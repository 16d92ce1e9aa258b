"""The icalendar and recurring-ical-events projects' own test calendars, from their source
distributions on PyPI at the versions pyproject.toml pins.

``calendars()`` downloads the two sdists once (``pip download --no-deps --no-binary :all:``)
into ``data/test-cache/upstream-sdists/`` (ignored by git, reused by later runs; a lock lets
the SQLite and PostgreSQL passes share it) and returns every ``.ics`` file in them as
``{"icalendar-7.3.0/…/x.ics": bytes}``. Without the network (or pip) the calling test is
skipped with the reason, and fails when CI is set.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "data" / "test-cache" / "upstream-sdists"
PROJECTS = ("icalendar", "recurring-ical-events")


def pinned_versions() -> dict[str, str]:
    """The versions pyproject.toml pins for the two projects."""
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    versions = {}
    for pin in pins:
        name, _, version = pin.partition("==")
        if name in PROJECTS:
            versions[name] = version
    assert set(versions) == set(PROJECTS), f"pyproject.toml must pin {PROJECTS}"
    return versions


def _sdist(name: str, version: str) -> Path | None:
    stem = re.sub(r"[-_.]+", "_", name)
    for candidate in CACHE.glob("*.tar.gz"):
        if re.sub(r"[-_.]+", "_", candidate.name.lower()) == f"{stem}_{version.replace('.', '_')}_tar_gz":
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI requires the upstream calendars")
    pytest.skip(reason)


def sdists() -> list[Path]:
    """The two source distributions, downloaded on first use."""
    versions = pinned_versions()
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [f"{name}=={version}" for name, version in versions.items() if _sdist(name, version) is None]
        if missing:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                 "--disable-pip-version-check", "--dest", str(CACHE), *missing],
                capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                _unavailable(f"pip download {' '.join(missing)} failed: {done.stderr.strip()[-300:]}")
    found = [_sdist(name, version) for name, version in versions.items()]
    if any(path is None for path in found):
        _unavailable(f"the sdists of {versions} are not in {CACHE}")
    return [path for path in found if path is not None]


def calendars() -> dict[str, bytes]:
    """Every .ics file of both sdists by its path inside the archive."""
    result: dict[str, bytes] = {}
    for path in sdists():
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".ics"):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        result[member.name] = handle.read()
    return result
