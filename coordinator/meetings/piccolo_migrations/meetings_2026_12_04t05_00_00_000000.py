"""``MeetingChange.processed_at`` goes: it was written and never read.

The invite mails of a change are queued in the change's own transaction (the transactional
outbox, ``invites.service.enqueue_for_change``), so every committed change is processed the
moment it commits and the column only ever repeated ``at``; the outbox rows carry the
delivery state. Its index is dropped first (SQLite drops no indexed column).
"""

from functools import partial

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from coordinator import db

ID = "2026-12-04T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop meeting_change.processed_at (written, never read)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)
    manager.add_raw(partial(db.fetch, 'DROP INDEX IF EXISTS "meeting_change_processed_at"'))
    manager.drop_column(table_class_name="MeetingChange", tablename="meeting_change",
                        column_name="processed_at", db_column_name="processed_at")
    return manager
