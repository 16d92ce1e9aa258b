"""Property tests for network/graph.py (ical.py and planner.py have theirs in their own
test modules: ``tests/invites/test_ical.py::test_fuzz_text_round_trips_and_never_adds_a_property``
and ``tests/meetings/test_planner.py::test_fuzz_slots_never_overlap_busy_holidays_or_leave_working_hours``).

Random networks (people with random roles and safety flags, organisations, relations of
every type, keep-apart pairs): the analyses never invent a person, never suggest inviting
someone twice, and a person who used violence is never suggested without a warning.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.network.graph import (
    MEETING_KINDS, KeepApart, NetworkSnapshot, Organisation, Person, Relation,
    coordination_gaps, invite_suggestions, private_network_strength, who_does_what,
)
from coordinator.network.vocab import RELATION_TYPES, NodeKind, PersonRole, Sector

PERSON_RELATIONS = [k for k, v in RELATION_TYPES.items() if v.target_kind is NodeKind.PERSON]


@st.composite
def networks(draw) -> NetworkSnapshot:
    """A random but well-formed network snapshot."""
    org_ids = list(range(100, 100 + draw(st.integers(0, 3))))
    organisations = [Organisation(i, f"Org {i}", sector=draw(st.sampled_from(list(Sector))))
                     for i in org_ids]
    count = draw(st.integers(1, 14))
    people = []
    for pid in range(1, count + 1):
        role = draw(st.sampled_from(list(PersonRole)))
        professional = role is PersonRole.PROFESSIONAL
        people.append(Person(
            pid, f"Person {pid}", is_professional=professional,
            sector=draw(st.one_of(st.none(), st.sampled_from(list(Sector)))),
            organisation_id=draw(st.one_of(st.none(), st.sampled_from(org_ids)))
            if org_ids else None,
            role=role, is_child=role is PersonRole.CHILD,
            protected_address=draw(st.booleans()), used_violence=draw(st.booleans()),
            contact_only_via_worker=draw(st.booleans()),
            has_email=draw(st.booleans()), has_phone=draw(st.booleans())))
    ids = [p.id for p in people]
    relations = []
    for rid in range(draw(st.integers(0, 20))):
        source = draw(st.sampled_from(ids))
        if org_ids and draw(st.integers(0, 5)) == 0:
            relations.append(Relation(rid, source, draw(st.sampled_from(org_ids)), "works_at"))
        else:
            relations.append(Relation(rid, source, draw(st.sampled_from(ids)),
                                      draw(st.sampled_from(PERSON_RELATIONS))))
    pairs = [KeepApart(a, b, "Vold") for a, b in draw(st.lists(
        st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda t: t[0] != t[1]),
        max_size=3))]
    return NetworkSnapshot(tuple(people), tuple(organisations), tuple(relations), tuple(pairs))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=networks(), kind=st.sampled_from(MEETING_KINDS))
def test_fuzz_graph_suggestions_and_gaps_only_name_existing_people(snapshot, kind):
    known = {p.id for p in snapshot.people}
    by_id = {p.id: p for p in snapshot.people}
    suggestions = invite_suggestions(snapshot, kind)
    suggested = [s.person_id for s in suggestions]
    assert set(suggested) <= known
    assert len(suggested) == len(set(suggested)), "someone suggested twice"
    for suggestion in suggestions:
        assert 0 <= suggestion.score <= 100
        if by_id[suggestion.person_id].used_violence:
            assert suggestion.warning_da, "violence suggested without a warning"
    for gap in coordination_gaps(snapshot):
        assert set(gap.person_ids) <= known
        assert gap.child_id is None or gap.child_id in known
        assert gap.message_da
    children = {p.id for p in snapshot.people if p.is_child}
    for overview in who_does_what(snapshot):
        assert overview.child_id in children
    for strength in private_network_strength(snapshot):
        assert strength.child_id in children
        assert strength.supporter_count >= 0 and strength.label_da
