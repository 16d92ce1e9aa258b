"""Fictitious demo networks: an organisation directory like Randers', and 8–40 people per family.

Everything is invented: names, addresses (the crisis centre's address is a made-up one and
marked location-protected), phones in the 70 10 xx xx range, e-mail on example.org. The
random choices come from ``ctx.rng``, so the same seed gives the same networks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from coordinator import db
from coordinator.network.tables import KeepApart, NetworkChange, Organisation, Person, Relation
from coordinator.network.vocab import OrganisationKind

# name, kind, phone, location_protected, address
DIRECTORY: list[tuple[str, str, str, bool, str]] = [
    ("Sundhedsplejen", "health_visiting", "+45 70 10 30 01", False, ""),
    ("Nørrevangskolen", "school", "+45 70 10 30 11", False, ""),
    ("Bjerregrav Skole", "school", "+45 70 10 30 12", False, ""),
    ("Fjordbakkeskolen", "school", "+45 70 10 30 13", False, ""),
    ("Vestervangskolen", "school", "+45 70 10 30 14", False, ""),
    ("Toftebjergskolen", "school", "+45 70 10 30 15", False, ""),
    ("Børnehuset Mælkebøtten", "day_care", "+45 70 10 30 21", False, ""),
    ("Dagtilbud Solsikken", "day_care", "+45 70 10 30 22", False, ""),
    ("Vuggestuen Lærkereden", "day_care", "+45 70 10 30 23", False, ""),
    ("PPR", "ppr", "+45 70 10 30 31", False, ""),
    ("Jobcenteret", "job_centre", "+45 70 10 30 41", False, ""),
    ("Integrationskontoret", "job_centre", "+45 70 10 30 42", False, ""),
    ("Ydelseskontoret", "benefits_office", "+45 70 10 30 43", False, ""),
    ("Ungdommens Uddannelsesvejledning (UU)", "youth_guidance", "+45 70 10 30 44", False, ""),
    ("Familieafdelingen", "family_department", "+45 70 10 30 51", False, ""),
    ("Familieafdelingen, Modtagelsen", "family_department", "+45 70 10 30 52", False, ""),
    ("Myndighedscentret", "authority", "+45 70 10 30 53", False, ""),
    ("Krisecentret", "crisis_centre", "+45 70 10 30 61", True, "Lyngbakken 0, 8999 Demoby"),
    ("Døgncenter Infanterivej", "residential_centre", "+45 70 10 30 62", False, ""),
    ("Mary Fonden", "voluntary", "+45 70 10 30 71", False, ""),
    ("Røde Kors, Q-net og Spilopper", "voluntary", "+45 70 10 30 72", False, ""),
    ("Bisidderne (frivillige bisiddere)", "voluntary", "+45 70 10 30 73", False, ""),
    ("Politiet, forebyggende afdeling", "police", "+45 70 10 30 81", False, ""),
    ("Lægehuset Fjordparken", "doctor", "+45 70 10 30 91", False, ""),
]

WOMEN = ["Anna", "Maria", "Sofie", "Louise", "Camilla", "Mette", "Line", "Sara", "Nadia", "Fatima",
         "Julie", "Katrine", "Pernille", "Amira", "Helle", "Tina", "Signe", "Rikke"]
MEN = ["Jens", "Thomas", "Martin", "Ali", "Kasper", "Morten", "Rasmus", "Omar", "Henrik",
       "Jesper", "Nikolaj", "Brian", "Mikael", "Peter", "Lars", "Anders"]
GIRLS = ["Emma", "Ida", "Freja", "Alma", "Clara", "Ella", "Karla", "Aya", "Luna", "Asta"]
BOYS = ["Noah", "William", "Oscar", "Karl", "Malik", "Alfred", "Lucas", "Elias", "Adam", "Storm"]
OLD_WOMEN = ["Grethe", "Inge", "Bodil", "Hanne", "Birthe", "Lis"]
OLD_MEN = ["Poul", "Erik", "Bent", "Ole", "Kurt", "Svend"]
STAFF_SURNAMES = ["Kronborg", "Mølvig", "Dalsgård", "Hvidbjerg", "Lykkegård", "Sandvad",
                  "Tranholm", "Vejlby", "Østergaard-Fiktiv", "Bredkær", "Holmsland", "Engsig"]

GRAND_HELP = ["Henter børnene i skole om tirsdagen", "Passer børnene, når mor er til møder",
              "Har børnene på overnatning hver anden weekend", "Laver aftensmad om torsdagen",
              "Kører med til fritidsaktiviteter"]
FRIEND_HELP = ["Er der om aftenen, når det er svært", "Følger med til møder på kommunen",
               "Hjælper med post og breve", "Går ture med mor", "Kan kontaktes døgnet rundt"]
NEIGHBOUR_HELP = ["Holder øje og ringer, hvis der er noget", "Passer hunden", "Låner ud af bilen",
                  "Tager imod børnene efter skole"]


@dataclass
class _Builder:
    """Collects one family's people and edges before they are written."""

    ctx: object
    family_id: int
    surname: str
    people: list[dict] = field(default_factory=list)
    relations: list[tuple[int, str, int | None, int | None, str]] = field(default_factory=list)
    apart: list[tuple[int, int, str]] = field(default_factory=list)

    def phone(self) -> str:
        rng = self.ctx.rng  # type: ignore[attr-defined]
        return f"+45 70 10 {rng.randint(40, 99):02d} {rng.randint(0, 99):02d}"

    def person(self, name: str, role: str, sector: str, **kw: object) -> int:
        index = len(self.people)
        self.people.append({"name": name, "role": role, "sector": sector, **kw})
        return index

    def rel(self, source: int, type_: str, target: int | None = None, org: int | None = None,
            note: str = "") -> None:
        self.relations.append((source, type_, target, org, note))


