"""Use cases for cooperation agreements: create, edit with kept versions, evaluate, archive.

Agreements are not family data (they attach to organisations in the shared directory),
so there is no family access check here; the routes decide which roles reach them. Every
write is one transaction and is audited with ``family_id=None``.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from coordinator import clock, db
from coordinator.agreements import cadence
from coordinator.agreements.cadence import Cadence, CadenceError, Status, StoredStatus
from coordinator.agreements.tables import (
    Agreement,
    AgreementEvaluation,
    AgreementParty,
    AgreementVersion,
)
from coordinator.audit import service as audit
from coordinator.auth.policy import Principal
from coordinator.cache import BoundedCache
from coordinator.families import revisions
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting
from coordinator.network import service as network_service
from coordinator.network.tables import Organisation
from coordinator.web import Conflict, UserError

ENTITY = "samarbejdsaftale"


@dataclass(frozen=True)
class PartyInput:
    """One party as submitted: the organisation, its contact person and obligations."""

    organisation_id: int
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    obligations: str = ""
    row: int | None = None  # the form's row (``party-{row}-…``), for a refusal at its field

    def field(self, name: str) -> str | None:
        """The form field of this party's ``name`` (None when not from the form)."""
        return None if self.row is None else f"party-{self.row}-{name}"


@dataclass(frozen=True)
class AgreementInput:
    """An agreement as submitted on the form (already parsed, not yet validated)."""

    title: str
    partner_id: int
    period_start: date
    period_end: date
    evaluation_months: int
    status: str = StoredStatus.ACTIVE.value
    purpose: str = ""
    target_group: str = ""
    parties: tuple[PartyInput, ...] = field(default_factory=tuple)


# --- reading ------------------------------------------------------------------------------

async def organisations() -> list[dict]:
    """The organisation directory for the partner and party pickers."""
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.kind) \
        .order_by(Organisation.name)


async def _organisation_names(ids: AbstractSet[int]) -> dict[int, str]:
    if not ids:
        return {}
    wanted = sorted(ids)
    rows = await db.fetch(f'SELECT "id", "name" FROM "organisation" WHERE "id" IN ({db.marks(wanted)})',
                          *wanted, quick=True)
    return {row["id"]: row["name"] for row in rows}


def cadence_of(row: dict, evaluation_dates: list[date]) -> Cadence:
    """The pure cadence of a stored agreement row and its evaluation dates."""
    return Cadence(row["period_start"], row["period_end"], row["evaluation_months"],
                   cadence.evaluations_of(evaluation_dates), StoredStatus(row["status"]))


# Ids per IN list: the list of all agreements grows with the country (15,000 at national
# scale); a driver binds at most 32,767 values per statement.
ID_CHUNK = 5000


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + ID_CHUNK] for start in range(0, len(ids), ID_CHUNK)]


async def _evaluation_dates(agreement_ids: list[int]) -> dict[int, list[date]]:
    dates: dict[int, list[date]] = {i: [] for i in agreement_ids}
    for chunk in _chunks(agreement_ids):
        rows = await AgreementEvaluation.select(
            AgreementEvaluation.agreement, AgreementEvaluation.held_on
        ).where(AgreementEvaluation.agreement.is_in(chunk))
        for row in rows:
            dates[row["agreement"]].append(row["held_on"])
    return dates


def _agreement_columns():
    return (*Agreement.all_columns(), Agreement.partner.name.as_alias("partner_name"),
            Agreement.partner.kind.as_alias("partner_kind"))


async def _parties_of(agreement_ids: list[int]) -> list[dict]:
    """The parties of these agreements with their organisations' names, in form order."""
    parties: list[dict] = []
    for chunk in _chunks(agreement_ids):
        parties += await db.fetch(
            f'SELECT {db.columns(AgreementParty, "p")}, o."name" AS "organisation_name" '
            'FROM "agreement_party" p LEFT JOIN "organisation" o ON o."id" = p."organisation" '
            f'WHERE p."agreement" IN ({db.marks(chunk)}) ORDER BY p."position"', *chunk,
            quick=True)
    return parties


async def list_agreements(on: date, status: str = "", partner_id: int | None = None,
                          query: str = "") -> list[dict]:
    """Agreements with their computed state, filtered by computed status, partner, text."""
    select = Agreement.select(*_agreement_columns()).order_by(Agreement.title)
    if partner_id is not None:
        select = select.where(Agreement.partner == partner_id)
    rows = await select
    dates = await _evaluation_dates([r["id"] for r in rows])
    needle = query.strip().casefold()
    result = []
    for row in rows:
        row["state"] = cadence.state(cadence_of(row, dates[row["id"]]), on)
        if status and row["state"].status.value != status:
            continue
        if needle and needle not in f"{row['title']} {row['partner_name']}".casefold():
            continue
        result.append(row)
    return result


