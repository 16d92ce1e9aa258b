"""Which tables a piece of code reads: every statement is captured, whichever way it runs
(Piccolo's query builder, ``db.fetch``, or ``db.rows``, which calls the statements module's
own ``fetch``), while ``reading.on`` is true.

The cache tests use it to prove that every table a cached page or list reads is watched by
a content-stamp trigger (``families/revisions.WATCHED``).
"""

from __future__ import annotations

import re

from coordinator import db
from coordinator.db import statements

TABLE = re.compile(r'(?:FROM|JOIN)\s+"([a-z_]+)"')


class TablesRead:
    """The tables named by the statements run while ``on`` is true, and the statements."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.statements: list[str] = []
        self.on = False

    def note(self, sql: str) -> None:
        if self.on:
            self.tables.update(TABLE.findall(sql))
            self.statements.append(sql)

    def reading(self, table: str) -> list[str]:
        """The statements that named ``table``."""
        return [sql for sql in self.statements if table in TABLE.findall(sql)]


def capture_tables(monkeypatch) -> TablesRead:
    """Start capturing (``reading.on = True`` to record) for the rest of the test."""
    reading = TablesRead()
    engine_class = type(db.engine())
    original_run = engine_class.run_querystring

    async def run_querystring(engine, querystring, *args, **kwargs):
        reading.note(str(querystring))
        return await original_run(engine, querystring, *args, **kwargs)

    original_fetch = statements.fetch

    async def fetch(sql, *args, **kwargs):
        reading.note(sql)
        return await original_fetch(sql, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", run_querystring)
    monkeypatch.setattr(statements, "fetch", fetch)  # db.rows calls it by this name
    monkeypatch.setattr(db, "fetch", fetch)
    return reading
