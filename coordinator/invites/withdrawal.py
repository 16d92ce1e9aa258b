"""Calendars served before a family became shielded, or a place protected, are never sent again.

A shielded family's (a protected address, or at the crisis centre) children's schools and
day care are withheld from every calendar feed (``meetings.safety``, *The children's
places*). A feed's calendar is kept once built (in each process and as the copy on its
link, ``invites.feeds``) and sent again while it is the latest, so a calendar built before
the family became shielded could go on naming the school. Whatever makes a school or day
care one of a shielded family's children's places therefore forgets every calendar served,
as the GDPR purge does (``feeds.forget_served``), in the transaction of the change:

- the family is checked in at the crisis centre;
- a person of the family gets a protected address;
- a person of a shielded family works at a school or day care, or a relation of it points
  at one;
- a school or day care that a shielded family uses is renamed or moved, or an organisation
  it uses becomes one;
- an organisation is marked a protected place (the crisis centre), or a room as at the
  crisis centre: the calendars named the meetings held there.

Database triggers do it, so every write path is covered (the services, a restore, a
hand-written fix) and a fetch never sees the change without the forgetting. They replace
the purge's stamp, which every feed version and every kept calendar carries, so no process
sends or records a calendar read before. Registered here once (``db/triggers.py``); the
invites app's migration installs the set. Each trigger runs its statements only when its
condition holds, so an ordinary network edit costs a lookup or two.
"""

from __future__ import annotations

from coordinator import db
from coordinator.db import triggers
from coordinator.families import revisions
from coordinator.network.vocab import CHILDRENS_PLACES

NAME = "feed_withdrawal"
TABLES = ("family", "person", "relation", "organisation", "room")

_FRESH = {"postgresql": "gen_random_uuid()::text", "sqlite": "lower(hex(randomblob(12)))"}
_DIFFERS = {"postgresql": "IS DISTINCT FROM", "sqlite": "IS NOT"}

_KINDS = ", ".join(f"'{kind}'" for kind in CHILDRENS_PLACES)


def forget_statements(engine_name: str) -> list[str]:
    """What forgetting every served calendar writes: the purge's stamp replaced (first: a
    record of a build waits for this transaction from here), then every link's served
    version and claim, then the copies (``feeds.forget_served`` runs the same)."""
    return [
        f'INSERT INTO "content_revision" ("family_id", "stamp") VALUES ({revisions.PURGE}, '
        f'{_FRESH[engine_name]}) ON CONFLICT ("family_id") DO UPDATE SET "stamp" = excluded."stamp"',
        'UPDATE "feed_token" SET "served_etag" = \'\', "served_at" = NULL, '
        '"served_modified" = NULL, "building_since" = NULL, "building_by" = \'\' '
        'WHERE "served_etag" <> \'\' OR "served_at" IS NOT NULL OR "building_by" <> \'\' '
        'OR "building_since" IS NOT NULL',
        'DELETE FROM "feed_copy"',
    ]


# A second after the newest change of a meeting or a network person (what a feed's
# Last-Modified is, ``feeds.resolve_with_version``), in each engine's way of storing it.
_AFTER_NEWEST = {
    "postgresql": ('(GREATEST((SELECT max("updated_at") FROM "meeting"), '
                   '(SELECT max("updated_at") FROM "person")) + interval \'1 second\')'),
    "sqlite": ("strftime('%Y-%m-%d %H:%M:%f+00:00', max("
               "COALESCE((SELECT max(\"updated_at\") FROM \"meeting\"), ''), "
               "COALESCE((SELECT max(\"updated_at\") FROM \"person\"), '')), '+1 second')"),
}


def _touch_meetings(engine_name: str, which: str) -> str:
    """The meetings ``which`` (an SQL condition) says changed a second after the newest
    change: a client that asks with If-Modified-Since alone (no ETag) gets the calendar
    again."""
    return f'UPDATE "meeting" SET "updated_at" = {_AFTER_NEWEST[engine_name]} WHERE {which}'


def _of_families(families: str) -> str:
    return f'"family" IN ({families})'


def _place(organisation: str) -> str:
    return (f'EXISTS (SELECT 1 FROM "organisation" o WHERE o."id" = {organisation} '
            f'AND o."kind" IN ({_KINDS}))')


def _shielded(family: str) -> str:
    return (f'(EXISTS (SELECT 1 FROM "family" f WHERE f."id" = {family} AND f."at_crisis_centre") '
            f'OR EXISTS (SELECT 1 FROM "person" s WHERE s."family" = {family} '
            'AND s."protected_address"))')


def _used_when_shielded(organisation: str) -> str:
    by_person, by_relation = _shielded('p."family"'), _shielded('r."family"')
    return (f'(EXISTS (SELECT 1 FROM "person" p WHERE p."organisation" = {organisation} '
            f'AND {by_person}) OR EXISTS (SELECT 1 FROM "relation" r '
            f'WHERE r."target_organisation" = {organisation} AND {by_relation}))')


