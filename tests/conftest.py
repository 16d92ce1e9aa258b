"""Test fixtures: a real database (SQLite or PostgreSQL) migrated from empty, the real app.

Pick the engine with TEST_DATABASE_URL (default: a fresh SQLite file). The whole schema is
dropped and rebuilt by the migrations once per run; every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from coordinator import cache, db
from coordinator.settings import Settings
from tests import factories

_TMP = Path(tempfile.mkdtemp(prefix="coordinator-test-"))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (``test_gw0``…),
    created on first use beside the configured one; without xdist the URL is unchanged."""
    if not (_WORKER and url.startswith("postgres")):
        return url
    import asyncpg

    base = urlsplit(url)
    name = f"{base.path.lstrip('/') or 'test'}_{_WORKER}"

    async def create() -> None:
        conn = await asyncpg.connect(url)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError):
        pass  # unreachable: the ``database`` fixture reports it (fails in CI, skips outside)
    return urlunsplit(base._replace(path=f"/{name}"))


TEST_DATABASE_URL = (_worker_database(os.environ.get("TEST_DATABASE_URL", ""))
                     or f"sqlite:///{_TMP}/test.sqlite")
# The processes tests start (the CLI, a server, a worker) inherit the test database; in
# this process the settings' fallback (``settings.current()``) reads the same environment.
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
# Updates of sent meetings go at once in tests (the settle time batches real bursts).
os.environ.setdefault("INVITE_UPDATE_SETTLE_SECONDS", "0")

IN_CI = os.environ.get("CI", "") not in ("", "0", "false")


def test_settings(**overrides) -> Settings:
    """Settings for the app under test: secure cookies over https://testserver.local."""
    values = dict(database_url=TEST_DATABASE_URL, secret_key="test-secret-" + "x" * 32,
                  cookie_secure=True, public_base_url="https://testserver.local",
                  data_dir=_TMP, log_level="WARNING", feed_settle_seconds=0,
                  invite_update_settle_seconds=0)
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # a helper: pytest collects it where a test module imports it


# This process's one database, before any test runs a query (``create_app`` configures
# the same URL again, which keeps the engine).
db.configure(test_settings())


async def _drop_everything() -> None:
    if db.engine_name() == "postgresql":
        await db.engine().run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
        await db.engine().run_ddl("CREATE SCHEMA public")
        # A test database need not survive a crash of the PostgreSQL server itself: commits
        # return before the WAL reaches the disk (new connections; the pool starts later).
        await db.engine().run_ddl(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', "
            "current_database()); END $$")
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


_EMPTY_POSTGRES: list[str] = []


async def empty_tables() -> None:
    """Delete every row of every table (tests that rebuild their data mid-test call it).

    On PostgreSQL one statement deletes children before parents and restarts the sequences
    (ids start at 1 again, as after ``TRUNCATE … RESTART IDENTITY``, which costs ~15 times
    as much on these small tables)."""
    tables = all_tables()
    if db.engine_name() == "postgresql":
        if not _EMPTY_POSTGRES:
            names = ", ".join(f"'{t._meta.tablename}'" for t in tables)
            sequences = await db.engine().run_ddl(  # the sequences of these tables only
                "SELECT quote_ident(s.relname) AS name FROM pg_class s "
                "JOIN pg_depend d ON d.objid = s.oid JOIN pg_class t ON d.refobjid = t.oid "
                f"WHERE s.relkind = 'S' AND t.relname IN ({names})")
            _EMPTY_POSTGRES.append(
                "DO $$ BEGIN "
                + "".join(f'DELETE FROM "{t._meta.tablename}"; ' for t in reversed(tables))
                + "".join(f"ALTER SEQUENCE {s['name']} RESTART; " for s in sequences)
                + "END $$")
        await db.engine().run_ddl(_EMPTY_POSTGRES[0])
    else:
        for table in reversed(tables):
            await table.delete(force=True)


@pytest.fixture(autouse=True)
async def clean_tables(database):
    """Every test starts from empty tables (and nothing remembered from another test)."""
    await empty_tables()
    cache.clear_all()
    yield


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """Argon2 at its cheapest in tests (tests log in thousands of times; ~150 ms a hash
    with the production parameters). The demo server of the browser journeys keeps them."""
    from argon2 import PasswordHasher

    from coordinator.auth import passwords

    real = passwords._HASHER  # noqa: SLF001
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # noqa: SLF001
    yield
    passwords._HASHER = real  # noqa: SLF001


@pytest.fixture(autouse=True)
def clock():
    """The application's one clock (``coordinator.clock``). A test that needs a particular
    moment pins it (``clock.pin(at)``) or moves it (``clock.advance(delta)``); every test
    ends with the clock let go, so the next one starts on the real (or faketime'd) time."""
    from coordinator import clock as app_clock

    app_clock.release()
    yield app_clock
    app_clock.release()


@pytest.fixture(autouse=True)
def process_settings():
    """Every test ends with the process's settings forgotten (``create_app`` and some
    fixtures set them), so the next one starts from the environment's."""
    from coordinator import settings as settings_module

    yield
    settings_module.use_settings(None)


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
