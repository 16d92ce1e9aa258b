"""Use cases that open and run a case: opening a family with its first persons, the team
(add, remove, tovholder, handover) and the family's stays at the crisis centre (§ 109).

Every change is one transaction, audited, and decided by the access policy: only the
family's team changes its team and stays (``load_family`` with WRITE, done by the routes).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.auth.roles import CASE_HOLDERS, CASE_WORKERS
from coordinator.auth.roles import values as role_values
from coordinator.auth.tables import User
from coordinator.cache import BoundedCache
from coordinator.families import revisions
from coordinator.families.service import families_for
from coordinator.families.tables import Family, TeamMember
from coordinator.followup.tables import Stay
from coordinator.network import service as network
from coordinator.network.service import PersonInput, RelationInput
from coordinator.network.tables import Person

# The roles a colleague can have on a family's team (issue 15), in the order offered.
TEAM_ROLES = ("Socialrådgiver", "Kontaktperson", "Børne- og ungepædagog",
              "Socialrådgiver i Familieafdelingen")
# § 109 stk. 7: after-care up to six months after the stay ended.
AFTER_CARE_MONTHS = 6
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{1,30}$")


# ------------------------------------------------------------------------ opening a case

@dataclass(frozen=True)
class NewPerson:
    """One of the first persons of a new case."""

    name: str
    birth_year: int | None = None
    protected: bool = False


@dataclass(frozen=True)
class NewCase:
    """What the "Opret familie" form asks for."""

    name: str
    reference: str
    at_crisis_centre: bool
    stay_from: date | None = None
    mother: NewPerson | None = None
    children: tuple[NewPerson, ...] = ()
    father: NewPerson | None = None
    father_used_violence: bool = False
    confirmed_duplicates: bool = False

    @property
    def people(self) -> list[NewPerson]:
        """Everybody the form names, mother first."""
        return [p for p in (self.mother, *self.children, self.father) if p is not None]


_WIDTH = 4  # "2026-0042"
_MOST_DIGITS = 6  # longer numbers are typed text, not the year's numbering
_PREFIX = len("2026-")

# The year's highest number of each length (one to _MOST_DIGITS digits), one column each,
# from the end of the index of the families migration 2026-12-06T22:00: each subquery reads
# its length's part of the index backwards, past typed references that are not numbers.
# Scalar subqueries, which both engines take (SQLite has no LIMIT inside a UNION).
_HIGHEST_NUMBERS = {
    engine: "SELECT " + ", ".join(
        f'(SELECT "reference" FROM "family" WHERE substr("reference", 1, {_PREFIX}) = {{}} '
        f'AND length("reference") = {_PREFIX + digits} '
        f'AND substr("reference", {_PREFIX + 1}) {only_digits} '
        f'ORDER BY "reference" DESC LIMIT 1) AS "digits_{digits}"'
        for digits in range(_MOST_DIGITS, 0, -1))
    for engine, only_digits in (("postgresql", "!~ '[^0-9]'"),
                                ("sqlite", "NOT GLOB '*[^0-9]*'"))}


async def suggest_reference(today: date | None = None) -> str:
    """The next case reference of the year, "2026-0042": one past the highest number the
    year has (up to six digits: a longer one is a typed reference, not the numbering), never
    one in use. On every start page, so it reads the end of an index in one statement: the
    highest number of each length (among numbers of one length the highest text is the
    highest number; "0042" and "586" are compared as numbers here)."""
    prefix = f"{(today or clock.today()).year}-"
    rows = await db.fetch(_HIGHEST_NUMBERS[db.engine_name()], *[prefix] * _MOST_DIGITS,
                          quick=True)
    highest = max((int(reference[len(prefix):]) for reference in rows[0].values()
                   if reference), default=0)
    number = highest + 1
    if number >= 10 ** _MOST_DIGITS:  # a million cases in one year: read them all
        taken = {row["reference"] for row in await Family.select(Family.reference).where(
            Family.reference.like(f"{prefix}%"))}
        while f"{prefix}{number:0{_WIDTH}d}" in taken:
            number += 1
    return f"{prefix}{number:0{_WIDTH}d}"


@dataclass(frozen=True)
class PossibleDuplicate:
    """A person in another case the user may see who looks like one of the new persons."""

    family_id: int
    family_name: str
    reference: str
    person_name: str
    birth_year: int | None


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


async def possible_duplicates(user: Principal, case: NewCase) -> list[PossibleDuplicate]:
    """Persons with the same name and birth year (or the same full name when no year is
    given) in the cases whose team the user is on: offered, never blocking."""
    wanted = {(_key(p.name), p.birth_year) for p in case.people if len(p.name.split()) >= 2
              or p.birth_year is not None}
    if not wanted:
        return []
    mine = {f["id"]: f for f in await families_for(user, include_closed=True)}
    if not mine:
        return []
    names = {name for name, _ in wanted}
    rows = await Person.select(Person.family, Person.name, Person.birth_year).where(
        Person.family.is_in(list(mine)))
    found = []
    for row in rows:
        key = _key(row["name"])
        if key not in names:
            continue
        if (key, row["birth_year"]) in wanted or (key, None) in wanted:
            family = mine[row["family"]]
            found.append(PossibleDuplicate(family["id"], family["name"], family["reference"],
                                           row["name"], row["birth_year"]))
    return found


class DuplicateSuspicion(web.UserError):
    """The new case looks like one the user already has: shown with the form, not a stop."""

    def __init__(self, matches: list[PossibleDuplicate]) -> None:
        super().__init__("Nogle af personerne findes måske allerede i en anden sag. Se listen, "
                         "og sæt flueben i »Opret alligevel«, hvis det er en ny familie.", 409,
                         field="confirm_duplicates")
        self.matches = matches


def _check(case: NewCase) -> None:
    if not case.name.strip():
        raise web.UserError("Skriv familiens navn, som teamet kalder den.", field="name")
    if not _REFERENCE.match(case.reference):
        raise web.UserError("Sagsnummeret skal være 2–31 tegn: bogstaver, tal, mellemrum, "
                            "punktum, skråstreg eller bindestreg.", field="reference")
    if case.at_crisis_centre and case.stay_from is None:
        raise web.UserError("Skriv datoen for indskrivningen på krisecentret.", field="stay_from")
    if case.stay_from is not None and case.stay_from > clock.today():
        raise web.UserError("Indskrivningen kan ikke ligge i fremtiden.", field="stay_from")
    if case.father_used_violence and case.father is None:
        raise web.UserError("Skriv fars navn, hvis far har udøvet vold.", field="father_name")


async def open_case(user: Principal, case: NewCase, address: str = "") -> int:
    """Open a family: the case, the creator on its team as tovholder, the first persons
    with their relations, keep-apart when the father used violence, and the stay when the
    family is at the crisis centre. One transaction; everything audited."""
    _check(case)
    if await Family.exists().where(Family.reference == case.reference):
        raise web.UserError(f"Sagsnummeret {case.reference} findes allerede. Brug forslaget "
                            f"{await suggest_reference()} eller et andet nummer.", field="reference")
    if not case.confirmed_duplicates:
        matches = await possible_duplicates(user, case)
        if matches:
            raise DuplicateSuspicion(matches)
    async with db.transaction():
        rows = await Family.insert(Family(
            reference=case.reference, name=case.name.strip(), opened_on=clock.today(),
            at_crisis_centre=case.at_crisis_centre))
        family_id = rows[0]["id"]
        await TeamMember.insert(TeamMember(family=family_id, user=user.id,
                                           team_role=TEAM_ROLES[0], lead=True))
        await audit.record(user, "create", "familie", family_id, family_id,
                           f"Sag oprettet: {case.name.strip()} ({case.reference})", address)
        mother = await _add(user, family_id, case.mother, "mother", address)
        father = await _add(user, family_id, case.father, "father", address,
                            used_violence=case.father_used_violence)
        for child in case.children:
            relations = [RelationInput(type=kind, source_id=parent, target_is_new=True)
                         for kind, parent in (("mother_of", mother), ("father_of", father))
                         if parent is not None]
            await network.add_person(user, family_id, PersonInput(
                name=child.name, role="child", birth_year=child.birth_year,
                protected_address=child.protected), relations=relations,
                allow_duplicate=True, address=address)
        if mother is not None and father is not None and case.father_used_violence:
            await network.add_keep_apart(user, family_id, mother, father,
                                         "Far har udøvet vold (registreret ved oprettelsen).",
                                         address)
        if case.at_crisis_centre and case.stay_from is not None:
            await _start_stay(user, family_id, case.stay_from, address)
    return family_id


async def _add(user: Principal, family_id: int, person: NewPerson | None, role: str,
               address: str, used_violence: bool = False) -> int | None:
    if person is None:
        return None
    return await network.add_person(user, family_id, PersonInput(
        name=person.name, role=role, birth_year=person.birth_year,
        protected_address=person.protected, used_violence=used_violence),
        allow_duplicate=True, address=address)


# ------------------------------------------------------------------------ the team

@dataclass
class TeamView:
    """The team section of the family page."""

    members: list[dict]
    colleagues: list[dict] = field(default_factory=list)  # who can be added
    roles: tuple[str, ...] = TEAM_ROLES

    # The colleague lists as ``<option>`` tags, each colleague's tag escaped once per
    # process: hundreds of options rendered by the template were a tenth of a family page.
    @property
    def colleague_options(self) -> Markup:
        """Everyone who can be added to the team."""
        return colleague_options(self.colleagues)

    @property
    def handover_options(self) -> Markup:
        """Who the case can be handed over to (case holders)."""
        return Markup("".join(_option(u["id"], u["full_name"], u["unit"] or "")
                              for u in self.colleagues if u["role"] in _CASE_HOLDER_ROLES))


def colleague_options(colleagues: Sequence[Mapping[str, Any]]) -> Markup:
    """The ``<option>`` tags of a list of colleagues (``colleague_choices``), each escaped
    once per process."""
    return Markup("".join(_option(u["id"], u["full_name"], u["unit"] or "") for u in colleagues))


@functools.lru_cache(maxsize=8192)
def _option(user_id: int, full_name: str, unit: str) -> str:
    return str(Markup('<option value="{}">{}</option>').format(
        user_id, f"{full_name}, {unit}" if unit else full_name))


async def team_view(family_id: int, viewer_unit: str = "") -> TeamView:
    """The team with its tovholder, and the active colleagues who are not on it."""
    members = await db.fetch(
        'SELECT t."id", t."team_role", t."lead", u."id" AS "user_id", u."full_name", u."role", '
        'u."unit" FROM "team_member" t LEFT JOIN "app_user" u ON u."id" = t."user" '
        'WHERE t."family" = {} ORDER BY u."full_name"', family_id, quick=True)
    colleagues = await colleague_choices(
        _COLLEAGUE_ROLES, [m["user_id"] for m in members],
        {m["unit"] or "" for m in members} | {viewer_unit})
    return TeamView(members, colleagues)


_COLLEAGUE_ROLES = tuple(role_values(CASE_WORKERS))
_CASE_HOLDER_ROLES = frozenset(role_values(CASE_HOLDERS))
# A list of colleagues is read by a person. Where one database serves many municipalities
# (thousands of users; 6,450 in the national benchmark made each family page a 6,450-option
# list and cost ~100 ms), a longer list offers the units already on the team and the
# reader's own unit.
COLLEAGUE_LIST_LIMIT = 400


_active_users: BoundedCache[tuple[str, tuple[str, ...]], tuple[dict, ...]] = BoundedCache(
    "active users by role", 8)


async def _active_with_roles(roles: Sequence[str]) -> tuple[dict, ...]:
    """Active users with one of ``roles``, by name as the database sorts them: read again
    only when the shared data's stamp has changed (users are shared data), the stamp
    first. A country's 6,450 users were two 400-row reads on every family page."""
    stamp = await revisions.shared_stamp()
    key = (stamp, tuple(roles))
    kept = _active_users.get(key)
    if kept is None:
        kept = tuple(await db.fetch(
            'SELECT "id", "full_name", "unit", "role" FROM "app_user" '
            f'WHERE "active" AND "role" IN ({db.marks(roles)}) ORDER BY "full_name"', *roles))
        _active_users.put(key, kept)
    return kept


