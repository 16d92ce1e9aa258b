"""The build of a feed link's calendar claimed by one web process (FeedToken.build_claim,
building_since, building_by), so the processes build each feed once per settle time."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed build claimed"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="invites", description=DESCRIPTION)
    manager.add_column(
        table_class_name="FeedToken", tablename="feed_token", column_name="build_claim",
        db_column_name="build_claim", column_class_name="Integer", column_class=Integer,
        params=_params(default=0), schema=None)
    manager.add_column(
        table_class_name="FeedToken", tablename="feed_token", column_name="building_since",
        db_column_name="building_since", column_class_name="Timestamptz", column_class=Timestamptz,
        params=_params(default=None, null=True), schema=None)
    manager.add_column(
        table_class_name="FeedToken", tablename="feed_token", column_name="building_by",
        db_column_name="building_by", column_class_name="Varchar", column_class=Varchar,
        params=_params(length=40, default=""), schema=None)
    return manager
