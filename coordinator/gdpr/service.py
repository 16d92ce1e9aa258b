"""GDPR use cases: a person's access export, closing a case, pseudonymising after retention.

The export gathers everything recorded about one network person (their record,
relations, keep-apart pairs, meetings with parts, agenda, minutes and answers, mails queued
to them, their calendar answers by mail, history and audit rows, and the method's records:
Randers-trappen, Signs of Safety, the handleplan and the familierådslagning, as far as
``redaction.method_scope`` lets the person have them) and passes it through ``redaction``
for that person, so other people's protected addresses and the crisis centre's location
never reach them. Satisfaction answers are stored without names and cannot be found for
one person (``SATISFACTION_NOTE``).

``purge`` pseudonymises families closed more than RETENTION_DAYS ago: names become
stable pseudonyms, contact data and free text are blanked, mail bodies deleted; rows
and counts stay so statistics keep working. Every write is one transaction, audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from litestar.exceptions import NotFoundException

from coordinator import clock, db, web
from coordinator.audit import service as audit
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.families import cases, revisions
from coordinator.families.tables import Family
from coordinator.gdpr import redaction
from coordinator.invites import feeds
from coordinator.invites.replies import OUTCOME_LABELS
from coordinator.invites.service import DELIVERY_LABELS, load_meetings
from coordinator.invites.tables import AnswerToken, DelegateAddress, OutboxMessage, ReplyRecord
from coordinator.meetings import agenda, kinds, offers, protected, safety
from coordinator.meetings import tables as mt
from coordinator.meetings.participants import RSVP_LABELS, kept_apart_ids, safety_person
from coordinator.meetings.protected_places import childrens_places
from coordinator.method import goals as goal_rules
from coordinator.method import service as method
from coordinator.method import sos
from coordinator.method import tables as mth
from coordinator.network import service as network_service
from coordinator.network import tables as net
from coordinator.network.vocab import PERSON_ROLE_LABELS, RELATION_TYPES, SECTOR_LABELS, PersonRole, Sector
from coordinator.trappe import rules as trappe_rules
from coordinator.trappe.tables import TrappeAssessment

# Randers-trappen's free text, blanked by the purge (steps, ratings and dates stay).
TRAPPE_TEXTS = ("worrying_behaviour", "professional_view", "mother_view", "child_view",
                "correction_reason", "social_note", "health_note", "parenting_note",
                "violence_note", "father_note")

EXPORT_FORMAT = "coordinator-indsigt/1"
PURGE_SUMMARY = "pseudonymiseret efter opbevaringsperiode"
CLOSE_SUMMARY = "Sagen er lukket"
# Why a case is closed: key → what the family page and the audit log say.
CLOSE_REASONS = {
    "plan_done": "Indsatsen er afsluttet efter planen",
    "after_care_ended": "Efterværnet er slut",
    "moved_away": "Familien er flyttet fra kommunen",
    "declined": "Familien ønsker ikke mere hjælp",
    "transferred": "Sagen er overdraget til en anden myndighed",
    "other": "Anden grund",
}


# ------------------------------------------------------------------------- export

def _role_label(role: str) -> str:
    return PERSON_ROLE_LABELS[PersonRole(role)] if role in PersonRole._value2member_map_ else role


def _safety_row(person: Mapping[str, Any], org_name: str, kept_apart: bool = False
                ) -> dict[str, Any]:
    """A network person shaped like a meeting participant row for the safety rules."""
    meeting_role = {"mother": "mother", "father": "father", "child": "child"}.get(
        person["role"], "private_network")
    return {
        "safety_id": f"person:{person['id']}", "name": person["name"], "role": meeting_role,
        "person_role": person["role"], "user": None, "person_sector": person["sector"],
        "category": kinds.ParticipantCategory.PROFESSIONAL.value if person["is_professional"]
        else kinds.ParticipantCategory.FAMILY.value,
        "protected_address": person["protected_address"], "used_violence": person["used_violence"],
        "contact_only_via_worker": person["contact_only_via_worker"],
        "email": person["email"], "person_phone": person["phone"],
        "person_address": person["address"], "organisation": org_name,
        "kept_apart": kept_apart,
    }


async def _withheld(family: Mapping[str, Any], subject_id: int, people: list[dict],
                    orgs: Mapping[int, str]) -> tuple[safety.Person, tuple[str, ...]]:
    at_centre = bool(family["at_crisis_centre"])
    pairs = await net.KeepApart.select(net.KeepApart.person_a, net.KeepApart.person_b).where(
        net.KeepApart.family == family["id"])
    kept = kept_apart_ids([(k["person_a"], k["person_b"]) for k in pairs],
                          {p["id"]: p for p in people})
    persons = {p["id"]: safety_person(_safety_row(p, orgs.get(p["organisation"] or 0, ""),
                                                  p["id"] in kept), at_centre) for p in people}
    places = [protected.organisation_facts(o["name"], o["address"], o["phone"], o["email"], o["kind"])
              for o in await net.Organisation.select(
                  net.Organisation.name, net.Organisation.address, net.Organisation.phone,
                  net.Organisation.email, net.Organisation.kind).where(
                  net.Organisation.location_protected == True)]  # noqa: E712
    subject = persons[subject_id]
    childrens = (await childrens_places([family["id"]])).get(family["id"], ())
    return subject, redaction.withheld_for(
        subject, [p for i, p in persons.items() if i != subject_id], places, childrens)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def _meetings_of(subject_id: int, with_minutes: bool) -> list[dict[str, Any]]:
    """The meetings the person was invited to, each as the person may see it: its agenda
    as their invitation gave it, and – where the method's scope gives them a meeting's
    records (``with_minutes``) – the minutes of the points of the parts they attended."""
    rows = await mt.Participant.select().where(mt.Participant.person == subject_id).order_by(
        mt.Participant.id)
    meetings = {m.id: m for m in await load_meetings({r["meeting"] for r in rows})}
    points: dict[int, list[dict[str, Any]]] = {}
    for point in await mt.AgendaPoint.select().where(
            mt.AgendaPoint.meeting.is_in(list(meetings) or [-1])).order_by(
            mt.AgendaPoint.meeting, mt.AgendaPoint.position, mt.AgendaPoint.id):
        points.setdefault(point["meeting"], []).append(point)
    result = []
    for row in rows:
        data = meetings[row["meeting"]]
        kind = kinds.KINDS.get(data.kind)
        mine = data.participant(row["id"])
        entry: dict[str, Any] = {
            "møde_id": data.id, "mødetype": kind.label if kind else data.kind,
            "status": kinds.STATUS_LABELS.get(kinds.MeetingStatus(data.status), data.status),
            "rolle_på_mødet": row["role"], "svar": row["rsvp"], "svar_kommentar": row["rsvp_comment"],
            "svaret": _iso(row["answered_at"]),
            "inviteres": kinds.CHANNELS.get(row["channel"], row["channel"]),
            "svar_givet": kinds.ANSWER_VIA.get(row["answer_via"], ""),
            "svar_registreret_af": row["answer_recorded_name"],
            "note_om_kontaktoplysninger": row["contact_note"], "tilføjet": _iso(row["created_at"]),
            "fjernet": _iso(row["removed_at"]), "titel": kind.label if kind else "Møde",
            "sted": safety.NEUTRAL_LOCATION, "dele": [], "dagsorden": [], "referat": [],
        }
        sid = f"person:{subject_id}"
        if mine and not mine.removed and sid in data.people:
            try:
                view = safety.redact_for_recipient(data.safety_meeting, data.people[sid], data.people)
            except safety.SafetyError:
                view = None
            if view is not None:
                times = {p.key: p for p in data.parts}
                entry.update(titel=view.title, sted=view.location_text, dele=[
                    {"del": part.label, "sted": part.location_text,
                     "start": _iso(times[part.key].starts_at), "slut": _iso(times[part.key].ends_at)}
                    for part in view.parts])
                entry["dagsorden"] = [text for _, text in view.agenda]
                if with_minutes:
                    entry["referat"] = [
                        {"punkt": p["title"], "referat": p["minutes"],
                         "skrevet_af": p["minutes_by_name"], "skrevet": _iso(p["minutes_at"])}
                        for p in agenda.for_parts(points.get(data.id, []), mine.part_keys)
                        if p["minutes"].strip()]
                entry["_withheld"] = view.protected_strings
        result.append(entry)
    return result


async def _mails_to(subject_id: int) -> list[dict[str, Any]]:
    rows = await OutboxMessage.select(
        OutboxMessage.meeting, OutboxMessage.recipient_email, OutboxMessage.kind,
        OutboxMessage.sequence, OutboxMessage.status, OutboxMessage.attempts,
        OutboxMessage.created_at, OutboxMessage.sent_at,
    ).where(OutboxMessage.participant.person == subject_id).order_by(OutboxMessage.id)
    return [{"møde_id": r["meeting"], "modtager": r["recipient_email"],
             "slags": {"REQUEST": "Invitation", "CANCEL": "Aflysning",
                       "DECLCNTR": "Forslag om nyt tidspunkt afvist",
                       "FORWARD": "Svar videresendt til socialrådgiveren"}.get(r["kind"], r["kind"]),
             "udgave": r["sequence"], "status": r["status"], "forsøg": r["attempts"],
             "oprettet": _iso(r["created_at"]), "sendt": _iso(r["sent_at"])} for r in rows]


async def _answers_by_mail(subject_id: int) -> list[dict[str, Any]]:
    """The person's calendar answers that came back by mail, with what was done with them."""
    rows = await ReplyRecord.select().where(ReplyRecord.participant.person == subject_id).order_by(
        ReplyRecord.id)
    return [{"møde_id": r["meeting"], "modtaget": _iso(r["received_at"]),
             "slags": "Forslag om nyt tidspunkt" if r["method"] == "COUNTER" else "Svar",
             "svar": r["partstat"], "kommentar": r["comment"], "sendt_af": r["sent_by"],
             "givet_videre_til": r["delegated_to"], "foreslået_start": _iso(r["proposed_start"]),
             "foreslået_slut": _iso(r["proposed_end"]),
             "behandling": OUTCOME_LABELS.get(r["outcome"], r["outcome"]), "grund": r["reason"]}
            for r in rows]


