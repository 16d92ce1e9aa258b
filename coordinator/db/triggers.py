"""Triggers are schema: each set is declared once here, and migrations install it.

A trigger set is registered by the module that owns its rule (the content stamps by
``families/revisions.py``) with a function that writes the DDL for some of its tables on
one engine. A migration installs the set on the tables it creates or rebuilds
(``await triggers.install("content_stamp", ["person", …])``), in the migration's own
transaction; starting a process installs nothing. A test compares the live schema with
the registry after the migrations, so a migration that drops a trigger fails the suite.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from coordinator.db.engines import engine, engine_name


@dataclass(frozen=True)
class TriggerSet:
    """A named family of triggers: its DDL per table and engine, and what is installed."""

    name: str
    tables: frozenset[str]  # the tables that must carry it once every migration ran
    statements: Callable[[str, list[str]], list[str]]  # (engine name, tables) -> DDL
    installed: Callable[[], Awaitable[set[str]]]  # the tables that carry it in the schema


_REGISTRY: dict[str, TriggerSet] = {}


def register(trigger_set: TriggerSet) -> TriggerSet:
    """Declare a trigger set (once per name; registering the same name again replaces it)."""
    _REGISTRY[trigger_set.name] = trigger_set
    return trigger_set


def registered() -> dict[str, TriggerSet]:
    """Every declared trigger set by name."""
    return dict(_REGISTRY)


async def install(name: str, tables: Iterable[str]) -> None:
    """Install (or replace) the trigger set ``name`` on ``tables``: for migrations."""
    trigger_set = _REGISTRY[name]
    for statement in trigger_set.statements(engine_name(), list(tables)):
        await engine().run_ddl(statement, in_pool=False)


def migration(app_name: str, migration_id: str, description: str, name: str,
              tables: list[str]) -> MigrationManager:
    """The migration of ``app_name`` that installs the trigger set ``name`` on ``tables``."""
    manager = MigrationManager(migration_id=migration_id, app_name=app_name,
                               description=description)

    async def install_them() -> None:
        await install(name, tables)

    manager.add_raw(install_them)
    return manager
