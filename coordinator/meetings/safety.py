"""Safety rules for meetings: what must block an invite, and what each recipient may see.

Pure functions over plain dataclasses; no database, no HTTP. Everything that leaves the
system about a meeting (invite, feed, email, answer page) is built from the
``RecipientView`` that ``redact_for_recipient`` returns for that one recipient, and is
checked with ``scan_for_leaks`` against ``RecipientView.protected_strings`` before it
is sent.

Decisions
---------
Sensitive location
    A location at the crisis centre or at a protected address. Its text is shown only to
    recipients flagged ``entitled_to_protected_location`` (crisis-centre staff, the
    family's socialrådgiver, the protected mother who lives there). A father or anyone
    who used violence is never entitled, whatever the flag says. Others read
    ``NEUTRAL_LOCATION`` ("Oplyses af socialrådgiveren"). ``Meeting.sensitive_terms``
    (e.g. the crisis centre's name, the town the mother moved to) are treated the same
    way: shown only to entitled recipients, replaced in free text for everyone else.

The children's places
    A shielded family's (a protected address, or at the crisis centre) children's school
    and day care: where the children can be found every day. Not a protected place – the
    school's own staff and the other partners read it – but never read by the father,
    anyone who used violence, anyone kept apart from the mother or a child
    (``Person.kept_apart``: DOMAIN.md counts them with the father), or an account outside
    the family's team (the samordner, the father's kontaktperson; ``Person.outside_team``).
    A meeting held there (``Location.childrens_place``) with a hostile or kept-apart person
    invited is blocked like one at a protected place; the others outside read ``NEUTRAL_LOCATION``, and
    ``Meeting.childrens_places`` (each place's name and address) are withheld from them
    wherever written.

Hostile recipients (the father, anyone who used violence)
    See no other attendees at all, and never the worker's free text: the title is the
    meeting kind's label and the description a fixed neutral sentence, because free
    text may tell where the mother and children are. They see only the parts they are
    invited to, each with its location if (and only if) it is not sensitive.

Other attendees' data
    Names of the attendees of the recipient's own parts are shown to non-hostile
    recipients; organisations for professionals. Contact data (email, phone):
    professionals' work contacts are shown to everybody non-hostile, except that a partner
    (an external professional) sees no other partner's, only the team's; private persons'
    contact data only to internal staff (Familieafdelingen, crisis centre); a protected
    person's contact data and address only to entitled recipients. A shown field that
    would contain a withheld string is dropped.

How the child is named for externals
    External professionals (``Person.internal`` False: school, day care, health visitor,
    samordner, voluntary partners) see a child as first name plus the initial of the
    last surname, e.g. "Emma J." for "Emma Marie Jensen", in attendee lists and in the
    title and description. Nobody sees a CPR number: anything shaped like one
    (ddmmyy-xxxx) is replaced by ``CPR_REPLACEMENT`` in every recipient's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from coordinator.meetings import protected
from coordinator.meetings.kinds import KINDS, KindError, ParticipantCategory, may_attend

NEUTRAL_LOCATION = "Oplyses af socialrådgiveren"
NEUTRAL_DESCRIPTION = "Du er inviteret af socialrådgiveren. Spørgsmål om mødet rettes til socialrådgiveren."
CPR_REPLACEMENT = "[CPR-nummer fjernet]"
HIDDEN = "[skjult]"
SEVERAL_LOCATIONS = "Forskellige steder – se de enkelte dele"

BLOCK: Literal["block"] = "block"
WARN: Literal["warn"] = "warn"


class Role(StrEnum):
    """A person's role around the family."""

    MOTHER = "mother"
    FATHER = "father"
    CHILD = "child"
    PROFESSIONAL = "professional"
    PRIVATE = "private"


