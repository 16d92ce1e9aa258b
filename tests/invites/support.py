"""A family around one meeting, built through the meetings service, for invites tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from coordinator import clock as app_clock
from coordinator import web
from coordinator.auth.policy import Principal
from coordinator.db import ANY_VERSION
from coordinator.families.tables import Family
from coordinator.invites import service as invites
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import planner
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import FatherAssessment, FgcCase, Meeting
from coordinator.network.tables import Organisation, Person
from tests import factories

CENTRE_NAME = "Randers Krisecenter"
CENTRE_ADDRESS = "Hemmelig Vej 1, 8900 Randers"
MOTHER_ADDRESS = "Skjultvej 7, 8450 Hammel"


@dataclass
class Scenario:
    """Who is who in the test family, and the meeting they are invited to."""

    worker: Principal
    family: dict
    meeting_id: int
    mother: int
    father: int
    teacher: int
    child: int

    async def meeting(self) -> dict:
        """The meeting row as it is now."""
        return await Meeting.select().where(Meeting.id == self.meeting_id).first()


def working_day(after_days: int = 10) -> date:
    """A working day at least ``after_days`` from today."""
    day = app_clock.today() + timedelta(days=after_days)
    while not planner.is_working_day(day):
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Copenhagen time on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=web.COPENHAGEN)


async def _person(family_id: int, name: str, role: str, email: str = "", **flags) -> int:
    professional = flags.pop("professional", False)
    sector = "school" if professional else ("family" if role in ("mother", "father", "child")
                                            else "private_network")
    rows = await Person.insert(Person(family=family_id, name=name, role=role, email=email,
                                      is_professional=professional, sector=sector,
                                      is_child=role == "child", **flags))
    return rows[0]["id"]


async def scenario(*, father_email: str = "far@example.net", with_father: bool = True,
                   teacher_email: str = "laerer@skole.example.org") -> Scenario:
    """A family at the crisis centre and an invited network meeting at the town hall.

    The mother (protected address) and the father (used violence) are both invited, with
    a recorded approval; the description mentions the crisis centre's address, which only
    entitled recipients may read.
    """
    worker = await factories.user("socialraadgiver", full_name="Sara Rådgiver",
                                  email="sara@kommune.example.org")
    family_id = await factories.family(worker, at_crisis_centre=True)
    family = await Family.select().where(Family.id == family_id).first()
    await Organisation.insert(Organisation(name=CENTRE_NAME, kind="crisis_centre",
                                           sector="crisis_centre", address=CENTRE_ADDRESS,
                                           location_protected=True))
    school = (await Organisation.insert(Organisation(name="Østre Skole", kind="school",
                                                     sector="school")))[0]["id"]
    mother = await _person(family_id, "Maria Hansen", "mother", "mor@example.net",
                           protected_address=True, address=MOTHER_ADDRESS, phone="70 10 11 12")
    father = await _person(family_id, "Frank Hansen", "father", father_email, used_violence=True)
    child = await _person(family_id, "Emma Marie Hansen", "child")
    teacher = await _person(family_id, "Lars Lærer", "professional", teacher_email,
                            professional=True, organisation=school)
    await FatherAssessment.insert(FatherAssessment(family=family_id, father=father,
                                                   mother_agreed_on=app_clock.today()))
    day = working_day()
    meeting_id = await meetings.create_meeting(
        worker, family, "netvaerksmoede", "Netværksmøde om Emma Marie Hansen",
        location="Rådhuset, mødelokale 2",
        description=f"Vi taler om skolen. Mor bor på {CENTRE_NAME}, {CENTRE_ADDRESS}.")
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    parts = await meetings.parts_of(meeting_id)
    await meetings.set_times(worker, meeting, ANY_VERSION, {parts[0]["key"]: (at(day, 10), at(day, 12))})
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    people = [meetings.NewParticipant(person_id=mother), meetings.NewParticipant(person_id=teacher),
              meetings.NewParticipant(person_id=child, invite_via_worker=True), meetings.NewParticipant(user_id=worker.id)]
    if with_father:
        people.append(meetings.NewParticipant(person_id=father))
    await meetings.add_participants(worker, meeting, ANY_VERSION, people)
    if with_father:
        meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
        await meetings.record_approval(worker, meeting, ANY_VERSION, f"person:{mother}", f"person:{father}",
                                       None, "protected", "Mor ønsker fælles møde; to rådgivere til stede.")
    return Scenario(worker, family, meeting_id, mother, father, teacher, child)


async def send(s: Scenario) -> None:
    """Send the invitations (status invited) through the meetings service."""
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "planned")
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "invited")


async def fgc_at_the_crisis_centre(samordner: Principal) -> tuple[Principal, int]:
    """A familierådslagning held at the crisis centre (its place protected), with
    ``samordner`` on the case: the socialrådgiver who made it and the meeting's id."""
    sara = await factories.user()
    family_id = await factories.family(sara)
    centre = (await Organisation.insert(Organisation(
        name=CENTRE_NAME, kind="crisis_centre", sector="crisis_centre",
        address=CENTRE_ADDRESS, location_protected=True)))[0]["id"]
    case = (await FgcCase.insert(FgcCase(family=family_id, possible=True,
                                         samordner_user=samordner.id)))[0]["id"]
    meeting_id = await meetings.create_meeting(sara, {"id": family_id}, "familieraadslagning",
                                               "Familierådslagning", fgc_case=case,
                                               location_organisation=centre)
    return sara, meeting_id


