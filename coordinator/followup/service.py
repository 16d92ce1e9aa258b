"""Use cases for follow-up: the team-meeting agenda, success criteria, the contact person's
BIC fathers and the annual cooperation meeting's agenda.

Reads the meetings domain's tables (FgcCase, FgcTask, FatherAssessment, BicSession,
Meeting, MeetingPart), the invites domain's MeetingSeries and the agreements service;
combines them with the pure rules in ``agenda`` and ``criteria``. Family data is shown only
for families the access policy lets the user read, and every family listed is audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from piccolo.query.functions.aggregate import Count, Max, Min

from coordinator import db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, FamilyAccessFacts, Principal, may_access_family
from coordinator.auth.roles import Role
from coordinator.families import service as families
from coordinator.families.tables import Family, TeamMember
from coordinator.followup import agenda, criteria
from coordinator.followup.tables import SeriesAgenda, SeriesAgendaItem, Stay
from coordinator.meetings import kinds
from coordinator.meetings.tables import (
    BicSession,
    FatherAssessment,
    FgcCase,
    FgcTask,
    Meeting,
    MeetingPart,
)

AGENDA_ENTITY = "teammøde-dagsorden"
BIC_ENTITY = "BIC-fædre"
COOPERATION_ENTITY = "samarbejdsmøde-dagsorden"
MAX_AGENDA_ITEMS = 30
FOLLOWUP_KINDS = tuple(k for k, v in kinds.KINDS.items() if v.followup_after_months)


def today() -> date:
    """Today in Copenhagen."""
    return datetime.now(web.COPENHAGEN).date()


def _none(table: Any) -> Any:
    """A condition no row of ``table`` meets (for an empty ``is_in``)."""
    return table.id == -1


# --- shared readers --------------------------------------------------------------------------

async def meeting_facts(family_ids: list[int]) -> dict[int, list[agenda.MeetingFacts]]:
    """Each family's meetings with their first start and last end (UTC-aware)."""
    if not family_ids:
        return {}
    rows = await Meeting.select(Meeting.id, Meeting.family, Meeting.kind, Meeting.title,
                                Meeting.status, Meeting.parent_id
                                ).where(Meeting.family.is_in(family_ids))
    first, last = await _bounds(MeetingPart.meeting.is_in(
        Meeting.select(Meeting.id).where(Meeting.family.is_in(family_ids))))
    return _facts_by_family(rows, first, last)


def _facts_by_family(rows: list[dict], first: dict[int, datetime], last: dict[int, datetime]
                     ) -> dict[int, list[agenda.MeetingFacts]]:
    result: dict[int, list[agenda.MeetingFacts]] = defaultdict(list)
    for row in rows:
        result[row["family"]].append(agenda.MeetingFacts(
            row["id"], row["kind"], row["title"], row["status"], first.get(row["id"]),
            last.get(row["id"]), row["parent_id"]))
    return result


async def part_bounds(meeting_ids: list[int]) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """Each meeting's first part start and last part end (meetings without times left out)."""
    return await _bounds(MeetingPart.meeting.is_in(meeting_ids) if meeting_ids
                         else _none(MeetingPart))


async def _bounds(which: Any) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """First part start and last part end of the meetings whose parts match ``which``,
    aggregated in the database (one row per meeting, not one per part)."""
    rows = await MeetingPart.select(
        MeetingPart.meeting, Min(MeetingPart.starts_at, alias="first"),
        Max(MeetingPart.ends_at, alias="last")).where(which).group_by(MeetingPart.meeting)
    first: dict[int, datetime] = {}
    last: dict[int, datetime] = {}
    for row in rows:
        if row["first"] is not None:
            first[row["meeting"]] = _moment(row["first"])
        if row["last"] is not None:
            last[row["meeting"]] = _moment(row["last"])
    return first, last


