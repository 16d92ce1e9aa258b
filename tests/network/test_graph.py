
import pickle
from dataclasses import replace

import pytest

from coordinator.network.graph import (
    IMPORTANCE,
    MEETING_KINDS,
    Gap,
    GapKind,
    KeepApart,
    NetworkSnapshot,
    Organisation,
    Person,
    Relation,
    coordination_gaps,
    effective_sector,
    group_gaps,
    invite_suggestions,
    private_network_strength,
    strength_label_da,
    who_does_what,
)
from coordinator.network.vocab import NodeKind, Sector, UnknownRelationType

EMMA, IDA, KIM = 1, 2, 3
LISE, SARA, MONA, KARL = 10, 11, 12, 13
BENTE, NINA, FINN = 20, 21, 22
SCHOOL, AUTHORITY, HEALTH, MODTAGELSEN = 100, 101, 102, 103

ORGS = (
    Organisation(SCHOOL, "Vestervangskolen", "school"),
    Organisation(AUTHORITY, "Myndighedscentret", "authority"),
    Organisation(HEALTH, "Sundhedsplejen", "health_visiting"),
    Organisation(MODTAGELSEN, "Modtagelsen", "family_department"),
)


def people(overrides=None):
    base = {
        EMMA: Person(EMMA, "Emma", is_child=True, role="child"),
        IDA: Person(IDA, "Ida", role="mother", protected_address=True),
        KIM: Person(KIM, "Kim", role="father", used_violence=True),
        LISE: Person(LISE, "Lise Lærer", is_professional=True, organisation_id=SCHOOL),
        SARA: Person(SARA, "Sara Rådgiver", is_professional=True, organisation_id=AUTHORITY),
        MONA: Person(MONA, "Mona Pleje", is_professional=True, organisation_id=HEALTH),
        KARL: Person(KARL, "Karl Kontakt", is_professional=True, organisation_id=MODTAGELSEN),
        BENTE: Person(BENTE, "Bente", role="relative"),
        NINA: Person(NINA, "Nina", role="private_network", contact_only_via_worker=True),
        FINN: Person(FINN, "Finn", role="private_network"),
    }
    base.update(overrides or {})
    return tuple(p for p in base.values() if p is not None)


BASE_RELATIONS = (
    Relation(1, IDA, EMMA, "mother_of"),
    Relation(2, KIM, EMMA, "father_of"),
    Relation(3, LISE, EMMA, "teacher_of", note="Ekstra støtte i dansk"),
    Relation(4, SARA, IDA, "social_worker_for", note="§ 50-undersøgelse"),
    Relation(5, MONA, EMMA, "health_visitor_for"),
    Relation(6, KARL, KIM, "contact_person_for", note="BIC-rådgivning"),
    Relation(7, BENTE, EMMA, "grandmother_of", note="Henter Emma i skole"),
    Relation(8, NINA, IDA, "neighbour_of"),
    Relation(9, FINN, KIM, "friend_of"),
)


def snapshot(relations=(), keep_apart=(), drop=(), person_overrides=None, base=BASE_RELATIONS):
    rels = tuple(r for r in base if r.id not in drop) + tuple(relations)
    return NetworkSnapshot(people(person_overrides), ORGS, rels, keep_apart)


def gaps_of(kind, snap):
    return [g for g in coordination_gaps(snap) if g.kind is kind]