async def get_agreement(agreement_id: int, on: date) -> dict | None:
    """One agreement with partner, parties, evaluations, versions and computed state."""
    row = await Agreement.select(*_agreement_columns()).where(
        Agreement.id == agreement_id).first()
    if row is None:
        return None
    row["parties"] = await _parties_of([agreement_id])
    row["evaluations"] = await AgreementEvaluation.select().where(
        AgreementEvaluation.agreement == agreement_id
    ).order_by(AgreementEvaluation.held_on, ascending=False)
    row["versions"] = await AgreementVersion.select(
        AgreementVersion.number, AgreementVersion.saved_at, AgreementVersion.saved_by_name
    ).where(AgreementVersion.agreement == agreement_id).order_by(
        AgreementVersion.number, ascending=False)
    row["state"] = cadence.state(
        cadence_of(row, [e["held_on"] for e in row["evaluations"]]), on)
    return row


async def get_version(agreement_id: int, number: int) -> dict | None:
    """A kept version: its number, when and by whom it was saved, and the snapshot."""
    row = await AgreementVersion.select().where(
        (AgreementVersion.agreement == agreement_id) & (AgreementVersion.number == number)
    ).first()
    if row is None:
        return None
    row["data"] = json.loads(row["snapshot"])
    return row


# Active agreements (a) that ran out, or are running with their next evaluation overdue:
# their latest evaluation (their start when none) lies before the day their rhythm allows
# (``cadence.overdue_if_latest_before``). Values: "active", the day three times,
# then (months, day) for every allowed rhythm.
_NEEDING_ATTENTION = (
    'SELECT COUNT(*) AS "count" FROM "agreement" a LEFT JOIN (SELECT e."agreement", '
    'MAX(e."held_on") AS "held_on" FROM "agreement_evaluation" e GROUP BY e."agreement") e '
    'ON e."agreement" = a."id" WHERE a."status" = {} AND (a."period_end" < {} '
    'OR (a."period_start" <= {} AND a."period_end" >= {} AND ('
    + " OR ".join('(a."evaluation_months" = {} '
                  'AND COALESCE(e."held_on", a."period_start") < {})'
                  for _ in range(cadence.MAX_RHYTHM_MONTHS)) + ')))')


async def needing_attention(on: date) -> int:
    """How many agreements have an overdue evaluation or ran out unrenewed on ``on`` (what
    ``cadence.state`` calls ``evaluation_overdue`` and ``Status.EXPIRED``).

    Counted by the database in one statement: at national scale (15,000 agreements)
    reading every agreement and its evaluations cost more than the rest of the leaders' page.
    """
    rhythms: list[Any] = []
    for months in range(1, cadence.MAX_RHYTHM_MONTHS + 1):
        rhythms += [months, cadence.overdue_if_latest_before(on, months)]
    rows = await db.fetch(_NEEDING_ATTENTION, StoredStatus.ACTIVE.value, on, on, on, *rhythms)
    return int(rows[0]["count"])


async def due(on: date, within_days: int) -> list[dict]:
    """Evaluations and renewals due within ``within_days`` and overdue ones, most urgent first."""
    rows = await Agreement.select(*_agreement_columns()).where(
        Agreement.status == StoredStatus.ACTIVE.value)
    dates = await _evaluation_dates([r["id"] for r in rows])
    by_id = {row["id"]: row for row in rows}
    items = cadence.due_list(((r["id"], cadence_of(r, dates[r["id"]])) for r in rows),
                             on, within_days)
    return [{"item": item, "agreement": by_id[item.key]} for item in items]


async def family_organisation_ids(family_id: int) -> set[int]:
    """The organisations in a family's network: people's employers and relation targets
    (from the network the page has read, where it has)."""
    net = await network_service.known_network(family_id)
    if net is not None:
        return ({p["organisation"] for p in net.people if p["organisation"] is not None}
                | {r["target_organisation"] for r in net.relations
                   if r["target_organisation"] is not None})
    rows = await db.fetch(
        'SELECT "organisation" AS "id" FROM "person" WHERE "family" = {} '
        'AND "organisation" IS NOT NULL UNION SELECT "target_organisation" FROM "relation" '
        'WHERE "family" = {} AND "target_organisation" IS NOT NULL', family_id, family_id,
        quick=True)
    return {row["id"] for row in rows}


