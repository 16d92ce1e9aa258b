"""What the slot finder needs besides the meeting: working hours, rooms, imported feeds.

Working hours (``WorkingHours``) belong to a user or a network person: weekday rows
override the planner's default (08–16 Monday to Friday), date rows override a single day
(a day off when the times are empty). Rooms (``Room``) are busy while a meeting that is not
cancelled is booked in them. Feeds (``BusyFeed``) are ICS URLs of a partner organisation, a
user or a network person, refreshed by ``feeds`` at most every 15 minutes before the
planner runs. Writes are audited; working hours and feeds of network persons are family
data and are audited with the family.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from coordinator import admission, clock, db, web
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.cache import BoundedCache
from coordinator.families import revisions
from coordinator.meetings import feeds, planner
from coordinator.meetings.tables import (
    BusyFeed,
    MeetingPart,
    Room,
    WorkingHours,
)
from coordinator.network import tables as net

WEEKDAYS = tuple(range(7))


# ------------------------------------------------------------------------ owners

@dataclass(frozen=True)
class Owner:
    """Whose working hours or feed: exactly one of a user or a network person."""

    user_id: int | None = None
    person_id: int | None = None

    def where(self, table) -> Any:
        """The WHERE clause selecting this owner's rows of ``table``."""
        if self.user_id is not None:
            return (table.user == self.user_id) & table.person.is_null()
        return (table.person == self.person_id) & table.user.is_null()

    @property
    def safety_key(self) -> str:
        """The participant id the planner and safety rules use."""
        return f"user:{self.user_id}" if self.user_id is not None else f"person:{self.person_id}"


def owner_of(participant: Mapping[str, Any]) -> Owner:
    """The owner behind a participant; ``web.UserError`` for an external participant."""
    if participant.get("person"):
        return Owner(person_id=participant["person"])
    if participant.get("user"):
        return Owner(user_id=participant["user"])
    raise web.UserError("Arbejdstider og kalendere kan kun knyttes til brugere og personer "
                        "fra netværket.")


# ------------------------------------------------------------------------ working hours

@dataclass
class Hours:
    """One owner's working hours as the planner takes them."""

    weekly: dict[int, planner.WorkingHours] = field(default_factory=dict)
    dates: dict[date, planner.WorkingHours] = field(default_factory=dict)


def _pair(row: Mapping[str, Any]) -> planner.WorkingHours:
    return (row["starts"], row["ends"]) if row["starts"] and row["ends"] else None


async def hours_of(owners: Iterable[Owner], days: tuple[date, date] | None = None
                   ) -> dict[str, Hours]:
    """Working hours per ``Owner.safety_key`` (owners without rows are left out); with
    ``days`` (first, last) only the date overrides of those days are read."""
    owners = list(owners)
    users = [o.user_id for o in owners if o.user_id is not None]
    persons = [o.person_id for o in owners if o.person_id is not None]
    if not users and not persons:
        return {}
    who = " OR ".join([*([f'w."user" IN ({db.marks(users)})'] if users else []),
                       *([f'w."person" IN ({db.marks(persons)})'] if persons else [])])
    args: list[Any]
    on_days, args = "", [*users, *persons]
    if days is not None:
        on_days, args = ' AND (w."on_date" IS NULL OR w."on_date" BETWEEN {} AND {})', [*args, *days]
    result: dict[str, Hours] = {}
    for row in await db.fetch(
            f'SELECT {db.columns(WorkingHours, "w")} FROM "working_hours" w WHERE ({who})'
            f'{on_days} ORDER BY w."id"', *args):
        key = f"user:{row['user']}" if row["user"] else f"person:{row['person']}"
        hours = result.setdefault(key, Hours())
        if row["on_date"] is not None:
            hours.dates[row["on_date"]] = _pair(row)
        elif row["weekday"] is not None:
            hours.weekly[row["weekday"]] = _pair(row)
    return result


def check_hours(start: time | None, end: time | None, label: str, start_field: str = "start",
                end_field: str = "end") -> planner.WorkingHours:
    """Both or neither; the end after the start (a refusal names the form field it is at)."""
    if (start is None) != (end is None):
        raise web.UserError(f"{label}: angiv både start og slut, eller markér dagen som fri.",
                            field=end_field if end is None else start_field)
    if start is not None and end is not None and end <= start:
        raise web.UserError(f"{label}: sluttidspunktet skal ligge efter starttidspunktet.",
                            field=end_field)
    return (start, end) if start is not None and end is not None else None


