"""The familierådslagning (FGC) and Barnet i Centrum (BIC) flows, step by step.

Each step is saved on its own, in one transaction, audited. The assessments recorded here
are the success criteria the leaders follow (``assessment_counts``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families import service as families
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings import formoede, kinds, offers, service
from coordinator.meetings.tables import (
    BicSession,
    FatherAssessment,
    FgcCase,
    FgcPlanApproval,
    FgcPlanChange,
    FgcPlanItem,
    FgcPlanReview,
    FgcQuestion,
    FgcTask,
    Meeting,
)
from coordinator.network import service as network_service
from coordinator.network import tables as net

CONTACT_TEAM_ROLE = "Kontaktperson, Modtagelsen"
FGC_STATUS, BIC_STATUS = kinds.FGC_STATUS, kinds.BIC_STATUS
DEFAULT_TASKS = ("Tal med familien og barnet om rådslagningen",
                 "Kortlæg og inviter netværket", "Book lokale og bestil mad",
                 "Bestil tolk, hvis der er brug for det", "Aftal barnets deltagelse")


# ------------------------------------------------------------------- shared helpers

def _check_past_date(value: date, label: str, field: str) -> None:
    if value > clock.today():
        raise web.UserError(f"»{label}« kan ikke ligge i fremtiden.", field=field)


async def _advance(table: Any, row_id: int, status: str) -> None:
    """A step moves the familierådslagning's or BIC's record to its next stage: a write of
    the use case, not of a form (``db.ANY_VERSION``), that still raises the version, so a
    form of the record opened before (which writes the stage too) is a conflict rather
    than writing the old stage back."""
    await db.update_versioned(table, row_id, db.ANY_VERSION, {table.status: status})


# ------------------------------------------------------------------- familierådslagning

@dataclass
class FgcView:
    """The stepper page: the case (or None), its tasks, plan, meetings and samordnere."""

    case: dict | None
    tasks: list[dict]
    plan: list[dict]
    meeting: dict | None
    followup: dict | None
    samordnere: list[dict]
    step: int
    questions: list[dict] = field(default_factory=list)
    approval: dict | None = None  # the newest approval of the plan
    changes: list[dict] = field(default_factory=list)  # changes after the newest approval
    reviews: dict[int, list[dict]] = field(default_factory=dict)  # by item, newest first

    @property
    def plan_by_question(self) -> list[tuple[dict | None, list[dict]]]:
        """The plan items grouped under the referral question they answer, in the
        questions' order; items linked to no question last (question None)."""
        groups = [(q, [i for i in self.plan if i["question"] == q["id"]]) for q in self.questions]
        loose = [i for i in self.plan if i["question"] not in {q["id"] for q in self.questions}]
        return groups + ([(None, loose)] if loose else [])


# Who reads what is typed in the two flows, besides the team (the refusal says so).
FGC_READERS = "Samordneren og familiens netværk læser den."
FATHER_READERS = "Far og hans kontaktperson får mødestedet."


def _changed(row: Mapping[str, Any], texts: Mapping[str, tuple[str, str]]
             ) -> dict[str, tuple[str, str]]:
    """Only what is typed now: text saved before is screened when it leaves."""
    return {name: value for name, value in texts.items() if value[1] != row.get(name)}


async def current_fgc(family_id: int) -> dict | None:
    """The family's current familierådslagning case (the newest)."""
    rows = await db.fetch(_CURRENT_FGC, family_id, quick=True)
    return rows[0] if rows else None


_CURRENT_FGC = (
    f'SELECT {db.columns(FgcCase, "c")}, a."full_name" AS "assessed_by_name", '
    's."full_name" AS "samordner_user_name" FROM "fgc_case" c '
    'LEFT JOIN "app_user" a ON a."id" = c."assessed_by" '
    'LEFT JOIN "app_user" s ON s."id" = c."samordner_user" '
    'WHERE c."family" = {} ORDER BY c."id" DESC LIMIT 1')


def fgc_step(case: Mapping[str, Any] | None, meeting: Mapping | None, plan: list) -> int:
    """The step the worker is at (1–6): the first one not done yet."""
    if case is None or case["possible"] is None:
        return 1
    if not case["possible"]:
        return 1
    if not case["concern"] or not case["questions"]:
        return 2
    if not case["samordner_user"] and not case["samordner_name"]:
        return 3
    if meeting is None:
        return 4
    if meeting["status"] not in kinds.HELD_STATUSES:
        return 5
    return 6


async def fgc_view(family_id: int) -> FgcView:
    """Everything the familierådslagning page shows."""
    case = await current_fgc(family_id)
    tasks, plan, meeting, followup = [], [], None, None
    if case:
        tasks = await FgcTask.select().where(FgcTask.case == case["id"]).order_by(
            FgcTask.deadline, FgcTask.id)
        plan = await FgcPlanItem.select().where(FgcPlanItem.case == case["id"]).order_by(
            FgcPlanItem.position, FgcPlanItem.id)
        meeting = await Meeting.select().where(
            (Meeting.fgc_case == case["id"]) & (Meeting.kind == "familieraadslagning")
            & (Meeting.status != "cancelled")).order_by(Meeting.id, ascending=False).first()
        followup = await Meeting.select().where(
            (Meeting.fgc_case == case["id"]) & (Meeting.kind == "familieraadslagning_followup")
            & (Meeting.status != "cancelled")).order_by(Meeting.id, ascending=False).first()
        if meeting:
            meeting["parts"] = await service.parts_of(meeting["id"])
            meeting["participants"] = await service.participants_of(meeting["id"])
        if followup:
            followup["parts"] = await service.parts_of(followup["id"])
    extra = await _plan_extras(case["id"], [i["id"] for i in plan]) if case else {}
    samordnere = await User.select(User.id, User.full_name, User.unit).where(
        (User.role == Role.SAMORDNER.value) & (User.active == True)).order_by(User.full_name)  # noqa: E712
    team = {m["user_id"] for m in await families.team_of(family_id)}
    samordnere = [s for s in samordnere if s["id"] not in team]
    return FgcView(case, tasks, plan, meeting, followup, samordnere,
                   fgc_step(case, meeting, plan), **extra)


