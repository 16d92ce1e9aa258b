"""Optimistic locking, written once: every versioned row is changed by ``update_versioned``.

A form carries the ``version`` of the row the user saw. The write is
``UPDATE … SET …, version = version + 1 WHERE id = ? AND version = ?``: when someone saved
in between (or the form sent no version at all) nothing is written and ``Conflict`` carries
both sides, so the second writer is told instead of silently overwriting the first.

A write the system makes as a step of a use case (a stage moved on by a task, a check-in,
the GDPR purge) names no version the user saw: it passes ``ANY_VERSION``, and still raises
the version, so a form opened before it is a conflict rather than writing the old value
back. ``update_each_versioned`` is that write for every row meeting a condition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coordinator.errors import Conflict


class _AnyVersion:
    """The type of ``ANY_VERSION``."""

    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION: Any = _AnyVersion()
"""For a follow-on step inside a use case, not a form: the write needs no version the user
saw, the UPDATE's row lock orders the writers. A form's missing version is ``None``: a
conflict."""

DEFAULT_MESSAGE = ("Det er ændret af en anden, siden du åbnede det. Intet af det, du "
                   "indtastede, er gemt. Sammenlign de to udgaver, og prøv igen.")

MISSING_VERSION_MESSAGE = (
    "Formularen kom uden at sige, hvilken udgave af siden du udfyldte, så det kan ikke "
    "afgøres, om en anden har ændret det imens. Intet er gemt. Det, du indtastede, står nedenfor ved "
    "siden af det gemte: åbn siden igen, og indtast dine ændringer dér.")


async def update_versioned(table: Any, row_id: Any, version: int | None,
                           values: Mapping[Any, Any], *, key: Any = None, where: Any = None,
                           message: str = DEFAULT_MESSAGE, mine: Mapping[str, Any] | None = None,
                           shown: Iterable[str] | None = None,
                           labels: Mapping[str, str] | None = None) -> dict:
    """Change the row of ``table`` whose ``key`` (default ``id``) is ``row_id`` if it is still
    at ``version``, raising its version by one; return the changed row.

    ``values`` maps columns (or column names) to new values or expressions; ``where`` is a
    further condition the row must meet (it counts as a conflict when not). A stale or
    missing (``None``) version raises ``Conflict(message, mine, theirs)``: ``mine`` is what the caller
    wanted to save (with the version sent), ``theirs`` the row as saved now (its ``shown``
    fields, every field by default; empty when the row is gone). A missing version says so
    (``MISSING_VERSION_MESSAGE``) instead of ``message``: nobody else need have saved.
    ``labels`` name the fields as the form does, for the conflict page.
    """
    key_column = table.id if key is None else key
    mine = {**dict(mine or {}), "version": None if version is ANY_VERSION else version}
    if version is not None:
        changes = {(getattr(table, name) if isinstance(name, str) else name): value
                   for name, value in values.items()}
        changes[table.version] = table.version + 1
        condition = key_column == row_id
        if version is not ANY_VERSION:
            condition = condition & (table.version == version)
        if where is not None:
            condition = condition & where
        updated = await table.update(changes).where(condition).returning(*table.all_columns())
        if updated:
            return updated[0]
    # Read again: on PostgreSQL a row read before the UPDATE may predate the winner's commit.
    current = await table.select().where(key_column == row_id).first()
    missing = version is None
    if missing:
        message = MISSING_VERSION_MESSAGE
    if current is None:
        raise Conflict(message, mine, {}, missing_version=missing, labels=labels)
    fields = list(current) if shown is None else [*shown, "version"]
    raise Conflict(message, mine, {k: current[k] for k in fields if k in current},
                   missing_version=missing, labels=labels)


async def update_each_versioned(table: Any, where: Any, values: Mapping[Any, Any]) -> int:
    """``update_versioned(table, id, ANY_VERSION, values)`` for every row of ``table`` that
    meets ``where`` (a system write to many rows, such as the GDPR purge); returns how many
    rows changed. Call it inside the use case's transaction."""
    ids = [row["id"] for row in await table.select(table.id).where(where)]
    for row_id in ids:
        await update_versioned(table, row_id, ANY_VERSION, values)
    return len(ids)
