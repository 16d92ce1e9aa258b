"""The meeting page's offers (``offers``) gathered from the database: what the page may
offer as a working button, and why the rest is shown disabled."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coordinator import clock
from coordinator.meetings import formoede, offers, safety, service
from coordinator.meetings.service import MeetingView


@dataclass(frozen=True)
class MeetingOffers:
    """The status buttons' offers, marking as held, writing the minutes, and network
    persons by id."""

    status: dict[str, offers.Offer]
    held: offers.Offer
    people: dict[int, offers.Offer] = field(default_factory=dict)
    minutes: offers.Offer = offers.ALLOWED


async def fgc_refusal(meeting: Mapping[str, Any]) -> offers.Offer | None:
    """For a familierådslagning: why it may not be planned yet (the family has not agreed
    at the formøde to go on); None when it may, and for every other kind."""
    if meeting["kind"] != "familieraadslagning" or not meeting.get("fgc_case"):
        return None
    case = await formoede.case_of(meeting)
    offer = offers.fgc_meeting_offer(meeting["family"], case["formoede_on"] if case else None,
                                     case["formoede_agreement"] if case else "")
    return None if offer.allowed else offer


async def meeting_offers(view: MeetingView, people: Iterable[Mapping[str, Any]] = (),
                         now: datetime | None = None) -> MeetingOffers:
    """What the meeting page offers, from the meeting as the page shows it."""
    meeting = view.meeting
    people = list(people)
    needs_consent = meeting["kind"] in offers.BIC_KINDS or any(
        p.get("role") == "father" for p in people)
    consent = await service.father_consent(meeting["family"]) if needs_consent else False
    state = offers.MeetingState(
        meeting_id=meeting["id"], status=meeting["status"], kind=meeting["kind"],
        family_id=meeting["family"], part_starts=[p["starts_at"] for p in view.parts],
        participant_count=len(view.participants),
        blocking=[f.message for f in view.findings if f.severity == safety.BLOCK],
        father_consent=consent, now=now or clock.now(),
        fgc_refusal=await fgc_refusal(meeting))
    return MeetingOffers(
        status=offers.status_offers(state), held=offers.held_offer(state),
        people={p["id"]: offers.person_offer(p.get("role", ""), consent, meeting["family"])
                for p in people},
        minutes=offers.minutes_offer(meeting["status"], state.part_starts, state.now))