async def _plan_extras(case_id: int, item_ids: list[int]) -> dict[str, Any]:
    """The referral questions, the plan's newest approval, the changes after it and each
    item's reviews (newest first)."""
    questions = await FgcQuestion.select().where(FgcQuestion.case == case_id).order_by(
        FgcQuestion.position, FgcQuestion.id)
    approval = await FgcPlanApproval.select().where(FgcPlanApproval.case == case_id).order_by(
        FgcPlanApproval.id, ascending=False).first()
    changes = await FgcPlanChange.select().where(
        FgcPlanChange.approval == approval["id"]).order_by(FgcPlanChange.id) if approval else []
    reviews: dict[int, list[dict]] = {}
    for row in await FgcPlanReview.select(
            *FgcPlanReview.all_columns(),
            FgcPlanReview.meeting.title.as_alias("meeting_title")).where(
            FgcPlanReview.item.is_in(item_ids or [-1])).order_by(FgcPlanReview.id, ascending=False):
        reviews.setdefault(row["item"], []).append(row)
    return {"questions": questions, "approval": approval, "changes": changes,
            "reviews": reviews}


async def _case_or_error(family_id: int, need: str = "") -> dict:
    case = await current_fgc(family_id)
    if case is None or case["possible"] is None:
        raise web.UserError("Registrér først vurderingen af, om en familierådslagning er mulig.")
    if case["possible"] is False:
        raise web.UserError("Vurderingen siger, at en familierådslagning ikke er mulig. "
                            "Ændr vurderingen for at gå videre.")
    if need == "referral" and (not case["concern"] or not case["questions"]):
        raise web.UserError("Udfyld først henvisningen: bekymringen og spørgsmålene.")
    if need == "samordner" and not case["samordner_user"] and not case["samordner_name"]:
        raise web.UserError("Vælg først en samordner.")
    return case


async def save_fgc_assessment(user: Principal, family: Mapping[str, Any], version: int | None,
                              possible: bool, assessed_on: date, family_view: str, reasons: str,
                              address: str = "") -> int:
    """Step 1: is a familierådslagning possible? Recorded with date, who, the family's view
    and reasons (the success criterion: every family has one)."""
    _check_past_date(assessed_on, "Dato for vurderingen", "assessed_on")
    if not reasons:
        raise web.UserError("Skriv begrundelsen for vurderingen.", field="reasons")
    case = await current_fgc(family["id"])
    status = "assessed" if possible else "not_possible"
    values = {FgcCase.possible: possible, FgcCase.assessed_on: assessed_on,
              FgcCase.assessed_by: user.id, FgcCase.family_view: family_view,
              FgcCase.reasons: reasons}
    async with db.transaction():
        if case is None:
            rows = await FgcCase.insert(FgcCase(
                family=family["id"], status=status, possible=possible, assessed_on=assessed_on,
                assessed_by=user.id, family_view=family_view, reasons=reasons))
            case_id = rows[0]["id"]
        else:
            case_id = case["id"]
            if case["status"] in ("assessed", "not_possible"):
                values[FgcCase.status] = status
            await formoede.update_case(FgcCase, case_id, version, values,
                                       {"possible": possible, "reasons": reasons},
                                       "Familierådslagningen")
        await audit.record(user, "update" if case else "create", "familierådslagning", case_id,
                           family["id"], f"Vurdering: familierådslagning "
                           f"{'mulig' if possible else 'ikke mulig'}. {reasons}", address)
    return case_id


async def save_fgc_referral(user: Principal, family: Mapping[str, Any], version: int | None,
                            concern: str, questions: str, referred_on: date,
                            address: str = "") -> None:
    """Step 2: the worker's concern and the questions the family's plan must answer."""
    case = await _case_or_error(family["id"])
    if not concern or not questions:
        raise web.UserError("Udfyld både bekymringen og spørgsmålene, planen skal besvare.",
                            field="questions" if concern else "concern")
    _check_past_date(referred_on, "Henvisningsdato", "referred_on")
    await service.screen_case_text(family["id"], _changed(case, {
        "concern": ("Bekymring", concern), "questions": ("Spørgsmål", questions)}), FGC_READERS, user)
    status = {"assessed": "referred"}.get(case["status"], case["status"])
    lines = [line.strip() for line in questions.splitlines() if line.strip()]
    existing = await FgcQuestion.select().where(FgcQuestion.case == case["id"]).order_by(
        FgcQuestion.position, FgcQuestion.id)
    kept, added, removed = offers.match_questions([(q["id"], q["text"]) for q in existing], lines)
    linked = await FgcPlanItem.select(FgcPlanItem.question).where(
        FgcPlanItem.question.is_in(removed or [-1]))
    if linked:
        text = next(q["text"] for q in existing if q["id"] == linked[0]["question"])
        raise web.UserError(f"Spørgsmålet »{text}« er knyttet til punkter i familiens plan og kan "
                            "ikke fjernes. Knyt punkterne til et andet spørgsmål først, eller "
                            "ret spørgsmålet på samme linje.", field="questions")
    async with db.transaction():
        await formoede.update_case(FgcCase, case["id"], version, {
            FgcCase.concern: concern, FgcCase.questions: "\n".join(lines),
            FgcCase.referred_on: referred_on, FgcCase.status: status},
            {"concern": concern, "questions": questions}, "Familierådslagningen")
        for question_id, (text, position) in kept.items():
            await FgcQuestion.update({FgcQuestion.text: text, FgcQuestion.position: position}
                                     ).where(FgcQuestion.id == question_id)
        for text, position in added:
            await FgcQuestion.insert(FgcQuestion(case=case["id"], text=text, position=position))
        if removed:
            await FgcQuestion.delete().where(FgcQuestion.id.is_in(removed))
        await audit.record(user, "update", "familierådslagning", case["id"], family["id"],
                           "Henvisning: bekymring og spørgsmål registreret", address)


