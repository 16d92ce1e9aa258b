"""libical (the C library behind Evolution and many CalDAV servers) as a second opinion on
every calendar object we produce, through Debian's ``gir1.2-ical-3.0`` and ``python3-gi``.

Those bind to Debian's own interpreter (``/usr/bin/python3``), not the project's venv, so
``problems`` runs ``libical_check.py`` beside this file with that interpreter in a
subprocess and returns, per object, every X-LIC-ERROR libical added while parsing it and
every RFC 5546 restriction its METHOD breaks. Call ``require_libical()`` (``problems``
does): a missing part skips the test with the reason, and fails it when CI is set.
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

SYSTEM_PYTHON = "/usr/bin/python3"
CHECKER = Path(__file__).with_name("libical_check.py")
MISSING = 3  # the checker's exit code when libical cannot be imported


@functools.cache
def libical_missing() -> str:
    """Why libical cannot be used here, or '' when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing"
    done = subprocess.run([SYSTEM_PYTHON, str(CHECKER)], input="{}", capture_output=True, text=True,
                          timeout=60)
    if done.returncode == MISSING:
        return done.stderr.strip()
    if done.returncode != 0:
        return f"the libical checker failed: {done.stderr.strip()[-300:]}"
    return ""


def require_libical() -> None:
    """Skip the calling test if libical is missing, or fail it when CI is set."""
    reason = libical_missing()
    if not reason:
        return
    reason += " (apt-get install gir1.2-ical-3.0 python3-gi)"
    if IN_CI:
        pytest.fail(f"{reason}; CI requires the libical interop tests to run")
    pytest.skip(reason)


def problems(objects: dict[str, bytes | str]) -> dict[str, list[str]]:
    """libical's complaints per object name (an empty list: none)."""
    require_libical()
    texts = {name: value.decode() if isinstance(value, bytes) else value for name, value in objects.items()}
    done = subprocess.run([SYSTEM_PYTHON, str(CHECKER)], input=json.dumps(texts), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
