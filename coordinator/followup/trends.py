"""Use cases for one success criterion at a time: its share over any period, its trend per
month or quarter, and the drill-down list of the families that miss it.

The shares are counted by the database (no family data leaves it); the drill-down lists only
the families the leader may follow (the access policy: her teams' families and, when she
leads the unit, her unit's), and every family listed is audited. The Randers-trappen and
satisfaction criteria are their domains' own counts and lists.
"""

from __future__ import annotations

from datetime import date

from coordinator import clock, db
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.cache import FlightCache
from coordinator.families import units
from coordinator.followup import agenda, criteria, trend
from coordinator.followup import service as followup
from coordinator.satisfaction import service as satisfaction
from coordinator.trappe import service as trappe

ENTITY = "succeskriterium"

# Current families (f) in the period. Values: end, start.
_CURRENT = followup.CURRENT_FAMILY_SQL
# A decided familierådslagning assessment / father assessment by the end. Values: end.
_FGC = ('f."id" IN (SELECT a."family" FROM "fgc_case" a WHERE a."possible" IS NOT NULL '
        'AND (a."assessed_on" IS NULL OR a."assessed_on" <= {}))')
_FATHER = ('f."id" IN (SELECT a."family" FROM "father_assessment" a WHERE a."involve" IS '
           'NOT NULL AND (a."assessed_on" IS NULL OR a."assessed_on" <= {}))')
# A goal (not a sub-goal) in the handleplan set by the end. Values: end.
_GOAL = ('EXISTS (SELECT 1 FROM "goal" g WHERE g."family" = f."id" AND g."parent_id" IS NULL '
         'AND g."starts_on" <= {})')


async def share(key: str, start: date, end: date, measured_on: date) -> criteria.Share:
    """The criterion's share over ``start``–``end`` (counted as on the overview page)."""
    label = trend.BY_KEY[key].label
    if key in ("familieraadslagning", "bic", "handleplan"):
        rows = await db.fetch(
            'SELECT COUNT(*) AS "current", '
            'COALESCE(SUM(CASE WHEN f."at_crisis_centre" THEN 1 ELSE 0 END), 0) AS "centre", '
            f'COALESCE(SUM(CASE WHEN {_FGC} THEN 1 ELSE 0 END), 0) AS "fgc", '
            f'COALESCE(SUM(CASE WHEN f."at_crisis_centre" AND {_FATHER} THEN 1 ELSE 0 END), 0)'
            ' AS "father", '
            f'COALESCE(SUM(CASE WHEN {_GOAL} THEN 1 ELSE 0 END), 0) AS "goal" '
            f'FROM "family" f WHERE {_CURRENT}', end, end, end, end, start)
        row = rows[0]
        if key == "familieraadslagning":
            return criteria.Share(label, int(row["fgc"]), int(row["current"]))
        if key == "bic":
            return criteria.Share(label, int(row["father"]), int(row["centre"]))
        return criteria.Share(label, int(row["goal"]), int(row["current"]))
    if key == "opfoelgning":
        # measured on the day asked, also for a past period: a follow-up due then and never
        # held is a miss of that period, not one that vanished when the period ended
        due, on_time = await followup.followup_counts(start, end, measured_on)
        return criteria.Share(label, on_time, due)
    if key == "trappe":
        counts = await trappe.criterion_counts(start, end)
        return criteria.Share(label, counts.meeting, counts.families)
    figures = await satisfaction.figures(start, end)
    chosen = figures.answered if key == "besvaret" else figures.supported
    return criteria.Share(label, chosen.numerator, chosen.denominator)


# A trend is up to 12 counts; leaders look at it per month, so it is kept for a minute per
# criterion, grain and day (the counts hold no family data).
TREND_FRESH_SECONDS = 60
_trends: FlightCache[tuple[str, str, date], list[trend.TrendPoint]] = FlightCache(
    "criterion trends", 64, TREND_FRESH_SECONDS)


async def criterion_trend(key: str, grain: str, today: date | None = None
                          ) -> list[trend.TrendPoint]:
    """The criterion per month or quarter up to ``today`` (default: the clock's day)."""
    day = today or clock.today()

    async def build() -> list[trend.TrendPoint]:
        points = trend.periods(grain, day)
        shares = [(p, await share(key, p.start, p.end, day)) for p in points]
        return trend.trend(trend.BY_KEY[key], shares)

    return await _trends.get_or_build((key, grain, day), build, TREND_FRESH_SECONDS)


