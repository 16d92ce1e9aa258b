"""A leader's unit: the families whose case holders work in it, followed without being on
their teams (issue 15, point 6). The policy decides (``policy.may_lead_unit``,
``may_assign_in_unit``); this module finds the unit's families and assigns colleagues."""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar.exceptions import NotFoundException

from coordinator import db, web
from coordinator.audit import service as audit
from coordinator.auth import roles
from coordinator.auth.policy import Principal, may_assign_in_unit, may_lead_unit
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families import cases
from coordinator.families.service import families_for, next_meetings, text_contains
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings import flows

# Who makes a family part of a unit: the case holders on its team. The father's
# kontaktperson and the samordner work for other units by the method.
CASE_HOLDERS = tuple(roles.values(roles.CASE_HOLDERS))
UNIT_ENTITY = "enhedens familier"


# Families per page of the unit list: a large unit has thousands (1,707 at municipal scale),
# and each row carries a form; the totals are counted by the database over the whole unit.
PAGE_SIZE = 50
# The longest search text accepted (a family name or a reference is far shorter).
SEARCH_MAX = 100


@dataclass(frozen=True)
class UnitFilter:
    """What the leader asked the unit list for: a search text (family name or reference),
    only the families at the crisis centre, and the page (from 1)."""

    text: str = ""
    at_centre: bool = False
    page: int = 1

    @property
    def active(self) -> bool:
        """Anything narrower than the whole unit."""
        return bool(self.text) or self.at_centre

    def path(self, page: int | None = None) -> str:
        """The unit page with this filter on ``page`` (this filter's page if None): the
        pager's links and the way back after assigning a colleague."""
        params: dict[str, str | int] = {}
        if self.text:
            params["q"] = self.text
        if self.at_centre:
            params["krisecenter"] = "ja"
        number = self.page if page is None else page
        if number > 1:
            params["side"] = number
        return "/unit/" + (f"?{urlencode(params)}" if params else "")


def unit_filter(params: Mapping[str, Any]) -> UnitFilter:
    """The unit list's filter from the query string (``q``, ``krisecenter``, ``side``); a
    page that is not a whole number from 1 is a Danish 400. A page past the last one is
    shown as the last page (the list shrinks as cases close)."""
    try:
        return UnitFilter(
            text=web.text(params, "q", "Søg", max_length=SEARCH_MAX),
            at_centre=web.checkbox(params, "krisecenter"),
            page=web.integer(params, "side", "Side", required=False, minimum=1) or 1)
    except web.UserError as refused:
        raise web.UserError(f"{refused.message} Gå til enhedens side og prøv igen.", 400,
                            refused.field) from None


def return_path(value: object) -> str:
    """Where the leader returns after assigning a colleague: the unit page she came from,
    rebuilt from its own filter and page (so it can only be a /unit/ page); the first page
    for anything else."""
    if not isinstance(value, str) or len(value) > 400:
        return "/unit/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != "/unit/" or parts.fragment:
        return "/unit/"
    try:
        return unit_filter(dict(parse_qsl(parts.query))).path()
    except web.UserError:
        return "/unit/"


@dataclass
class UnitFamily:
    """One of the unit's families as the leader follows it: no network, no case content."""

    id: int
    name: str
    reference: str
    at_crisis_centre: bool
    lead: str = ""
    members: list[str] = field(default_factory=list)
    member_ids: set[int] = field(default_factory=set)
    next_meeting: object = None
    choices: list[dict] = field(default_factory=list)  # the colleagues not on the team


@dataclass
class UnitView:
    """The leader's unit page: one page of the unit's families with their teams and who can
    be assigned, and the figures over the whole unit."""

    unit: str
    families: list[UnitFamily]
    colleagues: list[dict]
    totals: flows.AssessmentTotals
    at_crisis_centre: int = 0  # over the whole unit
    without_lead: int = 0  # over the whole unit
    wanted: UnitFilter = UnitFilter()
    matching: int = 0  # the unit's families the filter lets through
    pages: int = 1

    @property
    def page(self) -> int:
        """The page shown (the one asked for, or the last page if it asked past the end)."""
        return self.wanted.page


async def unit_of(user: Principal) -> str:
    """The user's unit as the admin recorded it ("" if none): as read with the session on
    this request, else read now."""
    if user.unit is not None:
        return user.unit
    rows = await db.fetch('SELECT "unit" FROM "app_user" WHERE "id" = {}', user.id, quick=True)
    return (rows[0]["unit"] if rows else "") or ""


async def units_of_family(family_id: int) -> set[str]:
    """The units of the family's case holders."""
    rows = await TeamMember.select(TeamMember.user.unit.as_alias("unit")).where(
        (TeamMember.family == family_id) & TeamMember.user.role.is_in(list(CASE_HOLDERS)))
    return {r["unit"] for r in rows if r["unit"]}


def _same_unit(a: str | None, b: str) -> bool:
    """Units are compared without case and surrounding spaces (in Python: SQLite's LOWER
    folds only ASCII, and units are written with æ, ø and å)."""
    return (a or "").strip().casefold() == b.strip().casefold()


