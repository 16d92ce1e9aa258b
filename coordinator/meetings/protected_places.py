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

from coordinator.cache import BoundedCache
from coordinator.families import revisions
from coordinator.meetings import protected
from coordinator.meetings.tables import Room
from coordinator.network.tables import Organisation

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