def conditions(engine_name: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(table, operation) → (the columns an UPDATE fires on, "" for every write; the
    condition under which the change forgets every served calendar; which meetings it
    concerns, as an SQL condition on the meeting)."""
    differs = _DIFFERS[engine_name]
    shielded = _shielded('NEW."family"')
    works_at_place = _place('NEW."organisation"') + f" AND {shielded}"
    points_at_place = _place('NEW."target_organisation"') + f" AND {shielded}"
    used = _used_when_shielded('NEW."id"')
    moved = f'NEW."family" {differs} OLD."family"'
    family = _of_families('NEW."family"')
    return {
        ("family", "update"): ('"at_crisis_centre"',
                               'NEW."at_crisis_centre" AND NOT OLD."at_crisis_centre"',
                               _of_families('NEW."id"')),
        ("person", "insert"): ("", f'NEW."protected_address" OR ({works_at_place})', family),
        ("person", "update"): (
            '"protected_address", "organisation", "family"',
            f'(NEW."protected_address" AND (NOT OLD."protected_address" OR {moved})) '
            f'OR ((NEW."organisation" {differs} OLD."organisation" OR {moved}) '
            f'AND {works_at_place})', family),
        ("relation", "insert"): ("", points_at_place, family),
        ("relation", "update"): (
            '"target_organisation", "family"',
            f'(NEW."target_organisation" {differs} OLD."target_organisation" OR {moved}) '
            f'AND {points_at_place}', family),
        # A school or day care a shielded family uses renamed, moved or newly one; or any
        # organisation marked a protected place (the crisis centre), whose meetings the
        # calendars named until then.
        ("organisation", "update"): (
            '"kind", "name", "address", "location_protected"',
            f'((NEW."kind" {differs} OLD."kind" OR NEW."name" {differs} OLD."name" '
            f'OR NEW."address" {differs} OLD."address") '
            f'AND NEW."kind" IN ({_KINDS}) AND {used}) '
            'OR (NEW."location_protected" AND NOT OLD."location_protected")',
            _of_families('SELECT p."family" FROM "person" p WHERE p."organisation" = NEW."id" '
                         'UNION SELECT r."family" FROM "relation" r '
                         'WHERE r."target_organisation" = NEW."id"')
            + ' OR "location_organisation" = NEW."id"'),
        # A room marked as at the crisis centre, or such a room moved: its meetings' place.
        ("room", "update"): (
            '"at_crisis_centre", "location"',
            f'NEW."at_crisis_centre" AND (NOT OLD."at_crisis_centre" '
            f'OR NEW."location" {differs} OLD."location")', '"room" = NEW."id"'),
    }


def statements(engine_name: str, tables: list[str]) -> list[str]:
    """The DDL that (re)installs the triggers on ``tables`` (of ``TABLES``)."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"{NAME} is not for {sorted(unknown)!r}")
    ddl: list[str] = []
    for (table, operation), (columns, condition, which) in conditions(engine_name).items():
        if table not in tables:
            continue
        name = f"{NAME}_{table}_{operation}"
        event = f"UPDATE OF {columns}" if columns else operation.upper()
        forget = [*forget_statements(engine_name), _touch_meetings(engine_name, which)]
        if engine_name == "postgresql":
            body = " ".join(f"{statement};" for statement in forget)
            ddl += [
                f'CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql '
                f"AS $body$ BEGIN IF {condition} THEN {body} END IF; RETURN NULL; END $body$",
                f'DROP TRIGGER IF EXISTS "{NAME}_{operation}" ON "{table}"',
                f'CREATE TRIGGER "{NAME}_{operation}" AFTER {event} ON "{table}" '
                f'FOR EACH ROW EXECUTE FUNCTION "{name}"()',
            ]
        else:
            body = " ".join(f"{statement};" for statement in forget)
            ddl += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" FOR EACH ROW '
                f"WHEN {condition} BEGIN {body} END",
            ]
    return ddl


def _expected() -> dict[str, int]:
    """Per table, how many triggers of the set it carries once installed."""
    counts: dict[str, int] = {}
    for table, _operation in conditions("sqlite"):  # as many as on PostgreSQL
        counts[table] = counts.get(table, 0) + 1
    return counts


async def installed() -> set[str]:
    """The tables that carry every trigger of the set in the live schema."""
    if db.engine_name() == "postgresql":
        rows = await db.fetch(
            "SELECT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            f"WHERE t.tgname LIKE '{NAME}_%' AND NOT t.tgisinternal")
    else:
        rows = await db.fetch("SELECT tbl_name AS name FROM sqlite_master "
                              f"WHERE type = 'trigger' AND name LIKE '{NAME}_%'")
    found: dict[str, int] = {}
    for row in rows:
        found[row["name"]] = found.get(row["name"], 0) + 1
    return {table for table, count in _expected().items() if found.get(table) == count}


FEED_WITHDRAWAL = triggers.register(triggers.TriggerSet(
    name=NAME, tables=frozenset(TABLES), statements=statements, installed=installed))