# Why the satisfaction answers are not in anyone's export (the export says so).
SATISFACTION_NOTE = (
    "Svarene på tilfredshedsskemaet ved udflytning gemmes uden navn og uden forbindelse til "
    "familien eller opholdet (kun udflytningsmåneden), så de kan ikke findes frem for en "
    "enkelt person og er ikke med her. Kun om familien svarede eller sagde nej tak står ved "
    "opholdet.")


async def _trappe_of(scope: redaction.MethodScope, family_id: int, subject_id: int,
                     names: Mapping[int, str]) -> list[dict[str, Any]]:
    if scope.trappe == "none":
        return []
    query = TrappeAssessment.select().where(TrappeAssessment.family == family_id)
    if scope.trappe == "own":
        query = query.where(TrappeAssessment.child == subject_id)
    rows = await query.order_by(TrappeAssessment.assessed_on, TrappeAssessment.id)
    steps = trappe_rules.STEPS
    if scope.trappe == "mother":  # what she said about each child, nothing else
        return [{"dato": _iso(r["assessed_on"]), "barn": names.get(r["child"], "(ukendt)"),
                 "mors_trin": steps.get(r["mother_step"] or 0, ""),
                 "mors_syn": r["mother_view"]} for r in rows
                if r["mother_step"] is not None or r["mother_view"]]
    return [{"dato": _iso(r["assessed_on"]), "trin": steps.get(r["step"], str(r["step"])),
             "bekymrende_adfærd": r["worrying_behaviour"],
             "fagpersonernes_syn": r["professional_view"],
             "mors_trin": steps.get(r["mother_step"] or 0, ""), "mors_syn": r["mother_view"],
             "barnets_trin": steps.get(r["child_step"] or 0, ""), "barnets_syn": r["child_view"],
             "analyse": [{"område": label,
                          "vurdering": trappe_rules.RATINGS.get(r[f"{key}_rating"], ""),
                          "note": r[f"{key}_note"]} for key, label in trappe_rules.AREAS],
             "retter": r["corrects"], "rettelsens_grund": r["correction_reason"],
             "registreret_af": r["recorded_by_name"]} for r in rows]


