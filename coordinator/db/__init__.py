"""The data layer: the engine, the statement runner, transactions, optimistic locking and
the triggers that migrations install.

- ``engines``: the one engine every table uses (``configure(settings)`` chooses it by
  DATABASE_URL);
  ``sqlite``: the pooled SQLite engine; ``postgres``: PostgreSQL's, whose requests hold one
  connection each;
- ``statements``: ``fetch`` / ``fetch_in`` / ``rows`` / ``columns`` / ``marks``, ``transaction``,
  ``one_connection`` and ``is_unique_violation``;
- ``versioned``: ``update_versioned`` and its ``Conflict``, ``ANY_VERSION`` for a system
  write and ``update_each_versioned`` for one to many rows;
- ``triggers``: the registry of triggers, installed by migrations;
- ``lifecycle``: the connectivity check, ``migrate``, ``start`` and ``stop``.

Callers use the names re-exported here (``db.fetch``, ``db.transaction`` …).
"""

from __future__ import annotations

from coordinator.db.engines import configure, engine, engine_name
from coordinator.db.lifecycle import (
    DatabaseUnavailable,
    check_connection,
    migrate,
    prepare_sqlite,
    start,
    stop,
)
from coordinator.db.sqlite import PooledSQLiteEngine
from coordinator.db.statements import (
    columns,
    fetch,
    fetch_in,
    give_back_connection,
    in_transaction,
    is_unique_violation,
    marks,
    one_connection,
    rows,
    transaction,
)
from coordinator.db.versioned import ANY_VERSION, update_each_versioned, update_versioned
from coordinator.errors import Conflict

__all__ = [
    "ANY_VERSION", "Conflict", "DatabaseUnavailable", "PooledSQLiteEngine", "check_connection", "columns",
    "configure", "engine", "engine_name", "fetch", "fetch_in", "give_back_connection", "in_transaction",
    "is_unique_violation", "marks",
    "migrate", "one_connection", "prepare_sqlite", "rows", "start", "stop", "transaction", "update_each_versioned",
    "update_versioned",
]