# --------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: NetworkSnapshot((Person(1, "A"), Person(1, "B"))), "Duplicate person id 1"),
        (lambda: NetworkSnapshot((Person(1, "A", organisation_id=9),)), "unknown organisation 9"),
        (
            lambda: NetworkSnapshot((Person(1, "A"),), (), (Relation(1, 1, 2, "friend_of"),)),
            "unknown person 2",
        ),
        (
            lambda: NetworkSnapshot((Person(1, "A"),), (), (Relation(1, 1, 5, "works_at"),)),
            "unknown organisation 5",
        ),
        (lambda: NetworkSnapshot((Person(1, "A"),), (), (), (KeepApart(1, 2),)), "unknown person"),
    ],
)
def test_snapshot_rejects_dangling_references(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_snapshot_hashes_as_its_fields_and_equal_snapshots_alike():
    """Snapshots are cache keys: equal ones must hash alike, whatever was asked first, and
    the hash kept must be the one of the fields (a changed network is a new snapshot)."""
    def snapshot(name="Emma", reason=""):
        return NetworkSnapshot(
            (Person(EMMA, name, is_child=True), Person(IDA, "Ida"), Person(LISE, "Lise", organisation_id=SCHOOL)),
            (ORGS[0],), (Relation(1, IDA, EMMA, "parent_of"), Relation(2, LISE, SCHOOL, "works_at")),
            (KeepApart(IDA, LISE, reason),))

    first, second = snapshot(), snapshot()
    assert first == second and first is not second
    assert hash(first) == hash(second) == hash((first.people, first.organisations, first.relations,
                                                first.keep_apart))
    assert hash(first) == hash(first)  # kept, and the same
    assert {first: "kept"}[second] == "kept"
    for changed in (snapshot(name="Emma B"), snapshot(reason="vold"),
                    replace(first, keep_apart=()), pickle.loads(pickle.dumps(snapshot(reason="x")))):
        assert changed != first
        assert hash(changed) == hash((changed.people, changed.organisations, changed.relations,
                                      changed.keep_apart))
        assert changed not in {first: "kept"}
    again = pickle.loads(pickle.dumps(first))
    assert again == first and again._hash is None  # worked out afresh where it is read back


def test_relation_kinds_given_as_values_are_read_as_kinds():
    relation = Relation(1, IDA, SCHOOL, "works_at", source_kind="person", target_kind="organisation")
    assert relation.source_kind is NodeKind.PERSON and relation.target_kind is NodeKind.ORGANISATION
    assert Relation(2, IDA, EMMA, "parent_of").target_kind is NodeKind.PERSON


def test_relation_rejects_unknown_type():
    with pytest.raises(UnknownRelationType):
        Relation(1, 1, 2, "cousin_of")


@pytest.mark.parametrize(
    ("person", "sector"),
    [
        (Person(1, "A", is_professional=True, organisation_id=SCHOOL), Sector.SCHOOL_DAYCARE),
        (Person(1, "A", is_professional=True, sector="health"), Sector.HEALTH),
        (Person(1, "A", is_professional=True), Sector.OTHER),
        (Person(1, "A", is_child=True), Sector.FAMILY),
        (Person(1, "A", role="relative"), Sector.FAMILY),
        (Person(1, "A"), Sector.PRIVATE_NETWORK),
    ],
)
def test_effective_sector(person, sector):
    snap = NetworkSnapshot((person,), ORGS)
    assert effective_sector(snap, person) is sector


# ------------------------------------------------------------------- who does what


def test_who_does_what_lists_professionals_and_supporters():
    [overview] = who_does_what(snapshot())
    assert overview.child_id == EMMA
    pros = {i.person_id: i for i in overview.professionals}
    # Ordered by sector (school, health, social services), then name.
    assert [i.person_id for i in overview.professionals] == [LISE, MONA, KARL, SARA]
    assert pros[LISE].organisation_name == "Vestervangskolen"
    assert pros[LISE].relation_label_da == "lærer for Emma"
    assert pros[LISE].note == "Ekstra støtte i dansk"
    assert pros[LISE].sector_label_da == "Skole og dagtilbud"
    # Via a caregiver: the mother's social worker, the father's contact person.
    assert pros[SARA].relation_label_da == "socialrådgiver for Ida"
    assert pros[KARL].relation_label_da == "kontaktperson for Kim"
    supporters = {i.person_id: i for i in overview.private_supporters}
    # Kim's friend is not counted: support via a caregiver who used violence does not count.
    assert set(supporters) == {BENTE, NINA}
    assert supporters[BENTE].relation_label_da == "bedstemor til Emma"
    assert supporters[BENTE].note == "Henter Emma i skole"
    assert supporters[NINA].relation_label_da == "nabo til Ida"


def test_who_does_what_excludes_a_supporter_who_used_violence():
    snap = snapshot(person_overrides={BENTE: Person(BENTE, "Bente", used_violence=True)})
    [overview] = who_does_what(snap)
    assert BENTE not in {i.person_id for i in overview.private_supporters}


def test_caregivers_fall_back_to_roles_when_no_parent_relation():
    snap = snapshot(drop={1, 2})
    [overview] = who_does_what(snap)
    assert SARA in {i.person_id for i in overview.professionals}
    assert NINA in {i.person_id for i in overview.private_supporters}


def test_reverse_relation_label_reads_naturally():
    snap = snapshot(relations=[Relation(50, IDA, FINN, "supports")])
    [overview] = who_does_what(snap)
    finn = next(i for i in overview.private_supporters if i.person_id == FINN)
    assert finn.relation_label_da == "Ida støtter Finn"


# -------------------------------------------------------------------------- gaps


def test_gap_no_coordinator_with_several_sectors():
    [gap] = gaps_of(GapKind.NO_COORDINATOR, snapshot())
    assert gap.child_id == EMMA
    assert set(gap.person_ids) == {LISE, SARA, MONA, KARL}
    assert "tovholder" in gap.message_da and "Emma" in gap.message_da


def test_no_coordinator_gap_when_someone_is_tovholder():
    snap = snapshot(relations=[Relation(50, SARA, EMMA, "coordinator_for")])
    assert gaps_of(GapKind.NO_COORDINATOR, snap) == []


def test_coordinator_for_another_person_does_not_count():
    snap = snapshot(relations=[Relation(50, SARA, IDA, "coordinator_for")])
    assert len(gaps_of(GapKind.NO_COORDINATOR, snap)) == 1


def test_no_coordinator_gap_with_one_sector():
    snap = snapshot(drop={4, 5, 6})  # only the teacher is left
    assert gaps_of(GapKind.NO_COORDINATOR, snap) == []


def test_two_professionals_same_sector_need_no_coordinator():
    extra = Person(14, "Lars Lærer", is_professional=True, organisation_id=SCHOOL)
    snap = snapshot(
        drop={4, 5, 6},
        relations=[Relation(50, 14, EMMA, "teacher_of")],
        person_overrides={14: extra},
    )
    assert gaps_of(GapKind.NO_COORDINATOR, snap) == []


def only_lise_and_mona(relations=(), overrides=None):
    return snapshot(drop={4, 6}, relations=relations, person_overrides=overrides)


def test_gap_no_known_contact():
    """Two professionals in one sector: no tovholder is asked for, but they act on Emma
    without knowing each other."""
    [gap] = gaps_of(GapKind.NO_KNOWN_CONTACT, same_sector_pair())
    assert gap.child_id == EMMA
    assert gap.person_ids == (LARS, LISE)
    assert gap.message_da == (
        "Lars Lærer og Lise Lærer arbejder begge med Emma, men har ingen kendt kontakt med "
        "hinanden."
    )
    assert gaps_of(GapKind.NO_COORDINATOR, same_sector_pair()) == []


LARS = 14


def same_sector_pair(relations=()):
    """Lise and Lars teach Emma at two schools (one sector); nobody else acts on her."""
    other_school = Organisation(104, "Østre Skole", "school")
    lars = Person(LARS, "Lars Lærer", is_professional=True, organisation_id=104)
    return NetworkSnapshot(people({LARS: lars}), (*ORGS, other_school),
                           tuple(r for r in BASE_RELATIONS if r.id not in {4, 5, 6})
                           + (Relation(50, LARS, EMMA, "teacher_of"), *relations))


def test_no_tovholder_is_said_once_with_the_professionals_without_contact():
    """Lise (school) and Mona (health) act on Emma: the missing tovholder is the finding,
    and it names them; there is no second finding per pair."""
    gaps = coordination_gaps(only_lise_and_mona())
    [gap] = [g for g in gaps if g.kind is not GapKind.VIOLENCE_WITHOUT_KEEP_APART]
    assert gap.kind is GapKind.NO_COORDINATOR
    assert gap.message_da == (
        "Emma har fagpersoner fra 2 sektorer (skole og dagtilbud, sundhed), men ingen er "
        "udpeget som tovholder. Lise Lærer og Mona Pleje arbejder begge med Emma, men har "
        "ingen kendt kontakt med hinanden.")


def test_many_professionals_without_contact_are_one_finding():
    """Five professionals act on Emma without knowing each other: ten pairs, one finding
    naming the five."""
    extra = {pid: Person(pid, name, is_professional=True, sector="health")
             for pid, name in ((30, "Pia Psykolog"), (31, "Bo Behandler"), (32, "Dorte Dag"))}
    relations = [Relation(60 + n, pid, EMMA, "other") for n, pid in enumerate(extra)]
    snap = snapshot(drop={4, 6}, relations=relations, person_overrides=extra)
    [lead] = gaps_of(GapKind.NO_COORDINATOR, snap)
    assert gaps_of(GapKind.NO_KNOWN_CONTACT, snap) == []
    assert lead.message_da.endswith(
        "Bo Behandler, Dorte Dag, Lise Lærer, Mona Pleje og Pia Psykolog arbejder med Emma, "
        "men har ikke alle kendt kontakt med hinanden.")


@pytest.mark.parametrize(
    ("relations", "overrides"),
    [
        ([Relation(50, LISE, MONA, "knows")], None),
        ([Relation(50, MONA, LISE, "knows")], None),
        ([Relation(50, LISE, MONA, "other")], None),
        ([Relation(50, MONA, HEALTH, "works_at"), Relation(51, LISE, HEALTH, "works_at")], None),
        ([Relation(50, LISE, HEALTH, "knows", target_kind="organisation")], None),
        ([], {MONA: Person(MONA, "Mona Pleje", is_professional=True, organisation_id=SCHOOL)}),
    ],
    ids=["knows", "knows-reverse", "any-edge", "both-work-at", "knows-org", "same-employer"],
)
def test_known_contact_closes_the_gap(relations, overrides):
    gaps = coordination_gaps(only_lise_and_mona(relations, overrides))
    assert gaps_of(GapKind.NO_KNOWN_CONTACT, only_lise_and_mona(relations, overrides)) == []
    assert all("kendt kontakt" not in g.message_da for g in gaps)


def test_no_known_contact_is_reported_once_for_siblings():
    jonas = Person(4, "Jonas", is_child=True)
    base = same_sector_pair()
    snap = NetworkSnapshot(base.people + (jonas,), base.organisations, base.relations + (
        Relation(51, IDA, 4, "mother_of"), Relation(52, LISE, 4, "teacher_of"),
        Relation(53, LARS, 4, "teacher_of")))
    [gap] = gaps_of(GapKind.NO_KNOWN_CONTACT, snap)
    assert gap.child_id == EMMA
    assert "Emma og Jonas" in gap.message_da


def test_no_tovholder_is_said_once_for_siblings():
    jonas = Person(4, "Jonas", is_child=True)
    snap = snapshot(person_overrides={4: jonas}, relations=[
        Relation(50, IDA, 4, "mother_of"), Relation(51, LISE, 4, "teacher_of"),
        Relation(52, MONA, 4, "health_visitor_for")])
    [gap] = gaps_of(GapKind.NO_COORDINATOR, snap)
    assert gap.message_da.startswith("Emma og Jonas har fagpersoner fra")
    assert gaps_of(GapKind.NO_KNOWN_CONTACT, snap) == []


def test_gap_violence_without_keep_apart_through_the_child():
    [gap] = gaps_of(GapKind.VIOLENCE_WITHOUT_KEEP_APART, snapshot())
    assert gap.person_ids == (IDA, KIM)
    assert gap.child_id == EMMA
    assert "beskyttet adresse" in gap.message_da and "via Emma" in gap.message_da


def test_keep_apart_closes_the_safety_gap():
    snap = snapshot(keep_apart=[KeepApart(KIM, IDA, "Voldsudøver")])
    assert gaps_of(GapKind.VIOLENCE_WITHOUT_KEEP_APART, snap) == []


@pytest.mark.parametrize(
    ("drop", "relations", "expected"),
    [
        # Direct edge of any type, even without the child.
        ({1, 2}, [Relation(50, KIM, IDA, "other")], 1),
        # Two family ties through a relative.
        (
            {1, 2},
            [Relation(50, BENTE, IDA, "parent_of"), Relation(51, BENTE, KIM, "aunt_uncle_of")],
            1,
        ),
        # Two steps, but one of them is a private tie: not this rule.
        ({1, 2}, [Relation(50, NINA, IDA, "sibling_of"), Relation(51, NINA, KIM, "friend_of")], 0),
        # Three family steps: too far.
        (
            {2},
            [
                Relation(50, BENTE, KIM, "parent_of"),
                Relation(51, BENTE, 30, "parent_of"),
                Relation(52, 30, 31, "sibling_of"),
            ],
            0,
        ),
        # No link at all.
        ({1, 2}, [], 0),
    ],
    ids=["direct", "via-relative", "private-tie", "too-far", "unlinked"],
)
def test_violence_rule_paths(drop, relations, expected):
    extra = {30: Person(30, "Onkel"), 31: Person(31, "Fætter")}
    snap = snapshot(drop=drop, relations=relations, person_overrides=extra)
    gaps = gaps_of(GapKind.VIOLENCE_WITHOUT_KEEP_APART, snap)
    assert len(gaps) == expected
    if expected:
        assert gaps[0].person_ids == (IDA, KIM)


def test_violence_rule_ignores_a_person_who_is_both():
    both = Person(IDA, "Ida", role="mother", protected_address=True, used_violence=True)
    snap = snapshot(person_overrides={IDA: both, KIM: Person(KIM, "Kim", role="father")})
    assert gaps_of(GapKind.VIOLENCE_WITHOUT_KEEP_APART, snap) == []


def test_gaps_come_most_important_first():
    snap = snapshot(drop={4, 6})  # Lise and Mona act on Emma; no tovholder; Kim and Ida
    kinds = [g.kind for g in coordination_gaps(snap)]
    assert kinds == [GapKind.VIOLENCE_WITHOUT_KEEP_APART, GapKind.NO_COORDINATOR]
    lars_and_lise = [g.kind for g in coordination_gaps(same_sector_pair())]
    assert lars_and_lise == [GapKind.VIOLENCE_WITHOUT_KEEP_APART, GapKind.NO_KNOWN_CONTACT]


def test_a_tovholder_is_the_contact_between_professionals():
    snap = only_lise_and_mona([Relation(50, LISE, EMMA, "coordinator_for")])
    assert gaps_of(GapKind.NO_KNOWN_CONTACT, snap) == []
    assert gaps_of(GapKind.NO_COORDINATOR, snap) == []
    snap = same_sector_pair([Relation(51, LISE, EMMA, "coordinator_for")])
    assert gaps_of(GapKind.NO_KNOWN_CONTACT, snap) == []


def test_no_contact_is_only_reported_for_professionals_acting_on_the_child():
    """Sara works with the mother and Karl with the father: neither acts on Emma herself,
    so their lack of contact with the teacher is not a finding; the teacher and the
    health visitor both act on Emma and have no known contact: that is."""
    [gap] = gaps_of(GapKind.NO_COORDINATOR, snapshot())
    assert gap.message_da.endswith(
        "Lise Lærer og Mona Pleje arbejder begge med Emma, men har ingen kendt kontakt med "
        "hinanden.")


def test_groups_fold_beyond_the_top_few_but_never_safety():
    def gap(kind, n):
        return Gap(kind, None, (n,), f"{kind.value} {n}")

    gaps = ([gap(GapKind.NO_KNOWN_CONTACT, n) for n in range(5)]
            + [gap(GapKind.VIOLENCE_WITHOUT_KEEP_APART, n) for n in range(4)]
            + [gap(GapKind.NO_COORDINATOR, 1)])
    groups = group_gaps(gaps, shown=2)
    assert [g.kind for g in groups] == list(IMPORTANCE)
    safety, lead, contact = groups
    assert (len(safety.shown), len(safety.folded), safety.safety) == (4, 0, True)
    assert (len(lead.shown), len(lead.folded)) == (1, 0)
    assert [g.message_da for g in contact.shown] == ["no_known_contact 0", "no_known_contact 1"]
    assert (len(contact.folded), contact.count) == (3, 5)
    assert group_gaps([]) == []


# --------------------------------------------------------------- network strength


def strength_snapshot(n_supporters, n_described):
    ps = [Person(1, "Barn", is_child=True)]
    rels = []
    for i in range(n_supporters):
        ps.append(Person(100 + i, f"Støtte {i}"))
        note = "Hjælper med lektier" if i < n_described else "  "
        rels.append(Relation(i, 100 + i, 1, "supports", note=note))
    return NetworkSnapshot(ps, (), rels)


@pytest.mark.parametrize(
    ("supporters", "described", "score", "label"),
    [
        (0, 0, 0, "svagt"),
        (1, 1, 20, "svagt"),
        (2, 0, 24, "svagt"),
        (2, 2, 40, "moderat"),
        (3, 0, 36, "moderat"),
        (4, 3, 72, "stærkt"),
        (5, 5, 100, "stærkt"),
        (9, 9, 100, "stærkt"),
    ],
)
def test_private_network_strength(supporters, described, score, label):
    [strength] = private_network_strength(strength_snapshot(supporters, described))
    assert (strength.supporter_count, strength.described_count) == (supporters, described)
    assert (strength.score, strength.label_da) == (score, label)


@pytest.mark.parametrize(
    ("score", "label"), [(34, "svagt"), (35, "moderat"), (69, "moderat"), (70, "stærkt")]
)
def test_strength_label_thresholds(score, label):
    assert strength_label_da(score) == label


def test_strength_counts_the_base_family():
    [strength] = private_network_strength(snapshot())
    assert (strength.supporter_count, strength.described_count) == (2, 1)


# ------------------------------------------------------------- invite suggestions


def by_id(suggestions):
    return {s.person_id: s for s in suggestions}


def test_familieraadslagning_ranks_family_and_private_network_over_professionals():
    sugg = invite_suggestions(snapshot(), "familieraadslagning")
    order = [s.person_id for s in sugg]
    assert order[:3] == [IDA, KIM, EMMA]  # caregivers (by name), then the child
    assert order.index(BENTE) < order.index(SARA) < order.index(LISE)
    assert FINN not in order  # the violent father's friend is not the child's network
    s = by_id(sugg)
    assert s[BENTE].score > s[NINA].score  # a described help note ranks higher
    assert "Hjælper med: Henter Emma i skole" in s[BENTE].reason_da
    assert s[BENTE].part_keys == ("information", "private_time", "plan")
    assert s[LISE].part_keys == ("information",)
    assert "informatør" in s[LISE].reason_da
    assert s[SARA].part_keys == ("information", "plan")


def test_violence_and_protected_address_together_are_flagged():
    s = by_id(invite_suggestions(snapshot(), "familieraadslagning"))
    assert "udøvet vold" in s[KIM].warning_da and "Ida" in s[KIM].warning_da
    assert "beskyttet adresse" in s[IDA].warning_da and "Kim" in s[IDA].warning_da
    assert "se advarsel" in s[KIM].reason_da and "se advarsel" in s[IDA].reason_da
    assert s[BENTE].warning_da == ""


def test_keep_apart_pair_is_flagged_with_reason():
    snap = snapshot(keep_apart=[KeepApart(IDA, KIM, "Tilhold")])
    s = by_id(invite_suggestions(snap, "bic"))
    assert "Skal holdes adskilt fra Kim (Tilhold)." in s[IDA].warning_da
    assert "Skal holdes adskilt fra Ida (Tilhold)." in s[KIM].warning_da


def test_violent_person_alone_still_gets_a_warning():
    snap = snapshot(person_overrides={IDA: Person(IDA, "Ida", role="mother")})
    s = by_id(invite_suggestions(snap, "familieraadslagning"))
    assert "socialfaglig vurdering" in s[KIM].warning_da
    assert s[IDA].warning_da == ""


def test_contact_only_via_worker_is_never_direct():
    s = by_id(invite_suggestions(snapshot(), "netvaerksmoede"))
    assert s[NINA].contact_via_worker
    assert "Kontakt kun via sagsbehandler" in s[NINA].reason_da
    assert not s[BENTE].contact_via_worker


@pytest.mark.parametrize(
    ("has_email", "has_phone", "text"),
    [(False, True, "pr. telefon"), (False, False, "Hverken e-mail eller telefon")],
)
def test_missing_contact_details_are_mentioned(has_email, has_phone, text):
    bente = Person(BENTE, "Bente", role="relative", has_email=has_email, has_phone=has_phone)
    s = by_id(invite_suggestions(snapshot(person_overrides={BENTE: bente}), "netvaerksmoede"))
    assert text in s[BENTE].reason_da


def test_bic_centres_on_the_father_and_the_contact_person():
    sugg = invite_suggestions(snapshot(), "bic")
    assert [s.person_id for s in sugg[:2]] == [KIM, KARL]
    s = by_id(sugg)
    assert s[KIM].part_keys == ("father_talk", "parents_meeting")
    assert s[KARL].part_keys == ("father_talk", "parents_meeting")
    assert s[IDA].part_keys == ("parents_meeting",)
    assert EMMA not in s and BENTE not in s  # the private network is not part of BIC


def test_bic_offers_ppr_motivational_talks():
    ppr = Organisation(104, "PPR Randers", "ppr")
    pia = Person(15, "Pia Psykolog", is_professional=True, organisation_id=104)
    snap = NetworkSnapshot(
        people({15: pia}),
        ORGS + (ppr,),
        BASE_RELATIONS + (Relation(50, 15, EMMA, "psychologist_for"),),
    )
    s = by_id(invite_suggestions(snap, "bic"))
    assert s[15].part_keys == ("father_talk",)
    assert "motivationssamtaler" in s[15].reason_da


def test_statusmoede_puts_social_worker_and_tovholder_before_private_network():
    snap = snapshot(relations=[Relation(50, LISE, EMMA, "coordinator_for")])
    s = by_id(invite_suggestions(snap, "statusmoede"))
    assert s[SARA].score > s[MONA].score > s[BENTE].score
    assert s[LISE].score > s[MONA].score
    assert all(x.part_keys == ("meeting",) for x in s.values())


def test_equal_scores_are_ordered_by_name():
    sugg = invite_suggestions(snapshot(), "netvaerksmoede")
    keys = [(-s.score, s.name.casefold()) for s in sugg]
    assert keys == sorted(keys)
    assert invite_suggestions(snapshot(), "netvaerksmoede") == sugg


def test_child_ids_restrict_the_suggestions():
    jonas = Person(4, "Jonas", is_child=True)
    pia = Person(15, "Pia Pædagog", is_professional=True, sector="school_daycare")
    snap = snapshot(
        drop={1, 4},  # Ida is not the mother of either child in this variant
        person_overrides={4: jonas, 15: pia},
        relations=[Relation(50, pia.id, 4, "pedagogue_of")],
    )
    only_jonas = by_id(invite_suggestions(snap, "netvaerksmoede", child_ids=[4]))
    assert 15 in only_jonas and LISE not in only_jonas and EMMA not in only_jonas


@pytest.mark.parametrize("kind", MEETING_KINDS)
def test_every_meeting_kind_gives_scores_in_range(kind):
    for s in invite_suggestions(snapshot(), kind):
        assert 0 <= s.score <= 100 and s.part_keys and s.reason_da


def test_unknown_meeting_kind_and_child_are_rejected():
    with pytest.raises(ValueError, match="Unknown meeting kind"):
        invite_suggestions(snapshot(), "kaffemoede")
    with pytest.raises(ValueError, match="not a child"):
        invite_suggestions(snapshot(), "bic", child_ids=[IDA])


# ------------------------------------------------------------------- performance


def big_network(n):
    orgs = [
        Organisation(1000 + k, f"Org {k}", kind)
        for k, kind in enumerate(
            ["school", "day_care", "health_visiting", "authority", "crisis_centre", "ppr"]
        )
    ]
    ps = [
        Person(1, "Barn A", is_child=True),
        Person(2, "Barn B", is_child=True),
        Person(3, "Mor", role="mother", protected_address=True),
        Person(4, "Far", role="father", used_violence=True),
    ]
    rels = [
        Relation(1, 3, 1, "mother_of"),
        Relation(2, 3, 2, "mother_of"),
        Relation(3, 4, 1, "father_of"),
        Relation(4, 4, 2, "father_of"),
    ]
    types = [
        "teacher_of",
        "pedagogue_of",
        "health_visitor_for",
        "social_worker_for",
        "contact_person_for",
        "psychologist_for",
    ]
    for i in range(5, n + 1):
        if i % 2:
            ps.append(
                Person(i, f"Fagperson {i}", is_professional=True, organisation_id=1000 + i % 6)
            )
            rels.append(Relation(i, i, 1 + i % 3, types[i % 6]))
        else:
            ps.append(Person(i, f"Netværk {i}"))
            rels.append(Relation(i, i, 1 + i % 3, "supports", note="Hjælper"))
    return NetworkSnapshot(ps, orgs, rels)


@pytest.mark.parametrize(
    "func",
    [
        who_does_what,
        coordination_gaps,
        private_network_strength,
        lambda s: invite_suggestions(s, "familieraadslagning"),
    ],
)
def test_sixty_people_are_analysed(func):
    """A large network gives answers (their speed is measured in bench/bench_network.py)."""
    assert func(big_network(64))