async def _unit_holders(unit: str) -> list[int]:
    """The case holders of ``unit`` (the unit's families are the ones they are on)."""
    if not unit.strip():
        return []
    holders = await User.select(User.id, User.unit).where(User.role.is_in(list(CASE_HOLDERS)))
    return [u["id"] for u in holders if _same_unit(u["unit"], unit)]


async def unit_family_ids(unit: str) -> list[int]:
    """The active families with a case holder in ``unit`` (compared without case)."""
    _, ids = await unit_families_beyond(unit, (), sys.maxsize)
    return list(ids)


async def unit_families_beyond(unit: str, excluding: Collection[int], limit: int
                               ) -> tuple[int, tuple[int, ...]]:
    """How many of ``unit``'s active families are not in ``excluding``, and their ids when
    they are at most ``limit`` (none otherwise): counted by the database, so a unit of tens
    of thousands of families (one database for many municipalities) costs a count, not a
    list of every family."""
    spellings = [row["unit"] for row in await db.fetch(
        f'SELECT DISTINCT "unit" FROM "app_user" WHERE "role" IN ({db.marks(CASE_HOLDERS)})',
        *CASE_HOLDERS) if unit.strip() and _same_unit(row["unit"], unit)]
    if not spellings:
        return 0, ()
    sql = ('FROM "team_member" t JOIN "app_user" u ON u."id" = t."user" '
           'JOIN "family" f ON f."id" = t."family" WHERE f."status" = \'active\' '
           f'AND u."role" IN ({db.marks(CASE_HOLDERS)}) AND u."unit" IN ({db.marks(spellings)})')
    args: list[Any] = [*CASE_HOLDERS, *spellings]
    if excluding:
        sql += f' AND t."family" NOT IN ({db.marks(excluding)})'
        args += list(excluding)
    count = int((await db.fetch(f'SELECT COUNT(DISTINCT t."family") AS n {sql}', *args))[0]["n"])
    if count > limit or not count:
        return count, ()
    rows = await db.fetch(f'SELECT DISTINCT t."family" AS family {sql} ORDER BY t."family"', *args)
    return count, tuple(row["family"] for row in rows)


def _unit_families_where(holders: list[int], wanted: UnitFilter | None = None) -> tuple[str, list[Any]]:
    """SQL over ``family f``: the active families with one of ``holders`` on the team (and,
    with ``wanted``, those its search and crisis-centre choice let through), its arguments."""
    where = ['f."status" = \'active\'',
             f'f."id" IN (SELECT t."family" FROM "team_member" t WHERE t."user" IN ({db.marks(holders)}))']
    args: list[Any] = list(holders)
    if wanted is not None and wanted.at_centre:
        where.append('f."at_crisis_centre" = {}')
        args.append(True)
    if wanted is not None and wanted.text:
        name, name_args = text_contains('f."name"', wanted.text)
        reference, reference_args = text_contains('f."reference"', wanted.text)
        where.append(f"({name} OR {reference})")
        args += name_args + reference_args
    return " AND ".join(where), args


async def _unit_totals(holders: list[int]) -> dict[str, int]:
    """The unit's figures, counted by the database over all its active families: how many,
    at the crisis centre, without a tovholder, and the newest assessments (as
    ``flows.assessment_totals`` counts them)."""
    where, args = _unit_families_where(holders)
    row = (await db.fetch(
        'SELECT COUNT(*) AS "families", '
        'COALESCE(SUM(CASE WHEN u."at_crisis_centre" THEN 1 ELSE 0 END), 0) AS "at_centre", '
        'COALESCE(SUM(CASE WHEN u."led" THEN 0 ELSE 1 END), 0) AS "without_lead", '
        'COUNT(u."fgc_possible") AS "fgc_assessed", '
        'COALESCE(SUM(CASE WHEN u."fgc_possible" THEN 1 ELSE 0 END), 0) AS "fgc_possible", '
        'COUNT(u."father_involve") AS "father_assessed", '
        'COALESCE(SUM(CASE WHEN u."father_involve" THEN 1 ELSE 0 END), 0) AS "father_involved" '
        'FROM (SELECT f."at_crisis_centre", '
        'EXISTS (SELECT 1 FROM "team_member" l WHERE l."family" = f."id" AND l."lead") AS "led", '
        f'{flows.NEWEST_ASSESSMENTS_SQL} FROM "family" f WHERE {where}) u', *args))[0]
    return {key: int(value or 0) for key, value in row.items()}


async def followed_family_ids(user: Principal) -> list[int]:
    """The families a user may follow in the success criteria's drill-downs: those whose
    team she is on (closed ones too) and, for a leader, her unit's (``may_lead_unit``)."""
    allowed = {r["id"] for r in await families_for(user, include_closed=True)}
    if user.role is Role.LEDER:
        unit = await unit_of(user)
        if may_lead_unit(user, unit, {unit}):
            allowed |= set(await unit_family_ids(unit))
    return sorted(allowed)


