from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T00:09:47:401888"
VERSION = "1.38.0"
DESCRIPTION = "content stamps for the family page cache"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="families", description=DESCRIPTION
    )

    manager.add_table(
        class_name="ContentRevision",
        tablename="content_revision",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="ContentRevision",
        tablename="content_revision",
        column_name="family_id",
        db_column_name="family_id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ContentRevision",
        tablename="content_revision",
        column_name="stamp",
        db_column_name="stamp",
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