async def colleagues_past_the_limit(roles: Sequence[str]) -> bool:
    """Whether more active users have one of ``roles`` than a list offers
    (``COLLEAGUE_LIST_LIMIT``): only then does ``colleague_choices`` use the units near the
    case, so a caller reads them only then."""
    return len(await _active_with_roles(roles)) > COLLEAGUE_LIST_LIMIT


_colleague_lists: BoundedCache[tuple[str, tuple[str, ...], frozenset[int], frozenset[str], int],
                               tuple[dict, ...]] = BoundedCache("colleague lists", 1024)


async def colleague_choices(roles: Sequence[str], exclude: Sequence[int],
                            near_units: set[str]) -> list[dict]:
    """Active users with one of ``roles`` (not ``exclude``), by name: everyone when they
    are at most ``COLLEAGUE_LIST_LIMIT``, else those of ``near_units``. Kept per shared
    stamp, roles, exclusions and units (the stamp first): picking a country's 6,450 users
    through was a tenth of a meeting page at national scale."""
    excluded = frozenset(exclude)
    units = frozenset(u for u in near_units if u.strip())
    key = (await revisions.shared_stamp(), tuple(roles), excluded, units, COLLEAGUE_LIST_LIMIT)
    kept = _colleague_lists.get(key)
    if kept is None:
        users = [user for user in await _active_with_roles(roles) if user["id"] not in excluded]
        if len(users) > COLLEAGUE_LIST_LIMIT and units:
            users = [user for user in users if user["unit"] in units]
        kept = tuple(users[:COLLEAGUE_LIST_LIMIT])
        _colleague_lists.put(key, kept)
    return [dict(user) for user in kept]


