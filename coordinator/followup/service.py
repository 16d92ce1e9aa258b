"""Use cases for follow-up: the team-meeting agenda, success criteria, the contact person's
BIC fathers and the annual cooperation meeting's agenda.

Reads the meetings domain's tables (FgcCase, FgcTask, FatherAssessment, BicSession,
Meeting), the invites domain's MeetingSeries and the agreements service; combines them with
the pure rules in ``agenda`` and ``criteria``. Family data is shown only for families the
access policy lets the user read, and every family listed is audited. The success criteria
are counted by the database (hand-written statements), so they cost little at any scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from coordinator import clock, db, web
from coordinator.agreements import service as agreements
from coordinator.audit import service as audit
from coordinator.auth.policy import (
    Action,
    FamilyAccessFacts,
    Principal,
    may_access_family,
    may_access_father_side,
    may_lead_unit,
)
from coordinator.auth.roles import Role
from coordinator.cache import BoundedCache, FlightCache
from coordinator.families import service as families
from coordinator.families import units
from coordinator.families.tables import Family, TeamMember
from coordinator.followup import agenda, criteria
from coordinator.followup.tables import SeriesAgenda, SeriesAgendaItem
from coordinator.invites.tables import MeetingSeries
from coordinator.meetings import kinds
from coordinator.meetings.tables import (
    BicSession,
    FatherAssessment,
)
from coordinator.satisfaction import rules as satisfaction
from coordinator.satisfaction import service as satisfaction_service
from coordinator.trappe import service as trappe

AGENDA_ENTITY = "teammøde-dagsorden"
BIC_ENTITY = "BIC-fædre"
COOPERATION_ENTITY = "samarbejdsmøde-dagsorden"
AGENDA_LABELS = {"occurs_on": "Dato", "items": "Punkter"}  # the conflict's words for the agenda
MAX_AGENDA_ITEMS = 30
FOLLOWUP_KINDS = tuple(k for k, v in kinds.KINDS.items() if v.followup_after_months)

# --- shared readers --------------------------------------------------------------------------

# The agenda's readers are hand-written statements (Piccolo built each in ~0.3 ms, a
# quarter of the agenda's first view); tests/followup/test_agenda_readers.py compares them
# with the same reads through Piccolo on both engines.
_MEETING_FACTS = ('SELECT "id", "family", "kind", "title", "status", "parent_id", "starts_at", '
                  '"ends_at" FROM "meeting" WHERE "family" IN ({ids}) ORDER BY "id"')


async def meeting_facts(family_ids: list[int]) -> dict[int, list[agenda.MeetingFacts]]:
    """Each family's meetings with their start and end (UTC-aware; the meetings domain
    keeps them on the meeting from its parts)."""
    result: dict[int, list[agenda.MeetingFacts]] = defaultdict(list)
    for row in await db.fetch_in(_MEETING_FACTS, family_ids):
        result[row["family"]].append(agenda.MeetingFacts(
            row["id"], row["kind"], row["title"], row["status"], row["starts_at"],
            row["ends_at"], row["parent_id"]))
    return result


def _moment(value: Any) -> datetime:
    """An aggregate's timestamp: SQLite hands MIN()/MAX() back as text, PostgreSQL as an
    aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_FGC_CASES = ('SELECT c."id", c."family", c."possible", c."assessed_on", c."referred_on", '
              'c."samordner_name", u."full_name" AS "samordner_full" FROM "fgc_case" c '
              'LEFT JOIN "app_user" u ON u."id" = c."samordner_user" '
              'WHERE c."family" IN ({ids}) ORDER BY c."id"')
_OPEN_FGC_TASKS = ('SELECT "case", "title", "deadline", "position" FROM "fgc_task" '
                   'WHERE "case" IN ({ids}) AND NOT "done" ORDER BY "id"')


async def _latest_fgc(family_ids: list[int]) -> dict[int, agenda.FgcFacts]:
    rows = await db.fetch_in(_FGC_CASES, family_ids, quick=True)  # a case or two each
    latest = {row["family"]: row for row in rows}  # by id in each family: the last wins
    tasks = await db.fetch_in(_OPEN_FGC_TASKS, (r["id"] for r in latest.values()),
                             quick=True)  # a case's few preparation tasks
    first_task: dict[int, tuple[str, date | None]] = {}
    for task in sorted(tasks, key=lambda t: (t["deadline"] is None, t["deadline"] or date.max,
                                             t["position"])):
        first_task.setdefault(task["case"], (task["title"], task["deadline"]))
    return {family_id: agenda.FgcFacts(
        row["possible"], row["assessed_on"], row["referred_on"],
        row["samordner_full"] or row["samordner_name"] or "", first_task.get(row["id"]))
        for family_id, row in latest.items()}


