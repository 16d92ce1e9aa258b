"""Keep each meeting's start and end in step with its parts, fill them in, and index them
for the leaders' follow-up figures.

``meeting.starts_at`` is MIN(starts_at) of the meeting's parts; ``meeting.ends_at`` is
MAX(ends_at), or the start when no part has an end. Database triggers on ``meeting_part``
keep them, so every write path (the services, demo data, a test's builder, a restore, a
hand-written fix) is covered and they commit with the parts. A trigger writes the meeting
only when a value changes.

The indexes carry every column the follow-up figures read, so those statements read an
index and not the meetings themselves: the meetings of a kind that ended in a range of
moments (``meeting_kind_ends_at``), and the follow-up meetings of a meeting
(``meeting_followups``, only meetings that follow another one up).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T00:20:43:000000"
VERSION = "1.38.0"
DESCRIPTION = "meeting start and end kept by triggers, backfill, follow-up indexes"

_STARTS = 'SELECT MIN(p."starts_at") FROM "meeting_part" p WHERE p."meeting" = {row}."meeting"'
_ENDS = ('SELECT COALESCE(MAX(p."ends_at"), MIN(p."starts_at")) FROM "meeting_part" p '
         'WHERE p."meeting" = {row}."meeting"')


def _refresh(row: str, differs: str) -> str:
    """UPDATE the start and end of the meeting of ``row`` (NEW or OLD) when they change."""
    starts, ends = _STARTS.format(row=row), _ENDS.format(row=row)
    return (f'UPDATE "meeting" SET "starts_at" = ({starts}), "ends_at" = ({ends}) '
            f'WHERE "id" = {row}."meeting" '
            f'AND ("starts_at" {differs} ({starts}) OR "ends_at" {differs} ({ends}))')


SQLITE_TRIGGERS = (
    'CREATE TRIGGER "meeting_part_times_insert" AFTER INSERT ON "meeting_part" '
    f'BEGIN {_refresh("NEW", "IS NOT")}; END',
    'CREATE TRIGGER "meeting_part_times_update" AFTER UPDATE OF "starts_at", "ends_at", '
    f'"meeting" ON "meeting_part" BEGIN {_refresh("NEW", "IS NOT")}; '
    f'{_refresh("OLD", "IS NOT")}; END',
    'CREATE TRIGGER "meeting_part_times_delete" AFTER DELETE ON "meeting_part" '
    f'BEGIN {_refresh("OLD", "IS NOT")}; END',
)

POSTGRES_TRIGGERS = (
    'CREATE OR REPLACE FUNCTION "meeting_part_times"() RETURNS trigger LANGUAGE plpgsql '
    "AS $body$ BEGIN "
    f"IF TG_OP <> 'DELETE' THEN {_refresh('NEW', 'IS DISTINCT FROM')}; END IF; "
    f"IF TG_OP = 'DELETE' THEN {_refresh('OLD', 'IS DISTINCT FROM')}; "
    "ELSIF TG_OP = 'UPDATE' THEN "
    'IF OLD."meeting" IS DISTINCT FROM NEW."meeting" THEN '
    f"{_refresh('OLD', 'IS DISTINCT FROM')}; END IF; "
    "END IF; "
    "RETURN NULL; END $body$",
    'CREATE TRIGGER "meeting_part_times" AFTER INSERT OR DELETE OR UPDATE OF "starts_at", '
    '"ends_at", "meeting" ON "meeting_part" FOR EACH ROW EXECUTE FUNCTION "meeting_part_times"()',
)

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

        postgres = engine_finder().engine_type == "postgres"
        for statement in (POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS):
            await Meeting.raw(statement)
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
