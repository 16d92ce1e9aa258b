"""Indexes behind the feed version query (a 304 in O(log n) instead of whole-table scans).

The version is max(updated_at) and max(id) over tables of the meetings and network apps;
those apps' tables are edited by others, so the indexes live with the query that needs
them. ``IF NOT EXISTS``: harmless if an owning app adds the same index later.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T22:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed version indexes"

INDEXES = (
    "CREATE INDEX IF NOT EXISTS meeting_updated_at_feed ON meeting (updated_at)",
    "CREATE INDEX IF NOT EXISTS person_updated_at_feed ON person (updated_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="invites", description=DESCRIPTION)

    async def create_indexes():
        from coordinator.invites.tables import FeedToken

        for statement in INDEXES:
            await FeedToken.raw(statement)

    async def drop_indexes():
        from coordinator.invites.tables import FeedToken

        for name in ("meeting_updated_at_feed", "person_updated_at_feed"):
            await FeedToken.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
