"""Use cases for the family's network: the only place that combines the database and rules.

Reading builds a `graph.NetworkSnapshot` from four queries (people, relations, keep-apart
pairs, the organisations they name). Every change runs in one transaction that also
writes an audit event and a `NetworkChange` history row (who, what, old and new value).
Edits carry the version the user saw; an edit of a stale version raises `web.Conflict`
with both versions, so nobody's change is silently overwritten.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from litestar.exceptions import NotFoundException
from markupsafe import Markup

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.cache import KEPT_UNDER_STAMPS_AT_MOST, BoundedCache
from coordinator.errors import UserError
from coordinator.families import revisions
from coordinator.network import directory as org_directory
from coordinator.network import ecomap, graph
from coordinator.network.tables import (
    CaseFacts,
    KeepApart,
    NetworkChange,
    Organisation,
    Person,
    Relation,
)
from coordinator.network.validation import ANSWERS, S50_STATUSES, is_likely_duplicate, name_key
from coordinator.network.vocab import (
    CHILDRENS_PLACES,
    FAMILY_ROLES,
    RELATION_TYPES,
    NodeKind,
    OrganisationKind,
    PersonRole,
    Sector,
    UnknownRelationType,
    childrens_place_facts,
    relation_type,
)

# ------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PersonInput:
    """A validated person as the worker entered it (see `forms.person_input`)."""

    name: str
    role: str = PersonRole.PRIVATE_NETWORK.value
    is_professional: bool = False
    sector: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""
    birth_year: int | None = None
    protected_address: bool = False
    used_violence: bool = False
    contact_only_via_worker: bool = False
    notes: str = ""
    organisation_name: str = ""
    organisation_kind: str = ""


@dataclass(frozen=True)
class RelationInput:
    """A relation to add, from ``source_id`` to a target person or organisation.

    Within `add_person`, ``source_id`` None means the person being added, and
    ``target_is_new`` points the relation at them (e.g. a mother "mor til" a new child).
    """

    type: str
    target_person_id: int | None = None
    target_organisation_id: int | None = None
    note: str = ""
    source_id: int | None = None
    target_is_new: bool = False


class DuplicatePerson(web.UserError):
    """A person with the same name and phone is already in the family: offer that one."""

    def __init__(self, existing: dict) -> None:
        super().__init__(
            f"{existing['name']} med samme telefonnummer findes allerede i familiens netværk. "
            "Brug den eksisterende person, eller ret navn eller telefon.", 422)
        self.existing = existing


class NeedsConfirmation(web.UserError):
    """Removing a person who has relations must be confirmed; lists what goes with them."""

    def __init__(self, person: dict, relations: list[str]) -> None:
        super().__init__(
            f"{person['name']} har {len(relations)} relationer eller aftaler, som også "
            "bliver fjernet. Bekræft, at du vil fjerne personen.", 422)
        self.person = person
        self.relations = relations


# ------------------------------------------------------------------------ reading


class BrokenNetwork(UserError, ValueError):
    """The family's stored network refers to someone it does not hold (a relation or a
    keep-apart pair to a person of another family: data edited by hand or from before a
    check). Nothing can be drawn or checked until it is mended, so the editor and every
    change answer 409 with a Danish message and the family page says so in its network
    section; the rest of the page still opens. A ValueError too, so the meeting page's
    parts that read the network tolerate it as before."""

    def __init__(self, family_id: int, detail: str) -> None:
        super().__init__(
            "Familiens netværk kan ikke vises eller ændres, fordi en relation eller et par, "
            "der skal holdes adskilt, peger på en person uden for familien. Bed en "
            "administrator om at rette det.", 409)
        self.family_id = family_id
        self.detail = detail


@dataclass
class Network:
    """One family's network as rows (for pages) and as a snapshot (for the rules)."""

    family_id: int
    people: list[dict]
    organisations: dict[int, dict]
    relations: list[dict]
    keep_apart: list[dict]
    snapshot: graph.NetworkSnapshot
    people_by_id: dict[int, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.people_by_id = {p["id"]: p for p in self.people}

    def rows(self) -> int:
        """How many rows it holds (what a cache of networks is bounded by)."""
        return (len(self.people) + len(self.organisations) + len(self.relations)
                + len(self.keep_apart))

    def copy(self) -> Network:
        """The same network with rows of its own (a caller may change them; the snapshot
        is frozen and shared)."""
        return Network(self.family_id, [dict(p) for p in self.people],
                       {key: dict(row) for key, row in self.organisations.items()},
                       [dict(r) for r in self.relations], [dict(k) for k in self.keep_apart],
                       self.snapshot)

    def childrens_places(self, at_crisis_centre: bool) -> tuple[str, ...]:
        """The children's schools and day care in this network as facts (name, address)
        when the family is shielded (a protected address, or ``at_crisis_centre``); else
        none. The same as ``meetings.protected_places.childrens_places`` reads."""
        if not at_crisis_centre and not any(p["protected_address"] for p in self.people):
            return ()
        ids = {p["organisation"] for p in self.people} | {
            r["target_organisation"] for r in self.relations}
        return tuple(dict.fromkeys(
            fact for key, o in sorted(self.organisations.items())
            if key in ids and o["kind"] in CHILDRENS_PLACES for fact in childrens_place_facts(o)))

    def person_name(self, person_id: int | None) -> str:
        """The name of a person in this family ('(ukendt)' if not there)."""
        person = self.people_by_id.get(person_id or 0)
        return person["name"] if person else "(ukendt)"

    def describe_relation(self, rel: dict) -> str:
        """'Anna mor til Emma' / 'Lise arbejder i Byskolen'."""
        label = RELATION_TYPES[rel["type"]].label_da if rel["type"] in RELATION_TYPES \
            else rel["type"]
        if rel["target_organisation"] is not None:
            target = self.organisations.get(rel["target_organisation"], {}).get("name", "(ukendt)")
        else:
            target = self.person_name(rel["target_person"])
        return f"{self.person_name(rel['source'])} {label} {target}"

    def describe_keep_apart(self, pair: dict) -> str:
        """'Anna og Jens holdes adskilt'."""
        return (f"{self.person_name(pair['person_a'])} og {self.person_name(pair['person_b'])} "
                "holdes adskilt")

    @property
    def children(self) -> list[dict]:
        """The family's children, in the order they were recorded."""
        return [p for p in self.people if p["is_child"]]


# Networks as read, by family, network stamp and shared stamp (the organisations' names):
# the meeting pages of a family, its family page and its editor read the same network
# until it changes, and at most ``KEPT_UNDER_STAMPS_AT_MOST`` (what a write made with the
# triggers off may leave). Bounded by their rows; each use gets its own copy of the rows.
_kept_networks: BoundedCache[tuple[int, Hashable, str], tuple[Network, datetime]] = BoundedCache(
    "networks", 4096, max_size=400_000, size=lambda kept: kept[0].rows())


# Networks the graph could not take, under the same keys: a page's sections that read the
# network (``known_network``) ask once, not each again, until the network is mended.
_broken_networks: BoundedCache[tuple[int, Hashable, str], tuple[str, datetime]] = BoundedCache(
    "broken networks", 256)


async def load_network(family_id: int) -> Network:
    """The family's network in four queries (people, relations, keep-apart, organisations);
    inside ``revisions.network_known`` for this family and outside a transaction, the one
    kept under its stamps when this process has read it before (or its ``BrokenNetwork``)."""
    known = revisions.known_network_key(family_id)
    if known is None or db.in_transaction():
        return await _read_network(family_id)
    key = (family_id, known, await revisions.shared_stamp())
    broken = _broken_networks.get(key, fresh=lambda kept: clock.now() < kept[1])
    if broken is not None:
        raise BrokenNetwork(family_id, broken[0])
    kept = _kept_networks.get(key, fresh=lambda kept: clock.now() < kept[1])
    if kept is None:
        try:
            network = await _read_network(family_id)
        except BrokenNetwork as error:
            _broken_networks.put(key, (error.detail, clock.now() + KEPT_UNDER_STAMPS_AT_MOST))
            raise
        kept = (network, clock.now() + KEPT_UNDER_STAMPS_AT_MOST)
        _kept_networks.put(key, kept)
    clock.changes_at(kept[1])  # what is built from it is kept no longer
    return kept[0].copy()


def by_name(person: Mapping[str, Any]) -> tuple[str, int]:
    """The order a family's persons are listed in, on every page and both engines (a
    database's collation would put Å and lower case elsewhere on PostgreSQL than on
    SQLite): by name folded to lower case, then id."""
    return person["name"].casefold(), person["id"]


async def known_network(family_id: int) -> Network | None:
    """The family's network for a page that knows its stamp (``revisions.network_known``):
    the one kept under it, or read once for all of the page's sections (the family page's
    trappe, agreements and access-export sections read its children, organisations and
    people from it, three statements fewer). None outside such a page, or when the graph
    cannot take the network: the caller then reads what it needs itself."""
    if revisions.known_network_key(family_id) is None or db.in_transaction():
        return None
    try:
        return await load_network(family_id)
    except BrokenNetwork:
        return None


async def _read_network(family_id: int) -> Network:
    people = await db.rows(Person, '"family" = {}', family_id)
    relations = await db.rows(Relation, '"family" = {}', family_id)
    pairs = await db.rows(KeepApart, '"family" = {}', family_id)
    org_ids = {p["organisation"] for p in people if p["organisation"] is not None}
    org_ids |= {r["target_organisation"] for r in relations if r["target_organisation"] is not None}
    organisations: dict[int, dict] = {}
    if org_ids:
        wanted = sorted(org_ids)
        rows = await db.rows(Organisation, f'"id" IN ({db.marks(wanted)})', *wanted)
        organisations = {o["id"]: o for o in rows}
    for person in people:
        org = organisations.get(person["organisation"]) if person["organisation"] else None
        person["organisation_name"] = org["name"] if org else ""
    try:
        snapshot = _snapshot(people, organisations, relations, pairs)
    except ValueError as error:
        raise BrokenNetwork(family_id, str(error)) from error
    return Network(family_id, people, organisations, relations, pairs, snapshot)


def _snapshot(people: list[dict], organisations: dict[int, dict], relations: list[dict],
              pairs: list[dict]) -> graph.NetworkSnapshot:
    # A value outside the vocabulary reads as None (OTHER for a kind): one look-up in the
    # enum's own map of values rather than a test and a call of the enum.
    sectors, roles = Sector._value2member_map_, PersonRole._value2member_map_
    kinds = OrganisationKind._value2member_map_
    return graph.NetworkSnapshot(
        people=tuple(
            graph.Person(
                id=p["id"], name=p["name"], is_professional=p["is_professional"],
                sector=sectors.get(p["sector"]),  # type: ignore[arg-type]
                organisation_id=p["organisation"],
                role=roles.get(p["role"]),  # type: ignore[arg-type]
                is_child=p["is_child"], protected_address=p["protected_address"],
                used_violence=p["used_violence"],
                contact_only_via_worker=p["contact_only_via_worker"],
                has_email=bool(p["email"]), has_phone=bool(p["phone"]),
            )
            for p in people
        ),
        organisations=tuple(
            graph.Organisation(
                id=o["id"], name=o["name"],
                kind=kinds.get(o["kind"], OrganisationKind.OTHER),  # type: ignore[arg-type]
                sector=sectors.get(o["sector"]),  # type: ignore[arg-type]
            )
            for o in organisations.values()
        ),
        relations=tuple(
            graph.Relation(
                id=r["id"], source_id=r["source"],
                target_id=r["target_organisation"] if r["target_organisation"] is not None
                else r["target_person"],
                type=r["type"], note=r["note"],
                target_kind=NodeKind.ORGANISATION if r["target_organisation"] is not None
                else NodeKind.PERSON,
            )
            for r in relations if r["type"] in RELATION_TYPES
        ),
        keep_apart=tuple(graph.KeepApart(k["person_a"], k["person_b"], k["reason"]) for k in pairs),
    )


@dataclass(frozen=True)
class DirectoryChoices:
    """The organisation directory as the network editor offers it: the rows, the
    ``<option>`` tags of its name suggestions (a datalist) and of its organisation select,
    and each organisation's name by id (for a large one's lists and searches)."""

    rows: list[dict]
    suggestions: Markup
    options: Markup
    names: Mapping[int, str]

    @property
    def size(self) -> int:
        """How many organisations the directory holds."""
        return len(self.rows)

    @property
    def large(self) -> bool:
        """Too many to list whole (``directory.is_large``): near ones listed, the rest searched."""
        return org_directory.is_large(self.size)

    def whole(self, selected: int | None = None, *, narrow: bool = False) -> Markup:
        """Every organisation's tag, ``selected`` chosen (the editor is the team's: nothing
        is narrower for anyone)."""
        return org_directory.choose(self.options, selected)

    def listed(self, selected: int | None, near: Iterable[int], *, narrow: bool = False
               ) -> tuple[Markup, Markup]:
        """A large directory's select: the chosen organisation's tag when it is not near,
        and the near ones' tags (``directory.listed_options``)."""
        return org_directory.listed_options(self.names, selected, near)

    def found(self, text: str, selected: int | None, near: Iterable[int] = ()
              ) -> org_directory.Found:
        """What a search for ``text`` offers (``directory.found_options``)."""
        return org_directory.found_options(self.names, text, selected, near)

    def suggested(self, ids: Iterable[int]) -> Markup:
        """Name suggestions (a datalist's tags) of these organisations, by name."""
        return _name_tags(sorted((self.names[i] for i in set(ids) if i in self.names),
                                 key=str.casefold))

    def suggested_for(self, text: str) -> Markup:
        """Name suggestions of the organisations whose name matches what is typed."""
        return _name_tags(self.names[i] for i in org_directory.search(self.names.items(), text))


def _name_tags(names: Iterable[str]) -> Markup:
    return Markup("".join(  # noqa: S704 (each tag escaped by Markup.format)
        str(Markup('<option value="{}"></option>').format(name)) for name in names))


_directory_choices: BoundedCache[str, tuple[DirectoryChoices, datetime]] = BoundedCache(
    "directory choices", 4)


async def directory_choices() -> DirectoryChoices:
    """The whole directory with its option tags, escaped once per content: a country's
    4,100 organisations, twice on every editor page (suggestions and select), were a fifth
    of the server's time at national scale when the template wrote each tag. Read again
    when the shared data's stamp has changed (an organisation's triggers replace it), the
    stamp read first (``revisions.kept_under_shared_stamp``): reading the 4,100 rows to see
    whether they had changed cost the database 2 ms per editor page at national scale, and
    the process more."""
    return await revisions.kept_under_shared_stamp(_directory_choices, _read_directory_choices)


async def _read_directory_choices() -> DirectoryChoices:
    rows = await db.fetch('SELECT "id", "name", "kind", "sector" FROM "organisation" '
                          'ORDER BY "name"')
    return DirectoryChoices(rows, _name_tags(r["name"] for r in rows),
                            org_directory.option_tags((r["id"], r["name"]) for r in rows),
                            {r["id"]: r["name"] for r in rows})


async def history(family_id: int, limit: int = 500) -> list[dict]:
    """The family's network history, newest first."""
    return await NetworkChange.select().where(NetworkChange.family == family_id).order_by(
        NetworkChange.id, ascending=False).limit(limit)


async def case_facts(family_id: int) -> dict:
    """The intake's case facts; an unsaved row is all blank with version 1 (see `save_case_facts`)."""
    found = await db.rows(CaseFacts, '"family" = {}', family_id, order_by="")
    row = found[0] if found else None
    if row is None:
        row = {c._meta.name: c.get_default_value() for c in CaseFacts._meta.columns}
        row.update(id=None, family=family_id, s50_date=None, s141_date=None, version=1)
    return row


# ----------------------------------------------------------------- history and audit

PERSON_LABELS = {
    "name": "Navn", "role": "Rolle", "is_professional": "Fagperson", "sector": "Sektor",
    "organisation": "Organisation", "title": "Stilling", "phone": "Telefon", "email": "E-mail",
    "birth_year": "Fødselsår", "protected_address": "Beskyttet adresse",
    "used_violence": "Har udøvet vold", "contact_only_via_worker": "Kontakt kun via sagsbehandler",
    "notes": "Noter",
}
FACT_LABELS = {
    "public_help": "Hjælp fra andre offentlige instanser", "public_help_note": "Hvilke instanser",
    "s50_status": "§ 50-undersøgelse", "s50_date": "§ 50-dato",
    "support_measures": "Støtteforanstaltninger", "s141_plan": "§ 141-handleplan",
    "s141_date": "§ 141-dato", "special_support": "Særlig støtte i dagtilbud, skole eller PPR",
    "special_support_note": "Hvilken særlig støtte",
}


def _shown(key: str, value: Any, orgs: Mapping[int, str] | None = None) -> str:
    """A stored value as the worker reads it."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if value is None or value == "":
        return "–"
    if key == "role" and value in PersonRole._value2member_map_:
        return PersonRole(value).label_da
    if key == "sector" and value in Sector._value2member_map_:
        return Sector(value).label_da
    if key == "organisation":
        return (orgs or {}).get(value, f"#{value}")
    if key in ("public_help", "s141_plan", "special_support"):
        return ANSWERS.get(value, str(value))
    if key == "s50_status":
        return S50_STATUSES.get(value, str(value))
    if isinstance(value, date):
        return web.fmt_date(value)
    return str(value)


def _lines(values: Mapping[str, Any], labels: Mapping[str, str],
           orgs: Mapping[int, str] | None = None) -> str:
    return "\n".join(f"{labels[k]}: {_shown(k, v, orgs)}" for k, v in values.items() if k in labels)


async def _log(actor: Principal, action: str, family_id: int, entity: str, entity_id: int | None,
               summary: str, old: str = "", new: str = "", address: str = "") -> None:
    """Write the audit event and the family's history row (inside the caller's transaction)."""
    await audit.record(actor, action, entity, entity_id or "", family_id, summary, address)
    await NetworkChange.insert(NetworkChange(
        family=family_id, user_id=actor.id, username=actor.username, entity=entity,
        entity_id=entity_id, summary=summary[:2000], old_value=old, new_value=new, at=clock.now()))


# -------------------------------------------------------------------- organisations


async def resolve_organisation(actor: Principal, family_id: int, name: str, kind: str,
                               address: str = "") -> int | None:
    """The directory organisation with this name (any case), created when it is new.

    Call inside a transaction. A new organisation needs a known kind; its sector is the
    kind's default. The directory is shared by all families, so creating one is audited
    (with the family it was created from) but is not part of a family's history.
    """
    name = " ".join(name.split())
    if not name:
        return None
    key = name_key(name)
    for org in await Organisation.select(Organisation.id, Organisation.name):
        if name_key(org["name"]) == key:
            return org["id"]
    if kind not in OrganisationKind._value2member_map_:
        raise web.UserError(f"Vælg, hvilken slags organisation »{name}« er.", field="organisation_kind")
    org_kind = OrganisationKind(kind)
    rows = await Organisation.insert(Organisation(
        name=name, kind=org_kind.value, sector=org_kind.default_sector.value))
    org_id = rows[0]["id"]
    await audit.record(actor, "create", "organisation", org_id, family_id,
                       f"Organisation oprettet i kataloget: {name} ({org_kind.label_da})", address)
    return org_id


# ------------------------------------------------------------------------- people


def default_sector(data: PersonInput, org_sector: str | None) -> str:
    """The sector to store: chosen, else the employer's, else family / private network."""
    if data.sector:
        return data.sector
    if data.is_professional:
        return org_sector or Sector.OTHER.value
    if data.role in {r.value for r in FAMILY_ROLES} - {PersonRole.RELATIVE.value}:
        return Sector.FAMILY.value
    return Sector.PRIVATE_NETWORK.value


