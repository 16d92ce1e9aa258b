"""Use cases for families: listing, loading through the access policy, team changes."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.exceptions import NotFoundException

from coordinator import clock, db
from coordinator.audit import service as audit
from coordinator.auth.policy import (
    Action,
    FamilyAccessFacts,
    Principal,
    may_access_family,
    may_access_father_side,
)
from coordinator.auth.tables import User
from coordinator.families import revisions
from coordinator.families.revisions import GLOBAL
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings import kinds
from coordinator.meetings.tables import Meeting


async def families_for(user: Principal, include_closed: bool = False) -> list[dict]:
    """The families whose team the user is on, by name, for the start page and the agenda
    (``db.rows``: read on every view of both)."""
    if not _may_have_cases(user):
        return []
    where = '"id" IN (SELECT t."family" FROM "team_member" t WHERE t."user" = {})'
    if not include_closed:
        where += """ AND "status" = 'active'"""
    return await db.rows(Family, where, user.id, order_by='"name", "id"')


@dataclass(frozen=True)
class FamilyFilter:
    """The start page's search: free text (family name, reference or a person's name),
    status and whether the family is at the crisis centre."""

    text: str = ""
    status: str = "active"  # active, closed or all
    at_centre: bool | None = None

    @property
    def active(self) -> bool:
        """Anything narrower than the default list."""
        return bool(self.text) or self.status != "active" or self.at_centre is not None


STATUSES = {"active": "Aktive", "closed": "Afsluttede", "all": "Alle"}


def _like(text: str) -> str:
    """A LIKE pattern for "contains": the wildcard and escape characters typed are dropped
    (SQLite's LIKE has no default escape character)."""
    plain = "".join(" " if ch in "%_\\" else ch for ch in text)
    return f"%{plain}%"


def text_contains(column: str, text: str) -> tuple[str, list[str]]:
    """SQL for ``column`` contains ``text`` regardless of case on both engines, and its
    arguments: ILIKE on PostgreSQL; on SQLite, whose LIKE folds only ASCII, LIKE on the
    typed, lower, upper and capitalised spellings (so "ålund" finds "Ålund")."""
    if db.engine_name() == "postgresql":
        return f"{column} ILIKE {{}}", [_like(text)]
    spellings = dict.fromkeys((text, text.lower(), text.upper(), text.capitalize(), text.title()))
    return "(" + " OR ".join(f"{column} LIKE {{}}" for _ in spellings) + ")", [
        _like(spelling) for spelling in spellings]


# A meeting of the family still ahead (planned or sent), written with literals as the
# partial index "meeting_family_upcoming" has it, so the statements below use that index.
_UPCOMING = ('m."status" IN ('
             + ", ".join(f"'{status}'" for status in kinds.UPCOMING_STATUSES) + ")")

# The user's families (the team's, as the access policy reads it), each with when its next
# planned or sent meeting starts. One statement whatever the number of families: the
# family's team membership first (an index), then per family an indexed look at its own
# meetings and, for a search, its own people. Never a scan of everyone's people.
_FIND = (
    'SELECT f.*, (SELECT MIN(m."starts_at") FROM "meeting" m WHERE m."family" = f."id" '
    f'AND m."starts_at" >= {{{{}}}} AND {_UPCOMING}) AS next_meeting_ '
    'FROM "family" f WHERE f."id" IN (SELECT t."family" FROM "team_member" t WHERE t."user" = {{}})'
    '{where}'
)


# A meeting is the next one while it starts now or later (``_FIND``): until just after.
_JUST_AFTER = timedelta(microseconds=1)


async def find_families(user: Principal, wanted: FamilyFilter) -> list[dict]:
    """The user's families matching ``wanted``, those with the nearest next meeting first
    (what needs action), then by name; each with ``next_meeting`` (or None)."""
    if not _may_have_cases(user):
        return []
    where: list[str] = []
    args: list[Any] = []
    if wanted.status in ("active", "closed"):
        where.append('f."status" = {}')
        args.append(wanted.status)
    if wanted.at_centre is not None:
        where.append('f."at_crisis_centre" = {}')
        args.append(wanted.at_centre)
    if wanted.text:
        name, name_args = text_contains('f."name"', wanted.text)
        reference, reference_args = text_contains('f."reference"', wanted.text)
        person, person_args = text_contains('p."name"', wanted.text)
        where.append(f'({name} OR {reference} OR EXISTS (SELECT 1 FROM "person" p '
                     f'WHERE p."family" = f."id" AND {person}))')
        args += name_args + reference_args + person_args
    sql = _FIND.format(where="".join(f" AND {condition}" for condition in where))
    rows = await db.fetch(sql, clock.now(), user.id, *args)
    for row in rows:
        row["next_meeting"] = _moment(row.pop("next_meeting_"))
        if row["next_meeting"] is not None:  # once it has begun, another one is next
            clock.changes_at(row["next_meeting"] + _JUST_AFTER)
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r["next_meeting"] or far, r["name"].casefold(), r["id"]))


