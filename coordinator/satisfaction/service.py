"""Use cases for the satisfaction form at move-out.

The family's team records a paper form or a "declined" mark, and opens a one-time tablet
link for a stay that has ended (``families.service.load_family``: the team only; the
father's kontaktperson, samordnere, leaders not on the team and admins get 404). The
tablet page itself needs no login: the link is the permission, used once.

The answer is written without anything that names the family (``tables.py``); the
"answered" mark per stay is written in the same transaction. Leaders see the two criteria
counted by the database, the answers and comments of a period without names, and the
move-outs without an answer among the families they may follow.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Action, Principal
from coordinator.families import service as families
from coordinator.families import units
from coordinator.followup.tables import Stay
from coordinator.satisfaction import rules
from coordinator.satisfaction.tables import SatisfactionAnswer, SatisfactionMark, TabletLink

ENTITY = "tilfredshedsskema"
CRITERION_ENTITY = "tilfredshedsskema, succeskriterium"


@dataclass(frozen=True)
class StayForm:
    """One stay of the family and where its form stands."""

    id: int
    started_on: date
    ended_on: date | None
    outcome: str | None
    recorded_on: date | None
    recorded_by_name: str
    refusal: str | None  # why no form can be recorded now (None: it can)


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _stays(family_id: int) -> list[StayForm]:
    marks = {m["stay"]: m for m in await SatisfactionMark.select().where(
        SatisfactionMark.family == family_id)}
    result = []
    for row in await Stay.select(Stay.id, Stay.started_on, Stay.ended_on).where(
            Stay.family == family_id).order_by(Stay.started_on, ascending=False):
        mark = marks.get(row["id"])
        outcome = mark["outcome"] if mark else None
        result.append(StayForm(
            row["id"], _day(row["started_on"]), _day(row["ended_on"]), outcome,  # type: ignore[arg-type]
            _day(mark["recorded_on"]) if mark else None,
            mark["recorded_by_name"] if mark else "",
            rules.answerable(_day(row["ended_on"]), outcome)))
    return result


async def family_page(user: Principal, family_id: int, address: str = ""
                      ) -> tuple[dict, list[StayForm]]:
    """The family and its stays with the form's state: the team only, audited."""
    family = await families.load_family(user, family_id, Action.READ, what=ENTITY,
                                        address=address)
    return family, await _stays(family_id)


def _refuse(found: list[tuple[str, str]]) -> None:
    if found:
        field, message = found[0]
        raise web.UserError(message, field=field)


async def _open_stay(family_id: int, stay_id: int | None) -> dict:
    """The stay, of this family, that may get a form now; else a Danish refusal."""
    if stay_id is None:
        raise web.UserError("Vælg det ophold, skemaet hører til.", field="stay")
    stay = await Stay.select(Stay.id, Stay.ended_on).where(
        (Stay.id == stay_id) & (Stay.family == family_id)).first()
    if stay is None:
        raise web.UserError("Vælg et af familiens ophold.", field="stay")
    mark = await SatisfactionMark.select(SatisfactionMark.outcome).where(
        SatisfactionMark.stay == stay_id).first()
    reason = rules.answerable(_day(stay["ended_on"]), mark["outcome"] if mark else None)
    if reason:
        raise web.UserError(reason, 409 if mark else 422, field="stay")
    return stay


async def _save(stay: dict, family_id: int, draft: rules.Draft, channel: str,
                user: Principal | None, name: str) -> int:
    """The answer (no names) and the stay's mark, in the caller's transaction. The mark's
    unique stay keeps a second answer out even when two arrive at once."""
    ended = _day(stay["ended_on"])
    assert ended is not None
    await SatisfactionAnswer.insert(SatisfactionAnswer(
        period=rules.period_of(ended), support=draft.support, process=draft.process,
        comment=draft.comment, channel=channel))
    rows = await SatisfactionMark.insert(SatisfactionMark(
        stay=stay["id"], family=family_id, outcome="answered", recorded_on=clock.today(),
        recorded_by=user.id if user else None, recorded_by_name=name))
    return rows[0]["id"]


