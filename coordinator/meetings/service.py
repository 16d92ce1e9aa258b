"""Use cases for meetings: access, lifecycle, parts and participants, safety, slots.

The only place that combines the database with the pure rules of ``kinds``, ``safety``
and ``planner``. Every write is one transaction that first bumps the meeting's version
(optimistic locking: ``UPDATE … WHERE id=? AND version=?``), then changes rows, audits,
and — when participants must hear about it — calls ``_notify`` in the same transaction.
The familierådslagning and BIC flows live in ``flows.py`` and build on this module.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from litestar.exceptions import NotFoundException
from markupsafe import Markup

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, Audience, Principal
from coordinator.auth.roles import ADMINS, ALL_ROLES, CASE_HOLDERS, CASE_WORKERS, Role
from coordinator.auth.roles import values as role_values
from coordinator.auth.tables import User
from coordinator.cache import BoundedCache
from coordinator.families import cases, revisions
from coordinator.families import service as families
from coordinator.families.tables import Family
from coordinator.invites.service import enqueue_for_change, resend_invitation
from coordinator.meetings import (
    agenda,
    availability,
    formoede,
    kinds,
    offers,
    place,
    planner,
    protected,
    safety,
)
from coordinator.meetings.participants import (
    KEPT_APART_COLUMN,
    ON_TEAM_COLUMN,
    ORGANISER_ROLES,
    ROLES,
    RSVP_LABELS,
    protected_person,
    role_of_account,
    safety_id,
    safety_person,
    withholds_contact,
)
from coordinator.meetings.protected_places import (
    childrens_places,
    every_childrens_place,
    protected_facts,
    protected_people,
)
from coordinator.meetings.tables import (
    AgendaPoint,
    FatherAssessment,
    FgcCase,
    FgcTask,
    Meeting,
    MeetingChange,
    MeetingPart,
    Participant,
    ParticipantPart,
    Room,
    SafetyApproval,
)
from coordinator.network import directory as org_directory
from coordinator.network import graph
from coordinator.network import service as network_service
from coordinator.network import tables as net
from coordinator.network import vocab as network_vocab

FGC_KINDS = frozenset({"familieraadslagning", "familieraadslagning_followup"})
BIC_KINDS = frozenset({"bic_session", "bic_joint_parents"})
# Kinds a worker creates from the family page; the flows create the others.
FREE_KINDS = ("netvaerksmoede", "statusmoede")

CHANGE_KINDS = ("invited", "rescheduled", "updated", "participant_removed", "cancelled")


# ------------------------------------------------------------------------------ access

async def samordner_may_open(user: Principal, meeting: Mapping[str, Any]) -> bool:
    """A samordner may open a meeting only when it is a familierådslagning (or its
    follow-up) whose case names them as the coordinator. Nothing else of the family."""
    if user.role is not Role.SAMORDNER or meeting["kind"] not in FGC_KINDS:
        return False
    if meeting["fgc_case"] is None:
        return False
    return await FgcCase.exists().where(
        (FgcCase.id == meeting["fgc_case"]) & (FgcCase.samordner_user == user.id))


FATHER_SIDE_KINDS = frozenset({"bic_session", "bic_joint_parents"})


async def father_side_may_open(user: Principal, meeting: Mapping[str, Any], action: Action) -> bool:
    """A kontaktperson reads the BIC meetings of the fathers referred to them (sessions and
    the joint parents' meeting) and changes only the advice sessions."""
    if user.role is not Role.KONTAKTPERSON or meeting["kind"] not in FATHER_SIDE_KINDS:
        return False
    if action is not Action.READ and meeting["kind"] != "bic_session":
        return False
    if meeting["father_assessment"] is None:
        return False
    return await FatherAssessment.exists().where(
        (FatherAssessment.id == meeting["father_assessment"])
        & (FatherAssessment.contact_person == user.id))


def audience_of(user: Principal) -> Audience:
    """The audience a user who has opened a meeting reads it as (``load_meeting`` decided
    they may): the team, or – for a samordner or a kontaktperson – someone outside it."""
    if user.role is Role.KONTAKTPERSON:
        return Audience.FATHER_SIDE
    if user.role is Role.SAMORDNER:
        return Audience.NONE
    return Audience.TEAM




def may_open_without_family(user: Principal, meeting: Mapping[str, Any]) -> bool:
    """THE access rule for a meeting between organisations (``family`` is empty), such as
    an agreement evaluation: socialrådgivere and leaders may read and change it, and so may
    its organiser (e.g. a kontaktperson who planned it). Admins and samordnere never
    (they get 404). Such a meeting carries no family data, so nothing else is checked."""
    if meeting["family"] is not None or user.role not in CASE_WORKERS:
        return False
    return user.role in CASE_HOLDERS or (
        meeting["organiser"] is not None and meeting["organiser"] == user.id)


async def load_meeting(user: Principal, meeting_id: int, action: Action, *,
                       address: str = "", what: str = "møde",
                       samordner_edit: bool = False, audit_read: bool = True,
                       row: dict | None = None, known: families.KnownAccess | None = None
                       ) -> tuple[dict, dict | None]:
    """The meeting and its family (None for a meeting between organisations) if ``user``
    may perform ``action``; otherwise 404.

    The meeting's family decides (``families.load_family``); a meeting without a family
    follows ``may_open_without_family``. A samordner may READ the familierådslagninger
    they coordinate, and WRITE them only where the route passes ``samordner_edit`` (times,
    participants and their parts). Reads are audited. ``row``: the meeting's row, where the
    caller has read it, and ``known`` the facts of its family's access check (the meeting
    page, with its stamps: ``families.meeting_page_stamps``).
    """
    found = [row] if row is not None and row["id"] == meeting_id else await db.rows(
        Meeting, '"id" = {}', meeting_id, order_by="")
    if not found:
        raise NotFoundException()
    meeting = found[0]
    if meeting["family"] is None:
        if not may_open_without_family(user, meeting):
            raise NotFoundException()
        family = None
    elif user.role is Role.SAMORDNER:
        if action is not Action.READ and not samordner_edit:
            raise NotFoundException()
        if not await samordner_may_open(user, meeting):
            raise NotFoundException()
        family = await Family.select().where(Family.id == meeting["family"]).first()
    elif user.role is Role.KONTAKTPERSON:
        # Father side: the meetings of the BIC case referred to this kontaktperson; they
        # change only the advice sessions (the joint meeting is the team's).
        if not await father_side_may_open(user, meeting, action):
            raise NotFoundException()
        family = await families.load_family(user, meeting["family"], action, what=what,
                                            address=address, audit_read=False, father_side=True)
    else:
        family = await families.load_family(user, meeting["family"], action, what=what,
                                            address=address, audit_read=False, known=known)
    if action is Action.READ and audit_read:
        await audit.record(user, "read", what, meeting_id, meeting["family"],
                           meeting["title"], address)
    return meeting, family


async def coordinated_cases(user: Principal) -> list[dict]:
    """The samordner's start page: per familierådslagning she coordinates, what the method
    needs – the concern and the referral questions, the tasks with their deadlines, and the
    meetings with who is invited and how they answered. Nothing else of the family."""
    if user.role is not Role.SAMORDNER:
        return []
    cases = await FgcCase.select(FgcCase.id, FgcCase.family, FgcCase.status, FgcCase.concern,
                                 FgcCase.questions, FgcCase.referred_on).where(
        FgcCase.samordner_user == user.id).order_by(FgcCase.id)
    ids = [c["id"] for c in cases]
    tasks = await FgcTask.select().where(FgcTask.case.is_in(ids or [-1])).order_by(
        FgcTask.case, FgcTask.position, FgcTask.id)
    meetings = await Meeting.select(
        Meeting.id, Meeting.title, Meeting.kind, Meeting.status, Meeting.fgc_case,
        Meeting.starts_at).where(Meeting.fgc_case.is_in(ids or [-1]),
                                 Meeting.kind.is_in(list(FGC_KINDS))).order_by(Meeting.id)
    people = await Participant.select(
        Participant.meeting, Participant.name, Participant.role, Participant.rsvp,
        Participant.person.is_child.as_alias("is_child")).where(
        Participant.meeting.is_in([m["id"] for m in meetings] or [-1])
        & Participant.removed_at.is_null()).order_by(Participant.id)
    today = clock.today()
    for case in cases:
        # She is outside the team: no protected fact of this family, ever, and the children
        # by first name and initial – the meeting page's own cleaning (``family_cleaner``).
        # A case with no meeting yet is named as partners read its meetings' titles, by the
        # children's first names ("Familierådslagning om Emma H."): two cases told apart.
        clean = await family_cleaner(case["family"])
        case["heading"] = safety.partner_title("familieraadslagning",
                                               await children_of(case["family"]))
        case["concern"] = clean(case["concern"])
        case["questions_list"] = [clean(q.strip()) for q in case["questions"].splitlines()
                                  if q.strip()]
        case["tasks"] = [{**t, "title": clean(t["title"]),
                          "overdue": bool(t["deadline"] and not t["done"] and t["deadline"] < today)}
                         for t in tasks if t["case"] == case["id"]]
        case["meetings"] = [m for m in meetings if m["fgc_case"] == case["id"]]
        for meeting in case["meetings"]:
            meeting["kind_label"] = kinds.KINDS[meeting["kind"]].label
            meeting["status_label"] = kinds.STATUS_LABELS[kinds.MeetingStatus(meeting["status"])]
            meeting["title"] = clean(meeting["title"])
            meeting["people"] = [{"name": clean(p["name"]), "role": ROLES.get(p["role"], p["role"]),
                                  "answer": RSVP_LABELS.get(p["rsvp"], p["rsvp"])}
                                 for p in people if p["meeting"] == meeting["id"]]
    return cases


# ------------------------------------------------------------------- the invites seam

async def _notify(meeting_id: int, change_kind: str,
                  removed_participant_ids: Iterable[int] = (), user: Principal | None = None,
                  written: Mapping[str, Any] | None = None) -> None:
    """Record that participants must be told about a change (the seam to invites).

    Called INSIDE the transaction of the change, so a change and its notification commit
    together or not at all. ``change_kind`` is one of ``CHANGE_KINDS``:
    ``invited`` (invites sent, or attendees added to an invited meeting), ``rescheduled``,
    ``updated`` (title or description: the same SEQUENCE, the new text),
    ``participant_removed`` (with the removed participants' ids) and ``cancelled``.
    The row carries the meeting's SEQUENCE after the change; the invites domain queues
    the change's mails right here (``enqueue_for_change``), in the same transaction, so a
    committed change is a processed one. ``written``: the meeting's row as the change's own
    UPDATE returned it (``_bump``), so its SEQUENCE and version are not read again.
    """
    if change_kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {change_kind!r}")
    if change_kind in ("invited", "rescheduled", "updated"):
        await refuse_if_unsafe(meeting_id, written)
    row = written or await Meeting.select(Meeting.sequence, Meeting.version).where(
        Meeting.id == meeting_id).first()
    if row is None:  # called inside the change's transaction, on an existing meeting
        raise NotFoundException()
    await MeetingChange.insert(MeetingChange(
        meeting=meeting_id, change_kind=change_kind, sequence=row["sequence"],
        removed_participant_ids=",".join(str(i) for i in removed_participant_ids),
        user_id=user.id if user else None, at=clock.now()))
    # The transactional outbox: the invite mails commit with the change (invites domain).
    await enqueue_for_change(meeting_id, change_kind, removed_participant_ids,
                             version=row["version"])


UNSAFE_CHANGE = ("Ændringen er ikke gemt, og der er ikke sendt noget: mødet er allerede sendt, "
                 "og ændringen gør det usikkert.")


async def refuse_if_unsafe(meeting_id: int, written: Mapping[str, Any] | None = None) -> None:
    """Inside a change's transaction: a meeting that has been sent must pass the safety
    rules (keep-apart, protected location, mother's consent) as it is AFTER the change, or
    the change is refused with the reason and rolled back, invitations included.
    ``written``: the meeting's row as the change's own UPDATE returned it (``_bump``), the
    row a read here would find."""
    meeting = written if written is not None else await Meeting.select().where(
        Meeting.id == meeting_id).first()
    if meeting is None or meeting["status"] != "invited":
        return
    family = (await Family.select().where(Family.id == meeting["family"]).first()
              if meeting["family"] else None)
    findings = await safety_findings(meeting, await parts_of(meeting_id),
                                     await participants_of(meeting_id), family, shielded=())
    blocking = [f.message for f in findings if f.severity == safety.BLOCK]
    if blocking:
        raise web.UserError(UNSAFE_CHANGE + " " + " ".join(blocking), 409)


@dataclass(frozen=True)
class UnsafeMeeting:
    """A sent meeting still to come that the safety rules now block, and why."""

    id: int
    title: str
    starts_at: datetime
    reasons: tuple[str, ...]


async def unsafe_sent_meetings(family: Mapping[str, Any], meetings: list[dict],
                               network: network_service.Network | None = None
                               ) -> list[UnsafeMeeting]:
    """The family's sent meetings still to come (invited, not yet begun) that the safety
    rules block as the family is NOW, with the reasons. A change of the meeting itself is
    refused when it would leave it so (``refuse_if_unsafe``); a change of the family or its
    network is not (a check-in at the crisis centre makes the children's school protected;
    a person marked protected, a pair kept apart), and what the participants already
    received cannot be taken back: the team must move, change or cancel such a meeting.
    Its queued mails are withheld meanwhile (``invites.service.safe_to_send_now``).
    ``meetings``: the family's (``meetings_of_family``); ``network``: the family's, when
    the caller has read it."""
    now = clock.now()
    coming = [m["id"] for m in meetings
              if m["status"] == "invited" and m["starts_at"] is not None and m["starts_at"] > now]
    if not coming:
        return []
    facts = await protected_facts()
    childrens = network.childrens_places(bool(family["at_crisis_centre"])) if (
        network is not None and network.family_id == family["id"]) else \
        await childrens_places_of(family["id"])
    approvals: dict[int, list[dict]] = {}
    for approval in await db.rows(SafetyApproval, f'"meeting" IN ({db.marks(coming)})', *coming):
        approvals.setdefault(approval["meeting"], []).append(approval)
    unsafe = []
    for meeting in await db.rows(Meeting, f'"id" IN ({db.marks(coming)})', *coming):
        parts = await parts_of(meeting["id"])
        findings = await safety_findings(meeting, parts, await participants_of(meeting["id"]),
                                         family, facts, approvals.get(meeting["id"], []),
                                         network=network, childrens=childrens, shielded=())
        reasons = tuple(f.message for f in findings if f.severity == safety.BLOCK)
        if reasons:
            unsafe.append(UnsafeMeeting(meeting["id"], meeting["title"],
                                        min(p["starts_at"] for p in parts), reasons))
    return sorted(unsafe, key=lambda m: (m.starts_at, m.id))


async def family_facts(family_id: int, *, childrens_places: bool = False) -> tuple[str, ...]:
    """What typed text about this family must not name: every protected place
    (``protected_facts``) and the address, phone and e-mail of each person whose contact
    data is withheld (``protected_places.protected_people``: a protected address, or
    contact only through the worker); with
    ``childrens_places`` also the schools and day care of the family's network (where the
    children can be found), for text the father's side may read."""
    facts = list(await protected_facts())
    facts += [value for p in (await protected_people([family_id])).get(family_id, ())
              for value in (p.address, p.phone, p.email) if value and value.strip()]
    if childrens_places:
        facts += await childrens_places_of(family_id)
    return tuple(dict.fromkeys(facts))


async def childrens_places_of(family_id: int | None) -> tuple[str, ...]:
    """The schools and day care in the family's network, when the family is shielded (a
    protected address, or at the crisis centre): the places the father's side may never
    read (``safety.Meeting.childrens_places``). None for a meeting without a family."""
    return (await childrens_places([family_id])).get(family_id, ()) if family_id else ()


def _named(found: str, on_team: bool, what: str) -> str:
    """How a refusal names the protected fact it found: as stored, to the team who know it;
    to anyone else (the father's kontaktperson) not at all, for a guess would be completed."""
    return f"»{found}«" if on_team else what


async def screen_childrens_places(meeting: Mapping[str, Any],
                                  texts: Mapping[str, tuple[str, str]],
                                  on_team: bool = True) -> None:
    """The place, title or description of a meeting with the father (or anyone who used
    violence, or anyone kept apart from the mother or a child) may not name the children's
    school or day care: refused where it is typed.
    A meeting with the school's own staff may of course be held at the school."""
    if meeting["family"] is None:
        return
    changed = {name: value for name, value in texts.items() if value[1] != meeting.get(name)}
    places = await childrens_places_of(meeting["family"]) if changed else ()
    findings = safety.screen_texts(changed, places) if places else []
    if not findings:
        return
    family = await Family.select(Family.at_crisis_centre).where(Family.id == meeting["family"]).first()
    at_centre = bool(family and family["at_crisis_centre"])
    hostile = [p for p in (safety_person(row, at_centre) for row in await participants_of(meeting["id"]))
               if p.is_hostile or p.kept_apart]
    if hostile:
        first = findings[0]
        names = ", ".join(p.name for p in hostile[:3])
        raise web.UserError(
            f"»{first.label}« nævner {_named(first.found, on_team, 'et sted')}, hvor børnene "
            f"kan findes, og mødet har "
            f"deltagere, der ikke må vide det ({names}). Ret teksten – intet er gemt.",
            field=first.field)


# Where children spend their days: a protected family's children must not be found there.
CHILDRENS_PLACES = frozenset(network_vocab.CHILDRENS_PLACES)


async def screen_case_text(family_id: int, texts: Mapping[str, tuple[str, str]],
                           readers: str, user: Principal | None = None) -> None:
    """Text typed in a case form that ``readers`` (outside the team) will read is screened
    where it is typed: naming a protected place or a protected person's whereabouts in any
    spelling is refused (422) at the field, with what was found told to the team only
    (``user``: the writer; ``screen_outside_writer`` first for one outside the team);
    nothing is saved."""
    texts = {name: value for name, value in texts.items() if value[1].strip()}
    if not texts:
        return
    on_team = user is None or audience_of(user) is Audience.TEAM
    if not on_team:
        await screen_outside_writer(user, family_id, texts)
    findings = safety.screen_texts(texts, await family_facts(family_id, childrens_places=True))
    if findings:
        first = findings[0]
        raise web.UserError(
            f"»{first.label}« nævner {_named(first.found, on_team, 'en beskyttet oplysning')}, "
            f"som kan fortælle, hvor mor og børn opholder sig. {readers} Ret teksten – intet "
            "er gemt.", field=first.field)


OUTSIDE_WRITER_SCHOOL = ("»{label}« nævner en skole eller et dagtilbud. Uden for familiens team "
                         "kan du ikke skrive en skole eller et dagtilbud ind i sagen – heller ikke "
                         "som mødested. Bed familiens socialrådgiver om det. Intet er gemt.")


async def screen_outside_writer(user: Principal | None, family_id: int | None,
                                texts: Mapping[str, tuple[str, str]],
                                organisation_kind: str | None = None,
                                organisation_field: str = "location_organisation") -> None:
    """A writer outside the family's team (the samordner, the father's kontaktperson)
    names no school or day care at all for a family whose children's places are withheld
    from her (shielded, with a school or day care in its network) – any in the directory,
    typed (``texts``: field → (label, text)) or chosen as the place
    (``organisation_kind``) – with one neutral refusal (422). Refused for the family's own
    school only, the refusal (or the text read back, withheld) would tell her which one the
    children go to. A family not shielded has no such secret: she writes schools freely."""
    if user is None or family_id is None or audience_of(user) is Audience.TEAM:
        return
    if not await childrens_places_of(family_id):
        return
    if organisation_kind in CHILDRENS_PLACES:
        raise web.UserError(OUTSIDE_WRITER_SCHOOL.format(label="Mødested"),
                            field=organisation_field)
    texts = {name: value for name, value in texts.items() if value[1].strip()}
    findings = safety.screen_texts(texts, await every_childrens_place()) \
        if texts else []
    if findings:
        raise web.UserError(OUTSIDE_WRITER_SCHOOL.format(label=findings[0].label),
                            field=findings[0].field)


async def screen_typed_text(meeting: Mapping[str, Any], texts: Mapping[str, tuple[str, str]],
                            on_team: bool = True) -> None:
    """Free text that every participant reads (title, description) is screened when it is
    typed: if it names a protected place or fact in any spelling and the meeting has a
    participant who may not know it, it is refused (422) with what was found and for whom,
    and nothing is saved. Sending screens again per recipient (the second line)."""
    if meeting["family"] is None:
        return
    # Only what is typed now: text already saved is screened when it leaves (per recipient).
    changed = {name: value for name, value in texts.items() if value[1] != meeting.get(name)}
    if not changed:
        return
    findings = safety.screen_texts(changed, await family_facts(meeting["family"]))
    if not findings:
        return
    family = await Family.select(Family.at_crisis_centre).where(Family.id == meeting["family"]).first()
    at_centre = bool(family and family["at_crisis_centre"])
    people = [safety_person(p, at_centre) for p in await participants_of(meeting["id"])]
    outside = safety.outsiders(people)
    if not outside:
        return
    first = findings[0]
    names = ", ".join(p.name for p in outside[:3]) + (" m.fl." if len(outside) > 3 else "")
    raise web.UserError(
        f"»{first.label}« nævner {_named(first.found, on_team, 'en beskyttet oplysning')}, "
        f"som kan fortælle, hvor mor og børn opholder "
        f"sig. Mødet har deltagere, der ikke må vide det ({names}). Ret teksten – intet er gemt.",
        field=first.field)


# ------------------------------------------------------------------ optimistic locking

LOCK_FIELDS = ("title", "status", "location", "description", "sequence", "version")


MEETING_CONFLICT = ("Mødet er ændret af en anden, siden du åbnede det. Intet af det, du "
                    "indtastede, er gemt. Sammenlign de to udgaver, og indtast dine ændringer "
                    "igen.")


async def _bump(meeting_id: int, version: int | None, changes: Mapping[str, Any] | None = None,
                *, material: bool = False, mine: Mapping[str, Any] | None = None,
                message: str = MEETING_CONFLICT) -> dict:
    """Take the meeting for this write (``db.update_versioned``).

    Raises ``web.Conflict`` (409) with both versions when someone saved in between, or
    when the form sent no version (None): a browser's write is never the last writer
    winning. A step inside another use case passes the version it read or, explicitly,
    ``db.ANY_VERSION`` (then the row lock orders the writers).
    ``material`` raises the iCalendar SEQUENCE (time, place or attendees changed).
    Returns the meeting row after the update.
    """
    values: dict[Any, Any] = {Meeting.updated_at: clock.now()}
    if material:
        values[Meeting.sequence] = Meeting.sequence + 1
    for name, value in (changes or {}).items():
        values[getattr(Meeting, name)] = value
    try:  # the row as the UPDATE returns it: no reads before or after (one statement)
        return await db.update_versioned(
            Meeting, meeting_id, version, values,
            mine=mine, shown=LOCK_FIELDS[:-1], message=message)
    except db.Conflict as conflict:
        if not conflict.theirs:  # read again by the conflict: the meeting is gone
            raise NotFoundException() from conflict
        raise


# ------------------------------------------------------------------------ reading

@dataclass
class MeetingView:
    """Everything the meeting page shows."""

    meeting: dict
    family: dict | None  # None for a meeting between organisations
    kind: kinds.MeetingKind
    parts: list[dict]
    participants: list[dict]
    approvals: list[dict]
    findings: list[safety.Finding]
    location_protected: bool
    targets: list[str]
    changes: list[dict]
    room: dict | None = None
    feed_warnings: list[str] = field(default_factory=list)
    feeds: dict[int, dict] = field(default_factory=dict)  # participant id -> own feed
    hours: dict[str, availability.Hours] = field(default_factory=dict)  # by safety id
    partner_title: str = ""  # what partners read as the title by default
    where: place.Place = place.Place("", "", False)  # where the meeting is (meetings/place.py)
    earlier_changes: int = 0  # changes told to the participants before those in ``changes``
    # The agenda's points in order (``agenda_of``); outside the team without their minutes.
    agenda: list[dict] = field(default_factory=list)


# The newest changes the meeting page lists (a meeting edited all year has hundreds).
CHANGES_SHOWN = 5
# The meeting's latest changes, newest first, each with how many there are in all.
_LATEST_CHANGES = (f'SELECT {db.columns(MeetingChange)}, COUNT(*) OVER () AS "total_" '
                   'FROM "meeting_change" WHERE "meeting" = {} ORDER BY "id" DESC LIMIT {}')


# Read on every slot search and meeting page: hand-written (see ``sql``).
_PARTS = (f'SELECT {db.columns(MeetingPart, "mp")} FROM "meeting_part" mp '
          'WHERE mp."meeting" = {} ORDER BY mp."position"')
# One row per participant and part they attend (or one row with no part key).
_PARTICIPANTS = (
    f'SELECT {db.columns(Participant, "p")}, pe."role" AS "person_role", '
    'pe."is_child" AS "person_is_child", '
    'pe."protected_address" AS "protected_address", pe."used_violence" AS "used_violence", '
    'pe."contact_only_via_worker" AS "contact_only_via_worker", pe."phone" AS "person_phone", '
    'pe."address" AS "person_address", pe."sector" AS "person_sector", '
    f'{KEPT_APART_COLUMN}, '
    'pe."organisation" AS "person_organisation", u."unit" AS "user_unit", u."role" AS "user_role", '
    f'{ON_TEAM_COLUMN}, mp."key" AS "part_key" '
    'FROM "participant" p LEFT JOIN "person" pe ON pe."id" = p."person" '
    'LEFT JOIN "app_user" u ON u."id" = p."user" '
    'LEFT JOIN "participant_part" pp ON pp."participant" = p."id" '
    'LEFT JOIN "meeting_part" mp ON mp."id" = pp."part" AND mp."meeting" = p."meeting" '
    'WHERE p."meeting" = {} AND p."removed_at" IS NULL '
    'ORDER BY p."id", mp."position", pp."id"')


async def parts_of(meeting_id: int) -> list[dict]:
    """The meeting's parts in order."""
    return await db.fetch(_PARTS, meeting_id)


async def participants_of(meeting_id: int) -> list[dict]:
    """Active participants, each with ``part_keys``, the safety facts of their person and
    the person's organisation (``person_organisation``)."""
    rows: dict[int, dict] = {}
    for row in await db.fetch(_PARTICIPANTS, meeting_id):
        key = row.pop("part_key")
        participant = rows.get(row["id"])
        if participant is None:
            participant = rows[row["id"]] = {**row, "part_keys": [],
                                             "safety_id": safety_id(row)}
        if key is not None:
            participant["part_keys"].append(key)
    return list(rows.values())


async def _place(meeting: Mapping[str, Any], facts: tuple[str, ...] = (),
                 childrens: tuple[str, ...] = ()) -> place.Place:
    """The meeting's one place (``place.place_of``): typed text, booked room, organisation;
    ``childrens``: the family's children's places (``childrens_places_of``)."""
    rooms = await db.rows(Room, '"id" = {}', meeting["room"]) if meeting.get("room") else []
    orgs = await db.fetch('SELECT "name", "location_protected" FROM "organisation" '
                          'WHERE "id" = {}', meeting["location_organisation"], quick=True) \
        if meeting["location_organisation"] else []
    return place.place_of(meeting["location"], rooms[0] if rooms else None,
                          orgs[0] if orgs else None, facts, childrens)


async def _shielded(family_id: int | None, network: network_service.Network | None
                    ) -> tuple[safety.Person, ...]:
    """The family's people whose contact data is withheld (``safety.Meeting
    .protected_people``): from its ``network`` when the caller has read it, else read."""
    if network is not None and network.family_id == family_id:
        return tuple(protected_person(p) for p in network.people if withholds_contact(p))
    return (await protected_people([family_id])).get(family_id, ()) if family_id else ()


async def safety_findings(meeting: Mapping[str, Any], parts: list[dict],
                          participants: list[dict], family: Mapping[str, Any] | None,
                          facts: tuple[str, ...] | None = None,
                          approval_rows: list[dict] | None = None,
                          network: network_service.Network | None = None,
                          points: list[dict] | None = None,
                          childrens: tuple[str, ...] | None = None,
                          where: place.Place | None = None,
                          shielded: tuple[safety.Person, ...] | None = None
                          ) -> list[safety.Finding]:
    """The safety rules' findings for this meeting as it is now (shown before sending);
    ``network``: the family's, when the caller has loaded it (its keep-apart pairs and its
    protected people); ``points``: its agenda, whose titles are checked like the
    description; ``childrens`` and ``where``: the family's children's places and the
    meeting's place, when the caller has them; ``shielded``: the family's people whose
    contact data is protected (``safety.Meeting.protected_people``), read when not given
    – a caller that asks only for the blocking findings passes none, for protected contact
    data in the text is a warning (it is replaced for whoever may not read it)."""
    if facts is None:
        facts = await protected_facts()
    if childrens is None:
        childrens = await childrens_places_of(meeting["family"])
    if where is None:
        where = await _place(meeting, facts, childrens)
    location = safety.Location(text=where.text, at_crisis_centre=where.protected,
                               childrens_place=where.childrens)
    at_centre = bool(family and family["at_crisis_centre"])
    people = [safety_person(p, at_centre) for p in participants]
    s_parts = tuple(
        safety.MeetingPart(part["key"], part["label"], frozenset(
            p["safety_id"] for p in participants if part["key"] in p["part_keys"]))
        for part in parts)
    if approval_rows is None:
        approval_rows = await SafetyApproval.select().where(SafetyApproval.meeting == meeting["id"])
    approvals = tuple(
        safety.Approval(a["person_a"], a["person_b"] or "", a["part_key"], a["reason"],
                        f"user:{a['approved_by']}" if a["approved_by"] else "")
        for a in approval_rows)
    if network is not None and network.family_id == meeting["family"]:
        pairs = network.keep_apart
    else:
        pairs = await db.rows(net.KeepApart, '"family" = {}', meeting["family"]) if meeting[
            "family"] else []
    keep_apart = [safety.KeepApart(f"person:{k['person_a']}", f"person:{k['person_b']}",
                                   k["reason"]) for k in pairs]
    if shielded is None:
        shielded = await _shielded(meeting["family"], network)
    s_meeting = safety.Meeting(
        kind=meeting["kind"], title=meeting["title"], location=location, parts=s_parts,
        description=meeting["description"], approvals=approvals,
        invite_via_worker=frozenset(p["safety_id"] for p in participants
                                    if p["invite_via_worker"]),
        by_letter=frozenset(p["safety_id"] for p in participants if p.get("channel") == "letter"),
        send_email_invites=bool(meeting["send_email_invites"]), sensitive_terms=facts,
        childrens_places=childrens, protected_people=shielded,
        agenda=tuple((p["part_key"], p["title"]) for p in points or ()))
    return safety.check_meeting(s_meeting, people, keep_apart)


async def meeting_view(meeting: dict, family: dict | None,
                       audience: Audience = Audience.TEAM,
                       network: network_service.Network | None = None) -> MeetingView:
    """Load what the meeting page needs (the caller has authorised and audited the read),
    projected for the reader's ``audience``: the family's team sees the meeting as it is;
    anyone else (a samordner, the father's kontaktperson) sees no protected place, room or
    fact in any text, and nobody's contact data (``project_for_audience``). ``network``:
    the meeting's family's, when the caller has loaded it (read from it, not again)."""
    facts = await protected_facts()
    parts = await parts_of(meeting["id"])
    participants = await participants_of(meeting["id"])
    approvals = await db.fetch(
        f'SELECT {db.columns(SafetyApproval, "a")}, u."full_name" AS "by_name" '
        'FROM "safety_approval" a LEFT JOIN "app_user" u ON u."id" = a."approved_by" '
        'WHERE a."meeting" = {} ORDER BY a."id"', meeting["id"])
    points = await agenda_of(meeting["id"], meeting["status"])
    childrens = network.childrens_places(bool(family and family["at_crisis_centre"])) if (
        network is not None and network.family_id == meeting["family"]) else \
        await childrens_places_of(meeting["family"])
    where = await _place(meeting, facts, childrens)
    findings = await safety_findings(meeting, parts, participants, family, facts, approvals,
                                     network, points, childrens, where)
    location_protected = where.protected
    changes = await db.fetch(_LATEST_CHANGES, meeting["id"], CHANGES_SHOWN, quick=True)
    total = changes[0]["total_"] if changes else 0
    for change in changes:
        del change["total_"]
    earlier = total - len(changes)
    targets = sorted(t.value for t in kinds.allowed_targets(meeting["status"]))
    feed_rows, _ = await availability.feeds_of(participants)
    own_feeds = {p["id"]: row for p in participants for row in feed_rows
                 if row["organisation"] is None and (
                     (row["user"] and row["user"] == p["user"])
                     or (row["person"] and row["person"] == p["person"]))}
    hours = await availability.hours_of(availability.owner_of(p) for p in participants
                                        if p["person"] or p["user"])
    view = MeetingView(meeting, family, kinds.get_kind(meeting["kind"]), parts, participants,
                       approvals, findings, location_protected, targets, changes,
                       room=await availability.meeting_room(meeting),
                       feed_warnings=availability.feed_warnings(feed_rows, participants),
                       feeds=own_feeds, hours=hours,
                       partner_title=await partner_title_of(meeting, network), where=where,
                       earlier_changes=earlier, agenda=points)
    if audience is Audience.TEAM:
        return view
    outside = await family_facts(meeting["family"], childrens_places=True) if meeting[
        "family"] else facts
    return project_for_audience(view, outside, minutes=holds_it(audience, meeting),
                                children=await family_children(meeting))


def holds_it(audience: Audience, meeting: Mapping[str, Any]) -> bool:
    """Whether the reader holds the meeting (and so writes its minutes and its outcome): the
    family's team, and the father's kontaktperson for an advice session with him."""
    return audience is Audience.TEAM or (audience is Audience.FATHER_SIDE
                                         and meeting["kind"] == "bic_session")


async def partner_title_of(meeting: Mapping[str, Any],
                           network: network_service.Network | None = None) -> str:
    """What partners read as a family meeting's title by default (``safety.partner_title``);
    ``network``: the family's, when the caller has loaded it."""
    if meeting["family"] is None:
        return meeting["title"]
    if network is not None and network.family_id == meeting["family"]:
        people = network.people  # by id, as read
    else:
        people = await db.fetch('SELECT "name", "role" FROM "person" WHERE "family" = {} '
                                'AND "role" = {} ORDER BY "id"', meeting["family"], "child")
    return safety.partner_title(meeting["kind"],
                                [p["name"] for p in people if p["role"] == "child"])


# What a reader outside the family's team reads instead of a withheld place or fact.
WITHHELD_PLACE = safety.NEUTRAL_LOCATION
CONTACT_FIELDS = ("email", "phone", "address", "person_phone", "person_address", "rsvp_comment",
                  "contact_note")


def _outside_cleaner(facts: tuple[str, ...], participants: Iterable[Mapping[str, Any]],
                     children: Iterable[str] = ()) -> Callable[[str | None], str]:
    """How a text of the meeting reads outside the family's team: every protected fact
    replaced, and the children (among ``participants``, and ``children``: the family's,
    who need not take part) named by first name and initial ("Emma H.")."""
    names = [p["name"] for p in participants if p.get("person_role") == "child"] + list(children)
    shortened = {name: safety.child_display_name(name) for name in names if (name or "").strip()}

    def clean(text: str | None) -> str:
        text = protected.replace(text or "", facts, safety.HIDDEN)
        for full, shown in sorted(shortened.items(), key=lambda item: -len(item[0])):
            text = text.replace(full, shown)
        return text

    return clean


def _meeting_outside(meeting: Mapping[str, Any], location_protected: bool, childrens: bool,
                     clean: Callable[[str | None], str]) -> dict[str, Any]:
    """The meeting's row as a reader outside the team reads it (and finds it in the details
    form): a protected place withheld, the children's school not even as the picker's
    choice (its option would name it), every text cleaned."""
    shown = dict(meeting)
    if location_protected:
        shown["location"] = WITHHELD_PLACE
    if childrens:
        shown["location_organisation"] = None
    for key in ("title", "location", "description", "outcome", "cancel_reason"):
        if isinstance(shown.get(key), str):
            shown[key] = clean(shown[key])
    return shown


async def cleaner_outside(meeting: Mapping[str, Any]) -> Callable[[str | None], str]:
    """``_outside_cleaner`` as ``meeting_view`` makes it for the meeting's page."""
    outside = await family_facts(meeting["family"], childrens_places=True) if meeting[
        "family"] else tuple(await protected_facts())
    return _outside_cleaner(outside, await participants_of(meeting["id"]),
                            await family_children(meeting))


PARTLY_HIDDEN = ("»{label}« har dele, du ikke kan se (vist som »[skjult]« eller med et barns "
                 "forkortede navn), så den kan kun rettes af familiens socialrådgiver. Intet er gemt.")


def _same_text(a: str, b: str) -> bool:
    """Equal as read: line breaks as a form may send them (CRLF or LF), Unicode's one
    spelling (NFC) and the ends stripped, as ``web.text`` strips what it reads."""
    def norm(text: str) -> str:
        return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    return norm(a) == norm(b)


def _as_read_outside(stored: str, sent: str, shown: str, field: str, label: str) -> str:
    """One field a reader outside the team sent back, which her page showed as ``shown``:
    unchanged, what is stored is kept (she never read a withheld part, so she cannot have
    meant to write »[skjult]« over it); changed where the page withheld a part of it,
    refused (her »[skjult]« would replace the team's text); else taken as typed."""
    if _same_text(sent, shown):
        return stored
    if not _same_text(shown, stored):
        raise web.UserError(PARTLY_HIDDEN.format(label=label), field=field)
    return sent


async def kept_if_read_outside(user: Principal, meeting: Mapping[str, Any], stored: str,
                               sent: str, field: str, label: str) -> str:
    """A text a reader outside the team sends back (an agenda point, its minutes):
    ``_as_read_outside`` against the text as her page showed it. The team's own text is
    always taken as sent."""
    if audience_of(user) is Audience.TEAM or not stored:
        return sent
    return _as_read_outside(stored, sent, (await cleaner_outside(meeting))(stored), field,
                            label)


async def kept_outside(meeting: Mapping[str, Any], title: str, location: str,
                       location_organisation: int | None, description: str
                       ) -> tuple[str, str, int | None, str]:
    """The details form as a reader outside the team sent it back, each text field
    ``_as_read_outside`` (a protected fact as »[skjult]«, the place withheld, a child as
    »Emma H.«); the children's school, which her picker did not show as chosen, stays
    chosen unless she chose another place."""
    # As ``meeting_view`` and ``project_for_audience`` made the page she sent it from.
    facts = await protected_facts()
    where = await _place(meeting, facts, await childrens_places_of(meeting["family"]))
    shown = _meeting_outside(meeting, where.protected, where.childrens,
                             await cleaner_outside(meeting))
    return (_as_read_outside(meeting["title"], title, shown["title"], "title", "Titel"),
            _as_read_outside(meeting["location"], location, shown["location"], "location",
                             "Mødested"),
            meeting["location_organisation"] if location_organisation == shown[
                "location_organisation"] else location_organisation,
            _as_read_outside(meeting["description"], description, shown["description"],
                             "description", "Beskrivelse"))


async def participant_for_audience(meeting: Mapping[str, Any], participant: Mapping[str, Any],
                                   audience: Audience) -> tuple[dict, dict]:
    """The meeting's row and one participant's row as a reader of ``audience`` reads them
    (the participant's hours page): the family's team as stored; anyone else (a samordner,
    the father's kontaktperson) as the meeting page's projection shows them – every
    protected fact cleaned from the title and the participant's name and organisation, the
    children named by first name and initial, no place and no contact data."""
    if audience is Audience.TEAM:
        return dict(meeting), dict(participant)
    facts = await family_facts(meeting["family"], childrens_places=True) if meeting[
        "family"] else await protected_facts()
    clean = _outside_cleaner(facts, [participant], await family_children(meeting))
    shown = {**participant, **{key: "" for key in CONTACT_FIELDS if key in participant},
             "name": clean(participant["name"]),
             "organisation": clean(participant.get("organisation"))}
    return _meeting_outside(meeting, True, True, clean), shown


async def family_children(meeting: Mapping[str, Any]) -> list[str]:
    """The names of the meeting's family's children (none for a meeting between
    organisations)."""
    return await children_of(meeting["family"]) if meeting["family"] is not None else []


async def children_of(family_id: int) -> list[str]:
    """The names of the family's children, as its network holds them."""
    return [row["name"] for row in await db.fetch(
        'SELECT "name" FROM "person" WHERE "family" = {} AND ("is_child" OR "role" = {}) '
        'ORDER BY "id"', family_id, "child", quick=True)]


async def family_cleaner(family_id: int) -> Callable[[str | None], str]:
    """How a text about the family reads outside its team when it is not one meeting's
    (the father's BIC page lists the joint meetings): ``_outside_cleaner`` with the
    family's facts and its children, as the meeting page cleans the same text."""
    return _outside_cleaner(await family_facts(family_id, childrens_places=True), (),
                            await children_of(family_id))


def project_for_audience(view: MeetingView, facts: tuple[str, ...], *,
                         minutes: bool = False, children: Iterable[str] = ()) -> MeetingView:
    """The meeting page for a reader outside the family's team (samordner, the father's
    kontaktperson): a protected place (organisation, room at a crisis centre, or text
    naming one) becomes "Oplyses af socialrådgiveren"; every protected fact in titles,
    descriptions, part places, notes and answers is replaced; children are named by first
    name and initial; nobody's contact data is shown; the agenda's titles are cleaned the
    same way and its minutes and the outcome kept only for a reader who holds the meeting
    (``minutes``: the father's kontaktperson in an advice session); the team's safety
    approvals (its reasons) not at all. Pure: the same rule for every page built from a
    ``MeetingView``."""
    clean = _outside_cleaner(facts, view.participants, children)
    meeting = _meeting_outside(view.meeting, view.location_protected, view.where.childrens, clean)
    if not minutes:
        meeting["outcome"] = ""
    points = [{**p, "title": clean(p["title"]), "minutes": clean(p["minutes"]) if minutes else "",
               "minutes_by_name": p["minutes_by_name"] if minutes else ""} for p in view.agenda]
    parts = [{**part, **({"location": clean(part["location"])}
                         if isinstance(part.get("location"), str) else {})} for part in view.parts]
    participants = [{**p, **{key: "" for key in CONTACT_FIELDS if key in p},
                     "name": clean(p["name"]), "organisation": clean(p.get("organisation"))}
                    for p in view.participants]
    room = None if view.location_protected or view.room is None else {
        **view.room, "name": clean(view.room.get("name")), "location": clean(view.room.get("location"))}
    findings = [replace(f, message=clean(f.message)) for f in view.findings]
    where = view.where.for_outside()
    where = replace(where, text=clean(where.text))
    # The team's safety approvals are its assessment in its own words (who may meet whom,
    # and why): notes no reader outside the team reads.
    return replace(view, meeting=meeting, parts=parts, participants=participants, room=room,
                   findings=findings, where=where, feeds={}, changes=[], earlier_changes=0,
                   feed_warnings=[clean(w) for w in view.feed_warnings], agenda=points,
                   approvals=[])


async def meetings_of_family(family_id: int) -> list[dict]:
    """The family's meetings with their first start time, the earliest first; those without
    a start last."""
    rows: dict[int, dict] = {}
    for part in await db.fetch(_MEETINGS_OF_FAMILY, family_id, quick=True):
        start = part.pop("part_starts_at")
        row = rows.setdefault(part["id"], {**part, "starts_at": None})
        if start and (row["starts_at"] is None or start < row["starts_at"]):
            row["starts_at"] = start
    for row in rows.values():
        row["kind_label"] = kinds.KINDS[row["kind"]].label if row["kind"] in kinds.KINDS else row["kind"]
        row["status_label"] = kinds.STATUS_LABELS[kinds.MeetingStatus(row["status"])]
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(rows.values(), key=lambda r: (r["starts_at"] or far_future, r["id"]))


# A row per part (a meeting without parts once, its start empty): the parts' starts as the
# table's own column, which SQLite gives back typed, unlike an aggregate of it.
_MEETINGS_OF_FAMILY = (
    'SELECT m."id", m."title", m."kind", m."status", p."starts_at" AS "part_starts_at" '
    'FROM "meeting" m LEFT JOIN "meeting_part" p ON p."meeting" = m."id" '
    'WHERE m."family" = {} ORDER BY m."id"')


# ------------------------------------------------------------------------- creating

def _check_window(start: datetime, end: datetime, label: str, now: datetime,
                  key: str = "") -> None:
    """One part's window: end after start on the same day, not in the past, not on a closed
    day; a refusal names the form field (``{key}_start`` / ``{key}_end``)."""
    start_field, end_field = (f"{key}_start", f"{key}_end") if key else (None, None)
    if end <= start:
        raise web.UserError(f"»{label}«: sluttidspunktet skal ligge efter starttidspunktet.",
                            field=end_field)
    if end.astimezone(web.COPENHAGEN).date() != start.astimezone(web.COPENHAGEN).date():
        raise web.UserError(f"»{label}«: mødet skal slutte samme dag, som det begynder.",
                            field=end_field)
    if start < now:
        raise web.UserError(f"»{label}«: tidspunktet ligger i fortiden. Vælg et senere tidspunkt.",
                            field=start_field)
    for moment, name in ((start, start_field), (end, end_field)):
        day = moment.astimezone(web.COPENHAGEN).date()
        reason = planner.closed_day_reason(day)
        if reason:
            raise web.UserError(f"»{label}« falder på en lukkedag ({reason}). Vælg en anden dag.",
                                field=name)
        if day.weekday() >= 5:
            raise web.UserError(f"»{label}« falder i en weekend. Vælg en hverdag.", field=name)


def validate_times(kind: kinds.MeetingKind,
                   times: Mapping[str, tuple[datetime | None, datetime | None]],
                   now: datetime | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Check the windows of a meeting's parts (all or none given, in order, not overlapping)."""
    now = now or clock.now()
    given = {k: v for k, v in times.items() if v[0] or v[1]}
    result: dict[str, tuple[datetime, datetime]] = {}
    previous_end: datetime | None = None
    for spec in kind.parts:
        start, end = given.get(spec.key, (None, None))
        if not start or not end:
            if given:
                raise web.UserError(f"Angiv både start og slut for »{spec.label}«.",
                                    field=f"{spec.key}_{'end' if start else 'start'}")
            continue
        _check_window(start, end, spec.label, now, spec.key)
        if previous_end and start < previous_end:
            raise web.UserError(f"»{spec.label}« begynder, før den forrige del er slut.",
                                field=f"{spec.key}_start")
        previous_end = end
        result[spec.key] = (start.astimezone(UTC), end.astimezone(UTC))
    return result


async def create_meeting(
    user: Principal, family: Mapping[str, Any] | None, kind_key: str, title: str, *,
    location: str = "", location_organisation: int | None = None, description: str = "",
    times: Mapping[str, tuple[datetime, datetime]] | None = None, fgc_case: int | None = None,
    father_assessment: int | None = None, parent_id: int | None = None,
    send_email_invites: bool = True, address: str = "",
    agreement_id: int | None = None,
) -> int:
    """Create a draft meeting with the kind's standard parts (and their times, if given).

    ``family`` None: a meeting between organisations (see ``may_open_without_family``).
    """
    family_id = family["id"] if family else None
    try:
        kind = kinds.get_kind(kind_key)
    except kinds.KindError as exc:
        raise web.UserError(exc.message_da, field="kind") from None
    if location_organisation is not None and not await net.Organisation.exists().where(
            net.Organisation.id == location_organisation):
        raise web.UserError("Det valgte mødested findes ikke.", field="location_organisation")
    windows = validate_times(kind, dict(times or {})) if times else {}

    async with db.transaction():  # joins the caller's transaction if there is one
        rows = await Meeting.insert(Meeting(
            family=family_id, kind=kind.key, title=title or kind.label, location=location,
            location_organisation=location_organisation, description=description,
            organiser=user.id, fgc_case=fgc_case, father_assessment=father_assessment,
            parent_id=parent_id, send_email_invites=send_email_invites,
            agreement_id=agreement_id))
        meeting_id = rows[0]["id"]
        for position, spec in enumerate(kind.parts):
            start, end = windows.get(spec.key, (None, None))
            await MeetingPart.insert(MeetingPart(meeting=meeting_id, key=spec.key,
                                                 label=spec.label, starts_at=start,
                                                 ends_at=end, position=position))
        await insert_default_agenda(meeting_id, kind.key)
        await audit.record(user, "create", "møde", meeting_id, family_id,
                           f"{kind.label}: {title or kind.label}", address)
        return meeting_id


# ------------------------------------------------------------------------ participants

async def colleague_choices(user: Principal, family_id: int | None) -> list[dict]:
    """Users who can be added to a meeting as colleagues (active, not admins); where there
    are many, those of the reader's unit and the family's team's units
    (``cases.colleague_choices``). The units are read only where they pick: a municipality's
    users all fit in the list, and a meeting page is then a statement shorter."""
    roles = role_values(ALL_ROLES - ADMINS)
    near: set[str] = set()
    if await cases.colleagues_past_the_limit(roles):
        near = {row["unit"] or "" for row in await db.fetch(
            'SELECT "unit" FROM "app_user" WHERE "id" = {} UNION SELECT u."unit" '
            'FROM "team_member" t JOIN "app_user" u ON u."id" = t."user" WHERE t."family" = {}',
            user.id, family_id or -1)}
    return await cases.colleague_choices(roles, [], near)


colleague_options = cases.colleague_options  # the option tags of ``colleague_choices``


async def family_network(family_id: int | None) -> network_service.Network | None:
    """The family's network, read once for the meeting page's parts that show it; None for
    a meeting between organisations, and for a network the graph cannot take (a relation to
    someone outside the family): an inconsistent network must not break the meeting page,
    whose parts then read what they need themselves."""
    if family_id is None:
        return None
    try:
        return await network_service.load_network(family_id)
    except (ValueError, KeyError):
        return None


async def family_people(family_id: int | None,
                        network: network_service.Network | None = None) -> list[dict]:
    """The family's network persons who can be added to its meeting, by name (then id;
    none without a family). ``network``: the family's, when the page has loaded it."""
    if family_id is None:
        return []
    people = network.people if network is not None and network.family_id == family_id else \
        await db.fetch('SELECT "id", "name", "role" FROM "person" WHERE "family" = {}',
                       family_id, quick=True)
    # sorted here either way: the same order on both engines, whatever their collation
    return sorted(({"id": p["id"], "name": p["name"], "role": p["role"]} for p in people),
                  key=network_service.by_name)


# A protected place as readers outside the team see it in the place picker.
PROTECTED_PLACE_LABEL = "Beskyttet adresse – oplyses af socialrådgiveren"


@dataclass(frozen=True)
class PlaceChoices:
    """The organisations a meeting can be held at as the place picker's ``<option>`` tags,
    escaped once per content (``network.service.directory_choices`` does the same for the
    network editor): a country's 4,100 organisations written tag by tag by the template
    were a fifth of a meeting page's time at national scale. A large directory is listed
    near the case and searched (``templates/_org_search.html``)."""

    # Each organisation's label by id, in name order: for the organiser protected places
    # named and marked, for readers who may not know where a protected place is not named.
    labels: Mapping[int, str]
    narrow_labels: Mapping[int, str]
    unprotected: tuple[tuple[int, str], ...]  # (id, name): what a narrow search may find
    full: Markup    # every label's tag
    narrow: Markup

    @classmethod
    def of(cls, rows: Iterable[tuple[int, str, bool]]) -> PlaceChoices:
        """From (id, name, location protected) in name order."""
        rows = list(rows)
        labels = {i: f"{name} (beskyttet adresse)" if protected_place else name
                  for i, name, protected_place in rows}
        narrow = {i: PROTECTED_PLACE_LABEL if protected_place else name
                  for i, name, protected_place in rows}
        return cls(labels, narrow, tuple((i, name) for i, name, protected_place in rows
                                         if not protected_place),
                   org_directory.option_tags(labels.items()),
                   org_directory.option_tags(narrow.items()))

    @property
    def size(self) -> int:
        """How many organisations the directory holds."""
        return len(self.labels)

    @property
    def large(self) -> bool:
        """Too many to list whole (``directory.is_large``): near ones listed, the rest searched."""
        return org_directory.is_large(self.size)

    def listed(self, selected: int | None, near: Iterable[int], *, narrow: bool = False
               ) -> tuple[Markup, Markup]:
        """A large directory's picker: the chosen place's tag when it is not near, and the
        near ones' tags (``directory.listed_options``)."""
        return org_directory.listed_options(self.narrow_labels if narrow else self.labels,
                                            selected, near)

    def found(self, text: str, selected: int | None, near: Iterable[int] = (), *,
              narrow: bool = False) -> org_directory.Found:
        """What a search for ``text`` offers. Readers outside the team find no protected
        place: its name is what they may not know (the chosen one stays, unnamed)."""
        if narrow:
            return org_directory.found_options(self.narrow_labels, text, selected, near,
                                               self.unprotected)
        return org_directory.found_options(self.labels, text, selected, near)

    def whole(self, selected: int | None = None, *, narrow: bool = False) -> Markup:
        """Every organisation's tag, ``selected`` (an organisation id) chosen; the
        ``narrow`` ones name no protected place."""
        return org_directory.choose(self.narrow if narrow else self.full, selected)


_place_choices: BoundedCache[str, PlaceChoices] = BoundedCache("meeting place choices", 4)


async def organisation_choices() -> PlaceChoices:
    """Organisations a meeting can be held at, with whether their location is protected:
    read again only when the shared data's stamp has changed (an organisation's triggers
    replace it; empty until the first write, as the page caches read it), the stamp read
    first."""
    stamp = await revisions.shared_stamp()
    kept = _place_choices.get(stamp)
    if kept is not None:
        return kept
    kept = PlaceChoices.of((r["id"], r["name"], bool(r["location_protected"])) for r in await db.fetch(
        'SELECT "id", "name", "location_protected" FROM "organisation" ORDER BY "name"'))
    _place_choices.put(stamp, kept)  # "" (never stamped) until the first shared write
    return kept


async def near_places(family: Mapping[str, Any] | None,
                      network: network_service.Network | None = None) -> list[int]:
    """The organisations a large directory's place picker lists for the family's team
    without a search: those of the family's network (``network`` when the caller has
    loaded it) and where the family's meetings are held. Only for the team: outside it,
    which schools and offices are the family's is what may not be known. Never a protected
    place, nor, when the family is shielded (a protected address, or at the crisis centre),
    the children's school or day care: not one click from a meeting the father may be
    invited to (the team finds them by a search). A network the graph cannot take leaves
    only the meetings' places, as for a shielded family."""
    if family is None:
        return []
    if network is None or network.family_id != family["id"]:
        try:
            network = await network_service.load_network(family["id"])
        except (ValueError, KeyError):  # a broken network must not break the page
            network = None
    places = list(network.organisations.values()) if network is not None else []
    places += await db.fetch(
        'SELECT DISTINCT o."id", o."kind", o."location_protected" FROM "meeting" m '
        'JOIN "organisation" o ON o."id" = m."location_organisation" WHERE m."family" = {}',
        family["id"])
    shielded = network is None or bool(family.get("at_crisis_centre")) or any(
        p["protected_address"] for p in network.people)
    return sorted({o["id"] for o in places if not o["location_protected"]
                   and not (shielded and o["kind"] in CHILDRENS_PLACES)})


def default_parts(kind_key: str, category: str, role: str) -> list[str]:
    """The parts a participant is invited to by default.

    Familierådslagning: professionals the information part, the socialrådgiver (and the
    samordner) information and plan, family and private network every part. Other kinds:
    every part the category may attend.
    """
    kind = kinds.get_kind(kind_key)
    if role in ORGANISER_ROLES and kind.key == "familieraadslagning":
        return ["information", "plan"]
    cat = kinds.ParticipantCategory(category)
    keys = [p.key for p in kind.parts if cat in p.categories
            and not (p.professionals_case_worker_only and cat is kinds.ParticipantCategory.PROFESSIONAL)]
    return keys or [kind.parts[0].key]


_PERSON_ROLE_TO_MEETING = {"mother": "mother", "father": "father", "child": "child",
                           "other_caregiver": "family", "relative": "private_network",
                           "private_network": "private_network", "professional": "informatoer"}


def _category_for(role: str) -> str:
    if role in ("mother", "father", "child", "family"):
        return kinds.ParticipantCategory.FAMILY.value
    if role == "private_network":
        return kinds.ParticipantCategory.PRIVATE_NETWORK.value
    return kinds.ParticipantCategory.PROFESSIONAL.value


@dataclass(frozen=True)
class NewParticipant:
    """What the add-participant form (or a flow) asks for: exactly one of person/user/external."""

    person_id: int | None = None
    user_id: int | None = None
    name: str = ""
    email: str = ""
    organisation: str = ""
    role: str = ""
    part_keys: tuple[str, ...] = ()
    invite_via_worker: bool = False
    channel: str = ""  # kinds.CHANNELS; empty: the default for the person


async def father_consent(family_id: int | None) -> bool:
    """Whether the mother's consent to contact the father is recorded for the family."""
    if family_id is None:
        return False
    return bool(await db.fetch(
        'SELECT 1 AS "yes" FROM "father_assessment" WHERE "family" = {} '
        'AND "mother_agreed_on" IS NOT NULL LIMIT 1', family_id, quick=True))


async def _resolve(meeting: Mapping[str, Any], new: NewParticipant) -> dict:
    """Turn the form's choice into a Participant row's values; Danish errors."""
    values: dict[str, Any] = {"person": None, "user": None}
    if new.person_id is not None:
        person = await net.Person.select(
            *net.Person.all_columns(), net.Person.organisation.name.as_alias("org_name"),
        ).where((net.Person.id == new.person_id) & (net.Person.family == meeting["family"])).first()
        if person is None:
            raise web.UserError("Personen findes ikke i familiens netværk.", field="person_id")
        if person["role"] == "father" and not await father_consent(meeting["family"]):
            raise web.UserError("Far kan ikke inviteres, før mors samtykke til kontakt med far er "
                                "registreret under Barnet i Centrum.", field="person_id")
        role = new.role or _PERSON_ROLE_TO_MEETING.get(person["role"], "private_network")
        if person["is_professional"] and not new.role:
            role = "informatoer"
        channel = "worker" if new.invite_via_worker else new.channel or kinds.default_channel(
            person["email"], person["phone"], bool(person["contact_only_via_worker"]))
        values.update(person=person["id"], name=person["name"], email=person["email"],
                      organisation=person["org_name"] or "", role=role, channel=channel)
    elif new.user_id is not None:
        account = await User.select().where((User.id == new.user_id) & (User.active == True)  # noqa: E712
                                            ).first()
        if account is None:
            raise web.UserError("Brugeren findes ikke.", field="user_id")
        role = new.role or role_of_account(account["role"])
        values.update(user=account["id"], name=account["full_name"], email=account["email"],
                      organisation=account["unit"], role=role, channel="email")
    else:
        if not new.name:
            raise web.UserError("Vælg en person fra netværket, en bruger, eller skriv et navn.",
                                field="name")
        if new.email and ("@" not in new.email or " " in new.email):
            raise web.UserError("E-mailadressen er ikke gyldig.", field="email")
        values.update(name=new.name, email=new.email, organisation=new.organisation,
                      role=new.role or "professional",
                      channel="worker" if new.invite_via_worker else new.channel or "email")
    if values["role"] not in ROLES:
        raise web.UserError("Ugyldig rolle på mødet.", field="role")
    if values["channel"] not in kinds.CHANNELS:
        raise web.UserError("Vælg, hvordan invitationen skal gives.", field="channel")
    # The mail machinery reads invite_via_worker: only the e-mail channel is mailed.
    values["invite_via_worker"] = values["channel"] != "email"
    values["category"] = _category_for(values["role"])
    return values


async def _already_invited(meeting_id: int, values: Mapping[str, Any]) -> bool:
    where = (Participant.meeting == meeting_id) & Participant.removed_at.is_null()
    if values["person"]:
        return await Participant.exists().where(where & (Participant.person == values["person"]))
    if values["user"]:
        return await Participant.exists().where(where & (Participant.user == values["user"]))
    return False


async def _insert_participant(meeting: Mapping[str, Any], values: Mapping[str, Any],
                              part_keys: Iterable[str]) -> int:
    parts = {p["key"]: p["id"] for p in await parts_of(meeting["id"])}
    keys = list(dict.fromkeys(part_keys)) or default_parts(meeting["kind"], values["category"],
                                                          values["role"])
    unknown = [k for k in keys if k not in parts]
    if unknown:
        raise web.UserError("En valgt mødedel findes ikke på mødet.", field="parts")
    rows = await Participant.insert(Participant(meeting=meeting["id"], **values))
    participant_id = rows[0]["id"]
    for key in keys:
        await ParticipantPart.insert(ParticipantPart(participant=participant_id, part=parts[key]))
    return participant_id




def _require_open(meeting: Mapping[str, Any]) -> None:
    if meeting["status"] not in kinds.OPEN_STATUSES:
        label = kinds.STATUS_LABELS[kinds.MeetingStatus(meeting["status"])]
        raise web.UserError(f"Et møde med status »{label}« kan ikke ændres.", 409)


async def add_participants(user: Principal, meeting: Mapping[str, Any], version: int | None,
                           new: Iterable[NewParticipant], address: str = "") -> list[int]:
    """Invite people (to their chosen parts); an invited meeting's attendees hear of it."""
    _require_open(meeting)
    if user.role is Role.SAMORDNER and any(item.person_id is not None for item in new):
        raise web.UserError("Som samordner kan du tilføje kolleger og eksterne deltagere; "
                            "personer fra familiens netværk inviteres af socialrådgiveren.", 403)
    resolved = [(await _resolve(meeting, item), item.part_keys) for item in new]
    if not resolved:
        raise web.UserError("Vælg mindst én deltager.")
    await _screen_typed_participants(meeting, [item for item in new
                                               if item.person_id is None and item.user_id is None])

    async with db.transaction():  # joins the caller's transaction if there is one
        invited = meeting["status"] == "invited"
        await _bump(meeting["id"], version, material=True,
                    mine={"tilføjet": ", ".join(v["name"] for v, _ in resolved)})
        ids = []
        for values, part_keys in resolved:
            if await _already_invited(meeting["id"], values):
                raise web.UserError(f"{values['name']} er allerede inviteret.", field=(
                    "person_id" if values["person"] else "user_id" if values["user"] else "name"))
            ids.append(await _insert_participant(meeting, values, part_keys))
            await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                               f"Deltager tilføjet: {values['name']} ({ROLES[values['role']]})",
                               address)
        if invited:
            await _notify(meeting["id"], "invited", user=user)
        return ids


async def _screen_typed_participants(meeting: Mapping[str, Any], typed: list[NewParticipant]
                                     ) -> None:
    """A name or organisation typed for an outside participant is shown to the other
    participants: one that names a protected place or fact is refused where it is typed
    (add a crisis-centre colleague as a colleague instead)."""
    if meeting["family"] is None or not typed:
        return
    facts = await protected_facts()
    for item in typed:
        for field_name, label, text in (("name", "Navn", item.name or ""),
                                        ("organisation", "Organisation", item.organisation or ""),
                                        ("email", "E-mail", item.email or "")):
            found = protected.find(text, facts)
            if found:
                raise web.UserError(
                    f"»{label}« nævner »{found[0]}«, som kan fortælle, hvor mor og børn opholder "
                    "sig, og deltagernes navne vises for de andre deltagere. Tilføj en medarbejder "
                    "fra krisecentret som kollega i stedet. Intet er gemt.", field=field_name)


async def _participant(meeting_id: int, participant_id: int) -> dict:
    row = await Participant.select().where(
        (Participant.id == participant_id) & (Participant.meeting == meeting_id)
        & Participant.removed_at.is_null()).first()
    if row is None:
        raise NotFoundException()
    return row


async def update_participant(user: Principal, meeting: Mapping[str, Any], version: int | None,
                             participant_id: int, part_keys: list[str], arrival: int,
                             departure: int, address: str = "") -> None:
    """Change which parts someone attends and their staggered arrival/departure."""
    _require_open(meeting)
    row = await _participant(meeting["id"], participant_id)
    if not part_keys:
        raise web.UserError("Vælg mindst én mødedel – eller fjern deltageren.", field="parts")
    rows = await parts_of(meeting["id"])
    parts = {p["key"]: p["id"] for p in rows}
    labels = {p["key"]: p["label"] for p in rows}
    if any(k not in parts for k in part_keys):
        raise web.UserError("En valgt mødedel findes ikke på mødet.", field="parts")
    async with db.transaction():
        await _bump(meeting["id"], version, material=True,
                    mine={"deltager": row["name"], "dele": ", ".join(
                        labels.get(k, k) for k in dict.fromkeys(part_keys))})
        await ParticipantPart.delete().where(ParticipantPart.participant == participant_id)
        for key in dict.fromkeys(part_keys):
            await ParticipantPart.insert(ParticipantPart(participant=participant_id, part=parts[key]))
        await Participant.update({Participant.arrival_offset: arrival,
                                  Participant.departure_offset: departure}).where(
            Participant.id == participant_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Deltager ændret: {row['name']} – dele: {', '.join(part_keys)}; "
                           f"ankomst +{arrival} min, afgang -{departure} min", address)
        if meeting["status"] == "invited":
            await _notify(meeting["id"], "invited", user=user)


async def remove_participant(user: Principal, meeting: Mapping[str, Any], version: int | None,
                             participant_id: int, address: str = "") -> None:
    """Take someone off the meeting; if they were invited, they get a cancellation."""
    _require_open(meeting)
    row = await _participant(meeting["id"], participant_id)
    async with db.transaction():
        await _bump(meeting["id"], version, material=True, mine={"fjernet": row["name"]})
        await Participant.update({Participant.removed_at: clock.now()}).where(
            Participant.id == participant_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Deltager fjernet: {row['name']}", address)
        if meeting["status"] == "invited":
            await _notify(meeting["id"], "participant_removed", [participant_id], user=user)


# ------------------------------------------------- private participants: channel, answers

async def set_channel(user: Principal, meeting: Mapping[str, Any], version: int | None,
                      participant_id: int, channel: str, address: str = "") -> None:
    """Change how one participant is invited (e-mail, phone, letter, via the
    socialrådgiver) in place. The e-mail channel needs an address; a participant moved to
    e-mail on a sent meeting gets the invitation now (screened like every sent change)."""
    _require_open(meeting)
    row = await _participant(meeting["id"], participant_id)
    if channel not in kinds.CHANNELS:
        raise web.UserError("Vælg, hvordan invitationen skal gives.", field="channel")
    if channel == row["channel"]:
        return
    if channel == "email" and not (row["email"] or "").strip():
        raise web.UserError(
            f"Der er ingen e-mailadresse på {row['name']}. Tilføj den i familiens netværk, eller "
            "vælg telefon, brev eller via socialrådgiveren.", field="channel")
    async with db.transaction():
        await _bump(meeting["id"], version, mine={
            "deltager": row["name"], "invitation": kinds.CHANNELS[channel]})
        await Participant.update({Participant.channel: channel,
                                  Participant.invite_via_worker: channel != "email"}).where(
            Participant.id == participant_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Invitation til {row['name']}: {kinds.CHANNELS[row['channel']]} → "
                           f"{kinds.CHANNELS[channel]}", address)
        if meeting["status"] == "invited":
            await _notify(meeting["id"], "invited", user=user)


async def mark_told(user: Principal, meeting: Mapping[str, Any], participant_id: int,
                    address: str = "") -> None:
    """The socialrådgiver has told a participant the system does not e-mail (by letter,
    phone or in person) of the meeting as it is now: its invitation, or its cancellation
    (``kinds.telling_state``). A later move or cancellation asks for it again."""
    row = await _participant(meeting["id"], participant_id)
    if row["channel"] == "email":
        raise web.UserError(f"{row['name']} får invitationen pr. e-mail.", 409)
    state = kinds.telling_state(meeting["status"], meeting["sequence"], row["told_what"],
                                row["told_sequence"])
    if state == "nothing":
        raise web.UserError("Der er ikke noget at give besked om: mødet er ikke sendt.", 409)
    what = kinds.told_now(meeting["status"])
    async with db.transaction():
        await Participant.update({Participant.told_what: what,
                                  Participant.told_sequence: meeting["sequence"],
                                  Participant.told_at: clock.now()}).where(
            Participant.id == participant_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"{row['name']} har fået besked om "
                           f"{'aflysningen' if what == 'cancellation' else 'mødet'} "
                           f"({kinds.CHANNELS.get(row['channel'], row['channel']).lower()})",
                           address)


# The answers a socialrådgiver records for someone who answered by phone or in person.
RECORDED_ANSWERS = {"ACCEPTED": "Kommer", "DECLINED": "Kommer ikke",
                    "PROPOSED": "Foreslår et andet tidspunkt"}


async def record_answer_for(user: Principal, meeting: Mapping[str, Any], participant_id: int,
                            answer: str, via: str, note: str, address: str = "") -> None:
    """Record an answer a participant gave by phone or in person: what they said, how, who
    recorded it and when. It is their answer like one given by link or calendar. A
    proposed time needs a note saying which time; the note is screened like every text
    that readers outside the team may see."""
    row = await _participant(meeting["id"], participant_id)
    if meeting["status"] not in kinds.ANSWERABLE_STATUSES:
        raise web.UserError("Svar kan registreres, når mødet er planlagt eller sendt.", 409)
    if answer not in RECORDED_ANSWERS:
        raise web.UserError("Vælg svaret: kommer, kommer ikke eller foreslår et andet tidspunkt.",
                            field="answer")
    if via not in kinds.ANSWER_VIA:
        raise web.UserError("Vælg, hvordan svaret blev givet.", field="via")
    if answer == "PROPOSED" and not note.strip():
        raise web.UserError("Skriv i noten, hvilket tidspunkt der foreslås.", field="note")
    if meeting["family"]:
        await screen_case_text(meeting["family"], {"note": ("Note", note)},
                               "Svaret kan læses af samordneren og andre uden for teamet.", user)
    async with db.transaction():
        await Participant.update({
            Participant.rsvp: answer, Participant.rsvp_comment: note[:2000],
            Participant.answered_at: clock.now(), Participant.answer_via: via,
            Participant.answer_recorded_by: user.id,
            Participant.answer_recorded_name: user.full_name or user.username,
        }).where(Participant.id == participant_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Svar registreret for {row['name']} ({kinds.ANSWER_VIA[via]}): "
                           f"{RECORDED_ANSWERS[answer]}", address)


CONTACT_LABELS = {"email": "e-mail", "phone": "telefon"}


def contact_note(changed: Mapping[str, tuple[str, str]], at: datetime) -> str:
    """The note an open meeting shows when a participant's contact data changed in the
    network, e.g. "E-mail ændret i netværket 3. december 2026: a@x.dk → b@x.dk."."""
    parts = [f"{CONTACT_LABELS[k]} {old or '(tom)'} → {new or '(tom)'}"
             for k, (old, new) in changed.items() if k in CONTACT_LABELS]
    text = "; ".join(parts)
    return f"Ændret i netværket {web.fmt_date(at)}: {text[:1].upper()}{text[1:]}." if parts else ""


@network_service.on_contact_changed
async def contact_changed(user: Principal, person_id: int, changed: Mapping[str, tuple[str, str]],
                          address: str = "") -> list[int]:
    """A network person's contact data changed: their open meetings (draft, planned, sent)
    take the new e-mail, and each participant row carries a note saying what changed, shown
    on the meeting page. Called inside the network edit's transaction; returns the meetings
    touched. A participant whose e-mail went away keeps their channel: a sent meeting then
    shows the block until someone chooses another channel."""
    changed = {k: v for k, v in changed.items() if k in CONTACT_LABELS and v[0] != v[1]}
    if not changed:
        return []
    rows = await Participant.select(Participant.id, Participant.meeting, Participant.name,
                                    Participant.meeting.family.as_alias("family")).where(
        (Participant.person == person_id) & Participant.removed_at.is_null()
        & Participant.meeting.status.is_in(list(kinds.OPEN_STATUSES)))
    note = contact_note(changed, clock.now())
    for row in rows:
        values: dict[Any, Any] = {Participant.contact_note: note}
        if "email" in changed:
            values[Participant.email] = changed["email"][1]
        await Participant.update(values).where(Participant.id == row["id"])
        await audit.record(user, "update", "møde", row["meeting"], row["family"],
                           f"Kontaktoplysninger for {row['name']} opdateret fra netværket", address)
    return sorted({row["meeting"] for row in rows})


async def send_to_new_address(user: Principal, meeting: Mapping[str, Any], version: int | None,
                              participant_id: int, address: str = "") -> None:
    """A sent meeting's participant got a new e-mail address in the network: send them the
    invitation at the new address (them only; the meeting is screened as for every sent
    change), and the note about the change has done its work."""
    row = await _participant(meeting["id"], participant_id)
    if meeting["status"] != "invited":
        raise web.UserError("Invitationen sendes igen, når mødet er sendt.", 409)
    if row["channel"] != "email" or not (row["email"] or "").strip():
        raise web.UserError(f"{row['name']} inviteres ikke pr. e-mail. Vælg e-mail som "
                            "invitation, når der er en adresse.", 409)
    async with db.transaction():
        bumped = await _bump(meeting["id"], version, mine={"sendt igen til": row["name"]})
        await refuse_if_unsafe(meeting["id"], bumped)
        await resend_invitation(meeting["id"], participant_id, bumped["version"])
        await Participant.update({Participant.contact_note: ""}).where(
            Participant.id == participant_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Invitationen sendt igen til {row['name']} på den nye e-mailadresse",
                           address)


async def dismiss_contact_note(user: Principal, meeting: Mapping[str, Any], participant_id: int,
                               address: str = "") -> None:
    """The worker has seen the note about changed contact data: it goes away."""
    row = await _participant(meeting["id"], participant_id)
    await Participant.update({Participant.contact_note: ""}).where(Participant.id == participant_id)
    await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                       f"Note om ændrede kontaktoplysninger for {row['name']} læst", address)


# ------------------------------------------------------------------------ times

async def set_times(user: Principal, meeting: Mapping[str, Any], version: int | None,
                    times: Mapping[str, tuple[datetime | None, datetime | None]],
                    address: str = "", book_room: int | None = None) -> None:
    """Set (or move) the parts' time windows; an invited meeting is rescheduled.

    ``book_room`` books that room (a slot chosen with a room). The meeting's room (new or
    already booked) must be free at the new times, or nothing is saved (409).
    """
    _require_open(meeting)
    kind = kinds.get_kind(meeting["kind"])
    windows = validate_times(kind, times)
    missing = [spec.key for spec in kind.parts if spec.key not in windows]
    if missing:
        raise web.UserError("Angiv start og slut for alle mødets dele.",
                            field=f"{missing[0]}_{'end' if times.get(missing[0], (None,))[0] else 'start'}")
    room_id = book_room or meeting.get("room")
    room = await Room.select().where(Room.id == room_id).first() if room_id else None
    if room_id and (room is None or not room["active"]):
        raise web.UserError("Det valgte lokale findes ikke.", field="room_id")
    changes = {"room": room_id} if book_room else {}
    async with db.transaction():
        before = {p["key"]: (p["starts_at"], p["ends_at"]) for p in await parts_of(meeting["id"])}
        if room and room_id and await availability.room_taken(room_id, windows.values(), meeting["id"]):
            raise web.UserError(f"Lokalet »{room['name']}« er optaget på det tidspunkt. "
                                "Find et andet tidspunkt eller lokale.", 409)
        moved_room = bool(book_room) and book_room != meeting.get("room")
        await _bump(meeting["id"], version, changes, material=True, mine={
            **{kind.part(k).label: f"{web.fmt_datetime(s)} – {web.fmt_time(e)}"
               for k, (s, e) in windows.items()},
            **({"lokale": room["name"]} if moved_room and room else {})})
        for key, (start, end) in windows.items():
            await MeetingPart.update({MeetingPart.starts_at: start, MeetingPart.ends_at: end}
                                     ).where((MeetingPart.meeting == meeting["id"])
                                             & (MeetingPart.key == key))
        first = min(s for s, _ in windows.values())
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Tidspunkt sat: {web.fmt_datetime(first)}"
                           + (f"; lokale: {room['name']}" if moved_room and room else ""), address)
        if meeting["status"] == "invited":
            if any(before.get(key) != window for key, window in windows.items()):
                # An answer was to the old time: everyone is asked again, as the calendar
                # programs do with the update (PARTSTAT back to NEEDS-ACTION).
                await Participant.update({
                    Participant.rsvp: "NEEDS-ACTION", Participant.answered_at: None,
                    Participant.answer_via: "", Participant.answer_recorded_by: None,
                    Participant.answer_recorded_name: ""}).where(
                    (Participant.meeting == meeting["id"]) & Participant.removed_at.is_null()
                    & (Participant.rsvp != "NEEDS-ACTION"))
            await _notify(meeting["id"], "rescheduled", user=user)


