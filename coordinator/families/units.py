"""A leader's unit: the families whose case holders work in it, followed without being on
their teams (issue 15, point 6). The policy decides (``policy.may_lead_unit``,
``may_assign_in_unit``); this module finds the unit's families and assigns colleagues."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.exceptions import NotFoundException

from coordinator import web
from coordinator.audit import service as audit
from coordinator.auth import roles
from coordinator.auth.policy import Principal, may_assign_in_unit, may_lead_unit
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families import cases
from coordinator.families.service import next_meetings
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings import flows

# Who makes a family part of a unit: the case holders on its team. The father's
# kontaktperson and the samordner work for other units by the method.
CASE_HOLDERS = tuple(roles.values(roles.CASE_HOLDERS))
UNIT_ENTITY = "enhedens familier"


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


@dataclass
class UnitView:
    """The leader's unit page: the families, their teams and who can be assigned."""

    unit: str
    families: list[UnitFamily]
    colleagues: list[dict]
    totals: flows.AssessmentTotals

    @property
    def at_crisis_centre(self) -> int:
        """How many of the unit's families live at the crisis centre now."""
        return sum(f.at_crisis_centre for f in self.families)


async def unit_of(user: Principal) -> str:
    """The user's unit as the admin recorded it ("" if none)."""
    row = await User.select(User.unit).where(User.id == user.id).first()
    return (row or {}).get("unit", "") or ""


async def units_of_family(family_id: int) -> set[str]:
    """The units of the family's case holders."""
    rows = await TeamMember.select(TeamMember.user.unit.as_alias("unit")).where(
        (TeamMember.family == family_id) & TeamMember.user.role.is_in(list(CASE_HOLDERS)))
    return {r["unit"] for r in rows if r["unit"]}


async def unit_family_ids(unit: str) -> list[int]:
    """The active families with a case holder in ``unit`` (compared without case)."""
    if not unit.strip():
        return []
    holders = await User.select(User.id, User.unit).where(User.role.is_in(list(CASE_HOLDERS)))
    ids = [u["id"] for u in holders if (u["unit"] or "").strip().casefold()
           == unit.strip().casefold()]
    if not ids:
        return []
    rows = await TeamMember.select(TeamMember.family).where(
        TeamMember.user.is_in(ids) & (TeamMember.family.status == "active")).distinct()
    return sorted({r["family"] for r in rows})


async def unit_view(user: Principal, address: str = "") -> UnitView:
    """The unit's active families with their tovholder, team and next meeting; each family
    shown is audited as read by the leader."""
    unit = await unit_of(user)
    if user.role is not Role.LEDER:
        raise NotFoundException()
    if not may_lead_unit(user, unit, {unit}):  # a leader whose unit is not recorded
        return UnitView("", [], [], flows.AssessmentTotals(0, 0, 0, 0, 0))
    ids = await unit_family_ids(unit)
    families: dict[int, UnitFamily] = {}
    if ids:
        for row in await Family.select(Family.id, Family.name, Family.reference,
                                       Family.at_crisis_centre).where(Family.id.is_in(ids)):
            families[row["id"]] = UnitFamily(row["id"], row["name"], row["reference"],
                                             row["at_crisis_centre"])
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
        if (c["unit"] or "").strip().casefold() == unit.strip().casefold()]
    ordered = sorted(families.values(), key=lambda f: (f.name.casefold(), f.id))
    return UnitView(unit, ordered, colleagues, await flows.assessment_totals(ids))


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
