"""The formøde of a familierådslagning: the date the samordner and the socialrådgiver meet
the child and the family to choose whom to invite. The slot finder proposes no time for the
meeting itself before the formøde is held."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fgc_case formoede_on"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meetings", description=DESCRIPTION
    )
    manager.add_column(
        table_class_name="FgcCase",
        tablename="fgc_case",
        column_name="formoede_on",
        db_column_name="formoede_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
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
