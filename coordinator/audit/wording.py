"""The audit log in plain Danish: what happened, to what, by whom – in the users' words.

An audit row stores an entity (a Danish word such as "møde"), an action ("read", "update"…)
and ids. The page shows a sentence instead ("Mødet »Første statusmøde« blev åbnet"), never
the stored keys or ids; who may see the thing's name is the service's decision.
"""

from __future__ import annotations

# The stored entity words as a sentence begins with them (the definite form).
ENTITY_NOUNS = {
    "møde": "Mødet",
    "familie": "Sagen",
    "familieside": "Familiens side",
    "lukning af sag": "Lukningen af sagen",
    "team": "Familiens team",
    "ophold": "Et ophold på krisecentret",
    "netværk": "Netværket",
    "netværksperson": "Personen i netværket",
    "person": "Personen i netværket",
    "relation": "En relation i netværket",
    "holdes_adskilt": "Et par, der skal holdes adskilt",
    "netværkskort": "Netværkskortet",
    "familierådslagning": "Familierådslagningen",
    "Barnet i Centrum": "Barnet i Centrum-forløbet",
    "BIC-fædre": "Listen over BIC-fædre",
    "handleplan": "Handleplanen",
    "Signs of Safety-kortlægning": "Signs of Safety-kortlægningen",
    "sikkerhedsskala": "Et svar på sikkerhedsskalaen",
    "randers-trappen": "Randers-trappen",
    "randers-trappen, dagsorden": "Randers-trappens punkter til teammødet",
    "randers-trappen, opfølgning": "Randers-trappens opfølgning",
    "randers-trappen, succeskriterium": "Randers-trappens succeskriterium",
    "tilfredshedsskema": "Tilfredshedsskemaet",
    "tilfredshedsskema, succeskriterium": "Tilfredshedsskemaets succeskriterium",
    "succeskriterium": "Et succeskriterium",
    "indsigt": "Et indsigtsudtræk",
    "invitation (.ics)": "En kalenderfil til en invitation",
    "invitationsbrev": "Et invitationsbrev",
    "arbejdstider": "Arbejdstiderne",
    "kalenderfeed": "Et kalenderabonnement",
    "lokale": "Lokalet",
    "organisation": "Organisationen",
    "organisationsregister": "Organisationsregistret",
    "samarbejdsaftale": "Samarbejdsaftalen",
    "aftaleevaluering": "En evaluering af en samarbejdsaftale",
    "teammøde-dagsorden": "Teammødets dagsorden",
    "samarbejdsmøde-dagsorden": "Samarbejdsmødets dagsorden",
    "enhedens familier": "Enhedens familier",
    "påmindelser": "Påmindelserne",
    "daglig påmindelse": "Den daglige påmindelse",
    "bruger": "Brugeren",
}
# What happened, after the noun.
ACTION_VERBS = {
    "read": "blev åbnet",
    "create": "blev oprettet",
    "update": "blev ændret",
    "delete": "blev slettet",
    "send": "blev sendt",
    "override": "fik en advarsel tilsidesat",
    "export": "blev hentet",
    "denied": "blev afvist (ingen adgang)",
}
# Who acted when no person did: the stored actor's prefix and how the page says it.
MACHINE_ACTORS = {
    "feed": "Et kalenderabonnement",
    "svarlink": "En deltager via sit svarlink",
    "svarmail": "Et svar pr. mail",
    "påmindelse": "Påmindelserne (automatisk)",
}


def noun(entity: str) -> str:
    """The entity as a sentence begins with it; an unknown word as it is, capitalised."""
    known = ENTITY_NOUNS.get(entity)
    if known:
        return known
    return entity[:1].upper() + entity[1:] if entity else "Noget"


def sentence(entity: str, action: str, name: str = "") -> str:
    """What happened, in plain Danish: "Mødet »Første statusmøde« blev åbnet"."""
    if action == "login":
        return "Loggede ind"
    subject = noun(entity) + (f" »{name}«" if name else "")
    return f"{subject} {ACTION_VERBS.get(action, 'blev behandlet')}"


def actor(username: str) -> str:
    """Who acted: the user's name, or what acted for nobody in particular."""
    prefix = username.split(":", 1)[0]
    if prefix in MACHINE_ACTORS and (":" in username or username == prefix):
        return MACHINE_ACTORS[prefix]
    return username or "Systemet"
