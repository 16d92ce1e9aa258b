"""Content-stamp triggers on this app"s watched tables (``families/revisions.py``).

Until now every start re-installed them after the migrations; they are schema, so the
migrations install them (``db/triggers.py``), and a process start touches no table.
Replacing them is harmless where a start had installed them already.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers installed by the migrations"

TABLES = ["agreement", "agreement_party", "agreement_evaluation", "agreement_version"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="agreements", description=DESCRIPTION)

    async def install():
        from coordinator.db import triggers
        from coordinator.families import revisions  # registers the content_stamp set

        await triggers.install(revisions.CONTENT_STAMP.name, TABLES)

    manager.add_raw(install)
    return manager
