"""Pure rules over one family's network: overview, coordination gaps, invite suggestions.

Plain dataclasses in, plain dataclasses out. No database, no HTTP.

Words used throughout (precise, because the rules depend on them):

* A **child** is a person with ``is_child`` set (or role ``child``).
* The **caregivers** of a child are the people with a ``mother_of``/``father_of``/
  ``parent_of`` relation to the child. A child with no such relation falls back to every
  person whose role is mother, father or other caregiver.
* A professional is **around** a child when any relation other than ``knows`` and
  ``works_at`` joins them (either direction) to the child or to one of its caregivers.
* A **private supporter** of a child is a non-professional adult who is not the child's
  caregiver and has not used violence, joined by any relation (either direction) to the
  child or to a caregiver who has not used violence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import combinations
from typing import Any

from coordinator.network.vocab import (
    CAREGIVER_ROLES,
    FAMILY_ROLES,
    PARENT_RELATIONS,
    NodeKind,
    OrganisationKind,
    PersonRole,
    RelationType,
    Sector,
    Tie,
    relation_type,
)

NodeId = int | str

# ---------------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class Person:
    """A person in the family's network. `sector`/`role` None means: derive it."""

    id: NodeId
    name: str
    is_professional: bool = False
    sector: Sector | None = None
    organisation_id: NodeId | None = None
    role: PersonRole | None = None
    is_child: bool = False
    protected_address: bool = False
    used_violence: bool = False
    contact_only_via_worker: bool = False
    has_email: bool = True
    has_phone: bool = True

    def __post_init__(self) -> None:
        if self.sector is not None and not isinstance(self.sector, Sector):
            object.__setattr__(self, "sector", Sector(self.sector))
        if self.role is not None and not isinstance(self.role, PersonRole):
            object.__setattr__(self, "role", PersonRole(self.role))


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation (school, Sundhedsplejen, Modtagelsen …); sector None = kind's default."""

    id: NodeId
    name: str
    kind: OrganisationKind = OrganisationKind.OTHER
    sector: Sector | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, OrganisationKind):
            object.__setattr__(self, "kind", OrganisationKind(self.kind))
        if self.sector is None:
            object.__setattr__(self, "sector", self.kind.default_sector)
        elif not isinstance(self.sector, Sector):
            object.__setattr__(self, "sector", Sector(self.sector))


@dataclass(frozen=True, slots=True)
class Relation:
    """A directed edge "source <type> target"; the target kind defaults from the type."""

    id: NodeId
    source_id: NodeId
    target_id: NodeId
    type: str
    note: str = ""
    source_kind: NodeKind = NodeKind.PERSON
    target_kind: NodeKind | None = None

    def __post_init__(self) -> None:
        rtype = relation_type(self.type)  # an unknown type is refused here
        if self.target_kind is None:
            object.__setattr__(self, "target_kind", rtype.target_kind)
        elif type(self.target_kind) is not NodeKind:  # given as its value
            object.__setattr__(self, "target_kind", NodeKind(self.target_kind))
        if type(self.source_kind) is not NodeKind:
            object.__setattr__(self, "source_kind", NodeKind(self.source_kind))

    @property
    def rtype(self) -> RelationType:
        """The vocabulary entry for this relation's type."""
        return relation_type(self.type)


@dataclass(frozen=True, slots=True)
class KeepApart:
    """Two people who must not meet (e.g. after violence); order does not matter."""

    a: NodeId
    b: NodeId
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NetworkSnapshot:
    """One family's network at one moment. Validated: every reference must resolve."""

    people: tuple[Person, ...]
    organisations: tuple[Organisation, ...] = ()
    relations: tuple[Relation, ...] = ()
    keep_apart: tuple[KeepApart, ...] = ()
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        """The hash of the compared fields, as the dataclass's own, worked out once: the
        snapshot is a key of the caches of what is built from it (every field of every
        person and relation went into each look-up). ``_hash`` is not part of the network:
        ``dataclasses.replace`` starts it afresh, and a pickled snapshot leaves it behind
        (``__reduce__``: a string's hash differs from one process to the next)."""
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(
                (self.people, self.organisations, self.relations, self.keep_apart)))
        return self._hash  # type: ignore[return-value]

    def __reduce__(self) -> tuple[type[NetworkSnapshot], tuple[Any, ...]]:
        return (NetworkSnapshot, (self.people, self.organisations, self.relations, self.keep_apart))

    def __post_init__(self) -> None:
        for name in ("people", "organisations", "relations", "keep_apart"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        person_ids = _unique_ids(self.people, "person")
        org_ids = _unique_ids(self.organisations, "organisation")
        for p in self.people:
            if p.organisation_id is not None and p.organisation_id not in org_ids:
                raise ValueError(
                    f"Person {p.id!r} refers to unknown organisation {p.organisation_id!r}"
                )
        known = {NodeKind.PERSON: person_ids, NodeKind.ORGANISATION: org_ids}
        for r in self.relations:
            if r.target_kind is None:  # resolved by Relation.__post_init__
                raise AssertionError(f"Relation {r.id!r} has no target kind")
            for end, kind in ((r.source_id, r.source_kind), (r.target_id, r.target_kind)):
                if end not in known[kind]:
                    raise ValueError(f"Relation {r.id!r} refers to unknown {kind} {end!r}")
        for k in self.keep_apart:
            if k.a not in person_ids or k.b not in person_ids:
                raise ValueError(f"Keep-apart pair ({k.a!r}, {k.b!r}) refers to unknown person")


def _unique_ids(items: Iterable[Person] | Iterable[Organisation], what: str) -> set[NodeId]:
    seen: set[NodeId] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"Duplicate {what} id {item.id!r}")
        seen.add(item.id)
    return seen