async def next_meetings(family_ids: list[int]) -> dict[int, datetime]:
    """family id → when its next planned or sent meeting starts."""
    if not family_ids:
        return {}
    marks = ", ".join("{}" for _ in family_ids)
    rows = await db.fetch(
        'SELECT m."family" AS family, MIN(m."starts_at") AS next FROM "meeting" m '
        f'WHERE m."family" IN ({marks}) AND m."starts_at" >= {{}} AND {_UPCOMING} '
        'GROUP BY m."family"',
        *family_ids, clock.now())
    result = {}
    for row in rows:
        value = row["next"]
        if isinstance(value, str):  # SQLite hands back the stored text
            value = datetime.fromisoformat(value)
        if value is not None:
            result[row["family"]] = value if value.tzinfo else value.replace(tzinfo=UTC)
    return result


def _moment(value: Any) -> datetime | None:
    """A stored moment as an aware datetime (SQLite hands back the stored text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _may_have_cases(user: Principal) -> bool:
    return may_access_family(user, FamilyAccessFacts(on_team=True), Action.READ)


async def is_on_team(user_id: int, family_id: int) -> bool:
    """True when the user is a member of the family's team."""
    return await TeamMember.exists().where(
        (TeamMember.family == family_id) & (TeamMember.user == user_id)
    )


async def load_family(
    user: Principal, family_id: int, action: Action, *, what: str = "familie",
    address: str = "", audit_read: bool = True, father_side: bool = False,
    known: KnownAccess | None = None,
) -> dict:
    """The family row if the policy allows ``action``; otherwise 404 (never 403, never data).

    ``father_side`` routes (the BIC record and sessions) let the father's kontaktperson in
    too (``policy.may_access_father_side``); everything else is the team's only.
    A permitted READ is written to the audit log with ``what`` the user looked at.
    Writes are audited by the service that performs them, inside its transaction.
    ``known``: the access facts as read with something else (``meeting_page_stamps``),
    used when they are this user's for this family, instead of reading them again.
    """
    row, _ = await _authorise(user, family_id, action, what, address, audit_read, stamps=False,
                              father_side=father_side, known=known)
    return row


@dataclass(frozen=True)
class KnownAccess:
    """A family's row and whether a user is on its team, read in a statement that read
    something else too (a meeting page's stamps): the facts of the access check without a
    statement of its own. The check itself is the same (``_authorise``)."""

    user_id: int
    row: dict
    on_team: bool


@dataclass(frozen=True)
class ContentStamps:
    """What the family page shows, as the database stamps it (``revisions.py``)."""

    family: str
    shared: str
    network: str = ""  # the family's network stamp (revisions.NETWORK); "" if never replaced

    @property
    def keyable(self) -> bool:
        """Whether anything may be kept under these stamps: not while the family's or the
        shared stamp is empty (data loaded in bulk, or a stamp row deleted by hand), as an
        empty stamp comes back and would serve what was kept under it before."""
        return bool(self.family and self.shared)

    @property
    def network_key(self) -> tuple[str, str]:
        """What keys a view of the family's network alone: its network stamp, or, while a
        family has none yet (data loaded before the stamp came, or in bulk), the family's
        stamp, which every write replaces."""
        return ("network", self.network) if self.network else ("family", self.family)


async def open_family_page(user: Principal, family_id: int, address: str,
                           what: str = "familieside") -> tuple[dict, ContentStamps]:
    """``load_family`` for a READ of a cached page of the family (``what`` it is, for the
    audit record), with the content stamps read in the same statement as the access facts
    (before any content, so a page rendered from newer content than its stamps is never
    served for a later stamp)."""
    row, stamps = await _authorise(user, family_id, Action.READ, what, address,
                                   True, stamps=True)
    assert stamps is not None
    return row, stamps