async def agreements_for_family(family_id: int, on: date) -> list[dict]:
    """The running agreements that apply to a family through the organisations in its network.

    For each: the agreement, the organisations that link it, and those organisations'
    contact persons on the agreement (the partner's when the linking one is not a party).
    """
    org_ids = await family_organisation_ids(family_id)
    if not org_ids:
        return []
    kept = await _agreements_for_organisations(frozenset(org_ids), on)
    return [{**row, "links": [dict(link) for link in row["links"]]} for row in kept]


# What agreements_for_family builds from shared data alone (the agreements, their parties and
# the organisations' names), kept per shared stamp, organisations and day: a family in a
# network of the municipality's busiest organisations is linked to some forty agreements,
# read and joined again on every first view of the family page after a change.
_FOR_ORGANISATIONS: BoundedCache[tuple[str, frozenset[int], date], tuple[dict, ...]] = (
    BoundedCache("agreements for organisations", 2048))


async def _agreements_for_organisations(org_ids: frozenset[int], on: date) -> tuple[dict, ...]:
    key = (await revisions.shared_stamp(), org_ids, on)  # the stamp before the data
    kept = _FOR_ORGANISATIONS.get(key)
    if kept is None:
        kept = tuple(await _read_agreements_for_organisations(org_ids, on))
        _FOR_ORGANISATIONS.put(key, kept)
    return kept


async def _read_agreements_for_organisations(org_ids: frozenset[int], on: date) -> list[dict]:
    orgs = sorted(org_ids)
    # The agreements where one of them is the partner, and those where one is a party: two
    # selects, each on its index. With the two conditions joined by OR, PostgreSQL read
    # every agreement (15,000 at national scale: 3 ms against 0.4).
    select = (f'SELECT {db.columns(Agreement, "a")}, o."name" AS "partner_name", '
              'o."kind" AS "partner_kind" FROM "agreement" a '
              'LEFT JOIN "organisation" o ON o."id" = a."partner" '
              'WHERE a."status" = {} AND a."period_start" <= {} AND a."period_end" >= {} ')
    current = (StoredStatus.ACTIVE.value, on, on)
    rows = await db.fetch(
        f'{select}AND a."partner" IN ({db.marks(orgs)}) UNION '
        f'{select}AND a."id" IN (SELECT ap."agreement" FROM "agreement_party" ap '
        f'WHERE ap."organisation" IN ({db.marks(orgs)})) '
        'ORDER BY "title", "id"', *current, *orgs, *current, *orgs)
    if not rows:
        return []
    parties = await _parties_of([r["id"] for r in rows])
    names = await _organisation_names(org_ids)
    for row in rows:
        own = [p for p in parties if p["agreement"] == row["id"]]
        linked = [p for p in own if p["organisation"] in org_ids]
        if not linked and row["partner"] in org_ids:
            linked = [p for p in own if p["organisation"] == row["partner"]] or [
                {"organisation": row["partner"], "organisation_name": names[row["partner"]],
                 "contact_name": "", "contact_email": "", "contact_phone": ""}]
        row["links"] = linked
    return rows


# --- validation and snapshots ---------------------------------------------------------------

async def _validate(data: AgreementInput, evaluation_dates: list[date]) -> None:
    try:
        cadence.validate(Cadence(data.period_start, data.period_end, data.evaluation_months,
                                 tuple(evaluation_dates)))
    except CadenceError as exc:
        raise UserError(exc.message_da, field=exc.field) from None
    if data.status not in cadence.STORED_STATUS_LABELS:
        raise UserError("Ugyldig status.", field="status")
    wanted = {data.partner_id} | {p.organisation_id for p in data.parties}
    found = await _organisation_names(wanted)
    if set(found) != wanted:
        unknown = next((p.field("organisation") for p in data.parties
                        if p.organisation_id not in found), None)
        raise UserError("En valgt organisation findes ikke i organisationsoversigten.",
                        field="partner" if data.partner_id not in found else unknown)
    seen: set[int] = set()
    for party in data.parties:
        if party.organisation_id in seen:
            raise UserError(f"»{found[party.organisation_id]}« står som part flere gange.",
                            field=party.field("organisation"))
        seen.add(party.organisation_id)