# --------------------------------------------------------------------------- output


@dataclass(frozen=True, slots=True)
class Involvement:
    """One person's part in a child's life: who, from where, how related, doing what."""

    person_id: NodeId
    name: str
    organisation_name: str | None
    relation_label_da: str
    sector: Sector
    sector_label_da: str
    note: str


@dataclass(frozen=True, slots=True)
class ChildOverview:
    """ "Who works in the family, and who does what" for one child."""

    child_id: NodeId
    child_name: str
    professionals: tuple[Involvement, ...]
    private_supporters: tuple[Involvement, ...]


class GapKind(StrEnum):
    """The coordination gaps that `coordination_gaps` finds."""

    NO_COORDINATOR = "no_coordinator"
    NO_KNOWN_CONTACT = "no_known_contact"
    VIOLENCE_WITHOUT_KEEP_APART = "violence_without_keep_apart"


@dataclass(frozen=True, slots=True)
class Gap:
    """A coordination gap with the people it concerns and a Danish explanation."""

    kind: GapKind
    child_id: NodeId | None
    person_ids: tuple[NodeId, ...]
    message_da: str


@dataclass(frozen=True, slots=True)
class NetworkStrength:
    """How strong a child's private network is (see `private_network_strength`)."""

    child_id: NodeId
    supporter_count: int
    described_count: int
    score: int
    label_da: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A person suggested for a meeting, with the parts to invite them to and why."""

    person_id: NodeId
    name: str
    score: int
    reason_da: str
    part_keys: tuple[str, ...]
    warning_da: str = ""
    contact_via_worker: bool = False


# ----------------------------------------------------------------- derived attributes


def effective_role(person: Person) -> PersonRole:
    """The person's role, derived when not recorded (professional, child, else private)."""
    if person.role is not None:
        return person.role
    if person.is_professional:
        return PersonRole.PROFESSIONAL
    if person.is_child:
        return PersonRole.CHILD
    return PersonRole.PRIVATE_NETWORK


def effective_sector(snapshot: NetworkSnapshot, person: Person) -> Sector:
    """The person's sector: recorded, else the employer's, else family/private/other."""
    if person.sector is not None:
        return person.sector
    if person.organisation_id is not None:
        for org in snapshot.organisations:
            if org.id == person.organisation_id:
                return org.sector  # type: ignore[return-value]
    if person.is_professional:
        return Sector.OTHER
    if person.is_child or effective_role(person) in FAMILY_ROLES:
        return Sector.FAMILY
    return Sector.PRIVATE_NETWORK


def is_child(person: Person) -> bool:
    """True for the family's children (flag or role)."""
    return person.is_child or person.role is PersonRole.CHILD


_SECTOR_ORDER = {s: i for i, s in enumerate(Sector)}
_CARE_EXCLUDED = frozenset({"knows", "works_at"})


NodeKey = tuple[str, NodeId]  # ("p", person id) or ("o", organisation id)


def _pkey(pid: NodeId) -> NodeKey:
    return ("p", pid)


def _okey(oid: NodeId) -> NodeKey:
    return ("o", oid)