async def set_weekly_hours(user: Principal, owner: Owner, hours: Mapping[int, planner.WorkingHours],
                           family_id: int | None, name: str, address: str = "") -> None:
    """Replace the owner's weekday hours (weekdays not given fall back to the default)."""
    if any(day not in WEEKDAYS for day in hours):
        raise web.UserError("Ugyldig ugedag.")
    async with db.transaction():
        await WorkingHours.delete().where(owner.where(WorkingHours)
                                          & WorkingHours.weekday.is_not_null())
        for day, pair in sorted(hours.items()):
            await WorkingHours.insert(WorkingHours(
                user=owner.user_id, person=owner.person_id, weekday=day,
                starts=pair[0] if pair else None, ends=pair[1] if pair else None))
        shown = "; ".join(f"{planner.WEEKDAYS_DA[d]} " + (f"{p[0]:%H.%M}–{p[1]:%H.%M}" if p else "fri")
                          for d, p in sorted(hours.items()))
        await audit.record(user, "update", "arbejdstider", owner.safety_key, family_id,
                           f"Arbejdstider for {name}: {shown}", address)


async def set_date_override(user: Principal, owner: Owner, day: date, pair: planner.WorkingHours,
                            family_id: int | None, name: str, address: str = "") -> None:
    """Set (replace) one date's hours; ``pair`` None is a day off."""
    async with db.transaction():
        await WorkingHours.delete().where(owner.where(WorkingHours) & (WorkingHours.on_date == day))
        await WorkingHours.insert(WorkingHours(
            user=owner.user_id, person=owner.person_id, on_date=day,
            starts=pair[0] if pair else None, ends=pair[1] if pair else None))
        shown = f"{pair[0]:%H.%M}–{pair[1]:%H.%M}" if pair else "fri"
        await audit.record(user, "update", "arbejdstider", owner.safety_key, family_id,
                           f"Arbejdstid for {name} den {day:%d.%m.%Y}: {shown}", address)


async def remove_date_override(user: Principal, owner: Owner, day: date, family_id: int | None,
                               name: str, address: str = "") -> None:
    """Drop one date's override (the weekday's hours apply again)."""
    async with db.transaction():
        await WorkingHours.delete().where(owner.where(WorkingHours) & (WorkingHours.on_date == day))
        await audit.record(user, "update", "arbejdstider", owner.safety_key, family_id,
                           f"Særlig arbejdstid for {name} den {day:%d.%m.%Y} fjernet", address)


# ------------------------------------------------------------------------ people

@dataclass(frozen=True)
class Who:
    """What the slot finder needs to know about a participant besides their hours."""

    private: bool
    child: bool


def who_of(participants: list[dict]) -> dict[str, Who]:
    """Per participant safety id: a private person (planned outside school and work) and a
    child (never during school hours on school days). A network person is a child by the
    network's own mark or role (``person_is_child``, ``person_role`` as
    ``service.participants_of`` gives them); everyone not professional is private."""
    return {p["safety_id"]: Who(private=p.get("category") != "professional",
                                child=bool(p.get("person_is_child"))
                                or p.get("person_role") == "child")
            for p in participants}


def default_hours(participant: Mapping[str, Any]) -> tuple[dict[int, planner.WorkingHours], str]:
    """The hours that apply to a participant with none of their own, and how the page
    says them: office hours for professionals, afternoons and evenings for private people."""
    if participant.get("category") == "professional":
        return dict(planner.DEFAULT_WORKING_HOURS), "fagpersoner: mandag–fredag 08–16"
    return (dict(planner.PRIVATE_DEFAULT_HOURS),
            "private personer: hverdage 15–20, uden for skole og arbejde")


# ------------------------------------------------------------------------ rooms

# The rooms offered, kept under the shared data's stamp (a room's triggers replace it):
# read by every meeting page and slot search.
_active_rooms: BoundedCache[str, tuple[tuple[dict, ...], datetime]] = BoundedCache(
    "active rooms", 4)


