"""The one engine every table uses, chosen by DATABASE_URL.

SQLite is the embedded default (one file, WAL, foreign keys on); PostgreSQL is picked by a
``postgresql://`` URL. ``piccolo_conf`` hands this engine to Piccolo, so the tables and
``db.fetch`` run on the same one.
"""

from __future__ import annotations

import os
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from coordinator import piccolo_patches
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
    return PostgresEngine(config={"dsn": database_url})


DB = make_engine(os.environ.get("DATABASE_URL") or Settings().database_url)


def engine() -> Any:
    """The engine all tables use (``Any``: callers use the methods of its engine class)."""
    return DB


def engine_name() -> str:
    """'sqlite' or 'postgresql'."""
    return "postgresql" if isinstance(DB, PostgresEngine) else "sqlite"
