"""Migrations build the schema from empty and are idempotent, on both engines."""

from coordinator import db
from tests.conftest import all_tables


async def test_migrate_twice_changes_nothing_and_every_table_exists():
    await db.migrate()
    await db.migrate()
    for table in all_tables():
        assert await table.table_exists(), table._meta.tablename