@dataclass(frozen=True)
class Person:
    """Someone who can be invited, with the safety facts that govern what they see."""

    id: str
    name: str
    roles: frozenset[Role]
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    organisation: str | None = None
    protected_address: bool = False
    used_violence: bool = False
    contact_only_via_worker: bool = False
    entitled_to_protected_location: bool = False
    # Staff of Familieafdelingen or the crisis centre (as opposed to external partners).
    internal: bool = False
    # An account outside the family's team: the samordner, the father's kontaktperson.
    outside_team: bool = False
    # Kept apart (a keep-apart pair) from the mother, a child or a protected person: on the
    # father's side, whether or not they used violence.
    kept_apart: bool = False

    @property
    def is_professional(self) -> bool:
        """True for people who attend because of their job."""
        return Role.PROFESSIONAL in self.roles

    @property
    def is_hostile(self) -> bool:
        """The father or anyone who used violence: the strictest redaction applies."""
        return self.used_violence or Role.FATHER in self.roles

    @property
    def sees_childrens_places(self) -> bool:
        """Whether a shielded family's children's school and day care may reach them."""
        return not self.is_hostile and not self.outside_team and not self.kept_apart

    @property
    def is_external(self) -> bool:
        """A professional from outside Familieafdelingen and the crisis centre."""
        return self.is_professional and not self.internal

    @property
    def category(self) -> ParticipantCategory:
        """Professional, family or private network – the attendance category of kinds.py."""
        if self.is_professional:
            return ParticipantCategory.PROFESSIONAL
        if self.roles & {Role.MOTHER, Role.FATHER, Role.CHILD}:
            return ParticipantCategory.FAMILY
        return ParticipantCategory.PRIVATE_NETWORK


@dataclass(frozen=True)
class Location:
    """Where a meeting (part) is held."""

    text: str
    at_crisis_centre: bool = False
    protected_address: bool = False
    # The children's school or day care of a shielded family (see the module's notes).
    childrens_place: bool = False

    @property
    def sensitive(self) -> bool:
        """Shown only to entitled recipients."""
        return self.at_crisis_centre or self.protected_address


@dataclass(frozen=True)
class MeetingPart:
    """A part of a meeting and who is invited to it; ``location`` overrides the meeting's."""

    key: str
    label: str
    participant_ids: frozenset[str]
    location: Location | None = None


@dataclass(frozen=True)
class Approval:
    """A recorded, reasoned approval that two people may be in the same part (or meeting)."""

    person_a: str
    person_b: str
    part_key: str | None
    reason: str
    approved_by: str

    @property
    def valid(self) -> bool:
        """An approval counts only with a reason and an approver who is not one of the pair."""
        return bool(self.reason.strip()) and bool(self.approved_by.strip()) and self.approved_by not in (
            self.person_a,
            self.person_b,
        )

    def covers(self, a: str, b: str, part_key: str) -> bool:
        """Whether this (valid) approval allows ``a`` and ``b`` together in ``part_key``."""
        return (
            self.valid
            and {self.person_a, self.person_b} == {a, b}
            and (self.part_key is None or self.part_key == part_key)
        )


@dataclass(frozen=True)
class KeepApart:
    """Two people who must not meet, and why."""

    person_a: str
    person_b: str
    reason: str


@dataclass(frozen=True)
class Meeting:
    """The facts about a meeting that the safety rules need."""

    kind: str
    title: str
    location: Location
    parts: tuple[MeetingPart, ...]
    description: str = ""
    approvals: tuple[Approval, ...] = ()
    # People the system does not e-mail (invited by phone, by letter or through the
    # socialrådgiver); everyone else is emailed directly.
    invite_via_worker: frozenset[str] = frozenset()
    # Of those, the people who get a printed letter: it reaches them directly.
    by_letter: frozenset[str] = frozenset()
    send_email_invites: bool = True
    # Extra strings that reveal where the family is (e.g. the crisis centre's name).
    sensitive_terms: tuple[str, ...] = ()
    # A shielded family's children's school and day care as facts (name, address): withheld
    # from those who may not see them (``Person.sees_childrens_places``) wherever written.
    childrens_places: tuple[str, ...] = ()
    # The family's network persons whose contact data is withheld (a protected address, or
    # reached only through the socialrådgiver), invited or not: their address, phone and
    # e-mail are withheld wherever written from every recipient ``_contact_withheld`` keeps
    # them from, as an invited one's are. A mother not invited to a meeting about her
    # children is still protected in its description.
    protected_people: tuple[Person, ...] = ()
    # The family's children's full names, invited or not: an external professional reads
    # each as first name and initial (``child_display_name``) wherever written.
    children: tuple[str, ...] = ()
    # What outside professionals (partners, feeds) read as the title (``partner_title``);
    # empty: the meeting's own title (no family, or the team chose to share it).
    partner_title: str = ""
    # The agenda's points in order as (part key, title); part key "" is the whole meeting
    # (``meetings/agenda.py``). Free text like the description.
    agenda: tuple[tuple[str, str], ...] = ()

    def location_of(self, part: MeetingPart) -> Location:
        """The effective location of a part."""
        return part.location or self.location

    @property
    def participant_ids(self) -> list[str]:
        """Everybody invited to any part, in order of first appearance."""
        seen: dict[str, None] = {}
        for part in self.parts:
            for pid in sorted(part.participant_ids):
                seen.setdefault(pid, None)
        return list(seen)