async def set_initiator(user: Principal, family: Mapping[str, Any], version: int | None,
                        kind: str, name: str, address: str = "") -> None:
    """Step 2: who took the initiative (the family, the socialrådgiver or another
    professional), with a name or a short description."""
    case = await _case_or_error(family["id"])
    if kind not in offers.INITIATORS:
        raise web.UserError("Vælg, hvem der tog initiativet.", field="initiator_kind")
    if not name:
        raise web.UserError("Skriv initiativtagerens navn, eller beskriv hvem det er.",
                            field="initiator_name")
    await service.screen_case_text(family["id"], _changed(case, {
        "initiator_name": ("Initiativtager", name)}), FGC_READERS, user)
    async with db.transaction():
        await formoede.update_case(FgcCase, case["id"], version, {
            FgcCase.initiator_kind: kind, FgcCase.initiator_name: name},
            {"initiator_kind": kind, "initiator_name": name},
            "Familierådslagningen")
        await audit.record(user, "update", "familierådslagning", case["id"], family["id"],
                           f"Initiativtager: {offers.INITIATORS[kind]} – {name}", address)


async def set_samordner(user: Principal, family: Mapping[str, Any], version: int | None,
                        samordner_user: int | None, name: str, email: str, organisation: str,
                        address: str = "") -> None:
    """Step 3: the independent coordinator – a samordner user who is NOT on the family's
    team, or an external person who only receives invites."""
    case = await _case_or_error(family["id"], "referral")
    if samordner_user is not None:
        account = await User.select().where(User.id == samordner_user).first()
        if account is None or account["role"] != Role.SAMORDNER.value or not account["active"]:
            raise web.UserError("Den valgte bruger er ikke samordner.", field="samordner_user")
        if await families.is_on_team(samordner_user, family["id"]):
            raise web.UserError("Samordneren skal være uafhængig og må ikke være på familiens team.",
                                field="samordner_user")
        name, email, organisation = "", "", ""
        who = account["full_name"]
    else:
        if not name or not email:
            raise web.UserError("Vælg en samordner, eller skriv navn og e-mail på en ekstern samordner.",
                                field="samordner_email" if name else "samordner_name")
        if "@" not in email or " " in email:
            raise web.UserError("E-mailadressen er ikke gyldig.", field="samordner_email")
        who = name
    status = {"referred": "coordinator"}.get(case["status"], case["status"])
    async with db.transaction():
        await formoede.update_case(FgcCase, case["id"], version, {
            FgcCase.samordner_user: samordner_user, FgcCase.samordner_name: name,
            FgcCase.samordner_email: email, FgcCase.samordner_organisation: organisation,
            FgcCase.status: status}, {"samordner": who}, "Familierådslagningen")
        await audit.record(user, "update", "familierådslagning", case["id"], family["id"],
                           f"Samordner: {who}", address)


async def add_task(user: Principal, family: Mapping[str, Any], title: str,
                   deadline: date | None, address: str = "") -> None:
    """Step 4: a preparation task with a deadline."""
    case = await _case_or_error(family["id"], "samordner")
    if not title:
        raise web.UserError("Skriv opgaven.", field="title")
    if deadline and deadline < clock.today():
        raise web.UserError("Fristen ligger i fortiden.", field="deadline")
    await service.screen_case_text(family["id"], {"title": ("Opgave", title)},
                                   "Samordneren læser opgaverne.", user)
    async with db.transaction():
        await FgcTask.insert(FgcTask(case=case["id"], title=title, deadline=deadline))
        if case["status"] == "coordinator":
            await _advance(FgcCase, case["id"], "preparing")
        await audit.record(user, "create", "familierådslagning", case["id"], family["id"],
                           f"Forberedelsesopgave: {title}", address)


async def set_task_done(user: Principal, family: Mapping[str, Any], task_id: int, done: bool,
                        address: str = "") -> None:
    """Mark a preparation task done (or not)."""
    case = await _case_or_error(family["id"])
    task = await FgcTask.select().where((FgcTask.id == task_id) & (FgcTask.case == case["id"])
                                        ).first()
    if task is None:
        raise NotFoundException()
    async with db.transaction():
        await FgcTask.update({FgcTask.done: done,
                              FgcTask.done_at: clock.now() if done else None}).where(
            FgcTask.id == task_id)
        await audit.record(user, "update", "familierådslagning", case["id"], family["id"],
                           f"Opgave {'udført' if done else 'genåbnet'}: {task['title']}", address)


async def create_fgc_meeting(user: Principal, family: Mapping[str, Any],
                             times: Mapping[str, tuple[datetime | None, datetime | None]],
                             location: str, location_organisation: int | None,
                             address: str = "") -> int:
    """Step 5: the meeting in three parts, each with its own window. The socialrådgiver
    (the organiser) and a samordner user join the information and plan parts."""
    case = await _case_or_error(family["id"], "samordner")
    if await Meeting.exists().where((Meeting.fgc_case == case["id"])
                                    & (Meeting.kind == "familieraadslagning")
                                    & (Meeting.status != "cancelled")):
        raise web.UserError("Der er allerede et møde for denne familierådslagning.", 409)
    kind = kinds.get_kind("familieraadslagning")
    windows = service.validate_times(kind, times)
    missing = [spec.key for spec in kind.parts if spec.key not in windows]
    if missing:
        start, _ = times.get(missing[0], (None, None))
        raise web.UserError("Angiv start og slut for alle tre dele af mødet.",
                            field=f"{missing[0]}_{'end' if start else 'start'}")
    await service.screen_case_text(family["id"], {"location": ("Mødested", location)},
                                   FGC_READERS, user)
    people = [service.NewParticipant(user_id=user.id, role="socialraadgiver")]
    if case["samordner_user"]:
        people.append(service.NewParticipant(user_id=case["samordner_user"], role="samordner"))
    else:
        people.append(service.NewParticipant(name=case["samordner_name"],
                                              email=case["samordner_email"],
                                              organisation=case["samordner_organisation"],
                                              role="samordner"))
    async with db.transaction():
        meeting_id = await service.create_meeting(
            user, family, kind.key, f"Familierådslagning – {family['name']}", location=location,
            location_organisation=location_organisation, times=windows, fgc_case=case["id"],
            address=address)
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        if meeting is None:  # created just above, in this transaction
            raise AssertionError(f"Meeting {meeting_id} not found after creation")
        await service.add_participants(user, meeting, meeting["version"], people, address)
        if case["status"] in ("coordinator", "preparing"):
            await _advance(FgcCase, case["id"], "planned")
    return meeting_id