def _team_role(value: str) -> str:
    if value not in TEAM_ROLES:
        raise web.UserError("Vælg en rolle på teamet fra listen.", field="team_role")
    return value


async def add_member(user: Principal, family_id: int, colleague_id: int, team_role: str,
                     lead: bool = False, address: str = "") -> None:
    """Put a colleague on the team with a team role (and as tovholder), audited."""
    role = _team_role(team_role)
    async with db.transaction():
        colleague = await User.select(User.id, User.full_name, User.active).where(
            User.id == colleague_id).first()
        if colleague is None or not colleague["active"]:
            raise web.UserError("Vælg en aktiv kollega.", field="user")
        if await TeamMember.exists().where((TeamMember.family == family_id)
                                           & (TeamMember.user == colleague_id)):
            raise web.UserError(f"{colleague['full_name']} er allerede på teamet.", field="user")
        if lead:
            await TeamMember.update({TeamMember.lead: False}).where(TeamMember.family == family_id)
        await TeamMember.insert(TeamMember(family=family_id, user=colleague_id, team_role=role,
                                           lead=lead))
        await audit.record(user, "update", "team", colleague_id, family_id,
                           f"{colleague['full_name']} tilføjet til teamet som {role}"
                           + (" (tovholder)" if lead else ""), address)


