"""Shared builders for the meetings HTTP and service tests."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from coordinator import clock as app_clock
from coordinator.meetings import planner
from coordinator.network.tables import KeepApart, Organisation, Person


async def person(family_id: int, name: str, role: str = "private_network", *,
                 email: str = "", professional: bool = False, **flags) -> int:
    """A person in the family's network."""
    sector = "social_services" if professional else ("family" if role in ("mother", "father", "child") else "private_network")
    rows = await Person.insert(Person(family=family_id, name=name, role=role, email=email,
                                      is_professional=professional, sector=sector,
                                      is_child=role == "child", **flags))
    return rows[0]["id"]


async def keep_apart(family_id: int, a: int, b: int, reason: str = "Vold") -> None:
    """A keep-apart pair."""
    await KeepApart.insert(KeepApart(family=family_id, person_a=a, person_b=b, reason=reason))


async def crisis_centre() -> int:
    """The crisis centre in the organisation directory (location protected)."""
    rows = await Organisation.insert(Organisation(
        name="Randers Krisecenter", kind="crisis_centre", sector="crisis_centre",
        address="Hemmelig Vej 1", location_protected=True))
    return rows[0]["id"]


def working_day(after_days: int = 10) -> date:
    """A working day at least ``after_days`` from today."""
    day = app_clock.today() + timedelta(days=after_days)
    while not planner.is_working_day(day):
        day += timedelta(days=1)
    return day


def local(day: date, hour: int, minute: int = 0) -> str:
    """The value a datetime-local input sends."""
    return datetime.combine(day, time(hour, minute)).strftime("%Y-%m-%dT%H:%M")


def fgc_times(day: date) -> dict[str, str]:
    """Form fields for the three parts of a familierådslagning on ``day``."""
    return {"information_start": local(day, 9), "information_end": local(day, 9, 45),
            "family_time_start": local(day, 9, 45), "family_time_end": local(day, 11, 45),
            "plan_start": local(day, 11, 45), "plan_end": local(day, 12, 30)}


async def form_version(client, page: str, action: str) -> str | None:
    """The version the page's form for ``action`` carries (None: that form has none), as a
    browser would send it back."""
    html = (await client.get(page)).text
    form = re.search(rf'action="[^"]*{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    if form is None:
        return None
    version = re.search(r'name="version" value="(\d*)"', form.group(1))
    return version.group(1) if version else None