@dataclass(frozen=True)
class Finding:
    """A safety finding: ``block`` must stop sending, ``warn`` needs the worker's attention."""

    severity: Literal["block", "warn"]
    code: str
    message: str
    person_ids: tuple[str, ...] = ()
    part_key: str | None = None

    @property
    def approvable(self) -> bool:
        """A leader's or worker's recorded approval may lift this finding."""
        return self.code in APPROVABLE_FINDINGS


# The findings a recorded, reasoned approval may lift (the others must be fixed).
APPROVABLE_FINDINGS = frozenset({"keep_apart", "violence_with_protected", "approval_required"})


@dataclass(frozen=True)
class VisibleAttendee:
    """Another attendee as one recipient may see them."""

    person_id: str
    name: str
    organisation: str | None
    email: str | None
    phone: str | None
    part_keys: tuple[str, ...]
    # Who they are at the meeting in the words every non-hostile recipient may read
    # (``role_label``): two attendees with one name are told apart by it.
    role: str = ""


# A person's role as an attendee list names it (never more than the safety roles say).
ROLE_LABELS: dict[Role, str] = {
    Role.MOTHER: "mor", Role.FATHER: "far", Role.CHILD: "barn",
    Role.PROFESSIONAL: "fagperson", Role.PRIVATE: "privat netværk",
}


def role_label(person: Person) -> str:
    """The attendee's role as the list shows it: mor, far, barn, fagperson or privat
    netværk (a family role before the professional one)."""
    for role in (Role.MOTHER, Role.FATHER, Role.CHILD, Role.PROFESSIONAL):
        if role in person.roles:
            return ROLE_LABELS[role]
    return ROLE_LABELS[Role.PRIVATE]


@dataclass(frozen=True)
class PartView:
    """One part the recipient is invited to, with the location text they may see."""

    key: str
    label: str
    location_text: str
    location_shown: bool


@dataclass(frozen=True)
class RecipientView:
    """Everything one recipient may see of a meeting; invites and feeds are built from it."""

    recipient_id: str
    title: str
    description: str
    location_text: str
    location_shown: bool
    parts: tuple[PartView, ...]
    attendees: tuple[VisibleAttendee, ...]
    protected_strings: tuple[str, ...] = field(default=())
    # The agenda's points of the recipient's own parts (and the whole meeting's) as
    # (part key, title), cleaned like the description; none for hostile recipients.
    agenda: tuple[tuple[str, str], ...] = ()


class SafetyError(ValueError):
    """A redaction that cannot be made (e.g. the recipient is not invited); Danish message."""

    def __init__(self, message_da: str) -> None:
        super().__init__(message_da)
        self.message_da = message_da


# --------------------------------------------------------------------------- helpers


def _index(people: Mapping[str, Person] | Iterable[Person]) -> dict[str, Person]:
    if isinstance(people, Mapping):
        return dict(people)
    return {person.id: person for person in people}


def _approved(meeting: Meeting, a: str, b: str, part_key: str) -> bool:
    return any(approval.covers(a, b, part_key) for approval in meeting.approvals)


def partner_title(kind: str, children: Iterable[str]) -> str:
    """What an outside professional reads as a family meeting's title: the meeting's kind
    and the children's first names and initials ("Netværksmøde om Ali H. og Noor H."),
    never the family's surname or the team's name for the family."""
    label = KINDS[kind].label if kind in KINDS else "Møde"
    names = list(dict.fromkeys(child_display_name(n) for n in children if n.strip()))
    if not names:
        return label
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]
    return f"{label} om {joined}"


def child_display_name(name: str) -> str:
    """How a child is named for external recipients: first name and last-surname initial."""
    words = name.split()
    if len(words) < 2:
        return name
    return f"{words[0]} {words[-1][0]}."


_CPR = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])(0[1-9]|1[0-2])(\d{2})[- ]?(\d{4})(?!\d)")


def remove_cpr(text: str) -> str:
    """Replace anything shaped like a CPR number (ddmmyy-xxxx) so it never leaves the system."""
    return _CPR.sub(CPR_REPLACEMENT, text)


def _replace_loose(text: str, needle: str, replacement: str) -> str:
    """Every spelling of ``needle`` in ``text`` replaced (see ``protected``)."""
    return protected.replace(text, (needle,), replacement)


# --------------------------------------------------------------------------- entitlement