async def _person_values(actor: Principal, family_id: int, data: PersonInput,
                         address: str) -> dict[str, Any]:
    org_id = await resolve_organisation(actor, family_id, data.organisation_name,
                                        data.organisation_kind, address)
    org_sector = None
    if org_id is not None:
        org = await Organisation.select(Organisation.sector).where(Organisation.id == org_id).first()
        org_sector = org["sector"] if org else None
    return {
        "name": data.name, "role": data.role, "is_child": data.role == PersonRole.CHILD.value,
        "is_professional": data.is_professional, "sector": default_sector(data, org_sector),
        "organisation": org_id, "title": data.title, "phone": data.phone, "email": data.email,
        "birth_year": data.birth_year, "protected_address": data.protected_address,
        "used_violence": data.used_violence,
        "contact_only_via_worker": data.contact_only_via_worker, "notes": data.notes,
    }


async def _find_duplicate(family_id: int, name: str, phone: str,
                          exclude_id: int | None = None) -> dict | None:
    if not phone:
        return None
    rows = await Person.select(Person.id, Person.name, Person.phone, Person.role).where(
        Person.family == family_id)
    for row in rows:
        if row["id"] != exclude_id and is_likely_duplicate(name, phone, row["name"], row["phone"]):
            return row
    return None


async def _person_in_family(family_id: int, person_id: int | None, what: str = "Personen",
                            field: str | None = None) -> dict:
    row = None
    if person_id is not None:
        row = await Person.select().where(
            (Person.id == person_id) & (Person.family == family_id)).first()
    if row is None:
        raise web.UserError(f"{what} hører ikke til denne families netværk.", field=field)
    return row


