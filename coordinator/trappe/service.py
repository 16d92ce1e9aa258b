"""Use cases for Randers-trappen: recording and correcting assessments, the family page's
timeline, the trappe as an agenda item of a meeting and of the team meeting, the follow-up
due on the start page, and the success criterion with its drill-down.

Everything here is family data about the mother and the children: it is read and written
through ``families.service.load_family`` (the family's team only; the father's kontaktperson
and everyone else get 404) and every read and write is audited. Nothing here is offered to
the father's side (BIC pages, invitations, feeds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar.exceptions import NotFoundException

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, Principal, may_lead_unit
from coordinator.auth.roles import CASE_HOLDERS, Role
from coordinator.cache import BoundedCache
from coordinator.families import cases, units
from coordinator.families import service as families
from coordinator.meetings.tables import Meeting
from coordinator.network import service as network_service
from coordinator.trappe import rules, timeline
from coordinator.trappe.tables import TrappeAssessment

ENTITY = "randers-trappen"
AGENDA_ENTITY = "randers-trappen, dagsorden"
DUE_ENTITY = "randers-trappen, opfølgning"
CRITERION_ENTITY = "randers-trappen, succeskriterium"
offered_in = rules.offered_in

_CHILD = '("is_child" OR "role" = \'child\')'


async def children_of(family_ids: Iterable[int]) -> dict[int, list[dict]]:
    """family id → its children (id, name, birth year), ``network.service.by_name``."""
    ids = list(dict.fromkeys(family_ids))
    result: dict[int, list[dict]] = {fid: [] for fid in ids}
    if not ids:
        return result
    for row in await db.fetch(
            f'SELECT "id", "family", "name", "birth_year" FROM "person" WHERE "family" IN '
            f'({db.marks(ids)}) AND {_CHILD}', *ids):
        result[row["family"]].append(row)
    for children in result.values():
        children.sort(key=network_service.by_name)
    return result


async def _assessments(family_ids: list[int]) -> dict[int, list[dict]]:
    """family id → every assessment row (corrected ones included), as recorded."""
    result: dict[int, list[dict]] = defaultdict(list)
    if not family_ids:
        return result
    for row in await db.rows(TrappeAssessment, f'"family" IN ({db.marks(family_ids)})',
                             *family_ids, order_by='"assessed_on", "id"'):
        row["assessed_on"] = _day(row["assessed_on"])
        result[row["family"]].append(row)
    return result


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _plain(row: Mapping[str, Any]) -> rules.Assessment:
    return rules.Assessment(row["id"], row["child"], row["assessed_on"], row["step"],
                            bool(row["analysis_complete"]), row["corrects"])


_STAYS = ('SELECT "family", "started_on", "ended_on" FROM "stay" WHERE "family" IN ({ids}) '
          'ORDER BY "started_on", "id"')


async def after_care_ends(family_ids: Iterable[int]) -> dict[int, date]:
    """family id → the last day of after-care after its latest move-out (none while a stay
    is open: the family is at the crisis centre again). The team agenda reads it too."""
    latest: dict[int, dict] = {}
    for row in await db.fetch_in(_STAYS, family_ids, quick=True):  # a family's in one chunk
        latest[row["family"]] = row  # ordered by start: the latest wins
    return {fid: until for fid, row in latest.items()
            if (until := cases.after_care_until(row["ended_on"])) is not None}


# --- the children's view ---------------------------------------------------------------------

@dataclass
class ChildTrappe:
    """One child's trappe: every row as recorded, those in force, the timeline, follow-up."""

    child: dict
    rows: list[dict]
    in_force: list[dict]
    svg: str
    followup: rules.ChildFollowup

    @property
    def latest(self) -> dict | None:
        """The newest assessment in force."""
        return self.in_force[-1] if self.in_force else None


@dataclass
class FamilyTrappe:
    """The trappe of every child of one family."""

    family_id: int
    case_type: rules.CaseType
    children: list[ChildTrappe] = field(default_factory=list)


