"""The start page's next case reference from an index, not from the year's references.

``cases.suggest_reference`` runs on every start page. It read every reference of the year
through the prefix index of the families migration 2026-12-03T18:00: a region opening
25,000 cases a year would read them all on every start page. This index orders a year's
references by length, then text: the longest and, among those, the highest numbers come
first, so the suggestion reads a handful of rows backwards from the end (``ORDER BY
length(reference) DESC, reference DESC LIMIT``). The same expressions on both engines; the
prefix index had no other reader and goes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

# Backwards, the prefix index this one replaces, as its own migration made it.
from coordinator.families.piccolo_migrations.families_2026_12_03t18_00_00_000000 import (
    POSTGRES as PREFIX_POSTGRES,
    SQLITE as PREFIX_SQLITE,
)

ID = "2026-12-06T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "family reference number index"

CREATE = ('CREATE INDEX IF NOT EXISTS "family_reference_number" ON "family" '
          '(substr("reference", 1, 5), length("reference"), "reference")')


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="families", description=DESCRIPTION)

    async def install():
        from coordinator.families.tables import Family

        await Family.raw(CREATE)
        await Family.raw('DROP INDEX IF EXISTS "family_reference_prefix"')

    async def uninstall():
        from coordinator.families.tables import Family

        await Family.raw(PREFIX_POSTGRES if engine_finder().engine_type == "postgres" else PREFIX_SQLITE)
        await Family.raw('DROP INDEX IF EXISTS "family_reference_number"')

    manager.add_raw(install)
    manager.add_raw_backwards(uninstall)
    return manager