async def _org_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in(wanted))
    return {r["id"]: r["name"] for r in rows}


async def add_person(actor: Principal, family_id: int, data: PersonInput | None, *,
                     relations: Iterable[RelationInput] = (), existing_id: int | None = None,
                     allow_duplicate: bool = False, address: str = "") -> int:
    """Add a person (or reuse ``existing_id``) and their relations in one transaction.

    A person with the same name and phone as someone already in the family raises
    `DuplicatePerson` (nothing saved) so the worker can pick the existing one, unless
    ``allow_duplicate``. Relations with ``source_id`` None start at the new person.
    """
    relations = list(relations)
    async with db.transaction():
        if existing_id is not None:
            person_id = (await _person_in_family(family_id, existing_id,
                                                 field="existing_person_id"))["id"]
        else:
            assert data is not None
            if not allow_duplicate:
                duplicate = await _find_duplicate(family_id, data.name, data.phone)
                if duplicate is not None:
                    raise DuplicatePerson(duplicate)
            values = await _person_values(actor, family_id, data, address)
            rows = await Person.insert(Person(family=family_id, **values))
            person_id = rows[0]["id"]
            orgs = await _org_names([values["organisation"]])
            role = _shown("role", data.role)
            await _log(actor, "create", family_id, "netværksperson", person_id,
                       f"Person tilføjet: {data.name} ({role})", "",
                       _lines(values, PERSON_LABELS, orgs), address)
        for rel in relations:
            if rel.target_is_new:
                rel = replace(rel, target_person_id=person_id)
            await _add_relation(actor, family_id, replace(rel, source_id=rel.source_id or person_id),
                                address)
    return person_id


