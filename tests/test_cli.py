"""The command line: one clear line for configuration errors, no tracebacks."""

import subprocess
import sys


def run(*args, env=None):
    import os

    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "coordinator.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=60)


def test_unreachable_postgres_is_one_line_naming_the_setting():
    result = run("migrate", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_database_url_is_one_line():
    result = run("migrate", env={"DATABASE_URL": "mysql://x"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DATABASE_URL" in result.stderr


def test_help_lists_the_real_commands():
    result = run("--help")
    for command in ("serve", "migrate", "demo", "create-user"):
        assert command in result.stdout


def test_demo_reads_cookie_secure_through_the_settings():
    """The demo's own default (plain http) gives way to COOKIE_SECURE, parsed as everywhere."""
    result = run("demo", "--port", "1", env={"COOKIE_SECURE": "maybe"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "COOKIE_SECURE" in result.stderr