async def _sos_of(scope: redaction.MethodScope, subject_id: int) -> dict[str, Any]:
    """The mappings of the meetings the subject took part in (in scope) and the subject's
    own answers on the safety scale."""
    mappings: list[dict[str, Any]] = []
    if scope.sos_mappings:
        meetings = mt.Participant.select(mt.Participant.meeting).where(
            (mt.Participant.person == subject_id) & mt.Participant.removed_at.is_null())
        mappings = [{"møde_id": r["meeting"], "bekymringer": r["worries"],
                     "det_der_går_godt": r["working_well"],
                     "det_der_skal_ske": r["needs_to_happen"],
                     "registreret_af": r["recorded_by_name"], "ændret": _iso(r["updated_at"])}
                    for r in await mth.SosMapping.select().where(
                        mth.SosMapping.meeting.is_in(meetings)).order_by(mth.SosMapping.id)]
    scales = [{"møde_id": r["meeting"], "spurgt": sos.GROUPS.get(r["asker_group"], ""),
               "tal": r["score"], "note": r["note"], "registreret": _iso(r["created_at"])}
              for r in await mth.SosScale.select().where(
                  mth.SosScale.participant.person == subject_id).order_by(mth.SosScale.id)]
    return {"kortlægninger": mappings, "mine_svar_på_skalaen": scales}


async def _goals_of(scope: redaction.MethodScope, family_id: int, subject_id: int
                    ) -> list[dict[str, Any]]:
    query = mth.Goal.select().where(mth.Goal.family == family_id)
    if not scope.whole_plan:
        query = query.where(mth.Goal.responsible_person == subject_id)
    goals = await query.order_by(mth.Goal.starts_on, mth.Goal.id)
    evaluations = await mth.GoalEvaluation.select().where(
        mth.GoalEvaluation.goal.is_in([g["id"] for g in goals] or [-1])).order_by(
        mth.GoalEvaluation.evaluated_on, mth.GoalEvaluation.id)
    titles = {g["id"]: g["title"] for g in goals}
    return [{"mål": g["title"], "delmål_af": titles.get(g["parent_id"] or 0, "") if
             g["parent_id"] else "", "beskrivelse": g["description"] if scope.goal_notes else "",
             "periode": goal_rules.PERIODS.get(g["period"], g["period"]),
             "ansvarlig": g["responsible_name"], "fra": _iso(g["starts_on"]),
             "fremdrift": goal_rules.PROGRESS.get(g["progress"], g["progress"]),
             "evalueringer": [{"dato": _iso(e["evaluated_on"]),
                               "fremdrift": goal_rules.PROGRESS.get(e["progress"], e["progress"]),
                               "note": e["note"] if scope.goal_notes else ""}
                              for e in evaluations if e["goal"] == g["id"]]} for g in goals]


