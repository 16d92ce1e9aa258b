"""Piccolo app for the method: Signs of Safety mappings and the handleplan's goals."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.method.tables import Goal, GoalEvaluation, SosMapping, SosScale

APP_CONFIG = AppConfig(
    app_name="method",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SosMapping, SosScale, Goal, GoalEvaluation],
    migration_dependencies=["coordinator.meetings.piccolo_app", "coordinator.network.piccolo_app",
                            "coordinator.auth.piccolo_app", "coordinator.families.piccolo_app"],
    commands=[],
)
