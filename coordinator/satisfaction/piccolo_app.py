"""Piccolo app for satisfaction at move-out."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.satisfaction.tables import SatisfactionAnswer, SatisfactionMark, TabletLink

APP_CONFIG = AppConfig(
    app_name="satisfaction",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SatisfactionAnswer, SatisfactionMark, TabletLink],
    migration_dependencies=["coordinator.followup.piccolo_app",
                            "coordinator.families.piccolo_app"],
    commands=[],
)