def is_entitled_to_location(recipient: Person, meeting: Meeting, part_key: str | None = None) -> bool:
    """Whether the recipient may see the real location of a part (or of the whole meeting).

    Non-sensitive locations are visible to every invitee. Crisis-centre locations and
    protected addresses only to recipients flagged as entitled, and never to a father
    or anyone who used violence. With ``part_key`` None, the recipient must be entitled
    to the meeting's location and every part's location.
    """
    if part_key is None:
        locations = [meeting.location, *(meeting.location_of(part) for part in meeting.parts)]
    else:
        matching = [part for part in meeting.parts if part.key == part_key]
        if not matching:
            raise SafetyError(f"Mødet har ingen del, der hedder »{part_key}«.")
        locations = [meeting.location_of(matching[0])]
    if not recipient.sees_childrens_places and any(
            location.childrens_place for location in locations):
        return False
    if not any(location.sensitive for location in locations):
        return True
    return recipient.entitled_to_protected_location and not recipient.is_hostile


@dataclass(frozen=True)
class TextFinding:
    """A protected fact found in a text as it was typed, before it is saved."""

    field: str  # the form field's name
    label: str  # its Danish label
    found: str  # the protected fact, as stored


def screen_texts(texts: Mapping[str, tuple[str, str]], facts: Iterable[str]) -> list[TextFinding]:
    """Screen typed texts (field → (label, text)) for protected facts, in every spelling
    (``protected.find``): what was found, in which field. Empty: nothing protected."""
    wanted = tuple(facts)
    return [TextFinding(name, label, found) for name, (label, text) in texts.items()
            for found in protected.find(text, wanted)]


def outsiders(people: Iterable[Person]) -> list[Person]:
    """The participants a protected place or fact must never reach (the father, anyone who
    used violence, partners and everyone else not entitled)."""
    return [p for p in people if not _entitled_to_sensitive(p)]


def _entitled_to_sensitive(recipient: Person) -> bool:
    return recipient.entitled_to_protected_location and not recipient.is_hostile


def _contact_withheld(recipient: Person, other: Person) -> bool:
    """Whether ``other``'s email, phone and address must never reach ``recipient``.

    A protected person's, or one reachable only via the worker, only entitled recipients
    may have; private persons' only internal staff. Professionals' work contacts everybody
    non-hostile, except that a partner (an external professional: school, health visitor,
    police, samordner) reads the team's contacts (the socialrådgiver's, who also appears as
    organiser) and never another partner's (DOMAIN.md, *Audiences*).
    """
    if other.protected_address or other.contact_only_via_worker:
        return not _entitled_to_sensitive(recipient)
    if other.is_professional:
        return not other.internal and recipient.is_professional and not recipient.internal
    return recipient.is_hostile or not recipient.internal


# --------------------------------------------------------------------------- the checks


def check_meeting(
    meeting: Meeting,
    people: Mapping[str, Person] | Iterable[Person],
    keep_apart: Iterable[KeepApart] = (),
) -> list[Finding]:
    """All safety findings for a meeting before invites are sent.

    ``block`` findings must stop sending until fixed (or, where the message says so,
    until a reasoned approval is recorded); ``warn`` findings are shown to the worker.
    The order is stable: meeting-wide findings first, then per part and person.
    """
    index = _index(people)
    findings: list[Finding] = []
    findings += _check_kind_and_people(meeting, index)
    known = [pid for pid in meeting.participant_ids if pid in index]
    findings += _check_approvals(meeting, index)
    findings += _check_pairs(meeting, index, list(keep_apart))
    findings += _check_locations(meeting, index)
    findings += _check_invites(meeting, [index[pid] for pid in known])
    findings += _check_attendance_rules(meeting, index)
    findings += _check_text(meeting, index)
    return findings


def has_blocking(findings: Iterable[Finding]) -> bool:
    """Whether any finding must stop the invites from being sent."""
    return any(finding.severity == BLOCK for finding in findings)


def _name(index: Mapping[str, Person], pid: str) -> str:
    person = index.get(pid)
    return person.name if person else pid


def _check_kind_and_people(meeting: Meeting, index: Mapping[str, Person]) -> list[Finding]:
    findings: list[Finding] = []
    if meeting.kind not in KINDS:
        findings.append(Finding(BLOCK, "unknown_kind", f"Ukendt mødetype: »{meeting.kind}«."))
    if not meeting.parts or not meeting.participant_ids:
        findings.append(Finding(BLOCK, "no_participants", "Mødet har ingen deltagere."))
    for part in meeting.parts:
        if not part.participant_ids:
            findings.append(
                Finding(WARN, "empty_part", f"Ingen er inviteret til »{part.label}«.", (), part.key)
            )
    for pid in meeting.participant_ids:
        if pid not in index:
            findings.append(
                Finding(BLOCK, "unknown_participant", "En deltager findes ikke i familiens netværk.", (pid,))
            )
    return findings