async def _snapshot(agreement_id: int) -> str:
    """The agreement and its parties as JSON text, as they are now in the database."""
    row = await Agreement.select(*_agreement_columns()).where(
        Agreement.id == agreement_id).first()
    if row is None:  # callers hold the agreement in their transaction
        raise UserError("Aftalen findes ikke længere.", 404)
    parties = await _parties_of([agreement_id])
    data = {
        "title": row["title"], "purpose": row["purpose"], "target_group": row["target_group"],
        "partner_id": row["partner"], "partner_name": row["partner_name"],
        "period_start": row["period_start"].isoformat(),
        "period_end": row["period_end"].isoformat(),
        "status": row["status"], "evaluation_months": row["evaluation_months"],
        "version": row["version"],
        "parties": [{
            "organisation_id": p["organisation"], "organisation_name": p["organisation_name"],
            "contact_name": p["contact_name"], "contact_email": p["contact_email"],
            "contact_phone": p["contact_phone"], "obligations": p["obligations"],
        } for p in parties],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


async def _keep_version(user: Principal | None, agreement_id: int, number: int) -> None:
    await AgreementVersion.insert(AgreementVersion(
        agreement=agreement_id, number=number, snapshot=await _snapshot(agreement_id),
        saved_by_name=user.full_name or user.username if user else "Demodata"))


async def _write_parties(agreement_id: int, parties: tuple[PartyInput, ...]) -> None:
    await AgreementParty.delete().where(AgreementParty.agreement == agreement_id)
    for position, party in enumerate(parties):
        await AgreementParty.insert(AgreementParty(
            agreement=agreement_id, position=position, organisation=party.organisation_id,
            contact_name=party.contact_name, contact_email=party.contact_email,
            contact_phone=party.contact_phone, obligations=party.obligations))


def _columns(data: AgreementInput) -> dict[str, Any]:
    return {
        "title": data.title, "purpose": data.purpose, "target_group": data.target_group,
        "partner": data.partner_id, "period_start": data.period_start,
        "period_end": data.period_end, "status": data.status,
        "evaluation_months": data.evaluation_months,
    }


async def _existing(agreement_id: int, *columns) -> dict:
    """The agreement's row (these columns), or a 404 UserError when it is gone."""
    row = await Agreement.select(*columns).where(Agreement.id == agreement_id).first()
    if row is None:
        raise UserError("Aftalen findes ikke længere.", 404)
    return row


# --- writing ------------------------------------------------------------------------------

async def create_agreement(user: Principal | None, data: AgreementInput,
                           address: str = "") -> int:
    """Create an agreement with its parties and keep it as version 1, audited."""
    await _validate(data, [])
    async with db.transaction():
        rows = await Agreement.insert(Agreement(
            **_columns(data), created_by=user.id if user else None, version=1))
        agreement_id = rows[0]["id"]
        await _write_parties(agreement_id, data.parties)
        await _keep_version(user, agreement_id, 1)
        await audit.record(user, "create", ENTITY, agreement_id, None, data.title, address)
    return agreement_id


async def update_agreement(user: Principal, agreement_id: int, expected_version: int,
                           data: AgreementInput, address: str = "") -> int:
    """Save a changed agreement as a new version; Conflict when someone saved first.

    The previous versions stay readable. Returns the new version number.
    """
    async with db.transaction():
        await _existing(agreement_id)
        dates = (await _evaluation_dates([agreement_id]))[agreement_id]
        await _validate(data, dates)
        try:
            changed = await db.update_versioned(Agreement, agreement_id, expected_version, {
                **_columns(data), Agreement.updated_at: clock.local_now()})
        except Conflict:
            theirs = json.loads(await _snapshot(agreement_id))
            raise Conflict("En anden har gemt aftalen, mens du redigerede. Dine ændringer er "
                           "ikke gemt. Sammenlign, og gem igen ud fra den nyeste udgave.",
                           mine=_input_as_dict(data), theirs=theirs) from None
        version = changed["version"]
        await _write_parties(agreement_id, data.parties)
        await _keep_version(user, agreement_id, version)
        await audit.record(user, "update", ENTITY, agreement_id, None,
                           f"{data.title} (udgave {version})", address)
    return version


def _input_as_dict(data: AgreementInput) -> dict[str, Any]:
    values = asdict(data)
    values["period_start"] = data.period_start.isoformat()
    values["period_end"] = data.period_end.isoformat()
    return values


async def record_evaluation(user: Principal, agreement_id: int, held_on: date,
                            participants: str, conclusions: str, changes: str, on: date,
                            address: str = "") -> int:
    """Record an evaluation held; refused when dated before the start or in the future."""
    async with db.transaction():
        row = await _existing(agreement_id, Agreement.title, Agreement.period_start)
        try:
            cadence.validate_evaluation(row["period_start"], held_on, on)
        except CadenceError as exc:
            raise UserError(exc.message_da, field="held_on") from None
        if not conclusions:
            raise UserError("Skriv evalueringens konklusioner.", field="conclusions")
        rows = await AgreementEvaluation.insert(AgreementEvaluation(
            agreement=agreement_id, held_on=held_on, participants=participants,
            conclusions=conclusions, changes=changes, recorded_by=user.id,
            recorded_by_name=user.full_name or user.username))
        await audit.record(user, "create", "aftaleevaluering", rows[0]["id"], None,
                           f"{row['title']}: evaluering {held_on.isoformat()}", address)
    return rows[0]["id"]


async def archive_agreement(user: Principal, agreement_id: int, expected_version: int,
                            address: str = "") -> None:
    """Archive an agreement (kept with its evaluations and versions), as a new version."""
    async with db.transaction():
        current = await _existing(agreement_id, Agreement.title, Agreement.status)
        if current["status"] == StoredStatus.ARCHIVED.value:
            raise UserError("Aftalen er allerede arkiveret.", 409)
        try:
            changed = await db.update_versioned(Agreement, agreement_id, expected_version, {
                Agreement.status: StoredStatus.ARCHIVED.value,
                Agreement.updated_at: clock.local_now(),
            })
        except Conflict:
            raise UserError("En anden har ændret aftalen imens. Genindlæs siden, og prøv "
                            "igen. Intet blev ændret.", 409) from None
        await _keep_version(user, agreement_id, changed["version"])
        await audit.record(user, "update", ENTITY, agreement_id, None,
                           f"{current['title']}: arkiveret", address)


async def delete_agreement(user: Principal, agreement_id: int, address: str = "") -> None:
    """Delete an agreement that has no evaluations; one with evaluations can only be archived."""
    async with db.transaction():
        current = await _existing(agreement_id, Agreement.title)
        if await AgreementEvaluation.exists().where(
                AgreementEvaluation.agreement == agreement_id):
            raise UserError("Aftalen har registrerede evalueringer og kan derfor ikke slettes. "
                            "Arkivér den i stedet; så bevares evalueringerne.", 409)
        await Agreement.delete().where(Agreement.id == agreement_id)
        await audit.record(user, "delete", ENTITY, agreement_id, None, current["title"],
                           address)


STATUS_FILTERS = {s.value: s.label_da for s in Status}


async def family_section(user: Principal, family: dict) -> dict[str, Any]:
    """Context for the family page: the running agreements that apply to this family.

    The family route has already authorised and audited the read of the family.
    """
    return {"agreements": await agreements_for_family(family["id"], clock.today())}


async def plan_evaluation_meeting(user: Principal, agreement_id: int, address: str = "") -> int:
    """Create a draft ``agreement_evaluation`` meeting (no family) for the agreement, with
    each party's contact person as an external participant (name, email, organisation)
    and the planner as a colleague; returns the meeting's id.

    The meeting is a meeting between organisations: ``meetings.service`` decides who may
    open it (``may_open_without_family``). All in one transaction.
    """
    agreement = await _existing(agreement_id, Agreement.id, Agreement.title, Agreement.status)
    if agreement["status"] == StoredStatus.ARCHIVED.value:
        raise UserError("Aftalen er arkiveret; der planlægges ikke flere evalueringer.", 409)
    parties = await _parties_of([agreement_id])
    new = [meetings.NewParticipant(user_id=user.id)]
    seen: set[tuple[str, str]] = set()
    for party in parties:
        name = party["contact_name"].strip()
        if not name or (name, party["contact_email"]) in seen:
            continue
        seen.add((name, party["contact_email"]))
        new.append(meetings.NewParticipant(
            name=name, email=party["contact_email"], organisation=party["organisation_name"],
            role="professional"))
    async with db.transaction():
        meeting_id = await meetings.create_meeting(
            user, None, "agreement_evaluation", f"Evaluering: {agreement['title']}",
            address=address, agreement_id=agreement_id)
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        if meeting is None:  # created just above, in this transaction
            raise AssertionError(f"Meeting {meeting_id} not found after creation")
        await meetings.add_participants(user, meeting, meeting["version"], new, address)
        await audit.record(user, "update", ENTITY, agreement_id, None,
                           f"Evalueringsmøde planlagt: {meeting['title']}", address)
    return meeting_id
