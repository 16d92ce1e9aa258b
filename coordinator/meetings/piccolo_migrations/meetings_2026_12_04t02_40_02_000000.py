"""The referral questions as a list: each line of a familierådslagning's questions becomes
one ``fgc_question`` row (the table is made by the migration before; a raw step runs
before the tables of its own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T02:40:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "fgc questions from the referral text"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)

    async def backfill():
        from coordinator.meetings.tables import FgcCase

        cases = await FgcCase.raw('SELECT "id", "questions" FROM "fgc_case"')
        for case in cases:
            lines = [line.strip() for line in (case["questions"] or "").splitlines()]
            for position, text in enumerate(line for line in lines if line):
                await FgcCase.raw(
                    'INSERT INTO "fgc_question" ("case", "text", "position") VALUES ({}, {}, {})',
                    case["id"], text, position)

    manager.add_raw(backfill)
    return manager
