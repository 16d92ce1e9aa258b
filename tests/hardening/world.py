"""One set of data for the hardening tests: every role, an own and a foreign family.

``build_world()`` creates, through the domain services, two families that are mirror
images of each other (the "own" family has the test users on its team, the "foreign" one
has strangers on its team) with everything a route's path can point at: people, a
relation, a keep-apart pair, a familierådslagning with a task and its meeting, a BIC
case with an advice session, a scheduled network meeting with participants, an answer
link, a feed link and an agreement. Each id is then available as ``world.own[...]`` and
``world.foreign[...]``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from coordinator import clock as app_clock
from coordinator.agreements import service as agreements
from coordinator.auth.policy import Principal
from coordinator.db import ANY_VERSION
from coordinator.families.tables import Family, TeamMember
from coordinator.followup.tables import Stay
from coordinator.invites import feeds
from coordinator.invites import service as invites
from coordinator.invites.tables import AnswerToken, ReplyRecord
from coordinator.meetings import flows, formoede
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import (
    AgendaPoint,
    BicSession,
    FatherAssessment,
    FgcCase,
    FgcPlanItem,
    FgcTask,
    Meeting,
    Room,
)
from coordinator.method.tables import Goal, SosScale
from coordinator.network.tables import KeepApart, Organisation, Relation
from coordinator.reminders import preferences
from coordinator.satisfaction import rules as satisfaction_rules
from coordinator.satisfaction.tables import TabletLink
from coordinator.trappe.tables import TrappeAssessment
from tests import factories
from tests.invites.support import _person as person
from tests.invites.support import at, working_day

ROLES = ("socialraadgiver", "kontaktperson", "leder", "samordner", "admin", "anonymous")
CRISIS_CENTRE = "Randers Krisecenter"
CRISIS_CENTRE_ADDRESS = "Hemmelig Vej 1, 8900 Randers"


@dataclass
class Side:
    """The ids of one family's objects, by the path parameter's name."""

    names: list[str] = field(default_factory=list)  # names that must not leak to strangers
    ids: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, key: str) -> object:
        return self.ids[key]


@dataclass
class World:
    """Users by role, the own family (the users' team) and the foreign one."""

    users: dict[str, Principal]
    own: Side
    foreign: Side
    victim: Principal  # an account the admin routes may change
    school: int
    crisis_centre: int


async def _family(worker: Principal, contact: Principal, leader: Principal | None,
                  samordner: Principal | None, surname: str, school: int,
                  days: int) -> Side:
    team = [worker] + ([leader] if leader else [])
    family_id = await factories.family(*team, name=f"Familien {surname}")
    family = await Family.select().where(Family.id == family_id).first()
    side = Side()
    mother_name, father_name = f"Mette {surname}", f"Frede {surname}"
    child_name, teacher_name = f"Alma {surname}", f"Lærer {surname}sen"
    side.names = [family["name"], mother_name, father_name, child_name, teacher_name]
    mother = await person(family_id, mother_name, "mother", f"mor.{surname.lower()}@example.net",
                          protected_address=True, address=f"Skjultvej {days}, 8450 Hammel")
    father = await person(family_id, father_name, "father", f"far.{surname.lower()}@example.net",
                          used_violence=True)
    child = await person(family_id, child_name, "child")
    teacher = await person(family_id, teacher_name, "professional",
                           f"laerer.{surname.lower()}@skole.example.org", professional=True,
                           organisation=school)
    relation = (await Relation.insert(Relation(family=family_id, source=mother,
                                               target_person=child, type="mother_of")))[0]["id"]
    pair = (await KeepApart.insert(KeepApart(family=family_id, person_a=mother, person_b=father,
                                             reason="Vold")))[0]["id"]
    today = app_clock.today()
    # familierådslagning: assessment, referral, samordner, a task, the meeting
    await flows.save_fgc_assessment(worker, family, None, True, today, "Mor vil gerne",
                                    "Stort netværk")
    await flows.save_fgc_referral(worker, family, await _version(FgcCase, family_id), "Bekymring",
                                  "Hvem henter Alma?", today)
    await flows.set_samordner(worker, family, await _version(FgcCase, family_id),
                              samordner.id if samordner else None,
                              "" if samordner else "Ekstern Eva",
                              "" if samordner else "eva@example.net", "")
    await flows.add_task(worker, family, "Book lokale", None)
    task = (await FgcTask.select(FgcTask.id).order_by(FgcTask.id, ascending=False).first())["id"]
    case_id = (await FgcTask.select(FgcTask.case).where(FgcTask.id == task).first())["case"]
    item = (await FgcPlanItem.insert(FgcPlanItem(case=case_id, action=f"{mother_name} ringer",
                                                 who=mother_name)))[0]["id"]
    # the formøde, where the family agreed to go on (no meeting is planned before that)
    await formoede.set_formoede(worker, family, await _version(FgcCase, family_id), today)
    await formoede.record_outcome(worker, family, await _version(FgcCase, family_id),
                                  "Mor, mormor og samordneren", "yes", "")
    day = working_day(days)
    fgc_meeting = await flows.create_fgc_meeting(worker, family, {
        "information": (at(day, 9), at(day, 9, 45)),
        "family_time": (at(day, 9, 45), at(day, 11, 45)),
        "plan": (at(day, 11, 45), at(day, 12, 30))}, "Rådhuset", None)
    # Barnet i Centrum: assessment, the mother's agreement, referral, an advice session
    await flows.save_father_assessment(worker, family, None, father, True, "Far vil gerne",
                                       today)
    await flows.record_mother_agreement(worker, family, await _version(FatherAssessment, family_id),
                                        today, "")
    await flows.refer_to_contact(worker, family, await _version(FatherAssessment, family_id),
                                 contact.id, today)
    session_day = working_day(days + 1)
    await flows.add_bic_session(worker, family, ["bolig"], at(session_day, 13),
                                at(session_day, 14), "Rådhuset")
    session_row = await BicSession.select(BicSession.id, BicSession.meeting).order_by(
        BicSession.id, ascending=False).first()
    session, bic_meeting = session_row["id"], session_row["meeting"]
    bic_participant = next(p["id"] for p in await meetings.participants_of(bic_meeting)
                           if p["user"] == contact.id)
    # a scheduled network meeting with the mother and the teacher
    meeting_id = await meetings.create_meeting(worker, family, "netvaerksmoede",
                                               f"Netværksmøde om {child_name}",
                                               location="Rådhuset, mødelokale 2")
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    parts = await meetings.parts_of(meeting_id)
    await meetings.set_times(worker, meeting, ANY_VERSION,
                             {parts[0]["key"]: (at(day, 13), at(day, 14))})
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    await meetings.add_participants(worker, meeting, ANY_VERSION, [
        meetings.NewParticipant(person_id=mother), meetings.NewParticipant(person_id=teacher)])
    participant = next(p["id"] for p in await meetings.participants_of(meeting_id)
                       if p["person"] == teacher)
    fgc_participant = next(p["id"] for p in await meetings.participants_of(fgc_meeting)
                           if p["user"] == worker.id)
    # the method: a safety-scale answer in the network meeting and a goal of the handleplan
    scale = (await SosScale.insert(SosScale(family=family_id, meeting=meeting_id,
                                            asker_group="family", asker_name="Familien",
                                            score=5)))[0]["id"]
    goal = (await Goal.insert(Goal(family=family_id, title=f"Tryg hverdag for {child_name}",
                                   starts_on=today)))[0]["id"]
    # a proposed new time (METHOD:COUNTER) waiting on each of the three meetings
    records = {}
    for key, meeting_of, participant_of in (("record_id", meeting_id, participant),
                                            ("fgc_record_id", fgc_meeting, fgc_participant),
                                            ("bic_record_id", bic_meeting, bic_participant)):
        [first] = (await meetings.parts_of(meeting_of))[:1]
        records[key] = (await ReplyRecord.insert(ReplyRecord(
            meeting=meeting_of, participant=participant_of,
            uid=f"m{meeting_of}-{first['key']}@testserver.local", method="COUNTER",
            attendee_email=f"svar-{surname.lower()}@example.org", partstat="TENTATIVE",
            proposed_start=at(day, 15), proposed_end=at(day, 16), outcome="proposal")))[0]["id"]
    token = secrets.token_urlsafe(32)
    await AnswerToken.insert(AnswerToken(
        meeting=meeting_id, participant=participant, token_hash=invites.token_hash(token),
        expires_at=at(day, 14) + timedelta(days=30)))
    reminder_link = await preferences.new_link(f"svar-{surname.lower()}@example.org")
    feed_token = await feeds.create_token(worker, "user", worker.id, f"Min kalender ({surname})")
    feed_id = (await feeds.tokens_for(worker))[0]["id"]
    members = await TeamMember.select(TeamMember.id, TeamMember.user).where(
        TeamMember.family == family_id).order_by(TeamMember.id)
    member = members[-1]["id"]  # the leader on the own team (the worker stays), else the worker
    side.ids = {
        "family_id": family_id, "person_id": teacher, "relation_id": relation, "pair_id": pair,
        "task_id": task, "item_id": item, "session_id": session, "meeting_id": meeting_id,
        "fgc_meeting_id": fgc_meeting, "participant_id": participant,
        "fgc_participant_id": fgc_participant, "token": token, "link": reminder_link,
        "bic_meeting_id": bic_meeting, "bic_participant_id": bic_participant,
        "member_id": member, **records, "scale_id": scale, "goal_id": goal,
        "name": f"{feed_token}.ics", "token_id": feed_id,
        "mother": mother, "father": father, "child": child,
    }
    # each meeting's first agenda point (the kind's default agenda)
    for prefix, of in (("", meeting_id), ("fgc_", fgc_meeting), ("bic_", bic_meeting)):
        side.ids[f"{prefix}point_id"] = (await AgendaPoint.select(AgendaPoint.id).where(
            AgendaPoint.meeting == of).order_by(AgendaPoint.position).first())["id"]
    side.ids["assessment_id"] = (await TrappeAssessment.insert(TrappeAssessment(
        family=family_id, child=child, assessed_on=app_clock.today(), step=2,
        worrying_behaviour="Uro ved skift")))[0]["id"]
    # a move-out with a one-time tablet link to the satisfaction form
    stay = (await Stay.insert(Stay(family=family_id, started_on=today - timedelta(days=90),
                                   ended_on=today - timedelta(days=1))))[0]["id"]
    tablet, tablet_hash = satisfaction_rules.new_token()
    await TabletLink.insert(TabletLink(token_hash=tablet_hash, stay=stay, family=family_id,
                                       expires_at=app_clock.now() + timedelta(hours=1)))
    side.ids["tablet"] = tablet
    return side


async def _version(table, family_id: int) -> int:
    """The version of the family's case record that the page would show (and send back)."""
    row = await table.select(table.version).where(table.family == family_id).first()
    return row["version"]


async def build_world() -> World:
    """Create every role's user and the own and foreign families (see the module doc)."""
    # Everyone works in one unit: the leader follows the own family as its unit's leader too.
    users = {role: await factories.user(role, full_name=f"Bruger {role.capitalize()}",
                                        unit="Krisecentret")
             for role in ROLES if role != "anonymous"}
    stranger = await factories.user("socialraadgiver", full_name="Fremmed Rådgiver")
    stranger_contact = await factories.user("kontaktperson", full_name="Fremmed Kontakt")
    victim = await factories.user("leder", full_name="Deaktiver Mig")
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    centre = (await Organisation.insert(Organisation(
        name=CRISIS_CENTRE, kind="crisis_centre", sector="crisis_centre",
        address=CRISIS_CENTRE_ADDRESS, location_protected=True)))[0]["id"]
    own = await _family(users["socialraadgiver"], users["kontaktperson"], users["leder"],
                        users["samordner"], "Egensen", school, 10)
    foreign = await _family(stranger, stranger_contact, None, None, "Fremmedsen", school, 12)
    agreement = await agreements.create_agreement(None, agreements.AgreementInput(
        title="Samarbejde med Østre Skole", partner_id=school, period_start=app_clock.today() - timedelta(days=300),
        period_end=app_clock.today() + timedelta(days=400), evaluation_months=3,
        parties=(agreements.PartyInput(school, "Skoleleder Sørensen"),)))
    room = (await Room.insert(Room(name="Mødelokale 1", location="Rådhuset")))[0]["id"]
    for side in (own, foreign):
        side.ids.update(agreement_id=agreement, number=1, user_id=victim.id, block="public_help",
                        organisation_id=school, room_id=room,
                        file_path="app.css", key="bic")
    # Secret links are bearer tokens: "foreign" is one the requester does not hold.
    foreign.ids.update(agreement_id=999_999, number=999, user_id=999_999, organisation_id=999_999, room_id=999_999,
                       token=secrets.token_urlsafe(32), name=f"{secrets.token_urlsafe(32)}.ics",
                       link=secrets.token_urlsafe(32), tablet=secrets.token_urlsafe(24))
    return World(users, own, foreign, victim, school, centre)
