"""When partner calendars were last withdrawn (``invites/withdrawal.py``): a column of
``content_revision``, written on the GDPR purge's row (-2) only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T05:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendars withdrawn at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="families", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ContentRevision",
        tablename="content_revision",
        column_name="changed_at",
        db_column_name="changed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
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
