"""Fictitious demo agreements: Sundhedsplejen, schools, Døgncenter Infanterivej, Mary Fonden,
Røde Kors (Q-net and Spilopper), bisiddere and the BIC cooperation agreement.

Runs after the network seeder, which builds the organisation directory: organisations are
looked up by kind and name; one that is missing is added to the directory. Dates are laid
out relative to ``ctx.today`` so that one agreement is overdue for evaluation and one is due
for renewal whatever day the demo is loaded. Every contact person is invented; phones in
the 70 10 xx xx range, e-mail on example.* domains.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from coordinator.agreements import service
from coordinator.agreements.cadence import add_months
from coordinator.agreements.service import AgreementInput, PartyInput
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.network.tables import Organisation

# kind -> (name keyword to prefer, name when the directory lacks it, sector)
ORGANISATIONS = {
    "crisis": ("crisis_centre", "Krisecent", "Krisecentret", "crisis_centre"),
    "modtagelsen": ("family_department", "Modtagelsen", "Familieafdelingen, Modtagelsen",
                    "social_services"),
    "health": ("health_visiting", "Sundhedspleje", "Sundhedsplejen", "health"),
    "infanterivej": ("residential_centre", "Infanterivej", "Døgncenter Infanterivej",
                     "social_services"),
    "mary": ("voluntary", "Mary Fonden", "Mary Fonden", "other"),
    "redcross": ("voluntary", "Røde Kors", "Røde Kors, Q-net og Spilopper", "other"),
    "bisidder": ("voluntary", "isidder", "Bisidderne (frivillige bisiddere)", "other"),
}
FALLBACK_SCHOOLS = ["Nørrevangskolen", "Bjerregrav Skole"]


async def _organisation(kind: str, keyword: str, fallback: str, sector: str) -> dict:
    """The directory's organisation of this kind whose name has ``keyword``; added if absent."""
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.kind == kind).order_by(Organisation.name)
    for row in rows:
        if keyword.casefold() in row["name"].casefold():
            return row
    inserted = await Organisation.insert(Organisation(name=fallback, kind=kind, sector=sector))
    return {"id": inserted[0]["id"], "name": fallback}


async def _schools() -> list[dict]:
    """Two local schools from the directory (added when the directory has fewer)."""
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.kind == "school").order_by(Organisation.name).limit(2)
    for name in FALLBACK_SCHOOLS[len(rows):]:
        inserted = await Organisation.insert(Organisation(name=name, kind="school",
                                                          sector="school_daycare"))
        rows.append({"id": inserted[0]["id"], "name": name})
    return rows


def _principal(ctx, username: str, role: Role, full_name: str) -> Principal:
    return Principal(id=ctx.users[username], username=username, role=role, full_name=full_name)


def _crisis_party(org: dict, obligations: str) -> PartyInput:
    return PartyInput(org["id"], "Birgitte Holmgaard", "birgitte.holmgaard@krisecenter.example.org",
                      "70 10 21 10", obligations)


