"""Piccolo app for reminders: preferences, opt-out links and the digests decided."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.reminders.tables import DigestRun, ReminderLink, ReminderPreference

APP_CONFIG = AppConfig(
    app_name="reminders",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[ReminderPreference, ReminderLink, DigestRun],
    migration_dependencies=["coordinator.auth.piccolo_app"],
    commands=[],
)