async def record_paper(user: Principal, family_id: int, stay_id: int | None,
                       draft: rules.Draft, address: str = "") -> None:
    """Type in a paper form for an ended stay; once per stay (a second one is refused)."""
    await families.load_family(user, family_id, Action.WRITE, audit_read=False)
    _refuse(rules.problems(draft))
    async with db.transaction():
        stay = await _open_stay(family_id, stay_id)
        mark = await _save(stay, family_id, draft, "paper", user,
                           user.full_name or user.username)
        await audit.record(user, "create", ENTITY, mark, family_id,
                           "Tilfredshedsskema ved udflytning tastet ind fra papir", address)


async def record_declined(user: Principal, family_id: int, stay_id: int | None,
                          address: str = "") -> None:
    """Mark that the family did not wish to answer (counts as not answered)."""
    await families.load_family(user, family_id, Action.WRITE, audit_read=False)
    async with db.transaction():
        stay = await _open_stay(family_id, stay_id)
        rows = await SatisfactionMark.insert(SatisfactionMark(
            stay=stay["id"], family=family_id, outcome="declined", recorded_on=clock.today(),
            recorded_by=user.id, recorded_by_name=user.full_name or user.username))
        await audit.record(user, "create", ENTITY, rows[0]["id"], family_id,
                           "Familien ønskede ikke at svare på tilfredshedsskemaet", address)


async def open_tablet_link(user: Principal, family_id: int, stay_id: int | None,
                           address: str = "") -> tuple[str, datetime]:
    """A one-time link to the form for an ended stay without an answer; the token is
    returned once and only its hash is kept. Earlier open links of the stay stop working."""
    await families.load_family(user, family_id, Action.WRITE, audit_read=False)
    token, hashed = rules.new_token()
    now = clock.now()
    expires = rules.link_expires(now)
    async with db.transaction():
        stay = await _open_stay(family_id, stay_id)
        await TabletLink.update({TabletLink.used_at: now}).where(
            (TabletLink.stay == stay["id"]) & TabletLink.used_at.is_null())
        rows = await TabletLink.insert(TabletLink(
            token_hash=hashed, stay=stay["id"], family=family_id, created_by=user.id,
            expires_at=expires))
        await audit.record(user, "create", ENTITY, f"tablet-{rows[0]['id']}", family_id,
                           "Engangslink til tilfredshedsskemaet åbnet til tablet", address)
    return token, expires


async def _link(token: str) -> dict:
    """The tablet link of ``token``; 404 when unknown, a Danish 410 when used or expired."""
    if not 10 <= len(token) <= 100:
        raise NotFoundException()
    link = await TabletLink.select().where(
        TabletLink.token_hash == rules.token_hash(token)).first()
    if link is None:
        raise NotFoundException()
    state = rules.link_state(link["used_at"], link["expires_at"], clock.now())
    if state == "used":
        raise web.UserError("Linket er allerede brugt. Tak for dine svar.", 410)
    if state == "expired":
        raise web.UserError("Linket er udløbet. Spørg personalet om et nyt.", 410)
    return link


async def tablet_form(token: str) -> None:
    """Check that the tablet link still works (nothing of the family is read or shown)."""
    await _link(token)


async def tablet_submit(token: str, draft: rules.Draft, address: str = "") -> None:
    """Save the form from the tablet and use up the link (in one transaction: a link
    answers once, even when sent twice at once)."""
    link = await _link(token)
    _refuse(rules.problems(draft))
    async with db.transaction():
        used = await TabletLink.update({TabletLink.used_at: clock.now()}).where(
            (TabletLink.id == link["id"]) & TabletLink.used_at.is_null()).returning(
            TabletLink.id)
        if not used:
            raise web.UserError("Linket er allerede brugt. Tak for dine svar.", 410)
        stay = await _open_stay(link["family"], link["stay"])
        mark = await _save(stay, link["family"], draft, "tablet", None, "Tablet")
        await audit.record(None, "create", ENTITY, mark, link["family"],
                           f"Tilfredshedsskema ved udflytning udfyldt på tablet (link "
                           f"tablet-{link['id']})", address)


