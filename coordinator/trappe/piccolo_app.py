"""Piccolo app for Randers-trappen."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.trappe.tables import TrappeAssessment

APP_CONFIG = AppConfig(
    app_name="trappe",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[TrappeAssessment],
    migration_dependencies=["coordinator.meetings.piccolo_app",
                            "coordinator.network.piccolo_app",
                            "coordinator.families.piccolo_app"],
    commands=[],
)