async def update_person(actor: Principal, family_id: int, person_id: int, data: PersonInput,
                        version: int, address: str = "") -> None:
    """Save an edit of the person the worker saw at ``version``; `web.Conflict` if stale."""
    async with db.transaction():
        current = await _person_in_family(family_id, person_id)
        duplicate = await _find_duplicate(family_id, data.name, data.phone, exclude_id=person_id)
        if duplicate is not None:
            raise DuplicatePerson(duplicate)
        values = await _person_values(actor, family_id, data, address)
        orgs = await _org_names([values["organisation"], current["organisation"]])
        try:
            await db.update_versioned(Person, person_id, version,
                                      {**values, Person.updated_at: clock.now()})
        except web.Conflict as stale:
            raise _conflict(stale, values, orgs) from None
        changed = {k: v for k, v in values.items() if current.get(k) != v}
        if not changed:
            return
        await _log(actor, "update", family_id, "netværksperson", person_id,
                   f"Person ændret: {data.name}",
                   _lines({k: current[k] for k in changed}, PERSON_LABELS, orgs),
                   _lines(changed, PERSON_LABELS, orgs), address)
        # New contact data reaches the person's open meetings, with a note there.
        contact: dict[str, tuple[str, str]] = {
            k: (current[k] or "", changed[k] or "") for k in ("email", "phone") if k in changed}
        for listener in _CONTACT_LISTENERS:
            await listener(actor, person_id, contact, address)


ContactListener = Callable[[Principal, int, Mapping[str, tuple[str, str]], str], Awaitable[object]]
_CONTACT_LISTENERS: list[ContactListener] = []


def on_contact_changed(listener: ContactListener) -> ContactListener:
    """Register ``listener(actor, person_id, {field: (old, new)}, address)``, awaited in the
    transaction of every change to a person's e-mail or phone (the meetings keep their open
    invitations in step; the network does not import the meetings)."""
    _CONTACT_LISTENERS.append(listener)
    return listener