async def seed(ctx) -> None:
    """Create the demo agreements with parties, evaluations and one kept earlier version."""
    orgs = {key: await _organisation(*spec) for key, spec in ORGANISATIONS.items()}
    schools = await _schools()
    lene = _principal(ctx, "lene", Role.LEDER, "Lene Demo Thorsen")
    sara = _principal(ctx, "sara", Role.SOCIALRAADGIVER, "Sara Demo Kristiansen")
    today: date = ctx.today
    year_start = date(today.year - 1, 1, 1)
    crisis = orgs["crisis"]

    async def create(data: AgreementInput, evaluations: list[tuple[date, str, str]]) -> int:
        agreement_id = await service.create_agreement(lene, data)
        for held_on, conclusions, changes in evaluations:
            if held_on > today:
                continue
            await service.record_evaluation(
                sara, agreement_id, held_on, "Parternes kontaktpersoner og Lene Demo Thorsen",
                conclusions, changes, today)
        return agreement_id

    # The BIC cooperation agreement: yearly evaluation meeting with Modtagelsen.
    bic_start, bic_end = year_start, date(today.year + 1, 12, 31)
    bic = AgreementInput(
        title="Samarbejdsaftale om Barnet i Centrum (BIC)",
        partner_id=orgs["modtagelsen"]["id"],
        period_start=bic_start, period_end=bic_end, evaluation_months=12,
        purpose=("At fædre til børn på krisecentret tilbydes rådgivning om barnets situation, "
                 "så børnene får en tryggere kontakt til far, uden at mor og børn bringes i fare."),
        target_group=("Fædre med bopæl i kommunen, hvis børn bor på krisecentret, og hvor mor "
                      "har givet samtykke til, at far kontaktes."),
        parties=(
            _crisis_party(crisis, "Krisecentrets socialrådgiver vurderer, om far skal "
                                  "inddrages, indhenter mors samtykke og henviser til "
                                  "Modtagelsen. Oplyser aldrig krisecentrets adresse."),
            PartyInput(orgs["modtagelsen"]["id"], "Mads Demo Frederiksen",
                       "mads@familie.example.org", "70 10 21 20",
                       "Kontaktpersonen tager kontakt til far inden for 5 hverdage, holder "
                       "op til 6 rådgivningssamtaler om barnets behov og deltager i fælles "
                       "møder med krisecentret. Deltager i det årlige evalueringsmøde."),
        ))
    bic_id = await create(bic, [(add_months(bic_start, 12) + timedelta(days=14),
                                 "Aftalen fungerer. 14 fædre henvist det første år.",
                                 "Kontaktpersonens frist for første kontakt præciseret.")])
    bic_row = await service.get_agreement(bic_id, today)
    if bic_row is None:  # created just above
        raise AssertionError(f"Agreement {bic_id} not found")
    await service.update_agreement(lene, bic_id, bic_row["version"], replace(
        bic, purpose=bic.purpose + " Fælles møder holdes på rådhuset, aldrig på krisecentret."))

    # Sundhedsplejen: quarterly, the latest evaluation long ago → overdue.
    health_start = today - timedelta(days=400)
    await create(AgreementInput(
        title="Samarbejdsaftale med Sundhedsplejen om spæd- og småbørn på krisecentret",
        partner_id=orgs["health"]["id"], period_start=health_start,
        period_end=health_start + timedelta(days=730), evaluation_months=3,
        purpose="Alle spæd- og småbørn på krisecentret får besøg af sundhedsplejen.",
        parties=(
            PartyInput(orgs["health"]["id"], "Hanne Vestergaard Lind",
                       "hanne.lind@sundhed.example.org", "70 10 22 30",
                       "Første besøg inden for 14 dage efter indflytning; videregiver "
                       "til bopælskommunens sundhedspleje ved fraflytning."),
            _crisis_party(crisis, "Giver sundhedsplejen besked ved indflytning af børn "
                                  "under 3 år (med mors samtykke)."),
        )), [(add_months(health_start, 3), "Besøgene kommer i gang som aftalt.", ""),
             (add_months(health_start, 6), "Ventetid på første besøg er for lang.",
              "Frist for første besøg ændret fra 21 til 14 dage.")])

    # Local schools: half-yearly.
    for number, school in enumerate(schools):
        start = date(today.year - 1, 8, 1)
        await create(AgreementInput(
            title=f"Skolestart for børn på krisecentret – {school['name']}",
            partner_id=school["id"], period_start=start, period_end=date(today.year + 1, 7, 31),
            evaluation_months=6,
            purpose="Børn på krisecentret begynder hurtigt i skole med en fast kontaktlærer.",
            parties=(
                PartyInput(school["id"], ["Ulla Krogsgaard", "Peter Næsby"][number],
                           f"kontaktlaerer{number + 1}@skole.example.org",
                           f"70 10 23 4{number}",
                           "Skolestart inden for 5 skoledage; fast kontaktlærer; oplyser "
                           "aldrig barnets opholdssted til andre."),
                _crisis_party(crisis, "Aftaler skolestart med skolen og forældremyndigheden."),
            )), [(d, "Børnene er kommet godt i gang.", "")
                 for d in (add_months(start, 6), add_months(start, 12))])

    # Døgncenter Infanterivej: yearly, the period ends soon → renewal due.
    dc_end = today + timedelta(days=45)
    dc_start = add_months(dc_end, -24) + timedelta(days=1)
    await create(AgreementInput(
        title="Samarbejdsaftale med Døgncenter Infanterivej om akutanbringelser",
        partner_id=orgs["infanterivej"]["id"], period_start=dc_start, period_end=dc_end,
        evaluation_months=12,
        purpose="Hurtig og tryg overgang, når et barn fra krisecentret må anbringes akut.",
        parties=(
            PartyInput(orgs["infanterivej"]["id"], "Jesper Aagaard Mortensen",
                       "jesper.mortensen@doegn.example.org", "70 10 24 50",
                       "Modtager barnet døgnet rundt; overlevering med krisecentrets "
                       "medarbejder."),
            _crisis_party(crisis, "Sender skriftlig overlevering samme dag."),
        )), [(add_months(dc_start, 12), "Få akutanbringelser; samarbejdet er godt. "
                                        "Aftalen bør fornyes uændret.", "")])

    # Mary Fonden and Røde Kors: half-yearly, evaluated in time.
    for key, title, contact, email, obligations in [
        ("mary", "Samarbejdsaftale med Mary Fonden om efterværn", "Signe Dalgaard Bach",
         "signe.bach@maryfonden.example.net",
         "Tilbyder samtalegrupper for mødre efter fraflytning."),
        ("redcross", "Samarbejdsaftale med Røde Kors om Q-net og Spilopper", "Rasmus Fogh Iversen",
         "rasmus.iversen@roedekors.example.net",
         "Q-net: netværksgrupper for mødre. Spilopper: legestue for børnene hver uge."),
    ]:
        start = date(today.year - 1, 1, 1)
        held = [d for d in (add_months(start, 6), add_months(start, 12), add_months(start, 18))
                if d <= today - timedelta(days=20)]
        await create(AgreementInput(
            title=title, partner_id=orgs[key]["id"], period_start=start,
            period_end=date(today.year + 1, 12, 31), evaluation_months=6,
            purpose="Frivillige tilbud, der styrker familiens netværk under og efter opholdet.",
            parties=(PartyInput(orgs[key]["id"], contact, email, "70 10 25 60", obligations),
                     _crisis_party(crisis, "Formidler kontakten med mors samtykke."))),
            [(d, "Tilbuddet bruges og giver mening for familierne.", "") for d in held])

    # Bisiddere: a new agreement still in draft.
    await create(AgreementInput(
        title="Aftale om frivillige bisiddere", partner_id=orgs["bisidder"]["id"],
        period_start=date(today.year, 1, 1), period_end=date(today.year + 1, 12, 31),
        evaluation_months=12, status="draft",
        purpose="Kvinder på krisecentret kan få en frivillig bisidder med til møder med "
                "myndigheder.",
        parties=(PartyInput(orgs["bisidder"]["id"], "Kirsten Bundgaard", "kirsten@bisid.example.org",
                            "70 10 26 70", "Stiller en bisidder til rådighed inden for en uge."),)),
        [])