async def _fgc_of(scope: redaction.MethodScope, family_id: int, subject_name: str
                  ) -> list[dict[str, Any]]:
    cases = await mt.FgcCase.select().where(mt.FgcCase.family == family_id).order_by(
        mt.FgcCase.id)
    result: list[dict[str, Any]] = []
    for case in cases:
        items = await mt.FgcPlanItem.select().where(mt.FgcPlanItem.case == case["id"]).order_by(
            mt.FgcPlanItem.position, mt.FgcPlanItem.id)
        if not scope.fgc_case:
            items = [i for i in items if redaction.names_subject(i["who"], subject_name)]
            if not items:
                continue
        plan = [{"handling": i["action"], "hvem": i["who"], "senest": _iso(i["by_when"]),
                 "status": offers.PLAN_STATUSES.get(i["status"], i["status"])} for i in items]
        if not scope.fgc_case:
            result.append({"mine_opgaver_i_planen": plan})
            continue
        questions = await mt.FgcQuestion.select().where(
            mt.FgcQuestion.case == case["id"]).order_by(mt.FgcQuestion.position)
        approvals = await mt.FgcPlanApproval.select().where(
            mt.FgcPlanApproval.case == case["id"]).order_by(mt.FgcPlanApproval.id)
        changes = await mt.FgcPlanChange.select().where(
            mt.FgcPlanChange.case == case["id"]).order_by(mt.FgcPlanChange.id)
        result.append({
            "vurderet": _iso(case["assessed_on"]), "mulig": case["possible"],
            "familiens_syn": case["family_view"], "spørgsmål": [q["text"] for q in questions],
            "formøde": {"dato": _iso(case["formoede_on"]),
                        "deltagere": case["formoede_participants"],
                        "familiens_svar": offers.AGREEMENTS.get(case["formoede_agreement"], ""),
                        "note": case["formoede_note"]},
            "plan": plan,
            "godkendelser": [{"godkendt": _iso(a["approved_at"]), "af": a["approved_by_name"],
                              "betingelser": a["conditions"]} for a in approvals],
            "ændringer": [{"tidspunkt": _iso(c["changed_at"]), "af": c["changed_by_name"],
                           "hvad": c["summary"], "hvorfor": c["reason"]} for c in changes],
        })
    return result


async def _method_of(subject: Mapping[str, Any], safety_subject: safety.Person,
                     family_id: int, names: Mapping[int, str], kept_apart: bool
                     ) -> dict[str, Any]:
    """The method's records about the subject, as far as the safety projection allows."""
    scope = redaction.method_scope(subject["role"], subject["is_child"],
                                   safety_subject.is_hostile, kept_apart)
    return {
        "randers_trappen": await _trappe_of(scope, family_id, subject["id"], names),
        "signs_of_safety": await _sos_of(scope, subject["id"]),
        "handleplan": await _goals_of(scope, family_id, subject["id"]),
        "familierådslagning": await _fgc_of(scope, family_id, subject["name"]),
        "tilfredshed": SATISFACTION_NOTE,
    }