def _conflict(stale: web.Conflict, mine: Mapping[str, Any],
              orgs: Mapping[int, str]) -> web.Conflict:
    shown_mine = {PERSON_LABELS[k]: _shown(k, v, orgs) for k, v in mine.items() if k in PERSON_LABELS}
    shown_theirs = {PERSON_LABELS[k]: _shown(k, stale.theirs.get(k), orgs)
                    for k in mine if k in PERSON_LABELS}
    return _restated(stale, "Personen er blevet ændret af en anden, siden du åbnede den. "
                     "Se begge udgaver herunder; intet af dit er gemt.", shown_mine, shown_theirs)


def _restated(stale: web.Conflict, message: str, mine: Mapping[str, Any],
              theirs: Mapping[str, Any]) -> web.Conflict:
    """A conflict from ``db.update_versioned`` in the network forms' words (labels, shown
    values); a form that came without a version keeps saying so."""
    return web.Conflict(stale.message if stale.missing_version else message, mine, theirs,
                        missing_version=stale.missing_version)


async def remove_person(actor: Principal, family_id: int, person_id: int, version: int | None,
                        confirmed: bool, address: str = "") -> None:
    """Remove a person; with relations or keep-apart pairs only when ``confirmed``.

    The person's relations and keep-apart pairs go in the same transaction, each with
    its own history row. Unconfirmed removal of a connected person raises
    `NeedsConfirmation` listing what would go.
    """
    async with db.transaction():
        person = await _person_in_family(family_id, person_id)
        net = await load_network(family_id)
        rels = [r for r in net.relations
                if person_id in (r["source"], r["target_person"])]
        pairs = [k for k in net.keep_apart if person_id in (k["person_a"], k["person_b"])]
        described = [net.describe_relation(r) for r in rels] + \
            [net.describe_keep_apart(k) for k in pairs]
        if described and not confirmed:
            raise NeedsConfirmation(person, described)
        try:  # takes the person's row for this removal; a stale or missing version is refused
            await db.update_versioned(
                Person, person_id, version, {}, where=Person.family == family_id, shown=[],
                message="Personen er blevet ændret af en anden, siden du åbnede den. "
                        "Kontrollér ændringen, før du fjerner personen.")
        except web.Conflict as exc:  # the network editor shows the fields by their labels
            raise _restated(exc, exc.message, {"Version": str(exc.mine["version"] or "")},
                            {"Version": str(exc.theirs.get("version", ""))}) from None
        for rel, text_ in zip(rels, described[:len(rels)], strict=True):
            await Relation.delete().where(Relation.id == rel["id"])
            await _log(actor, "delete", family_id, "relation", rel["id"],
                       f"Relation fjernet sammen med {person['name']}: {text_}", text_, "", address)
        for pair in pairs:
            text_ = net.describe_keep_apart(pair)
            await KeepApart.delete().where(KeepApart.id == pair["id"])
            await _log(actor, "delete", family_id, "holdes_adskilt", pair["id"],
                       f"Aftale om at holde adskilt fjernet sammen med {person['name']}",
                       f"{text_}: {pair['reason']}", "", address)
        await Person.delete().where(Person.id == person_id)
        orgs = await _org_names([person["organisation"]])
        await _log(actor, "delete", family_id, "netværksperson", person_id,
                   f"Person fjernet: {person['name']}",
                   _lines({k: person[k] for k in PERSON_LABELS}, PERSON_LABELS, orgs), "", address)


async def connections_of(family_id: int, person_id: int) -> tuple[dict, list[str]]:
    """The person and a description of every relation and keep-apart pair they are part of
    (404 when the person is not in this family: the id comes from the path)."""
    person = await person_row(family_id, person_id)
    net = await load_network(family_id)
    described = [net.describe_relation(r) for r in net.relations
                 if person_id in (r["source"], r["target_person"])]
    described += [net.describe_keep_apart(k) for k in net.keep_apart
                  if person_id in (k["person_a"], k["person_b"])]
    return person, described


async def person_row(family_id: int, person_id: int) -> dict:
    """One person of the family (404 when not in it), with the organisation's name."""
    row = await Person.select().where(
        (Person.id == person_id) & (Person.family == family_id)).first()
    if row is None:
        raise NotFoundException()
    row["organisation_name"] = (await _org_names([row["organisation"]])).get(row["organisation"], "")
    return row


# ---------------------------------------------------------------------- relations


async def _add_relation(actor: Principal, family_id: int, rel: RelationInput, address: str) -> int:
    try:
        rtype = relation_type(rel.type)
    except UnknownRelationType:
        raise web.UserError("Ukendt relationstype. Vælg en relation fra listen.",
                            field="type") from None
    source = await _person_in_family(family_id, rel.source_id, "Personen", "source")
    if rel.target_person_id is not None and rel.target_organisation_id is not None:
        # one of them would be dropped without a word: she chooses which she meant
        raise web.UserError(f"Vælg enten en person eller en organisation, som »{rtype.label_da}« "
                            "peger på – ikke begge. Intet er gemt.", field="target")
    target_person = target_org = None
    if rtype.target_kind is NodeKind.ORGANISATION:
        if rel.target_organisation_id is None or not await Organisation.exists().where(
                Organisation.id == rel.target_organisation_id):
            raise web.UserError(f"»{rtype.label_da}« skal pege på en organisation.", field="target")
        target_org = rel.target_organisation_id
        target_name = (await _org_names([target_org]))[target_org]
    else:
        if rel.target_person_id is None:
            raise web.UserError(f"Vælg, hvem personen er {rtype.label_da}.", field="target")
        if rel.target_person_id == source["id"]:
            raise web.UserError("En person kan ikke have en relation til sig selv.", field="target")
        target = await _person_in_family(family_id, rel.target_person_id, "Den valgte person",
                                         "target")
        target_person, target_name = target["id"], target["name"]
    same = Relation.select(Relation.id).where(
        (Relation.family == family_id) & (Relation.source == source["id"])
        & (Relation.type == rtype.key))
    same = same.where(Relation.target_organisation == target_org) if target_org is not None \
        else same.where(Relation.target_person == target_person)
    if await same.first():
        raise web.UserError(f"Relationen »{source['name']} {rtype.label_da} {target_name}« "
                            "findes allerede.", field="type")
    rows = await Relation.insert(Relation(
        family=family_id, source=source["id"], target_person=target_person,
        target_organisation=target_org, type=rtype.key, note=rel.note))
    relation_id = rows[0]["id"]
    text_ = f"{source['name']} {rtype.label_da} {target_name}"
    await _log(actor, "create", family_id, "relation", relation_id, f"Relation tilføjet: {text_}",
               "", text_ + (f"\nHjælp/note: {rel.note}" if rel.note else ""), address)
    return relation_id


