"""The icalendar and recurring-ical-events projects' own test calendars, from their source
distributions on PyPI at the versions pyproject.toml pins.

``calendars()`` downloads the two sdists once (found through PyPI's simple index, PEP 691,
and checked against its SHA-256; ``pip download --no-binary`` would build the packages'
metadata from source, minutes on a busy machine) into ``data/test-cache/upstream-sdists/``
(ignored by git, reused by later runs; a lock lets the SQLite and PostgreSQL passes share
it) and returns every ``.ics`` file in them as ``{"icalendar-7.3.0/…/x.ics": bytes}``.
Without the network the calling test is
skipped with the reason, and fails when CI is set.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import tarfile
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "data" / "test-cache" / "upstream-sdists"
PROJECTS = ("icalendar", "recurring-ical-events")
INDEX = "https://pypi.org/simple/{name}/"


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


def _normal(filename: str) -> str:
    return re.sub(r"[-_.]+", "_", filename.lower())


def _wanted(name: str, version: str) -> str:
    return f"{_normal(name)}_{version.replace('.', '_')}_tar_gz"


def _sdist(name: str, version: str) -> Path | None:
    for candidate in CACHE.glob("*.tar.gz"):
        if _normal(candidate.name) == _wanted(name, version):
            return candidate
    return None


def _download(name: str, version: str) -> None:
    """The sdist of ``name==version`` from PyPI, checked against the index's SHA-256."""
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        index = client.get(INDEX.format(name=name),
                           headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        index.raise_for_status()
        files = [f for f in index.json()["files"] if _normal(f["filename"]) == _wanted(name, version)]
        if not files:
            raise FileNotFoundError(f"PyPI lists no sdist of {name}=={version}")
        wanted = files[0]
        data = client.get(wanted["url"]).raise_for_status().content
    if hashlib.sha256(data).hexdigest() != wanted["hashes"]["sha256"]:
        raise ValueError(f"{wanted['filename']}: the SHA-256 differs from PyPI's index")
    partial = CACHE / (wanted["filename"] + ".part")
    partial.write_bytes(data)
    partial.rename(CACHE / wanted["filename"])


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
        for name, version in versions.items():
            if _sdist(name, version) is None:
                try:
                    _download(name, version)
                except (httpx.HTTPError, OSError, ValueError, KeyError) as exc:
                    _unavailable(f"the sdist of {name}=={version} could not be downloaded: {exc}")
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
