"""The one engine every table uses, built from the process's settings (``DATABASE_URL``).

SQLite is the embedded default (one file, WAL, foreign keys on); PostgreSQL is picked by a
``postgresql://`` URL. Whoever starts the process hands its settings to ``configure``
before the first query (``create_app``, each CLI command, the tests' conftest); Piccolo's
tables and ``db.fetch`` then run on the same engine (``piccolo_conf`` hands it to Piccolo).
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from coordinator import piccolo_patches
from coordinator.db.postgres import PooledPostgresEngine
from coordinator.db.sqlite import PooledSQLiteEngine
from coordinator.settings import Settings

piccolo_patches.install()


def make_engine(database_url: str) -> Engine:
    """Build the Piccolo engine for a DATABASE_URL."""
    settings = Settings(database_url=database_url)
    settings.validate()
    if settings.engine == "sqlite":
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: wait for a competing writer instead of failing at once.
        return PooledSQLiteEngine(path=str(path), timeout=30)
    return PooledPostgresEngine(config={"dsn": database_url})


# The process's engine and the URL it was built from: set once, by ``configure``. Piccolo's
# tables keep the engine they first found, so it is never replaced.
_engine: Engine | None = None
_database_url = ""


def configure(settings: Settings) -> Engine:
    """Make the database of ``settings`` this process's one engine and return it.

    Called again with the same DATABASE_URL it keeps the engine (and its pool); a process
    talks to one database, so another URL is refused once an engine exists."""
    global _engine, _database_url
    if _engine is None:
        _engine, _database_url = make_engine(settings.database_url), settings.database_url
    elif settings.database_url != _database_url:
        raise RuntimeError("DATABASE_URL: this process already uses another database; "
                           "configure the engine once, before the first query")
    return _engine


def configured() -> bool:
    """Whether ``configure`` has chosen this process's engine."""
    return _engine is not None


def engine() -> Any:
    """The engine all tables use (``Any``: callers use the methods of its engine class)."""
    if _engine is None:
        raise RuntimeError("no database engine: call db.configure(settings) before the "
                           "first query (create_app and the CLI commands do)")
    return _engine


def engine_name() -> str:
    """'sqlite' or 'postgresql'."""
    return "postgresql" if isinstance(engine(), PostgresEngine) else "sqlite"