def _build(family: Mapping[str, Any], children: list[dict], rows: list[dict],
           after_care: date | None, today: date, *, drawn: bool = True) -> FamilyTrappe:
    """The family's trappe; without ``drawn`` no timelines are drawn (the start page's and
    the team agenda's due lists need only the follow-ups)."""
    kind = rules.case_type(bool(family["at_crisis_centre"]), after_care, today)
    by_id = {r["id"]: r for r in rows}
    corrected_by = {r["corrects"]: r["id"] for r in rows if r["corrects"] is not None}
    result = FamilyTrappe(family["id"], kind)
    opened = _day(family["opened_on"])
    for child in children:
        mine = [r for r in rows if r["child"] == child["id"]]
        for row in mine:
            row["corrected_by"] = corrected_by.get(row["id"])
            row["corrects_row"] = by_id.get(row["corrects"]) if row["corrects"] else None
        force_ids = [a.id for a in rules.in_force(_plain(r) for r in mine)]
        in_force = [by_id[i] for i in force_ids]
        result.children.append(ChildTrappe(
            child, mine, in_force,
            timeline.svg(child["name"], [(r["assessed_on"], r["step"]) for r in in_force])
            if drawn else "",
            rules.next_followup(child["id"], kind, [_plain(r) for r in in_force], opened)))
    return result


async def family_trappe(family: Mapping[str, Any]) -> FamilyTrappe:
    """The trappe of an already authorised family (no audit: the caller's read is audited)."""
    fid = family["id"]
    net = await network_service.known_network(fid)
    children = (await children_of([fid]))[fid] if net is None else sorted(
        ({"id": p["id"], "family": fid, "name": p["name"], "birth_year": p["birth_year"]}
         for p in net.people if p["is_child"] or p["role"] == "child"),
        key=network_service.by_name)
    rows = (await _assessments([fid])).get(fid, [])
    after_care = (await after_care_ends([fid])).get(fid)
    return _build(family, children, rows, after_care, clock.today())


async def family_section(user: Principal, family: dict) -> dict[str, Any]:
    """The trappe section of the family page (the page itself is loaded and audited
    through the access policy before any section is read)."""
    return {"trappe": await family_trappe(family), "steps": rules.STEPS,
            "areas": rules.AREAS, "ratings": rules.RATINGS, "today": clock.today(),
            "case_types": rules.CASE_TYPE_LABELS}


async def trappe_page(user: Principal, family_id: int, address: str = "") -> tuple[dict, FamilyTrappe]:
    """The family and its trappe for the trappe page: the team only, audited."""
    family = await families.load_family(user, family_id, Action.READ, what=ENTITY,
                                        address=address)
    return family, await family_trappe(family)


# --- recording --------------------------------------------------------------------------------

def _values(draft: rules.Draft) -> dict[str, Any]:
    values: dict[str, Any] = {
        "child": draft.child_id, "assessed_on": draft.assessed_on, "step": draft.step,
        "worrying_behaviour": draft.worrying_behaviour,
        "professional_view": draft.professional_view,
        "mother_step": draft.mother_step, "mother_view": draft.mother_view,
        "child_step": draft.child_step, "child_view": draft.child_view,
        "analysis_complete": rules.analysis_complete(draft.ratings),
    }
    for key, _ in rules.AREAS:
        values[f"{key}_rating"] = draft.rating(key)
        values[f"{key}_note"] = draft.note(key)
    return values


async def _check(family_id: int, draft: rules.Draft) -> None:
    children = [c["id"] for c in (await children_of([family_id]))[family_id]]
    refusal = rules.check(draft, clock.today(), children)
    if refusal is not None:
        raise web.UserError(refusal.message, field=refusal.field)


async def _meeting_of(family_id: int, meeting_id: int | None) -> int | None:
    if meeting_id is None:
        return None
    row = await Meeting.select(Meeting.id, Meeting.kind).where(
        (Meeting.id == meeting_id) & (Meeting.family == family_id)).first()
    if row is None or not offered_in(row["kind"]):
        raise web.UserError("Mødet findes ikke for denne familie.", field="meeting")
    return meeting_id


async def record(user: Principal, family_id: int, draft: rules.Draft,
                 meeting_id: int | None = None, address: str = "") -> int:
    """Record a new assessment (a new row; nothing earlier changes), audited."""
    await families.load_family(user, family_id, Action.WRITE, what=ENTITY, address=address)
    await _check(family_id, draft)
    meeting = await _meeting_of(family_id, meeting_id)
    async with db.transaction():
        rows = await TrappeAssessment.insert(TrappeAssessment(
            family=family_id, meeting=meeting, recorded_by=user.id,
            recorded_by_name=user.full_name or user.username, **_values(draft)))
        new_id = rows[0]["id"]
        await audit.record(user, "create", ENTITY, new_id, family_id,
                           f"Trin {draft.step} ({rules.STEPS[draft.step or 1]}) "
                           f"pr. {draft.assessed_on}", address)
    return new_id


