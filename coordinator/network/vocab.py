"""Controlled vocabularies of the family network.

Every item has a stable English/ASCII key (what the database and the code store) and a
plain Danish label (what the users see). Keys never change once released; labels may.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Sector(StrEnum):
    """Where a node belongs in the family's world; also the ecomap's angular sectors."""

    FAMILY = "family"
    PRIVATE_NETWORK = "private_network"
    SCHOOL_DAYCARE = "school_daycare"
    HEALTH = "health"
    SOCIAL_SERVICES = "social_services"
    CRISIS_CENTRE = "crisis_centre"
    OTHER = "other"

    @property
    def label_da(self) -> str:
        """The Danish label shown to users."""
        return SECTOR_LABELS[self]


SECTOR_LABELS: dict[Sector, str] = {
    Sector.FAMILY: "Familie",
    Sector.PRIVATE_NETWORK: "Privat netværk",
    Sector.SCHOOL_DAYCARE: "Skole og dagtilbud",
    Sector.HEALTH: "Sundhed",
    Sector.SOCIAL_SERVICES: "Socialfaglig / kommune",
    Sector.CRISIS_CENTRE: "Krisecenter",
    Sector.OTHER: "Andet",
}

PRIVATE_SECTORS: frozenset[Sector] = frozenset({Sector.FAMILY, Sector.PRIVATE_NETWORK})


class OrganisationKind(StrEnum):
    """The kinds of organisation that work around a family."""

    HEALTH_VISITING = "health_visiting"
    SCHOOL = "school"
    DAY_CARE = "day_care"
    PPR = "ppr"
    JOB_CENTRE = "job_centre"
    BENEFITS_OFFICE = "benefits_office"
    FAMILY_DEPARTMENT = "family_department"
    AUTHORITY = "authority"
    CRISIS_CENTRE = "crisis_centre"
    RESIDENTIAL_CENTRE = "residential_centre"
    VOLUNTARY = "voluntary"
    POLICE = "police"
    DOCTOR = "doctor"
    PSYCHIATRY = "psychiatry"
    YOUTH_GUIDANCE = "youth_guidance"
    OTHER = "other"

    @property
    def label_da(self) -> str:
        """The Danish label shown to users."""
        return ORGANISATION_KINDS[self].label_da

    @property
    def default_sector(self) -> Sector:
        """The sector an organisation of this kind belongs to unless told otherwise."""
        return ORGANISATION_KINDS[self].default_sector


# Where children spend their days: a shielded family's children must not be found there
# (the father's side never reads them; ``meetings.safety``, *The children's places*).
CHILDRENS_PLACES: tuple[str, ...] = (OrganisationKind.SCHOOL.value, OrganisationKind.DAY_CARE.value)


def childrens_place_facts(organisation: Mapping[str, Any]) -> tuple[str, ...]:
    """What tells where a children's school or day care is: its name and its address, in
    every spelling when searched for (``meetings.protected``). Not its phone nor its e-mail
    domain: a school often shares the municipality's switchboard and domain with the
    socialrådgiver, whose contact the father's side does read."""
    return tuple(value.strip() for value in (organisation.get("name"), organisation.get("address"))
                 if value and value.strip())


@dataclass(frozen=True, slots=True)
class OrganisationKindInfo:
    """One organisation kind: its key, Danish label and default sector."""

    key: OrganisationKind
    label_da: str
    default_sector: Sector


ORGANISATION_KINDS: dict[OrganisationKind, OrganisationKindInfo] = {
    info.key: info
    for info in (
        OrganisationKindInfo(OrganisationKind.HEALTH_VISITING, "Sundhedspleje", Sector.HEALTH),
        OrganisationKindInfo(OrganisationKind.SCHOOL, "Skole", Sector.SCHOOL_DAYCARE),
        OrganisationKindInfo(OrganisationKind.DAY_CARE, "Dagtilbud", Sector.SCHOOL_DAYCARE),
        OrganisationKindInfo(OrganisationKind.PPR, "PPR", Sector.SCHOOL_DAYCARE),
        OrganisationKindInfo(OrganisationKind.JOB_CENTRE, "Jobcenter", Sector.SOCIAL_SERVICES),
        OrganisationKindInfo(
            OrganisationKind.BENEFITS_OFFICE, "Ydelseskontor", Sector.SOCIAL_SERVICES
        ),
        OrganisationKindInfo(
            OrganisationKind.FAMILY_DEPARTMENT,
            "Familieafdeling / Modtagelsen",
            Sector.SOCIAL_SERVICES,
        ),
        OrganisationKindInfo(OrganisationKind.AUTHORITY, "Myndighed", Sector.SOCIAL_SERVICES),
        OrganisationKindInfo(OrganisationKind.CRISIS_CENTRE, "Krisecenter", Sector.CRISIS_CENTRE),
        OrganisationKindInfo(
            OrganisationKind.RESIDENTIAL_CENTRE, "Døgncenter", Sector.SOCIAL_SERVICES
        ),
        OrganisationKindInfo(OrganisationKind.VOLUNTARY, "Frivillig organisation", Sector.OTHER),
        OrganisationKindInfo(OrganisationKind.POLICE, "Politi", Sector.OTHER),
        OrganisationKindInfo(OrganisationKind.DOCTOR, "Læge", Sector.HEALTH),
        OrganisationKindInfo(OrganisationKind.PSYCHIATRY, "Psykiatri", Sector.HEALTH),
        OrganisationKindInfo(
            OrganisationKind.YOUTH_GUIDANCE,
            "UU (Ungdommens Uddannelsesvejledning)",
            Sector.SCHOOL_DAYCARE,
        ),
        OrganisationKindInfo(OrganisationKind.OTHER, "Andet", Sector.OTHER),
    )
}