async def update_details(user: Principal, meeting: Mapping[str, Any], version: int | None,
                         title: str, location: str, location_organisation: int | None,
                         description: str, send_email_invites: bool, address: str = "",
                         title_to_partners: bool = False) -> None:
    """Title, place and description; a new place is a material change (reschedule).
    ``title_to_partners``: partners read the title itself instead of the meeting's kind and
    the children's first names (the team's choice, audited)."""
    _require_open(meeting)
    on_team = audience_of(user) is Audience.TEAM
    if not on_team:
        title, location, location_organisation, description = await kept_outside(
            meeting, title, location, location_organisation, description)
    chosen = await net.Organisation.select(net.Organisation.name, net.Organisation.kind).where(
        net.Organisation.id == location_organisation).first() \
        if location_organisation is not None else None
    if location_organisation is not None and chosen is None:
        raise web.UserError("Det valgte mødested findes ikke.", field="location_organisation")
    if (title, location, location_organisation, description, send_email_invites,
            title_to_partners) == (meeting["title"], meeting["location"],
                                   meeting["location_organisation"], meeting["description"],
                                   bool(meeting["send_email_invites"]),
                                   bool(meeting.get("title_to_partners"))):
        return  # saved as it is: nothing written, so nobody else's save is in conflict
    moved = (location != meeting["location"]
             or location_organisation != meeting["location_organisation"])
    if not on_team:  # what she wrote herself, not what she sent back as she read it
        await screen_outside_writer(user, meeting["family"], {
            name: (label, value) for name, label, value in (
                ("title", "Titel", title), ("location", "Mødested", location),
                ("description", "Beskrivelse", description)) if value != meeting[name]},
            chosen["kind"] if chosen and location_organisation != meeting[
                "location_organisation"] else None)
    await screen_typed_text(meeting, {"title": ("Titel", title),
                                      "description": ("Beskrivelse", description)}, on_team)
    places = {"title": ("Titel", title), "location": ("Mødested", location),
              "description": ("Beskrivelse", description)}
    if chosen is not None and location_organisation != meeting["location_organisation"]:
        # The children's school chosen from the directory is as telling as typed.
        places["location_organisation"] = ("Mødested i organisationsregistret", chosen["name"])
    await screen_childrens_places(meeting, places, on_team)
    async with db.transaction():
        written = await _bump(meeting["id"], version, {
            "title": title, "location": location, "location_organisation": location_organisation,
            "description": description, "send_email_invites": send_email_invites,
            "title_to_partners": title_to_partners,
        }, material=moved, mine={"title": title, "location": location, "description": description})
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Mødets oplysninger ændret: {title}", address)
        if title_to_partners != bool(meeting.get("title_to_partners")):
            await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                               "Samarbejdspartnere ser mødets titel" if title_to_partners else
                               "Samarbejdspartnere ser kun mødetype og børnenes fornavne", address)
        retold = (title != meeting["title"] or description != meeting["description"]
                  or title_to_partners != bool(meeting.get("title_to_partners")))
        if moved and meeting["status"] == "invited":
            await _notify(meeting["id"], "rescheduled", user=user, written=written)
        elif retold and meeting["status"] == "invited":  # calendars show the new text
            await _notify(meeting["id"], "updated", user=user, written=written)
        else:
            await refuse_if_unsafe(meeting["id"], written)


