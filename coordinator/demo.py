"""Fictitious, deterministic demo data: a municipality like Randers, about 30 families.

Every name, phone number and address here is invented. Phone numbers use the 70 10 xx xx
range and e-mail addresses the reserved example.* domains, so nothing reaches a real
person. Each domain adds its own part through ``seed(ctx)`` in its ``demo`` module.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from coordinator import clock
from coordinator.agreements.demo import seed as seed_agreements
from coordinator.auth import service as auth_service
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families import service as family_service
from coordinator.followup.demo import seed as seed_followup
from coordinator.invites.demo import seed as seed_invites
from coordinator.meetings.demo import seed as seed_meetings
from coordinator.method.demo import seed as seed_method
from coordinator.network.demo import seed as seed_network
from coordinator.satisfaction.demo import seed as seed_satisfaction
from coordinator.trappe.demo import seed as seed_trappe

DEMO_PASSWORD = "demo"
TODAY_ANCHOR = date(2026, 11, 2)  # data is laid out relative to this Monday, then shifted

SURNAMES = [
    "Bækholm", "Lindskov", "Ravnsø", "Egedal", "Storgaard", "Hyldahl", "Kjærbæk",
    "Tornbjerg", "Fjordby", "Skovlund", "Mølgård", "Enghave", "Lyngsø", "Granholt",
    "Vesterdal", "Åkjær", "Birkedal", "Søndergren", "Halkær", "Ravnkilde", "Nørskov",
    "Tjørnholm", "Bøgelund", "Krogsgård", "Damsbo", "Ellehave", "Fuglsig", "Hessel",
    "Kildemose", "Lundbæk", "Overgaard-Ny", "Pilegaard",
]

USERS = [
    # username, full name, role, unit, email
    ("sara", "Sara Demo Kristiansen", Role.SOCIALRAADGIVER, "Krisecentret",
     "sara@krisecenter.example.org"),
    ("mikkel", "Mikkel Demo Lauridsen", Role.SOCIALRAADGIVER, "Familieafdelingen",
     "mikkel@familie.example.org"),
    ("mads", "Mads Demo Frederiksen", Role.KONTAKTPERSON, "Familieafdelingen, Modtagelsen",
     "mads@familie.example.org"),
    ("lene", "Lene Demo Thorsen", Role.LEDER, "Krisecentret", "lene@krisecenter.example.org"),
    ("admin", "Administrator", Role.ADMIN, "IT", "admin@kommune.example.org"),
    ("ida", "Ida Demo Mørk", Role.SAMORDNER, "Samordnerkorpset", "ida@samordner.example.org"),
    ("jonas", "Jonas Demo Bech", Role.SOCIALRAADGIVER, "Krisecentret",
     "jonas@krisecenter.example.org"),
]


@dataclass
class DemoFamily:
    """What later seeders need to know about one demo family."""

    id: int
    name: str
    surname: str
    at_crisis_centre: bool
    index: int
    team_usernames: list[str]


@dataclass
class DemoContext:
    """Shared state for the domain seeders: one seeded random generator, users, families."""

    rng: random.Random
    today: date
    users: dict[str, int] = field(default_factory=dict)
    families: list[DemoFamily] = field(default_factory=list)


def _team_for(index: int) -> list[tuple[str, str]]:
    """sara and mikkel each have families the other is not on; some are shared."""
    if index < 12:
        return [("sara", "Socialrådgiver, krisecentret"), ("jonas", "Kontaktperson, krisecentret")]
    if index < 22:
        return [("mikkel", "Socialrådgiver, Familieafdelingen")]
    return [("sara", "Socialrådgiver, krisecentret"),
            ("mikkel", "Socialrådgiver, Familieafdelingen")]


# Work phones (the invitation letters give the socialrådgiver's); the admin has none.
PHONES = {"sara": "70 10 20 01", "mikkel": "70 10 20 02", "mads": "70 10 20 03",
          "lene": "70 10 20 04", "ida": "70 10 20 06", "jonas": "70 10 20 07"}


async def _seed_core(ctx: DemoContext) -> None:
    for username, name, role, unit, email in USERS:
        ctx.users[username] = await auth_service.create_user(
            username, name, role, DEMO_PASSWORD, email=email, unit=unit,
            phone=PHONES.get(username, ""))
    for index in range(30):
        surname = SURNAMES[index]
        team = _team_for(index)
        at_centre = index < 12 or index >= 22
        opened = ctx.today - timedelta(days=ctx.rng.randint(10, 400))
        family_id = await family_service.create_family(
            None, f"F-{2026 - (index % 3)}-{1000 + index * 7}", f"Familien {surname}", opened,
            at_crisis_centre=at_centre,
            team=[(ctx.users[u], role_label) for u, role_label in team])
        ctx.families.append(DemoFamily(family_id, f"Familien {surname}", surname, at_centre,
                                       index, [u for u, _ in team]))


def seeders() -> list:
    """The domain seeders in dependency order (each is ``async def seed(ctx)``)."""
    seeds: list = []
    seeds.append(seed_network)
    # Agreements after the network seeder: they look up its organisation directory.
    seeds.append(seed_agreements)
    # Meetings after the network seeder: they read each family's people from the database.
    seeds.append(seed_meetings)
    # Follow-up after the meetings seeder: stays and the cooperation meeting's agenda.
    seeds.append(seed_followup)
    # Satisfaction after the follow-up seeder: recent move-outs and their forms.
    seeds.append(seed_satisfaction)
    # The method after the meetings seeder: mappings in held meetings, goals on plans.
    seeds.append(seed_method)
    # Invites after the meetings seeder: series, feed links, and queued invite mails.
    seeds.append(seed_invites)
    # Randers-trappen after the network seeder: it reads each family's children.
    seeds.append(seed_trappe)
    return seeds


async def load(today: date | None = None) -> bool:
    """Load the demo once; False when it is already there (idempotent)."""
    if await User.exists().where(User.username == "sara"):
        return False
    ctx = DemoContext(rng=random.Random(20261122), today=today or clock.today())
    await _seed_core(ctx)
    for seed in seeders():
        await seed(ctx)
    return True