class _Net:
    """Indexes over a snapshot, built once per public call."""

    def __init__(self, snapshot: NetworkSnapshot) -> None:
        self.snapshot = snapshot
        self.people = {p.id: p for p in snapshot.people}
        self.orgs = {o.id: o for o in snapshot.organisations}
        self.order = {p.id: i for i, p in enumerate(snapshot.people)}
        # Relations by end: node -> other end -> relation id -> relation, in the order they
        # came (a person's relations to one other end together, as they are read).
        self._out: dict[NodeKey, dict[NodeKey, dict[NodeId, Relation]]] = {}
        self._in: dict[NodeKey, dict[NodeKey, dict[NodeId, Relation]]] = {}
        for r in snapshot.relations:
            src = _pkey(r.source_id) if r.source_kind is NodeKind.PERSON else _okey(r.source_id)
            dst = _pkey(r.target_id) if r.target_kind is NodeKind.PERSON else _okey(r.target_id)
            self._out.setdefault(src, {}).setdefault(dst, {})[r.id] = r
            self._in.setdefault(dst, {}).setdefault(src, {})[r.id] = r
        self.sector = {p.id: effective_sector(snapshot, p) for p in snapshot.people}
        self.children = [p for p in snapshot.people if is_child(p)]
        self._caregivers: dict[NodeId, tuple[NodeId, ...]] = {}
        self._orgs_of: dict[NodeId, set[NodeId]] = {}
        self._neighbours: dict[NodeId, tuple[set[NodeId], set[NodeId]]] = {}

    # -- edges
    def relations_between(self, a: NodeKey, b: NodeKey) -> list[Relation]:
        """All relations joining two nodes, either direction, in snapshot order."""
        found: list[Relation] = []
        for u, v in ((a, b), (b, a)):
            found.extend(self._out.get(u, {}).get(v, {}).values())
        return found

    def incident(self, key: NodeKey) -> Iterable[tuple[NodeKey, Relation]]:
        """(other end, relation) for every relation touching `key`."""
        yield from self.outgoing(key)
        yield from self.incoming(key)

    def outgoing(self, key: NodeKey) -> Iterator[tuple[NodeKey, Relation]]:
        """(target, relation) for every relation from `key`."""
        for other, relations in self._out.get(key, {}).items():
            for relation in relations.values():
                yield other, relation

    def incoming(self, key: NodeKey) -> Iterator[tuple[NodeKey, Relation]]:
        """(source, relation) for every relation to `key`."""
        for other, relations in self._in.get(key, {}).items():
            for relation in relations.values():
                yield other, relation

    def person_orgs(self, pid: NodeId) -> set[NodeId]:
        """The organisations a person belongs to: employer plus works_at targets."""
        if pid not in self._orgs_of:
            p = self.people[pid]
            orgs = {p.organisation_id} if p.organisation_id is not None else set()
            for v, relation in self.outgoing(_pkey(pid)):
                if relation.type == "works_at" and v[0] == "o":
                    orgs.add(v[1])
            self._orgs_of[pid] = orgs
        return self._orgs_of[pid]

    def org_name(self, pid: NodeId) -> str | None:
        orgs = sorted(self.person_orgs(pid), key=lambda o: (self.orgs[o].name, str(o)))
        return ", ".join(self.orgs[o].name for o in orgs) or None

    # -- family structure
    def caregivers(self, child_id: NodeId) -> tuple[NodeId, ...]:
        if child_id not in self._caregivers:
            found = {
                u[1]
                for u, relation in self.incoming(_pkey(child_id))
                if u[0] == "p" and relation.type in PARENT_RELATIONS
            }
            if not found:
                found = {
                    p.id
                    for p in self.snapshot.people
                    if p.id != child_id and not p.is_professional and p.role in CAREGIVER_ROLES
                }
            self._caregivers[child_id] = tuple(sorted(found, key=self.order.__getitem__))
        return self._caregivers[child_id]

    def professionals_around(
        self, child_id: NodeId
    ) -> dict[NodeId, list[tuple[Relation, NodeId]]]:
        """Professional id -> [(relation, focus person id)] for the child and caregivers."""
        around: dict[NodeId, list[tuple[Relation, NodeId]]] = defaultdict(list)
        for focus in (child_id, *self.caregivers(child_id)):
            for other, rel in self.incident(_pkey(focus)):
                if other[0] != "p" or rel.type in _CARE_EXCLUDED:
                    continue
                if self.people[other[1]].is_professional and other[1] != focus:
                    around[other[1]].append((rel, focus))
        return around

    def supporters_around(self, child_id: NodeId) -> dict[NodeId, list[tuple[Relation, NodeId]]]:
        """Private supporter id -> [(relation, focus person id)]."""
        caregivers = self.caregivers(child_id)
        focus_ids = [child_id] + [c for c in caregivers if not self.people[c].used_violence]
        excluded = {child_id, *caregivers}
        around: dict[NodeId, list[tuple[Relation, NodeId]]] = defaultdict(list)
        for focus in focus_ids:
            for other, rel in self.incident(_pkey(focus)):
                if other[0] != "p" or other[1] in excluded:
                    continue
                p = self.people[other[1]]
                if p.is_professional or is_child(p) or p.used_violence:
                    continue
                around[p.id].append((rel, focus))
        return around

    def sort_people(self, ids: Iterable[NodeId]) -> list[NodeId]:
        return sorted(ids, key=lambda i: (self.people[i].name.casefold(), str(i)))

    def neighbours(self, pid: NodeId) -> tuple[set[NodeId], set[NodeId]]:
        """(people, organisations) joined to a person by any relation, either direction."""
        if pid not in self._neighbours:
            people: set[NodeId] = set()
            orgs: set[NodeId] = set()
            for other, _ in self.incident(_pkey(pid)):
                (people if other[0] == "p" else orgs).add(other[1])
            self._neighbours[pid] = (people, orgs)
        return self._neighbours[pid]

    def has_known_contact(self, a: NodeId, b: NodeId) -> bool:
        """Gap rule (b)'s "known contact": an edge, a shared org, or an edge to b's org."""
        people_a, orgs_near_a = self.neighbours(a)
        orgs_a, orgs_b = self.person_orgs(a), self.person_orgs(b)
        return bool(
            b in people_a
            or orgs_a & orgs_b
            or orgs_near_a & orgs_b
            or self.neighbours(b)[1] & orgs_a
        )