def one_shared_stamp(known: str = "") -> contextlib.AbstractContextManager[None]:
    """Within one page's build, the shared data's stamp read once (``known``: the page's
    stamps have it already); ``revisions.shared_stamp_read_once``."""
    return revisions.shared_stamp_read_once(known)


def network_known(family_id: int, stamps: ContentStamps) -> contextlib.AbstractContextManager[None]:
    """Within one page's build, the family's network as the page's stamps name it: a
    network this process read under the same stamps is used again
    (``revisions.network_known``, ``network.service.load_network``). A family without
    stamps (data loaded in bulk, or its stamp row deleted) has no key: the empty stamp can
    come back, so nothing is kept under it."""
    key = stamps.network_key
    if not key[1]:
        return contextlib.nullcontext()
    return revisions.network_known(family_id, key)


async def meeting_page_stamps(user: Principal, meeting_id: int
                              ) -> tuple[ContentStamps | None, dict | None, KnownAccess | None]:
    """The stamps of what a meeting page shows (its family's rows and the shared ones), the
    meeting's row and the facts of its family's access check for ``user`` (the family's row
    and the team membership), read in one statement before anything else of the meeting:
    the rows are as new as their stamps, and a page rendered from content newer than its
    stamps is never served under a later stamp. ``(None, None, None)`` when the meeting
    does not exist; stamps and facts None when it belongs to no family (such pages are not
    cached). Not an access check: the caller passes the row and the facts to
    ``meetings.service.load_meeting``, which decides."""
    rows = await db.fetch(_MEETING_STAMPS, user.id, meeting_id, quick=True)
    if not rows:
        return None, None, None
    row = rows[0]
    stamps = ContentStamps(row.pop("stamp_") or "", row.pop("shared_stamp_") or "",
                           row.pop("network_stamp_") or "")
    on_team = bool(row.pop("on_team_"))
    family = {name: row.pop(_FAMILY_PREFIX + name) for name in _FAMILY_COLUMNS}
    if row["family"] is None:
        return None, row, None
    return stamps, row, KnownAccess(user.id, family, on_team)


async def team_stamps(user: Principal) -> tuple[dict[int, str], str]:
    """The content stamps of the families whose team the user is on, and the shared stamp,
    for caches of what those families show (read before their content, as above)."""
    rows = await db.fetch(_TEAM_STAMPS, user.id, quick=True)
    stamps = {row["family_id"]: row["stamp"] for row in rows if row["family_id"] != GLOBAL}
    shared = next((row["stamp"] for row in rows if row["family_id"] == GLOBAL), "")
    return stamps, shared


# The family row and the user's team membership; for the page cache also the stamps.
_STAMPS = (
    '(SELECT r."stamp" FROM "content_revision" r WHERE r."family_id" = f."id") AS stamp_, '
    '(SELECT r."network_stamp" FROM "content_revision" r WHERE r."family_id" = f."id") '
    'AS network_stamp_, '
    f'(SELECT r."stamp" FROM "content_revision" r WHERE r."family_id" = {GLOBAL}) AS shared_stamp_, '
)
_ACCESS = (
    'SELECT f.*, {stamps}EXISTS (SELECT 1 FROM "team_member" t WHERE t."family" = f."id" '
    'AND t."user" = {{}}) AS on_team_ FROM "family" f WHERE f."id" = {{}}'
)
_ACCESS_PLAIN, _ACCESS_WITH_STAMPS = _ACCESS.format(stamps=""), _ACCESS.format(stamps=_STAMPS)
_TEAM_STAMPS = (  # a family never stamped yet (bulk-loaded data) has the empty stamp
    'SELECT t."family" AS "family_id", COALESCE(r."stamp", \'\') AS "stamp" FROM "team_member" t '
    'LEFT JOIN "content_revision" r ON r."family_id" = t."family" WHERE t."user" = {} '
    f'UNION ALL SELECT "family_id", "stamp" FROM "content_revision" WHERE "family_id" = {GLOBAL}'
)
# The family's columns beside the meeting's, under names of their own.
_FAMILY_PREFIX = "family__"
_FAMILY_COLUMNS = tuple(c._meta.name for c in Family._meta.columns)
_MEETING_STAMPS = (
    f'SELECT {db.columns(Meeting, "m")}, '
    '(SELECT r."stamp" FROM "content_revision" r WHERE r."family_id" = m."family") AS stamp_, '
    '(SELECT r."network_stamp" FROM "content_revision" r WHERE r."family_id" = m."family") '
    'AS network_stamp_, '
    f'(SELECT r."stamp" FROM "content_revision" r WHERE r."family_id" = {GLOBAL}) AS shared_stamp_, '
    + ", ".join(f'f."{c._meta.db_column_name}" AS "{_FAMILY_PREFIX}{c._meta.name}"'
                for c in Family._meta.columns) + ', '
    'EXISTS (SELECT 1 FROM "team_member" t WHERE t."family" = m."family" AND t."user" = {}) '
    'AS on_team_ FROM "meeting" m LEFT JOIN "family" f ON f."id" = m."family" WHERE m."id" = {}'
)


