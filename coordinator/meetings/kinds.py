"""Meeting kinds, their standard parts, who may attend each part, and the lifecycle.

Pure data and pure functions: no database, no HTTP. The rest of the meetings domain
(planner, safety rules, service, templates) reads the catalogue here instead of
hard-coding Danish labels, durations or attendance rules.

Attendance is expressed in three participant categories:

* ``professional`` – anyone who is there because of their job (socialrådgiver,
  lærer, sundhedsplejerske, samordner, informatør …);
* ``family`` – the child, the mother, the father;
* ``private_network`` – relatives, friends, neighbours the family values.

A familierådslagning shows why parts matter: professionals inform in the first part,
leave during *Familiens egen tid*, and only the family's socialrådgiver returns for the
plan (``PartSpec.professionals_case_worker_only``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class ParticipantCategory(StrEnum):
    """Why a person is at the meeting: by profession, as family, or as private network."""

    PROFESSIONAL = "professional"
    FAMILY = "family"
    PRIVATE_NETWORK = "private_network"


CATEGORY_LABELS: dict[ParticipantCategory, str] = {
    ParticipantCategory.PROFESSIONAL: "Fagperson",
    ParticipantCategory.FAMILY: "Familie",
    ParticipantCategory.PRIVATE_NETWORK: "Privat netværk",
}

# How an invitation reaches a participant; only "email" is sent by the system, and only it
# needs an e-mail address.
CHANNELS: dict[str, str] = {
    "email": "E-mail",
    "phone": "Telefon",
    "letter": "Brev",
    "worker": "Via socialrådgiveren",
}
# How an answer the socialrådgiver records was given.
ANSWER_VIA: dict[str, str] = {"phone": "pr. telefon", "in_person": "personligt"}


def default_channel(email: str, phone: str, only_via_worker: bool) -> str:
    """The channel a network person is invited by unless the worker chooses another: the
    socialrådgiver when contact must go through them, e-mail when there is an address,
    else the phone when there is a number, else a letter."""
    if only_via_worker:
        return "worker"
    if email.strip():
        return "email"
    return "phone" if phone.strip() else "letter"


_ALL = frozenset(ParticipantCategory)
_FAMILY_AND_NETWORK = frozenset({ParticipantCategory.FAMILY, ParticipantCategory.PRIVATE_NETWORK})
_PROFESSIONALS = frozenset({ParticipantCategory.PROFESSIONAL})


@dataclass(frozen=True)
class PartSpec:
    """One standard part (phase) of a meeting kind."""

    key: str
    label: str
    default_duration: timedelta
    categories: frozenset[ParticipantCategory]
    description: str = ""
    # True when the only professional who may attend is the family's own socialrådgiver
    # (or initiativtager), e.g. the plan part of a familierådslagning.
    professionals_case_worker_only: bool = False


@dataclass(frozen=True)
class MeetingKind:
    """A kind of meeting the coordinator plans, with its Danish label and standard parts."""

    key: str
    label: str
    parts: tuple[PartSpec, ...]
    description: str = ""
    # Must not be invited to without an explicit, reasoned approval (see safety.py).
    requires_approval: bool = False
    # Each person may arrive and leave at their own time (per-part attendance).
    supports_staggered_attendance: bool = False
    # A follow-up meeting of this kind is proposed this many months after the meeting.
    followup_kind: str | None = None
    followup_after_months: int | None = None
    # Recurring meetings: the usual rhythm.
    repeats_every_days: int | None = None
    repeats_every_months: int | None = None
    cadence_label: str | None = None
    topics: tuple[tuple[str, str], ...] = field(default=())

    @property
    def default_duration(self) -> timedelta:
        """The sum of the standard parts' durations."""
        return sum((part.default_duration for part in self.parts), timedelta())

    def part(self, part_key: str) -> PartSpec:
        """The part with this key; raises ``KindError`` with a Danish message if unknown."""
        for part in self.parts:
            if part.key == part_key:
                return part
        raise KindError(f"Mødetypen »{self.label}« har ingen del, der hedder »{part_key}«.")


class KindError(ValueError):
    """An unknown meeting kind or part; ``message_da`` is shown to the user."""

    def __init__(self, message_da: str) -> None:
        super().__init__(message_da)
        self.message_da = message_da


