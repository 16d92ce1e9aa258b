"""Content-stamp triggers on the families app's tables, installed by its migration.

Until now every process start re-installed them after the migrations (recording what it had
installed in ``content_revision`` row -1, which goes); they are schema, so the migrations
install them (``db/triggers.py``) and a start touches no table.
"""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers installed by the migrations"

TABLES = ["family", "team_member", "content_revision"]  # the stamps: their TRUNCATE trigger


async def forwards():
    manager = triggers.migration("families", ID, DESCRIPTION, revisions.CONTENT_STAMP.name, TABLES)

    async def forget_the_start_up_record():
        from coordinator.families.tables import ContentRevision

        await ContentRevision.raw('DELETE FROM "content_revision" WHERE "family_id" = {}', -1)

    manager.add_raw(forget_the_start_up_record)
    return manager
