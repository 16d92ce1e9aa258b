"""Use cases of the method: the Signs of Safety mapping of a meeting and the family's
handleplan with goals, sub-goals and evaluations.

Everything here is family data for the family's team only: reads go through the access
policy (``families.service.load_family`` / ``meetings.service.load_meeting``) and are
audited; writes are one transaction each with their audit record. The father's side (the
kontaktperson in Modtagelsen) and a samordner never reach any of it: the meeting section is
built for the team's audience only, and every route here is the team's (404 otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from coordinator import clock, db
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, Audience, Principal
from coordinator.auth.roles import CASE_HOLDERS
from coordinator.families import service as families
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import FgcCase, FgcPlanItem
from coordinator.method import goals, sos
from coordinator.method.tables import Goal, GoalEvaluation, SosMapping, SosScale
from coordinator.network.tables import Person
from coordinator.web import COPENHAGEN, Conflict, UserError

MAPPING_ENTITY = "Signs of Safety-kortlægning"
SCALE_ENTITY = "sikkerhedsskala"
GOAL_ENTITY = "handleplan"
# The team agenda looks 14 days ahead (its rhythm): evaluations due by the next meeting.
AGENDA_LOOKAHEAD_DAYS = 14


def _name(user: Principal) -> str:
    return user.full_name or user.username


def _local_day(value: Any) -> date | None:
    """The Copenhagen day of a stored moment (SQLite may hand back text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(COPENHAGEN).date()


# ------------------------------------------------------------------ Signs of Safety

async def open_meeting(user: Principal, meeting_id: int, action: Action, address: str = ""
                       ) -> tuple[dict, dict]:
    """The meeting and its family when ``user`` is on the family's team and the meeting is
    one a mapping is made in; 404 for everyone else (the father's side, a samordner, a
    meeting between organisations)."""
    meeting, family = await meetings.load_meeting(user, meeting_id, action, address=address,
                                                  what=MAPPING_ENTITY, audit_read=False)
    if (family is None or meetings.audience_of(user) is not Audience.TEAM
            or meeting["kind"] not in sos.MAPPING_KINDS):
        raise NotFoundException()
    return meeting, family


async def askers(meeting_id: int, participants: Sequence[Mapping[str, Any]] | None = None
                 ) -> list[dict]:
    """Whom the safety scale can be asked of: the family as a whole, and each participant
    (``participants``: the meeting's, when the caller has them already)."""
    choices = [{"value": sos.FAMILY_AS_WHOLE, "label": "Familien (samlet)", "group": "family"}]
    if participants is None:
        participants = await meetings.participants_of(meeting_id)
    for p in participants:
        group = sos.group_of_category(p["category"])
        choices.append({"value": f"p:{p['id']}", "group": group,
                        "label": f"{p['name']} ({sos.GROUPS[group].lower()})"})
    return choices


_GOALS_DISCUSSED = ('SELECT e."goal" AS "goal", e."progress" AS "progress", e."note" AS "note", '
                    'g."title" AS "goal_title" FROM "goal_evaluation" e '
                    'LEFT JOIN "goal" g ON g."id" = e."goal" WHERE e."meeting" = {} ORDER BY e."id"')


async def mapping_view(meeting: dict, family: dict,
                       participants: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """What the meeting's mapping section shows: the mapping, the scale answers, whom to
    ask, and whether it may be changed (an open family, a meeting not cancelled).
    ``participants``: the meeting's, when the caller has them already (the meeting page)."""
    mappings = await db.rows(SosMapping, '"meeting" = {}', meeting["id"])
    mapping = mappings[0] if mappings else None
    scales = await db.rows(SosScale, '"meeting" = {}', meeting["id"])
    discussed = await db.fetch(_GOALS_DISCUSSED, meeting["id"], quick=True)
    for row in discussed:
        row["progress_label"] = goals.PROGRESS.get(row["progress"], row["progress"])
    return {
        "meeting_id": meeting["id"], "family_id": family["id"], "mapping": mapping,
        "scales": scales, "goals_discussed": discussed,
        "askers": await askers(meeting["id"], participants), "groups": sos.GROUPS,
        "scale_range": range(sos.SCALE_MIN, sos.SCALE_MAX + 1),
        "editable": family["status"] == "active" and meeting["status"] != "cancelled",
    }


async def meeting_section(user: Principal, meeting: dict, family: dict | None,
                          audience: Audience, address: str = "", *,
                          audit_read: bool = True,
                          participants: Sequence[Mapping[str, Any]] | None = None
                          ) -> dict[str, Any]:
    """Context for the meeting page's mapping section (``{"sos": …}``), for the family's
    team only: the father's side and a samordner get nothing, not even the heading.
    Without ``audit_read`` the caller audits the read itself (``shows_mapping``): the
    meeting page does on every view, also when the page comes from its cache."""
    if (family is None or audience is not Audience.TEAM
            or meeting["kind"] not in sos.MAPPING_KINDS):
        return {}
    view = await mapping_view(meeting, family, participants)
    if audit_read and shows_mapping(view):  # what was read is on record (the meeting is too)
        await audit_mapping_read(user, meeting, family, address)
    return {"sos": view}


def shows_mapping(view: dict[str, Any] | None) -> bool:
    """Whether a mapping section's view holds anything read (a mapping or scale answers)."""
    return bool(view and (view["mapping"] or view["scales"]))


async def audit_mapping_read(user: Principal, meeting: dict, family: dict,
                             address: str = "") -> None:
    """The read of a meeting's mapping, on record (the meeting page's own read is too)."""
    await audit.record(user, "read", MAPPING_ENTITY, meeting["id"], family["id"],
                       meeting["title"], address)


async def save_mapping(user: Principal, meeting: dict, family: dict, version: int | None,
                       worries: str, working_well: str, needs_to_happen: str,
                       address: str = "") -> None:
    """Record or change the meeting's mapping; a stale version is a 409 with both texts."""
    try:
        sos.validate_mapping(worries, working_well, needs_to_happen)
    except sos.SosError as exc:
        raise UserError(exc.message_da, field=exc.field) from None
    _require_editable(meeting, family)
    values = {"worries": worries, "working_well": working_well,
              "needs_to_happen": needs_to_happen}
    async with db.transaction():
        current = await SosMapping.select().where(SosMapping.meeting == meeting["id"]).first()
        if current is None:
            if version:
                raise _mapping_conflict(values, {"worries": "", "working_well": "",
                                                 "needs_to_happen": ""})
            await SosMapping.insert(SosMapping(
                family=family["id"], meeting=meeting["id"], recorded_by=user.id,
                recorded_by_name=_name(user), worries=worries, working_well=working_well,
                needs_to_happen=needs_to_happen))
            action = "create"
        else:
            await db.update_versioned(SosMapping, current["id"], version, {
                SosMapping.worries: worries, SosMapping.working_well: working_well,
                SosMapping.needs_to_happen: needs_to_happen,
                SosMapping.recorded_by: user.id, SosMapping.recorded_by_name: _name(user),
                SosMapping.updated_at: clock.now(),
            }, mine=values, shown=MAPPING_KEYS, message=MAPPING_CONFLICT,
                labels=MAPPING_LABELS)
            action = "update"
        await audit.record(user, action, MAPPING_ENTITY, meeting["id"], family["id"],
                           meeting["title"], address)


MAPPING_KEYS = ("worries", "working_well", "needs_to_happen")
MAPPING_LABELS = {"worries": "Bekymringer", "working_well": "Det der går godt",
                  "needs_to_happen": "Det der skal ske"}  # the form's own labels
GOAL_EVALUATION_LABELS = {"progress": "Hvor langt er målet nået", "note": "Noter"}
MAPPING_CONFLICT = ("En anden har gemt kortlægningen, mens du skrev. Din tekst er ikke gemt. "
                    "Sammenlign, og gem igen ud fra den nyeste udgave.")


def _mapping_conflict(mine: dict, theirs: dict) -> Conflict:
    return Conflict(MAPPING_CONFLICT, mine={k: mine[k] for k in MAPPING_KEYS},
                    theirs={k: theirs.get(k, "") for k in MAPPING_KEYS}, labels=MAPPING_LABELS)


def _require_editable(meeting: dict, family: dict) -> None:
    if family["status"] != "active":
        raise UserError("Familiens sag er lukket; kortlægningen kan ikke ændres.", 409)
    if meeting["status"] == "cancelled":
        raise UserError("Mødet er aflyst; der registreres ikke noget på det.", 409)


async def add_scale(user: Principal, meeting: dict, family: dict, asker: str,
                    score: int | None, note: str, address: str = "") -> int:
    """Record one answer on the safety scale from the family or one participant; the same
    person answers once per meeting (delete the answer to record it again)."""
    try:
        score = sos.validate_score(score)
    except sos.SosError as exc:
        raise UserError(exc.message_da, field=exc.field) from None
    _require_editable(meeting, family)
    chosen = next((a for a in await askers(meeting["id"]) if a["value"] == asker), None)
    if chosen is None:
        raise UserError("Vælg, hvem der er spurgt: familien eller en af mødets deltagere.",
                        field="asker")
    participant = int(asker[2:]) if asker.startswith("p:") else None
    name = "Familien" if participant is None else chosen["label"].rsplit(" (", 1)[0]
    async with db.transaction():
        same = SosScale.meeting == meeting["id"]
        same &= (SosScale.participant == participant) if participant is not None else (
            SosScale.participant.is_null() & (SosScale.asker_name == "Familien"))
        if await SosScale.exists().where(same):
            raise UserError(f"{name} har allerede svaret på skalaen i dette møde. Slet svaret "
                            "først, hvis det skal registreres igen.", 409, field="asker")
        rows = await SosScale.insert(SosScale(
            family=family["id"], meeting=meeting["id"], participant=participant,
            asker_group=chosen["group"], asker_name=name, score=score, note=note,
            recorded_by_name=_name(user)))
        await audit.record(user, "create", SCALE_ENTITY, rows[0]["id"], family["id"],
                           f"{meeting['title']}: {name} {score}/10", address)
    return rows[0]["id"]


async def delete_scale(user: Principal, meeting: dict, family: dict, scale_id: int,
                       address: str = "") -> None:
    """Delete one scale answer of this meeting (a wrong entry), audited."""
    _require_editable(meeting, family)
    async with db.transaction():
        row = await SosScale.select().where(
            (SosScale.id == scale_id) & (SosScale.meeting == meeting["id"])).first()
        if row is None:
            raise UserError("Svaret findes ikke på mødet.", 404)
        await SosScale.delete().where(SosScale.id == scale_id)
        await audit.record(user, "delete", SCALE_ENTITY, scale_id, family["id"],
                           f"{meeting['title']}: {row['asker_name']} {row['score']}/10", address)


async def scale_rows(family_id: int) -> list[sos.SeriesRow]:
    """The family's safety-scale answers as the chart's rows, meetings in held order."""
    rows = await db.fetch(
        'SELECT s."meeting" AS "meeting", s."asker_group" AS "asker_group", s."score" AS "score", '
        'm."title" AS "meeting_title", m."starts_at" AS "meeting_starts_at" FROM "sos_scale" s '
        'LEFT JOIN "meeting" m ON m."id" = s."meeting" WHERE s."family" = {} ORDER BY s."id"',
        family_id, quick=True)
    return sos.series([sos.ScalePoint(r["meeting"], r["meeting_title"],
                                      _local_day(r["meeting_starts_at"]), r["asker_group"],
                                      r["score"]) for r in rows])


# ------------------------------------------------------------------------ handleplan

@dataclass(frozen=True)
class GoalInput:
    """A new goal or sub-goal as submitted."""

    title: str
    period: str
    cadence: str
    starts_on: date
    responsible: str = ""  # "person:ID", "user:ID" or empty
    description: str = ""
    parent_id: int | None = None
    plan_item_id: int | None = None


@dataclass(frozen=True)
class EvaluationInput:
    """An evaluation of a goal as submitted."""

    evaluated_on: date
    progress: str
    note: str = ""
    meeting_id: int | None = None
    version: int | None = None


async def responsible_choices(family_id: int) -> list[dict]:
    """Who can be responsible for a goal: the family's network people and its team."""
    people = await Person.select(Person.id, Person.name, Person.role, Person.title).where(
        Person.family == family_id).order_by(Person.name)
    team = await families.team_of(family_id)
    return ([{"value": f"person:{p['id']}", "label": p["name"] + (f", {p['title']}" if p["title"] else "")}
             for p in people]
            + [{"value": f"user:{m['user_id']}", "label": f"{m['full_name']} (team)"}
               for m in team])


async def plan_item_choices(family_id: int) -> list[dict]:
    """The actions of the family's familierådslagning plans a goal can be linked to."""
    return await FgcPlanItem.select(
        FgcPlanItem.id, FgcPlanItem.action, FgcPlanItem.who, FgcPlanItem.by_when,
    ).where(FgcPlanItem.case.is_in(FgcCase.select(FgcCase.id).where(FgcCase.family == family_id))
            ).order_by(FgcPlanItem.case, FgcPlanItem.position, FgcPlanItem.id)


async def meeting_choices(family_id: int) -> list[dict]:
    """The family's meetings an evaluation can say it was discussed in (not cancelled)."""
    return [m for m in await meetings.meetings_of_family(family_id) if m["status"] != "cancelled"]


async def goal_rows(family_id: int, today: date) -> list[dict]:
    """The family's goals, each with its evaluations (newest first), the next evaluation
    and its state; sub-goals under their goal (``subgoals``), in creation order."""
    return (await goal_rows_of([family_id], today)).get(family_id, [])


async def goal_rows_of(family_ids: list[int], today: date) -> dict[int, list[dict]]:
    """``goal_rows`` of several families in two statements (the team agenda's families)."""
    if not family_ids:
        return {}
    rows = await db.fetch(
        f'SELECT {db.columns(Goal, "g")}, i."action" AS "plan_item_action" FROM "goal" g '
        'LEFT JOIN "fgc_plan_item" i ON i."id" = g."plan_item" '
        f'WHERE g."family" IN ({db.marks(family_ids)}) ORDER BY g."id"', *family_ids, quick=True)
    if not rows:
        return {}
    with_goals = sorted({row["family"] for row in rows})
    evaluations = await db.fetch(
        f'SELECT {db.columns(GoalEvaluation, "e")}, m."title" AS "meeting_title" '
        'FROM "goal_evaluation" e LEFT JOIN "meeting" m ON m."id" = e."meeting" '
        f'WHERE e."family" IN ({db.marks(with_goals)}) ORDER BY e."evaluated_on", e."id"',
        *with_goals, quick=True)
    by_goal: dict[int, list[dict]] = {}
    for e in evaluations:
        e["progress_label"] = goals.PROGRESS.get(e["progress"], e["progress"])
        by_goal.setdefault(e["goal"], []).append(e)
    for row in rows:
        history = by_goal.get(row["id"], [])
        row["evaluations"] = list(reversed(history))
        row["next_evaluation"] = goals.next_evaluation(
            row["starts_on"], row["cadence"], [e["evaluated_on"] for e in history], row["progress"])
        row["due"] = goals.due_state(row["next_evaluation"], today)
        row["progress_label"] = goals.PROGRESS.get(row["progress"], row["progress"])
        row["period_label"] = goals.PERIODS.get(row["period"], row["period"])
        row["cadence_label"] = goals.CADENCE_LABELS.get(row["cadence"], row["cadence"])
        row["subgoals"] = []
    by_id = {row["id"]: row for row in rows}
    top: dict[int, list[dict]] = {}
    for row in rows:
        parent = by_id.get(row["parent_id"]) if row["parent_id"] else None
        (parent["subgoals"] if parent else top.setdefault(row["family"], [])).append(row)
    return top


async def handleplan_view(family_id: int, today: date) -> dict[str, Any]:
    """Everything the Handleplan page shows."""
    return {
        "goals": await goal_rows(family_id, today), "periods": goals.PERIODS,
        "progress": goals.PROGRESS, "cadences": goals.CADENCE_LABELS,
        "responsible": await responsible_choices(family_id),
        "plan_items": await plan_item_choices(family_id),
        "meetings": await meeting_choices(family_id),
    }


async def _responsible(family_id: int, value: str) -> tuple[int | None, int | None, str]:
    """(person id, user id, name) of the chosen responsible; UserError when foreign."""
    if not value:
        return None, None, ""
    chosen = next((c for c in await responsible_choices(family_id) if c["value"] == value), None)
    if chosen is None:
        raise UserError("Den ansvarlige skal være en person i familiens netværk eller en på "
                        "teamet.", field="responsible")
    kind, _, number = value.partition(":")
    name = chosen["label"].removesuffix(" (team)")
    return (int(number), None, name) if kind == "person" else (None, int(number), name)


async def create_goal(user: Principal, family: dict, data: GoalInput, address: str = "") -> int:
    """Add a goal or sub-goal to the family's handleplan, audited."""
    if family["status"] != "active":
        raise UserError("Familiens sag er lukket; handleplanen kan ikke ændres.", 409)
    try:
        goals.validate_goal(data.title, data.period, data.cadence, data.starts_on, clock.today())
    except goals.GoalError as exc:
        raise UserError(exc.message_da, field=exc.field) from None
    person, user_id, name = await _responsible(family["id"], data.responsible)
    if data.plan_item_id is not None and data.plan_item_id not in {
            p["id"] for p in await plan_item_choices(family["id"])}:
        raise UserError("Punktet findes ikke i familiens plan.", field="plan_item")
    async with db.transaction():
        if data.parent_id is not None:
            parent = await Goal.select(Goal.id, Goal.parent_id).where(
                (Goal.id == data.parent_id) & (Goal.family == family["id"])).first()
            if parent is None:
                raise UserError("Hovedmålet findes ikke i familiens handleplan.", 404)
            if parent["parent_id"] is not None:
                raise UserError("Et delmål kan ikke have egne delmål; tilføj det til "
                                "hovedmålet.", field="parent")
        rows = await Goal.insert(Goal(
            family=family["id"], parent_id=data.parent_id, period=data.period,
            title=data.title, description=data.description, responsible_person=person,
            responsible_user=user_id, responsible_name=name, cadence=data.cadence,
            starts_on=data.starts_on, plan_item=data.plan_item_id,
            created_by_name=_name(user)))
        goal_id = rows[0]["id"]
        await audit.record(user, "create", GOAL_ENTITY, goal_id, family["id"],
                           ("Delmål: " if data.parent_id else "Mål: ") + data.title, address)
    return goal_id


async def require_goal(family_id: int, goal_id: int) -> None:
    """404 unless the goal is one of this family's (checked before the form is read, so a
    foreign id is never answered with a message about the form)."""
    if not await Goal.exists().where((Goal.id == goal_id) & (Goal.family == family_id)):
        raise UserError("Målet findes ikke i familiens handleplan.", 404)


async def evaluate_goal(user: Principal, family: dict, goal_id: int, data: EvaluationInput,
                        address: str = "") -> int:
    """Record an evaluation of a goal (kept as history) and set its progress; a stale
    version is a 409 (someone evaluated it meanwhile)."""
    if family["status"] != "active":
        raise UserError("Familiens sag er lukket; handleplanen kan ikke ændres.", 409)
    goal = await Goal.select().where((Goal.id == goal_id) & (Goal.family == family["id"])).first()
    if goal is None:
        raise UserError("Målet findes ikke i familiens handleplan.", 404)
    try:
        goals.validate_evaluation(data.progress, data.evaluated_on, goal["starts_on"],
                                  clock.today())
    except goals.GoalError as exc:
        raise UserError(exc.message_da, field=exc.field) from None
    if data.meeting_id is not None and data.meeting_id not in {
            m["id"] for m in await meeting_choices(family["id"])}:
        raise UserError("Mødet findes ikke blandt familiens møder.", field="meeting")
    async with db.transaction():
        try:
            await db.update_versioned(
                Goal, goal_id, data.version, {Goal.progress: data.progress,
                                              Goal.updated_at: clock.now()},
                mine={"progress": data.progress, "note": data.note}, shown=["progress"],
                message="En anden har evalueret målet, mens du skrev. Din evaluering er ikke "
                        "gemt. Genindlæs handleplanen, og prøv igen.")
        except Conflict as exc:  # the page shows the progress by its label
            raise Conflict(exc.message, {**exc.mine, "progress": goals.PROGRESS[data.progress]},
                           {**exc.theirs, "progress": goals.PROGRESS.get(
                               exc.theirs.get("progress", ""), ""), "note": ""},
                           missing_version=exc.missing_version,
                           labels=GOAL_EVALUATION_LABELS) from None
        rows = await GoalEvaluation.insert(GoalEvaluation(
            family=family["id"], goal=goal_id, evaluated_on=data.evaluated_on,
            progress=data.progress, note=data.note, meeting=data.meeting_id,
            recorded_by_name=_name(user)))
        await audit.record(user, "update", GOAL_ENTITY, goal_id, family["id"],
                           f"Evaluering af »{goal['title']}«: {goals.PROGRESS[data.progress]}",
                           address)
    return rows[0]["id"]


# ------------------------------------------------------------------ family page, agenda

async def family_section(user: Principal, family: dict) -> dict[str, Any]:
    """The family page's method section: the safety scale over meetings (chart and table)
    and a summary of the handleplan. The family route has authorised and audited the read
    (the family page is the team's only)."""
    today = clock.today()
    rows = await scale_rows(family["id"])
    top = await goal_rows(family["id"], today)
    every = [g for goal in top for g in (goal, *goal["subgoals"])]
    counts = {key: sum(1 for g in every if g["progress"] == key) for key in goals.PROGRESS}
    due = sorted((g for g in every if g["due"].state in ("overdue", "today", "soon")),
                 key=lambda g: g["next_evaluation"])
    return {"method": {
        "scale_rows": rows, "groups": sos.GROUPS,
        "chart": sos.chart_svg(rows, f"Sikkerhedsskala over tid – {family['name']}"),
        "goal_count": len(every), "progress_counts": counts, "progress": goals.PROGRESS,
        "due": due, "goals": top,
    }}


async def due_evaluations(user: Principal, own: Sequence[dict], on: date,
                          address: str = "") -> dict[int, list[str]]:
    """For the team agenda: per family whose team ``user`` is on (``own``, the rows the team
    agenda checked, ``followup.service.team_agenda``), the goals whose evaluation falls due
    within the agenda's look-ahead (or is overdue), audited. The father's side (a
    kontaktperson) never gets the handleplan, whatever it is given."""
    if user.role not in CASE_HOLDERS:
        return {}
    mine = [f["id"] for f in own]
    if not mine:
        return {}
    result: dict[int, list[str]] = {}
    by_family = await goal_rows_of(mine, on)
    for family_id in mine:
        for goal in by_family.get(family_id, []):
            for g in (goal, *goal["subgoals"]):
                if goals.is_due(g["next_evaluation"], on, AGENDA_LOOKAHEAD_DAYS):
                    result.setdefault(family_id, []).append(
                        f"{g['title']}: {g['due'].text.lower()} ({g['next_evaluation']:%d.%m.%Y})")
    await audit_due_evaluations(user, result, on, address)
    return result


async def audit_due_evaluations(user: Principal, due: Mapping[int, list[str]], on: date,
                                address: str = "") -> None:
    """The read record of the agenda's goals (also when the page is served kept)."""
    await audit.record_many(user, "read", GOAL_ENTITY, on.isoformat(),
                            [(fid, "Mål til evaluering på teammødet") for fid in due], address)


# ------------------------------------------------------------------------------- GDPR

async def pseudonymise(family_id: int) -> None:
    """Blank the method's personal data of one family after retention (inside the GDPR
    purge's transaction): the mappings' and notes' free text, who answered, goals' texts
    and who was responsible. Scores, progress and dates stay, so the figures keep working."""
    await db.update_each_versioned(SosMapping, SosMapping.family == family_id, {
        SosMapping.worries: "", SosMapping.working_well: "", SosMapping.needs_to_happen: "",
        SosMapping.recorded_by_name: ""})
    for group, label in sos.GROUPS.items():
        await SosScale.update({SosScale.asker_name: label, SosScale.note: "",
                               SosScale.recorded_by_name: ""}).where(
            (SosScale.family == family_id) & (SosScale.asker_group == group))
    await db.update_each_versioned(Goal, Goal.family == family_id, {
        Goal.title: "Mål", Goal.description: "", Goal.responsible_name: "",
        Goal.created_by_name: ""})
    await GoalEvaluation.update({GoalEvaluation.note: "", GoalEvaluation.recorded_by_name: ""}
                                ).where(GoalEvaluation.family == family_id)