async def export_person(user: Principal, family: Mapping[str, Any], person_id: int,
                        address: str = "") -> dict[str, Any]:
    """Everything recorded about one network person, redacted for them; audited as export.

    The caller has authorised ``family`` through ``load_family``; a person of another
    family is not found (404).
    """
    family_id = family["id"]
    people = await net.Person.select().where(net.Person.family == family_id).order_by(net.Person.id)
    subject = next((p for p in people if p["id"] == person_id), None)
    if subject is None:
        raise NotFoundException()
    org_ids = {p["organisation"] for p in people if p["organisation"]}
    relations = await net.Relation.select().where(
        (net.Relation.family == family_id)
        & ((net.Relation.source == person_id) | (net.Relation.target_person == person_id)))
    org_ids |= {r["target_organisation"] for r in relations if r["target_organisation"]}
    orgs = {o["id"]: o["name"] for o in await net.Organisation.select(
        net.Organisation.id, net.Organisation.name).where(
        net.Organisation.id.is_in(sorted(org_ids) or [-1]))}
    names = {p["id"]: p["name"] for p in people}
    pairs = await net.KeepApart.select().where(
        (net.KeepApart.family == family_id)
        & ((net.KeepApart.person_a == person_id) | (net.KeepApart.person_b == person_id)))
    history = await net.NetworkChange.select().where(
        (net.NetworkChange.family == family_id) & (
            ((net.NetworkChange.entity == "netværksperson") & (net.NetworkChange.entity_id == person_id))
            | ((net.NetworkChange.entity == "relation")
               & net.NetworkChange.entity_id.is_in([r["id"] for r in relations] or [-1]))
            | ((net.NetworkChange.entity == "holdes_adskilt")
               & net.NetworkChange.entity_id.is_in([k["id"] for k in pairs] or [-1]))
        )).order_by(net.NetworkChange.id)
    events = await AuditEvent.select().where(
        (AuditEvent.family_id == family_id) & (AuditEvent.entity_id == str(person_id))
        & AuditEvent.entity.is_in(["netværksperson", "indsigt"])).order_by(AuditEvent.id)
    safety_subject, network_withheld = await _withheld(family, person_id, people, orgs)
    scope = redaction.method_scope(subject["role"], subject["is_child"],
                                   safety_subject.is_hostile, bool(pairs))
    meetings = await _meetings_of(person_id, scope.sos_mappings)
    withheld = set(network_withheld)
    for entry in meetings:
        withheld |= set(entry.pop("_withheld", ()))
    withheld = set(redaction.without_own(withheld, safety_subject))

    def relation(r: dict) -> dict[str, Any]:
        label = RELATION_TYPES[r["type"]].label_da if r["type"] in RELATION_TYPES else r["type"]
        target = orgs.get(r["target_organisation"] or 0) if r["target_organisation"] \
            else names.get(r["target_person"] or 0, "(ukendt)")
        return {"beskrivelse": f"{names.get(r['source'], '(ukendt)')} {label} {target}",
                "hjælp": r["note"]}

    export = {
        "format": EXPORT_FORMAT,
        "dannet": clock.now().isoformat(timespec="seconds"),
        "bemærkning": ("Udtræk til indsigtsanmodning. Socialrådgiveren gennemgår det, før det "
                       "udleveres. Andre personers beskyttede oplysninger er skjult."),
        "sag": {"sagsnummer": family["reference"]},
        "person": {
            "id": subject["id"], "navn": subject["name"], "rolle": _role_label(subject["role"]),
            "barn": subject["is_child"], "fødselsår": subject["birth_year"],
            "fagperson": subject["is_professional"], "sektor": subject["sector"],
            "organisation": orgs.get(subject["organisation"] or 0, ""),
            "stilling": subject["title"], "telefon": subject["phone"], "email": subject["email"],
            "adresse": subject["address"], "beskyttet_adresse": subject["protected_address"],
            "har_udøvet_vold": subject["used_violence"],
            "kontakt_kun_via_socialrådgiver": subject["contact_only_via_worker"],
            "noter": subject["notes"], "oprettet": _iso(subject["created_at"]),
            "ændret": _iso(subject["updated_at"]),
        },
        "relationer": [relation(r) for r in relations],
        "holdes_adskilt": [{"fra": names.get(k["person_b"] if k["person_a"] == person_id
                                             else k["person_a"], "(ukendt)"),
                            "begrundelse": k["reason"], "oprettet": _iso(k["created_at"])}
                           for k in pairs],
        "møder": meetings,
        "metode": await _method_of(subject, safety_subject, family_id, names, bool(pairs)),
        "mails": await _mails_to(person_id),
        "kalendersvar": await _answers_by_mail(person_id),
        "historik": [{"tidspunkt": _iso(h["at"]), "bruger": h["username"], "hvad": h["summary"],
                      "før": h["old_value"], "efter": h["new_value"]} for h in history],
        "logposter": [{"tidspunkt": _iso(e["at"]), "bruger": e["username"], "rolle": e["role"],
                       "handling": audit.ACTION_LABELS.get(e["action"], e["action"]),
                       "hvad": e["summary"]} for e in events],
    }
    export = redaction.scrub(export, withheld)
    async with db.transaction():
        await audit.record(user, "export", "indsigt", person_id, family_id,
                           f"Indsigtsudtræk for {subject['name']}", address)
    return export


# The person's facts on the page, in the page's words and order (the id stays in the file).
PERSON_LABELS = {
    "navn": "Navn", "rolle": "Rolle", "barn": "Barn", "fødselsår": "Fødselsår",
    "fagperson": "Fagperson", "sektor": "Sektor", "organisation": "Organisation",
    "stilling": "Stilling", "telefon": "Telefon", "email": "E-mail", "adresse": "Adresse",
    "beskyttet_adresse": "Beskyttet adresse", "har_udøvet_vold": "Har udøvet vold",
    "kontakt_kun_via_socialrådgiver": "Kontakt kun via socialrådgiveren", "noter": "Noter",
    "oprettet": "Oprettet", "ændret": "Sidst ændret",
}
PERSON_TIMES = frozenset({"oprettet", "ændret"})


def _shown(value: Any) -> str:
    """A value as the page shows it: yes/no in Danish, a dash for nothing."""
    if value is True:
        return "Ja"
    if value is False:
        return "Nej"
    return "–" if value is None or value == "" else str(value)


def _when(value: Any) -> str:
    """An ISO date or time from the export as the pages say it ("3. marts 2026",
    "tirsdag 3. marts 2026 kl. 09.00"); anything else as it is."""
    if not isinstance(value, str) or not value:
        return _shown(value)
    try:
        if len(value) == 10:
            return web.fmt_date(date.fromisoformat(value))
        return web.fmt_datetime(datetime.fromisoformat(value))
    except ValueError:
        return value


def _span(start: Any, end: Any) -> str:
    """A part's time: the start in full, the end as a time on the same day."""
    if not start:
        return "intet tidspunkt"
    try:
        first, last = datetime.fromisoformat(start), datetime.fromisoformat(end) if end else None
    except (TypeError, ValueError):
        return f"{start} – {end}" if end else str(start)
    if last is None:
        return web.fmt_datetime(first)
    same_day = first.astimezone(web.COPENHAGEN).date() == last.astimezone(web.COPENHAGEN).date()
    return f"{web.fmt_datetime(first)} – {web.fmt_time(last) if same_day else web.fmt_datetime(last)}"


