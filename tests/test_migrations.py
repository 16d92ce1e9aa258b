"""Migrations build the schema from empty and are idempotent, on both engines."""

from coordinator import db
from tests.conftest import all_tables


async def test_migrate_twice_changes_nothing_and_every_table_exists():
    await db.migrate()
    await db.migrate()
    for table in all_tables():
        assert await table.table_exists(), table._meta.tablename


async def _index_names(table: str) -> set[str]:
    if db.engine_name() == "postgresql":
        rows = await db.fetch("SELECT indexname AS name FROM pg_indexes WHERE tablename = {}",
                              table)
    else:
        rows = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'index' "
                              "AND tbl_name = {}", table)
    return {row["name"] for row in rows}


async def test_the_feed_version_indexes_exist_once_their_apps_migrated():
    """The partner feeds' version query reads max(updated_at) by index; the meetings and
    network apps own those indexes (the invites app created them before)."""
    assert "meeting_updated_at_feed" in await _index_names("meeting")
    assert "person_updated_at_feed" in await _index_names("person")