async def assessment(user: Principal, family_id: int, assessment_id: int, address: str = ""
                     ) -> tuple[dict, dict]:
    """One assessment of the family (for the correction form): the team only, audited."""
    family = await families.load_family(user, family_id, Action.READ, what=ENTITY,
                                        address=address)
    row = await TrappeAssessment.select().where(
        (TrappeAssessment.id == assessment_id) & (TrappeAssessment.family == family_id)).first()
    if row is None:
        raise NotFoundException()
    row["assessed_on"] = _day(row["assessed_on"])
    return family, row


async def correct(user: Principal, family_id: int, assessment_id: int, draft: rules.Draft,
                  reason: str, address: str = "") -> int:
    """Correct an assessment: a new row that takes its place; the corrected row is kept as
    it was. A row already corrected is refused (409): correct the newest version."""
    await families.load_family(user, family_id, Action.WRITE, what=ENTITY, address=address)
    if not reason.strip():
        raise web.UserError("Skriv, hvad der rettes og hvorfor.", field="correction_reason")
    await _check(family_id, draft)
    async with db.transaction():
        # Locked on PostgreSQL (SQLite's transaction holds the write lock already), so two
        # corrections of one row at once end as one correction and one 409, never two.
        lock = " FOR UPDATE" if db.engine_name() == "postgresql" else ""
        found = await db.fetch('SELECT "id", "child", "meeting" FROM "trappe_assessment" '
                               'WHERE "id" = {} AND "family" = {}' + lock,
                               assessment_id, family_id)
        if not found:
            raise NotFoundException()
        original = found[0]
        if original["child"] != draft.child_id:
            raise web.UserError("En rettelse gælder det samme barn som vurderingen.",
                                field="child")
        if await TrappeAssessment.exists().where(TrappeAssessment.corrects == assessment_id):
            raise web.UserError("Vurderingen er allerede rettet af en anden. Åbn den nyeste "
                                "udgave, og ret den.", 409)
        rows = await TrappeAssessment.insert(TrappeAssessment(
            family=family_id, meeting=original["meeting"], corrects=assessment_id,
            correction_reason=reason, recorded_by=user.id,
            recorded_by_name=user.full_name or user.username, **_values(draft)))
        new_id = rows[0]["id"]
        await audit.record(user, "update", ENTITY, new_id, family_id,
                           f"Rettelse af vurdering {assessment_id}: {reason}", address)
    return new_id


# --- the meeting's agenda item ------------------------------------------------------------------

async def meeting_item(user: Principal, meeting_id: int, address: str = ""
                       ) -> tuple[dict, dict, FamilyTrappe]:
    """The meeting, its family and the children's trappe, for the trappe as an agenda item
    of a network or status meeting: the family's team only (the meeting's family decides),
    audited; other kinds of meeting have no such item (404)."""
    meeting = await Meeting.select(Meeting.id, Meeting.family, Meeting.kind, Meeting.title,
                                   Meeting.starts_at).where(Meeting.id == meeting_id).first()
    if meeting is None or meeting["family"] is None or not offered_in(meeting["kind"]):
        raise NotFoundException()
    family = await families.load_family(user, meeting["family"], Action.READ,
                                        what=AGENDA_ENTITY, address=address)
    return meeting, family, await family_trappe(family)


# --- follow-up due: the start page and the team agenda ---------------------------------------

@dataclass(frozen=True)
class DueItem:
    """A child whose follow-up on the trappe is due (or soon due)."""

    family_id: int
    family_name: str
    child_name: str
    step: int | None
    step_label: str
    due_on: date
    overdue: bool
    cadence: str
    case_type: str


# Each family's follow-ups due, kept per process under the family's content stamp and the
# day (every table they are read from replaces the family's stamp: families/revisions.py,
# tests/trappe/test_due_cache.py). The start page and the team agenda asked for all of her
# families on every view, where a change touches one.
_due_kept: BoundedCache[tuple, tuple[DueItem, ...]] = BoundedCache("trappe due items", 16_384)


