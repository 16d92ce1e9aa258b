"""Building blocks for the trappe tests: a family with a team, children, meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from coordinator import clock
from coordinator.auth.policy import Principal
from coordinator.meetings.tables import FatherAssessment, Meeting
from coordinator.network.tables import Person
from tests import factories as f

AREAS = ("social", "health", "parenting", "violence", "father")


async def child(family_id: int, name: str, birth_year: int | None = None) -> int:
    """A child in the family's network."""
    rows = await Person.insert(Person(family=family_id, name=name, role="child", is_child=True,
                                      sector="family", birth_year=birth_year))
    return rows[0]["id"]


async def meeting(family_id: int, kind: str = "netvaerksmoede", organiser: int | None = None
                  ) -> int:
    """A meeting of the family."""
    rows = await Meeting.insert(Meeting(family=family_id, kind=kind, title=f"Møde ({kind})",
                                        organiser=organiser))
    return rows[0]["id"]


def form(child_id: int, *, step: int = 3, days_ago: int = 0, complete: bool = True,
         **extra: str) -> dict:
    """A filled-in assessment form as the browser posts it."""
    data = {"child": str(child_id), "step": str(step),
            "assessed_on": (clock.today() - timedelta(days=days_ago)).isoformat(),
            "worrying_behaviour": "Trækker sig fra de andre børn",
            "professional_view": "Fagpersonerne ser et barn, der er truet i sin udvikling",
            "mother_step": "2", "mother_view": "Mor mener det går bedre",
            "child_step": "2", "child_view": "Jeg vil gerne i skole igen"}
    for key in AREAS:
        data[f"{key}_rating"] = "some" if complete else ""
        data[f"{key}_note"] = ""
    data.update(extra)
    return data


@dataclass
class World:
    """A family at the crisis centre with a socialrådgiver and the father's kontaktperson
    on its team, one child, and an outsider (a socialrådgiver on another family's team)."""

    worker: Principal
    contact: Principal
    outsider: Principal
    family_id: int
    child_id: int


async def world(unit: str = "Krisecentret", at_crisis_centre: bool = True) -> World:
    worker = await f.user("socialraadgiver", full_name="Sara Rådgiver", unit=unit)
    contact = await f.user("kontaktperson", full_name="Kim Kontakt")
    outsider = await f.user("socialraadgiver", full_name="Ole Udenfor", unit="Andet")
    await f.family(outsider)
    family_id = await f.family(worker, contact, name="Familien Trappe",
                               at_crisis_centre=at_crisis_centre,
                               opened_on=clock.today() - timedelta(days=20))
    child_id = await child(family_id, "Ida Trappe", clock.today().year - 8)
    return World(worker, contact, outsider, family_id, child_id)


async def refer_father(w: World) -> None:
    """The father is assessed for BIC and referred to the kontaktperson (her pages open)."""
    father = (await Person.insert(Person(family=w.family_id, name="Far Trappe", role="father",
                                         sector="family")))[0]["id"]
    await FatherAssessment.insert(FatherAssessment(
        family=w.family_id, father=father, status="referred", involve=True,
        assessed_on=clock.today(), mother_agreed_on=clock.today(), contact_person=w.contact.id,
        referred_on=clock.today()))
