"""Piccolo's configuration: the engine chosen by DATABASE_URL, and the app registry.

SQLite is the embedded default (one file, WAL, foreign keys on); PostgreSQL is picked by a
``postgresql://`` URL. The same tables and migrations run on both.
"""

from __future__ import annotations

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from coordinator.settings import Settings

APPS = [
    "coordinator.auth.piccolo_app",
    "coordinator.families.piccolo_app",
    "coordinator.audit.piccolo_app",
    "coordinator.network.piccolo_app",
    "coordinator.meetings.piccolo_app",
    "coordinator.agreements.piccolo_app",
    "coordinator.followup.piccolo_app",
    "coordinator.invites.piccolo_app",
    "coordinator.reminders.piccolo_app",
    "coordinator.trappe.piccolo_app",
    "coordinator.method.piccolo_app",
    "coordinator.satisfaction.piccolo_app",
]


def make_engine(database_url: str):
    """Build the Piccolo engine for a DATABASE_URL."""
    settings = Settings(database_url=database_url)
    settings.validate()
    if settings.engine == "sqlite":
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: wait for a competing writer instead of failing at once.
        from coordinator.db import PooledSQLiteEngine

        return PooledSQLiteEngine(path=str(path), timeout=30)
    return PostgresEngine(config={"dsn": database_url})


DB = make_engine(os.environ.get("DATABASE_URL") or Settings().database_url)

APP_REGISTRY = AppRegistry(apps=APPS)
