"""Whether a participant the system does not e-mail has been told (by letter or phone) of
the meeting as it is now: ``participant.told_what``, ``told_sequence`` and ``told_at``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "participants told by letter or phone: what, at which sequence, when"

_COMMON = {"primary_key": False, "unique": False, "index": False,
           "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
           "secret": False}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Participant", tablename="participant", column_name="told_what",
        db_column_name="told_what", column_class_name="Varchar", column_class=Varchar,
        params={"length": 16, "default": "", "null": False, **_COMMON}, schema=None)
    manager.add_column(
        table_class_name="Participant", tablename="participant", column_name="told_sequence",
        db_column_name="told_sequence", column_class_name="Integer", column_class=Integer,
        params={"default": None, "null": True, **_COMMON}, schema=None)
    manager.add_column(
        table_class_name="Participant", tablename="participant", column_name="told_at",
        db_column_name="told_at", column_class_name="Timestamptz", column_class=Timestamptz,
        params={"default": None, "null": True, **_COMMON}, schema=None)
    return manager