def _single(label: str, minutes: int, categories: frozenset[ParticipantCategory] = _ALL) -> tuple[PartSpec, ...]:
    return (PartSpec("meeting", label, timedelta(minutes=minutes), categories),)


BIC_TOPICS: tuple[tuple[str, str], ...] = (
    ("separation", "Separation og skilsmisse"),
    ("familieretshuset", "Familieretshuset (tidligere Statsforvaltningen)"),
    ("oekonomi", "Økonomi"),
    ("bolig", "Bolig"),
    ("behandling", "Behandling for vold eller misbrug"),
    ("ppr_henvisning", "Henvisning til motivationssamtaler i PPR"),
)

KINDS: dict[str, MeetingKind] = {
    kind.key: kind
    for kind in (
        MeetingKind(
            key="familieraadslagning",
            label="Familierådslagning",
            description=(
                "Familien og dens netværk laver en plan for barnet. Fagpersoner informerer, "
                "familien arbejder alene, og socialrådgiveren godkender planen."
            ),
            parts=(
                PartSpec(
                    "information",
                    "Informationsdel",
                    timedelta(minutes=45),
                    _ALL,
                    "Informatører (fagpersoner) fortæller og svarer på spørgsmål.",
                ),
                PartSpec(
                    "family_time",
                    "Familiens egen tid",
                    timedelta(minutes=120),
                    _FAMILY_AND_NETWORK,
                    "Fagpersonerne går; familien og det private netværk laver planen alene.",
                ),
                PartSpec(
                    "plan",
                    "Fremlæggelse og godkendelse af planen",
                    timedelta(minutes=45),
                    _ALL,
                    "Socialrådgiveren vender tilbage, og familien fremlægger planen til godkendelse.",
                    professionals_case_worker_only=True,
                ),
            ),
            followup_kind="familieraadslagning_followup",
            followup_after_months=3,
        ),
        MeetingKind(
            key="familieraadslagning_followup",
            label="Opfølgningsmøde på familierådslagning",
            description="Familien, netværket og socialrådgiveren følger op på planen.",
            parts=_single("Opfølgningsmøde", 90),
        ),
        MeetingKind(
            key="bic_session",
            label="Rådgivningssamtale med far (Barnet i Centrum)",
            description="Kontaktpersonen i Modtagelsen rådgiver faren.",
            parts=_single("Rådgivningssamtale", 60),
            topics=BIC_TOPICS,
        ),
        MeetingKind(
            key="bic_joint_parents",
            label="Fælles forældremøde (Barnet i Centrum)",
            description="Forældrene koordinerer aftalerne om barnet under morens ophold.",
            parts=_single("Fælles forældremøde", 60),
            requires_approval=True,
            supports_staggered_attendance=True,
        ),
        MeetingKind(
            key="netvaerksmoede",
            label="Netværksmøde",
            description="Inddragende netværksmøde med familien, netværket og fagpersoner.",
            parts=_single("Netværksmøde", 120),
        ),
        MeetingKind(
            key="statusmoede",
            label="Statusmøde",
            description="Status med Familieafdelingen og familien, fx på målene i udviklingsprofilen.",
            parts=_single("Statusmøde", 60),
        ),
        MeetingKind(
            key="team_meeting",
            label="Teammøde",
            description="Socialrådgivernes status på familierådslagning og BIC for hver aktuel familie.",
            parts=_single("Teammøde", 90, _PROFESSIONALS),
            repeats_every_days=14,
            cadence_label="Hver 14. dag",
        ),
        MeetingKind(
            key="cooperation_meeting",
            label="Årligt samarbejdsmøde",
            description=(
                "Krisecentret indkalder Ydelseskontor, Jobcenter/Integration, Familieafdelingen, "
                "UU, Myndighed og en jurist."
            ),
            parts=_single("Samarbejdsmøde", 180, _PROFESSIONALS),
            repeats_every_months=12,
            cadence_label="Årligt",
        ),
        MeetingKind(
            key="agreement_evaluation",
            label="Evaluering af samarbejdsaftale",
            description="Parterne evaluerer samarbejdsaftalen og beslutter, om den skal fornyes.",
            parts=_single("Evaluering", 60, _PROFESSIONALS),
            repeats_every_months=3,
            cadence_label="Hvert kvartal",
        ),
    )
}


