import re

import pytest

from coordinator.network.vocab import (
    ORGANISATION_KINDS,
    RELATION_TYPES,
    NodeKind,
    OrganisationKind,
    PersonRole,
    Sector,
    Tie,
    UnknownRelationType,
    relation_type,
)

KEY = re.compile(r"^[a-z][a-z_]*$")


@pytest.mark.parametrize(
    ("sector", "label"),
    [
        (Sector.FAMILY, "Familie"),
        (Sector.PRIVATE_NETWORK, "Privat netværk"),
        (Sector.SCHOOL_DAYCARE, "Skole og dagtilbud"),
        (Sector.HEALTH, "Sundhed"),
        (Sector.SOCIAL_SERVICES, "Socialfaglig / kommune"),
        (Sector.CRISIS_CENTRE, "Krisecenter"),
        (Sector.OTHER, "Andet"),
    ],
)
def test_sector_labels(sector, label):
    assert sector.label_da == label
    assert KEY.match(sector.value)


@pytest.mark.parametrize(
    ("kind", "label", "sector"),
    [
        (OrganisationKind.HEALTH_VISITING, "Sundhedspleje", Sector.HEALTH),
        (OrganisationKind.SCHOOL, "Skole", Sector.SCHOOL_DAYCARE),
        (OrganisationKind.DAY_CARE, "Dagtilbud", Sector.SCHOOL_DAYCARE),
        (OrganisationKind.PPR, "PPR", Sector.SCHOOL_DAYCARE),
        (OrganisationKind.JOB_CENTRE, "Jobcenter", Sector.SOCIAL_SERVICES),
        (OrganisationKind.BENEFITS_OFFICE, "Ydelseskontor", Sector.SOCIAL_SERVICES),
        (
            OrganisationKind.FAMILY_DEPARTMENT,
            "Familieafdeling / Modtagelsen",
            Sector.SOCIAL_SERVICES,
        ),
        (OrganisationKind.AUTHORITY, "Myndighed", Sector.SOCIAL_SERVICES),
        (OrganisationKind.CRISIS_CENTRE, "Krisecenter", Sector.CRISIS_CENTRE),
        (OrganisationKind.RESIDENTIAL_CENTRE, "Døgncenter", Sector.SOCIAL_SERVICES),
        (OrganisationKind.VOLUNTARY, "Frivillig organisation", Sector.OTHER),
        (OrganisationKind.POLICE, "Politi", Sector.OTHER),
        (OrganisationKind.DOCTOR, "Læge", Sector.HEALTH),
        (OrganisationKind.PSYCHIATRY, "Psykiatri", Sector.HEALTH),
        (OrganisationKind.OTHER, "Andet", Sector.OTHER),
    ],
)
def test_organisation_kinds_have_label_and_default_sector(kind, label, sector):
    assert kind.label_da == label
    assert kind.default_sector is sector


def test_every_organisation_kind_is_described():
    assert set(ORGANISATION_KINDS) == set(OrganisationKind)
    assert OrganisationKind.YOUTH_GUIDANCE.label_da.startswith("UU")
    for kind in OrganisationKind:
        assert KEY.match(kind.value)


@pytest.mark.parametrize(
    ("key", "label", "tie", "target"),
    [
        ("mother_of", "mor til", Tie.FAMILY, NodeKind.PERSON),
        ("father_of", "far til", Tie.FAMILY, NodeKind.PERSON),
        ("parent_of", "forælder til", Tie.FAMILY, NodeKind.PERSON),
        ("sibling_of", "søskende til", Tie.FAMILY, NodeKind.PERSON),
        ("grandmother_of", "bedstemor til", Tie.FAMILY, NodeKind.PERSON),
        ("grandfather_of", "bedstefar til", Tie.FAMILY, NodeKind.PERSON),
        ("aunt_uncle_of", "moster/faster/onkel til", Tie.FAMILY, NodeKind.PERSON),
        ("friend_of", "ven af", Tie.PRIVATE, NodeKind.PERSON),
        ("neighbour_of", "nabo til", Tie.PRIVATE, NodeKind.PERSON),
        ("supports", "støtter", Tie.PRIVATE, NodeKind.PERSON),
        ("teacher_of", "lærer for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("pedagogue_of", "pædagog for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("social_worker_for", "socialrådgiver for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("health_visitor_for", "sundhedsplejerske for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("contact_person_for", "kontaktperson for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("psychologist_for", "psykolog for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("doctor_for", "læge for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("works_at", "arbejder i", Tie.PROFESSIONAL, NodeKind.ORGANISATION),
        ("coordinator_for", "tovholder for", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("knows", "kender / har kontakt med", Tie.PROFESSIONAL, NodeKind.PERSON),
        ("other", "anden relation til", Tie.PRIVATE, NodeKind.PERSON),
    ],
)
def test_relation_types(key, label, tie, target):
    rt = relation_type(key)
    assert (rt.key, rt.label_da, rt.tie, rt.target_kind) == (key, label, tie, target)
    assert rt.noun_da
    assert rt.is_professional == (tie is Tie.PROFESSIONAL)


def test_relation_keys_are_ascii_snake_case():
    for key in RELATION_TYPES:
        assert KEY.match(key), key


@pytest.mark.parametrize("key", ["sibling_of", "friend_of", "neighbour_of", "knows"])
def test_symmetric_relations(key):
    assert relation_type(key).symmetric


@pytest.mark.parametrize("key", ["mother_of", "supports", "teacher_of", "works_at"])
def test_directed_relations(key):
    assert not relation_type(key).symmetric


@pytest.mark.parametrize("key", ["cousin_of", "", "Mother_of", None, 3])
def test_unknown_relation_type_raises_clear_error(key):
    with pytest.raises(UnknownRelationType) as info:
        relation_type(key)
    assert repr(key) in str(info.value)
    assert "mother_of" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("role", "label"),
    [
        (PersonRole.CHILD, "Barn"),
        (PersonRole.MOTHER, "Mor"),
        (PersonRole.FATHER, "Far"),
        (PersonRole.OTHER_CAREGIVER, "Anden omsorgsperson"),
        (PersonRole.RELATIVE, "Slægtning"),
        (PersonRole.PRIVATE_NETWORK, "Privat netværk"),
        (PersonRole.PROFESSIONAL, "Fagperson"),
    ],
)
def test_person_roles(role, label):
    assert role.label_da == label
    assert KEY.match(role.value)