class Tie(StrEnum):
    """What kind of bond a relation expresses."""

    FAMILY = "family"
    PRIVATE = "private"
    PROFESSIONAL = "professional"

    @property
    def label_da(self) -> str:
        """The Danish label shown to users."""
        return {"family": "familie", "private": "privat", "professional": "faglig"}[self.value]


class NodeKind(StrEnum):
    """What sits at the end of a relation: a person or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


@dataclass(frozen=True, slots=True)
class RelationType:
    """A typed, directed edge: "<source> <label_da> <target>", e.g. "Anna mor til Ida".

    `noun_da` names the source's role in one word ("mor", "lærer") for compact labels;
    `symmetric` says the relation reads the same both ways (søskende, ven, kender).
    """

    key: str
    label_da: str
    noun_da: str
    tie: Tie
    target_kind: NodeKind = NodeKind.PERSON
    symmetric: bool = False

    @property
    def is_professional(self) -> bool:
        """True for ties that professionals have to the family or to each other."""
        return self.tie is Tie.PROFESSIONAL


def _rt(key: str, label: str, noun: str, tie: Tie, **kw: object) -> RelationType:
    return RelationType(key, label, noun, tie, **kw)  # type: ignore[arg-type]


RELATION_TYPES: dict[str, RelationType] = {
    rt.key: rt
    for rt in (
        _rt("mother_of", "mor til", "mor", Tie.FAMILY),
        _rt("father_of", "far til", "far", Tie.FAMILY),
        _rt("parent_of", "forælder til", "forælder", Tie.FAMILY),
        _rt("sibling_of", "søskende til", "søskende", Tie.FAMILY, symmetric=True),
        _rt("grandmother_of", "bedstemor til", "bedstemor", Tie.FAMILY),
        _rt("grandfather_of", "bedstefar til", "bedstefar", Tie.FAMILY),
        _rt("aunt_uncle_of", "moster/faster/onkel til", "moster/faster/onkel", Tie.FAMILY),
        _rt("friend_of", "ven af", "ven", Tie.PRIVATE, symmetric=True),
        _rt("neighbour_of", "nabo til", "nabo", Tie.PRIVATE, symmetric=True),
        _rt("supports", "støtter", "støtteperson", Tie.PRIVATE),
        _rt("teacher_of", "lærer for", "lærer", Tie.PROFESSIONAL),
        _rt("pedagogue_of", "pædagog for", "pædagog", Tie.PROFESSIONAL),
        _rt("social_worker_for", "socialrådgiver for", "socialrådgiver", Tie.PROFESSIONAL),
        _rt(
            "health_visitor_for",
            "sundhedsplejerske for",
            "sundhedsplejerske",
            Tie.PROFESSIONAL,
        ),
        _rt("contact_person_for", "kontaktperson for", "kontaktperson", Tie.PROFESSIONAL),
        _rt("psychologist_for", "psykolog for", "psykolog", Tie.PROFESSIONAL),
        _rt("doctor_for", "læge for", "læge", Tie.PROFESSIONAL),
        _rt(
            "works_at",
            "arbejder i",
            "ansat",
            Tie.PROFESSIONAL,
            target_kind=NodeKind.ORGANISATION,
        ),
        _rt("coordinator_for", "tovholder for", "tovholder", Tie.PROFESSIONAL),
        _rt(
            "knows",
            "kender / har kontakt med",
            "kender",
            Tie.PROFESSIONAL,
            symmetric=True,
        ),
        _rt("other", "anden relation til", "anden relation", Tie.PRIVATE),
    )
}

PARENT_RELATIONS: frozenset[str] = frozenset({"mother_of", "father_of", "parent_of"})


class UnknownRelationType(ValueError):
    """Raised when a relation type key is not in the vocabulary."""


def relation_type(key: str) -> RelationType:
    """Look up a relation type by its key, so callers never guess at labels or ties.

    Raises `UnknownRelationType` (a `ValueError`) naming the key and the valid keys.
    """
    try:
        return RELATION_TYPES[key]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(RELATION_TYPES))
        raise UnknownRelationType(
            f"Unknown relation type {key!r}; valid keys are: {valid}"
        ) from None


class PersonRole(StrEnum):
    """A person's place in the family, as the worker records it."""

    CHILD = "child"
    MOTHER = "mother"
    FATHER = "father"
    OTHER_CAREGIVER = "other_caregiver"
    RELATIVE = "relative"
    PRIVATE_NETWORK = "private_network"
    PROFESSIONAL = "professional"

    @property
    def label_da(self) -> str:
        """The Danish label shown to users."""
        return PERSON_ROLE_LABELS[self]


PERSON_ROLE_LABELS: dict[PersonRole, str] = {
    PersonRole.CHILD: "Barn",
    PersonRole.MOTHER: "Mor",
    PersonRole.FATHER: "Far",
    PersonRole.OTHER_CAREGIVER: "Anden omsorgsperson",
    PersonRole.RELATIVE: "Slægtning",
    PersonRole.PRIVATE_NETWORK: "Privat netværk",
    PersonRole.PROFESSIONAL: "Fagperson",
}

CAREGIVER_ROLES: frozenset[PersonRole] = frozenset(
    {PersonRole.MOTHER, PersonRole.FATHER, PersonRole.OTHER_CAREGIVER}
)
FAMILY_ROLES: frozenset[PersonRole] = CAREGIVER_ROLES | {PersonRole.CHILD, PersonRole.RELATIVE}