# ------------------------------------------------------------------------ approvals

APPROVAL_KINDS = {"keep_apart": "Personer, der skal holdes adskilt",
                  "joint_parents": "Fælles forældremøde",
                  "protected": "Beskyttet adresse og vold"}


async def record_approval(user: Principal, meeting: Mapping[str, Any], version: int | None,
                          person_a: str, person_b: str | None, part_key: str | None,
                          kind: str, reason: str, address: str = "") -> None:
    """Record a reasoned override of a safety finding; audited as ``override``."""
    _require_open(meeting)
    if kind not in APPROVAL_KINDS:
        raise web.UserError("Ugyldig type godkendelse.", field="kind")
    if len(reason.strip()) < 10:
        raise web.UserError("Skriv en begrundelse (mindst 10 tegn) for godkendelsen.", field="reason")
    participants = {p["safety_id"]: p for p in await participants_of(meeting["id"])}
    for name, pid in (("person_a", person_a), ("person_b", person_b)):
        if pid and pid not in participants:
            raise web.UserError("Godkendelsen skal gælde deltagere på mødet.", field=name)
    if part_key and part_key not in {p["key"] for p in await parts_of(meeting["id"])}:
        raise web.UserError("Mødedelen findes ikke.", field="part_key")
    names = " og ".join(participants[p]["name"] for p in (person_a, person_b) if p)
    async with db.transaction():
        await _bump(meeting["id"], version, mine={"godkendelse": reason})
        await SafetyApproval.insert(SafetyApproval(
            meeting=meeting["id"], person_a=person_a, person_b=person_b or None,
            part_key=part_key or None, kind=kind, reason=reason, approved_by=user.id, at=clock.now()))
        await audit.record(user, "override", "møde", meeting["id"], meeting["family"],
                           f"Godkendt ({APPROVAL_KINDS[kind]}): {names}. Begrundelse: {reason}",
                           address)


