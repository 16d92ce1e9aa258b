"""The meeting page as a workspace (issue 17): its sections and what each change re-renders.

Every section is a template of its own with a stable id (``templates/meetings/_ws_*.html``).
A change sent by htmx answers with the sections it changes, each swapped in place by its id
(``hx-swap-oob``), instead of the whole page; the same form without JavaScript still posts
and is sent back to the page. What a change touches is decided here, once: a new place
changes the header, time and place, the safety check (a protected place) and what may be
done next; a participant changes the list, the parts' table, the safety check, the working
hours and what may be done next; the agenda changes itself and the list of what the
participants are told; the minutes of a point change only the agenda; a new status changes
everything. The invitations and answers refresh themselves when told the meeting changed
(``CHANGED_EVENT``). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

# The page's sections in page order, by their element id.
HEAD = "meeting-head"
SAFETY = "safety"
TIMES = "times"
PARTICIPANTS = "participants"
HOURS = "hours"
AGENDA = "agenda"
LIFECYCLE = "lifecycle"
SECTIONS: tuple[str, ...] = (HEAD, SAFETY, TIMES, PARTICIPANTS, HOURS, AGENDA, LIFECYCLE)

# Their templates.
TEMPLATES: dict[str, str] = {
    HEAD: "meetings/_ws_head.html",
    SAFETY: "meetings/_ws_safety.html",
    TIMES: "meetings/_ws_times.html",
    PARTICIPANTS: "meetings/_ws_participants.html",
    HOURS: "meetings/_ws_hours_section.html",
    AGENDA: "meetings/_ws_agenda.html",
    LIFECYCLE: "meetings/_ws_lifecycle.html",
}


@dataclass(frozen=True)
class Change:
    """A kind of change: the sections it re-renders (its own section and every section that
    shows what it changed) and what the screen reader hears after it."""

    sections: tuple[str, ...]
    saved: str


# The changes, by the name the routes give them.
CHANGES: dict[str, Change] = {
    # title, place, description: the header, time and place, the safety check of the place,
    # and the details form itself (in the lifecycle section)
    "details": Change(sections=(HEAD, SAFETY, TIMES, LIFECYCLE), saved="Mødets oplysninger er gemt."),
    # the time (also a chosen proposal with its room): the parts' table, the place (a booked
    # room), the checks that depend on the time, whether minutes may be written yet, and
    # what may be done next
    "times": Change(sections=(HEAD, SAFETY, TIMES, PARTICIPANTS, AGENDA, LIFECYCLE),
                    saved="Tidspunktet er gemt."),
    # a participant added, changed, removed, their channel or answer: the list, the parts'
    # table, the safety check, the working hours and what may be done next
    "participants": Change(sections=(SAFETY, TIMES, PARTICIPANTS, HOURS, LIFECYCLE),
                           saved="Deltagerne er opdateret."),
    # an approval of a safety finding: the findings and what may be done next
    "approval": Change(sections=(SAFETY, LIFECYCLE), saved="Godkendelsen er registreret."),
    # a point added, changed or removed: the agenda, and what the participants are told
    "agenda": Change(sections=(AGENDA, LIFECYCLE), saved="Dagsordenen er gemt."),
    # a point moved up or down (by its buttons, with the keyboard)
    "agenda_move": Change(sections=(AGENDA, LIFECYCLE), saved="Punktet er flyttet."),
    # the minutes of one point: the agenda only
    "minutes": Change(sections=(AGENDA,), saved="Referatet er gemt."),
    # a new status (also marked as held): everything (what may be edited changes everywhere)
    "status": Change(sections=SECTIONS, saved="Mødets status er opdateret."),
}

# The event the invitations and answers listen for (sent as HX-Trigger after a change).
CHANGED_EVENT = "meeting-changed"


def sections_for(change: str) -> tuple[str, ...]:
    """The sections a change re-renders, in page order."""
    wanted = set(CHANGES[change].sections)
    return tuple(s for s in SECTIONS if s in wanted)


def saved_message(change: str) -> str:
    """What the screen reader hears after a change."""
    return CHANGES[change].saved
