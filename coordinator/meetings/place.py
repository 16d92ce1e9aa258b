"""Where a meeting is: the one rule every page, invitation and safety check uses (issue 17).

A meeting has three ways of saying where it is: a place typed as text, a booked room and an
organisation from the register. They read as one place, in this order: the typed text, else
the room ("Mødelokale 1, Rådhuset"), else the organisation's name. The place is protected
when any of them is a protected place (a room at a crisis centre, a protected organisation)
or the text names one; outside the family's team a protected place reads "Oplyses af
socialrådgiveren". A room and an organisation that are not the same kind of place (a room at
the town hall for a meeting placed at the crisis centre) are two places at once: the page
says so, with the way out. Pure: plain mappings in, a ``Place`` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coordinator.meetings import protected, safety

NOT_SET = "Ikke angivet"
WITHHELD = safety.NEUTRAL_LOCATION


@dataclass(frozen=True)
class Place:
    """The meeting's place as it is shown and sent."""

    text: str  # the place in one line ("" when nothing is set)
    source: str  # "text", "room", "organisation" or "" (nothing set)
    protected: bool  # a protected place: only the family's team may read it
    clash: str = ""  # a room and an organisation that are two different places, in words
    # A shielded family's children's school or day care: not protected (partners read it),
    # but withheld from everyone outside the family's team and from the father's side.
    childrens: bool = False

    @property
    def label(self) -> str:
        """What the page shows as "Mødested"."""
        return self.text or NOT_SET

    def for_outside(self) -> Place:
        """The place as readers outside the family's team see it."""
        if self.protected or self.childrens:
            return Place(WITHHELD, self.source, self.protected, childrens=self.childrens)
        return Place(self.text, self.source, False)


def room_text(room: Mapping[str, Any]) -> str:
    """A room as one line: its name and where it is."""
    return ", ".join(str(v) for v in (room.get("name"), room.get("location")) if v)


def place_of(text: str | None, room: Mapping[str, Any] | None,
             organisation: Mapping[str, Any] | None, facts: Iterable[str] = (),
             childrens: tuple[str, ...] = ()) -> Place:
    """The meeting's one place from its typed ``text``, its booked ``room`` (``name``,
    ``location``, ``at_crisis_centre``) and its ``organisation`` (``name``,
    ``location_protected``); ``facts`` are the protected places' facts (a typed text naming
    one is protected too); ``childrens`` the facts (name, address) of a shielded family's
    children's school and day care (the place is one of them when its text or its
    organisation names one)."""
    typed = (text or "").strip()
    shown, source = typed, "text" if typed else ""
    sensitive = False
    if room:
        sensitive = bool(room.get("at_crisis_centre"))
        if not shown:
            shown, source = room_text(room), "room"
    if organisation:
        sensitive = sensitive or bool(organisation.get("location_protected"))
        if not shown:
            shown, source = str(organisation.get("name") or ""), "organisation"
    sensitive = sensitive or bool(shown and protected.find(shown, tuple(facts)))
    at_childrens = bool(childrens) and any(
        protected.find(value, childrens) for value in (
            shown, str(organisation.get("name") or "") if organisation else "") if value)
    clash = ""
    if room and organisation and bool(room.get("at_crisis_centre")) != bool(
            organisation.get("location_protected")):
        clash = (f"Mødet har to steder: lokalet »{room_text(room)}« og »{organisation.get('name')}«. "
                 "Vælg ét: ret mødestedet under »Ret titel, sted og beskrivelse«, "
                 "eller vælg et tidspunkt uden lokale.")
    return Place(shown, source, sensitive, clash, at_childrens)