def _email(name: str, domain: str) -> str:
    local = name.lower().replace(" ", ".").replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return f"{local}@{domain}.example.org"


async def _directory() -> dict[str, dict]:
    orgs: dict[str, dict] = {}
    for name, kind, phone, protected, address in DIRECTORY:
        sector = OrganisationKind(kind).default_sector.value
        rows = await Organisation.insert(Organisation(
            name=name, kind=kind, sector=sector, phone=phone, location_protected=protected,
            address=address, email=_email(name.split(",")[0].split(" (")[0], "kommune")))
        orgs[name] = {"id": rows[0]["id"], "kind": kind, "sector": sector}
    return orgs


def _build(ctx, family, orgs: dict[str, dict]) -> _Builder:  # noqa: C901 - one family's story
    rng = ctx.rng
    b = _Builder(ctx, family.id, family.surname)
    staff = iter(rng.sample(STAFF_SURNAMES, len(STAFF_SURNAMES)) * 3)

    def pro(first: str, title: str, org: str, domain: str) -> int:
        name = f"{first} {next(staff)}"
        return b.person(name, "professional", orgs[org]["sector"], is_professional=True,
                        organisation=orgs[org]["id"], title=title, phone=b.phone(),
                        email=_email(name, domain))

    violent = family.at_crisis_centre and rng.random() < 0.75
    mother = b.person(f"{rng.choice(WOMEN)} {family.surname}", "mother", "family",
                      phone=b.phone(), protected_address=family.at_crisis_centre)
    father = b.person(f"{rng.choice(MEN)} {rng.choice(STAFF_SURNAMES)}sen", "father", "family",
                      phone=b.phone(), used_violence=violent, contact_only_via_worker=violent)
    if violent:
        b.apart.append((mother, father, "Vold i hjemmet; mor bor på krisecentret"))
    children = []
    ages = sorted((rng.randint(0, 16) for _ in range(rng.randint(1, 4))), reverse=True)
    names = rng.sample(GIRLS, 4) + rng.sample(BOYS, 4)
    for age in ages:
        child = b.person(names.pop(rng.randrange(len(names))), "child", "family", is_child=True,
                         birth_year=ctx.today.year - age)
        children.append((child, age))
        b.rel(mother, "mother_of", child)
        b.rel(father, "father_of", child)
    for (a, _), (c, _) in itertools.pairwise(children):
        b.rel(a, "sibling_of", c)

    # Private network: grandparents, an aunt, friends, neighbours, with what they help with.
    for first, type_ in rng.sample([(rng.choice(OLD_WOMEN), "grandmother_of"),
                                    (rng.choice(OLD_MEN), "grandfather_of"),
                                    (rng.choice(OLD_WOMEN), "grandmother_of")], rng.randint(1, 3)):
        grand = b.person(f"{first} {family.surname}", "relative", "private_network",
                         phone=b.phone())
        help_ = rng.choice(GRAND_HELP) if rng.random() < 0.8 else ""
        for child, _ in children:
            b.rel(grand, type_, child, note=help_)
    if rng.random() < 0.6:
        aunt = b.person(f"{rng.choice(WOMEN)} {family.surname}", "relative", "private_network",
                        phone=b.phone())
        for child, _ in children:
            b.rel(aunt, "aunt_uncle_of", child, note="Moster – tager børnene med på ferie")
    for _ in range(rng.randint(1, 3)):
        friend = b.person(f"{rng.choice(WOMEN)} {rng.choice(STAFF_SURNAMES)}", "private_network",
                          "private_network", phone=b.phone())
        b.rel(friend, "friend_of", mother, note=rng.choice(FRIEND_HELP))
    for _ in range(rng.randint(0, 2)):
        neighbour = b.person(f"{rng.choice(MEN + WOMEN)} {rng.choice(STAFF_SURNAMES)}",
                             "private_network", "private_network", phone=b.phone())
        b.rel(neighbour, "neighbour_of", mother, note=rng.choice(NEIGHBOUR_HELP))

    # Professionals around the children and the parents.
    worker = pro(rng.choice(WOMEN), "Socialrådgiver", "Familieafdelingen", "familie")
    pros = [worker]
    for child, _ in children:
        b.rel(worker, "social_worker_for", child)
    schools = [n for n, _, _, _, _ in DIRECTORY if orgs[n]["kind"] == "school"]
    daycares = [n for n, _, _, _, _ in DIRECTORY if orgs[n]["kind"] == "day_care"]
    school, daycare = rng.choice(schools), rng.choice(daycares)
    for child, age in children:
        if age >= 6:
            teacher = pro(rng.choice(WOMEN + MEN), "Klasselærer", school, "skole")
            b.rel(teacher, "teacher_of", child, note="Daglig kontakt; følger trivsel i klassen")
            pros.append(teacher)
            if rng.random() < 0.35:
                psych = pro(rng.choice(WOMEN), "Psykolog", "PPR", "ppr")
                b.rel(psych, "psychologist_for", child, note="Samtaleforløb og råd til skolen")
                b.rel(psych, "knows", teacher)
                pros.append(psych)
        elif age >= 1:
            ped = pro(rng.choice(WOMEN + MEN), "Pædagog", daycare, "dagtilbud")
            b.rel(ped, "pedagogue_of", child, note="Særlig opmærksomhed på sprog")
            pros.append(ped)
        else:
            nurse = pro(rng.choice(WOMEN), "Sundhedsplejerske", "Sundhedsplejen", "sundhed")
            b.rel(nurse, "health_visitor_for", child, note="Hjemmebesøg hver 3. uge")
            pros.append(nurse)
    if family.at_crisis_centre:
        contact = pro(rng.choice(WOMEN), "Kontaktperson", "Krisecentret", "krisecenter")
        b.rel(contact, "contact_person_for", mother, note="Samtaler to gange om ugen")
        b.rel(contact, "knows", worker)
        ped = pro(rng.choice(WOMEN + MEN), "Børnepædagog", "Krisecentret", "krisecenter")
        for child, _ in children:
            b.rel(ped, "pedagogue_of", child, note="Børnesamtaler og legegruppe")
        pros += [contact, ped]
        if rng.random() < 0.5:
            bisidder = pro(rng.choice(WOMEN), "Frivillig bisidder", "Bisidderne (frivillige bisiddere)",
                           "frivillig")
            b.rel(bisidder, "supports", mother, note="Følger med til møder med myndigheder")
    if violent and rng.random() < 0.7:
        modt = pro(rng.choice(MEN), "Kontaktperson (BIC)", "Familieafdelingen, Modtagelsen",
                   "familie")
        b.rel(modt, "contact_person_for", father, note="Rådgivning om skilsmisse, bolig og økonomi")
        b.rel(modt, "knows", worker)
    if rng.random() < 0.6:
        job = pro(rng.choice(MEN + WOMEN), "Jobkonsulent", rng.choice(
            ["Jobcenteret", "Integrationskontoret", "Ydelseskontoret"]), "job")
        b.rel(job, "contact_person_for", mother, note="Forløb om job og forsørgelse")
        pros.append(job)
    if rng.random() < 0.5:
        doctor = pro(rng.choice(MEN + WOMEN), "Praktiserende læge", "Lægehuset Fjordparken", "laege")
        for child, _ in children:
            b.rel(doctor, "doctor_for", child)
    if rng.random() < 0.3:
        volunteer = pro(rng.choice(WOMEN), "Frivillig", rng.choice(
            ["Mary Fonden", "Røde Kors, Q-net og Spilopper"]), "frivillig")
        b.rel(volunteer, "supports", mother, note="Netværksgruppe for mødre")
    # Some professionals know each other; some children have a named tovholder.
    for a, c in zip(pros, pros[2:], strict=False):
        if rng.random() < 0.3:
            b.rel(a, "knows", c)
    for child, _ in children:
        if rng.random() < 0.5:
            b.rel(worker, "coordinator_for", child, note="Tovholder for samarbejdet om barnet")
    return b


