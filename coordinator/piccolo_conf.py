"""Piccolo's configuration: the engine (``coordinator/db/engines.py``) and the app registry.

The same tables and migrations run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from coordinator.db import engines
from coordinator.settings import Settings

__all__ = ["APPS", "APP_REGISTRY"]

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

APP_REGISTRY = AppRegistry(apps=APPS)


def __getattr__(name: str) -> Engine:
    """``DB``, which Piccolo reads when a table runs its first query: the engine the process
    configured (``db.configure``). Piccolo's own command line (``bin/makemigration``)
    configures none, so it gets the environment's, read by ``Settings``."""
    if name != "DB":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not engines.configured():
        engines.configure(Settings.from_env())
    return engines.engine()