# ------------------------------------------------------------------------ lifecycle

async def _bic_allowed(meeting: Mapping[str, Any]) -> None:
    if meeting["kind"] in BIC_KINDS and not await father_consent(meeting["family"]):
        raise web.UserError("Mødet kan ikke planlægges, før mors samtykke til kontakt med far "
                            "er registreret.")


async def _fgc_allowed(meeting: Mapping[str, Any]) -> None:
    """A familierådslagning is planned or sent only after the family agreed at the formøde
    to go on (``offers.fgc_meeting_offer``). Every familierådslagning of the flow belongs to
    its case; only those are the flow's to hold back."""
    if meeting["kind"] != "familieraadslagning" or not meeting.get("fgc_case"):
        return
    case = await formoede.case_of(meeting)
    offer = offers.fgc_meeting_offer(meeting["family"], case["formoede_on"] if case else None,
                                     case["formoede_agreement"] if case else "")
    if not offer.allowed:
        raise web.UserError(f"{offer.reason} {offer.way}, før mødet planlægges.", 409)


async def change_status(user: Principal, meeting: Mapping[str, Any], version: int | None,
                        target: str, address: str = "", reason: str = "") -> None:
    """Move the meeting through its lifecycle (plan, send invites, reopen, cancel)."""
    if target in kinds.HELD_STATUSES:
        raise web.UserError("Brug knapperne »Markér som afholdt« eller »Foreslå opfølgning«.")
    try:
        goal = kinds.transition(meeting["status"], target, meeting["kind"])
    except kinds.TransitionError as exc:
        raise web.UserError(exc.message_da, 409) from None
    parts = await parts_of(meeting["id"])
    participants = await participants_of(meeting["id"])
    if goal in (kinds.MeetingStatus.PLANNED, kinds.MeetingStatus.INVITED):
        await _bic_allowed(meeting)
        await _fgc_allowed(meeting)
        if any(p["starts_at"] is None for p in parts):
            raise web.UserError("Sæt tidspunkt for alle mødets dele, før mødet planlægges.")
        if not participants:
            raise web.UserError("Mødet har ingen deltagere endnu.")
    if goal is kinds.MeetingStatus.INVITED:
        if any(p["starts_at"] < clock.now() for p in parts):
            raise web.UserError("Mødet ligger i fortiden. Flyt det, før der sendes invitationer.")
        family = await Family.select().where(Family.id == meeting["family"]).first()
        findings = await safety_findings(meeting, parts, participants, family, shielded=())
        blocking = [f.message for f in findings if f.severity == safety.BLOCK]
        if blocking:
            raise web.UserError("Invitationerne er ikke sendt: " + " ".join(blocking))
    cancelling_sent = goal is kinds.MeetingStatus.CANCELLED and meeting["status"] == "invited"
    async with db.transaction():
        await _bump(meeting["id"], version, {"status": goal.value},
                    material=cancelling_sent or goal is kinds.MeetingStatus.INVITED,
                    mine={"status": goal.value})
        label = kinds.STATUS_LABELS[goal]
        action = "send" if goal is kinds.MeetingStatus.INVITED else "update"
        await audit.record(user, action, "møde", meeting["id"], meeting["family"],
                           f"Status: {label}" + (f". Begrundelse: {reason}" if reason else ""),
                           address)
        if goal is kinds.MeetingStatus.INVITED:
            await _notify(meeting["id"], "invited", user=user)
        elif cancelling_sent:
            await _notify(meeting["id"], "cancelled", user=user)


