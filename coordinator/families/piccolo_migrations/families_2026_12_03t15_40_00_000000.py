"""The team's tovholder (lead): one member of each family's team holds the case."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "team member lead"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="families", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="TeamMember",
        tablename="team_member",
        column_name="lead",
        db_column_name="lead",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