def page_view(export: Mapping[str, Any]) -> dict[str, Any]:
    """The export (already redacted for the person) as the insight page shows it: Danish
    labels and dates, meetings named by their title, no internal keys, ids or codes. It
    only re-words what ``export_person`` gave; it adds nothing (the JSON file keeps the raw
    values)."""
    person = export["person"]
    facts = []
    for key, label in PERSON_LABELS.items():
        value = person.get(key)
        if key == "sektor" and value in Sector._value2member_map_:
            value = SECTOR_LABELS[Sector(value)]
        facts.append((label, _when(value) if key in PERSON_TIMES else _shown(value)))
    titles = {m["møde_id"]: m["titel"] for m in export["møder"]}

    def meeting_name(meeting_id: Any) -> str:
        return f"»{titles[meeting_id]}«" if meeting_id in titles else "et møde"

    meetings = [{
        "titel": m["titel"], "mødetype": m["mødetype"], "status": m["status"],
        "fjernet": bool(m["fjernet"]), "sted": m["sted"],
        "dele": [(d["del"], _span(d["start"], d["slut"])) for d in m["dele"]],
        "svar": RSVP_LABELS.get(m["svar"], m["svar"]), "svar_kommentar": m["svar_kommentar"],
        "dagsorden": m.get("dagsorden", []), "referat": m.get("referat", []),
    } for m in export["møder"]]
    method_part = export["metode"]
    sos_part = method_part["signs_of_safety"]
    fgc = [{**c, "formøde": {**c["formøde"], "dato": _when(c["formøde"]["dato"])
                             if c["formøde"]["dato"] else ""},
            "godkendelser": [{**a, "godkendt": _when(a["godkendt"])} for a in c["godkendelser"]]}
           if "plan" in c else c for c in method_part["familierådslagning"]]
    return {
        "navn": person["navn"], "facts": facts,
        "relationer": export["relationer"], "holdes_adskilt": export["holdes_adskilt"],
        "møder": meetings,
        "trappe": [{**a, "dato": _when(a["dato"])} for a in method_part["randers_trappen"]],
        "kortlægninger": [{**m, "møde": meeting_name(m["møde_id"])}
                          for m in sos_part["kortlægninger"]],
        "skala": [{**m, "møde": meeting_name(m["møde_id"])}
                  for m in sos_part["mine_svar_på_skalaen"]],
        "handleplan": method_part["handleplan"], "familierådslagning": fgc,
        "tilfredshed": method_part["tilfredshed"],
        "mails": [{"oprettet": _when(m["oprettet"]), "slags": m["slags"],
                   "modtager": m["modtager"], "status": DELIVERY_LABELS.get(m["status"], m["status"]),
                   "sendt": _when(m["sendt"]) if m["sendt"] else "–"} for m in export["mails"]],
        "historik": [{**h, "tidspunkt": _when(h["tidspunkt"])} for h in export["historik"]],
        "logposter": [{**e, "tidspunkt": _when(e["tidspunkt"])} for e in export["logposter"]],
    }


# --------------------------------------------------------------------- closing a case

async def close_family(user: Principal, family: Mapping[str, Any], version: int | None,
                       today: date, reason: str, address: str = "") -> None:
    """Close the case with a reason (read-only from now on; retention counts from today).
    A stay still open at the crisis centre ends today (udskrivning, after-care from then).
    ``web.Conflict`` if the case changed meanwhile."""
    if reason not in CLOSE_REASONS:
        raise web.UserError("Vælg, hvorfor sagen lukkes. Intet er ændret.", field="reason")
    async with db.transaction():
        await db.update_versioned(Family, family["id"], version, {
            Family.status: "closed", Family.closed_on: today,
            Family.closed_reason: CLOSE_REASONS[reason], Family.updated_at: clock.now(),
        }, where=Family.status == "active", shown=["status"], mine={"status": "lukket"},
            message="Sagen er ændret af en anden, siden du åbnede den. Intet er lukket.")
        if any(stay.current for stay in await cases.stays_of(family["id"])):
            await cases.check_out(user, family["id"], today, address)
        await audit.record(user, "update", "familie", family["id"], family["id"],
                           f"{CLOSE_SUMMARY} pr. {web.fmt_date(today)}: {CLOSE_REASONS[reason]}",
                           address)


# --------------------------------------------------------------------------- purge

@dataclass
class PurgeReport:
    """What a purge changed (or, in a dry run, would change)."""

    cutoff: date
    families: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per family, for the command's output."""
        return [f"Familie {f['id']} (lukket {f['closed_on'].isoformat()}): {f['people']} personer, "
                f"{f['meetings']} møder, {f['mails']} mails, {f['audit']} logposter"
                for f in self.families]


def pseudonym_family(family_id: int) -> str:
    """The stable name a pseudonymised family gets."""
    return f"Familien #{family_id}"