# The default agenda of each kind (issue 17, point 1): the points a new meeting starts
# with, each with the part it belongs to ("" the whole meeting), in order. Derived from the
# method's phases (DOMAIN.md, "Meetings the coordinator plans"); the worker changes them.
DEFAULT_AGENDAS: dict[str, tuple[tuple[str, str], ...]] = {
    "familieraadslagning": (
        ("information", "Velkomst, og hvem er her"),
        ("information", "Spørgsmålene, som familiens plan skal svare på"),
        ("information", "Informatørerne fortæller og svarer på spørgsmål"),
        ("family_time", "Familiens egen tid: familien og netværket laver planen"),
        ("plan", "Familien fremlægger planen"),
        ("plan", "Socialrådgiveren godkender planen"),
        ("plan", "Opfølgningsmøde om ca. 3 måneder"),
    ),
    "familieraadslagning_followup": (
        ("", "Velkomst"),
        ("", "Planens punkter: hvad er gjort, og hvordan går det"),
        ("", "Det, der skal ændres i planen"),
        ("", "Aftaler og næste skridt"),
    ),
    "bic_session": (
        ("", "Siden sidst"),
        ("", "Barnet i centrum: aftalerne om barnet"),
        ("", "Rådgivning: separation, Familieretshuset, økonomi og bolig"),
        ("", "Behandling for vold, eller motivationssamtaler i PPR"),
        ("", "Aftaler til næste samtale"),
    ),
    "bic_joint_parents": (
        ("", "Velkomst og rammer for mødet"),
        ("", "Aftalerne om barnet under opholdet"),
        ("", "Hvordan forældrene giver hinanden besked om barnet"),
        ("", "Aftaler og næste skridt"),
    ),
    "netvaerksmoede": (
        ("", "Velkomst, og hvem er her"),
        ("", "Hvorfor vi holder mødet: bekymringen og spørgsmålene"),
        ("", "Det, der går godt, og netværkets ressourcer"),
        ("", "Hvem gør hvad: aftaler i netværket"),
        ("", "Opfølgning: hvornår og hvordan"),
    ),
    "statusmoede": (
        ("", "Velkomst"),
        ("", "Status på målene i udviklingsprofilen"),
        ("", "Det, der går godt, og det, der er svært"),
        ("", "Aftaler og næste statusmøde"),
    ),
    "team_meeting": (
        ("", "Familierådslagning: status for hver aktuel familie"),
        ("", "Barnet i Centrum: status for hver aktuel familie"),
        ("", "Eventuelt"),
    ),
    "cooperation_meeting": (
        ("", "Ny lovgivning og nye tiltag for målgruppen"),
        ("", "Evaluering af samarbejdet"),
        ("", "Aftaler for det kommende år"),
    ),
    "agreement_evaluation": (
        ("", "Aftalens forpligtelser: er de holdt"),
        ("", "Det, der virker, og det, der skal ændres"),
        ("", "Skal aftalen fornyes?"),
    ),
}


def default_agenda(kind_key: str) -> tuple[tuple[str, str], ...]:
    """The points a new meeting of this kind starts with: (part key or "", title), in
    order; a single-part kind's points belong to the whole meeting."""
    return DEFAULT_AGENDAS.get(kind_key, ())


def get_kind(kind_key: str) -> MeetingKind:
    """Return the meeting kind for a key, so callers never guess labels or parts.

    Raises ``KindError`` with a Danish message for an unknown key (e.g. from a form).
    """
    try:
        return KINDS[kind_key]
    except KeyError:
        raise KindError(f"Ukendt mødetype: »{kind_key}«.") from None


def may_attend(kind_key: str, part_key: str, category: ParticipantCategory) -> bool:
    """Whether a participant of this category may attend this part of this kind of meeting.

    The single source of the attendance rules, used by the safety checks and the invite
    forms so that e.g. professionals are not invited to *Familiens egen tid*.
    """
    return category in get_kind(kind_key).part(part_key).categories


def proposed_followup_date(kind_key: str, held_on: date) -> date | None:
    """The date a follow-up meeting should be proposed for, or None if the kind has none.

    A familierådslagning is followed up about three months later; the same day of the
    month is used, clamped to the month's last day (30 November for 31 August).
    """
    kind = get_kind(kind_key)
    if kind.followup_after_months is None:
        return None
    return add_months(held_on, kind.followup_after_months)