async def mark_held(user: Principal, meeting: Mapping[str, Any], version: int | None,
                    minutes: str, outcome: str, address: str = "") -> None:
    """Record that the meeting was held, with its outcome. The minutes are written per
    agenda point (``write_minutes``); ``minutes`` typed here (a page from before the
    agenda) are kept under a point of their own (``agenda.MINUTES_POINT``)."""
    try:
        kinds.transition(meeting["status"], "held")
    except kinds.TransitionError as exc:
        raise web.UserError(exc.message_da, 409) from None
    first = min((p["starts_at"] for p in await parts_of(meeting["id"]) if p["starts_at"]),
                default=None)
    if first and first > clock.now():
        raise web.UserError("Mødet er ikke begyndt endnu og kan ikke markeres som afholdt.")
    async with db.transaction():
        await _bump(meeting["id"], version, {"status": "held", "outcome": outcome},
                    mine={"status": "held", "outcome": outcome,
                          **({"minutes": minutes} if minutes.strip() else {})})
        if minutes.strip():
            await _keep_minutes(user, meeting["id"], minutes)
        given = " og ".join(word for word, text in (("referat", minutes), ("resultat", outcome))
                            if text.strip())
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           "Markeret som afholdt" + (f" med {given}" if given else ""), address)


def followup_windows(kind_key: str, held_on: date) -> dict[str, tuple[datetime, datetime]]:
    """Proposed windows for the follow-up: the kinds' date (about 3 months later), moved to
    the next working day, at 10.00 local time, parts back to back."""
    day = kinds.proposed_followup_date(kind_key, held_on)
    if day is None:
        return {}
    while not planner.is_working_day(day):
        day += timedelta(days=1)
    follow = kinds.get_kind(kinds.get_kind(kind_key).followup_kind or kind_key)
    start = datetime.combine(day, time(10), web.COPENHAGEN)
    windows = {}
    for spec in follow.parts:
        end = start + spec.default_duration
        windows[spec.key] = (start.astimezone(UTC), end.astimezone(UTC))
        start = end
    return windows


