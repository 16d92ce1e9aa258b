"""The protected places' facts as the database holds them, for every reader of them: the
meeting page, the screen on save, the invitations, the feeds and the reminders.

Each protected organisation's name, address, phone and domain
(``protected.organisation_facts``) and the address of every room at a crisis centre. They
are the same for every family: where the mother and children are. Organisations and rooms
are shared data (``families/revisions.py``), so the facts are read again whenever the
shared data's stamp has changed – read first, as the pages do – not on every page, save
and mail.
"""

from __future__ import annotations

from collections.abc import Iterable

from coordinator import db
from coordinator.cache import BoundedCache
from coordinator.families import revisions
from coordinator.meetings import participants, protected, safety
from coordinator.meetings.tables import Room
from coordinator.network.tables import Organisation
from coordinator.network.vocab import CHILDRENS_PLACES, childrens_place_facts

_facts: BoundedCache[str, protected.Facts] = BoundedCache("protected facts", 4)


async def protected_facts() -> protected.Facts:
    """Every protected place's facts, searched for as one (``protected.Facts``)."""
    stamp = await revisions.shared_stamp()
    kept = _facts.get(stamp)
    if kept is not None:
        return kept
    orgs = await Organisation.select(
        Organisation.name, Organisation.address, Organisation.phone, Organisation.email,
        Organisation.kind,
    ).where(Organisation.location_protected.eq(True)).order_by(Organisation.id)
    rooms = await Room.select(Room.location).where(
        Room.at_crisis_centre.eq(True)).order_by(Room.id)
    facts = [f for o in orgs for f in protected.organisation_facts(
        o["name"], o["address"], o["phone"], o["email"], o["kind"])]
    facts += [r["location"] for r in rooms if r["location"].strip()]
    unique = tuple(dict.fromkeys(facts))
    kept = protected.Facts(unique, shared=unique)
    _facts.put(stamp, kept)
    return kept


# A shielded family's (a protected address, or at the crisis centre) schools and day care:
# the organisations of its network's people and those its relations point at.
_CHILDRENS_PLACES = (
    'SELECT f."id" AS "family", o."name" AS "name", o."address" AS "address" '
    'FROM "family" f JOIN "organisation" o '
    'ON o."kind" IN ({}, {}) AND (o."id" IN (SELECT p."organisation" FROM "person" p '
    'WHERE p."family" = f."id") OR o."id" IN (SELECT r."target_organisation" '
    'FROM "relation" r WHERE r."family" = f."id")) '
    'WHERE f."id" IN ({ids}) AND (f."at_crisis_centre" = {} OR EXISTS (SELECT 1 FROM "person" s '
    'WHERE s."family" = f."id" AND s."protected_address" = {})) ORDER BY f."id", o."id"')


_every_childrens_place: BoundedCache[str, tuple[str, ...]] = BoundedCache(
    "every school and day care", 4)


async def every_childrens_place() -> tuple[str, ...]:
    """The name of every school and day care in the directory, whatever family they serve:
    what a writer outside a family's team may not name (``meetings.service
    .screen_outside_writer``), for a refusal of only the family's own would tell him which
    one it is. Read again when the shared data's stamp has changed."""
    stamp = await revisions.shared_stamp()
    kept = _every_childrens_place.get(stamp)
    if kept is None:
        rows = await db.fetch('SELECT "name" FROM "organisation" WHERE "kind" IN ({}, {}) '
                              'ORDER BY "id"', *CHILDRENS_PLACES)
        kept = tuple(dict.fromkeys(r["name"].strip() for r in rows if (r["name"] or "").strip()))
        _every_childrens_place.put(stamp, kept)
    return kept


_FAMILIES_AT_ONCE = 1_000  # the engines take some 32,000 values per statement


async def childrens_places(family_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Per shielded family, its children's schools and day care (where the children can be
    found every day) as facts: each one's name and address (``childrens_place_facts``); a
    family not shielded has none. One statement."""
    ids = sorted({i for i in family_ids if i is not None})
    rows: list[dict] = []
    for start in range(0, len(ids), _FAMILIES_AT_ONCE):
        chunk = ids[start:start + _FAMILIES_AT_ONCE]
        rows += await db.fetch(_CHILDRENS_PLACES.replace("{ids}", db.marks(chunk)),
                               *CHILDRENS_PLACES, *chunk, True, True)
    places: dict[int, list[str]] = {}
    for row in rows:
        places.setdefault(row["family"], []).extend(childrens_place_facts(row))
    return {family: tuple(dict.fromkeys(facts)) for family, facts in places.items() if facts}


# The families' network persons whose contact data is withheld, invited or not.
_PROTECTED_PEOPLE = (
    'SELECT "id", "family", "name", "role", "is_child", "is_professional", "phone", "email", '
    '"address", "protected_address", "contact_only_via_worker", "used_violence" '
    'FROM "person" WHERE "family" IN ({ids}) '
    'AND ("protected_address" = {} OR "contact_only_via_worker" = {}) ORDER BY "id"')


async def protected_people(family_ids: Iterable[int | None]
                           ) -> dict[int, tuple[safety.Person, ...]]:
    """Per family, its network persons whose address, phone and e-mail are withheld from
    anyone not entitled (``safety.Meeting.protected_people``), whether or not a meeting
    invites them. One statement (per thousand families)."""
    ids = sorted({i for i in family_ids if i is not None})
    found: dict[int, list[safety.Person]] = {}
    for start in range(0, len(ids), _FAMILIES_AT_ONCE):
        chunk = ids[start:start + _FAMILIES_AT_ONCE]
        for row in await db.fetch(_PROTECTED_PEOPLE.replace("{ids}", db.marks(chunk)),
                                  *chunk, True, True):
            found.setdefault(row["family"], []).append(participants.protected_person(row))
    return {family: tuple(people) for family, people in found.items()}
