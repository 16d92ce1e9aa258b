"""The minutes a held meeting had (``meeting.minutes``, one text) move into its agenda, as a
point of their own (``agenda.MINUTES_POINT``), so nothing typed is lost; a meeting still
being planned gets its kind's default agenda. Then the agenda's content-stamp triggers
(the meeting page shows the agenda, and is kept under its family's stamps)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from coordinator import db
from coordinator.db import triggers
from coordinator.families import revisions
from coordinator.meetings import agenda, kinds

ID = "2026-12-04T19:08:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "meeting minutes into the agenda; default agendas; agenda triggers"

_INSERT = ('INSERT INTO "agenda_point" ("meeting", "position", "title", "part_key", "minutes", '
           '"minutes_by_name", "minutes_at", "version", "created_at") '
           'VALUES ({}, {}, {}, {}, {}, {}, {}, 1, {})')


async def backfill() -> None:
    meetings = await db.fetch('SELECT "id", "kind", "status", "minutes", "updated_at" '
                              'FROM "meeting" ORDER BY "id"')
    for meeting in meetings:
        if await db.fetch('SELECT 1 AS "yes" FROM "agenda_point" WHERE "meeting" = {} LIMIT 1',
                          meeting["id"]):
            continue  # already has an agenda (run twice)
        if (meeting["minutes"] or "").strip():
            await db.fetch(_INSERT, meeting["id"], 0, agenda.MINUTES_POINT, "",
                           meeting["minutes"], "", meeting["updated_at"], meeting["updated_at"])
        elif meeting["status"] in kinds.OPEN_STATUSES:
            for position, (part_key, title) in enumerate(kinds.default_agenda(meeting["kind"])):
                await db.fetch(_INSERT, meeting["id"], position, title, part_key, "", "", None,
                               meeting["updated_at"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetings", description=DESCRIPTION)

    async def run() -> None:
        await backfill()
        await triggers.install(revisions.CONTENT_STAMP.name, ["agenda_point"])

    manager.add_raw(run)
    return manager
