"""Meeting participants as the other domains see them: the vocabulary of a participant's
meeting role and answer, and a participant row as the safety rules see it.

Pure: plain rows in, plain values out. Meetings, invites and gdpr all build their
``safety.Person`` here, so entitlement to protected places is decided in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coordinator.auth.roles import NOT_ENTITLED, Role
from coordinator.auth.roles import values as role_values
from coordinator.meetings import kinds, safety

# The participant's role in the meeting (stored key → Danish label).
ROLES: dict[str, str] = {
    "informatoer": "Informatør",
    "socialraadgiver": "Socialrådgiver",
    "samordner": "Samordner",
    "kontaktperson": "Kontaktperson, Modtagelsen",
    "mother": "Mor",
    "father": "Far",
    "child": "Barn",
    "family": "Familie",
    "private_network": "Privat netværk",
    "professional": "Fagperson",
}
# The professionals who organise the meeting with the family: invited to a
# familierådslagning's information and plan, and carried over to its follow-up meeting
# (other professionals come for the information only).
ORGANISER_ROLES = frozenset({"socialraadgiver", "samordner"})
# The meeting role a user account takes unless the form chose one: the samordner and the
# father's kontaktperson keep their own, every other colleague joins as socialrådgiver.
_ACCOUNT_ROLES = {Role.SAMORDNER.value: "samordner", Role.KONTAKTPERSON.value: "kontaktperson"}
# TENTATIVE is the calendar's own "maybe"; PROPOSED is a proposed other time (the answer
# link, or an answer the socialrådgiver recorded).
RSVP_LABELS = {"NEEDS-ACTION": "Ikke svaret", "ACCEPTED": "Deltager", "DECLINED": "Afbud",
               "TENTATIVE": "Måske", "PROPOSED": "Foreslår et andet tidspunkt",
               "DELEGATED": "Har sendt en anden"}


def role_of_account(account_role: str) -> str:
    """The meeting role (a key of ``ROLES``) of a colleague added by their user account."""
    return _ACCOUNT_ROLES.get(account_role, "socialraadgiver")


def safety_id(participant: Mapping[str, Any]) -> str:
    """The id a participant has in the safety rules: their network person, user, or row."""
    if participant.get("person"):
        return f"person:{participant['person']}"
    if participant.get("user"):
        return f"user:{participant['user']}"
    return f"participant:{participant['id']}"


# Accounts whose holders are never entitled to protected places (DOMAIN.md, Audiences).
NOT_ENTITLED_ROLES = frozenset(role_values(NOT_ENTITLED))
# The meeting roles of those outside the family's team (``safety.Person.outside_team``),
# whether they take part by their account or are typed in by name and address.
OUTSIDE_TEAM_ROLES = frozenset({"samordner", "kontaktperson"})
_SAFETY_ROLES = {"mother": safety.Role.MOTHER, "father": safety.Role.FATHER,
                 "child": safety.Role.CHILD}
_PROFESSIONAL = kinds.ParticipantCategory.PROFESSIONAL.value
_FAMILY_SIDE = frozenset({safety.Role.MOTHER, safety.Role.CHILD})

# Whether the participant's network person (``pe``) is kept apart from the mother, a child
# or a protected person of the family (``safety.Person.kept_apart``): a column of the
# participant reads, one lookup per index of ``keep_apart``.
_KEPT_FROM = ('EXISTS (SELECT 1 FROM "keep_apart" k JOIN "person" o ON o."id" = k."{other}" '
              'WHERE k."{this}" = pe."id" AND (o."role" IN (\'mother\', \'child\') '
              'OR o."is_child" = {true} OR o."protected_address" = {true}))')
KEPT_APART_COLUMN = ("(" + _KEPT_FROM.format(this="person_a", other="person_b", true="TRUE")
                     + " OR " + _KEPT_FROM.format(this="person_b", other="person_a", true="TRUE")
                     + ') AS "kept_apart"')


# Whether the participant's account is the family's staff now: active, and on the family's
# team (a meeting between organisations, with no family, has no team: any active account).
# Read with every participant row, so an account taken off the team or deactivated reads the
# meeting as anyone outside the team from the next output on (``safety_person``).
ON_TEAM_COLUMN = (
    '(u."active" AND (NOT EXISTS (SELECT 1 FROM "meeting" om WHERE om."id" = p."meeting" '
    'AND om."family" IS NOT NULL) OR EXISTS (SELECT 1 FROM "team_member" tm '
    'JOIN "meeting" tmm ON tmm."family" = tm."family" '
    'WHERE tmm."id" = p."meeting" AND tm."user" = u."id"))) AS "user_on_team"')


def kept_apart_ids(pairs: Iterable[tuple[int, int]], people: Mapping[int, Mapping[str, Any]]
                   ) -> set[int]:
    """The network persons kept apart from the mother, a child or a protected person, from
    the family's keep-apart pairs and its people by id (``KEPT_APART_COLUMN`` in SQL)."""
    def family_side(person_id: int) -> bool:
        other = people.get(person_id)
        return other is not None and (other["role"] in ("mother", "child")
                                      or bool(other.get("is_child"))
                                      or bool(other.get("protected_address")))
    found: set[int] = set()
    for a, b in pairs:
        if family_side(b):
            found.add(a)
        if family_side(a):
            found.add(b)
    return found