def _label_for(net: _Net, rels: list[tuple[Relation, NodeId]], pid: NodeId) -> tuple[str, str]:
    """A readable relation label ("lærer for Emma; støtter Anna") and the joined notes."""
    labels: list[str] = []
    notes: list[str] = []
    for rel, focus in rels:
        rt = rel.rtype
        focus_name = net.people[focus].name
        if rel.source_id == pid and rel.source_kind is NodeKind.PERSON:
            text = f"{rt.label_da} {focus_name}"
        elif rt.symmetric:
            text = f"{rt.label_da} {focus_name}"
        else:
            text = f"{focus_name} {rt.label_da} {net.people[pid].name}"
        if text not in labels:
            labels.append(text)
        if rel.note.strip() and rel.note.strip() not in notes:
            notes.append(rel.note.strip())
    return "; ".join(labels), "; ".join(notes)


def _involvement(net: _Net, pid: NodeId, rels: list[tuple[Relation, NodeId]]) -> Involvement:
    label, note = _label_for(net, rels, pid)
    sector = net.sector[pid]
    return Involvement(
        person_id=pid,
        name=net.people[pid].name,
        organisation_name=net.org_name(pid),
        relation_label_da=label,
        sector=sector,
        sector_label_da=sector.label_da,
        note=note,
    )


# ------------------------------------------------------------------------ overview


def who_does_what(snapshot: NetworkSnapshot) -> list[ChildOverview]:
    """Per child: the professionals around it and its private supporters, and what each does.

    This is the intake's "who works in the family, and who does what" overview, so that
    partners do not take contradictory decisions. Professionals are ordered by sector,
    then name; supporters by name.
    """
    net = _Net(snapshot)
    result = []
    for child in net.children:
        pros = net.professionals_around(child.id)
        sups = net.supporters_around(child.id)
        pro_ids = sorted(
            pros,
            key=lambda i: (_SECTOR_ORDER[net.sector[i]], net.people[i].name.casefold(), str(i)),
        )
        result.append(
            ChildOverview(
                child_id=child.id,
                child_name=child.name,
                professionals=tuple(_involvement(net, i, pros[i]) for i in pro_ids),
                private_supporters=tuple(
                    _involvement(net, i, sups[i]) for i in net.sort_people(sups)
                ),
            )
        )
    return result


# ------------------------------------------------------------------------------ gaps


def coordination_gaps(snapshot: NetworkSnapshot) -> list[Gap]:
    """Find where the network is not coordinated or not safe, with a Danish message each.

    Rules (children in snapshot order; people ordered by name):

    (a) ``no_coordinator``: children with professionals around them from two or more
        distinct sectors, and nobody with a ``coordinator_for`` relation to them. Said
        once for all such children of the family: one finding naming the children and
        the sectors, and – where it matters – the professionals of rule (b).
    (b) ``no_known_contact``, only where it matters: two professionals who both act on
        the same child (a relation to the child itself, not only to a parent), while that
        child has no tovholder (``coordinator_for``), and who have no known contact: no
        relation of any type between them (either direction), no shared organisation
        (employer or ``works_at``), and neither has a relation to an organisation the
        other belongs to. With a tovholder, the tovholder is their contact. Said once, in
        one finding naming every such professional and child; when rule (a) fires, inside
        its finding instead (the missing tovholder is the one thing to fix).
    (c) ``violence_without_keep_apart``: a person with a protected address and a person
        who used violence are joined by a direct relation of any type, or by a path of
        two family-tie relations through one other person (typically: mother → child ←
        father), and there is no keep-apart pair between them. Reported once per pair;
        `child_id` is the child in the middle of the path, if any.

    The result is ranked by importance (``IMPORTANCE``): safety first, then a missing
    tovholder, then professionals without contact; so a family shows its safety findings
    and at most one finding about the tovholder or the contact between professionals.
    """
    net = _Net(snapshot)
    contact = _no_known_contact(net)
    lead = _no_coordinator(net, contact)
    return _violence_without_keep_apart(net) + (lead or contact)


def _joined(names: list[str]) -> str:
    """"A", "A og B", "A, B og C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def _no_coordinator(net: _Net, contact: list[Gap]) -> list[Gap]:
    """Rule (a): one finding for every child without a tovholder whose professionals come
    from two or more sectors, with rule (b)'s finding (``contact``) folded in."""
    children: list[Person] = []
    pros: set[NodeId] = set()
    sectors: set[Sector] = set()
    for child in net.children:
        around = net.professionals_around(child.id)
        own = {net.sector[p] for p in around}
        if len(own) < 2 or _has_tovholder(net, child.id):
            continue
        children.append(child)
        pros |= set(around)
        sectors |= own
    if not children:
        return []
    names = ", ".join(sorted(s.label_da.lower() for s in sectors))
    message = (f"{_joined([c.name for c in children])} har fagpersoner fra {len(sectors)} "
               f"sektorer ({names}), men ingen er udpeget som tovholder.")
    if contact:
        message += " " + contact[0].message_da
    return [Gap(kind=GapKind.NO_COORDINATOR, child_id=children[0].id,
                person_ids=tuple(net.sort_people(pros)), message_da=message)]