def add_months(day: date, months: int) -> date:
    """Add calendar months to a date, clamping to the last day of the target month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class MeetingStatus(StrEnum):
    """Where a meeting is in its life: draft → planned → invited → held → followup."""

    DRAFT = "draft"
    PLANNED = "planned"
    INVITED = "invited"
    HELD = "held"
    FOLLOWUP = "followup"
    CANCELLED = "cancelled"


STATUS_LABELS: dict[MeetingStatus, str] = {
    MeetingStatus.DRAFT: "Kladde",
    MeetingStatus.PLANNED: "Planlagt",
    MeetingStatus.INVITED: "Inviteret",
    MeetingStatus.HELD: "Afholdt",
    MeetingStatus.FOLLOWUP: "Opfølgning",
    MeetingStatus.CANCELLED: "Aflyst",
}

# The statuses as groups other modules test against, named once.
# Open: still being planned or sent; a worker may change it (times, participants, parts).
OPEN_STATUSES: tuple[str, ...] = (MeetingStatus.DRAFT.value, MeetingStatus.PLANNED.value,
                                  MeetingStatus.INVITED.value)
# Held: the meeting took place (its follow-up included).
HELD_STATUSES: tuple[str, ...] = (MeetingStatus.HELD.value, MeetingStatus.FOLLOWUP.value)
# Sent: participants have received it (an invitation, or its cancellation afterwards).
SENT_STATUSES: tuple[str, ...] = (MeetingStatus.INVITED.value, MeetingStatus.HELD.value,
                                  MeetingStatus.CANCELLED.value)
# Upcoming: planned or sent, not yet held; a family's next meeting is one of these. In this
# order: the partial index "meeting_family_upcoming" lists them so, and a statement uses it
# only when its condition is written the same way, as literals.
UPCOMING_STATUSES: tuple[str, ...] = (MeetingStatus.PLANNED.value, MeetingStatus.INVITED.value)
# Answerable: a participant's personal link still takes an answer.
ANSWERABLE_STATUSES: tuple[str, ...] = (MeetingStatus.INVITED.value, MeetingStatus.PLANNED.value)
# Closed: nothing more happens to it (held, followed up or cancelled).
CLOSED_STATUSES: frozenset[str] = frozenset({*HELD_STATUSES, MeetingStatus.CANCELLED.value})

# Moving back from invited to planned is a reschedule (new invites must go out);
# from planned back to draft is reopening the plan. Held, followup and cancelled
# meetings are history and cannot be reopened or cancelled.
ALLOWED_TRANSITIONS: dict[MeetingStatus, frozenset[MeetingStatus]] = {
    MeetingStatus.DRAFT: frozenset({MeetingStatus.PLANNED, MeetingStatus.CANCELLED}),
    MeetingStatus.PLANNED: frozenset({MeetingStatus.INVITED, MeetingStatus.DRAFT, MeetingStatus.CANCELLED}),
    MeetingStatus.INVITED: frozenset({MeetingStatus.HELD, MeetingStatus.PLANNED, MeetingStatus.CANCELLED}),
    MeetingStatus.HELD: frozenset({MeetingStatus.FOLLOWUP}),
    MeetingStatus.FOLLOWUP: frozenset(),
    MeetingStatus.CANCELLED: frozenset(),
}


class TransitionError(ValueError):
    """A status change that the lifecycle does not allow; ``message_da`` is user-facing."""

    def __init__(self, message_da: str) -> None:
        super().__init__(message_da)
        self.message_da = message_da


def _status(value: str | MeetingStatus) -> MeetingStatus:
    try:
        return MeetingStatus(value)
    except ValueError:
        raise TransitionError(f"Ukendt mødestatus: »{value}«.") from None


def transition(
    current: str | MeetingStatus, target: str | MeetingStatus, kind_key: str | None = None
) -> MeetingStatus:
    """Validate a status change and return the new status.

    Raises ``TransitionError`` with a Danish message when the change is not allowed, so
    a meeting can never be e.g. marked held before invites went out, or revived after
    it was cancelled. With ``kind_key``, a follow-up is only allowed for kinds that have one.
    """
    source, goal = _status(current), _status(target)
    if source == goal:
        raise TransitionError(f"Mødet har allerede status »{STATUS_LABELS[goal]}«.")
    if goal not in ALLOWED_TRANSITIONS[source]:
        raise TransitionError(
            f"Et møde med status »{STATUS_LABELS[source]}« kan ikke ændres til »{STATUS_LABELS[goal]}«."
        )
    if goal == MeetingStatus.FOLLOWUP and kind_key is not None and get_kind(kind_key).followup_kind is None:
        raise TransitionError(f"Mødetypen »{get_kind(kind_key).label}« har ikke et opfølgningsmøde.")
    return goal


def allowed_targets(current: str | MeetingStatus) -> frozenset[MeetingStatus]:
    """The statuses a meeting may move to next; used to show only the valid buttons."""
    return ALLOWED_TRANSITIONS[_status(current)]


def status_actions(current: str | MeetingStatus) -> dict[str, str]:
    """The meeting page's status buttons: each status a meeting may move to by a button,
    and what the button says. Held and follow-up are reached through the minutes form."""
    status = _status(current)
    labels = {
        MeetingStatus.PLANNED: ("Flyt mødet (nyt tidspunkt, nye invitationer)"
                                if status is MeetingStatus.INVITED else "Planlæg mødet"),
        MeetingStatus.INVITED: "Send invitationer",
        MeetingStatus.DRAFT: "Genåbn som kladde",
        MeetingStatus.CANCELLED: "Aflys mødet",
    }
    return {goal.value: labels[goal] for goal in sorted(allowed_targets(status)) if goal in labels}


# What the meeting page says about each message to the participants, by change kind.
CHANGE_LABELS: dict[str, str] = {
    "invited": "Invitation",
    "rescheduled": "Flyttet",
    "updated": "Opdateret",
    "participant_removed": "Deltager fjernet",
    "cancelled": "Aflyst",
}


# The steps of the familierådslagning and Barnet i Centrum flows (stored key → Danish label).
FGC_STATUS = {"assessed": "Vurderet", "not_possible": "Vurderet: ikke mulig",
              "referred": "Henvist", "coordinator": "Samordner valgt",
              "preparing": "Forberedes", "planned": "Møde planlagt", "held": "Afholdt",
              "followup": "Opfølgning planlagt"}
BIC_STATUS = {"assessed": "Vurderet", "not_involved": "Far inddrages ikke",
              "agreed": "Mors samtykke registreret", "referred": "Henvist til Modtagelsen",
              "sessions": "Rådgivningssamtaler i gang"}
# An advice session with the father (``BicSession.status``): planned until it is held.
BIC_SESSION_STATUS = {"planned": "Planlagt", "held": "Afholdt"}


# --- telling those the system does not e-mail ---------------------------------------------
# A participant invited by letter, by phone or through the socialrådgiver is told by her; she
# marks it on the meeting page (what: "invitation" or "cancellation", at which SEQUENCE). What
# they still need to hear, and how the answers page says it:
TELLING_LABELS: dict[str, str] = {
    "tell_invitation": "Skal have invitationen",
    "tell_change": "Skal have besked om det nye tidspunkt eller sted",
    "tell_cancellation": "Skal have besked om aflysningen",
    "told": "Har fået invitationen",
    "told_cancellation": "Har fået besked om aflysningen",
    "nothing": "",
}


def telling_state(status: str, sequence: int, told_what: str,
                  told_sequence: int | None) -> str:
    """What a participant who is not e-mailed still needs to hear of the meeting now (a key
    of ``TELLING_LABELS``): once it is sent, the invitation; after a move or a new place
    (the SEQUENCE goes up), the change; after a cancellation, the cancellation, if they
    were told of the meeting at all. Nothing before it is sent, or once it is held."""
    if status == MeetingStatus.CANCELLED.value:
        if told_what == "cancellation":
            return "told_cancellation"
        return "tell_cancellation" if told_what == "invitation" else "nothing"
    if status != MeetingStatus.INVITED.value:
        return "nothing"
    if told_what != "invitation":
        return "tell_invitation"
    return "told" if told_sequence == sequence else "tell_change"


def told_now(status: str) -> str:
    """What marking a participant as told records: the cancellation of a cancelled meeting,
    else the invitation as it is now."""
    return "cancellation" if status == MeetingStatus.CANCELLED.value else "invitation"
