"""An index for the start page's "next meeting" of each family: the earliest start of the
family's planned or sent meetings from now on (``families.service.find_families``).

With it, each family's next meeting is one step into a small index; without it every
meeting the family ever had is read (200 families: ~2,000 meetings per start page).
Partial (only planned and invited meetings), so held, cancelled and draft meetings,
the bulk of the table, are not in it. The same statement on SQLite and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of each family's upcoming meetings"

INDEX = ('CREATE INDEX IF NOT EXISTS "meeting_family_upcoming" ON "meeting" '
         '("family", "starts_at") WHERE "status" IN (\'planned\', \'invited\')')


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)

    async def install():
        from coordinator.meetings.tables import Meeting

        await Meeting.raw(INDEX)

    async def uninstall():
        from coordinator.meetings.tables import Meeting

        await Meeting.raw('DROP INDEX IF EXISTS "meeting_family_upcoming"')

    manager.add_raw(install)
    manager.add_raw_backwards(uninstall)
    return manager