def _has_tovholder(net: _Net, child_id: NodeId) -> bool:
    return any(relation.type == "coordinator_for"
               for _, relation in net.incoming(_pkey(child_id)))


def _no_known_contact(net: _Net) -> list[Gap]:
    """Rule (b): one finding naming the professionals who act on the same child without a
    tovholder and have no known contact with one of the others, and those children."""
    unlinked: set[NodeId] = set()
    pairs = 0
    children: list[Person] = []
    for child in net.children:
        if _has_tovholder(net, child.id):
            continue
        acting = {pid for pid, rels in net.professionals_around(child.id).items()
                  if any(focus == child.id for _, focus in rels)}
        found = [(a, b) for a, b in combinations(net.sort_people(acting), 2)
                 if not net.has_known_contact(a, b)]
        if found:
            children.append(child)
            pairs += len(found)
            unlinked |= {person for pair in found for person in pair}
    if not children:
        return []
    people = net.sort_people(unlinked)
    names = _joined([net.people[p].name for p in people])
    both, contact = ("begge ", "ingen") if pairs == 1 and len(people) == 2 else ("", "ikke alle")
    return [Gap(
        kind=GapKind.NO_KNOWN_CONTACT,
        child_id=children[0].id,
        person_ids=tuple(people),
        message_da=(f"{names} arbejder {both}med {_joined([c.name for c in children])}, "
                    f"men har {contact} kendt kontakt med hinanden."),
    )]


def _kept_apart(net: _Net) -> set[frozenset[NodeId]]:
    return {frozenset((k.a, k.b)) for k in net.snapshot.keep_apart}


def _family_neighbours(net: _Net, pid: NodeId) -> set[NodeId]:
    return {
        other[1]
        for other, rel in net.incident(_pkey(pid))
        if other[0] == "p" and rel.rtype.tie is Tie.FAMILY
    }


def _violence_without_keep_apart(net: _Net) -> list[Gap]:
    kept = _kept_apart(net)
    protected = net.sort_people(p.id for p in net.snapshot.people if p.protected_address)
    violent = net.sort_people(p.id for p in net.snapshot.people if p.used_violence)
    gaps = []
    for x in protected:
        fam_x = _family_neighbours(net, x)
        for v in violent:
            if v == x or frozenset((x, v)) in kept:
                continue
            direct = bool(net.relations_between(_pkey(x), _pkey(v)))
            middle = net.sort_people((fam_x & _family_neighbours(net, v)) - {x, v})
            if not direct and not middle:
                continue
            child_id = next((m for m in middle if is_child(net.people[m])), None)
            px, pv = net.people[x], net.people[v]
            via = "" if direct else f" (via {net.people[middle[0]].name})"
            gaps.append(
                Gap(
                    kind=GapKind.VIOLENCE_WITHOUT_KEEP_APART,
                    child_id=child_id,
                    person_ids=(x, v),
                    message_da=(
                        f"{px.name} har beskyttet adresse og er forbundet med {pv.name}, "
                        f"som har udøvet vold{via}, men der er ingen aftale om at holde "
                        "dem adskilt."
                    ),
                )
            )
    return gaps


# ------------------------------------------------------------- findings that are read

# Most important first: what can hurt someone, then who holds the threads, then contact.
IMPORTANCE: tuple[GapKind, ...] = (
    GapKind.VIOLENCE_WITHOUT_KEEP_APART,
    GapKind.NO_COORDINATOR,
    GapKind.NO_KNOWN_CONTACT,
)
GROUP_HEADINGS_DA: dict[GapKind, str] = {
    GapKind.VIOLENCE_WITHOUT_KEEP_APART: "Sikkerhed: ingen aftale om at holde adskilt",
    GapKind.NO_COORDINATOR: "Ingen tovholder for barnet",
    GapKind.NO_KNOWN_CONTACT: "Fagpersoner om samme barn uden kendt kontakt",
}
# How many findings of a group are shown before the rest are folded away with a count.
SHOWN_PER_GROUP = 3


@dataclass(frozen=True, slots=True)
class GapGroup:
    """The findings of one rule, ready to show: the first few, and the rest folded."""

    kind: GapKind
    heading_da: str
    safety: bool  # never folded away
    shown: tuple[Gap, ...]
    folded: tuple[Gap, ...]

    @property
    def count(self) -> int:
        """How many findings the group has."""
        return len(self.shown) + len(self.folded)


