"""Keep each meeting's start and end in step with its parts, fill them in, and index them
for the leaders' follow-up figures.

The triggers on ``meeting_part`` are declared once in ``coordinator/meetings/spans.py``
(the trigger set ``meeting_part_times`` of ``db/triggers.py``), which this migration
installs; they used to be written out here.

The indexes carry every column the follow-up figures read, so those statements read an
index and not the meetings themselves: the meetings of a kind that ended in a range of
moments (``meeting_kind_ends_at``), and the follow-up meetings of a meeting
(``meeting_followups``, only meetings that follow another one up).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from coordinator.db import triggers
from coordinator.meetings import spans

ID = "2026-11-23T00:20:43:000000"
VERSION = "1.38.0"
DESCRIPTION = "meeting start and end kept by triggers, backfill, follow-up indexes"

BACKFILL = (
    'UPDATE "meeting" SET "starts_at" = s."starts_at", "ends_at" = s."ends_at" '
    'FROM (SELECT p."meeting" AS "id", MIN(p."starts_at") AS "starts_at", '
    'COALESCE(MAX(p."ends_at"), MIN(p."starts_at")) AS "ends_at" '
    'FROM "meeting_part" p GROUP BY p."meeting") AS s '
    'WHERE "meeting"."id" = s."id" AND s."ends_at" IS NOT NULL'
)

INDEXES = (
    'CREATE INDEX IF NOT EXISTS "meeting_kind_ends_at" ON "meeting" '
    '("kind", "ends_at", "status", "family", "id")',
    'CREATE INDEX IF NOT EXISTS "meeting_followups" ON "meeting" '
    '("parent_id", "status", "family", "starts_at") WHERE "parent_id" IS NOT NULL',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)

    async def install():
        from coordinator.meetings.tables import Meeting

        await triggers.install(spans.MEETING_PART_TIMES.name, ["meeting_part"])
        await Meeting.raw(BACKFILL)
        for statement in INDEXES:
            await Meeting.raw(statement)

    async def uninstall():
        from coordinator.meetings.tables import Meeting

        for name in ("meeting_kind_ends_at", "meeting_followups"):
            await Meeting.raw(f'DROP INDEX IF EXISTS "{name}"')
        if engine_finder().engine_type == "postgres":
            await Meeting.raw('DROP TRIGGER IF EXISTS "meeting_part_times" ON "meeting_part"')
            await Meeting.raw('DROP FUNCTION IF EXISTS "meeting_part_times"()')
        else:
            for operation in ("insert", "update", "delete"):
                await Meeting.raw(f'DROP TRIGGER IF EXISTS "meeting_part_times_{operation}"')

    manager.add_raw(install)
    manager.add_raw_backwards(uninstall)
    return manager
