"""Offer only what can succeed: which meeting actions the state allows, and for those it
does not, why and the way forward.

The meeting page shows an action the state refuses as a disabled button with the reason
and a link to what to do first, instead of a button that ends in a refusal. The rules are
the ones ``service.change_status``, ``service.mark_held`` and ``service.add_participants``
enforce; ``tests/meetings/test_offers.py`` checks that every refused offer is refused by the
service too. Plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from coordinator.meetings import kinds

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
BIC_KINDS = frozenset({"bic_session", "bic_joint_parents"})


@dataclass(frozen=True)
class Offer:
    """Whether an action can succeed now; if not, why (``reason``) and what to do first
    (``way``, with ``href`` where that is done)."""

    allowed: bool = True
    reason: str = ""
    way: str = ""
    href: str = ""


ALLOWED = Offer()


@dataclass(frozen=True)
class MeetingState:
    """What the offers depend on: the meeting as plain data."""

    meeting_id: int
    status: str
    kind: str
    family_id: int | None
    part_starts: Sequence[datetime | None]
    participant_count: int
    blocking: Sequence[str]  # the safety findings that stop sending, in Danish
    father_consent: bool  # the mother's consent to contact the father is recorded
    now: datetime
    # familierådslagning: the family agreed at the formøde to go on (else the reason)
    fgc_refusal: Offer | None = None


def _consent_missing(state: MeetingState) -> Offer | None:
    if state.kind in BIC_KINDS and not state.father_consent:
        return Offer(False, "Mors samtykke til kontakt med far er ikke registreret.",
                     "Registrér mors samtykke under Barnet i Centrum",
                     f"/families/{state.family_id}/bic#agreement" if state.family_id else "")
    return None


def _clock(moment: datetime) -> str:
    local = moment.astimezone(LOCAL_TZ)
    return f"{local.day}.{local.month}.{local.year} kl. {local.hour:02d}.{local.minute:02d}"


def planning_offer(state: MeetingState, target: str) -> Offer:
    """Planning (``planned``) or sending the invitations (``invited``)."""
    page = f"/meetings/{state.meeting_id}"
    refused = _consent_missing(state) or state.fgc_refusal
    if refused:
        return refused
    if not state.part_starts or any(start is None for start in state.part_starts):
        return Offer(False, "Ikke alle mødets dele har et tidspunkt.",
                     "Sæt tidspunkterne, eller brug tidsforslagene", f"{page}#times")
    if state.participant_count == 0:
        return Offer(False, "Mødet har ingen deltagere endnu.", "Tilføj deltagere",
                     f"{page}#participants")
    if target == kinds.MeetingStatus.INVITED.value:
        if any(start is not None and start < state.now for start in state.part_starts):
            return Offer(False, "Mødet ligger i fortiden.", "Flyt mødet til et senere tidspunkt",
                         f"{page}#times")
        if state.blocking:
            return Offer(False, "Sikkerhedsadvarsler stopper afsendelsen: "
                         + " ".join(state.blocking),
                         "Ret det, advarslerne under Sikkerhed nævner (fx hvordan en deltager "
                         "inviteres), eller registrér en begrundet godkendelse, hvor den tilbydes",
                         f"{page}#safety")
    return ALLOWED


def status_offers(state: MeetingState) -> dict[str, Offer]:
    """An offer for each status button the meeting page shows (``kinds.status_actions``)."""
    offers = {}
    for target in kinds.status_actions(state.status):
        if target in (kinds.MeetingStatus.PLANNED.value, kinds.MeetingStatus.INVITED.value):
            offers[target] = planning_offer(state, target)
        else:
            offers[target] = ALLOWED
    return offers


def held_offer(state: MeetingState) -> Offer:
    """Marking the meeting as held: only once it has begun."""
    starts = [start for start in state.part_starts if start is not None]
    first = min(starts, default=None)
    if first is not None and first > state.now:
        return Offer(False, f"Mødet er ikke begyndt endnu (det begynder {_clock(first)}).",
                     "Skriv referatet og markér mødet som afholdt, når mødet er begyndt")
    return ALLOWED


def minutes_offer(status: str, part_starts: Sequence[datetime | None], now: datetime) -> Offer:
    """Writing the minutes of the agenda's points: once the meeting has begun, and still
    after it was held; never for a cancelled meeting."""
    if status == kinds.MeetingStatus.CANCELLED.value:
        return Offer(False, "Mødet er aflyst.", "Der skrives ikke referat af et aflyst møde")
    if status in kinds.HELD_STATUSES:
        return ALLOWED
    first = min((start for start in part_starts if start is not None), default=None)
    if first is None:
        return Offer(False, "Mødet har ikke noget tidspunkt endnu.",
                     "Skriv referatet, når mødet er begyndt")
    if first > now:
        return Offer(False, f"Mødet er ikke begyndt endnu (det begynder {_clock(first)}).",
                     "Skriv referatet, når mødet er begyndt")
    return ALLOWED


def person_offer(role: str, father_consent: bool, family_id: int | None) -> Offer:
    """Inviting a network person: the father only after the mother's consent."""
    if role == "father" and not father_consent:
        return Offer(False, "Far kan først inviteres, når mors samtykke til kontakt med far er "
                     "registreret.", "Registrér mors samtykke under Barnet i Centrum",
                     f"/families/{family_id}/bic#agreement" if family_id else "")
    return ALLOWED