def _check_approvals(meeting: Meeting, index: Mapping[str, Person]) -> list[Finding]:
    findings: list[Finding] = []
    for approval in meeting.approvals:
        if not approval.valid:
            pair = (approval.person_a, approval.person_b)
            findings.append(
                Finding(
                    WARN,
                    "invalid_approval",
                    f"Godkendelsen af, at {_name(index, pair[0])} og {_name(index, pair[1])} deltager sammen, "
                    "mangler begrundelse eller godkender (eller er godkendt af en af dem selv) og tæller ikke.",
                    pair,
                    approval.part_key,
                )
            )
    kind = KINDS.get(meeting.kind)
    if kind is not None and kind.requires_approval:
        findings += _check_required_approval(meeting, index, kind.label)
    return findings


def _check_required_approval(meeting: Meeting, index: Mapping[str, Person], label: str) -> list[Finding]:
    """A kind that requires approval (bic_joint_parents): every mother–father pair in a
    part needs a valid approval, and the meeting needs at least one valid approval."""
    findings: list[Finding] = []
    any_valid = any(approval.valid for approval in meeting.approvals)
    for part in meeting.parts:
        members = [index[pid] for pid in sorted(part.participant_ids) if pid in index]
        mothers = [p for p in members if Role.MOTHER in p.roles]
        fathers = [p for p in members if Role.FATHER in p.roles]
        for mother in mothers:
            for father in fathers:
                if not _approved(meeting, mother.id, father.id, part.key):
                    findings.append(
                        Finding(
                            BLOCK,
                            "approval_required",
                            f"{label} med {mother.name} og {father.name} kræver en registreret godkendelse "
                            "med begrundelse, før der sendes invitationer.",
                            (mother.id, father.id),
                            part.key,
                        )
                    )
    if not any_valid and not findings:
        findings.append(
            Finding(
                BLOCK,
                "approval_required",
                f"{label} kræver en registreret godkendelse med begrundelse, før der sendes invitationer.",
            )
        )
    return findings


def _check_pairs(meeting: Meeting, index: Mapping[str, Person], keep_apart: list[KeepApart]) -> list[Finding]:
    findings: list[Finding] = []
    for part in meeting.parts:
        reported: set[frozenset[str]] = set()
        for rule in keep_apart:
            a, b = rule.person_a, rule.person_b
            if a in part.participant_ids and b in part.participant_ids and not _approved(meeting, a, b, part.key):
                reported.add(frozenset((a, b)))
                findings.append(
                    Finding(
                        BLOCK,
                        "keep_apart",
                        f"{_name(index, a)} og {_name(index, b)} skal holdes adskilt ({rule.reason}), men er begge "
                        f"inviteret til »{part.label}«. Det kræver en registreret godkendelse med begrundelse.",
                        (a, b),
                        part.key,
                    )
                )
        members = [index[pid] for pid in sorted(part.participant_ids) if pid in index]
        for violent in (p for p in members if p.used_violence):
            for sheltered in (p for p in members if p.protected_address and p.id != violent.id):
                pair = frozenset((violent.id, sheltered.id))
                if pair in reported or _approved(meeting, violent.id, sheltered.id, part.key):
                    continue
                findings.append(
                    Finding(
                        BLOCK,
                        "violence_with_protected",
                        f"{violent.name} har udøvet vold og er inviteret til »{part.label}« sammen med "
                        f"{sheltered.name}, som har beskyttet adresse. Det kræver en registreret godkendelse "
                        "med begrundelse.",
                        (violent.id, sheltered.id),
                        part.key,
                    )
                )
    findings += _check_staggered(meeting, index, keep_apart)
    return findings


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _check_staggered(meeting: Meeting, index: Mapping[str, Person], keep_apart: list[KeepApart]) -> list[Finding]:
    """People who must not meet but attend different parts at the same place may meet at
    the door: the worker must plan staggered arrival and departure."""
    pairs: set[tuple[str, str]] = {_pair(r.person_a, r.person_b) for r in keep_apart}
    for violent in (p for p in index.values() if p.used_violence):
        for sheltered in (p for p in index.values() if p.protected_address and p.id != violent.id):
            pairs.add(_pair(violent.id, sheltered.id))
    findings: list[Finding] = []
    for a, b in sorted(pairs):
        parts_a = [p for p in meeting.parts if a in p.participant_ids]
        parts_b = [p for p in meeting.parts if b in p.participant_ids]
        if not parts_a or not parts_b:
            continue
        shared = {p.key for p in parts_a} & {p.key for p in parts_b}
        places_a = {meeting.location_of(p).text.strip().casefold() for p in parts_a if p.key not in shared}
        places_b = {meeting.location_of(p).text.strip().casefold() for p in parts_b if p.key not in shared}
        if places_a & places_b:
            findings.append(
                Finding(
                    WARN,
                    "staggered_arrival",
                    f"{_name(index, a)} og {_name(index, b)} deltager i forskellige dele på samme sted. "
                    "Planlæg forskudt ankomst og afgang, så de ikke mødes.",
                    (a, b),
                )
            )
    return findings


