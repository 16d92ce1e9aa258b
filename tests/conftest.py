"""Test fixtures: a real database (SQLite or PostgreSQL) migrated from empty, the real app.

Pick the engine with TEST_DATABASE_URL (default: a fresh SQLite file). The whole schema is
dropped and rebuilt by the migrations once per run; every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="coordinator-test-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ.setdefault("PICCOLO_CONF", "coordinator.piccolo_conf")

import pytest  # noqa: E402
import httpx  # noqa: E402

from coordinator import db  # noqa: E402
from coordinator.settings import Settings  # noqa: E402
from tests import factories  # noqa: E402

IN_CI = os.environ.get("CI", "") not in ("", "0", "false")


def test_settings(**overrides) -> Settings:
    """Settings for the app under test: secure cookies over https://testserver.local."""
    values = dict(database_url=TEST_DATABASE_URL, secret_key="test-secret-" + "x" * 32,
                  cookie_secure=True, public_base_url="https://testserver.local",
                  data_dir=_TMP, log_level="WARNING")
    values.update(overrides)
    return Settings(**values)


async def _drop_everything() -> None:
    if db.engine_name() == "postgresql":
        await db.engine().run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
        await db.engine().run_ddl("CREATE SCHEMA public")
    else:
        path = Settings(database_url=TEST_DATABASE_URL).sqlite_path
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def all_tables() -> list:
    """Every table of every app, parents before children."""
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    tables = Finder().get_table_classes()
    return sort_table_classes(tables)


@pytest.fixture(scope="session", autouse=True)
async def database():
    """Build the schema from empty with the migrations, once per run."""
    try:
        await db.check_connection()
    except db.DatabaseUnavailable as exc:
        if IN_CI:
            pytest.fail(f"TEST_DATABASE_URL cannot be reached in CI: {exc}")
        pytest.skip(f"TEST_DATABASE_URL cannot be reached: {exc}")
    await _drop_everything()
    await db.migrate()
    await db.start()
    yield
    await db.stop()


async def empty_tables() -> None:
    """Delete every row of every table (tests that rebuild their data mid-test call it)."""
    tables = all_tables()
    if db.engine_name() == "postgresql":
        names = ", ".join(f'"{t._meta.tablename}"' for t in tables)
        await db.engine().run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        for table in reversed(tables):
            await table.delete(force=True)


@pytest.fixture(autouse=True)
async def clean_tables(database):
    """Every test starts from empty tables (and no figures remembered from another test)."""
    from coordinator.followup import service as followup

    await empty_tables()
    followup._criteria_reports.clear()  # noqa: SLF001
    yield


@pytest.fixture
def settings() -> Settings:
    return test_settings()


@pytest.fixture
async def app(settings):
    from coordinator.app import create_app

    return create_app(settings)


def http_client(app) -> httpx.AsyncClient:
    """A browser-like client calling the app in this event loop (so one DB pool serves both).

    Litestar's own test client runs the app in another thread and loop, which an asyncpg
    pool cannot cross; httpx's ASGI transport keeps everything in the test's loop.
    """
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="https://testserver.local", follow_redirects=False)


@pytest.fixture
async def client(app):
    async with http_client(app) as test_client:
        yield test_client


@pytest.fixture
async def other_client(app):
    """A second browser, for two users at once."""
    async with http_client(app) as test_client:
        yield test_client


@pytest.fixture
def make():
    """Factories for users, families and logins (see tests/factories.py)."""
    return factories


__all__ = ["asyncio", "test_settings", "IN_CI"]