async def add_plan_item(user: Principal, family: Mapping[str, Any], action: str, who: str,
                        by_when: date | None, question_id: int | None = None, reason: str = "",
                        address: str = "") -> None:
    """Step 6: one action of the family's plan (recorded after the meeting was held), linked
    to the referral question it answers. Once the plan is approved an added item is a
    recorded change (who, when, why) and the plan needs a new approval."""
    view = await fgc_view(family["id"])
    # A meeting implies a case (fgc_view loads meetings of the case only).
    if view.case is None or view.meeting is None or view.meeting["status"] not in kinds.HELD_STATUSES:
        raise web.UserError("Familiens plan registreres, når mødet er markeret som afholdt.")
    if not action or not who:
        raise web.UserError("Udfyld både handlingen og hvem der gør det.",
                            field="action" if not action else "who")
    if question_id is not None and question_id not in {q["id"] for q in view.questions}:
        raise web.UserError("Spørgsmålet findes ikke i henvisningen.", field="question")
    if view.approval and not reason:
        raise web.UserError("Planen er godkendt. Skriv, hvorfor planen ændres – ændringen "
                            "registreres, og planen skal godkendes igen.", field="reason")
    await service.screen_case_text(family["id"], {"action": ("Handling", action),
                                                  "who": ("Hvem", who)}, FGC_READERS, user)
    async with db.transaction():
        await FgcPlanItem.insert(FgcPlanItem(case=view.case["id"], action=action, who=who,
                                             by_when=by_when, position=len(view.plan),
                                             question=question_id))
        if view.case["status"] == "planned":
            await _advance(FgcCase, view.case["id"], "held")
        if view.approval:
            await FgcPlanChange.insert(FgcPlanChange(
                case=view.case["id"], approval=view.approval["id"],
                summary=f"Nyt punkt: {action} ({who})", reason=reason, changed_by=user.id,
                changed_by_name=user.full_name, changed_at=clock.now()))
        await audit.record(user, "create", "familierådslagning", view.case["id"], family["id"],
                           f"Plan: {action} ({who})"
                           + (f". Ændring efter godkendelsen: {reason}" if view.approval else ""),
                           address)


async def may_approve_plan(user: Principal, family_id: int) -> bool:
    """Only a socialrådgiver on the family's team approves the family's plan."""
    return user.role is Role.SOCIALRAADGIVER and await families.is_on_team(user.id, family_id)


async def approve_plan(user: Principal, family: Mapping[str, Any], version: int | None,
                       conditions: str, address: str = "") -> None:
    """The socialrådgiver approves the family's plan (who, when, on which conditions). A
    stale form is a conflict; a plan changed after its approval is approved anew."""
    if not await may_approve_plan(user, family["id"]):
        raise web.UserError("Kun en socialrådgiver på familiens team kan godkende planen.", 403)
    view = await fgc_view(family["id"])
    if view.case is None or not view.plan:
        raise web.UserError("Registrér familiens plan, før den godkendes.")
    if view.approval and not view.changes:
        raise web.UserError("Planen er allerede godkendt, og den er ikke ændret siden.", 409)
    async with db.transaction():
        await formoede.update_case(FgcCase, view.case["id"], version, {},
                                   {"plan_approved": "ja", "conditions": conditions},
                                   "Familierådslagningen")
        await FgcPlanApproval.insert(FgcPlanApproval(
            case=view.case["id"], approved_by=user.id, approved_by_name=user.full_name,
            approved_at=clock.now(), conditions=conditions))
        await audit.record(user, "update", "familierådslagning", view.case["id"], family["id"],
                           "Planen godkendt" + (f" på betingelse af: {conditions}" if conditions
                                                else ""), address)


async def review_plan_item(user: Principal, family: Mapping[str, Any], item_id: int,
                           version: int | None, status: str, note: str,
                           address: str = "") -> None:
    """Review one plan item: its status and a note, kept as the item's history; recorded
    at the follow-up meeting when there is one. A stale form is a conflict."""
    view = await fgc_view(family["id"])
    item = next((i for i in view.plan if i["id"] == item_id), None)
    if view.case is None or item is None:
        raise NotFoundException()
    if status not in offers.PLAN_STATUSES:
        raise web.UserError("Vælg punktets status.", field="status")
    if status == "not_done" and not note:
        raise web.UserError("Skriv, hvorfor punktet ikke blev gennemført.", field="note")
    await service.screen_case_text(family["id"], {"note": ("Note", note)}, FGC_READERS, user)
    async with db.transaction():
        try:
            await db.update_versioned(
                FgcPlanItem, item_id, version, {FgcPlanItem.status: status},
                mine={"status": status, "note": note}, shown=["status"],
                message="Punktet er gennemgået af en anden imens. Din gennemgang er ikke gemt. "
                        "Sammenlign de to udgaver, og prøv igen.")
        except web.Conflict as exc:  # the note lives in the item's history, not on the item
            latest = await FgcPlanReview.select(FgcPlanReview.note).where(
                FgcPlanReview.item == item_id).order_by(FgcPlanReview.id, ascending=False).first()
            exc.theirs["note"] = latest["note"] if latest else ""
            raise
        await FgcPlanReview.insert(FgcPlanReview(
            item=item_id, meeting=view.followup["id"] if view.followup else None, status=status,
            note=note, reviewed_by=user.id, reviewed_by_name=user.full_name,
            reviewed_at=clock.now()))
        await audit.record(user, "update", "familierådslagning", view.case["id"], family["id"],
                           f"Punkt i planen gennemgået: {item['action']} – "
                           f"{offers.PLAN_STATUSES[status]}", address)