async def add_relation(actor: Principal, family_id: int, rel: RelationInput,
                       address: str = "") -> int:
    """Add one typed relation (validated: known type, not to oneself, same family, not twice)."""
    async with db.transaction():
        return await _add_relation(actor, family_id, rel, address)


async def _relation_in_family(family_id: int, relation_id: int) -> dict:
    row = await Relation.select().where(
        (Relation.id == relation_id) & (Relation.family == family_id)).first()
    if row is None:
        raise NotFoundException()
    return row


async def relation_row(family_id: int, relation_id: int) -> dict:
    """One relation of the family (404 when not in it)."""
    return await _relation_in_family(family_id, relation_id)


async def update_relation(actor: Principal, family_id: int, relation_id: int, type_: str,
                          note: str, version: int, address: str = "") -> None:
    """Change a relation's type or help note; `web.Conflict` when someone else saved first."""
    async with db.transaction():
        current = await _relation_in_family(family_id, relation_id)
        try:
            rtype = relation_type(type_)
        except UnknownRelationType:
            raise web.UserError("Ukendt relationstype. Vælg en relation fra listen.",
                                field="type") from None
        if rtype.target_kind is not relation_type(current["type"]).target_kind:
            raise web.UserError("Den relationstype passer ikke til relationens mål. Fjern "
                                "relationen, og opret en ny.", field="type")
        labels = {"type": "Relation", "note": "Hjælp/note"}
        mine = {"Relation": rtype.label_da, "Hjælp/note": note or "–"}
        theirs = {"Relation": RELATION_TYPES[current["type"]].label_da,
                  "Hjælp/note": current["note"] or "–"}
        try:
            await db.update_versioned(Relation, relation_id, version,
                                      {Relation.type: rtype.key, Relation.note: note})
        except web.Conflict as exc:
            raise _restated(exc, "Relationen er blevet ændret af en anden imens. Intet af dit "
                            "er gemt.", mine, theirs) from None
        net = await load_network(family_id)
        changed = {k: v for k, v in {"type": rtype.key, "note": note}.items() if current[k] != v}
        if changed:
            await _log(actor, "update", family_id, "relation", relation_id,
                       f"Relation ændret: {net.describe_relation({**current, 'type': rtype.key})}",
                       "\n".join(f"{labels[k]}: {theirs[labels[k]]}" for k in changed),
                       "\n".join(f"{labels[k]}: {mine[labels[k]]}" for k in changed), address)


async def remove_relation(actor: Principal, family_id: int, relation_id: int,
                          address: str = "") -> None:
    """Remove one relation, with history."""
    async with db.transaction():
        current = await _relation_in_family(family_id, relation_id)
        net = await load_network(family_id)
        text_ = net.describe_relation(current)
        await Relation.delete().where(Relation.id == relation_id)
        await _log(actor, "delete", family_id, "relation", relation_id,
                   f"Relation fjernet: {text_}",
                   text_ + (f"\nHjælp/note: {current['note']}" if current["note"] else ""), "",
                   address)


# -------------------------------------------------------------------- keep apart


async def add_keep_apart(actor: Principal, family_id: int, person_a: int | None,
                         person_b: int | None, reason: str, address: str = "") -> int:
    """Record that two people of this family must be kept apart (not oneself, not twice)."""
    async with db.transaction():
        if person_a is not None and person_a == person_b:
            raise web.UserError("En person kan ikke holdes adskilt fra sig selv.", field="person_b")
        a = await _person_in_family(family_id, person_a, "Den første person", "person_a")
        b = await _person_in_family(family_id, person_b, "Den anden person", "person_b")
        exists = await KeepApart.exists().where(
            (KeepApart.family == family_id)
            & (((KeepApart.person_a == a["id"]) & (KeepApart.person_b == b["id"]))
               | ((KeepApart.person_a == b["id"]) & (KeepApart.person_b == a["id"]))))
        if exists:
            raise web.UserError(f"{a['name']} og {b['name']} skal allerede holdes adskilt.",
                                field="person_b")
        rows = await KeepApart.insert(KeepApart(family=family_id, person_a=a["id"],
                                                person_b=b["id"], reason=reason,
                                                created_by=actor.id))
        pair_id = rows[0]["id"]
        await _log(actor, "create", family_id, "holdes_adskilt", pair_id,
                   f"Skal holdes adskilt: {a['name']} og {b['name']}", "",
                   f"{a['name']} og {b['name']} holdes adskilt\nBegrundelse: {reason or '–'}",
                   address)
        return pair_id


async def keep_apart_row(family_id: int, pair_id: int) -> dict:
    """One keep-apart pair of the family (404 when not in it)."""
    row = await KeepApart.select().where(
        (KeepApart.id == pair_id) & (KeepApart.family == family_id)).first()
    if row is None:
        raise NotFoundException()
    return row


async def update_keep_apart(actor: Principal, family_id: int, pair_id: int, reason: str,
                            version: int, address: str = "") -> None:
    """Change the reason of a keep-apart pair; `web.Conflict` when stale."""
    async with db.transaction():
        current = await keep_apart_row(family_id, pair_id)
        mine, theirs = {"Begrundelse": reason or "–"}, {"Begrundelse": current["reason"] or "–"}
        try:
            await db.update_versioned(KeepApart, pair_id, version, {KeepApart.reason: reason})
        except web.Conflict as exc:
            raise _restated(exc, "Aftalen er blevet ændret af en anden imens. Intet af dit er "
                            "gemt.", mine, theirs) from None
        if current["reason"] != reason:
            net = await load_network(family_id)
            await _log(actor, "update", family_id, "holdes_adskilt", pair_id,
                       f"Begrundelse ændret: {net.describe_keep_apart(current)}",
                       f"Begrundelse: {theirs['Begrundelse']}",
                       f"Begrundelse: {mine['Begrundelse']}", address)