def _check_locations(meeting: Meeting, index: Mapping[str, Person]) -> list[Finding]:
    findings: list[Finding] = []
    for part in meeting.parts:
        location = meeting.location_of(part)
        if location.childrens_place and not location.sensitive:
            findings += _at_childrens_place(part, index)
        if not location.sensitive:
            continue
        place = "på krisecentret" if location.at_crisis_centre else "på en beskyttet adresse"
        for pid in sorted(part.participant_ids):
            person = index.get(pid)
            if person is not None and person.is_hostile:
                findings.append(
                    Finding(
                        BLOCK,
                        "hostile_at_protected_location",
                        f"{person.name} er inviteret til »{part.label}«, som holdes {place}. Stedet må aldrig "
                        f"vises for {person.name}, og en godkendelse kan ikke ændre det: vælg et andet mødested "
                        "for denne del, eller fjern personen fra den.",
                        (pid,),
                        part.key,
                    )
                )
    return findings


def _at_childrens_place(part: MeetingPart, index: Mapping[str, Person]) -> list[Finding]:
    """A part held at a shielded family's children's school or day care, with the father,
    anyone who used violence or anyone kept apart from the mother or a child invited: they
    would learn where the children are every day."""
    hostile = [pid for pid in sorted(part.participant_ids)
               if (person := index.get(pid)) is not None
               and (person.is_hostile or person.kept_apart)]
    return [Finding(
        BLOCK, "hostile_at_childrens_place",
        f"{index[pid].name} er inviteret til »{part.label}«, som holdes på et sted, hvor børnene "
        f"kan findes (skole eller dagtilbud). Stedet må ikke vises for {index[pid].name}, og en "
        "godkendelse kan ikke ændre det: vælg et andet mødested for denne del, eller fjern "
        "personen fra den.", (pid,), part.key) for pid in hostile]


def _check_invites(meeting: Meeting, participants: list[Person]) -> list[Finding]:
    findings: list[Finding] = []
    for person in participants:
        by_mail = person.id not in meeting.invite_via_worker
        direct = by_mail or person.id in meeting.by_letter
        if direct and person.contact_only_via_worker:
            findings.append(
                Finding(
                    WARN,
                    "contact_only_via_worker",
                    f"{person.name} må kun kontaktes via socialrådgiveren, men får invitationen direkte"
                    f"{' som brev' if not by_mail else ''}.",
                    (person.id,),
                )
            )
        # Only the e-mail channel needs an address: phone, letter and the socialrådgiver
        # never block sending.
        if by_mail and meeting.send_email_invites and not (person.email or "").strip():
            findings.append(
                Finding(
                    BLOCK,
                    "missing_email",
                    f"Der er ingen e-mailadresse på {person.name}, så invitationen kan ikke sendes. Tilføj en "
                    "e-mailadresse, eller vælg at invitere pr. telefon, brev eller via socialrådgiveren.",
                    (person.id,),
                )
            )
    return findings


def _check_attendance_rules(meeting: Meeting, index: Mapping[str, Person]) -> list[Finding]:
    findings: list[Finding] = []
    for part in meeting.parts:
        for pid in sorted(part.participant_ids):
            person = index.get(pid)
            if person is None:
                continue
            try:
                allowed = may_attend(meeting.kind, part.key, person.category)
            except KindError:
                continue  # a custom part or unknown kind: no standard rule applies
            if not allowed:
                findings.append(
                    Finding(
                        WARN,
                        "category_not_in_part",
                        f"{person.name} deltager normalt ikke i »{part.label}«.",
                        (pid,),
                        part.key,
                    )
                )
    return findings