async def rooms(active_only: bool = True) -> list[dict]:
    """The rooms, by name (each a row of its own: a caller may change it)."""
    if not active_only:
        return await db.rows(Room, "1 = 1", order_by='"name"')

    async def read() -> tuple[dict, ...]:
        return tuple(await db.rows(Room, '"active" = {}', True, order_by='"name"'))

    return [dict(room) for room in await revisions.kept_under_shared_stamp(_active_rooms, read)]


async def room_exists(room_id: int) -> bool:
    """True when there is a room with this id."""
    return await Room.exists().where(Room.id == room_id)


async def update_room(user: Principal, room_id: int, name: str, location: str, capacity: int,
                      at_crisis_centre: bool, active: bool, address: str = "") -> None:
    """Change a room (an inactive room is no longer offered); audited with what changed."""
    async with db.transaction():
        room = await Room.select().where(Room.id == room_id).first()
        if room is None:
            raise web.UserError("Lokalet findes ikke.", 404)
        if await Room.exists().where((Room.name == name) & (Room.id != room_id)):
            raise web.UserError(f"Der findes allerede et lokale med navnet »{name}«.", field="name")
        new = {"name": name, "location": location, "capacity": capacity,
               "at_crisis_centre": at_crisis_centre, "active": active}
        labels = {"name": "Navn", "location": "Placering", "capacity": "Pladser",
                  "at_crisis_centre": "På krisecentret", "active": "I brug"}
        changes = [f"{labels[k]}: »{_shown(room[k])}« → »{_shown(v)}«"
                   for k, v in new.items() if room[k] != v]
        if not changes:
            return
        await Room.update({getattr(Room, k): v for k, v in new.items()}).where(Room.id == room_id)
        await audit.record(user, "update", "lokale", room_id, None,
                           f"{name}: " + "; ".join(changes), address)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return str(value)


async def create_room(user: Principal, name: str, location: str, capacity: int,
                      at_crisis_centre: bool, address: str = "") -> int:
    """Add a room; audited."""
    if await Room.exists().where(Room.name == name):
        raise web.UserError(f"Der findes allerede et lokale med navnet »{name}«.", field="name")
    async with db.transaction():
        rows = await Room.insert(Room(name=name, location=location, capacity=capacity,
                                      at_crisis_centre=at_crisis_centre))
        await audit.record(user, "create", "lokale", rows[0]["id"], None,
                           f"Lokale oprettet: {name}", address)
    return rows[0]["id"]


async def room_busy(room_ids: Iterable[int], exclude_meeting: int | None = None,
                    span: tuple[datetime, datetime] | None = None
                    ) -> dict[int, list[planner.Busy]]:
    """Busy intervals per room from the parts of meetings booked there (not cancelled);
    with ``span`` only the parts that overlap it (``planner.busy_span``)."""
    ids = list(room_ids)
    busy: dict[int, list[planner.Busy]] = {i: [] for i in ids}
    if not ids:
        return busy
    # With a span, no "starts_at IS NOT NULL": SQLite would then walk the starts_at index
    # from the first part ever instead of the ends_at index from the span's start.
    args: list[Any]
    timed, args = 'mp."starts_at" IS NOT NULL', list(ids)
    if span is not None:
        timed, args = 'mp."starts_at" < {} AND mp."ends_at" > {}', [*args, span[1], span[0]]
    text = ('SELECT m."room" AS "room", mp."starts_at" AS "starts_at", mp."ends_at" AS "ends_at" '
            'FROM "meeting_part" mp JOIN "meeting" m ON m."id" = mp."meeting" '
            f"""WHERE m."room" IN ({db.marks(ids)}) AND {timed} AND m."status" <> 'cancelled'""")
    if exclude_meeting is not None:
        text, args = text + ' AND mp."meeting" <> {}', [*args, exclude_meeting]
    for row in await db.fetch(text, *args):
        busy[row["room"]].append(planner.Busy(row["starts_at"], row["ends_at"]))
    return busy


async def room_taken(room_id: int, windows: Iterable[tuple[datetime, datetime]],
                     meeting_id: int) -> bool:
    """Whether another meeting holds the room during any of ``windows``."""
    for start, end in windows:
        if await MeetingPart.exists().where(
                (MeetingPart.meeting.room == room_id) & (MeetingPart.meeting != meeting_id)
                & (MeetingPart.meeting.status != "cancelled")
                & (MeetingPart.starts_at < end) & (MeetingPart.ends_at > start)):
            return True
    return False