async def propose_fgc_followup(user: Principal, family: Mapping[str, Any],
                               address: str = "") -> int:
    """Step 6: propose the follow-up meeting about three months after the meeting."""
    view = await fgc_view(family["id"])
    if view.case is None or view.meeting is None:  # no case means no meeting either
        raise web.UserError("Der er intet møde at følge op på.")
    if not view.plan:
        raise web.UserError("Registrér familiens plan, før opfølgningsmødet foreslås.")
    async with db.transaction():  # the proposal and the case's new stage, or neither
        new_id = await service.propose_followup(user, view.meeting, view.meeting["version"],
                                                address)
        await db.update_versioned(
            FgcCase, view.case["id"], view.case["version"], {FgcCase.status: "followup"},
            message="Familierådslagningen blev ændret, mens opfølgningsmødet blev foreslået. "
                    "Intet er gemt. Genindlæs siden, og prøv igen.")
    return new_id


# ------------------------------------------------------------------- Barnet i Centrum

@dataclass
class BicView:
    """The BIC page: the assessment (or None), sessions, meetings and choices."""

    assessment: dict | None
    sessions: list[dict]
    joint: list[dict]
    fathers: list[dict]
    contacts: list[dict]


async def current_bic(family_id: int) -> dict | None:
    """The family's current father assessment (the newest)."""
    rows = await db.fetch(_CURRENT_BIC, family_id, quick=True)
    return rows[0] if rows else None


_CURRENT_BIC = (
    f'SELECT {db.columns(FatherAssessment, "b")}, p."name" AS "father_name", '
    'a."full_name" AS "assessed_by_name", g."full_name" AS "agreement_by_name", '
    'k."full_name" AS "contact_name" FROM "father_assessment" b '
    'LEFT JOIN "person" p ON p."id" = b."father" '
    'LEFT JOIN "app_user" a ON a."id" = b."assessed_by" '
    'LEFT JOIN "app_user" g ON g."id" = b."mother_agreement_by" '
    'LEFT JOIN "app_user" k ON k."id" = b."contact_person" '
    'WHERE b."family" = {} ORDER BY b."id" DESC LIMIT 1')


async def bic_view(family_id: int) -> BicView:
    """Everything the BIC page shows."""
    assessment = await current_bic(family_id)
    sessions, joint = [], []
    if assessment:
        sessions = await BicSession.select(
            *BicSession.all_columns(), BicSession.meeting.status.as_alias("meeting_status"),
        ).where(BicSession.assessment == assessment["id"]).order_by(BicSession.id)
        for s in sessions:
            parts = await service.parts_of(s["meeting"]) if s["meeting"] else []
            s["starts_at"] = parts[0]["starts_at"] if parts else None
            s["topic_labels"] = [dict(kinds.BIC_TOPICS).get(t, t) for t in s["topics"].split(",") if t]
            s["held"] = s["status"] == "held"
            s["status_label"] = kinds.BIC_SESSION_STATUS["held" if s["held"] else "planned"]
        joint = await Meeting.select().where(
            (Meeting.family == family_id) & (Meeting.kind == "bic_joint_parents")).order_by(Meeting.id)
    fathers = await net.Person.select(net.Person.id, net.Person.name).where(
        (net.Person.family == family_id) & (net.Person.role == "father")).order_by(net.Person.name)
    contacts = await User.select(User.id, User.full_name, User.unit).where(
        (User.role == Role.KONTAKTPERSON.value) & (User.active == True)).order_by(User.full_name)  # noqa: E712
    return BicView(assessment, sessions, joint, fathers, contacts)


async def referred_to(user: Principal, family_id: int) -> bool:
    """True when the family's father is referred to ``user`` as kontaktperson."""
    row = await current_bic(family_id)
    return row is not None and row["contact_person"] == user.id


FATHER_SIDE_FIELDS = ("id", "status", "involve", "father", "father_name", "contact_person",
                      "contact_name", "referred_on", "mother_agreed_on", "version")


def father_side_view(view: BicView, clean: Callable[[str | None], str]) -> BicView:
    """The BIC page for the father's kontaktperson: his record (status, referral, who
    follows him), his sessions and the joint meetings' titles as the meeting page shows
    them to her (``clean``: ``service.family_cleaner``, every protected fact withheld and
    the children named by first name and initial); not the assessment's reasons, the
    consent note, the network's other fathers or the list of contact persons."""
    assessment = ({key: view.assessment.get(key) for key in FATHER_SIDE_FIELDS}
                  if view.assessment else None)
    joint = [{"id": m["id"], "title": clean(m["title"]), "status": m["status"]}
             for m in view.joint]
    return BicView(assessment, view.sessions, joint, [], [])


async def _bic_or_error(family_id: int, need: str) -> dict:
    row = await current_bic(family_id)
    if row is None:
        raise web.UserError("Registrér først vurderingen af, om far skal inddrages.")
    if not row["involve"]:
        raise web.UserError("Vurderingen siger, at far ikke skal inddrages.")
    if need in ("agreement", "referral") and row["mother_agreed_on"] is None:
        raise web.UserError("Mors samtykke skal registreres, før der tages kontakt til far.")
    if need == "referral" and row["contact_person"] is None:
        raise web.UserError("Henvis først far til kontaktpersonen i Modtagelsen.")
    return row


