"""``meeting.minutes`` goes: the minutes are written per agenda point now, and the migration
before moved every meeting's minutes into its agenda."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T19:08:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop meeting.minutes (moved into the agenda)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)
    manager.drop_column(table_class_name="Meeting", tablename="meeting", column_name="minutes",
                        db_column_name="minutes")
    return manager