def _moment(value: Any) -> datetime:
    """An aggregate's timestamp: SQLite hands MIN()/MAX() back as text, PostgreSQL as an
    aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def _latest_fgc(family_ids: list[int]) -> dict[int, agenda.FgcFacts]:
    rows = await FgcCase.select(
        FgcCase.id, FgcCase.family, FgcCase.possible, FgcCase.assessed_on, FgcCase.referred_on,
        FgcCase.samordner_name, FgcCase.samordner_user.full_name.as_alias("samordner_full"),
    ).where(FgcCase.family.is_in(family_ids)).order_by(FgcCase.id)
    latest = {row["family"]: row for row in rows}  # ordered by id: the last one wins
    tasks = await FgcTask.select(FgcTask.case, FgcTask.title, FgcTask.deadline, FgcTask.position
                                 ).where(FgcTask.case.is_in([r["id"] for r in latest.values()])
                                         if latest else _none(FgcTask), FgcTask.done == False)  # noqa: E712
    first_task: dict[int, tuple[str, date | None]] = {}
    for task in sorted(tasks, key=lambda t: (t["deadline"] is None, t["deadline"] or date.max,
                                             t["position"])):
        first_task.setdefault(task["case"], (task["title"], task["deadline"]))
    return {family_id: agenda.FgcFacts(
        row["possible"], row["assessed_on"], row["referred_on"],
        row["samordner_full"] or row["samordner_name"] or "", first_task.get(row["id"]))
        for family_id, row in latest.items()}


async def _latest_father(family_ids: list[int]) -> dict[int, agenda.FatherFacts]:
    rows = await FatherAssessment.select(
        FatherAssessment.id, FatherAssessment.family, FatherAssessment.involve,
        FatherAssessment.assessed_on, FatherAssessment.mother_agreed_on,
        FatherAssessment.referred_on,
        FatherAssessment.contact_person.full_name.as_alias("contact_name"),
    ).where(FatherAssessment.family.is_in(family_ids)).order_by(FatherAssessment.id)
    latest = {row["family"]: row for row in rows}
    counts = await _session_counts([r["id"] for r in latest.values()])
    return {family_id: agenda.FatherFacts(
        row["involve"], row["assessed_on"], row["mother_agreed_on"], row["contact_name"] or "",
        row["referred_on"], *counts.get(row["id"], (0, 0)))
        for family_id, row in latest.items()}


async def _session_counts(assessment_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(held, planned) BIC advice sessions per father assessment."""
    if not assessment_ids:
        return {}
    rows = await BicSession.select(
        BicSession.assessment, BicSession.status,
        BicSession.meeting.status.as_alias("meeting_status"),
    ).where(BicSession.assessment.is_in(assessment_ids))
    held: dict[int, int] = defaultdict(int)
    planned: dict[int, int] = defaultdict(int)
    for row in rows:
        status = session_status(row)
        if status == "held":
            held[row["assessment"]] += 1
        elif status == "planned":
            planned[row["assessment"]] += 1
    return {i: (held[i], planned[i]) for i in assessment_ids}


def session_status(row: dict) -> str:
    """A BIC session's status; a planned session whose meeting was cancelled is cancelled."""
    if row["status"] == "planned" and row.get("meeting_status") == "cancelled":
        return "cancelled"
    return row["status"]


async def _audit_reads(user: Principal, entity: str, entity_id: object,
                       rows: Iterable[tuple[int, str]], address: str) -> None:
    """One audit row per family shown, written in one multi-row INSERT."""
    rows = list(rows)
    if not rows:
        return
    async with db.transaction():
        await audit.record_many(user, "read", entity, entity_id, rows, address)


# --- 1. the team meeting ---------------------------------------------------------------------

async def team_meeting_date(on: date) -> tuple[date, str]:
    """The next team meeting on or after ``on`` and where the rule comes from.

    The invites domain's MeetingSeries "teammoede" decides when it exists; otherwise the
    fixed fortnightly rhythm in ``agenda`` (every other Tuesday, closed days move on).
    """
    series = await _series(agenda.TEAM_SERIES_KEY)
    if series is not None:
        moment = agenda.next_series_occurrence(series["rrule"], series["dtstart"],
                                               series["exdates"], on)
        if moment is not None:
            return moment.date(), f"mødeserien »{series['title']}«"
    return agenda.next_team_meeting(on), "fast rytme: hver anden tirsdag kl. 9.00"


