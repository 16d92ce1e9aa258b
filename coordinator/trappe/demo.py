"""Demo data for Randers-trappen: assessments with history for most children, so the
family page's timelines, the follow-ups due and the success criterion have something to
show. Fictitious; runs after the network seeder (it reads each family's children)."""

from __future__ import annotations

from datetime import timedelta

from coordinator.families.tables import Family
from coordinator.network.tables import Person
from coordinator.trappe import rules
from coordinator.trappe.tables import TrappeAssessment

BEHAVIOUR = {
    4: "Sover næsten ikke, har voldsomme udbrud og vil ikke spise.",
    3: "Trækker sig fra de andre børn, græder meget og taler ikke om det, der er sket.",
    2: "Er urolig ved skift og spørger ofte, om de skal flytte igen.",
    1: "Er glad for skolen igen, men bliver ked af det, når der tales om far.",
}
PROFESSIONAL = {
    4: "Barnet har brug for hjælp nu; PPR er kontaktet.",
    3: "Barnet er truet i sin udvikling; tæt opfølgning og støtte fra børnepædagogen.",
    2: "Barnet har det bedre med faste rammer, men er stadig sårbart ved forandringer.",
    1: "Barnet trives i hverdagen; vi holder øje ved udflytningen.",
}
MOTHER = {
    4: "Mor er bekymret og vil gerne have hjælp til aftenerne.",
    3: "Mor synes, det går lidt bedre end for en måned siden.",
    2: "Mor oplever, at barnet er ved at falde til ro.",
    1: "Mor er stolt over, hvor godt det går.",
}
CHILD = {
    4: "»Jeg kan ikke sove, når det er mørkt.«",
    3: "»Jeg savner mine venner fra den gamle skole.«",
    2: "»Det er rart at være her, men jeg vil gerne hjem.«",
    1: "»Jeg har fået en ny ven i klassen.«",
}
RATING_BY_STEP = {4: "serious", 3: "serious", 2: "some", 1: "good"}


def _path(index: int, child_number: int) -> list[int]:
    """The steps of a child over time: most come down the trappe, some stand still."""
    start = 4 - (index + child_number) % 3  # 4, 3 or 2
    if index % 5 == 4:
        return [start, start]
    return list(range(start, max(start - 3, 0), -1))


async def seed(ctx) -> None:
    """Two to four assessments for the children of most families, spaced by the cadence of
    their step; every fifth family has none yet, every seventh a child whose analysis is
    never complete, and one assessment is corrected (the history keeps both)."""
    corrected = False
    opened = {row["id"]: row["opened_on"] for row in
              await Family.select(Family.id, Family.opened_on)}
    for family in ctx.families:
        if family.index % 5 == 3:
            continue  # no trappe yet: shows on the criterion's drill-down
        children = await Person.select(Person.id, Person.name).where(
            (Person.family == family.id) & (Person.is_child == True)  # noqa: E712
        ).order_by(Person.id)
        author = family.team_usernames[0] if family.team_usernames else "sara"
        user_id = ctx.users.get(author)
        name = {"sara": "Sara Demo Kristiansen", "mikkel": "Mikkel Demo Lauridsen"}.get(author, "")
        for number, child in enumerate(children):
            steps = _path(family.index, number)
            # spaced a month apart, the newest a few days to three weeks ago, never before
            # the case was opened (so some follow-ups are due, most are not)
            last = ctx.today - timedelta(days=2 + (family.index * 3 + number) % 20)
            room = max((last - opened[family.id]).days, 0)
            gap = min(30, room // max(len(steps) - 1, 1))
            day = last - timedelta(days=gap * (len(steps) - 1))
            for position, step in enumerate(steps):
                # every seventh family's first child: the analysis never done in full
                complete = not (family.index % 7 == 6 and number == 0)
                ratings = {key: RATING_BY_STEP[step] if complete or key in ("social", "health")
                           else "" for key, _ in rules.AREAS}
                row = dict(
                    family=family.id, child=child["id"], assessed_on=min(day, ctx.today),
                    step=step, worrying_behaviour=BEHAVIOUR[step],
                    professional_view=PROFESSIONAL[step],
                    mother_step=max(1, step - 1), mother_view=MOTHER[step],
                    child_step=step if number % 2 else None,
                    child_view=CHILD[step] if number % 2 else "",
                    analysis_complete=rules.analysis_complete(ratings),
                    recorded_by=user_id, recorded_by_name=name,
                    **{f"{key}_rating": value for key, value in ratings.items()},
                    **{f"{key}_note": "" for key, _ in rules.AREAS})
                row["father_note"] = "Ingen kontakt til far under opholdet." if ratings[
                    "father"] else ""
                first = (await TrappeAssessment.insert(TrappeAssessment(**row)))[0]["id"]
                if not corrected and position == 0 and step >= 3:
                    corrected = True
                    fixed = {**row, "step": step - 1, "corrects": first,
                             "correction_reason": "Trinnet var skrevet forkert ind; rettet "
                                                  "efter brugerkonferencen."}
                    await TrappeAssessment.insert(TrappeAssessment(**fixed))
                day += timedelta(days=gap)