async def _write(b: _Builder) -> int:
    ids: list[int] = []
    async with db.transaction():
        for person in b.people[:40]:
            rows = await Person.insert(Person(family=b.family_id, **person))
            ids.append(rows[0]["id"])
        for source, type_, target, org, note in b.relations:
            if source >= len(ids) or (target is not None and target >= len(ids)):
                continue
            await Relation.insert(Relation(
                family=b.family_id, source=ids[source],
                target_person=ids[target] if target is not None else None,
                target_organisation=org, type=type_, note=note))
        for a, c, reason in b.apart:
            await KeepApart.insert(KeepApart(family=b.family_id, person_a=ids[a],
                                             person_b=ids[c], reason=reason))
        await NetworkChange.insert(NetworkChange(
            family=b.family_id, username="demo", entity="netværk",
            summary=f"Demonetværk indlæst: {len(ids)} personer, {len(b.relations)} relationer",
            new_value="Fiktive demodata"))
    return len(ids)


async def seed(ctx) -> None:
    """The organisation directory, then a realistic network for every demo family."""
    orgs = await _directory()
    for family in ctx.families:
        builder = _build(ctx, family, orgs)
        while len(builder.people) < 8:  # small families still get a minimal private network
            extra = builder.person(f"{ctx.rng.choice(WOMEN)} {ctx.rng.choice(STAFF_SURNAMES)}",
                                   "private_network", "private_network", phone=builder.phone())
            builder.rel(extra, "friend_of", 0, note=ctx.rng.choice(FRIEND_HELP))
        await _write(builder)
