"""A meeting's start and end kept in step with its parts by database triggers.

``meeting.starts_at`` is MIN(starts_at) of the meeting's parts; ``meeting.ends_at`` is
MAX(ends_at), or the start when no part has an end. Triggers on ``meeting_part`` keep
them, so every write path (the services, demo data, a test's builder, a restore, a
hand-written fix) is covered and they commit with the parts. A trigger writes the meeting
only when a value changes. The set is declared here once (``db/triggers.py``); the
meetings app's migration installs it.
"""

from __future__ import annotations

from coordinator import db
from coordinator.db import triggers

_STARTS = 'SELECT MIN(p."starts_at") FROM "meeting_part" p WHERE p."meeting" = {row}."meeting"'
_ENDS = ('SELECT COALESCE(MAX(p."ends_at"), MIN(p."starts_at")) FROM "meeting_part" p '
         'WHERE p."meeting" = {row}."meeting"')


def _refresh(row: str, differs: str) -> str:
    """UPDATE the start and end of the meeting of ``row`` (NEW or OLD) when they change."""
    starts, ends = _STARTS.format(row=row), _ENDS.format(row=row)
    return (f'UPDATE "meeting" SET "starts_at" = ({starts}), "ends_at" = ({ends}) '
            f'WHERE "id" = {row}."meeting" '
            f'AND ("starts_at" {differs} ({starts}) OR "ends_at" {differs} ({ends}))')


def statements(engine_name: str, tables: list[str]) -> list[str]:
    """The DDL that (re)installs the triggers; ``tables`` can only be ``meeting_part``."""
    if tables != ["meeting_part"]:
        raise ValueError(f"meeting_part_times is for meeting_part only, not {tables!r}")
    if engine_name == "postgresql":
        return [
            'CREATE OR REPLACE FUNCTION "meeting_part_times"() RETURNS trigger LANGUAGE plpgsql '
            "AS $body$ BEGIN "
            f"IF TG_OP <> 'DELETE' THEN {_refresh('NEW', 'IS DISTINCT FROM')}; END IF; "
            f"IF TG_OP = 'DELETE' THEN {_refresh('OLD', 'IS DISTINCT FROM')}; "
            "ELSIF TG_OP = 'UPDATE' THEN "
            'IF OLD."meeting" IS DISTINCT FROM NEW."meeting" THEN '
            f"{_refresh('OLD', 'IS DISTINCT FROM')}; END IF; "
            "END IF; "
            "RETURN NULL; END $body$",
            'DROP TRIGGER IF EXISTS "meeting_part_times" ON "meeting_part"',
            'CREATE TRIGGER "meeting_part_times" AFTER INSERT OR DELETE OR UPDATE OF '
            '"starts_at", "ends_at", "meeting" ON "meeting_part" FOR EACH ROW '
            'EXECUTE FUNCTION "meeting_part_times"()',
        ]
    return [
        *(f'DROP TRIGGER IF EXISTS "meeting_part_times_{operation}"'
          for operation in ("insert", "update", "delete")),
        'CREATE TRIGGER "meeting_part_times_insert" AFTER INSERT ON "meeting_part" '
        f'BEGIN {_refresh("NEW", "IS NOT")}; END',
        'CREATE TRIGGER "meeting_part_times_update" AFTER UPDATE OF "starts_at", "ends_at", '
        f'"meeting" ON "meeting_part" BEGIN {_refresh("NEW", "IS NOT")}; '
        f'{_refresh("OLD", "IS NOT")}; END',
        'CREATE TRIGGER "meeting_part_times_delete" AFTER DELETE ON "meeting_part" '
        f'BEGIN {_refresh("OLD", "IS NOT")}; END',
    ]


async def installed() -> set[str]:
    """``{"meeting_part"}`` when the live schema carries the triggers, else nothing."""
    if db.engine_name() == "postgresql":
        rows = await db.fetch("SELECT 1 AS found FROM pg_trigger "
                              "WHERE tgname = 'meeting_part_times' AND NOT tgisinternal")
        return {"meeting_part"} if rows else set()
    rows = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                          "AND tbl_name = 'meeting_part' AND name LIKE 'meeting_part_times_%'")
    return {"meeting_part"} if len(rows) == 3 else set()


MEETING_PART_TIMES = triggers.register(triggers.TriggerSet(
    name="meeting_part_times", tables=frozenset({"meeting_part"}),
    statements=statements, installed=installed))
