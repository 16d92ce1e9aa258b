"""Piccolo's configuration: the engine (``coordinator/db/engines.py``) and the app registry.

The same tables and migrations run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from coordinator.db.engines import DB, make_engine

__all__ = ["APPS", "APP_REGISTRY", "DB", "make_engine"]

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