async def remove_member(user: Principal, family_id: int, member_id: int, address: str = "") -> int:
    """Take a colleague off the team; the team keeps at least one socialrådgiver-type member
    and a tovholder (the lead moves to the longest-serving member left). Returns the user
    taken off."""
    async with db.transaction():
        members = await TeamMember.select(
            TeamMember.id, TeamMember.lead, TeamMember.user,
            TeamMember.user.full_name.as_alias("full_name"),
            TeamMember.user.role.as_alias("role"),
        ).where(TeamMember.family == family_id).order_by(TeamMember.id)
        member = next((m for m in members if m["id"] == member_id), None)
        if member is None:
            raise web.UserError("Personen er ikke på teamet.", 404)
        rest = [m for m in members if m["id"] != member_id]
        if not any(m["role"] in _CASE_HOLDER_ROLES for m in rest):
            raise web.UserError("Teamet skal have mindst én socialrådgiver eller leder. Tilføj "
                                "en anden først, eller overdrag sagen.", field="member")
        await TeamMember.delete().where(TeamMember.id == member_id)
        if member["lead"]:
            await TeamMember.update({TeamMember.lead: True}).where(TeamMember.id == rest[0]["id"])
        await audit.record(user, "update", "team", member["user"], family_id,
                           f"{member['full_name']} fjernet fra teamet", address)
    return int(member["user"])


