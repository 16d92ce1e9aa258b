"""The network stamp (``revisions.NETWORK``): a column of ``content_revision``. The next
migration writes the family row's content-stamp triggers again to replace it too (the
network app's migration of that moment does so for its tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "network stamp"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="families", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ContentRevision",
        tablename="content_revision",
        column_name="network_stamp",
        db_column_name="network_stamp",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
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
