"""Builders for follow-up tests: meetings, FGC cases, father assessments, stays, agreements.

Rows go straight into the meetings domain's tables so a test can lay out history (held
meetings in the past) that the meetings service would rightly refuse to create today.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coordinator.agreements.tables import Agreement, AgreementEvaluation
from coordinator.families.tables import Family, TeamMember
from coordinator.followup.tables import Stay
from coordinator.meetings.tables import (
    BicSession,
    FatherAssessment,
    FgcCase,
    Meeting,
    MeetingPart,
)
from coordinator.network.tables import Organisation, Person

CPH = ZoneInfo("Europe/Copenhagen")


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An aware Copenhagen moment."""
    return datetime.combine(day, time(hour, minute), CPH)


async def meeting(family_id: int, kind: str, status: str, starts: datetime | None,
                  minutes: int = 60, title: str | None = None, parent_id: int | None = None,
                  fgc_case: int | None = None, father_assessment: int | None = None) -> int:
    """A meeting with one part (or none when ``starts`` is None)."""
    rows = await Meeting.insert(Meeting(
        family=family_id, kind=kind, title=title or kind, status=status, parent_id=parent_id,
        fgc_case=fgc_case, father_assessment=father_assessment))
    meeting_id = rows[0]["id"]
    await MeetingPart.insert(MeetingPart(
        meeting=meeting_id, key="meeting", label="Møde", starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes) if starts else None))
    return meeting_id


async def fgc_case(family_id: int, possible: bool | None, assessed_on: date | None = None,
                   referred_on: date | None = None, samordner_name: str = "") -> int:
    """A familierådslagning case."""
    rows = await FgcCase.insert(FgcCase(
        family=family_id, possible=possible, assessed_on=assessed_on, referred_on=referred_on,
        samordner_name=samordner_name))
    return rows[0]["id"]


async def father(family_id: int, involve: bool | None, assessed_on: date | None = None,
                 mother_agreed_on: date | None = None, contact_person: int | None = None,
                 referred_on: date | None = None, name: str = "Far Testesen") -> int:
    """A father (network person) and the assessment of whether he should be involved."""
    person = await Person.insert(Person(family=family_id, name=name, role="father",
                                        sector="family"))
    rows = await FatherAssessment.insert(FatherAssessment(
        family=family_id, father=person[0]["id"], involve=involve, assessed_on=assessed_on,
        mother_agreed_on=mother_agreed_on, contact_person=contact_person,
        referred_on=referred_on))
    return rows[0]["id"]


async def session(assessment_id: int, status: str, topics: str = "",
                  meeting_id: int | None = None) -> int:
    """A BIC advice session (optionally with its meeting)."""
    rows = await BicSession.insert(BicSession(assessment=assessment_id, status=status,
                                              topics=topics, meeting=meeting_id))
    return rows[0]["id"]


async def close(family_id: int, closed_on: date) -> None:
    """Close a case."""
    await Family.update({Family.status: "closed", Family.closed_on: closed_on}).where(
        Family.id == family_id)


async def reopen_dates(family_id: int, opened_on: date) -> None:
    """Set when a case was opened."""
    await Family.update({Family.opened_on: opened_on}).where(Family.id == family_id)


async def on_team(family_id: int, user_id: int) -> None:
    """Put a user on a family's team."""
    await TeamMember.insert(TeamMember(family=family_id, user=user_id, team_role="Kontaktperson"))


async def stay(family_id: int, started_on: date, ended_on: date | None = None) -> None:
    """A stay at the crisis centre."""
    await Stay.insert(Stay(family=family_id, started_on=started_on, ended_on=ended_on))


async def agreement(title: str, start: date, end: date, months: int, status: str = "active",
                    evaluations: tuple[date, ...] = ()) -> int:
    """An agreement with a fresh partner organisation and its evaluations."""
    org = await Organisation.insert(Organisation(name=f"Partner {title}", kind="school",
                                                 sector="school"))
    rows = await Agreement.insert(Agreement(
        title=title, partner=org[0]["id"], period_start=start, period_end=end,
        evaluation_months=months, status=status))
    for held_on in evaluations:
        await AgreementEvaluation.insert(AgreementEvaluation(agreement=rows[0]["id"],
                                                             held_on=held_on))
    return rows[0]["id"]