def group_gaps(gaps: Iterable[Gap], shown: int = SHOWN_PER_GROUP) -> list[GapGroup]:
    """The findings grouped by rule, most important group first (``IMPORTANCE``). A group
    shows its first ``shown`` findings and folds the rest (the page shows them behind a
    count); safety findings are all shown, always."""
    by_kind: dict[GapKind, list[Gap]] = defaultdict(list)
    for gap in gaps:
        by_kind[gap.kind].append(gap)
    groups = []
    for kind in IMPORTANCE:
        items = tuple(by_kind.get(kind, ()))
        if not items:
            continue
        safety = kind is GapKind.VIOLENCE_WITHOUT_KEEP_APART
        cut = len(items) if safety else max(shown, 0)
        groups.append(GapGroup(kind, GROUP_HEADINGS_DA[kind], safety, items[:cut], items[cut:]))
    return groups


# -------------------------------------------------------------------- network strength

STRENGTH_PER_SUPPORTER = 12
STRENGTH_PER_DESCRIBED = 8
STRENGTH_CAP = 5


def strength_label_da(score: int) -> str:
    """The Danish word for a strength score: svagt (< 35), moderat (< 70), stærkt."""
    if score < 35:
        return "svagt"
    if score < 70:
        return "moderat"
    return "stærkt"


def private_network_strength(snapshot: NetworkSnapshot) -> list[NetworkStrength]:
    """Per child: how much private network it has, to show where the network needs building.

    The method wants the family as independent of professionals as possible, so this
    counts only private supporters (see the module docstring). Formula:
    ``score = 12 × min(supporters, 5) + 8 × min(supporters with a help note, 5)``,
    0–100; a supporter "with a help note" has a non-blank note on a relation to the child
    or a caregiver. Label: svagt below 35, moderat below 70, else stærkt.
    """
    net = _Net(snapshot)
    result = []
    for child in net.children:
        sups = net.supporters_around(child.id)
        described = sum(1 for rels in sups.values() if any(r.note.strip() for r, _ in rels))
        score = STRENGTH_PER_SUPPORTER * min(len(sups), STRENGTH_CAP) + (
            STRENGTH_PER_DESCRIBED * min(described, STRENGTH_CAP)
        )
        result.append(
            NetworkStrength(
                child_id=child.id,
                supporter_count=len(sups),
                described_count=described,
                score=score,
                label_da=strength_label_da(score),
            )
        )
    return result


# ------------------------------------------------------------------ invite suggestions

MEETING_PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "familieraadslagning": (
        ("information", "Information"),
        ("private_time", "Familiens egen tid"),
        ("plan", "Fremlæggelse og godkendelse af planen"),
    ),
    "bic": (
        ("father_talk", "Samtale med far"),
        ("parents_meeting", "Fælles forældremøde"),
    ),
    "netvaerksmoede": (("meeting", "Netværksmødet"),),
    "statusmoede": (("meeting", "Statusmødet"),),
}
MEETING_KINDS: tuple[str, ...] = tuple(MEETING_PARTS)


@dataclass(slots=True)
class _Candidate:
    pid: NodeId
    score: int = -1
    reason: str = ""
    parts: tuple[str, ...] = ()

    def offer(self, score: int, reason: str, parts: tuple[str, ...]) -> None:
        if score > self.score:
            self.score, self.reason, self.parts = score, reason, parts


def _professional_roles(
    net: _Net, pid: NodeId, rels: list[tuple[Relation, NodeId]], child_ids: set[NodeId]
) -> set[str]:
    roles = {"professional"}
    kinds = {net.orgs[o].kind for o in net.person_orgs(pid)}
    for rel, focus in rels:
        if rel.type == "coordinator_for" and focus in child_ids:
            roles.add("coordinator")
        if rel.type == "social_worker_for":
            roles.add("social_worker")
        if rel.type == "contact_person_for" and net.people[focus].role is PersonRole.FATHER:
            roles.add("father_contact")
    if OrganisationKind.FAMILY_DEPARTMENT in kinds and "social_worker" not in roles:
        roles.add("father_contact")
    if OrganisationKind.PPR in kinds:
        roles.add("ppr")
    if net.sector[pid] is Sector.SOCIAL_SERVICES and "father_contact" not in roles:
        roles.add("social_worker")
    return roles


def _is_father(net: _Net, pid: NodeId) -> bool:
    if net.people[pid].role is PersonRole.FATHER:
        return True
    return any(
        relation.type == "father_of" for _, relation in net.outgoing(_pkey(pid))
    )


def _noun(rels: list[tuple[Relation, NodeId]]) -> str:
    nouns: list[str] = []
    for rel, _ in rels:
        if rel.rtype.noun_da not in nouns:
            nouns.append(rel.rtype.noun_da)
    return "/".join(nouns)