def _check_text(meeting: Meeting, index: Mapping[str, Person]) -> list[Finding]:
    findings: list[Finding] = []
    text = "\n".join([meeting.title, meeting.description, *(t for _, t in meeting.agenda)])
    if remove_cpr(text) != text:
        findings.append(
            Finding(
                WARN,
                "cpr_in_text",
                "Titel, beskrivelse eller dagsorden indeholder noget, der ligner et CPR-nummer. Det fjernes fra alle "
                "invitationer.",
            )
        )
    sensitive = [meeting.location_of(p).text for p in meeting.parts if meeting.location_of(p).sensitive]
    if meeting.location.sensitive:
        sensitive.append(meeting.location.text)
    sensitive += list(meeting.sensitive_terms)
    invitees = [index[pid] for pid in meeting.participant_ids if pid in index]
    if scan_for_leaks(text, sensitive) and any(not _entitled_to_sensitive(p) for p in invitees):
        findings.append(
            Finding(
                WARN,
                "location_in_text",
                "Titel, beskrivelse eller dagsorden nævner et beskyttet sted. Det erstattes med "
                f"»{NEUTRAL_LOCATION}« for de deltagere, der ikke må kende stedet.",
            )
        )
    for other in _others(meeting, index):
        contact = [v for v in (other.email, other.phone, other.address) if v and v.strip()]
        if not (other.protected_address or other.contact_only_via_worker) or not contact:
            continue
        if scan_for_leaks(text, contact) and any(
                _contact_withheld(p, other) for p in invitees if p.id != other.id):
            findings.append(
                Finding(
                    WARN,
                    "contact_in_text",
                    f"Titel, beskrivelse eller dagsorden nævner {other.name}s adresse, telefon "
                    f"eller e-mail, som er beskyttet. Det erstattes med »{HIDDEN}« for de "
                    "deltagere, der ikke må kende dem.",
                    (other.id,),
                )
            )
    return findings


def _others(meeting: Meeting, index: Mapping[str, Person]) -> list[Person]:
    """Everyone whose data a text about the meeting may name: the invited (``index``) and
    the family's protected people (``Meeting.protected_people``), invited or not; an
    invited one as the participant row describes them."""
    return [*index.values(), *(p for p in meeting.protected_people if p.id not in index)]


# --------------------------------------------------------------------------- redaction


def _withheld(meeting: Meeting, recipient: Person, index: Mapping[str, Person]) -> protected.Facts:
    """Strings this recipient must never receive: the ``protected_strings`` of the view."""
    withheld: list[str] = []
    if not _entitled_to_sensitive(recipient):
        for location in (meeting.location, *(meeting.location_of(p) for p in meeting.parts)):
            if location.sensitive:
                withheld.append(location.text)
        withheld += list(meeting.sensitive_terms)
    if not recipient.sees_childrens_places:
        withheld += _childrens_place_texts(meeting)
        withheld += list(meeting.childrens_places)
    if recipient.is_external:
        withheld += [name for name in meeting.children if len(name.split()) > 1]
    for other in _others(meeting, index):
        if other.id == recipient.id:
            continue
        if _contact_withheld(recipient, other):
            withheld += [value for value in (other.email, other.phone, other.address) if value]
        if recipient.is_external and Role.CHILD in other.roles and len(other.name.split()) > 1:
            withheld.append(other.name)
    unique: dict[str, None] = {}
    for value in withheld:
        if value.strip():
            unique.setdefault(value, None)
    # The protected places' facts are the same for every meeting: searched for as one.
    shared = meeting.sensitive_terms if not _entitled_to_sensitive(recipient) else ()
    return protected.Facts(unique, shared=shared)


def _childrens_place_texts(meeting: Meeting) -> list[str]:
    """The meeting's places (the whole meeting's and each part's) that are a shielded
    family's children's school or day care, as written."""
    return [location.text for location in (meeting.location,
                                           *(meeting.location_of(p) for p in meeting.parts))
            if location.childrens_place]


def _clean_text(text: str, recipient: Person, index: Mapping[str, Person], meeting: Meeting) -> str:
    text = remove_cpr(text)
    if not _entitled_to_sensitive(recipient):
        for location in (meeting.location, *(meeting.location_of(p) for p in meeting.parts)):
            if location.sensitive:
                text = _replace_loose(text, location.text, NEUTRAL_LOCATION)
        text = protected.replace_each(text, meeting.sensitive_terms, NEUTRAL_LOCATION)
    if not recipient.sees_childrens_places:
        for place in _childrens_place_texts(meeting):
            text = _replace_loose(text, place, NEUTRAL_LOCATION)
        text = protected.replace_each(text, meeting.childrens_places, NEUTRAL_LOCATION)
    if recipient.is_external:  # the longest first: "Emma Marie Hansen" before "Emma Hansen"
        for name in sorted(meeting.children, key=len, reverse=True):
            text = _replace_loose(text, name, child_display_name(name))
    for other in _others(meeting, index):
        if other.id == recipient.id:
            continue
        if recipient.is_external and Role.CHILD in other.roles:
            text = _replace_loose(text, other.name, child_display_name(other.name))
        if _contact_withheld(recipient, other):
            for value in (other.email, other.phone, other.address):
                if value:
                    text = _replace_loose(text, value, HIDDEN)
    return text