async def handover(user: Principal, family_id: int, colleague_id: int, address: str = "") -> None:
    """Move the lead (tovholder) to a colleague, typically from the crisis centre to
    Familieafdelingen at move-out: they join the team if needed and become tovholder."""
    async with db.transaction():
        colleague = await User.select(User.id, User.full_name, User.active, User.role).where(
            User.id == colleague_id).first()
        if colleague is None or not colleague["active"] or colleague["role"] not in _CASE_HOLDER_ROLES:
            raise web.UserError("Vælg en aktiv socialrådgiver at overdrage sagen til.",
                                field="handover_user")
        await TeamMember.update({TeamMember.lead: False}).where(TeamMember.family == family_id)
        if await TeamMember.exists().where((TeamMember.family == family_id)
                                           & (TeamMember.user == colleague_id)):
            await TeamMember.update({TeamMember.lead: True}).where(
                (TeamMember.family == family_id) & (TeamMember.user == colleague_id))
        else:
            await TeamMember.insert(TeamMember(family=family_id, user=colleague_id,
                                               team_role=TEAM_ROLES[3], lead=True))
        await audit.record(user, "update", "team", colleague_id, family_id,
                           f"Sagen overdraget til {colleague['full_name']} (tovholder)", address)


# ------------------------------------------------------------------------ stays (§ 109)

@dataclass(frozen=True)
class StayView:
    """One stay with its after-care period."""

    id: int
    started_on: date
    ended_on: date | None
    after_care_until: date | None

    @property
    def current(self) -> bool:
        """The family is at the crisis centre on this stay now."""
        return self.ended_on is None


def after_care_until(ended_on: date | None) -> date | None:
    """The last day of after-care (§ 109 stk. 7): six months after move-out."""
    return ended_on + relativedelta(months=AFTER_CARE_MONTHS) if ended_on else None


async def stays_of(family_id: int) -> list[StayView]:
    """The family's stays, newest first."""
    rows = await db.rows(Stay, '"family" = {}', family_id, order_by='"started_on" DESC')
    return [StayView(r["id"], r["started_on"], r["ended_on"], after_care_until(r["ended_on"]))
            for r in rows]


async def _start_stay(user: Principal, family_id: int, on: date, address: str) -> None:
    rows = await Stay.insert(Stay(family=family_id, started_on=on))
    await _set_at_centre(family_id, True)
    await audit.record(user, "create", "ophold", rows[0]["id"], family_id,
                       f"Indskrevet på krisecentret {web.fmt_date(on)}", address)


async def _set_at_centre(family_id: int, at_centre: bool) -> None:
    """The family is at the crisis centre or not: a step of check-in or check-out
    (``db.ANY_VERSION``) that still raises the family's version, because the close form
    says whether closing ends a stay; opened before, it is a conflict."""
    await db.update_versioned(Family, family_id, db.ANY_VERSION,
                              {Family.at_crisis_centre: at_centre})


async def check_in(user: Principal, family_id: int, on: date, address: str = "") -> None:
    """Indskrivning: a new stay from ``on`` (not while another stay is open)."""
    if on > clock.today():
        raise web.UserError("Indskrivningen kan ikke ligge i fremtiden.", field="started_on")
    async with db.transaction():
        stays = await stays_of(family_id)
        if any(s.current for s in stays):
            raise web.UserError("Familien er allerede indskrevet. Registrér udskrivningen først.",
                                field="started_on")
        if stays and stays[0].ended_on and on < stays[0].ended_on:
            raise web.UserError("Et nyt ophold kan ikke begynde, før det forrige sluttede "
                                f"({web.fmt_date(stays[0].ended_on)}).", field="started_on")
        await _start_stay(user, family_id, on, address)


async def check_out(user: Principal, family_id: int, on: date, address: str = "") -> None:
    """Udskrivning: the open stay ends on ``on``; after-care runs six months from then."""
    if on > clock.today():
        raise web.UserError("Udskrivningen kan ikke ligge i fremtiden.", field="ended_on")
    async with db.transaction():
        current = next((s for s in await stays_of(family_id) if s.current), None)
        if current is None:
            raise web.UserError("Familien er ikke indskrevet lige nu.", field="ended_on")
        if on < current.started_on:
            raise web.UserError("Udskrivningen kan ikke ligge før indskrivningen "
                                f"({web.fmt_date(current.started_on)}).", field="ended_on")
        await Stay.update({Stay.ended_on: on}).where(Stay.id == current.id)
        await _set_at_centre(family_id, False)
        until = after_care_until(on)
        assert until is not None
        await audit.record(user, "update", "ophold", current.id, family_id,
                           f"Udskrevet {web.fmt_date(on)}; efterværn til {web.fmt_date(until)}",
                           address)