async def missing(user: Principal, key: str, start: date, end: date, address: str = ""
                  ) -> list[dict]:
    """The drill-down: the families counted by the criterion in the period that miss it,
    among those the user may follow, each with a short Danish detail. Audited per family
    (the trappe and satisfaction lists by their own services)."""
    if key == "trappe":
        return [{"id": r["id"], "name": r["name"], "reference": r["reference"],
                 "detail": f"{r['without']} af {r['children']} børn uden vurdering, "
                           f"{r['incomplete']} uden fuldført analyse"}
                for r in await trappe.missing(user, start, end, address)]
    if key in ("besvaret", "stoette"):
        return [{"id": r["id"], "name": r["name"], "reference": r["reference"],
                 "detail": f"Flyttede ud {r['ended_on'].strftime('%d.%m.%Y')}: {r['status']}"}
                for r in await satisfaction.missing(user, start, end, address)]
    ids = await units.followed_family_ids(user)
    if not ids:
        return []
    if key == "opfoelgning":
        rows = await _followup_missing(ids, start, end, clock.today())
    else:
        condition, detail = {
            "familieraadslagning": ("NOT " + _FGC, "Ingen vurdering af familierådslagning"),
            "bic": ('f."at_crisis_centre" AND NOT ' + _FATHER,
                    "Ingen vurdering af fars inddragelse"),
            "handleplan": ("NOT " + _GOAL, "Ingen mål i handleplanen"),
        }[key]
        rows = await db.fetch(
            f'SELECT f."id", f."name", f."reference" FROM "family" f WHERE {_CURRENT} '
            f'AND {condition} AND f."id" IN ({db.marks(ids)}) ORDER BY f."name", f."id"',
            end, start, end, *ids)
        for row in rows:
            row["detail"] = detail
    if rows:
        async with db.transaction():
            await audit.record_many(user, "read", ENTITY, f"{key} {start}–{end}",
                                    sorted({(r["id"], r["name"]) for r in rows}), address)
    return rows


# Held meetings (p) of a kind with a follow-up in these families, with their follow-up's
# first start. Values: held statuses, held statuses, kinds, ids.
_HELD_WITH_FOLLOWUP = (
    'SELECT p."id", p."family", p."kind", p."ends_at", MIN(c."starts_at") AS "followed_up_at" '
    'FROM "meeting" p LEFT JOIN "meeting" c ON c."parent_id" = p."id" '
    'AND c."family" = p."family" AND c."status" IN ({}, {}) AND c."starts_at" IS NOT NULL '
    'WHERE p."status" IN ({}, {}) AND p."ends_at" IS NOT NULL AND p."kind" IN (KINDS) '
    'AND p."family" IN (IDS) GROUP BY p."id", p."family", p."kind", p."ends_at"')


async def _followup_missing(ids: list[int], start: date, end: date, measured_on: date
                            ) -> list[dict]:
    kinds_ = list(followup.FOLLOWUP_KINDS)
    rows = await db.fetch(
        _HELD_WITH_FOLLOWUP.replace("KINDS", db.marks(kinds_)).replace("IDS", db.marks(ids)),
        *followup.HELD_STATUSES, *followup.HELD_STATUSES, *kinds_, *ids)
    facts = []
    for row in rows:
        due_on = agenda.followup_due_on(row["kind"], followup.moment(row["ends_at"]))
        held = (agenda.local_day(followup.moment(row["followed_up_at"]))
                if row["followed_up_at"] is not None else None)
        facts.append((row["family"], row["id"], due_on, held))
    misses = trend.followup_misses(facts, start, end, measured_on,
                                   criteria.FOLLOWUP_GRACE_DAYS)
    if not misses:
        return []
    by_family: dict[int, list[trend.FollowupMiss]] = {}
    for miss in misses:
        by_family.setdefault(miss.family_id, []).append(miss)
    names = await db.fetch(
        f'SELECT f."id", f."name", f."reference" FROM "family" f WHERE {_CURRENT} '
        f'AND f."id" IN ({db.marks(sorted(by_family))}) ORDER BY f."name", f."id"',
        end, start, *sorted(by_family))
    for row in names:
        parts = []
        for miss in sorted(by_family[row["id"]], key=lambda m: m.due_on):
            when = (f"holdt {miss.held_on.strftime('%d.%m.%Y')}" if miss.held_on
                    else "ikke holdt")
            parts.append(f"frist {miss.due_on.strftime('%d.%m.%Y')}, {when}")
        row["detail"] = "Opfølgning: " + "; ".join(parts)
    return names

