"""A meeting's agenda and minutes as rules (issue 17, point 1). Pure.

The agenda is an ordered list of points; each has a title, the part of the meeting it
belongs to ("" is the whole meeting) and its minutes. A new meeting starts with its kind's
default agenda (``kinds.default_agenda``). Minutes are written once the meeting has begun
and stay editable after it was held (``offers.minutes_offer``).

Who reads what:

* the family's team, and the father's kontaktperson for the advice sessions they hold,
  read and write all of it;
* readers outside the team on the meeting page (the samordner, the father's kontaktperson
  on the joint parents' meeting) read the titles as projected for them
  (``service.project_for_audience``) and never the minutes: notes are not theirs
  (DOMAIN.md, Audiences);
* a participant reads, in the invitation, the letter and the answer page, the titles of the
  points of the parts they attend, cleaned for them like the description
  (``safety.redact_for_recipient``); the father and anyone kept apart read no agenda (free
  text may tell where the family is), and calendar feeds carry none (a partner's calendar
  holds the minimum). The minutes leave the system only in an access export (``gdpr``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from coordinator.meetings import kinds

TITLE_MAX = 300
MINUTES_MAX = 20_000
# The point that keeps minutes written without a point: those held meetings had before the
# agenda (migrated) and those typed in "Markér som afholdt" on a page from before.
MINUTES_POINT = "Referat"
Point = TypeVar("Point", bound=Mapping[str, Any])
# What the up and down buttons send.
DIRECTIONS = {"up": -1, "down": 1}


def moved(order: Sequence[int], point_id: int, direction: str) -> list[int]:
    """The points' ids after moving one a step up or down; the same order when it is
    already first (up) or last (down). ``ValueError`` for an unknown point or direction."""
    if direction not in DIRECTIONS or point_id not in order:
        raise ValueError("unknown point or direction")
    ids = list(order)
    index = ids.index(point_id)
    target = index + DIRECTIONS[direction]
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return ids


def part_choices(parts: Iterable[Mapping[str, str]]) -> list[tuple[str, str]]:
    """The parts a point can belong to, for the form: the whole meeting, then each part;
    none to choose for a meeting of one part."""
    parts = list(parts)
    if len(parts) < 2:
        return []
    return [("", "Hele mødet"), *((p["key"], p["label"]) for p in parts)]


def for_parts(points: Iterable[Point], part_keys: Iterable[str]) -> list[Point]:
    """The points of the given parts (and those of the whole meeting), in order."""
    keys = set(part_keys)
    return [p for p in points if not p["part_key"] or p["part_key"] in keys]


def changeable(status: str) -> bool:
    """Whether the agenda's points may be added, changed, moved or removed: in every status
    but cancelled (a point discussed without being on the agenda is added afterwards)."""
    return status != kinds.MeetingStatus.CANCELLED.value


def removable(minutes: str, status: str) -> bool:
    """Whether a point may be removed: not when the meeting was held and the point has
    minutes (the record of what was said stays; its title may be changed)."""
    return changeable(status) and not (minutes.strip() and status in kinds.HELD_STATUSES)


def audit_title(title: str) -> str:
    """A point's title as the audit log names it (shortened)."""
    title = " ".join(title.split())
    return title if len(title) <= 80 else title[:79] + "…"