# ------------------------------------------------------------------------ feeds

def _feed_clause(owners: Iterable[Owner], organisation_ids: Iterable[int]) -> tuple[str, list]:
    """The WHERE text and its values selecting the feeds of the owners and organisations."""
    owners = list(owners)
    users = [o.user_id for o in owners if o.user_id is not None]
    persons = [o.person_id for o in owners if o.person_id is not None]
    orgs = list(organisation_ids)
    parts = [f'f."{name}" IN ({db.marks(ids)})'
             for name, ids in (("user", users), ("person", persons), ("organisation", orgs)) if ids]
    return " OR ".join(parts) or "1 = 0", [*users, *persons, *orgs]


async def organisation_ids(participants: list[dict]) -> dict[int, int]:
    """The directory organisation of each participant (participant id → organisation id):
    a network person's organisation, or an external participant's organisation matched by
    its exact name in the directory. A person's organisation is looked up unless the row
    carries it (``person_organisation``, as ``service.participants_of`` gives it)."""
    result: dict[int, int] = {}
    for p in participants:
        if p.get("person") and p.get("person_organisation"):
            result[p["id"]] = p["person_organisation"]
    persons = [p["person"] for p in participants
               if p.get("person") and "person_organisation" not in p]
    if persons:
        rows = await net.Person.select(net.Person.id, net.Person.organisation).where(
            net.Person.id.is_in(persons))
        by_person = {r["id"]: r["organisation"] for r in rows if r["organisation"]}
        for p in participants:
            if p.get("person") in by_person and "person_organisation" not in p:
                result[p["id"]] = by_person[p["person"]]
    names = {p["organisation"].strip() for p in participants
             if not p.get("person") and not p.get("user") and p.get("organisation")}
    if names:
        rows = await net.Organisation.select(net.Organisation.id, net.Organisation.name).where(
            net.Organisation.name.is_in(sorted(names)))
        by_name = {r["name"]: r["id"] for r in rows}
        for p in participants:
            if not p.get("person") and not p.get("user") and p.get("organisation", "").strip() in by_name:
                result[p["id"]] = by_name[p["organisation"].strip()]
    return result


async def feeds_of(participants: list[dict]) -> tuple[list[dict], dict[int, int]]:
    """The configured feeds that concern the participants, and their organisations."""
    orgs = await organisation_ids(participants)
    owners = [owner_of(p) for p in participants if p.get("person") or p.get("user")]
    if not owners and not orgs:
        return [], orgs
    where, args = _feed_clause(owners, orgs.values())
    rows = await db.fetch(
        f'SELECT {db.columns(BusyFeed, "f")}, o."name" AS "organisation_name" '
        'FROM "busy_feed" f LEFT JOIN "organisation" o ON o."id" = f."organisation" '
        f'WHERE {where} ORDER BY f."id"', *args)
    return rows, orgs


def _feed_applies(feed: Mapping[str, Any], participant: Mapping[str, Any],
                  orgs: Mapping[int, int]) -> bool:
    return ((feed["user"] is not None and feed["user"] == participant.get("user"))
            or (feed["person"] is not None and feed["person"] == participant.get("person"))
            or (feed["organisation"] is not None
                and feed["organisation"] == orgs.get(participant["id"])))


async def refresh(rows: list[dict], now: datetime, allowed_hosts: Collection[str] = ()
                  ) -> list[dict]:
    """Fetch the stale feeds concurrently (outside any transaction), store the results,
    and return the rows as they are now; internal hosts only if in ``allowed_hosts``."""
    stale = [row for row in rows if feeds.is_stale(row, now)]
    if not stale:
        return rows
    await db.give_back_connection()  # no connection held while other servers answer
    async with admission.outside():  # nor a place among the requests in progress
        results = await asyncio.gather(*(feeds.refreshed(row, now, allowed_hosts=allowed_hosts)
                                         for row in stale))
    for row, values in zip(stale, results, strict=True):
        await BusyFeed.update({getattr(BusyFeed, k): v for k, v in values.items()}).where(
            BusyFeed.id == row["id"])
        row.update(values)
    return rows