# (score, reason, part keys) per meeting kind and role; None = not suggested.
_F, _B, _N, _S = "familieraadslagning", "bic", "netvaerksmoede", "statusmoede"
_ALL_FR = ("information", "private_time", "plan")
_RULES: dict[str, dict[str, tuple[int, str, tuple[str, ...]] | None]] = {
    "caregiver": {
        _F: (100, "Forælder/omsorgsperson – familien er kernen i familierådslagningen.", _ALL_FR),
        _B: (
            70,
            "Mor/omsorgsperson – et fælles forældremøde kan koordinere aftalerne om barnet.",
            ("parents_meeting",),
        ),
        _N: (100, "Forælder/omsorgsperson – netværksmødet holdes med familien.", ("meeting",)),
        _S: (100, "Forælder/omsorgsperson – statusmødet holdes med familien.", ("meeting",)),
    },
    "father": {
        _B: (100, "Far – BIC handler om at inddrage far.", ("father_talk", "parents_meeting")),
    },
    "child": {
        _F: (95, "Barnet/den unge er i centrum og deltager efter alder og eget ønske.", _ALL_FR),
        _B: None,
        _N: (80, "Barnet/den unge deltager efter alder og eget ønske.", ("meeting",)),
        _S: (50, "Barnet/den unge kan deltage efter alder og eget ønske.", ("meeting",)),
    },
    "supporter": {
        _F: (
            80,
            "Privat netværk – familierådslagningen vil have det private netværk med.",
            _ALL_FR,
        ),
        _B: None,
        _N: (
            80,
            "Privat netværk – et inddragende netværksmøde bygger på det private netværk.",
            ("meeting",),
        ),
        _S: (30, "Privat netværk – kan deltage, hvis familien ønsker det.", ("meeting",)),
    },
    "professional": {
        _F: (40, "Fagperson – informatør; deltager kun i informationsdelen.", ("information",)),
        _B: (
            30,
            "Fagperson omkring barnet – kan bidrage til forældremødet.",
            ("parents_meeting",),
        ),
        _N: (60, "Fagperson omkring barnet.", ("meeting",)),
        _S: (60, "Fagperson omkring barnet.", ("meeting",)),
    },
    "social_worker": {
        _F: (
            60,
            "Socialrådgiver – informatør og godkender familiens plan.",
            ("information", "plan"),
        ),
        _B: (75, "Socialrådgiver – koordinerer aftalerne om barnet.", ("parents_meeting",)),
        _N: (70, "Socialrådgiver for familien.", ("meeting",)),
        _S: (90, "Socialrådgiver – statusmødet holdes med Familieafdelingen.", ("meeting",)),
    },
    "coordinator": {
        _F: (55, "Tovholder – informatør i informationsdelen.", ("information",)),
        _B: (50, "Tovholder for barnet.", ("parents_meeting",)),
        _N: (75, "Tovholder for barnet – samler netværket.", ("meeting",)),
        _S: (85, "Tovholder for barnet.", ("meeting",)),
    },
    "father_contact": {
        _F: (40, "Fagperson – informatør; deltager kun i informationsdelen.", ("information",)),
        _B: (
            90,
            "Kontaktperson i Modtagelsen – rådgiver far om skilsmisse, økonomi og bolig.",
            ("father_talk", "parents_meeting"),
        ),
        _N: (60, "Fagperson omkring familien.", ("meeting",)),
        _S: (70, "Kontaktperson i Modtagelsen.", ("meeting",)),
    },
    "ppr": {
        _B: (60, "PPR – kan tilbyde far motivationssamtaler.", ("father_talk",)),
    },
}


def invite_suggestions(
    snapshot: NetworkSnapshot,
    meeting_kind: str,
    child_ids: Iterable[NodeId] | None = None,
) -> list[Suggestion]:
    """Rank whom to invite to a meeting about the given children (default: all children).

    Each meeting kind weighs roles differently: a familierådslagning ranks the private
    network high and invites professionals as informatører for the information part only;
    BIC centres on the father and his contact person in Modtagelsen; netværksmøde and
    statusmøde follow their purpose. Safety is never silent: a person who used violence,
    anyone in a keep-apart pair, and a protected person suggested together with a person
    who used violence get a `warning_da` (and the reason says so); people whose contact
    goes only via the worker are marked and told so in the reason. Ordered by score
    (highest first), then name, then id.
    """
    if meeting_kind not in MEETING_PARTS:
        raise ValueError(
            f"Unknown meeting kind {meeting_kind!r}; valid kinds are: {', '.join(MEETING_KINDS)}"
        )
    net = _Net(snapshot)
    all_children = {c.id for c in net.children}
    chosen = list(all_children if child_ids is None else child_ids)
    for cid in chosen:
        if cid not in all_children:
            raise ValueError(f"{cid!r} is not a child in this network")
    chosen_set = set(chosen)
    candidates: dict[NodeId, _Candidate] = {}

    def offer(pid: NodeId, role: str, extra: str = "", bonus: int = 0) -> None:
        rule = _RULES[role].get(meeting_kind)
        if rule is None:
            return
        score, reason, parts = rule
        cand = candidates.setdefault(pid, _Candidate(pid))
        cand.offer(min(100, score + bonus), reason + extra, parts)

    for cid in sorted(chosen_set, key=net.order.__getitem__):
        offer(cid, "child")
        for cg in net.caregivers(cid):
            offer(cg, "father" if _is_father(net, cg) and meeting_kind == _B else "caregiver")
        for sid, rels in net.supporters_around(cid).items():
            notes = list(dict.fromkeys(r.note.strip() for r, _ in rels if r.note.strip()))
            extra = f" Relation: {_noun(rels)}."
            if notes:
                extra += f" Hjælper med: {'; '.join(notes)}."
            # A described help note is a sign of an active supporter: rank a little higher.
            offer(sid, "supporter", extra, bonus=5 if notes else 0)
        for pid, rels in net.professionals_around(cid).items():
            extra = f" Rolle: {_noun(rels)}."
            for role in sorted(_professional_roles(net, pid, rels, chosen_set)):
                offer(pid, role, extra)

    kept = {frozenset((k.a, k.b)): k.reason for k in snapshot.keep_apart}
    apart_from: dict[NodeId, set[NodeId]] = defaultdict(set)  # each person's other ends
    for pair in kept:
        if len(pair) == 2:
            a, b = pair
            apart_from[a].add(b)
            apart_from[b].add(a)
    ids = [pid for pid, c in candidates.items() if c.score >= 0]
    return sorted(
        (_finish(net, candidates[pid], ids, kept, apart_from) for pid in ids),
        key=lambda s: (-s.score, s.name.casefold(), str(s.person_id)),
    )