def safety_person(row: Mapping[str, Any], family_at_centre: bool) -> safety.Person:
    """The participant row (with its person's and account's facts, as
    ``meetings.service.participants_of`` and ``invites.service.load_meetings`` read them) as
    the safety rules see it: roles, contact data and who is entitled to protected places."""
    role_key = row.get("person_role") or row["role"]
    roles = {_SAFETY_ROLES[role_key]} if role_key in _SAFETY_ROLES else set()
    if row["role"] in _SAFETY_ROLES:
        roles.add(_SAFETY_ROLES[row["role"]])
    if row["category"] == _PROFESSIONAL:
        roles.add(safety.Role.PROFESSIONAL)
    if not roles:
        roles.add(safety.Role.PRIVATE)
    # Entitlement follows the person's role in the family, never what was typed into a form:
    # the mother and children count only as the family's own network persons, and a user
    # account counts as staff only while it is active and on the family's team
    # (``ON_TEAM_COLUMN``), and never the samordner's (external by the method) or the
    # father's kontaktperson in Modtagelsen (father side: never the mother's whereabouts).
    # An account taken off the team or deactivated reads the meeting as a professional
    # outside the team.
    network_role = row.get("person_role")
    family_role = _SAFETY_ROLES.get(network_role) if network_role else None
    account = row.get("user") is not None
    staff = (account and row.get("user_role") not in NOT_ENTITLED_ROLES
             and bool(row.get("user_on_team")))
    internal = staff or row.get("person_sector") == "crisis_centre"
    protected = bool(row.get("protected_address"))
    entitled = (internal or (protected and family_role is safety.Role.MOTHER)
                or (family_at_centre and family_role is safety.Role.CHILD))
    return safety.Person(
        id=row["safety_id"], name=row["name"], roles=frozenset(roles),
        email=row["email"] or None, phone=row.get("person_phone") or None,
        address=row.get("person_address") or None, organisation=row["organisation"] or None,
        protected_address=protected, used_violence=bool(row.get("used_violence")),
        contact_only_via_worker=bool(row.get("contact_only_via_worker")),
        entitled_to_protected_location=entitled, internal=internal,
        # the samordner's and the kontaktperson's account, or either one typed in by role
        outside_team=(account and not staff) or row["role"] in OUTSIDE_TEAM_ROLES,
        kept_apart=bool(row.get("kept_apart")) and family_role not in _FAMILY_SIDE)


def withholds_contact(person: Mapping[str, Any]) -> bool:
    """Whether a network person's contact data is withheld from those not entitled to it
    (a protected address, or reached only through the socialrådgiver): one of the family's
    ``safety.Meeting.protected_people``."""
    return bool(person["protected_address"]) or bool(person["contact_only_via_worker"])


def protected_person(person: Mapping[str, Any]) -> safety.Person:
    """A network person of the family whose contact data is withheld (``withholds_contact``),
    from their ``person`` row, as the safety rules see them whether or not they are invited
    (``safety.Meeting.protected_people``): the id their participant row would have, their
    role in the family, and their address, phone and e-mail."""
    roles = {_SAFETY_ROLES[person["role"]]} if person["role"] in _SAFETY_ROLES else set()
    if person["is_child"]:
        roles.add(safety.Role.CHILD)
    if person["is_professional"]:
        roles.add(safety.Role.PROFESSIONAL)
    return safety.Person(
        id=f"person:{person['id']}", name=person["name"],
        roles=frozenset(roles or {safety.Role.PRIVATE}),
        email=person["email"] or None, phone=person["phone"] or None,
        address=person["address"] or None,
        protected_address=bool(person["protected_address"]),
        used_violence=bool(person["used_violence"]),
        contact_only_via_worker=bool(person["contact_only_via_worker"]))