async def remove_keep_apart(actor: Principal, family_id: int, pair_id: int,
                            address: str = "") -> None:
    """End a keep-apart agreement, with history."""
    async with db.transaction():
        current = await keep_apart_row(family_id, pair_id)
        net = await load_network(family_id)
        text_ = net.describe_keep_apart(current)
        await KeepApart.delete().where(KeepApart.id == pair_id)
        await _log(actor, "delete", family_id, "holdes_adskilt", pair_id,
                   f"Aftale fjernet: {text_}", f"{text_}\nBegrundelse: {current['reason'] or '–'}",
                   "", address)


# --------------------------------------------------------------------- case facts


async def save_case_facts(actor: Principal, family_id: int, values: Mapping[str, Any],
                          version: int, address: str = "") -> int:
    """Save some of the intake's case facts; returns the new version.

    The row is created on first save (version 1, what `case_facts` shows for a missing
    row), so two first savers conflict like any other two writers.
    """
    unknown = set(values) - set(FACT_LABELS)
    if unknown:
        raise ValueError(f"Unknown case fact fields: {sorted(unknown)}")
    async with db.transaction():
        await CaseFacts.insert(CaseFacts(family=family_id)).on_conflict(
            target=CaseFacts.family, action="DO NOTHING")
        current = await CaseFacts.select().where(CaseFacts.family == family_id).first()
        if current is None:  # inserted just above when missing
            raise AssertionError(f"No case facts row for family {family_id}")
        mine = {FACT_LABELS[k]: _shown(k, v) for k, v in values.items()}
        theirs = {FACT_LABELS[k]: _shown(k, current[k]) for k in values}
        try:
            updated = await db.update_versioned(
                CaseFacts, family_id, version, {**values, CaseFacts.updated_at: clock.now()},
                key=CaseFacts.family)
        except web.Conflict as exc:
            raise _restated(exc, "Sagsoplysningerne er blevet ændret af en anden, siden du "
                            "åbnede siden. Intet af dit er gemt.", mine, theirs) from None
        changed = {k: v for k, v in values.items() if current[k] != v}
        if changed:
            await _log(actor, "update", family_id, "sagsoplysninger", current["id"],
                       "Sagsoplysninger ændret: " + ", ".join(FACT_LABELS[k] for k in changed),
                       _lines({k: current[k] for k in changed}, FACT_LABELS),
                       _lines(changed, FACT_LABELS), address)
        return updated["version"]