def pseudonyms(person_ids: list[int]) -> dict[int, str]:
    """Stable pseudonyms "Person 1", "Person 2" … in the order the people were recorded."""
    return {pid: f"Person {n}" for n, pid in enumerate(sorted(person_ids), start=1)}


async def due_for_purge(today: date, retention_days: int) -> list[dict]:
    """Closed families past retention that are not pseudonymised yet."""
    cutoff = today - timedelta(days=retention_days)
    rows = await Family.select(Family.id, Family.name, Family.closed_on).where(
        (Family.status == "closed") & Family.closed_on.is_not_null()
        & (Family.closed_on < cutoff)).order_by(Family.id)
    return [r for r in rows if r["name"] != pseudonym_family(r["id"])]


async def _counts(family_id: int) -> dict[str, int]:
    meeting_ids = mt.Meeting.select(mt.Meeting.id).where(mt.Meeting.family == family_id)
    return {
        "people": await net.Person.count().where(net.Person.family == family_id),
        "meetings": await mt.Meeting.count().where(mt.Meeting.family == family_id),
        "mails": await OutboxMessage.count().where(OutboxMessage.meeting.is_in(meeting_ids)),
        "audit": await AuditEvent.count().where(AuditEvent.family_id == family_id),
    }


async def _pseudonymise(family_id: int, changed: datetime) -> None:
    """Blank one family's personal data in place (inside the caller's transaction); the
    blanked meetings and people are changed at ``changed``."""
    people = await net.Person.select(net.Person.id).where(net.Person.family == family_id)
    names = pseudonyms([p["id"] for p in people])
    await db.update_versioned(Family, family_id, db.ANY_VERSION, {
        Family.name: pseudonym_family(family_id), Family.notes: "",
        Family.reference: f"anonym-{family_id}"})
    for pid, name in names.items():
        # updated_at: a new version of every partner feed that shows the family's meetings
        # or people (it is part of the feeds' version), so no process serves a calendar
        # built before the purge (the meetings' likewise below).
        await db.update_versioned(net.Person, pid, db.ANY_VERSION, {
            net.Person.name: name, net.Person.phone: "", net.Person.email: "",
            net.Person.address: "", net.Person.notes: "", net.Person.updated_at: changed})
    await db.update_each_versioned(net.Relation, net.Relation.family == family_id,
                                   {net.Relation.note: ""})
    await db.update_each_versioned(net.KeepApart, net.KeepApart.family == family_id,
                                   {net.KeepApart.reason: ""})
    await net.NetworkChange.update({net.NetworkChange.summary: "", net.NetworkChange.old_value: "",
                                    net.NetworkChange.new_value: ""}).where(
        net.NetworkChange.family == family_id)
    await db.update_each_versioned(net.CaseFacts, net.CaseFacts.family == family_id, {
        net.CaseFacts.public_help_note: "", net.CaseFacts.support_measures: "",
        net.CaseFacts.special_support_note: ""})
    meetings = await mt.Meeting.select(mt.Meeting.id, mt.Meeting.kind).where(
        mt.Meeting.family == family_id)
    meeting_ids = [m["id"] for m in meetings] or [-1]
    for meeting in meetings:
        kind = kinds.KINDS.get(meeting["kind"])
        await db.update_versioned(mt.Meeting, meeting["id"], db.ANY_VERSION, {
            mt.Meeting.title: kind.label if kind else "Møde", mt.Meeting.description: "",
            mt.Meeting.location: "", mt.Meeting.outcome: "", mt.Meeting.updated_at: changed,
        })
    await db.update_each_versioned(mt.AgendaPoint, mt.AgendaPoint.meeting.is_in(meeting_ids), {
        mt.AgendaPoint.title: "Punkt", mt.AgendaPoint.minutes: "",
        mt.AgendaPoint.minutes_by_name: ""})
    participants = await mt.Participant.select(mt.Participant.id, mt.Participant.person).where(
        mt.Participant.meeting.is_in(meeting_ids)).order_by(mt.Participant.id)
    for number, row in enumerate(participants, start=1):
        await mt.Participant.update({
            mt.Participant.name: names.get(row["person"] or 0, f"Deltager {number}"),
            mt.Participant.email: "", mt.Participant.rsvp_comment: "",
            mt.Participant.contact_note: "",  # names old and new e-mail and phone
        }).where(mt.Participant.id == row["id"])
    await mt.SafetyApproval.update({mt.SafetyApproval.reason: ""}).where(
        mt.SafetyApproval.meeting.is_in(meeting_ids))
    cases = mt.FgcCase.select(mt.FgcCase.id).where(mt.FgcCase.family == family_id)
    await db.update_each_versioned(mt.FgcCase, mt.FgcCase.family == family_id, {
        mt.FgcCase.family_view: "", mt.FgcCase.reasons: "", mt.FgcCase.concern: "",
        mt.FgcCase.questions: "", mt.FgcCase.samordner_name: "", mt.FgcCase.samordner_email: "",
        mt.FgcCase.initiator_name: "", mt.FgcCase.formoede_participants: "",
        mt.FgcCase.formoede_note: "",
    })
    await mt.FgcQuestion.update({mt.FgcQuestion.text: ""}).where(mt.FgcQuestion.case.is_in(cases))
    await mt.FgcPlanApproval.update({mt.FgcPlanApproval.conditions: ""}).where(
        mt.FgcPlanApproval.case.is_in(cases))
    await mt.FgcPlanChange.update({mt.FgcPlanChange.summary: "", mt.FgcPlanChange.reason: ""}).where(
        mt.FgcPlanChange.case.is_in(cases))
    await mt.FgcPlanReview.update({mt.FgcPlanReview.note: ""}).where(
        mt.FgcPlanReview.item.is_in(mt.FgcPlanItem.select(mt.FgcPlanItem.id).where(
            mt.FgcPlanItem.case.is_in(cases))))
    await mt.FgcTask.update({mt.FgcTask.title: "Opgave"}).where(mt.FgcTask.case.is_in(cases))
    await db.update_each_versioned(mt.FgcPlanItem, mt.FgcPlanItem.case.is_in(cases),
                                   {mt.FgcPlanItem.action: "", mt.FgcPlanItem.who: ""})
    assessments = mt.FatherAssessment.select(mt.FatherAssessment.id).where(
        mt.FatherAssessment.family == family_id)
    await db.update_each_versioned(mt.FatherAssessment, mt.FatherAssessment.family == family_id, {
        mt.FatherAssessment.reasons: "", mt.FatherAssessment.mother_agreement_note: ""})
    await mt.BicSession.update({mt.BicSession.notes: ""}).where(
        mt.BicSession.assessment.is_in(assessments))
    await OutboxMessage.update({OutboxMessage.message: "", OutboxMessage.recipient_email: ""}).where(
        OutboxMessage.meeting.is_in(meeting_ids))
    await AnswerToken.delete().where(AnswerToken.meeting.is_in(meeting_ids))
    # Calendar answers kept by mail: addresses and notes go; the answer itself stays.
    await ReplyRecord.update({
        ReplyRecord.attendee_email: "", ReplyRecord.sent_by: "", ReplyRecord.comment: "",
        ReplyRecord.delegated_to: "", ReplyRecord.delegate_name: "", ReplyRecord.reason: "",
    }).where(ReplyRecord.meeting.is_in(meeting_ids))
    await DelegateAddress.delete().where(
        DelegateAddress.participant.is_in([row["id"] for row in participants] or [-1]))
    await TrappeAssessment.update({
        getattr(TrappeAssessment, name): "" for name in TRAPPE_TEXTS}).where(
        TrappeAssessment.family == family_id)
    await method.pseudonymise(family_id)
    await AuditEvent.update({AuditEvent.summary: ""}).where(AuditEvent.family_id == family_id)