async def unit_view(user: Principal, wanted: UnitFilter | None = None, address: str = "") -> UnitView:
    """One page of the unit's active families (by name, then id) with their tovholder, team
    and next meeting, and the unit's figures over all its families; each family shown is
    audited as read by the leader, and only those."""
    wanted = wanted or UnitFilter()
    unit = await unit_of(user)
    if user.role is not Role.LEDER:
        raise NotFoundException()
    if not may_lead_unit(user, unit, {unit}):  # a leader whose unit is not recorded
        return UnitView("", [], [], flows.AssessmentTotals(0, 0, 0, 0, 0), wanted=wanted)
    holders = await _unit_holders(unit)
    counts = {"families": 0, "at_centre": 0, "without_lead": 0, "fgc_assessed": 0,
              "fgc_possible": 0, "father_assessed": 0, "father_involved": 0}
    families: dict[int, UnitFamily] = {}
    matching = 0
    if holders:
        counts = await _unit_totals(holders)
        where, args = _unit_families_where(holders, wanted)
        if wanted.active:
            matching = (await db.fetch(f'SELECT COUNT(*) AS "n" FROM "family" f WHERE {where}',
                                       *args))[0]["n"]
        else:
            matching = counts["families"]
        last = max(1, -(-matching // PAGE_SIZE))
        if wanted.page > last:
            wanted = replace(wanted, page=last)
        rows = await db.fetch(
            f'SELECT f."id", f."name", f."reference", f."at_crisis_centre" FROM "family" f '
            f'WHERE {where} ORDER BY f."name", f."id" '
            f'LIMIT {PAGE_SIZE} OFFSET {(wanted.page - 1) * PAGE_SIZE}', *args)
        for row in rows:
            families[row["id"]] = UnitFamily(row["id"], row["name"], row["reference"],
                                             bool(row["at_crisis_centre"]))
    ids = list(families)
    if ids:
        members = await TeamMember.select(
            TeamMember.family, TeamMember.lead, TeamMember.user,
            TeamMember.user.full_name.as_alias("full_name")).where(
            TeamMember.family.is_in(ids)).order_by(TeamMember.user.full_name)
        for m in members:
            family = families[m["family"]]
            family.members.append(m["full_name"])
            family.member_ids.add(m["user"])
            if m["lead"]:
                family.lead = m["full_name"]
        for family_id, moment in (await next_meetings(ids)).items():
            families[family_id].next_meeting = moment
        await audit.record_many(user, "read", UNIT_ENTITY, unit,
                                [(f.id, f"{f.name} på enhedens liste") for f in families.values()],
                                address)
    colleagues = [c for c in await User.select(User.id, User.full_name, User.unit, User.role).where(
        (User.active == True)  # noqa: E712
        & User.role.is_in(list(CASE_HOLDERS)) & (User.id != user.id)).order_by(User.full_name)
        if _same_unit(c["unit"], unit)]
    for family in families.values():
        family.choices = [c for c in colleagues if c["id"] not in family.member_ids]
    totals = flows.AssessmentTotals(counts["families"], counts["fgc_assessed"], counts["fgc_possible"],
                                    counts["father_assessed"], counts["father_involved"])
    return UnitView(unit, list(families.values()), colleagues, totals,
                    at_crisis_centre=counts["at_centre"], without_lead=counts["without_lead"],
                    wanted=wanted, matching=matching, pages=max(1, -(-matching // PAGE_SIZE)))


@dataclass(frozen=True)
class UnitFamilyAccess:
    """What the policy decided on for one family of the leader's unit."""

    family_id: int
    unit: str
    family_units: frozenset[str]


async def family_of_unit(user: Principal, family_id: int) -> UnitFamilyAccess:
    """One active family of the leader's unit, or 404 (as for any family one may not reach;
    checked before the form is read, so a refusal tells nothing about the family)."""
    unit = await unit_of(user)
    family = await Family.select(Family.id, Family.status).where(Family.id == family_id).first()
    family_units = await units_of_family(family_id)
    if family is None or not may_lead_unit(user, unit, family_units):
        raise NotFoundException()
    if family["status"] != "active":
        raise web.UserError("Sagen er lukket; teamet kan ikke ændres.", 409)
    return UnitFamilyAccess(family_id, unit, frozenset(family_units))


async def assign(user: Principal, access: UnitFamilyAccess, colleague_id: int, team_role: str,
                 address: str = "") -> None:
    """The leader puts a colleague of her unit on the team of one of her unit's families."""
    colleague = await User.select(User.unit, User.role, User.active).where(
        User.id == colleague_id).first()
    if (colleague is None or colleague_id == user.id or not colleague["active"]
            or colleague["role"] not in CASE_HOLDERS
            or not may_assign_in_unit(user, access.unit, set(access.family_units),
                                      colleague["unit"] or "")):
        # Not herself (the record is the team's), and case holders only: the father's
        # kontaktperson joins through the referral, after the mother's consent.
        raise web.UserError("Vælg en socialrådgiver eller leder fra din egen enhed.", field="user")
    await cases.add_member(user, access.family_id, colleague_id, team_role, address=address)
