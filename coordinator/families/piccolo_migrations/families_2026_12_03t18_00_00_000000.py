"""An index for the start page's next case reference: ``cases.suggest_reference`` reads the
references that start with this year (``reference LIKE '2026-%'``) on every start page.

The unique index on ``reference`` cannot answer a prefix LIKE: on PostgreSQL only in the
"C" collation (``C.UTF-8`` is not), on SQLite only when LIKE is case-sensitive. So
PostgreSQL gets a ``varchar_pattern_ops`` index and SQLite a ``NOCASE`` one (its LIKE
ignores ASCII case); without them the start page read every family (13 ms at national
scale, bench/results/search-postgresql-national.md).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "family reference prefix index"

POSTGRES = ('CREATE INDEX IF NOT EXISTS "family_reference_prefix" ON "family" '
            '("reference" varchar_pattern_ops)')
SQLITE = ('CREATE INDEX IF NOT EXISTS "family_reference_prefix" ON "family" '
          '("reference" COLLATE NOCASE)')


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="families", description=DESCRIPTION)

    async def install():
        from coordinator.families.tables import Family

        await Family.raw(POSTGRES if engine_finder().engine_type == "postgres" else SQLITE)

    async def uninstall():
        from coordinator.families.tables import Family

        await Family.raw('DROP INDEX IF EXISTS "family_reference_prefix"')

    manager.add_raw(install)
    manager.add_raw_backwards(uninstall)
    return manager