def case_facts_shown(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The answered case facts as (label, value) pairs for the family page."""
    return [(FACT_LABELS[k], _shown(k, facts.get(k))) for k in FACT_LABELS
            if facts.get(k) not in (None, "")]


# ---------------------------------------------------------------- family page section


def safety_words(person: Mapping[str, Any], net: Network) -> list[str]:
    """A person's safety markers in words (never only a colour or a symbol)."""
    words = []
    if person["protected_address"]:
        words.append("Beskyttet adresse")
    if person["used_violence"]:
        words.append("Har udøvet vold")
    if person["contact_only_via_worker"]:
        words.append("Kontakt kun via sagsbehandler")
    for pair in net.keep_apart:
        if person["id"] in (pair["person_a"], pair["person_b"]):
            other = pair["person_b"] if pair["person_a"] == person["id"] else pair["person_a"]
            words.append(f"Holdes adskilt fra {net.person_name(other)}")
    return words


def people_table(net: Network) -> list[dict]:
    """One row per person for the screen-reader table that mirrors the map."""
    snap_people = {p.id: p for p in net.snapshot.people}
    child_ids = {c["id"] for c in net.children}
    # The relations between people with a child at one end, in the network's order: found
    # once, then each person's among them.
    with_children = [r for r in net.relations if r["target_organisation"] is None
                     and (r["source"] in child_ids or r["target_person"] in child_ids)]
    rows = []
    for person in net.people:
        to_children = [net.describe_relation(r) for r in with_children
                       if person["id"] in (r["source"], r["target_person"])]
        sector = graph.effective_sector(net.snapshot, snap_people[person["id"]])
        rows.append({
            "id": person["id"], "name": person["name"],
            "role": _shown("role", person["role"]),
            "kind": "Fagperson" if person["is_professional"] else "Privat",
            "sector": sector.label_da, "organisation": person["organisation_name"],
            "title": person["title"], "phone": person["phone"], "email": person["email"],
            "relations": to_children, "safety": safety_words(person, net),
            "version": person["version"],
        })
    return rows


def ecomap_markup(net: Network) -> str:
    """The family's ecomap as CSP-safe inline SVG (the family in the centre), at its natural
    size: the page shows it in a zoomable view where every label is legible."""
    return ecomap.ecomap_svg(net.snapshot, id_prefix=f"ecomap-{net.family_id}",
                             natural_size=True, inline=True)


def printable_ecomap(net: Network) -> str:
    """The ecomap as CSP-safe inline SVG that fills its page (the A4 landscape print view)."""
    return ecomap.ecomap_svg(net.snapshot, id_prefix=f"ecomap-print-{net.family_id}", inline=True)


def focus_choices(rows: list[dict]) -> list[tuple[str, str]]:
    """The people the ecomap can focus on, as (node key, label) sorted by name; the label
    adds role and organisation, so two people with the same name can be told apart."""
    choices = []
    for row in rows:
        extra = ", ".join(part for part in (row["role"], row["organisation"])
                          if part and part != "–")
        choices.append((f"p:{row['id']}", f"{row['name']} ({extra})" if extra else row["name"]))
    return sorted(choices, key=lambda choice: (choice[1].casefold(), choice[0]))


_views: BoundedCache[tuple[int, graph.NetworkSnapshot], tuple[str, Any, Any, dict]] = BoundedCache(
    "network views", 4096, max_size=24 * 1024 * 1024, size=lambda views: len(views[0]))


def network_views(net: Network) -> tuple[str, Any, Any, dict]:
    """The ecomap SVG, who-does-what, the coordination gaps and each child's network
    strength; computed once per network content (the SVG was ~20 % of the family page).

    Kept in an LRU bounded by the SVGs' size (24 MB, some thousand families), keyed by the
    family id and the snapshot itself (frozen, compared field by field): an entry is reused
    only for an identical network, so no version has to be kept in step with the writes,
    and every process is correct on its own. The section is built only after the family's
    access check; the values are never mutated.
    """
    key = (net.family_id, net.snapshot)
    cached = _views.get(key)
    if cached is not None:
        return cached
    strength = {s.child_id: s for s in graph.private_network_strength(net.snapshot)}
    views = (ecomap_markup(net), graph.who_does_what(net.snapshot),
             graph.coordination_gaps(net.snapshot), strength)
    _views.put(key, views)
    return views


async def section_context(net: Network) -> dict[str, Any]:
    """What the family page's network section and the intake's result show."""
    svg, overview, gaps, strength = network_views(net)
    facts = await case_facts(net.family_id)
    rows = people_table(net)
    return {
        "net": net,
        "svg": svg,
        "focus_choices": focus_choices(rows),
        "people_rows": rows,
        "overview": overview,
        "overview_by_person": graph.who_does_what_by_person(overview),
        "gaps": gaps,
        "gap_groups": graph.group_gaps(gaps),
        "strength": strength,
        "facts": case_facts_shown(facts),
    }


async def family_section(user: Principal, family: dict) -> dict[str, Any]:
    """The loader for the family page (the family row is already authorised and audited).
    A network the graph cannot take is said in the section; the rest of the page opens."""
    try:
        net = await load_network(family["id"])
    except BrokenNetwork as broken:
        return {"broken": broken.message}
    return await section_context(net)


# -------------------------------------------------------------------- the directory

DIRECTORY_ENTITY = "organisation"


async def organisations(text: str = "") -> list[dict]:
    """The organisation directory by name, optionally those whose name contains ``text``."""
    query = Organisation.select().order_by(Organisation.name)
    rows = await query
    wanted = text.casefold().strip()
    return [r for r in rows if wanted in r["name"].casefold()] if wanted else rows


async def organisation_row(organisation_id: int) -> dict:
    """One organisation (404 when there is none)."""
    row = await Organisation.select().where(Organisation.id == organisation_id).first()
    if row is None:
        raise web.UserError("Organisationen findes ikke.", 404)
    return row


async def organisation_history(organisation_id: int) -> list[dict]:
    """Who changed the organisation, when and how (from the audit log), newest first."""
    return await AuditEvent.select(AuditEvent.at, AuditEvent.username, AuditEvent.summary).where(
        (AuditEvent.entity == DIRECTORY_ENTITY) & (AuditEvent.entity_id == str(organisation_id))
    ).order_by(AuditEvent.id, ascending=False)


_ORG_FIELDS = {"name": "Navn", "kind": "Type", "sector": "Sektor", "address": "Adresse",
               "phone": "Telefon", "email": "E-mail", "location_protected": "Beskyttet adresse"}


def _org_changes(old: Mapping[str, Any], new: org_directory.OrganisationData) -> list[str]:
    changes = []
    for key, label in _ORG_FIELDS.items():
        before, after = old.get(key), getattr(new, key)
        if before != after:
            changes.append(f"{label}: »{_shown_org(key, before)}« → »{_shown_org(key, after)}«")
    return changes


def _shown_org(key: str, value: Any) -> str:
    if key == "location_protected":
        return "ja" if value else "nej"
    if key == "kind" and value in {k.value for k in OrganisationKind}:
        return OrganisationKind(value).label_da
    if key == "sector" and value in {s.value for s in Sector}:
        return Sector(value).label_da
    return "" if value is None else str(value)


async def _same_name(name: str, other_than: int | None) -> dict | None:
    rows = await Organisation.select(Organisation.id, Organisation.name)
    return next((r for r in rows if r["name"].casefold() == name.casefold()
                 and r["id"] != other_than), None)


async def save_organisation(actor: Principal, organisation_id: int | None,
                            data: org_directory.OrganisationData, version: int | None = None,
                            address: str = "") -> int:
    """Create or change a directory organisation; audited with every changed field. Names
    are unique (any case); a change made by someone else meanwhile is a conflict."""
    async with db.transaction():
        clash = await _same_name(data.name, organisation_id)
        if clash is not None:
            raise web.UserError(f"Der findes allerede en organisation, der hedder »{clash['name']}«.",
                                field="name")
        values = {getattr(Organisation, key): getattr(data, key) for key in _ORG_FIELDS}
        if organisation_id is None:
            rows = await Organisation.insert(Organisation(**{k: getattr(data, k) for k in _ORG_FIELDS}))
            new_id = rows[0]["id"]
            await audit.record(actor, "create", DIRECTORY_ENTITY, new_id, None,
                               f"Oprettet: {data.name}", address)
            return new_id
        old = await organisation_row(organisation_id)
        changes = _org_changes(old, data)
        if not changes and version == old["version"]:
            return organisation_id
        try:
            await db.update_versioned(Organisation, organisation_id, version, values)
        except web.Conflict as exc:
            raise _restated(exc, "En anden har ændret organisationen, mens du skrev. Se begge "
                            "udgaver, og gem igen.",
                            {label: _shown_org(k, getattr(data, k)) for k, label in _ORG_FIELDS.items()},
                            {label: _shown_org(k, old[k]) for k, label in _ORG_FIELDS.items()}
                            ) from None
        await audit.record(actor, "update", DIRECTORY_ENTITY, organisation_id, None,
                           f"{data.name}: " + "; ".join(changes), address)
        return organisation_id


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[org_directory.RowError, ...] = ()


async def import_organisations(actor: Principal, data: bytes, address: str = "") -> ImportResult:
    """Import a directory CSV: every row valid, or nothing is imported (with the errors per
    row). Rows naming an existing organisation (any case) update it; others are created."""
    rows, errors = org_directory.parse_csv(data)
    if errors:
        return ImportResult(errors=tuple(errors))
    created = updated = unchanged = 0
    async with db.transaction():
        existing = {r["name"].casefold(): r for r in await Organisation.select()}
        for org in rows:
            old = existing.get(org.name.casefold())
            if old is None:
                await save_organisation(actor, None, org, address=address)
                created += 1
            elif _org_changes(old, org):
                await save_organisation(actor, old["id"], org, old["version"], address=address)
                updated += 1
            else:
                unchanged += 1
    return ImportResult(created, updated, unchanged)
