"""Piccolo app for families and teams."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.families.tables import ContentRevision, Family, TeamMember

APP_CONFIG = AppConfig(
    app_name="families",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Family, TeamMember, ContentRevision],
    migration_dependencies=["coordinator.auth.piccolo_app"],
    commands=[],
)
