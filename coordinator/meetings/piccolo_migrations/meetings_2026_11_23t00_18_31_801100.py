"""An index on meeting_part.ends_at for the slot finder, which reads only the busy parts
that overlap its search window (``ends_at > start AND starts_at < end``): the rooms' busy
parts are found from the parts that end after the window starts, not from every meeting
ever booked in them (the starts_at index would walk the whole past)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz

ID = "2026-11-23T00:18:31:801100"
VERSION = "1.38.0"
DESCRIPTION = (
    "meeting_part ends_at index for busy times in the slot search window"
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meetings", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="MeetingPart",
        tablename="meeting_part",
        column_name="ends_at",
        db_column_name="ends_at",
        params={"index": True},
        old_params={"index": False},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