def redact_for_recipient(
    meeting: Meeting, recipient: Person, people: Mapping[str, Person] | Iterable[Person]
) -> RecipientView:
    """Decide what ONE recipient may see of a meeting: the single redaction step.

    Returns the title, description, location, the recipient's own parts and the other
    attendees exactly as they may be shown to this recipient, plus the strings that must
    never appear in anything sent to them (for ``scan_for_leaks``). Raises
    ``SafetyError`` if the recipient is not invited to any part.
    """
    index = _index(people)
    index.setdefault(recipient.id, recipient)
    own_parts = [part for part in meeting.parts if recipient.id in part.participant_ids]
    if not own_parts:
        raise SafetyError("Modtageren er ikke inviteret til nogen del af mødet.")
    withheld = _withheld(meeting, recipient, index)

    part_views = []
    for part in own_parts:
        shown = is_entitled_to_location(recipient, meeting, part.key)
        text = meeting.location_of(part).text if shown else NEUTRAL_LOCATION
        if shown and scan_for_leaks(text, withheld):  # a place that names what is withheld
            text, shown = NEUTRAL_LOCATION, False
        part_views.append(PartView(part.key, part.label, text, shown))
    texts = {view.location_text for view in part_views}
    location_text = texts.pop() if len(texts) == 1 else SEVERAL_LOCATIONS
    location_shown = all(view.location_shown for view in part_views)

    if recipient.is_hostile:
        kind = KINDS.get(meeting.kind)
        title = kind.label if kind else "Møde"
        description = NEUTRAL_DESCRIPTION
        attendees: tuple[VisibleAttendee, ...] = ()
        agenda: tuple[tuple[str, str], ...] = ()
    else:
        shown_title = meeting.partner_title if recipient.is_external and meeting.partner_title \
            else meeting.title
        title = _clean_text(shown_title, recipient, index, meeting)
        description = _clean_text(meeting.description, recipient, index, meeting)
        attendees = _visible_attendees(meeting, recipient, index, own_parts, withheld)
        own_keys = {part.key for part in own_parts}
        agenda = tuple((key, _clean_text(text, recipient, index, meeting))
                       for key, text in meeting.agenda if not key or key in own_keys)

    return RecipientView(
        recipient_id=recipient.id,
        title=title,
        description=description,
        location_text=location_text,
        location_shown=location_shown,
        parts=tuple(part_views),
        attendees=attendees,
        protected_strings=withheld,
        agenda=agenda,
    )


def _visible_attendees(
    meeting: Meeting,
    recipient: Person,
    index: Mapping[str, Person],
    own_parts: list[MeetingPart],
    withheld: protected.Facts,
) -> tuple[VisibleAttendee, ...]:
    own_keys = [part.key for part in own_parts]
    result = []
    for pid in meeting.participant_ids:
        other = index.get(pid)
        if other is None or pid == recipient.id:
            continue
        shared = tuple(part.key for part in own_parts if pid in part.participant_ids)
        if not shared:
            continue
        name = child_display_name(other.name) if recipient.is_external and Role.CHILD in other.roles else other.name
        name = protected.replace(name, withheld, HIDDEN)  # a typed name that names a place
        contact = not _contact_withheld(recipient, other)

        def safe(value: str | None) -> str | None:
            return value if value and not scan_for_leaks(value, withheld) else None

        result.append(
            VisibleAttendee(
                person_id=pid,
                name=name,
                organisation=safe(other.organisation) if other.is_professional else None,
                email=safe(other.email) if contact else None,
                phone=safe(other.phone) if contact else None,
                part_keys=tuple(key for key in own_keys if key in shared),
                role=role_label(other),
            )
        )
    return tuple(result)


# --------------------------------------------------------------------------- leak scanning


def scan_for_leaks(text: str, protected_strings: Iterable[str]) -> list[str]:
    """The protected strings that occur in an outgoing artefact (empty list: safe to send).

    Every spelling counts (``protected.find``): case, diacritics, punctuation and spacing;
    an address by its street; a phone number in any grouping, with or without +45; an
    organisation's domain; a name's inflected forms; and all of it again after iCalendar
    unfolding and unescaping, so nothing slips through an .ics file's line folding.
    """
    return protected.find(text, protected_strings)
