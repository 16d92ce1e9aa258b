"""Piccolo app for cooperation agreements."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.agreements.tables import (
    Agreement,
    AgreementEvaluation,
    AgreementParty,
    AgreementVersion,
)

APP_CONFIG = AppConfig(
    app_name="agreements",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Agreement, AgreementParty, AgreementEvaluation, AgreementVersion],
    migration_dependencies=["coordinator.network.piccolo_app"],
    commands=[],
)
