"""Demo data for the method (fictitious): Signs of Safety mappings with safety scales over
several network meetings, and handleplans with goals, sub-goals and evaluation history.

Runs after the meetings seeder: every third family has a held network meeting there; here
it gets two earlier network meetings (same participants), a mapping and scale answers in
each, and a handleplan whose evaluations were discussed in those meetings. Families whose
familierådslagning plan is recorded get a goal linked to a plan item.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from coordinator import db
from coordinator.meetings.service import insert_default_agenda
from coordinator.meetings.tables import (
    AgendaPoint,
    FgcCase,
    FgcPlanItem,
    Meeting,
    MeetingPart,
    Participant,
    ParticipantPart,
)
from coordinator.method import sos
from coordinator.method.tables import Goal, GoalEvaluation, SosMapping, SosScale

WORRIES = (
    "Børnene har set vold i hjemmet og er urolige om natten. Mor er usikker på, hvor de skal bo.",
    "Den ældste har meget fravær i skolen. Mor har svært ved at sige fra over for far.",
    "Familien har ingen fast bolig efter opholdet, og økonomien er usikker.",
)
WORKING = (
    "Mor søger hjælp og holder aftaler. Mormor henter børnene fast om tirsdagen.",
    "Børnene er glade for pædagogerne og har fået venner på centret.",
    "Netværket mødte op, og naboen har tilbudt at hjælpe med lektier.",
)
NEEDS = (
    "Skolen og mor aftaler en plan for fremmøde. Mormor er med til næste netværksmøde.",
    "Mor får hjælp af Ydelseskontoret til indskud. Der laves en sikkerhedsplan for aflevering.",
    "Netværket aftaler, hvem mor kan ringe til om aftenen, når hun er flyttet ud.",
)
GOALS = (
    ("stay", "Børnene går i skole hver dag", "monthly",
     ("Fremmøde aftalt med skolen", "Mormor følger den yngste i skole om tirsdagen")),
    ("stay", "Mor har en bolig at flytte til", "quarterly",
     ("Ansøgning om bolig sendt",)),
    ("after_care", "Mor ved, hvem hun kan ringe til efter udflytning", "quarterly", ()),
)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


async def _earlier_meeting(model: dict, participants: list[dict], start: datetime,
                           number: int) -> int:
    """A held network meeting before ``model`` with the same participants."""
    rows = await Meeting.insert(Meeting(
        family=model["family"], kind="netvaerksmoede", status="held", sequence=1,
        title=f"{number}. netværksmøde – " + model["title"].split(" – ", 1)[-1],
        organiser=model["organiser"], location=model["location"]))
    meeting_id = rows[0]["id"]
    await insert_default_agenda(meeting_id, "netvaerksmoede")
    await db.update_each_versioned(
        AgendaPoint, (AgendaPoint.meeting == meeting_id) & (AgendaPoint.position == 2), {
            AgendaPoint.minutes: "Netværket gennemgik bekymringer og det, der går godt.",
            AgendaPoint.minutes_at: start + timedelta(hours=2)})
    part = await MeetingPart.insert(MeetingPart(
        meeting=meeting_id, key="meeting", label="Netværksmøde", starts_at=start,
        ends_at=start + timedelta(hours=2), position=0))
    for p in participants:
        new = await Participant.insert(Participant(
            meeting=meeting_id, person=p["person"], user=p["user"], name=p["name"],
            email=p["email"], organisation=p["organisation"], role=p["role"],
            category=p["category"], channel=p["channel"], rsvp="ACCEPTED",
            invite_via_worker=p["invite_via_worker"],
            # told of it by letter or phone when it was sent, a fortnight before it
            told_what="invitation" if p["channel"] != "email" else "",
            told_sequence=1 if p["channel"] != "email" else None,
            told_at=start - timedelta(days=14) if p["channel"] != "email" else None))
        await ParticipantPart.insert(ParticipantPart(participant=new[0]["id"],
                                                     part=part[0]["id"]))
    return meeting_id


async def _mapping(family_id: int, meeting_id: int, participants: list[dict], step: int,
                   index: int, by: str) -> None:
    await SosMapping.insert(SosMapping(
        family=family_id, meeting=meeting_id, worries=WORRIES[(index + step) % 3],
        working_well=WORKING[(index + step) % 3], needs_to_happen=NEEDS[(index + step) % 3],
        recorded_by_name=by))
    base = 2 + step * 2 + index % 2  # the scale rises over the meetings
    await SosScale.insert(SosScale(family=family_id, meeting=meeting_id, asker_group="family",
                                   asker_name="Familien", score=min(base + 1, 10),
                                   note="Mor: det er blevet roligere.", recorded_by_name=by))
    asked = {"network": 0, "professional": 0}
    for p in participants:
        group = sos.group_of_category(p["category"])
        if group in asked and asked[group] < 2:
            asked[group] += 1
            score = min(base + (1 if group == "network" else 0) - asked[group] % 2, 10)
            await SosScale.insert(SosScale(
                family=family_id, meeting=meeting_id, participant=p["id"], asker_group=group,
                asker_name=p["name"], score=max(score, 0), recorded_by_name=by))


async def _goals(family_id: int, opened: date, meetings: list[tuple[int, date]], index: int,
                 by: str, plan_item: int | None, today: date) -> None:
    progress_by_step = ("not_started", "in_progress", "in_progress", "reached")
    for number, (period, title, cadence, subgoals) in enumerate(GOALS):
        starts = max(opened, meetings[0][1] - timedelta(days=7)) if meetings else opened
        rows = await Goal.insert(Goal(
            family=family_id, period=period, title=title, cadence=cadence, starts_on=starts,
            responsible_name="Mor og socialrådgiveren" if number != 1 else "Socialrådgiveren",
            plan_item=plan_item if number == 0 else None, created_by_name=by))
        goal_id = rows[0]["id"]
        history = meetings if period == "stay" else meetings[-1:]
        last = "not_started"
        for step, (meeting_id, held_on) in enumerate(history):
            if held_on > today or held_on < starts:
                continue
            last = progress_by_step[min(step + 1 + (index + number) % 2, 3)]
            await GoalEvaluation.insert(GoalEvaluation(
                family=family_id, goal=goal_id, evaluated_on=held_on, progress=last,
                note="Drøftet på netværksmødet.", meeting=meeting_id, recorded_by_name=by))
        await db.update_versioned(Goal, goal_id, db.ANY_VERSION, {Goal.progress: last})
        for sub in subgoals:
            sub_rows = await Goal.insert(Goal(
                family=family_id, parent_id=goal_id, period=period, title=sub,
                cadence="monthly", starts_on=starts, progress="in_progress",
                responsible_name="Mormor" if "Mormor" in sub else "Mor", created_by_name=by))
            meeting_id, held_on = history[-1]
            if starts <= held_on <= today:
                await GoalEvaluation.insert(GoalEvaluation(
                    family=family_id, goal=sub_rows[0]["id"], evaluated_on=held_on,
                    progress="in_progress", note="Aftalt på netværksmødet, følges op næste gang.",
                    meeting=meeting_id, recorded_by_name=by))


async def seed(ctx) -> None:
    """Mappings, scales and handleplans on every third demo family."""
    opened = {f.id: f for f in ctx.families}
    held = await Meeting.select().where(
        (Meeting.kind == "netvaerksmoede") & (Meeting.status == "held")).order_by(Meeting.id)
    async with db.transaction():
        for model in held:
            fam = opened.get(model["family"])
            if fam is None:
                continue
            participants = await Participant.select().where(
                (Participant.meeting == model["id"]) & Participant.removed_at.is_null())
            first = await MeetingPart.select(MeetingPart.starts_at).where(
                MeetingPart.meeting == model["id"]).first()
            last_start = first["starts_at"] if first and first["starts_at"] else _at(ctx.today, 13)
            chain: list[tuple[int, date]] = []
            for number, weeks in ((1, 12), (2, 6)):
                start = last_start - timedelta(weeks=weeks)
                chain.append((await _earlier_meeting(model, participants, start, number),
                              start.date()))
            chain.append((model["id"], last_start.date()))
            by = "Sara Demo Kristiansen" if "sara" in fam.team_usernames else "Mikkel Demo Lauridsen"
            for step, (meeting_id, _) in enumerate(chain):
                rows = await Participant.select().where(Participant.meeting == meeting_id)
                await _mapping(fam.id, meeting_id, rows, step, fam.index, by)
            plan = await FgcPlanItem.select(FgcPlanItem.id).where(FgcPlanItem.case.is_in(
                FgcCase.select(FgcCase.id).where(FgcCase.family == fam.id))).first()
            family_opened = ctx.today - timedelta(days=400)
            await _goals(fam.id, family_opened, chain, fam.index, by,
                         plan["id"] if plan else None, ctx.today)