async def _series(key: str) -> dict | None:
    """The invites domain's stored series with this key, if that table holds one."""
    try:
        from coordinator.invites.tables import MeetingSeries
    except ImportError:  # the invites domain is optional for this page
        return None
    return await MeetingSeries.select().where(MeetingSeries.key == key).first()


async def team_agenda(user: Principal, on: date, address: str = "") -> list[agenda.AgendaRow]:
    """The agenda for the team meeting on ``on``: the user's current families, audited.

    Only families whose team the user is on (the access policy's rule) appear; a leader on
    no team gets an empty agenda and follows the success criteria instead.
    """
    rows = await families.families_for(user)
    rows = [r for r in rows if may_access_family(
        user, FamilyAccessFacts(on_team=True, family_closed=r["status"] == "closed"), Action.READ)]
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    meetings = await meeting_facts(ids)
    fgc = await _latest_fgc(ids)
    father = await _latest_father(ids)
    facts = [agenda.FamilyAgendaFacts(
        r["id"], r["name"], r["reference"], r["at_crisis_centre"], fgc.get(r["id"]),
        father.get(r["id"]), tuple(meetings.get(r["id"], ()))) for r in rows]
    await _audit_reads(user, AGENDA_ENTITY, on.isoformat(), ((r["id"], r["name"]) for r in rows),
                       address)
    return agenda.agenda_rows(facts, on)


# --- 2. success criteria ---------------------------------------------------------------------

@dataclass(frozen=True)
class CriteriaReport:
    """The success criteria for a period, with the counts the page writes out."""

    start: date
    end: date
    measured_on: date
    figures: criteria.Criteria
    current_families: int
    at_crisis_centre: int


def _current(start: date, end: date) -> Any:
    """Families current at some point in the period: opened by its end, and active or
    closed no earlier than its start."""
    return ((Family.opened_on <= end)
            & ((Family.status == "active") | (Family.closed_on >= start)))


def _current_ids(start: date, end: date) -> Any:
    """A sub-select of the current families' ids (never an id list: 85,000 at national
    scale is more than a driver may bind)."""
    return Family.select(Family.id).where(_current(start, end))


def _assessed(table: Any, decided: Any, end: date) -> Any:
    """A sub-select of the families with an assessment decided by ``end``."""
    return table.select(table.family).where(
        decided.is_not_null(), (table.assessed_on.is_null()) | (table.assessed_on <= end))


async def _criteria_counts(start: date, end: date) -> tuple[int, int, int, int]:
    """(current, at the crisis centre, assessed for an FGC, father assessed at the centre),
    four COUNTs in the database."""
    current = _current(start, end)
    at_centre = current & (Family.at_crisis_centre == True)  # noqa: E712
    return (await Family.count().where(current),
            await Family.count().where(at_centre),
            await Family.count().where(
                current & Family.id.is_in(_assessed(FgcCase, FgcCase.possible, end))),
            await Family.count().where(at_centre & Family.id.is_in(
                _assessed(FatherAssessment, FatherAssessment.involve, end))))