async def propose_followup(user: Principal, meeting: Mapping[str, Any], version: int | None,
                           address: str = "") -> int:
    """Create the draft follow-up meeting (about 3 months later) with the family, the
    private network and the socialrådgiver; the held meeting moves to ``followup``."""
    try:
        kinds.transition(meeting["status"], "followup", meeting["kind"])
    except kinds.TransitionError as exc:
        raise web.UserError(exc.message_da, 409) from None
    kind = kinds.get_kind(meeting["kind"])
    parts = await parts_of(meeting["id"])
    held_on = max((p["ends_at"] for p in parts if p["ends_at"]), default=clock.now()
                  ).astimezone(web.COPENHAGEN).date()
    windows = followup_windows(kind.key, held_on)
    if kind.followup_kind is None:  # transition() above refuses kinds without a follow-up
        raise web.UserError(f"Mødetypen »{kind.label}« har ikke et opfølgningsmøde.", 409)
    follow_kind = kinds.get_kind(kind.followup_kind)
    keep = [p for p in await participants_of(meeting["id"])
            if p["category"] != "professional" or p["role"] in ORGANISER_ROLES]
    family = {"id": meeting["family"]} if meeting["family"] else None
    async with db.transaction():
        await _bump(meeting["id"], version, {"status": "followup"}, mine={"status": "followup"})
        new_id = await create_meeting(
            user, family, follow_kind.key, follow_kind.label, location=meeting["location"],
            location_organisation=meeting["location_organisation"], fgc_case=meeting["fgc_case"],
            parent_id=meeting["id"], address=address,
            agreement_id=meeting["agreement_id"])
        for key, (start, end) in windows.items():
            await MeetingPart.update({MeetingPart.starts_at: start, MeetingPart.ends_at: end}
                                     ).where((MeetingPart.meeting == new_id) & (MeetingPart.key == key))
        new_meeting = await Meeting.select().where(Meeting.id == new_id).first()
        if new_meeting is None:  # created just above, in this transaction
            raise AssertionError(f"Meeting {new_id} not found after creation")
        for p in keep:
            values = {k: p[k] for k in ("person", "user", "name", "email", "organisation", "role",
                                        "category", "invite_via_worker")}
            await _insert_participant(new_meeting, values, [])
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Opfølgningsmøde foreslået: {new_meeting['title']}", address)
    return new_id


