"""Why a case was closed (one of the reasons offered when closing it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "family closed reason"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="families", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Family",
        tablename="family",
        column_name="closed_reason",
        db_column_name="closed_reason",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