async def _due(rows: list[dict], on: date, names: bool = True,
               stamps: Mapping[int, str] | None = None) -> list[DueItem]:
    """The follow-ups due by ``on`` in these families, soonest first; a family's items from
    the cache when its content stamp (in ``stamps``, read before the content) is unchanged."""
    stamps = stamps or {}
    by_id = {r["id"]: r for r in rows}

    async def build(family_ids: list[int]) -> dict[int, tuple[DueItem, ...]]:
        return await _due_of([by_id[family_id] for family_id in family_ids], on, names)

    keys = {family_id: (on, names, family_id, stamps[family_id]) if stamps.get(family_id)
            else None for family_id in by_id}  # an empty stamp (never stamped) may come back
    by_family = await _due_kept.get_each(keys, build)
    items = [item for family in rows for item in by_family[family["id"]]]
    return sorted(items, key=lambda i: (i.due_on, i.family_name.casefold(), i.child_name))


async def _due_of(rows: list[dict], on: date, names: bool) -> dict[int, tuple[DueItem, ...]]:
    ids = [r["id"] for r in rows]
    children = await children_of(ids)
    assessments = await _assessments(ids)
    after_care = await after_care_ends(ids)
    result = {}
    for family in rows:
        trappe = _build(family, children[family["id"]], assessments.get(family["id"], []),
                        after_care.get(family["id"]), on, drawn=False)
        items = []
        for index, child in enumerate(trappe.children, start=1):
            f = child.followup
            if f.due_within(on):
                items.append(DueItem(
                    family["id"], family["name"],
                    child.child["name"] if names else f"Barn {index}", f.step,
                    f"{f.step}. {rules.STEPS[f.step]}" if f.step else "Ikke vurderet", f.due_on,
                    f.overdue(on), f.cadence, rules.CASE_TYPE_LABELS[trappe.case_type]))
        result[family["id"]] = tuple(items)
    return result


async def due_for(user: Principal, address: str = "",
                  known: tuple[Mapping[int, str], list[dict]] | None = None) -> list[DueItem]:
    """The follow-ups due within ``rules.DUE_SOON_DAYS`` for the user's own active families
    (the team's, as the access policy reads it), overdue first; every family shown audited.
    ``known``: the team's content stamps and then its active families as the caller read
    them (the start page), else both are read here."""
    items = await due_items(user, known)
    await audit_due(user, items, address)
    return items


async def due_items(user: Principal, known: tuple[Mapping[int, str], list[dict]] | None = None
                    ) -> list[DueItem]:
    """``due_for`` without its audit: the caller audits what it shows (``audit_due``)."""
    if user.role not in CASE_HOLDERS:
        return []
    if known is not None:
        stamps, rows = known
    else:
        stamps, _ = await families.team_stamps(user)  # before the families' content
        rows = await families.families_for(user)
    return await _due(rows, clock.today(), stamps=stamps)


async def audit_due(user: Principal, items: Sequence[DueItem], address: str = "") -> None:
    """The follow-ups due shown to the user (``due_for``), audited: every family shown,
    also when the page showing them was kept (the start page)."""
    await _audit_families(user, DUE_ENTITY, clock.today().isoformat(),
                          {(i.family_id, i.family_name) for i in items}, address)


async def agenda_for(user: Principal, own: Sequence[dict], unit_ids: Sequence[int], on: date,
                     address: str = "", stamps: Mapping[int, str] | None = None) -> list[DueItem]:
    """The trappe point of the team meeting on ``on``: the follow-ups due by then for the
    families on the agenda, audited: ``own``, the rows of her teams' families, with the
    children's names; ``unit_ids``, a leader's unit families, with the step and dates only.
    Both as the team agenda checked them (``followup.service.team_agenda``, which read the
    content ``stamps`` of her own families first); the father's side (a kontaktperson) never
    gets the trappe, whatever it is given."""
    if user.role not in CASE_HOLDERS:
        return []
    unit_rows: list[dict] = []
    if unit_ids and user.role is Role.LEDER:
        unit_rows = await db.fetch(
            f'SELECT * FROM "family" WHERE "id" IN ({db.marks(unit_ids)})', *unit_ids)
    items = await _due(list(own), on, stamps=stamps) + await _due(unit_rows, on, names=False)
    items.sort(key=lambda i: (i.due_on, i.family_name.casefold(), i.child_name))
    await audit_agenda(user, items, on, address)
    return items