async def outbox(meeting_id: int) -> list[dict]:
    """The meeting's outbox rows in order."""
    return await OutboxMessage.select().where(OutboxMessage.meeting == meeting_id).order_by(
        OutboxMessage.id)


__all__ = ["invites", "Scenario"]


AT_SCHOOL_FATHER = "far@example.net"
AT_SCHOOL_TEACHER = "laerer@skole.example.org"


async def meeting_row(meeting_id: int) -> dict:
    return await Meeting.select().where(Meeting.id == meeting_id).first()


async def at_the_school() -> tuple:
    """A family not (yet) shielded: a network meeting at the children's school with the
    father and the teacher, sent (allowed while the family is not shielded); nothing
    delivered yet."""
    sara = await factories.user(email="sara@kommune.example.org")
    family_id = await factories.family(sara, at_crisis_centre=False)
    school = (await Organisation.insert(Organisation(
        name="Østre Skole", kind="school", sector="school",
        address="Skolevej 3, 8900 Randers")))[0]["id"]
    mother = await _person(family_id, "Maria Hansen", "mother", "mor@example.net",
                           address="Lindevej 3, 8900 Randers")
    father = await _person(family_id, "Frank Hansen", "father", AT_SCHOOL_FATHER,
                           used_violence=True)
    await _person(family_id, "Emma Hansen", "child")
    teacher = await _person(family_id, "Lars Lærer", "professional", AT_SCHOOL_TEACHER,
                            professional=True, organisation=school)
    await FatherAssessment.insert(FatherAssessment(family=family_id, father=father,
                                                   mother_agreed_on=app_clock.today()))
    family = await Family.select().where(Family.id == family_id).first()
    meeting_id = await meetings.create_meeting(sara, family, "netvaerksmoede", "Skolemøde",
                                               location="Rådhuset", description="")
    [part] = await meetings.parts_of(meeting_id)
    day = working_day()
    await meetings.set_times(sara, await meeting_row(meeting_id), ANY_VERSION,
                             {part["key"]: (at(day, 10), at(day, 11))})
    await meetings.add_participants(sara, await meeting_row(meeting_id), ANY_VERSION, [
        meetings.NewParticipant(person_id=teacher), meetings.NewParticipant(person_id=father)])
    before = await meeting_row(meeting_id)
    await meetings.update_details(sara, before, ANY_VERSION, before["title"], "", school,
                                  before["description"], True)
    meeting = await meeting_row(meeting_id)
    await meetings.change_status(sara, meeting, ANY_VERSION, "planned")
    await meetings.change_status(sara, await meeting_row(meeting_id), ANY_VERSION, "invited")
    return sara, family_id, meeting_id, mother
