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
- an organisation is marked or added as a protected place (the crisis centre), or a
  protected place's facts change, or a room is at the crisis centre: the calendars named
  it, as a meeting's place or in a meeting's text.

Database triggers do it, so every write path is covered (the services, the demo, a
hand-written fix in psql) and a fetch never sees the change without the forgetting. They replace
the purge's stamp, which every feed version and every kept calendar carries, so no process
sends or records a calendar read before, and give every feed's Last-Modified a new moment
(``_MOMENT``), so a client that asks with If-Modified-Since alone gets the calendar again.
Each trigger tests the row alone first and the database only then, and fires only when the
family gains a children's place or a place becomes protected: an ordinary network edit
costs nothing, and a second teacher of the same school forgets nothing. Registered here
once (``db/triggers.py``); the invites app's migration installs the set.
"""

from __future__ import annotations

from dataclasses import dataclass

from coordinator import db
from coordinator.db import triggers
from coordinator.families import revisions
from coordinator.network.vocab import CHILDRENS_PLACES

NAME = "feed_withdrawal"
TABLES = ("family", "person", "relation", "organisation", "room")

_FRESH = {"postgresql": "gen_random_uuid()::text", "sqlite": "lower(hex(randomblob(12)))"}
_DIFFERS = {"postgresql": "IS DISTINCT FROM", "sqlite": "IS NOT"}

_KINDS = ", ".join(f"'{kind}'" for kind in CHILDRENS_PLACES)


def forget_statements(engine_name: str, moment: bool = False) -> list[str]:
    """What forgetting every served calendar writes: the purge's stamp replaced (first: a
    record of a build waits for this transaction from here), then every link's served
    version and claim, then the copies (``feeds.forget_served`` runs the same). With
    ``moment`` the stamp's row also takes a new moment (``_MOMENT``), part of every feed's
    Last-Modified."""
    columns, values, updates = '"family_id", "stamp"', f"{revisions.PURGE}, {_FRESH[engine_name]}", \
        '"stamp" = excluded."stamp"'
    if moment:
        columns += ', "changed_at"'
        values += f", {_MOMENT[engine_name]}"
        updates += ', "changed_at" = excluded."changed_at"'
    return [
        f'INSERT INTO "content_revision" ({columns}) VALUES ({values}) '
        f'ON CONFLICT ("family_id") DO UPDATE SET {updates}',
        'UPDATE "feed_token" SET "served_etag" = \'\', "served_at" = NULL, '
        '"served_modified" = NULL, "building_since" = NULL, "building_by" = \'\' '
        'WHERE "served_etag" <> \'\' OR "served_at" IS NOT NULL OR "building_by" <> \'\' '
        'OR "building_since" IS NOT NULL',
        'DELETE FROM "feed_copy"',
    ]


# The moment a withdrawal gives every feed's Last-Modified (``feeds.resolve_with_version``
# takes the latest of it and the newest change of a meeting or a network person): a second
# past that newest change, the moment before and every Last-Modified a link was last served
# with (a client may hold any of them, also one of a person deleted since), so a client
# that asks with If-Modified-Since alone (no ETag) gets the calendar again, whatever the
# hosts' clocks say. Whole seconds, as HTTP dates are. Withdrawals are rare (a family that
# gains a children's place, a place that becomes protected), so the moment runs ahead of
# the changes by a second for each; while it is ahead, such a client gets the next changes
# when it has passed (a client with the ETag at once).
_SERVED = 'SELECT max("served_modified") FROM "feed_token"'
_BEFORE = (f'SELECT r."changed_at" FROM "content_revision" r '
           f'WHERE r."family_id" = {revisions.PURGE}')
_CANDIDATES = ('SELECT max("updated_at") FROM "meeting"', 'SELECT max("updated_at") FROM "person"',
               _SERVED, _BEFORE)
_MOMENT = {
    "postgresql": ("GREATEST(" + ", ".join(f"date_trunc('second', ({c}))" for c in _CANDIDATES)
                   + ") + interval '1 second'"),
    "sqlite": ("strftime('%Y-%m-%d %H:%M:%S+00:00', max("
               + ", ".join(f"COALESCE(CAST(strftime('%s', ({c})) AS INTEGER), 0)"
                           for c in _CANDIDATES)
               + ") + 1, 'unixepoch')"),
}


def _kind_of_place(organisation: str) -> str:
    return (f'EXISTS (SELECT 1 FROM "organisation" o WHERE o."id" = {organisation} '
            f'AND o."kind" IN ({_KINDS}))')


def _shielded(family: str) -> str:
    return (f'(EXISTS (SELECT 1 FROM "family" f WHERE f."id" = {family} AND f."at_crisis_centre") '
            f'OR EXISTS (SELECT 1 FROM "person" s WHERE s."family" = {family} '
            'AND s."protected_address"))')


def _has_places(family: str) -> str:
    """The family's network has a school or day care (its children's places, if shielded)."""
    return (f'(EXISTS (SELECT 1 FROM "person" p JOIN "organisation" o ON o."id" = p."organisation" '
            f'WHERE p."family" = {family} AND o."kind" IN ({_KINDS})) '
            f'OR EXISTS (SELECT 1 FROM "relation" r JOIN "organisation" o '
            f'ON o."id" = r."target_organisation" WHERE r."family" = {family} '
            f'AND o."kind" IN ({_KINDS})))')


def _new_place(organisation: str, family: str, this: str) -> str:
    """``organisation`` is a school or day care that no other row of the family's network
    (than ``this``, the person or relation just written) pointed at: a new children's
    place of the family. (Rows one statement writes together count as the family's: only a
    statement by hand writes several.)"""
    other_people = "" if this != "person" else ' AND p."id" <> NEW."id"'
    other_relations = "" if this != "relation" else ' AND r."id" <> NEW."id"'
    return (f'{_kind_of_place(organisation)} '
            f'AND NOT EXISTS (SELECT 1 FROM "person" p WHERE p."family" = {family} '
            f'AND p."organisation" = {organisation}{other_people}) '
            f'AND NOT EXISTS (SELECT 1 FROM "relation" r WHERE r."family" = {family} '
            f'AND r."target_organisation" = {organisation}{other_relations})')


def _used_when_shielded(organisation: str) -> str:
    by_person, by_relation = _shielded('p."family"'), _shielded('r."family"')
    return (f'(EXISTS (SELECT 1 FROM "person" p WHERE p."organisation" = {organisation} '
            f'AND {by_person}) OR EXISTS (SELECT 1 FROM "relation" r '
            f'WHERE r."target_organisation" = {organisation} AND {by_relation}))')


@dataclass(frozen=True)
class _Rule:
    """One trigger: the columns an UPDATE fires on ("" for every write), a first test of the
    row alone, and the test of the database that decides.

    Two writes of one family at once (a protected address, and a relation to the school)
    are decided one after the other, the second seeing the first: on PostgreSQL each write
    of a family's row, people or relations first replaces the family's content stamp
    (``families/revisions.py``, whose trigger fires before these by name), so the second
    waits there for the first to commit, and the tests after it read what it committed.
    Left as they are: an organisation becoming a school while, at the same moment, a family
    using it becomes shielded (two transactions that share no row); and on PostgreSQL, a
    single statement that points two rows of one family at a new school (its row triggers
    run after the whole statement, each seeing the other) – only a statement written by
    hand does either."""

    columns: str
    first: str
    then: str


def rules(engine_name: str) -> dict[tuple[str, str], _Rule]:
    """(table, operation) → when the change forgets every served calendar."""
    differs = _DIFFERS[engine_name]
    family, organisation, target, this_id = ('NEW."family"', 'NEW."organisation"',
                                             'NEW."target_organisation"', 'NEW."id"')
    shielded = _shielded(family)
    moved = f'NEW."family" {differs} OLD."family"'
    protected_facts = " OR ".join(f'NEW."{c}" {differs} OLD."{c}"'
                                  for c in ("name", "address", "phone", "email", "kind"))
    withheld = ('((NEW."protected_address" OR NEW."contact_only_via_worker") '
                'AND (NEW."address" <> \'\' OR NEW."phone" <> \'\' OR NEW."email" <> \'\'))')
    was_withheld = 'OLD."protected_address" OR OLD."contact_only_via_worker"'
    contact_changed = " OR ".join(f'NEW."{c}" {differs} OLD."{c}"'
                                  for c in ("address", "phone", "email"))
    return {
        # checked in at the crisis centre: its schools and day care become children's places
        # (a family already shielded by a protected address has them already)
        ("family", "update"): _Rule('"at_crisis_centre"',
                                    'NEW."at_crisis_centre" AND NOT OLD."at_crisis_centre"',
                                    _has_places('NEW."id"') + ' AND NOT EXISTS (SELECT 1 '
                                    'FROM "person" s WHERE s."family" = NEW."id" '
                                    'AND s."protected_address")'),
        # a person whose contact data is withheld (a protected address, or contact only
        # through the worker: ``safety.Meeting.protected_people``) joins the network, becomes
        # one, or gets new contact data (and has any): a calendar built before may hold
        # what is now hers to keep (typed into a meeting's text while it was not secret);
        # and a protected
        # address shields the family, whose schools and day care become children's places
        ("person", "insert"): _Rule(
            "", f'NEW."protected_address" OR {withheld} OR NEW."organisation" IS NOT NULL',
            f'{withheld} OR (NEW."protected_address" AND {_has_places(family)}) OR '
            f'({_new_place(organisation, family, "person")} '
            f'AND {shielded})'),
        ("person", "update"): _Rule(
            '"protected_address", "contact_only_via_worker", "address", "phone", "email", '
            '"organisation", "family"',
            f'({withheld} AND (NOT ({was_withheld}) OR {moved} OR {contact_changed})) '
            f'OR (NEW."protected_address" AND (NOT OLD."protected_address" OR {moved})) '
            f'OR (NEW."organisation" IS NOT NULL AND (NEW."organisation" {differs} '
            f'OLD."organisation" OR {moved}))',
            f'({withheld} AND (NOT ({was_withheld}) OR {moved} OR {contact_changed})) OR '
            f'(NEW."protected_address" AND (NOT OLD."protected_address" OR {moved}) '
            f'AND {_has_places(family)}) OR '
            f'({_new_place(organisation, family, "person")} '
            f'AND {shielded})'),
        ("relation", "insert"): _Rule(
            "", 'NEW."target_organisation" IS NOT NULL',
            f'{_new_place(target, family, "relation")} '
            f'AND {shielded}'),
        ("relation", "update"): _Rule(
            '"target_organisation", "family"',
            f'NEW."target_organisation" IS NOT NULL AND (NEW."target_organisation" {differs} '
            f'OLD."target_organisation" OR {moved})',
            f'{_new_place(target, family, "relation")} '
            f'AND {shielded}'),
        # an organisation a shielded family uses becomes a school or day care, or such a
        # place is renamed or moved; a place marked protected, or a protected place's facts
        # changed (the calendars named it, or its new address in a meeting's text)
        ("organisation", "update"): _Rule(
            '"kind", "name", "address", "phone", "email", "location_protected"',
            f'(NEW."kind" IN ({_KINDS}) AND (OLD."kind" NOT IN ({_KINDS}) '
            f'OR NEW."name" {differs} OLD."name" OR NEW."address" {differs} OLD."address")) '
            f'OR (NEW."location_protected" AND (NOT OLD."location_protected" OR {protected_facts}))',
            f'NEW."location_protected" OR {_used_when_shielded(this_id)}'),
        ("organisation", "insert"): _Rule("", 'NEW."location_protected"', "1 = 1"),
        # a room at the crisis centre: its address is a protected fact
        ("room", "update"): _Rule('"at_crisis_centre", "location"',
                                  f'NEW."at_crisis_centre" AND (NOT OLD."at_crisis_centre" '
                                  f'OR NEW."location" {differs} OLD."location")', "1 = 1"),
        ("room", "insert"): _Rule("", 'NEW."at_crisis_centre"', "1 = 1"),
    }


def statements(engine_name: str, tables: list[str]) -> list[str]:
    """The DDL that (re)installs the triggers on ``tables`` (of ``TABLES``)."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"{NAME} is not for {sorted(unknown)!r}")
    body = " ".join(f"{statement};" for statement in forget_statements(engine_name, moment=True))
    ddl: list[str] = []
    for (table, operation), rule in rules(engine_name).items():
        if table not in tables:
            continue
        name = f"{NAME}_{table}_{operation}"
        event = f"UPDATE OF {rule.columns}" if rule.columns else operation.upper()
        if engine_name == "postgresql":
            ddl += [
                f'CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql '
                f"AS $body$ BEGIN IF {rule.first} THEN IF {rule.then} THEN {body} "
                "END IF; END IF; RETURN NULL; END $body$",
                f'DROP TRIGGER IF EXISTS "{NAME}_{operation}" ON "{table}"',
                f'CREATE TRIGGER "{NAME}_{operation}" AFTER {event} ON "{table}" '
                f'FOR EACH ROW EXECUTE FUNCTION "{name}"()',
            ]
        else:
            ddl += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" FOR EACH ROW '
                f"WHEN ({rule.first}) AND ({rule.then}) BEGIN {body} END",
            ]
    return ddl


def _expected() -> dict[str, int]:
    """Per table, how many triggers of the set it carries once installed."""
    counts: dict[str, int] = {}
    for table, _operation in rules("sqlite"):  # as many as on PostgreSQL
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