async def save_father_assessment(user: Principal, family: Mapping[str, Any],
                                 version: int | None, father_id: int | None, involve: bool,
                                 reasons: str, assessed_on: date, address: str = "") -> int:
    """The social-professional assessment: should the father be involved, and why."""
    _check_past_date(assessed_on, "Dato for vurderingen", "assessed_on")
    if not reasons:
        raise web.UserError("Skriv begrundelsen for vurderingen.", field="reasons")
    if father_id is not None and not await net.Person.exists().where(
            (net.Person.id == father_id) & (net.Person.family == family["id"])):
        raise web.UserError("Far findes ikke i familiens netværk.", field="father")
    row = await current_bic(family["id"])
    status = "assessed" if involve else "not_involved"
    async with db.transaction():
        if row is None:
            rows = await FatherAssessment.insert(FatherAssessment(
                family=family["id"], father=father_id, involve=involve, reasons=reasons,
                assessed_on=assessed_on, assessed_by=user.id, status=status))
            row_id = rows[0]["id"]
        else:
            row_id = row["id"]
            values = {FatherAssessment.father: father_id, FatherAssessment.involve: involve,
                      FatherAssessment.reasons: reasons, FatherAssessment.assessed_on: assessed_on,
                      FatherAssessment.assessed_by: user.id}
            if row["status"] in ("assessed", "not_involved"):
                values[FatherAssessment.status] = status
            await formoede.update_case(FatherAssessment, row_id, version, values,
                                       {"involve": involve, "reasons": reasons},
                                       "Vurderingen af far")
        await audit.record(user, "update" if row else "create", "Barnet i Centrum", row_id,
                           family["id"], f"Vurdering: far {'inddrages' if involve else 'inddrages ikke'}. "
                           f"{reasons}", address)
    return row_id


async def record_mother_agreement(user: Principal, family: Mapping[str, Any],
                                  version: int | None, agreed_on: date, note: str,
                                  address: str = "") -> None:
    """The mother's agreement to contact with the father (required before any contact)."""
    row = await _bic_or_error(family["id"], "")
    _check_past_date(agreed_on, "Dato for samtykket", "agreed_on")
    async with db.transaction():
        await formoede.update_case(FatherAssessment, row["id"], version, {
            FatherAssessment.mother_agreed_on: agreed_on,
            FatherAssessment.mother_agreement_by: user.id,
            FatherAssessment.mother_agreement_note: note, FatherAssessment.status: "agreed"},
            {"mother_agreed_on": agreed_on}, "Vurderingen af far")
        await audit.record(user, "update", "Barnet i Centrum", row["id"], family["id"],
                           f"Mors samtykke registreret ({web.fmt_date(agreed_on)})", address)


async def refer_to_contact(user: Principal, family: Mapping[str, Any], version: int | None,
                           contact_user: int, referred_on: date, address: str = "") -> None:
    """Refer the father to the contact person in Modtagelsen, who joins the family's team
    as "Kontaktperson, Modtagelsen" so the policy lets them in."""
    row = await _bic_or_error(family["id"], "agreement")
    _check_past_date(referred_on, "Henvisningsdato", "referred_on")
    account = await User.select().where(User.id == contact_user).first()
    if account is None or account["role"] != Role.KONTAKTPERSON.value or not account["active"]:
        raise web.UserError("Vælg en kontaktperson i Modtagelsen.", field="contact_person")
    async with db.transaction():
        await formoede.update_case(FatherAssessment, row["id"], version, {
            FatherAssessment.contact_person: contact_user, FatherAssessment.referred_on: referred_on,
            FatherAssessment.status: "referred"}, {"contact_person": account["full_name"]},
            "Vurderingen af far")
        if not await families.is_on_team(contact_user, family["id"]):
            await TeamMember.insert(TeamMember(family=family["id"], user=contact_user,
                                               team_role=CONTACT_TEAM_ROLE))
            await audit.record(user, "update", "team", contact_user, family["id"],
                               f"Tilføjet til teamet som {CONTACT_TEAM_ROLE}", address)
        await audit.record(user, "update", "Barnet i Centrum", row["id"], family["id"],
                           f"Far henvist til {account['full_name']}", address)


def _topics(keys: Iterable[str]) -> list[str]:
    known = dict(kinds.BIC_TOPICS)
    chosen = [k for k in dict.fromkeys(keys) if k]
    if not chosen:
        raise web.UserError("Vælg mindst ét emne for samtalen.", field="topics")
    if any(k not in known for k in chosen):
        raise web.UserError("Ugyldigt emne.", field="topics")
    return chosen


async def add_bic_session(user: Principal, family: Mapping[str, Any], topics: list[str],
                          start: datetime, end: datetime, location: str,
                          address: str = "") -> int:
    """An advice session with the father: a meeting with the father and the contact person."""
    row = await _bic_or_error(family["id"], "referral")
    chosen = _topics(topics)
    if row["father"] is None:
        raise web.UserError("Vælg far fra netværket i vurderingen, før der planlægges samtaler.")
    kind = kinds.get_kind("bic_session")
    windows = service.validate_times(kind, {kind.parts[0].key: (start, end)})
    await service.screen_case_text(family["id"], {"location": ("Mødested", location)},
                                   FATHER_READERS, user)
    async with db.transaction():
        meeting_id = await service.create_meeting(
            user, family, kind.key, kind.label, location=location, times=windows,
            father_assessment=row["id"], address=address)
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        if meeting is None:  # created just above, in this transaction
            raise AssertionError(f"Meeting {meeting_id} not found after creation")
        await service.add_participants(user, meeting, meeting["version"], [
            service.NewParticipant(person_id=row["father"], role="father"),
            service.NewParticipant(user_id=row["contact_person"], role="kontaktperson")],
            address)
        await BicSession.insert(BicSession(assessment=row["id"], meeting=meeting_id,
                                           topics=",".join(chosen)))
        await _advance(FatherAssessment, row["id"], "sessions")
        await audit.record(user, "create", "Barnet i Centrum", row["id"], family["id"],
                           "Rådgivningssamtale planlagt: " + ", ".join(chosen), address)
    return meeting_id


