"""The index on ``meeting.updated_at`` behind the partner feeds' version query, declared by
the app that owns the table (the invites app's migration of 2026-11-22 created it until
now). ``IF NOT EXISTS``: a database that has it keeps it."""

from functools import partial

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from coordinator import db

ID = "2026-12-05T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed version index on meeting.updated_at, owned by the meetings app"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)
    manager.add_raw(partial(db.fetch, 'CREATE INDEX IF NOT EXISTS "meeting_updated_at_feed" '
                                      'ON "meeting" ("updated_at")'))
    manager.add_raw_backwards(partial(db.fetch, 'DROP INDEX IF EXISTS "meeting_updated_at_feed"'))
    return manager
