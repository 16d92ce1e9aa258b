"""The version of a feed last served, kept on its link (FeedToken.served_*), so every web
process answers a fetch holding it with 304 without building the calendar."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed served version"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="invites", description=DESCRIPTION)
    manager.add_column(
        table_class_name="FeedToken", tablename="feed_token", column_name="served_etag",
        db_column_name="served_etag", column_class_name="Varchar", column_class=Varchar,
        params=_params(length=40, default=""), schema=None)
    for name in ("served_modified", "served_at"):
        manager.add_column(
            table_class_name="FeedToken", tablename="feed_token", column_name=name,
            db_column_name=name, column_class_name="Timestamptz", column_class=Timestamptz,
            params=_params(default=None, null=True), schema=None)
    return manager
