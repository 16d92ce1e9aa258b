"""The formøde of a familierådslagning, and the limit it puts on the slot finder.

At the formøde the samordner and the socialrådgiver meet the child and the family, who
choose whom to invite. Until it is dated no time for the meeting itself can be proposed,
and no proposal falls on or before its day (``planner.formoede_limit``). Setting the date is
audited with the family.

``update_case`` is the versioned write of the familierådslagning's and Barnet i Centrum's
records (``db.update_versioned`` with the case's wording); ``flows`` uses it for every step.
It lives here because the meetings service imports this module and ``flows`` imports the
service: here both can reach it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.meetings import offers, planner
from coordinator.meetings.tables import FgcCase, Meeting, MeetingPart

# How far ahead a formøde may be planned, and how long ago it may have been held.
MAX_AHEAD_DAYS = 366
MAX_BACK_DAYS = 366


async def case_of(meeting: Mapping[str, Any]) -> dict | None:
    """The familierådslagning case the meeting belongs to (its own, else the family's)."""
    if meeting.get("fgc_case"):
        return await FgcCase.select().where(FgcCase.id == meeting["fgc_case"]).first()
    if meeting.get("family"):
        return await current_case(meeting["family"])
    return None


async def current_case(family_id: int) -> dict | None:
    """The family's current (newest) familierådslagning case."""
    return await FgcCase.select().where(FgcCase.family == family_id).order_by(
        FgcCase.id, ascending=False).first()


async def limit_for(meeting: Mapping[str, Any]) -> tuple[datetime | None, str]:
    """The slot finder's earliest start for this meeting and the reason (see
    ``planner.formoede_limit``); (None, "") limits nothing."""
    if meeting["kind"] != "familieraadslagning":
        return None, ""
    case = await case_of(meeting)
    return planner.formoede_limit(meeting["kind"], case["formoede_on"] if case else None)


async def set_formoede(user: Principal, family: Mapping[str, Any], version: int | None,
                       day: date, address: str = "") -> None:
    """Date the formøde (held or planned). It must come before the meeting itself when that
    is already timed; a stale ``version`` is a conflict, nothing is overwritten."""
    case = await current_case(family["id"])
    if case is None or not case["possible"]:
        raise web.UserError("Registrér først vurderingen af, at en familierådslagning er mulig.",
                            409)
    today = clock.today()
    if (day - today).days > MAX_AHEAD_DAYS:
        raise web.UserError("Formødet kan højst planlægges et år frem.", field="formoede_on")
    if (today - day).days > MAX_BACK_DAYS:
        raise web.UserError("Formødet kan ikke ligge mere end et år tilbage.", field="formoede_on")
    first = await _first_meeting_start(case["id"])
    if first is not None and first.astimezone(web.COPENHAGEN).date() <= day:
        raise web.UserError(
            "Formødet skal holdes før selve familierådslagningen "
            f"({web.fmt_date(first)}). Vælg en tidligere dato, eller flyt mødet først.",
            field="formoede_on")
    async with db.transaction():
        await update_case(FgcCase, case["id"], version, {FgcCase.formoede_on: day},
                          {"formoede_on": day}, "Familierådslagningen")
        await audit.record(user, "update", "familierådslagning", case["id"], family["id"],
                           f"Formøde: {planner.format_local_date(day)}", address)


async def record_outcome(user: Principal, family: Mapping[str, Any], version: int | None,
                         participants: str, agreement: str, note: str,
                         address: str = "") -> None:
    """The formøde's outcome: who took part and whether the family agreed to go on (yes,
    no, or needs time, with a note). Only a held formøde has an outcome; until the family
    said yes no familierådslagning is planned (``offers.fgc_meeting_offer``)."""
    case = await current_case(family["id"])
    if case is None or not case["possible"]:
        raise web.UserError("Registrér først vurderingen af, at en familierådslagning er mulig.",
                            409)
    if case["formoede_on"] is None:
        raise web.UserError("Registrér først formødets dato ovenfor.", field="formoede_agreement")
    if case["formoede_on"] > clock.today():
        raise web.UserError(
            f"Formødet er planlagt til {planner.format_local_date(case['formoede_on'])}. "
            "Registrér udfaldet, når det er holdt.", field="formoede_agreement")
    if agreement not in offers.AGREEMENTS:
        raise web.UserError("Vælg, om familien vil gå videre.", field="formoede_agreement")
    if not participants:
        raise web.UserError("Skriv, hvem der deltog i formødet.", field="formoede_participants")
    if agreement != "yes" and not note:
        raise web.UserError("Skriv en note: hvad sagde familien, og hvad er aftalt?",
                            field="formoede_note")
    async with db.transaction():
        await update_case(FgcCase, case["id"], version, {
            FgcCase.formoede_participants: participants, FgcCase.formoede_agreement: agreement,
            FgcCase.formoede_note: note,
        }, {"formoede_participants": participants, "formoede_agreement": agreement,
            "formoede_note": note}, "Familierådslagningen")
        await audit.record(user, "update", "familierådslagning", case["id"], family["id"],
                           f"Formødets udfald: {offers.AGREEMENTS[agreement]}", address)


async def update_case(table: Any, row_id: int, version: int | None, changes: Mapping[Any, Any],
                      mine: Mapping[str, Any], what: str) -> None:
    """Optimistic locking for the familierådslagning's and BIC's records
    (``db.update_versioned``, as meetings): a stale or missing version is a conflict, never
    the last writer winning. ``mine`` is what the form sent (the conflict page shows it);
    ``what`` names the record in the message."""
    await db.update_versioned(
        table, row_id, version, {table.updated_at: clock.now(), **changes}, mine=mine,
        shown=[key for key in mine if key != "version"],
        message=f"{what} er ændret af en anden imens. Intet af det, du indtastede, er gemt. "
                "Sammenlign de to udgaver, og prøv igen.")


async def _first_meeting_start(case_id: int) -> datetime | None:
    """When the (not cancelled) familierådslagning of the case starts, if it is timed."""
    meeting = await Meeting.select(Meeting.id).where(
        (Meeting.fgc_case == case_id) & (Meeting.kind == "familieraadslagning")
        & (Meeting.status != "cancelled")).order_by(Meeting.id, ascending=False).first()
    if meeting is None:
        return None
    parts = await MeetingPart.select(MeetingPart.starts_at).where(
        (MeetingPart.meeting == meeting["id"]) & MeetingPart.starts_at.is_not_null())
    return min((p["starts_at"] for p in parts), default=None)