# ------------------------------------------------------------------- agenda and minutes

_POINTS = (f'SELECT {db.columns(AgendaPoint)} FROM "agenda_point" WHERE "meeting" = {{}} '
           'ORDER BY "position", "id"')
AGENDA_CONFLICT = ("Dagsordenen er ændret af en anden, siden du åbnede mødet. Din ændring er "
                   "ikke gemt. Se dagsordenen, som den er gemt nu, og lav din ændring igen.")
MINUTES_CONFLICT = ("Referatet til punktet er ændret af en anden, siden du åbnede det. Det, du "
                    "skrev, er ikke gemt: det står her ved siden af det gemte. Skriv det ind "
                    "igen, så begge dele kommer med.")


async def agenda_of(meeting_id: int, status: str | None = None) -> list[dict]:
    """The meeting's agenda points in order, each with its minutes; with the meeting's
    ``status``, also whether each may be removed (``removable``)."""
    points = await db.fetch(_POINTS, meeting_id, quick=True)
    if status is not None:
        for point in points:
            point["removable"] = agenda.removable(point["minutes"], status)
    return points


async def insert_default_agenda(meeting_id: int, kind_key: str) -> None:
    """A new meeting's agenda: its kind's default points (``kinds.default_agenda``); in the
    caller's transaction."""
    points = kinds.default_agenda(kind_key)
    if points:
        await AgendaPoint.insert(*(AgendaPoint(meeting=meeting_id, position=position,
                                               title=title, part_key=part_key)
                                   for position, (part_key, title) in enumerate(points)))


def _numbered(points: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{n}. {p['title']}" for n, p in enumerate(points, start=1)) or "(ingen punkter)"


def _require_agenda(meeting: Mapping[str, Any]) -> None:
    if not agenda.changeable(meeting["status"]):
        raise web.UserError("Mødet er aflyst, så dagsordenen kan ikke ændres.", 409)


async def agenda_point(meeting_id: int, point_id: int) -> dict:
    """One point of the meeting's agenda; 404 for a point of another meeting."""
    rows = await db.rows(AgendaPoint, '"id" = {} AND "meeting" = {}', point_id, meeting_id,
                         order_by="")
    if not rows:
        raise NotFoundException()
    return rows[0]


async def _checked_part(meeting: Mapping[str, Any], part_key: str) -> str:
    if part_key and part_key not in {p["key"] for p in await parts_of(meeting["id"])}:
        raise web.UserError("Vælg en af mødets dele.", field="part_key")
    return part_key


async def _screen_point(user: Principal, meeting: Mapping[str, Any], title: str) -> None:
    """A point's title goes with the invitations like the description: it may not name a
    protected place or fact when the meeting has participants who may not know it."""
    await screen_outside_writer(user, meeting["family"], {"point_title": ("Dagsordenspunkt", title)})
    await screen_typed_text(meeting, {"point_title": ("Dagsordenspunkt", title)},
                            audience_of(user) is Audience.TEAM)


async def _bump_agenda(meeting: Mapping[str, Any], version: int | None, change: str) -> None:
    """Take the meeting for a change of its agenda (the agenda is the meeting's: its
    version); a conflict shows the agenda as it is saved now beside the change."""
    try:
        await _bump(meeting["id"], version, mine={"dagsordenspunkt": change},
                    message=AGENDA_CONFLICT)
    except web.Conflict as exc:
        exc.theirs["dagsorden"] = _numbered(await agenda_of(meeting["id"]))
        raise


async def _agenda_told(user: Principal, meeting: Mapping[str, Any]) -> None:
    """A sent meeting's participants get the new agenda (their calendars show it; a burst
    of changes settles into one update); a meeting not sent is checked as always."""
    if meeting["status"] == kinds.MeetingStatus.INVITED.value:
        await _notify(meeting["id"], "updated", user=user)


async def add_agenda_point(user: Principal, meeting: Mapping[str, Any], version: int | None,
                           title: str, part_key: str = "", address: str = "") -> int:
    """A point at the end of the agenda (of one part, or the whole meeting); audited."""
    _require_agenda(meeting)
    part_key = await _checked_part(meeting, part_key)
    await _screen_point(user, meeting, title)
    async with db.transaction():
        await _bump_agenda(meeting, version, f"Nyt punkt: {title}")
        last = await db.fetch('SELECT MAX("position") AS "last" FROM "agenda_point" '
                              'WHERE "meeting" = {}', meeting["id"])
        position = (last[0]["last"] + 1) if last and last[0]["last"] is not None else 0
        rows = await AgendaPoint.insert(AgendaPoint(meeting=meeting["id"], position=position,
                                                    title=title, part_key=part_key))
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Dagsordenspunkt tilføjet: {agenda.audit_title(title)}", address)
        await _agenda_told(user, meeting)
        return rows[0]["id"]


async def edit_agenda_point(user: Principal, meeting: Mapping[str, Any], version: int | None,
                            point_id: int, title: str, part_key: str = "",
                            address: str = "") -> None:
    """A point's new title (and part); audited with the old title."""
    _require_agenda(meeting)
    point = await agenda_point(meeting["id"], point_id)
    part_key = await _checked_part(meeting, part_key)
    title = await kept_if_read_outside(user, meeting, point["title"], title, "point_title",
                                       "Dagsordenspunkt")
    if title == point["title"] and part_key == (point["part_key"] or ""):
        return  # saved as it is: nothing written, so nobody else's save is in conflict
    if title != point["title"]:
        await _screen_point(user, meeting, title)
    async with db.transaction():
        await _bump_agenda(meeting, version, title)
        await AgendaPoint.update({AgendaPoint.title: title, AgendaPoint.part_key: part_key}).where(
            AgendaPoint.id == point_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Dagsordenspunkt ændret: {agenda.audit_title(point['title'])} → "
                           f"{agenda.audit_title(title)}", address)
        await _agenda_told(user, meeting)


async def remove_agenda_point(user: Principal, meeting: Mapping[str, Any], version: int | None,
                              point_id: int, address: str = "") -> None:
    """A point off the agenda, its minutes with it (the audit record keeps that it had
    some); a point with minutes is not removed from a held meeting."""
    _require_agenda(meeting)
    point = await agenda_point(meeting["id"], point_id)
    if not agenda.removable(point["minutes"], meeting["status"]):
        raise web.UserError(f"Punktet »{point['title']}« har et referat fra mødet og kan ikke "
                            "fjernes. Ret punktets titel eller referatet i stedet.", 409)
    async with db.transaction():
        await _bump_agenda(meeting, version, f"Fjern punktet: {point['title']}")
        await AgendaPoint.delete().where(AgendaPoint.id == point_id)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Dagsordenspunkt fjernet: {agenda.audit_title(point['title'])}"
                           + (" (med referat)" if point["minutes"].strip() else ""), address)
        await _agenda_told(user, meeting)


async def move_agenda_point(user: Principal, meeting: Mapping[str, Any], version: int | None,
                            point_id: int, direction: str, address: str = "") -> None:
    """A point one step up or down the agenda; audited."""
    _require_agenda(meeting)
    point = await agenda_point(meeting["id"], point_id)
    if direction not in agenda.DIRECTIONS:
        raise web.UserError("Vælg op eller ned.")
    async with db.transaction():
        await _bump_agenda(meeting, version,
                           f"Flyt {'op' if direction == 'up' else 'ned'}: {point['title']}")
        points = await agenda_of(meeting["id"])
        now_at = {p["id"]: p["position"] for p in points}
        order = agenda.moved([p["id"] for p in points], point_id, direction)
        for position, pid in enumerate(order):
            if now_at[pid] != position:  # the two swapped points (all, if positions had gaps)
                await AgendaPoint.update({AgendaPoint.position: position}).where(AgendaPoint.id == pid)
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Dagsordenspunkt flyttet {'op' if direction == 'up' else 'ned'}: "
                           f"{agenda.audit_title(point['title'])}", address)
        await _agenda_told(user, meeting)


async def write_minutes(user: Principal, meeting: Mapping[str, Any], point_id: int,
                        version: int | None, minutes: str, address: str = "") -> None:
    """The minutes of one point, written once the meeting has begun and editable after it
    was held; locked by the point's own version (two points' minutes never stop each
    other). Audited without the text."""
    point = await agenda_point(meeting["id"], point_id)
    offer = offers.minutes_offer(meeting["status"], [p["starts_at"] for p in await parts_of(
        meeting["id"])], clock.now())
    if not offer.allowed:
        raise web.UserError(f"{offer.reason} {offer.way}.", 409)
    minutes = await kept_if_read_outside(user, meeting, point["minutes"] or "", minutes,
                                         "minutes", "Referat")
    if minutes == (point["minutes"] or ""):
        return  # nothing written: the minutes stay hers who wrote them
    await screen_outside_writer(user, meeting["family"], {"minutes": ("Referat", minutes)})
    async with db.transaction():
        await db.update_versioned(
            AgendaPoint, point_id, version,
            {AgendaPoint.minutes: minutes,
             AgendaPoint.minutes_by_name: user.full_name or user.username,
             AgendaPoint.minutes_at: clock.now()},
            where=AgendaPoint.meeting == meeting["id"], message=MINUTES_CONFLICT,
            mine={"title": point["title"], "minutes": minutes}, shown=("title", "minutes"),
            labels={"title": "Dagsordenspunkt", "minutes": "Referat"})
        await audit.record(user, "update", "møde", meeting["id"], meeting["family"],
                           f"Referat skrevet til punktet: {agenda.audit_title(point['title'])}",
                           address)