# --- the success criteria ------------------------------------------------------------------

# Stays (s) that ended in the period. Values: start, end.
_MOVED_OUT = 's."ended_on" IS NOT NULL AND s."ended_on" >= {} AND s."ended_on" <= {}'


async def figures(start: date, end: date) -> rules.SatisfactionFigures:
    """Both criteria, counted by the database: move-outs in the period and how many of
    them answered; the support answers of the months the period covers."""
    row = (await db.fetch(
        f'SELECT COUNT(*) AS "n", COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM '
        f'"satisfaction_mark" m WHERE m."stay" = s."id" AND m."outcome" = \'answered\') '
        f'THEN 1 ELSE 0 END), 0) AS "answered" FROM "stay" s WHERE {_MOVED_OUT}',
        start, end))[0]
    first, last = rules.period_bounds(start, end)
    supports = await db.fetch(
        'SELECT "support" FROM "satisfaction_answer" WHERE "period" >= {} AND "period" <= {}',
        first, last)
    return rules.figures(int(row["n"]), int(row["answered"]), (r["support"] for r in supports))


async def missing(user: Principal, start: date, end: date, address: str = "") -> list[dict]:
    """The drill-down: move-outs in the period without an answer, among the families the
    user may follow, with whether the family declined. Every family listed is audited."""
    ids = await units.followed_family_ids(user)
    if not ids:
        return []
    rows = await db.fetch(
        f'SELECT f."id", f."name", f."reference", s."id" AS "stay", s."ended_on", '
        f'm."outcome" FROM "stay" s JOIN "family" f ON f."id" = s."family" '
        f'LEFT JOIN "satisfaction_mark" m ON m."stay" = s."id" WHERE {_MOVED_OUT} '
        f'AND (m."outcome" IS NULL OR m."outcome" <> \'answered\') '
        f'AND f."id" IN ({db.marks(ids)}) ORDER BY s."ended_on", f."name", s."id"',
        start, end, *ids)
    for row in rows:
        row["ended_on"] = _day(row["ended_on"])
        row["status"] = rules.OUTCOMES.get(row["outcome"] or "", "Ikke registreret")
    if rows:
        async with db.transaction():
            await audit.record_many(user, "read", CRITERION_ENTITY, f"{start}–{end}",
                                    sorted({(r["id"], r["name"]) for r in rows}), address)
    return rows


@dataclass(frozen=True)
class AnswerList:
    """The answers of a period without names: counts per choice, and the comments."""

    count: int
    support: list[tuple[str, int]]
    process: list[tuple[str, int]]
    comments: list[dict]


async def answers(user: Principal, start: date, end: date, address: str = "") -> AnswerList:
    """The answers given by families that moved out in the months of the period, for
    leaders: no family, no stay, no date, and the comments in random order. Audited as a
    read of the aggregate (no family)."""
    first, last = rules.period_bounds(start, end)
    rows = await db.fetch(
        'SELECT "support", "process", "comment" FROM "satisfaction_answer" '
        'WHERE "period" >= {} AND "period" <= {}', first, last)
    comments = [{"text": r["comment"], "support": rules.SUPPORT_CHOICES.get(r["support"], ""),
                 "process": rules.PROCESS_CHOICES.get(r["process"], "")}
                for r in rows if r["comment"]]
    random.shuffle(comments)
    await audit.record(user, "read", ENTITY, "svar", None,
                       f"Tilfredshedsskemaernes svar uden navne, {start}–{end}", address)
    return AnswerList(len(rows), rules.distribution((r["support"] for r in rows),
                                                    rules.SUPPORT_CHOICES),
                      rules.distribution((r["process"] for r in rows), rules.PROCESS_CHOICES),
                      comments)
