"""Migrations build the schema from empty and are idempotent, on both engines."""

import importlib
import re

from coordinator import db
from coordinator.db import triggers
from coordinator.families import revisions
from coordinator.network.tables import Person
from tests import factories as f
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


async def _live_stamp_triggers() -> set[str]:
    """The content-stamp triggers as the database holds them: SQLite's CREATE TRIGGER text,
    PostgreSQL's trigger functions as name and body."""
    if db.engine_name() == "postgresql":
        rows = await db.fetch("SELECT proname, prosrc FROM pg_proc "
                              "WHERE proname LIKE 'content_stamp%'")
        return {f"{row['proname']}:{row['prosrc']}" for row in rows}
    rows = await db.fetch("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                          "AND name LIKE 'content_stamp_%'")
    return {row["sql"] for row in rows}


def _current_stamp_triggers() -> set[str]:
    statements = revisions.trigger_statements(db.engine_name())
    if db.engine_name() == "postgresql":
        functions = [re.fullmatch(r'CREATE OR REPLACE FUNCTION "(\w+)"\(\).*?\$body\$(.*)\$body\$',
                                  statement, re.S) for statement in statements]
        return {f"{found.group(1)}:{found.group(2)}" for found in functions if found}
    return {statement for statement in statements if statement.startswith("CREATE TRIGGER")}


async def test_the_network_stamp_migrations_bring_an_older_database_up_to_date(monkeypatch):
    """A database migrated before the network stamp came: its network tables' triggers
    replace only the family's stamp. The migrations of 2026-12-05T21:00 write them again
    (the live definitions equal the current ones) and start every family's network stamp
    as its stamp."""
    worker = await f.user()
    family_id = await f.family(worker)
    tables = sorted(revisions.NETWORK)
    try:
        with monkeypatch.context() as before:
            before.setattr(revisions, "NETWORK", frozenset())
            await triggers.install(revisions.CONTENT_STAMP.name, tables)
        assert await _live_stamp_triggers() != _current_stamp_triggers()
        await Person.insert(Person(family=family_id, name="Ny", sector="private_network"))
        [row] = await db.fetch('SELECT "stamp", "network_stamp" FROM "content_revision" '
                               'WHERE "family_id" = {}', family_id)
        old_network = row["network_stamp"]
        assert row["stamp"] != old_network  # the old triggers left it behind
        for module in ("coordinator.families.piccolo_migrations.families_2026_12_05t21_00_01_000000",
                       "coordinator.network.piccolo_migrations.network_2026_12_05t21_00_00_000000"):
            await (await importlib.import_module(module).forwards()).run()
        assert await _live_stamp_triggers() == _current_stamp_triggers()
        [row] = await db.fetch('SELECT "stamp", "network_stamp" FROM "content_revision" '
                               'WHERE "family_id" = {}', family_id)
        assert row["network_stamp"] == row["stamp"]
        await db.fetch('UPDATE "person" SET "name" = {} WHERE "family" = {}', "Omdøbt", family_id)
        [after] = await db.fetch('SELECT "network_stamp" FROM "content_revision" '
                                 'WHERE "family_id" = {}', family_id)
        assert after["network_stamp"] != row["network_stamp"]
    finally:
        await triggers.install(revisions.CONTENT_STAMP.name, tables)