async def session_held(user: Principal, family: Mapping[str, Any], session_id: int,
                       notes: str, address: str = "") -> None:
    """Record that an advice session was held, with notes."""
    row = await _bic_or_error(family["id"], "referral")
    session = await BicSession.select().where(
        (BicSession.id == session_id) & (BicSession.assessment == row["id"])).first()
    if session is None:
        raise NotFoundException()
    if not notes:
        raise web.UserError("Skriv noter fra samtalen.", field="notes")
    await service.screen_case_text(family["id"], {"notes": ("Noter", notes)},
                                   "Fars kontaktperson læser noterne.", user)
    async with db.transaction():
        # Only a session not yet held: notes recorded once are not written over by a second
        # form sent for it (a double click, or a colleague's page from before).
        written = await BicSession.update({BicSession.status: "held", BicSession.notes: notes}).where(
            (BicSession.id == session_id) & (BicSession.status != "held")).returning(BicSession.id)
        if not written:
            raise web.UserError("Samtalen er allerede registreret som afholdt, og noterne fra da "
                                "er gemt. Dine noter er ikke gemt.", 409, field="notes")
        await audit.record(user, "update", "Barnet i Centrum", row["id"], family["id"],
                           "Rådgivningssamtale afholdt", address)


async def create_joint_meeting(user: Principal, family: Mapping[str, Any], start: datetime,
                               end: datetime, location: str, address: str = "") -> int:
    """The optional joint parents' meeting; it needs a recorded approval on the meeting page
    before invites go out, and staggered arrival/departure per person is set there."""
    row = await _bic_or_error(family["id"], "agreement")
    if row["father"] is None:
        raise web.UserError("Vælg far fra netværket i vurderingen først.")
    mother = await net.Person.select(net.Person.id).where(
        (net.Person.family == family["id"]) & (net.Person.role == "mother")).first()
    kind = kinds.get_kind("bic_joint_parents")
    windows = service.validate_times(kind, {kind.parts[0].key: (start, end)})
    await service.screen_case_text(family["id"], {"location": ("Mødested", location)},
                                   FATHER_READERS, user)
    people = [service.NewParticipant(person_id=row["father"], role="father"),
              service.NewParticipant(user_id=user.id, role="socialraadgiver")]
    if mother:
        people.insert(0, service.NewParticipant(person_id=mother["id"], role="mother"))
    if row["contact_person"]:
        people.append(service.NewParticipant(user_id=row["contact_person"], role="kontaktperson"))
    async with db.transaction():
        meeting_id = await service.create_meeting(
            user, family, kind.key, kind.label, location=location, times=windows,
            father_assessment=row["id"], address=address)
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        if meeting is None:  # created just above, in this transaction
            raise AssertionError(f"Meeting {meeting_id} not found after creation")
        await service.add_participants(user, meeting, meeting["version"], people, address)
    return meeting_id


# ------------------------------------------------------------------- success criteria

@dataclass(frozen=True)
class FamilyAssessments:
    """The two recorded assessments of one family (None: not recorded)."""

    family_id: int
    fgc_possible: bool | None
    fgc_assessed_on: date | None
    father_involve: bool | None
    father_assessed_on: date | None

    @property
    def fgc_assessed(self) -> bool:
        """A familierådslagning assessment is recorded."""
        return self.fgc_possible is not None

    @property
    def father_assessed(self) -> bool:
        """A father-involvement assessment is recorded."""
        return self.father_involve is not None


@dataclass(frozen=True)
class AssessmentTotals:
    """Counts over a set of families, for the leaders' success criteria."""

    families: int
    fgc_assessed: int
    fgc_possible: int
    father_assessed: int
    father_involved: int


# Family ids per IN list: a caller's family set grows with the country (85,000 current
# families at national scale), and a driver binds at most 32,767 values per statement.
ID_CHUNK = 5000


async def assessment_counts(family_ids: Iterable[int]) -> dict[int, FamilyAssessments]:
    """Per family: the newest FGC and father assessment (None where none is recorded).

    Every family id asked for is in the result, so a missing assessment is visible. The
    ids are read in chunks of ``ID_CHUNK``, so any number of families can be asked for.
    """
    ids = list(dict.fromkeys(family_ids))
    newest_fgc: dict[int, dict] = {}
    newest_bic: dict[int, dict] = {}
    for chunk in (ids[start:start + ID_CHUNK] for start in range(0, len(ids), ID_CHUNK)):
        # ordered by id: a family's newest assessment is the last one kept
        newest_fgc.update((r["family"], r) for r in await FgcCase.select(
            FgcCase.id, FgcCase.family, FgcCase.possible, FgcCase.assessed_on,
        ).where(FgcCase.family.is_in(chunk)).order_by(FgcCase.id))
        newest_bic.update((r["family"], r) for r in await FatherAssessment.select(
            FatherAssessment.id, FatherAssessment.family, FatherAssessment.involve,
            FatherAssessment.assessed_on,
        ).where(FatherAssessment.family.is_in(chunk)).order_by(FatherAssessment.id))
    return {fid: FamilyAssessments(
        fid, newest_fgc.get(fid, {}).get("possible"), newest_fgc.get(fid, {}).get("assessed_on"),
        newest_bic.get(fid, {}).get("involve"), newest_bic.get(fid, {}).get("assessed_on"))
        for fid in ids}


# The same newest assessments as columns of a statement over ``family f`` (the highest id
# per family, as ``assessment_counts`` keeps them), for counting in the database over a set
# of families too large to load (a unit's families: ``families.units``).
NEWEST_ASSESSMENTS_SQL = (
    '(SELECT c."possible" FROM "fgc_case" c WHERE c."family" = f."id" '
    'ORDER BY c."id" DESC LIMIT 1) AS "fgc_possible", '
    '(SELECT a."involve" FROM "father_assessment" a WHERE a."family" = f."id" '
    'ORDER BY a."id" DESC LIMIT 1) AS "father_involve"')