@dataclass
class FeedBusy:
    """Busy intervals from feeds per participant safety id, and the Danish warnings."""

    busy: dict[str, list[planner.Busy | planner.AllDay]]
    warnings: list[str]


def feed_label(feed: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Whose calendar this is, in Danish."""
    if feed["organisation"] is not None:
        return f"Kalenderen for {feed.get('organisation_name') or 'organisationen'}"
    key = f"user:{feed['user']}" if feed["user"] is not None else f"person:{feed['person']}"
    return f"Kalenderen for {names.get(key, 'deltageren')}"


def feed_warnings(rows: list[dict], participants: list[dict]) -> list[str]:
    """The stored errors of the feeds, and the events they skipped, as Danish warnings for
    the meeting page."""
    names = {p["safety_id"]: p["name"] for p in participants}
    warnings = []
    for row in rows:
        if row["error"]:
            warnings.append(f"{feed_label(row, names)} kunne ikke bruges: {row['error']} Den "
                            "seneste kendte kalender bruges.")
        if row.get("skipped"):
            warnings.append(f"{feed_label(row, names)} har aftaler, der ikke kan læses, og som "
                            f"derfor ikke tæller som optaget tid: {' '.join(row['skipped'].splitlines())} "
                            "Resten af kalenderen bruges.")
    return warnings


async def feed_busy(participants: list[dict], now: datetime | None = None,
                    span: tuple[datetime, datetime] | None = None,
                    allowed_hosts: Collection[str] = ()) -> FeedBusy:
    """Refresh the feeds that concern the participants and map their busy intervals; with
    ``span`` only the intervals that overlap it (``planner.busy_span``). Feeds on internal
    hosts are fetched only if the host is in ``allowed_hosts`` (BUSY_FEED_ALLOWED_HOSTS)."""
    now = now or clock.now()
    rows, orgs = await feeds_of(participants)
    rows = await refresh(rows, now, allowed_hosts)
    busy: dict[str, list[planner.Busy | planner.AllDay]] = {p["safety_id"]: [] for p in participants}
    decoded = {row["id"]: feeds.decode_busy(row["busy_json"]) for row in rows}
    if span is not None:
        decoded = {key: planner.overlapping(items, *span) for key, items in decoded.items()}
    for p in participants:
        for row in rows:
            if _feed_applies(row, p, orgs):
                busy[p["safety_id"]].extend(decoded[row["id"]])
    return FeedBusy(busy, feed_warnings(rows, participants))


async def set_feed(user: Principal, *, url: str, owner: Owner | None = None,
                   organisation_id: int | None = None, family_id: int | None = None,
                   name: str = "", address: str = "", allowed_hosts: Collection[str] = ()) -> None:
    """Configure (replace) the ICS URL of an owner or an organisation; empty URL removes it.
    A URL into the internal network is refused unless its host is in ``allowed_hosts``."""
    url = url.strip()
    if url:
        try:
            feeds.check_url(url)
            await db.give_back_connection()  # a name lookup can take seconds
            async with admission.outside():
                await feeds.check_destination(url, allowed_hosts)
        except feeds.FeedError as exc:
            raise web.UserError(exc.message_da, field="url") from None
    if organisation_id is not None:
        clause = (BusyFeed.organisation == organisation_id)
    elif owner is not None:
        clause = owner.where(BusyFeed) & BusyFeed.organisation.is_null()
    else:
        raise web.UserError("Vælg, hvis kalender det er.", field="scope")
    async with db.transaction():
        await BusyFeed.delete().where(clause)
        if url:
            await BusyFeed.insert(BusyFeed(
                url=url, organisation=organisation_id,
                user=owner.user_id if owner and organisation_id is None else None,
                person=owner.person_id if owner and organisation_id is None else None))
        await audit.record(user, "update", "kalenderfeed", organisation_id or (owner.safety_key if owner else ""),
                           None if organisation_id else family_id,
                           (f"Kalender (ICS) for {name} sat" if url else f"Kalender (ICS) for {name} fjernet"),
                           address)


async def meeting_room(meeting: Mapping[str, Any]) -> dict | None:
    """The room booked for the meeting, if any."""
    if not meeting.get("room"):
        return None
    return await Room.select().where(Room.id == meeting["room"]).first()