def _finish(
    net: _Net, cand: _Candidate, ids: list[NodeId], kept: dict[frozenset[NodeId], str],
    apart_from: Mapping[NodeId, set[NodeId]],
) -> Suggestion:
    person = net.people[cand.pid]
    warnings: list[str] = []
    if person.used_violence:
        warnings.append(
            f"{person.name} har udøvet vold – inddrag kun efter aftale med mor og en "
            "socialfaglig vurdering."
        )
        for other in net.sort_people(i for i in ids if net.people[i].protected_address):
            if other != cand.pid:
                warnings.append(
                    f"Foreslås sammen med {net.people[other].name}, som har beskyttet adresse "
                    "– må ikke mødes uden en socialfaglig vurdering og en sikkerhedsplan."
                )
    if person.protected_address:
        for other in net.sort_people(i for i in ids if net.people[i].used_violence):
            if other != cand.pid:
                warnings.append(
                    f"Foreslås sammen med {net.people[other].name}, som har udøvet vold – "
                    "beskyttet adresse; må ikke mødes uden en socialfaglig vurdering og en "
                    "sikkerhedsplan."
                )
    others = apart_from.get(cand.pid, set())
    apart = [i for i in ids if i in others]
    for other in net.sort_people(apart):
        reason_apart = kept[frozenset((cand.pid, other))]
        why = f" ({reason_apart})" if reason_apart.strip() else ""
        warnings.append(f"Skal holdes adskilt fra {net.people[other].name}{why}.")
    reason = cand.reason
    if person.contact_only_via_worker:
        reason += (
            " Kontakt kun via sagsbehandler – inviteres gennem sagsbehandleren, " "ikke direkte."
        )
    elif not person.has_email:
        reason += (
            " Ingen e-mail registreret – inviteres pr. telefon."
            if person.has_phone
            else " Hverken e-mail eller telefon registreret – inviteres på anden måde."
        )
    if warnings:
        reason += " OBS: se advarsel."
    return Suggestion(
        person_id=cand.pid,
        name=person.name,
        score=cand.score,
        reason_da=reason,
        part_keys=cand.parts,
        warning_da=" ".join(warnings),
        contact_via_worker=person.contact_only_via_worker,
    )


@dataclass(frozen=True, slots=True)
class PersonInvolvement:
    """One person's parts in all the children's lives, for the printed overview."""

    person_id: NodeId
    name: str
    organisation_name: str | None
    professional: bool
    relations_da: tuple[str, ...]
    notes: tuple[str, ...]


def who_does_what_by_person(overview: list[ChildOverview]) -> list[PersonInvolvement]:
    """The per-child overview folded into one row per person: what they are to which child
    and what they do, each said once (the paper version, where four children with the same
    grandparents would repeat them four times). Professionals first, in the overview's order."""
    rows: dict[NodeId, PersonInvolvement] = {}
    for professional in (True, False):
        for child in overview:
            for inv in child.professionals if professional else child.private_supporters:
                row = rows.get(inv.person_id)
                if row is None:
                    row = PersonInvolvement(inv.person_id, inv.name, inv.organisation_name,
                                            professional, (), ())
                relations = row.relations_da + (
                    (inv.relation_label_da,) if inv.relation_label_da not in row.relations_da
                    else ())
                note = inv.note.strip()
                notes = row.notes + ((note,) if note and note not in row.notes else ())
                rows[inv.person_id] = PersonInvolvement(
                    row.person_id, row.name, row.organisation_name, row.professional or
                    professional, relations, notes)
    return list(rows.values())