async def assessment_totals(family_ids: Iterable[int]) -> AssessmentTotals:
    """How many of the families have each assessment (and how many said yes)."""
    rows = list((await assessment_counts(family_ids)).values())
    return AssessmentTotals(
        families=len(rows), fgc_assessed=sum(r.fgc_assessed for r in rows),
        fgc_possible=sum(bool(r.fgc_possible) for r in rows),
        father_assessed=sum(r.father_assessed for r in rows),
        father_involved=sum(bool(r.father_involve) for r in rows))


# ------------------------------------------------------------------- the family section

# What the family page's next steps need of a familierådslagning, in one statement: the
# status of its meeting (as ``fgc_view`` finds it: the newest not cancelled), whether there
# is a plan, its newest approval and whether the plan changed after it, the open tasks.
_FGC_PROGRESS = (
    'SELECT (SELECT m."status" FROM "meeting" m WHERE m."fgc_case" = {} '
    "AND m.\"kind\" = 'familieraadslagning' AND m.\"status\" <> 'cancelled' "
    'ORDER BY m."id" DESC LIMIT 1) AS "meeting_status", '
    'EXISTS (SELECT 1 FROM "fgc_plan_item" i WHERE i."case" = {}) AS "has_plan", '
    '(SELECT a."id" FROM "fgc_plan_approval" a WHERE a."case" = {} '
    'ORDER BY a."id" DESC LIMIT 1) AS "approval", '
    'EXISTS (SELECT 1 FROM "fgc_plan_change" c WHERE c."approval" = (SELECT a."id" FROM '
    '"fgc_plan_approval" a WHERE a."case" = {} ORDER BY a."id" DESC LIMIT 1)) AS "changed", '
    '(SELECT COUNT(*) FROM "fgc_task" t WHERE t."case" = {} AND NOT t."done") AS "open_tasks"')


async def _fgc_progress(case_id: int) -> dict[str, Any]:
    """How far a familierådslagning has come, for the family page (``_FGC_PROGRESS``)."""
    row = (await db.fetch(_FGC_PROGRESS, *([case_id] * 5), quick=True))[0]
    return {**row, "has_plan": bool(row["has_plan"]), "changed": bool(row["changed"])}


async def family_section(user: Principal, family: dict) -> dict[str, Any]:
    """The meetings section of the family page: meetings, assessments, next steps."""
    meetings = await service.meetings_of_family(family["id"])
    fgc = await current_fgc(family["id"])
    bic = await current_bic(family["id"])
    steps: list[str] = []
    if fgc is None or fgc["possible"] is None:
        steps.append("Vurder sammen med familien, om en familierådslagning er mulig.")
    elif fgc["possible"]:
        progress = await _fgc_progress(fgc["id"])
        meeting = {"status": progress["meeting_status"]} if progress["meeting_status"] else None
        step = fgc_step(fgc, meeting, [])
        steps.append({2: "Udfyld henvisningen til familierådslagningen.",
                      3: "Vælg en samordner.", 4: "Forbered og planlæg mødet.",
                      5: "Hold familierådslagningen.",
                      6: "Registrér familiens plan og opfølgningsmødet."}.get(step, ""))
        offer = offers.fgc_meeting_offer(family["id"], fgc["formoede_on"],
                                         fgc["formoede_agreement"])
        if step in (4, 5) and not offer.allowed:
            steps.append(f"{offer.reason} {offer.way}.")
        if progress["has_plan"] and (progress["approval"] is None or progress["changed"]):
            steps.append("Familiens plan venter på socialrådgiverens godkendelse.")
        if progress["open_tasks"]:
            steps.append(f"{progress['open_tasks']} forberedelsesopgave(r) er ikke udført.")
    if bic is None:
        steps.append("Vurder, om far skal inddrages (Barnet i Centrum).")
    elif bic["involve"] and bic["mother_agreed_on"] is None:
        steps.append("Registrér mors samtykke, før der tages kontakt til far.")
    elif bic["involve"] and bic["contact_person"] is None:
        steps.append("Henvis far til kontaktpersonen i Modtagelsen.")
    now = clock.now()
    upcoming = [m for m in meetings if m["starts_at"] and m["starts_at"] > now
                and m["status"] in kinds.OPEN_STATUSES]
    if upcoming:
        steps.append(f"Næste møde: {upcoming[0]['title']} {web.fmt_datetime(upcoming[0]['starts_at'])}.")
        clock.changes_at(upcoming[0]["starts_at"])  # then another one is the next
    # Sent meetings that a change of the family or its network made unsafe since (a
    # check-in, a person marked protected): the team is told here, on every view, until
    # the meeting is changed, moved or cancelled.
    unsafe = await service.unsafe_sent_meetings(
        family, meetings, await network_service.known_network(family["id"]))
    return {"meetings": meetings, "fgc": fgc, "bic": bic, "next_steps": [s for s in steps if s],
            "fgc_status": FGC_STATUS, "bic_status": BIC_STATUS, "unsafe": unsafe,
            "unsafe_ids": {m.id for m in unsafe}}


async def unsafe_now(family_id: int) -> list[service.UnsafeMeeting]:
    """The family's sent meetings still to come that are unsafe as the family is now
    (``service.unsafe_sent_meetings``): after a change of the family or its network (a
    check-in, a person marked protected, a pair kept apart) the team is told at once and
    taken to the family page's warning rather than to the change's own section."""
    family = await Family.select().where(Family.id == family_id).first()
    if family is None:
        return []
    return await service.unsafe_sent_meetings(family,
                                              await service.meetings_of_family(family_id))


async def family_name(family_id: int) -> str:
    """The family's name (for the samordner's narrow view, which never loads the family)."""
    row = await Family.select(Family.name).where(Family.id == family_id).first()
    return row["name"] if row else ""
