"""Piccolo app for follow-up: stays at the crisis centre and cooperation-meeting agendas."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.followup.tables import SeriesAgenda, SeriesAgendaItem, Stay

APP_CONFIG = AppConfig(
    app_name="followup",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Stay, SeriesAgenda, SeriesAgendaItem],
    migration_dependencies=["coordinator.families.piccolo_app"],
    commands=[],
)
