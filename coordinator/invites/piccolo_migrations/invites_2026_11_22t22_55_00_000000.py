"""Once the feed version indexes on ``meeting`` and ``person``; each is now created by the
migration of the app that owns its table (meetings and network, 2026-12-05), so this
migration does nothing. It stays so that databases that ran it keep a consistent history.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T22:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed version indexes (moved to the meetings and network apps)"


async def forwards():
    return MigrationManager(migration_id=ID, app_name="invites", description=DESCRIPTION)