AHEAD_AT_MOST = timedelta(seconds=60)  # how far the purge's times of change may run ahead


async def purge(today: date, retention_days: int, *, dry_run: bool = False) -> PurgeReport:
    """Pseudonymise every family closed more than ``retention_days`` before ``today``.

    Each family is one transaction, audited as "update". Families already pseudonymised
    are skipped, so running it twice changes nothing the second time.
    """
    report = PurgeReport(cutoff=today - timedelta(days=retention_days))
    due = await due_for_purge(today, retention_days)
    if due and not dry_run:
        # The purge's stamp exists before any family is blanked, so a feed's note of a build
        # waits for each family's purge on it (``feeds.forget_served``).
        async with db.transaction():
            await revisions.replace_purge_stamp()
    for family in due:
        report.families.append({**family, **await _counts(family["id"])})
        if dry_run:
            continue
        async with db.transaction():
            # The blanked rows' time of change: later than every feed's Last-Modified as it
            # is now, whatever this host's clock says, so a client that asks with
            # If-Modified-Since alone gets the calendar without the family.
            changed = await feeds.after_every_change()
            await _pseudonymise(family["id"], changed)
            # Every partner feed's calendar and copy from before goes with the family's
            # blanking, and every feed has a new version (the purge's stamp): no process
            # sends, and no client keeps by a 304, a calendar that shows the family as it was.
            await feeds.forget_served()
            await audit.record(None, "update", "familie", family["id"], family["id"], PURGE_SUMMARY)
        # A family blanked within the second of the one before is changed a second later:
        # past AHEAD_AT_MOST beyond this host's clock, wait for the clock (a meeting moved
        # meanwhile must still show a later Last-Modified soon).
        ahead = changed - clock.now()
        if ahead > AHEAD_AT_MOST:
            await asyncio.sleep(min(1.0, (ahead - AHEAD_AT_MOST).total_seconds()))
    return report


async def family_section(user: Principal, family: dict) -> dict[str, Any]:
    """Context for the family page: the people an access export can be made for.

    The family route has already authorised and audited the read of the family.
    """
    network = await network_service.known_network(family["id"])
    people = network.people if network is not None else await db.fetch(
        'SELECT "id", "name" FROM "person" WHERE "family" = {}', family["id"], quick=True)
    return {"people": sorted(({"id": p["id"], "name": p["name"]} for p in people),
                             key=network_service.by_name)}