_FATHER_ASSESSMENTS = ('SELECT a."id", a."family", a."involve", a."assessed_on", '
                       'a."mother_agreed_on", a."referred_on", u."full_name" AS "contact_name" '
                       'FROM "father_assessment" a LEFT JOIN "app_user" u '
                       'ON u."id" = a."contact_person" WHERE a."family" IN ({ids}) ORDER BY a."id"')


async def _latest_father(family_ids: list[int]) -> dict[int, agenda.FatherFacts]:
    rows = await db.fetch_in(_FATHER_ASSESSMENTS, family_ids, quick=True)
    latest = {row["family"]: row for row in rows}  # by id: the last wins
    counts = await _session_counts([r["id"] for r in latest.values()])
    return {family_id: agenda.FatherFacts(
        row["involve"], row["assessed_on"], row["mother_agreed_on"], row["contact_name"] or "",
        row["referred_on"], *counts.get(row["id"], (0, 0)))
        for family_id, row in latest.items()}


_BIC_SESSIONS = ('SELECT b."assessment", b."status", m."status" AS "meeting_status" '
                 'FROM "bic_session" b LEFT JOIN "meeting" m ON m."id" = b."meeting" '
                 'WHERE b."assessment" IN ({ids}) ORDER BY b."id"')


async def _session_counts(assessment_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(held, planned) BIC advice sessions per father assessment."""
    held: dict[int, int] = defaultdict(int)
    planned: dict[int, int] = defaultdict(int)
    for row in await db.fetch_in(_BIC_SESSIONS, assessment_ids, quick=True):
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
    """One audit row per family shown, committed with the concurrent requests' rows."""
    await audit.record_many(user, "read", entity, entity_id, list(rows), address)


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
    rows = await db.rows(MeetingSeries, '"key" = {}', key)  # read on every agenda view
    return rows[0] if rows else None


@dataclass(frozen=True)
class TeamAgenda:
    """The team meeting's families as the access policy let this user see them.

    ``own``: the rows of the families whose team she is on (``may_access_family``);
    ``unit_ids``: her unit's other families on the agenda (``may_lead_unit``, a leader's).
    The method's parts of the agenda (trappe, goals) are read for exactly these families,
    so the check is made once per view, here.
    """

    rows: list[agenda.AgendaRow]
    unit_left_out: int
    own: list[dict]
    unit_ids: tuple[int, ...]
    # The content stamps of everything the agenda shows (the shared one and each own
    # family's, read before their content), when they cover it all: None with a unit's
    # part (kept by the minute instead) or a family whose stamp was not read.
    content_key: tuple | None = None
    # Each own family's content stamp, read before its content (for what is kept per family).
    stamps: Mapping[int, str] = field(default_factory=dict)

    @property
    def own_ids(self) -> set[int]:
        return {r["id"] for r in self.own}


async def team_agenda(user: Principal, on: date, address: str = "") -> TeamAgenda:
    """The agenda for the team meeting on ``on``: the user's current families, audited.

    The families whose team the user is on (the access policy's rule) and, for a leader,
    the active families of her unit (``policy.may_lead_unit``): she chairs the unit's team
    meeting without being on every team. When the unit has more families than one agenda
    can hold (``UNIT_AGENDA_LIMIT``), ``unit_left_out`` says how many of the unit's families
    were left out (then only her own teams' families are on it).
    """
    stamps, shared = await families.team_stamps(user)  # before the families' content
    rows = await families.families_for(user)
    rows = [r for r in rows if may_access_family(
        user, FamilyAccessFacts(on_team=True, family_closed=r["status"] == "closed"), Action.READ)]
    unit_rows: list[agenda.AgendaRow] = []
    extra: tuple[int, ...] = ()
    left_out = 0
    if user.role is Role.LEDER:
        unit = await units.unit_of(user)
        own = {r["id"] for r in rows}
        count, extra = await units.unit_families_beyond(unit, own, UNIT_AGENDA_LIMIT)
        if count > UNIT_AGENDA_LIMIT:
            left_out, extra = count, ()
        elif extra and may_lead_unit(user, unit, {unit}):
            unit_rows = await _unit_agenda_rows(extra, on)
        else:
            extra = ()
    own_rows = await _own_agenda_rows(rows, on, stamps, shared) if rows else []
    shown = agenda.in_order([*own_rows, *unit_rows])
    await _audit_reads(user, AGENDA_ENTITY, on.isoformat(),
                       ((r.family_id, r.name) for r in shown), address)
    covered = not unit_rows and all(stamps.get(r["id"]) for r in rows)  # "": never stamped
    content_key = (shared, tuple((r["id"], stamps[r["id"]]) for r in rows)) if covered else None
    return TeamAgenda(shown, left_out, rows, extra, content_key, stamps)


async def _agenda_facts(rows: list[dict], titles: bool = True) -> list[agenda.FamilyAgendaFacts]:
    """What the agenda needs of these families; without ``titles`` the meetings carry their
    kind only (a leader's unit: not her teams' families)."""
    ids = [r["id"] for r in rows]
    meetings = await meeting_facts(ids)
    if not titles:
        meetings = {fid: [replace(m, title="") for m in ms] for fid, ms in meetings.items()}
    fgc = await _latest_fgc(ids)
    father = await _latest_father(ids)
    after_care = await trappe.after_care_ends(ids)
    return [agenda.FamilyAgendaFacts(
        r["id"], r["name"], r["reference"], r["at_crisis_centre"], fgc.get(r["id"]),
        father.get(r["id"]), tuple(meetings.get(r["id"], ())), after_care.get(r["id"]))
        for r in rows]


# The agenda row of each of a user's own families, kept per process under the family's
# content stamp (families/revisions.py: every table the agenda reads replaces its family's
# stamp, tests/followup/test_agenda_cache.py), the shared stamp and the day: after a change
# of one family only its row is built again (all thirty of them were). Users on the same
# teams share them; who may see which family is decided before, on every view.
_own_agendas: BoundedCache[tuple, agenda.AgendaRow] = BoundedCache("own agenda rows", 16_384)


async def _own_agenda_rows(rows: list[dict], on: date, stamps: dict[int, str], shared: str
                           ) -> list[agenda.AgendaRow]:
    """``agenda.agenda_rows`` of these families, each family's row from the cache when it
    has not changed (a family without a stamp read, as one that joined her teams after the
    stamps were read, is built and not kept)."""
    by_id = {r["id"]: r for r in rows}

    async def build(family_ids: list[int]) -> dict[int, agenda.AgendaRow]:
        facts = await _agenda_facts([by_id[family_id] for family_id in family_ids])
        return {row.family_id: row for row in agenda.agenda_rows(facts, on)}

    keys = {family_id: (on, shared, family_id, stamps[family_id]) if stamps.get(family_id)
            else None for family_id in by_id}  # an empty stamp (never stamped) may come back
    return agenda.in_order((await _own_agendas.get_each(keys, build)).values())


# A leader's unit can hold thousands of families (a leader's agenda over 2,000 took ~0.7 s of
# CPU per view). The unit's part – other teams' families, by kind of meeting, not title – is
# kept for a minute per process and day for the same families, and leaders asking while it
# is being built wait for that build; her own teams' families are read on every view, and
# every family shown is audited on every view.
UNIT_AGENDA_FRESH_SECONDS = 60
# A team meeting goes through a team's families, not a unit's thousands: beyond this many
# of the unit's families (a page of 1,700 rows was 2.4 MB and 0.4 s of CPU per view, and no
# meeting reads it) the agenda shows her own teams' families, and the note sends her to
# the unit's page, which lists them all.
UNIT_AGENDA_LIMIT = 150
_unit_agendas: FlightCache[tuple[tuple[int, ...], date], list[agenda.AgendaRow]] = FlightCache(
    "unit agendas", 16, UNIT_AGENDA_FRESH_SECONDS)


async def _unit_agenda_rows(family_ids: tuple[int, ...], on: date) -> list[agenda.AgendaRow]:
    async def build() -> list[agenda.AgendaRow]:
        rows = await Family.select().where(Family.id.is_in(list(family_ids)))
        return agenda.agenda_rows(await _agenda_facts(rows, titles=False), on)

    return await _unit_agendas.get_or_build((family_ids, on), build, UNIT_AGENDA_FRESH_SECONDS)


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
    counted_at: datetime  # when the database was asked (the page says so)
    trappe: trappe.CriterionCounts  # Randers-trappen in use for the children at the centre
    satisfaction: satisfaction.SatisfactionFigures  # the move-outs' and the support answers


# Hand-written statements: each figure is counted by the database, with sub-selects rather
# than id lists (85,000 current families at national scale are more than a driver may
# bind). Values are always bound ({} placeholders).

# Current families (f): opened by the period's end, and active or closed no earlier than
# its start. Values: end, start.
_CURRENT = 'f."opened_on" <= {} AND (f."status" = \'active\' OR f."closed_on" >= {})'

# An assessment is decided when possible/involve is set, dated no later than the end or
# undated. Values: end, end, then _CURRENT's.
_CRITERIA_COUNTS = (
    'SELECT COUNT(*) AS "current", '
    'COALESCE(SUM(CASE WHEN f."at_crisis_centre" THEN 1 ELSE 0 END), 0) AS "at_centre", '
    'COALESCE(SUM(CASE WHEN f."id" IN (SELECT a."family" FROM "fgc_case" a '
    'WHERE a."possible" IS NOT NULL AND (a."assessed_on" IS NULL OR a."assessed_on" <= {})) '
    'THEN 1 ELSE 0 END), 0) AS "fgc", '
    'COALESCE(SUM(CASE WHEN f."at_crisis_centre" AND f."id" IN (SELECT a."family" '
    'FROM "father_assessment" a WHERE a."involve" IS NOT NULL '
    'AND (a."assessed_on" IS NULL OR a."assessed_on" <= {})) THEN 1 ELSE 0 END), 0) '
    'AS "father" '
    'FROM "family" f WHERE ' + _CURRENT)


async def _criteria_counts(start: date, end: date) -> tuple[int, int, int, int]:
    """(current, at the crisis centre, assessed for an FGC, father assessed at the centre),
    counted in one pass over the families."""
    row = (await db.fetch(_CRITERIA_COUNTS, end, end, end, start))[0]
    return (int(row["current"]), int(row["at_centre"]), int(row["fgc"]),
            int(row["father"]))


# A meeting (p) was held when it ended (``Meeting.ends_at``: its last part's end, else its
# first part's start). A held meeting of a current family, of a kind with a follow-up,
# that ended in that kind's range of moments; ``meeting_kind_ends_at`` holds every column
# read here. Values: _HELD, _CURRENT's, then (kind, from, until) per kind.
_HELD = kinds.HELD_STATUSES
_DUE = ('p."status" IN ({}, {}) AND p."family" IN (SELECT f."id" FROM "family" f WHERE '
        + _CURRENT + ') AND (WINDOWS)')
_WINDOW = '(p."kind" = {} AND p."ends_at" >= {} AND p."ends_at" < {})'

_COUNT_DUE = 'SELECT COUNT(*) AS "count" FROM "meeting" p WHERE ' + _DUE

# Due meetings whose follow-up (c: same family, with a time; ``meeting_followups``) was
# held: when the meeting ended and when its follow-up first started. Values: _HELD, _DUE's.
_FOLLOWED_UP = (
    'SELECT p."kind" AS "kind", p."ends_at" AS "held_at", MIN(c."starts_at") AS "followed_up_at" '
    'FROM "meeting" p JOIN "meeting" c ON c."parent_id" = p."id" AND c."family" = p."family" '
    'AND c."status" IN ({}, {}) AND c."starts_at" IS NOT NULL '
    'WHERE ' + _DUE + ' GROUP BY p."id", p."kind", p."ends_at"')


def _held_in(ranges: dict[str, tuple[datetime, datetime]]) -> tuple[str, list[Any]]:
    """The kinds' ranges of held moments as SQL (for ``WINDOWS``) and its values."""
    values: list[Any] = []
    for kind, (held_from, held_until) in ranges.items():
        values += [kind, held_from, held_until]
    return " OR ".join(_WINDOW for _ in ranges) or "1 = 0", values


async def _followup_counts(start: date, end: date, measured_on: date) -> tuple[int, int]:
    """(due, on time): follow-ups due in ``start``–``end``, counted once held or, on
    ``measured_on``, past the grace period; on time when held within it.

    The kinds' rule stays in Python (``agenda.followup_due_on``): ``agenda.earliest_held_for``
    turns a range of due days into an exact range of moments held, which the database finds
    in an index. It counts the meetings past the grace period and returns the followed-up
    ones, which the rule then decides (due, late, on time).
    """
    grace_from = measured_on - timedelta(days=criteria.FOLLOWUP_GRACE_DAYS)
    due_in: dict[str, tuple[datetime, datetime]] = {}
    past_grace_in: dict[str, tuple[datetime, datetime]] = {}
    for kind in FOLLOWUP_KINDS:
        held_from = agenda.earliest_held_for(kind, start)
        held_until = agenda.earliest_held_for(kind, end + timedelta(days=1))
        due_in[kind] = (held_from, held_until)
        past_grace_in[kind] = (held_from,
                               min(held_until, agenda.earliest_held_for(kind, grace_from)))
    windows, values = _held_in(past_grace_in)
    rows = await db.fetch(_COUNT_DUE.replace("WINDOWS", windows), *_HELD, end, start, *values)
    due, on_time = int(rows[0]["count"]), 0
    windows, values = _held_in(due_in)
    for row in await db.fetch(_FOLLOWED_UP.replace("WINDOWS", windows), *_HELD, *_HELD,
                              end, start, *values):
        due_on = agenda.followup_due_on(row["kind"], _moment(row["held_at"]))
        if due_on is None:  # the windows hold only FOLLOWUP_KINDS, which all have a rule
            raise AssertionError(f"Meeting kind {row['kind']!r} has no follow-up")
        if due_on >= grace_from:
            due += 1  # not counted above: followed up within the grace period
        on_time += criteria.on_time(due_on, agenda.local_day(_moment(row["followed_up_at"])))
    return due, on_time


# What the criteria's own pages (``followup.trends``) count with: the same rules.
CURRENT_FAMILY_SQL = _CURRENT
HELD_STATUSES = _HELD
followup_counts = _followup_counts
moment = _moment


# Stays (s) that began in the period and were not their family's first: an earlier one
# began before, or the same day with a lower id. Values: start, end.
_LATER_STAYS = (
    'SELECT s."family" AS "family", s."started_on" AS "started_on" FROM "stay" s '
    'WHERE s."started_on" >= {} AND s."started_on" <= {} AND EXISTS (SELECT 1 FROM "stay" e '
    'WHERE e."family" = s."family" AND (e."started_on" < s."started_on" '
    'OR (e."started_on" = s."started_on" AND e."id" < s."id")))')


async def agreements_overdue(on: date) -> int:
    """Active agreements whose evaluation is overdue or whose period ran out unrenewed on
    ``on`` (the agreements domain's cadence decides)."""
    return await agreements.needing_attention(on)


async def success_criteria(start: date, end: date, measured_on: date | None = None
                           ) -> CriteriaReport:
    """Every success criterion for the period ``start``–``end`` (no family names)."""
    measured_on = min(end, measured_on or clock.today())
    current, at_centre, fgc, father = await _criteria_counts(start, end)
    due, on_time = await _followup_counts(start, end, measured_on)
    later = await db.fetch(_LATER_STAYS, start, end)
    figures = criteria.from_counts(
        criteria.Counts(current, fgc, at_centre, father, due, on_time),
        criteria.returning_from_later_stays((r["family"], r["started_on"]) for r in later),
        await agreements_overdue(measured_on))
    return CriteriaReport(start, end, measured_on, figures, current, at_centre,
                          clock.now(), await trappe.criterion_counts(start, end),
                          await satisfaction_service.figures(start, end))


# Success criteria are counted over every family, meeting and agreement (Randers-trappen
# and the satisfaction answers included): ~0.6 s at national scale. Leaders follow them per
# month, so a report is kept for a minute per period and process (the page says when it
# was counted); the counts hold no family data.
CRITERIA_FRESH_SECONDS = 60
_criteria_reports: FlightCache[tuple[date, date, date], CriteriaReport] = FlightCache(
    "success criteria", 64, CRITERIA_FRESH_SECONDS)


async def recent_success_criteria(start: date, end: date, measured_on: date | None = None
                                  ) -> CriteriaReport:
    """``success_criteria``, counted at most once a minute for the same period and day.

    Leaders who ask while it is being counted wait for that count instead of starting their
    own (at national scale 30 parallel counts took seconds each); a failed count is not kept.
    """
    return await _criteria_reports.get_or_build(
        (start, end, min(end, measured_on or clock.today())),
        lambda: success_criteria(start, end, measured_on), CRITERIA_FRESH_SECONDS)


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
    rows = [r for r in rows if may_access_father_side(user, FamilyAccessFacts(
        on_team=r["family"] in team, family_closed=r["family_status"] == "closed"), Action.READ)]
    if not rows:
        return []
    sessions = await _sessions([r["id"] for r in rows])
    meetings = await meeting_facts(sorted({r["family"] for r in rows}))
    now = clock.local_now()
    for row in rows:
        own = sessions.get(row["id"], [])
        row["sessions_held"] = [s for s in own if session_status(s) == "held"]
        row["sessions_planned"] = [s for s in own if session_status(s) == "planned"]
        row["joint_meetings"] = sorted(
            (m for m in meetings.get(row["family"], []) if m.kind == "bic_joint_parents"),
            key=lambda m: (m.starts_at or now.replace(year=9999), m.id))
    _flag_clashes([s for row in rows for s in row["sessions_planned"]])
    seen: dict[int, str] = {r["family"]: r["family_name"] for r in rows}
    await _audit_reads(user, BIC_ENTITY, user.id, seen.items(), address)
    return rows


def _flag_clashes(sessions: list[dict]) -> None:
    """Mark planned sessions of one kontaktperson that overlap in time (``clash``)."""
    timed = sorted((s for s in sessions if s.get("starts_at") and s.get("ends_at")),
                   key=lambda s: s["starts_at"])
    for session in sessions:
        session["clash"] = False
    for earlier, later in zip(timed, timed[1:], strict=False):
        if later["starts_at"] < earlier["ends_at"]:
            earlier["clash"] = later["clash"] = True


async def _sessions(assessment_ids: list[int]) -> dict[int, list[dict]]:
    rows = await BicSession.select(
        BicSession.id, BicSession.assessment, BicSession.status, BicSession.topics,
        BicSession.meeting, BicSession.created_at,
        BicSession.meeting.status.as_alias("meeting_status"),
        BicSession.meeting.starts_at.as_alias("starts_at"),
        BicSession.meeting.ends_at.as_alias("ends_at"),
    ).where(BicSession.assessment.is_in(assessment_ids)).order_by(BicSession.id)
    topics = dict(kinds.BIC_TOPICS)
    result: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
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

    A change goes through ``db.update_versioned``: when someone saved in between, a
    ``web.Conflict`` (409) carries both versions and nothing is saved.
    """
    if occurs_on < on:
        raise web.UserError("Mødedatoen ligger i fortiden. Vælg dagsordenen for det næste møde.",
                            field="occurs_on")
    if len(items) > MAX_AGENDA_ITEMS:
        raise web.UserError(f"Dagsordenen må højst have {MAX_AGENDA_ITEMS} punkter.", field="rows")
    mine = {"occurs_on": agenda.da_date(occurs_on), "items": _as_text(items)}
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
            try:
                await db.update_versioned(SeriesAgenda, agenda_id, version, {
                    SeriesAgenda.occurs_on: occurs_on,
                    SeriesAgenda.updated_by_name: user.full_name or user.username,
                    SeriesAgenda.updated_at: clock.local_now(),
                }, mine=mine, shown=["id", "occurs_on", "updated_by_name"],
                    labels=AGENDA_LABELS)
            except db.Conflict as exc:
                await _in_agenda_words(exc)
                raise
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
    """An upcoming agenda exists already: the form meant to create one came second."""
    return web.Conflict(_changed_by(current["updated_by_name"]), mine, await _saved(current),
                        labels=AGENDA_LABELS)


async def _in_agenda_words(exc: web.Conflict) -> None:
    """The conflict ``db.update_versioned`` raised, told in the agenda's words: the date and
    the items as saved now (read after the failed write), and who saved them."""
    saved = exc.theirs
    exc.theirs = await _saved(saved) if saved else {}
    if saved and not exc.missing_version:
        exc.message = _changed_by(saved["updated_by_name"])


async def _saved(row: dict) -> dict:
    return {"occurs_on": agenda.da_date(row["occurs_on"]),
            "items": _as_text(await agenda_items(row["id"])), "version": row["version"]}


def _changed_by(name: str) -> str:
    return (f"Dagsordenen er ændret af {name or 'en anden'}, siden du åbnede den. Intet af det, "
            "du indtastede, er gemt. Sammenlign de to udgaver, og indtast dine ændringer igen.")
