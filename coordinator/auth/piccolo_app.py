"""Piccolo app for accounts and sessions."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.auth.tables import FormSent, LoginAttempt, Session, User

APP_CONFIG = AppConfig(
    app_name="auth",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[User, Session, LoginAttempt, FormSent],
    migration_dependencies=[],
    commands=[],
)
