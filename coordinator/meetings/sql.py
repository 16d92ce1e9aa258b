"""Helpers for the few hand-written SELECTs of the slot finder and the meeting page.

Those statements run on every slot search and page view; building them through Piccolo
(joins through foreign keys, long OR clauses) cost more than running them. Values are
always bound (``{}`` placeholders of ``Table.raw``), never pasted into the text.
"""

from __future__ import annotations

from typing import Any


def columns(table: Any, alias: str) -> str:
    """Every column of ``table`` as ``alias."column" AS "name"``, as Piccolo selects them."""
    return ", ".join(f'{alias}."{c._meta.db_column_name}" AS "{c._meta.name}"'
                     for c in table._meta.columns)


def marks(values: list) -> str:
    """One placeholder per value, for an ``IN (…)`` list."""
    return ", ".join("{}" for _ in values)