# ------------------------------------------------------------------- familierådslagning

# Who took the initiative to the familierådslagning (FgcCase.initiator_kind).
INITIATORS = {"family": "Familien", "socialraadgiver": "Socialrådgiveren",
              "professional": "En anden fagperson (fx lærer eller sundhedsplejerske)"}
# The family's answer at the formøde (FgcCase.formoede_agreement).
AGREEMENTS = {"yes": "Ja, familien vil gå videre", "no": "Nej, familien vil ikke gå videre",
              "needs_time": "Familien har brug for tid"}


def fgc_meeting_offer(family_id: int | None, formoede_on: date | None, agreement: str) -> Offer:
    """Whether the familierådslagning itself may be planned or sent: only after the family
    agreed at the formøde to go on (a draft with a first guess at the times may exist
    before). If not, why and what to do first."""
    href = f"/families/{family_id}/familieraadslagning#formoede-outcome" if family_id else ""
    if agreement == "yes":
        return ALLOWED
    if agreement == "no":
        return Offer(False, "Familien sagde nej til at gå videre ved formødet.",
                     "Tal med familien igen, og registrér deres nye svar fra formødet", href)
    if agreement == "needs_time":
        return Offer(False, "Familien har bedt om tid, før de beslutter sig.",
                     "Registrér familiens svar, når de har besluttet sig", href)
    if formoede_on is None:
        return Offer(False, "Formødet med familien er ikke holdt endnu.",
                     "Sæt dato på formødet, hold det, og registrér om familien vil gå videre", href)
    return Offer(False, "Det er ikke registreret, om familien vil gå videre efter formødet.",
                 "Registrér formødets deltagere og familiens svar", href)

# A plan item's status (FgcPlanItem.status, FgcPlanReview.status).
PLAN_STATUSES = {"not_started": "Ikke startet", "in_progress": "I gang", "done": "Gennemført",
                 "not_done": "Ikke gennemført"}


def match_questions(existing: list[tuple[int, str]], lines: list[str]
                    ) -> tuple[dict[int, tuple[str, int]], list[tuple[str, int]], list[int]]:
    """Carry the referral questions over to a new text, one question a line: a question
    whose text is unchanged keeps its id (and the plan items linked to it), a line changed
    in place keeps the id of the question that stood on that line. Returns the kept ids with
    their (new) text and position, the new (text, position) pairs, and the removed ids."""
    kept: dict[int, tuple[str, int]] = {}
    free = dict(existing)
    unmatched: list[tuple[str, int]] = []
    for position, text in enumerate(lines):
        same = next((qid for qid, old in free.items() if old == text), None)
        if same is None:
            unmatched.append((text, position))
        else:
            kept[same] = (text, position)
            del free[same]
    by_old_position = {index: qid for index, (qid, _) in enumerate(existing)}
    added: list[tuple[str, int]] = []
    for text, position in unmatched:
        qid = by_old_position.get(position)
        if qid is not None and qid in free:
            kept[qid] = (text, position)
            del free[qid]
        else:
            added.append((text, position))
    return kept, added, list(free)