def _held_window(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC bounds that contain every moment a meeting must have been held in for its
    follow-up to fall due in ``start``–``end`` (a superset: ``_followups`` decides)."""
    months = [k.followup_after_months for k in kinds.KINDS.values() if k.followup_after_months]
    longest, shortest = max(months), min(months)
    lower = datetime.combine(start - timedelta(days=31 * longest + 2), datetime.min.time(),
                             web.COPENHAGEN)
    upper = datetime.combine(end - timedelta(days=28 * shortest - 4), datetime.min.time(),
                             web.COPENHAGEN)
    return lower, upper


async def _followup_facts(start: date, end: date) -> dict[int, list[agenda.MeetingFacts]]:
    """Per current family: its held meetings whose follow-up may fall due in the period,
    and their held follow-up meetings, each with its first start and last end.

    Sub-selects, not id lists: only meetings with a part in the window that can make
    them due are read, so the work follows the period, not the size of the country.
    """
    lower, upper = _held_window(start, end)
    in_window = MeetingPart.select(MeetingPart.meeting).where(
        ((MeetingPart.ends_at >= lower) & (MeetingPart.ends_at < upper))
        | ((MeetingPart.starts_at >= lower) & (MeetingPart.starts_at < upper)))
    held = ["held", "followup"]
    due = Meeting.select(Meeting.id).where(
        Meeting.kind.is_in(list(FOLLOWUP_KINDS)), Meeting.status.is_in(held),
        Meeting.family.is_in(_current_ids(start, end)), Meeting.id.is_in(in_window))
    children = Meeting.select(Meeting.id).where(
        Meeting.parent_id.is_in(due), Meeting.status.is_in(held))
    columns = (Meeting.id, Meeting.family, Meeting.kind, Meeting.title, Meeting.status,
               Meeting.parent_id)
    rows = await Meeting.select(*columns).where(Meeting.id.is_in(due)
                                                | Meeting.id.is_in(children))
    first, last = await _bounds(MeetingPart.meeting.is_in(due)
                                | MeetingPart.meeting.is_in(children))
    return _facts_by_family(rows, first, last)


def _followups(meetings: list[agenda.MeetingFacts], start: date, end: date,
               measured_on: date) -> tuple[int, int]:
    """(due, on time) follow-ups due in the period, once held or past their grace period."""
    due_count = on_time = 0
    for meeting in meetings:
        due = agenda.followup_due(meeting) if meeting.kind in FOLLOWUP_KINDS else None
        if due is None or not start <= due <= end:
            continue
        held = [m.starts_at.astimezone(web.COPENHAGEN).date() for m in meetings
                if m.parent_id == meeting.id and m.status in ("held", "followup") and m.starts_at]
        held_on = min(held, default=None)
        if held_on is None and (measured_on - due).days <= criteria.FOLLOWUP_GRACE_DAYS:
            continue  # not yet late: it may still be held on time
        due_count += 1
        on_time += criteria.on_time(due, held_on)
    return due_count, on_time


async def agreements_overdue(on: date) -> int:
    """Active agreements whose evaluation is overdue or whose period ran out unrenewed on
    ``on`` (the agreements domain's cadence decides)."""
    from coordinator.agreements import service as agreements
    from coordinator.agreements.cadence import Status

    rows = await agreements.list_agreements(on)
    return sum(1 for row in rows
               if row["state"].evaluation_overdue or row["state"].status is Status.EXPIRED)


async def success_criteria(start: date, end: date, measured_on: date | None = None
                           ) -> CriteriaReport:
    """Every success criterion for the period ``start``–``end`` (no family names)."""
    measured_on = min(end, measured_on or today())
    current, at_centre, fgc, father = await _criteria_counts(start, end)
    due = on_time = 0
    for meetings in (await _followup_facts(start, end)).values():
        family_due, family_on_time = _followups(meetings, start, end, measured_on)
        due += family_due
        on_time += family_on_time
    stays: dict[int, list[date]] = defaultdict(list)
    again = Stay.select(Stay.family).group_by(Stay.family).having(Count() > 1)
    for row in await Stay.select(Stay.family, Stay.started_on).where(Stay.family.is_in(again)):
        stays[row["family"]].append(row["started_on"])
    figures = criteria.from_counts(
        criteria.Counts(current, fgc, at_centre, father, due, on_time),
        criteria.returning_by_year(stays, (start, end)), await agreements_overdue(measured_on))
    return CriteriaReport(start, end, measured_on, figures, current, at_centre)


# --- 3. the contact person's BIC fathers --------------------------------------------------------

async def bic_fathers(user: Principal, address: str = "") -> list[dict]:
    """The fathers referred to this contact person, with sessions and joint meetings.

    Only referrals in families the contact person may read (the referral puts them on the
    family's team); each family shown is audited.
    """
    if user.role is not Role.KONTAKTPERSON:
        return []
    rows = await FatherAssessment.select(
        FatherAssessment.id, FatherAssessment.family, FatherAssessment.involve,
        FatherAssessment.referred_on, FatherAssessment.father.name.as_alias("father_name"),
        FatherAssessment.family.name.as_alias("family_name"),
        FatherAssessment.family.status.as_alias("family_status"),
    ).where(FatherAssessment.contact_person == user.id).order_by(FatherAssessment.id)
    team = {r["family"] for r in await TeamMember.select(TeamMember.family).where(
        TeamMember.user == user.id)}
    rows = [r for r in rows if may_access_family(user, FamilyAccessFacts(
        on_team=r["family"] in team, family_closed=r["family_status"] == "closed"), Action.READ)]
    if not rows:
        return []
    sessions = await _sessions([r["id"] for r in rows])
    meetings = await meeting_facts(sorted({r["family"] for r in rows}))
    now = datetime.now(web.COPENHAGEN)
    for row in rows:
        own = sessions.get(row["id"], [])
        row["sessions_held"] = [s for s in own if session_status(s) == "held"]
        row["sessions_planned"] = [s for s in own if session_status(s) == "planned"]
        row["joint_meetings"] = sorted(
            (m for m in meetings.get(row["family"], []) if m.kind == "bic_joint_parents"),
            key=lambda m: (m.starts_at or now.replace(year=9999), m.id))
    seen: dict[int, str] = {r["family"]: r["family_name"] for r in rows}
    await _audit_reads(user, BIC_ENTITY, user.id, seen.items(), address)
    return rows


async def _sessions(assessment_ids: list[int]) -> dict[int, list[dict]]:
    rows = await BicSession.select(
        BicSession.id, BicSession.assessment, BicSession.status, BicSession.topics,
        BicSession.meeting, BicSession.created_at,
        BicSession.meeting.status.as_alias("meeting_status"),
    ).where(BicSession.assessment.is_in(assessment_ids)).order_by(BicSession.id)
    starts, _ = await part_bounds([r["meeting"] for r in rows if r["meeting"]])
    topics = dict(kinds.BIC_TOPICS)
    result: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        row["starts_at"] = starts.get(row["meeting"])
        row["topic_labels"] = [topics.get(t.strip(), t.strip())
                               for t in row["topics"].split(",") if t.strip()]
        result[row["assessment"]].append(row)
    return result


# --- 4. the annual cooperation meeting -------------------------------------------------------

@dataclass(frozen=True)
class AgendaItemInput:
    """One submitted agenda item."""

    title: str
    owner: str = ""
    note: str = ""


async def cooperation_meeting(on: date) -> dict:
    """The next cooperation meeting: the series (if invites has it), the upcoming agenda
    with its items (or None) and a proposed date for a new one."""
    series = await _series(agenda.COOPERATION_SERIES_KEY)
    next_moment = None
    if series is not None:
        next_moment = agenda.next_series_occurrence(series["rrule"], series["dtstart"],
                                                    series["exdates"], on)
    current = await SeriesAgenda.select().where(
        (SeriesAgenda.series_key == agenda.COOPERATION_SERIES_KEY) & (SeriesAgenda.occurs_on >= on)
    ).order_by(SeriesAgenda.occurs_on).first()
    previous = await SeriesAgenda.select().where(
        (SeriesAgenda.series_key == agenda.COOPERATION_SERIES_KEY) & (SeriesAgenda.occurs_on < on)
    ).order_by(SeriesAgenda.occurs_on, ascending=False).first()
    if current is not None:
        current["items"] = await agenda_items(current["id"])
    if next_moment is not None:
        proposed = next_moment.date()
    elif previous is not None:
        proposed = max(agenda.next_yearly(previous["occurs_on"]), on)
    else:
        proposed = agenda.team_meeting_on(on + timedelta(days=30))
    return {"series": series, "next_moment": next_moment, "agenda": current,
            "previous": previous, "proposed_on": proposed}


async def agenda_items(agenda_id: int) -> list[dict]:
    """The items of one agenda in order."""
    return await SeriesAgendaItem.select().where(SeriesAgendaItem.agenda == agenda_id
                                                 ).order_by(SeriesAgendaItem.position)


def _as_text(items: Iterable[Any]) -> str:
    return "\n".join(f"{i['title'] if isinstance(i, dict) else i.title}"
                     f" – {i['owner'] if isinstance(i, dict) else i.owner}" for i in items)


async def save_cooperation_agenda(user: Principal, agenda_id: int | None, version: int | None,
                                  occurs_on: date, items: list[AgendaItemInput], on: date,
                                  address: str = "") -> int:
    """Create or change the upcoming agenda in one transaction, audited.

    A change is ``UPDATE … WHERE id=? AND version=?``: when someone saved in between, a
    ``web.Conflict`` (409) carries both versions and nothing is saved.
    """
    if occurs_on < on:
        raise web.UserError("Mødedatoen ligger i fortiden. Vælg dagsordenen for det næste møde.",
                            field="occurs_on")
    if len(items) > MAX_AGENDA_ITEMS:
        raise web.UserError(f"Dagsordenen må højst have {MAX_AGENDA_ITEMS} punkter.")
    mine = {"Dato": agenda.da_date(occurs_on), "Punkter": _as_text(items)}
    async with db.transaction():
        if agenda_id is None:
            existing = await SeriesAgenda.select().where(
                (SeriesAgenda.series_key == agenda.COOPERATION_SERIES_KEY)
                & (SeriesAgenda.occurs_on >= on)).first()
            if existing is not None:
                raise await _conflict(existing, mine)
            rows = await SeriesAgenda.insert(SeriesAgenda(
                series_key=agenda.COOPERATION_SERIES_KEY, occurs_on=occurs_on,
                updated_by_name=user.full_name or user.username))
            agenda_id = rows[0]["id"]
            action = "create"
        else:
            current = await SeriesAgenda.select().where(SeriesAgenda.id == agenda_id).first()
            if current is None or current["series_key"] != agenda.COOPERATION_SERIES_KEY:
                raise web.UserError("Dagsordenen findes ikke længere.", 404)
            updated = await SeriesAgenda.update({
                SeriesAgenda.occurs_on: occurs_on, SeriesAgenda.version: SeriesAgenda.version + 1,
                SeriesAgenda.updated_by_name: user.full_name or user.username,
                SeriesAgenda.updated_at: datetime.now(web.COPENHAGEN),
            }).where((SeriesAgenda.id == agenda_id) & (SeriesAgenda.version == version)
                     ).returning(SeriesAgenda.id)
            if not updated:
                raise await _conflict(current, mine)
            await SeriesAgendaItem.delete().where(SeriesAgendaItem.agenda == agenda_id)
            action = "update"
        for position, item in enumerate(items):
            await SeriesAgendaItem.insert(SeriesAgendaItem(
                agenda=agenda_id, title=item.title, owner=item.owner, note=item.note,
                position=position))
        await audit.record(user, action, COOPERATION_ENTITY, agenda_id, None,
                           f"Samarbejdsmøde {agenda.da_date(occurs_on)}: {len(items)} punkter",
                           address)
    return agenda_id


async def _conflict(current: dict, mine: dict) -> web.Conflict:
    theirs = {"Dato": agenda.da_date(current["occurs_on"]),
              "Punkter": _as_text(await agenda_items(current["id"]))}
    return web.Conflict(
        f"Dagsordenen er ændret af {current['updated_by_name'] or 'en anden'}, siden du åbnede "
        "den. Intet af det, du indtastede, er gemt. Sammenlign de to udgaver, og indtast dine "
        "ændringer igen.", mine=mine, theirs=theirs)