async def _keep_minutes(user: Principal, meeting_id: int, minutes: str) -> None:
    """Minutes written for the meeting as a whole: added to its minutes point (made at the
    end of the agenda when there is none); in the caller's transaction."""
    points = await agenda_of(meeting_id)
    point = next((p for p in points if p["title"] == agenda.MINUTES_POINT), None)
    by, now = user.full_name or user.username, clock.now()
    if point is None:
        await AgendaPoint.insert(AgendaPoint(
            meeting=meeting_id, position=(points[-1]["position"] + 1) if points else 0,
            title=agenda.MINUTES_POINT, minutes=minutes, minutes_by_name=by, minutes_at=now))
        return
    text = f"{point['minutes'].rstrip()}\n\n{minutes}" if point["minutes"].strip() else minutes
    await db.update_versioned(AgendaPoint, point["id"], db.ANY_VERSION, {
        AgendaPoint.minutes: text, AgendaPoint.minutes_by_name: by, AgendaPoint.minutes_at: now})


# ------------------------------------------------------------------------ slot finder

@dataclass(frozen=True)
class SlotQuery:
    """The slot finder form: a window of dates, notice, each part's duration and the room
    wanted (``room``: None no room, ``ANY_ROOM`` the first free one, or a room id)."""

    first_day: date
    last_day: date
    min_notice: int
    durations: Mapping[str, int]  # part key -> minutes
    room: int | None = None


ANY_ROOM = 0


@dataclass(frozen=True)
class SlotAnswer:
    """The planner's result, the feed warnings, and the rooms by planner id."""

    result: planner.PlanningResult
    warnings: list[str]
    room_names: dict[str, str]
    blocked: str = ""  # why nothing can be proposed yet (e.g. the formøde is not dated)


def project_slots(answer: SlotAnswer, clean: Callable[[str | None], str]) -> SlotAnswer:
    """The slot finder's answer for a reader outside the team (the samordner): its
    explanations, reasons and warnings name participants and places, so they read as the
    meeting page does (``clean``: ``cleaner_outside``)."""
    result = planner.PlanningResult(
        tuple(replace(slot, explanation=clean(slot.explanation)) for slot in answer.result.slots),
        tuple(replace(r, message=clean(r.message)) for r in answer.result.rejections))
    return SlotAnswer(result, [clean(w) for w in answer.warnings], answer.room_names,
                      clean(answer.blocked) if answer.blocked else "")


async def busy_of(meeting_id: int, participants: list[dict], span: tuple[datetime, datetime]
                  ) -> dict[str, list[planner.Busy]]:
    """Busy intervals per participant from the parts of the other (not cancelled) meetings
    in the system that overlap ``span`` (``planner.busy_span``), matched by network person
    or user. Only the parts a participant attends count; a worker's older meetings are not
    read, so the cost follows the search window, not their history."""
    person_ids = [p["person"] for p in participants if p["person"]]
    user_ids = [p["user"] for p in participants if p["user"]]
    busy: dict[str, list[planner.Busy]] = {p["safety_id"]: [] for p in participants}
    if not person_ids and not user_ids:
        return busy
    who = " OR ".join([*([f'p."person" IN ({db.marks(person_ids)})'] if person_ids else []),
                       *([f'p."user" IN ({db.marks(user_ids)})'] if user_ids else [])])
    rows = await db.fetch(
        'SELECT p."person" AS "person", p."user" AS "user", mp."starts_at" AS "starts_at", '
        'mp."ends_at" AS "ends_at" FROM "participant" p '
        'JOIN "participant_part" pp ON pp."participant" = p."id" '
        'JOIN "meeting_part" mp ON mp."id" = pp."part" '
        'JOIN "meeting" m ON m."id" = p."meeting" '
        f'WHERE ({who}) AND p."removed_at" IS NULL AND p."meeting" <> {{}} '
        """AND m."status" <> 'cancelled' AND mp."starts_at" < {} AND mp."ends_at" > {}""",
        *person_ids, *user_ids, meeting_id, span[1], span[0])
    by_key: dict[str, list[planner.Busy]] = {}
    for row in rows:
        for key in (f"person:{row['person']}" if row["person"] else None,
                    f"user:{row['user']}" if row["user"] else None):
            if key:
                by_key.setdefault(key, []).append(planner.Busy(row["starts_at"], row["ends_at"]))
    for p in participants:
        keys = [k for k in (f"person:{p['person']}" if p["person"] else None,
                            f"user:{p['user']}" if p["user"] else None) if k]
        busy[p["safety_id"]] = [b for k in keys for b in by_key.get(k, [])]
    return busy


async def _planner_rooms(meeting_id: int, wanted: int | None, span: tuple[datetime, datetime]
                         ) -> list[planner.Room]:
    if wanted is None:
        return []
    rooms = await availability.rooms()
    if wanted != ANY_ROOM:
        rooms = [r for r in rooms if r["id"] == wanted]
        if not rooms:
            raise web.UserError("Det valgte lokale findes ikke.", field="room")
    if not rooms:
        raise web.UserError("Der er ingen lokaler at vælge imellem.", field="room")
    busy = await availability.room_busy([r["id"] for r in rooms], exclude_meeting=meeting_id,
                                        span=span)
    return [planner.Room(str(r["id"]), r["name"], busy[r["id"]]) for r in rooms]


async def planning_request(meeting: Mapping[str, Any], query: SlotQuery, now: datetime,
                           limit: tuple[datetime | None, str] | None = None, *,
                           allowed_hosts: Collection[str] = ()
                           ) -> tuple[planner.PlanningRequest, list[str]]:
    """The planner's input, gathered from the database and the imported feeds (which are
    refreshed here, before the planner runs; internal hosts only if in ``allowed_hosts``),
    and the feeds' Danish warnings; ``limit`` is the formøde's (``formoede.limit_for``)
    when the caller has read it already."""
    window_start = datetime.combine(query.first_day, time(0), web.COPENHAGEN)
    window_end = datetime.combine(query.last_day + timedelta(days=1), time(0), web.COPENHAGEN)
    span = planner.busy_span(window_start, window_end, now, query.min_notice)
    parts = await parts_of(meeting["id"])
    participants = await participants_of(meeting["id"])
    busy = await busy_of(meeting["id"], participants, span)
    from_feeds = await availability.feed_busy(participants, now, span, allowed_hosts)
    hours = await availability.hours_of((availability.owner_of(p) for p in participants
                                         if p["person"] or p["user"]),
                                        planner.searched_days(window_start, window_end))
    p_parts = []
    for part in parts:
        minutes = query.durations.get(part["key"])
        if not minutes or minutes < 5 or minutes > 600:
            raise web.UserError(f"Varigheden af »{part['label']}« skal være 5–600 minutter.",
                                field=f"duration_{part['key']}")
        p_parts.append(planner.Part(part["key"], part["label"], timedelta(minutes=minutes),
                                    frozenset(p["safety_id"] for p in participants
                                              if part["key"] in p["part_keys"])))
    people = []
    who = availability.who_of(participants)
    for p in participants:
        own = hours.get(p["safety_id"], availability.Hours())
        people.append(planner.Participant(
            p["safety_id"], p["name"], [*busy[p["safety_id"]], *from_feeds.busy[p["safety_id"]]],
            working_hours=own.weekly, date_overrides=own.dates,
            private=who[p["safety_id"]].private,
            school_hours=planner.DEFAULT_SCHOOL_HOURS if who[p["safety_id"]].child else None))
    not_before, not_before_message = limit or await formoede.limit_for(meeting)
    request = planner.PlanningRequest(
        participants=people, parts=p_parts,
        window_start=window_start, window_end=window_end,
        now=now, min_notice_working_days=query.min_notice,
        rooms=await _planner_rooms(meeting["id"], query.room, span),
        not_before=not_before, not_before_message=not_before_message)
    return request, from_feeds.warnings


async def find_slots(meeting: Mapping[str, Any], query: SlotQuery,
                     now: datetime | None = None, *, allowed_hosts: Collection[str] = ()
                     ) -> SlotAnswer:
    """Ranked free slots for the meeting's parts, participants (their working hours, other
    meetings and imported calendars, fetched from internal hosts only if in
    ``allowed_hosts``) and the wanted room, and why better ones failed."""
    now = now or clock.now()
    if query.last_day < query.first_day:
        raise web.UserError("Perioden slutter, før den begynder.", field="last_day")
    if query.last_day < now.astimezone(web.COPENHAGEN).date():
        raise web.UserError("Perioden ligger i fortiden.", field="last_day")
    if (query.last_day - query.first_day).days + 1 > planner.MAX_WINDOW.days:
        raise web.UserError("Perioden må højst være et år.", field="last_day")
    not_before, held_back = await formoede.limit_for(meeting)
    if not_before is None and held_back:
        return SlotAnswer(planner.PlanningResult((), ()), [], {}, blocked=held_back)
    request, warnings = await planning_request(meeting, query, now, (not_before, held_back),
                                               allowed_hosts=allowed_hosts)
    try:
        result = planner.find_slots(request)
    except planner.PlanningError as exc:
        raise web.UserError(exc.message_da) from None
    return SlotAnswer(result, warnings, {r.id: r.name for r in request.rooms})


# ------------------------------------------------------------------------ suggestions

GRAPH_KIND = {"familieraadslagning": "familieraadslagning",
              "familieraadslagning_followup": "familieraadslagning",
              "bic_session": "bic", "bic_joint_parents": "bic",
              "netvaerksmoede": "netvaerksmoede", "statusmoede": "statusmoede"}
GRAPH_PART = {"private_time": "family_time"}


_suggestions: BoundedCache[tuple[graph.NetworkSnapshot, str], tuple[graph.Suggestion, ...]] = \
    BoundedCache("invite suggestions", 256)


def _invite_suggestions(snapshot: graph.NetworkSnapshot, kind: str
                        ) -> tuple[graph.Suggestion, ...]:
    """``graph.invite_suggestions``, kept per network as it is (the snapshot is the key, as
    for the network views): a change of the meeting does not change the family's network."""
    kept = _suggestions.get((snapshot, kind))
    if kept is None:
        kept = tuple(graph.invite_suggestions(snapshot, kind))
        _suggestions.put((snapshot, kind), kept)
    return kept


async def suggestions_for(meeting: Mapping[str, Any], participants: list[dict],
                          network: network_service.Network | None = None) -> list[dict]:
    """People from the family's network ranked for this meeting, with the graph's reason,
    the parts of THIS meeting to invite them to, and any warning; those already invited
    are left out. ``network``: the family's, when the caller has loaded it."""
    if meeting["family"] is None:
        return []
    try:
        if network is None or network.family_id != meeting["family"]:
            network = await network_service.load_network(meeting["family"])
        snapshot = network.snapshot
        suggestions = _invite_suggestions(snapshot, GRAPH_KIND.get(meeting["kind"], "statusmoede"))
    except (ValueError, KeyError):  # an inconsistent network must not break the page
        return []
    kind = kinds.get_kind(meeting["kind"])
    own = {p.key for p in kind.parts}
    invited = {p["person"] for p in participants if p["person"]}
    wanted_graph_part = {"bic_session": "father_talk", "bic_joint_parents": "parents_meeting"}.get(kind.key)
    result = []
    for s in suggestions:
        if s.person_id in invited:
            continue
        if wanted_graph_part and wanted_graph_part not in s.part_keys:
            continue
        keys = [GRAPH_PART.get(k, k) for k in s.part_keys]
        keys = [k for k in keys if k in own] or ([kind.parts[0].key] if len(own) == 1 else [])
        if not keys:
            continue
        result.append({"person_id": s.person_id, "name": s.name, "score": s.score,
                       "reason": s.reason_da, "warning": s.warning_da, "part_keys": keys,
                       "via_worker": s.contact_via_worker})
    return result


# The conflict page names fields as the forms do; counters (version, SEQUENCE) stay inside.
CONFLICT_LABELS = {
    "title": "Titel", "status": "Status", "location": "Mødested", "description": "Beskrivelse",
    "minutes": "Referat", "outcome": "Resultat og aftaler", "possible": "Er familierådslagning mulig",
    "reasons": "Begrundelse", "concern": "Bekymring", "questions": "Spørgsmål",
    "involve": "Skal far inddrages", "contact_person": "Kontaktperson i Modtagelsen",
    "samordner": "Samordner", "mother_agreed_on": "Mors samtykke givet",
    "formoede_on": "Formødets dato", "formoede_participants": "Deltagere i formødet",
    "formoede_agreement": "Vil familien gå videre", "formoede_note": "Note fra formødet",
    "note": "Note", "dagsorden": "Dagsordenen, som den er gemt",
    "dagsordenspunkt": "Din ændring af dagsordenen",
}
_CONFLICT_HIDDEN = frozenset({"version", "sequence", "id"})


def _conflict_value(key: str, value: Any) -> str:
    """A value in the words the form uses: labels for codes, ja/nej, Danish dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if key == "status":
        try:
            return kinds.STATUS_LABELS[kinds.MeetingStatus(value)]
        except ValueError:
            return flows_status_label(str(value))
    if key == "formoede_agreement":
        return offers.AGREEMENTS.get(value, value)
    if isinstance(value, datetime):
        return web.fmt_datetime(value)
    if isinstance(value, date):
        return web.fmt_date(value)
    return str(value)


def flows_status_label(value: str) -> str:
    """The Danish label of a familierådslagning, BIC or plan item status (or the value if
    unknown)."""
    return {**kinds.FGC_STATUS, **kinds.BIC_STATUS, **offers.PLAN_STATUSES}.get(value, value)


# What a reader outside the family's team (samordner, the father's kontaktperson) is never
# shown of the saved meeting in a conflict: its texts and its place may name a protected
# place or fact, and the conflict shows the row as stored, not as projected for her.
_CONFLICT_TEAM_ONLY = frozenset({"title", "location", "description", "location_organisation",
                                 "room", "minutes", "outcome", "cancel_reason", "dagsorden",
                                 "dagsordenspunkt"})


def conflict_context(exc: web.Conflict, audience: Audience) -> dict:
    """What the conflict page shows: both versions side by side, in the form's words; for a
    reader outside the team, only the fields that can name nothing protected."""

    def label(key: str) -> str:
        return exc.labels.get(key) or CONFLICT_LABELS.get(key) or key[:1].upper() + key[1:]

    hidden = _CONFLICT_HIDDEN if audience is Audience.TEAM else (
        _CONFLICT_HIDDEN | _CONFLICT_TEAM_ONLY)
    return web.conflict_view(exc, label=label, value=_conflict_value, hidden=hidden)