async def _authorise(user: Principal, family_id: int, action: Action, what: str,
                     address: str, audit_read: bool, stamps: bool, father_side: bool = False,
                     known: KnownAccess | None = None) -> tuple[dict, ContentStamps | None]:
    """The access check as one statement (row, team membership and, for the page cache,
    the stamps), or none where its facts are ``known`` for this user and family; the
    decision by the policy, and the audit record."""
    if (known is not None and not stamps and known.user_id == user.id
            and known.row["id"] == family_id):
        row = {**known.row, "on_team_": known.on_team}
    else:
        rows = await db.fetch(_ACCESS_WITH_STAMPS if stamps else _ACCESS_PLAIN, user.id,
                              family_id, quick=True)
        if not rows:
            raise NotFoundException()
        row = rows[0]
    facts = FamilyAccessFacts(on_team=bool(row.pop("on_team_")),
                              family_closed=row["status"] == "closed")
    content = ContentStamps(row.pop("stamp_") or "", row.pop("shared_stamp_") or "",
                            row.pop("network_stamp_") or "") if stamps else None
    decide = may_access_father_side if father_side else may_access_family
    if not decide(user, facts, action):
        # A refused attempt is evidence worth keeping (misuse shows up here first); the
        # user still sees nothing but a 404.
        await audit.record(user, "denied", what, family_id, family_id, action.value, address)
        raise NotFoundException()
    if action is Action.READ and audit_read:
        await audit.record(user, "read", what, family_id, family_id, row["name"], address)
    return row, content


async def team_of(family_id: int) -> list[dict]:
    """The users on a family's team with their team role."""
    return await TeamMember.select(
        TeamMember.id,
        TeamMember.team_role,
        TeamMember.user.id.as_alias("user_id"),
        TeamMember.user.full_name.as_alias("full_name"),
        TeamMember.user.role.as_alias("role"),
        TeamMember.user.unit.as_alias("unit"),
    ).where(TeamMember.family == family_id).order_by(TeamMember.user.full_name)


async def create_family(
    user: Principal | None, reference: str, name: str, opened_on: date,
    at_crisis_centre: bool = False, team: list[tuple[int, str]] | None = None,
) -> int:
    """Open a case with its team in one transaction; the creator is audited."""
    async with db.transaction():
        rows = await Family.insert(
            Family(reference=reference, name=name, opened_on=opened_on,
                   at_crisis_centre=at_crisis_centre)
        )
        family_id = rows[0]["id"]
        for user_id, team_role in team or []:
            await TeamMember.insert(TeamMember(family=family_id, user=user_id, team_role=team_role))
        await audit.record(user, "create", "familie", family_id, family_id, name)
    return family_id


async def add_to_team(actor: Principal, family_id: int, user_id: int, team_role: str) -> None:
    """Put a user on the team (idempotent), audited."""
    async with db.transaction():
        if not await User.exists().where(User.id == user_id):
            raise NotFoundException()
        if not await is_on_team(user_id, family_id):
            await TeamMember.insert(TeamMember(family=family_id, user=user_id, team_role=team_role))
            await audit.record(actor, "update", "team", user_id, family_id,
                               f"Tilføjet til teamet som {team_role}")