async def audit_agenda(user: Principal, items: Sequence[DueItem], on: date, address: str = ""
                       ) -> None:
    """The read record of the agenda's trappe point (also when the page is served kept)."""
    await _audit_families(user, AGENDA_ENTITY, on.isoformat(),
                          {(i.family_id, i.family_name) for i in items}, address)


async def _audit_families(user: Principal, entity: str, entity_id: str,
                          rows: set[tuple[int, str]], address: str) -> None:
    """One audit row per family shown, committed with the concurrent requests' rows."""
    await audit.record_many(user, "read", entity, entity_id, sorted(rows), address)


# --- the success criterion ------------------------------------------------------------------------

# Current families (f) in the period at the crisis centre with at least one child.
# Values: end, start.
_TARGET = ('f."opened_on" <= {} AND (f."status" = \'active\' OR f."closed_on" >= {}) '
           'AND f."at_crisis_centre" AND EXISTS (SELECT 1 FROM "person" c '
           'WHERE c."family" = f."id" AND (c."is_child" OR c."role" = \'child\'))')
# A family meets the criterion when none of its children lacks an assessment in force
# (no later row corrects it) with the analysis complete, dated no later than the end.
# Values: end.
_MEETS = ('NOT EXISTS (SELECT 1 FROM "person" c WHERE c."family" = f."id" '
          'AND (c."is_child" OR c."role" = \'child\') AND NOT EXISTS (SELECT 1 '
          'FROM "trappe_assessment" a WHERE a."child" = c."id" AND a."analysis_complete" '
          'AND a."assessed_on" <= {} AND NOT EXISTS (SELECT 1 FROM "trappe_assessment" b '
          'WHERE b."corrects" = a."id")))')


@dataclass(frozen=True)
class CriterionCounts:
    """The criterion over the period: families at the crisis centre with children, and
    how many of them meet it."""

    families: int
    meeting: int


async def criterion_counts(start: date, end: date) -> CriterionCounts:
    """Counted by the database (no family data leaves it)."""
    row = (await db.fetch(
        f'SELECT COUNT(*) AS "n", COALESCE(SUM(CASE WHEN {_MEETS} THEN 1 ELSE 0 END), 0) '
        f'AS "ok" FROM "family" f WHERE {_TARGET}', end, end, start))[0]
    return CriterionCounts(int(row["n"]), int(row["ok"]))


async def missing(user: Principal, start: date, end: date, address: str = "") -> list[dict]:
    """The drill-down: the families counted by the criterion that miss it, among those the
    user may see for follow-up (her own teams' and, for a leader, her unit's), with how
    many children lack a complete assessment. Every family listed is audited."""
    allowed = {r["id"] for r in await families.families_for(user)}
    if user.role is Role.LEDER:
        unit = await units.unit_of(user)
        if may_lead_unit(user, unit, {unit}):
            allowed |= set(await units.unit_family_ids(unit))
    if not allowed:
        return []
    ids = sorted(allowed)
    rows = await db.fetch(
        f'SELECT f."id", f."name", f."reference" FROM "family" f WHERE {_TARGET} '
        f'AND NOT {_MEETS} AND f."id" IN ({db.marks(ids)}) ORDER BY f."name", f."id"',
        end, start, end, *ids)
    children = await children_of([r["id"] for r in rows])
    assessments = await _assessments([r["id"] for r in rows])
    for row in rows:
        mine = [_plain(a) for a in assessments.get(row["id"], []) if a["assessed_on"] <= end]
        assessed = {a.child_id for a in rules.in_force(mine)}
        analysed = rules.analysed_children(mine)
        kids = [c["id"] for c in children[row["id"]]]
        row["children"] = len(kids)
        row["without"] = sum(1 for c in kids if c not in assessed)
        row["incomplete"] = sum(1 for c in kids if c in assessed and c not in analysed)
    await _audit_families(user, CRITERION_ENTITY, f"{start}–{end}",
                          {(r["id"], r["name"]) for r in rows}, address)
    return rows
