"""Piccolo app for the family network."""

import os

from piccolo.conf.apps import AppConfig

from coordinator.network.tables import (
    CaseFacts,
    KeepApart,
    NetworkChange,
    Organisation,
    Person,
    Relation,
)

APP_CONFIG = AppConfig(
    app_name="network",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Organisation, Person, Relation, KeepApart, NetworkChange, CaseFacts],
    migration_dependencies=["coordinator.families.piccolo_app"],
    commands=[],
)
