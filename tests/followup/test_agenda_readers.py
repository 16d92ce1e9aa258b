"""The team agenda's hand-written readers answer what the same reads through Piccolo answer
(the code they replaced, kept here as the oracle), with the same types, on both engines."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from coordinator import clock, db, demo
from coordinator.auth.tables import User
from coordinator.families import cases
from coordinator.families.tables import Family
from coordinator.followup import agenda
from coordinator.followup import service as followup
from coordinator.followup.tables import Stay
from coordinator.meetings.tables import BicSession, FatherAssessment, FgcCase, FgcTask, Meeting
from coordinator.trappe import service as trappe


async def _meeting_facts(family_ids):
    rows = await Meeting.select(Meeting.id, Meeting.family, Meeting.kind, Meeting.title,
                                Meeting.status, Meeting.parent_id, Meeting.starts_at,
                                Meeting.ends_at).where(Meeting.family.is_in(family_ids)
                                                       ).order_by(Meeting.id)
    result = defaultdict(list)
    for row in rows:
        result[row["family"]].append(agenda.MeetingFacts(
            row["id"], row["kind"], row["title"], row["status"], row["starts_at"],
            row["ends_at"], row["parent_id"]))
    return result


async def _latest_fgc(family_ids):
    rows = await FgcCase.select(
        FgcCase.id, FgcCase.family, FgcCase.possible, FgcCase.assessed_on, FgcCase.referred_on,
        FgcCase.samordner_name, FgcCase.samordner_user.full_name.as_alias("samordner_full"),
    ).where(FgcCase.family.is_in(family_ids)).order_by(FgcCase.id)
    latest = {row["family"]: row for row in rows}
    tasks = await FgcTask.select(FgcTask.case, FgcTask.title, FgcTask.deadline, FgcTask.position
                                 ).where(FgcTask.case.is_in([r["id"] for r in latest.values()]),
                                         FgcTask.done == False  # noqa: E712
                                         ).order_by(FgcTask.id) if latest else []
    first_task = {}
    for task in sorted(tasks, key=lambda t: (t["deadline"] is None, t["deadline"] or date.max,
                                             t["position"])):
        first_task.setdefault(task["case"], (task["title"], task["deadline"]))
    return {family_id: agenda.FgcFacts(
        row["possible"], row["assessed_on"], row["referred_on"],
        row["samordner_full"] or row["samordner_name"] or "", first_task.get(row["id"]))
        for family_id, row in latest.items()}


async def _latest_father(family_ids):
    rows = await FatherAssessment.select(
        FatherAssessment.id, FatherAssessment.family, FatherAssessment.involve,
        FatherAssessment.assessed_on, FatherAssessment.mother_agreed_on,
        FatherAssessment.referred_on,
        FatherAssessment.contact_person.full_name.as_alias("contact_name"),
    ).where(FatherAssessment.family.is_in(family_ids)).order_by(FatherAssessment.id)
    latest = {row["family"]: row for row in rows}
    ids = [r["id"] for r in latest.values()]
    sessions = await BicSession.select(
        BicSession.assessment, BicSession.status,
        BicSession.meeting.status.as_alias("meeting_status"),
    ).where(BicSession.assessment.is_in(ids)) if ids else []
    held, planned = defaultdict(int), defaultdict(int)
    for row in sessions:
        status = followup.session_status(row)
        if status == "held":
            held[row["assessment"]] += 1
        elif status == "planned":
            planned[row["assessment"]] += 1
    return {family_id: agenda.FatherFacts(
        row["involve"], row["assessed_on"], row["mother_agreed_on"], row["contact_name"] or "",
        row["referred_on"], held[row["id"]], planned[row["id"]])
        for family_id, row in latest.items()}


async def _after_care(family_ids):
    latest = {}
    for row in await Stay.select(Stay.family, Stay.started_on, Stay.ended_on).where(
            Stay.family.is_in(family_ids)).order_by(Stay.started_on).order_by(Stay.id):
        latest[row["family"]] = row
    return {fid: until for fid, row in latest.items()
            if (until := cases.after_care_until(row["ended_on"])) is not None}


def _types(value):
    """The types inside a reader's answer, to compare them with the oracle's."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_types(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _types(getattr(value, k)) for k in value.__dataclass_fields__}
    return type(value)


async def test_the_agenda_readers_answer_as_piccolo_did(app):
    await demo.load()
    ids = [r["id"] for r in await Family.select(Family.id).order_by(Family.id)]
    # What the demo may lack: a case with a samordner user and open and done tasks, a BIC
    # session whose meeting was cancelled, moves in and out.
    case = await FgcCase.select(FgcCase.id, FgcCase.family).order_by(
        FgcCase.id, ascending=False).first()  # the latest of its family
    assert case is not None, "the demo has a familierådslagning"
    user = await User.select(User.id).first()
    await db.fetch('UPDATE "fgc_case" SET "samordner_user" = {} WHERE "id" = {}',
                   user["id"], case["id"])
    await FgcTask.insert(FgcTask(case=case["id"], title="Åben", deadline=clock.today()),
                         FgcTask(case=case["id"], title="Uden frist"),
                         FgcTask(case=case["id"], title="Færdig", done=True))
    father = await FatherAssessment.select(FatherAssessment.id).first()
    assert father is not None, "the demo has a father assessment"
    cancelled = await Meeting.select(Meeting.id).where(Meeting.status == "cancelled").first()
    if cancelled is not None:
        await BicSession.insert(BicSession(assessment=father["id"], meeting=cancelled["id"]))
    left = clock.today() - timedelta(days=20)
    await Stay.insert(Stay(family=ids[0], started_on=left - timedelta(days=30), ended_on=left),
                      Stay(family=ids[1], started_on=left))
    for asked in (ids, ids[:1], [], [-1]):
        for mine, oracle in ((followup.meeting_facts, _meeting_facts),
                             (followup._latest_fgc, _latest_fgc),  # noqa: SLF001
                             (followup._latest_father, _latest_father),  # noqa: SLF001
                             (trappe.after_care_ends, _after_care)):
            expected = dict(await oracle(asked)) if asked else {}
            got = dict(await mine(asked))
            assert got == expected, mine.__name__
            assert _types(got) == _types(expected), mine.__name__
    fgc = await followup._latest_fgc(ids)  # noqa: SLF001
    assert fgc[case["family"]].next_task == ("Åben", clock.today())
    assert fgc[case["family"]].samordner
    assert await trappe.after_care_ends(ids)
