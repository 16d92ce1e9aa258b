"""What a data subject's export may contain about OTHER people: pure, no DB, no HTTP.

An access request (indsigt) hands the subject their own data, but the records also name
others: the mother's protected address must not reach the father through his export,
nor the crisis centre's location. The decision is the meetings' safety rules, asked as
if the subject were the recipient of a meeting with everyone in the family's network;
``withheld_for`` returns the strings that must not appear, and ``scrub`` removes them
from every text of the export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coordinator.meetings import protected, safety

HIDDEN = safety.HIDDEN
_NETWORK_PART = "netvaerk"


def withheld_for(subject: safety.Person, others: Iterable[safety.Person],
                 protected_places: Iterable[tuple[str, ...]] = (),
                 childrens_places: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The strings the subject must not receive: others' withheld contact data, the
    facts (name, address, phone, domain) of every place whose location is secret (``protected_places``, the
    crisis centre) unless the subject is entitled to it, and a shielded family's children's
    school and day care (``childrens_places``) unless the subject may read them (the father
    and anyone who used violence may not)."""
    people = {p.id: p for p in others}
    people[subject.id] = subject
    terms = tuple(t for place in protected_places for t in place if t and t.strip())
    meeting = safety.Meeting(
        kind="netvaerksmoede", title="", description="", location=safety.Location(text=""),
        parts=(safety.MeetingPart(_NETWORK_PART, "", frozenset(people)),),
        sensitive_terms=terms, childrens_places=childrens_places)
    return without_own(safety.redact_for_recipient(meeting, subject, people).protected_strings,
                       subject)


def without_own(withheld: Iterable[str], subject: safety.Person) -> tuple[str, ...]:
    """Withheld strings minus the subject's own contact data: what they have is theirs
    (a child recorded at the mother's protected address does not hide it from her)."""
    own = {" ".join(v.split()).casefold()
           for v in (subject.email, subject.phone, subject.address) if v}
    return tuple(w for w in withheld if " ".join(w.split()).casefold() not in own)


def scrub_text(value: str, withheld: Iterable[str]) -> str:
    """The text with every withheld string replaced; if one still matches loosely (a phone
    number written differently), the whole text is replaced by ``HIDDEN``."""
    needles = [w for w in withheld if w and w.strip()]
    value = protected.replace(value, needles, HIDDEN)
    if safety.scan_for_leaks(value, needles):
        return HIDDEN
    return value


def scrub(data: Any, withheld: Iterable[str]) -> Any:
    """Every string in a JSON-like structure scrubbed (keys are left alone)."""
    withheld = tuple(withheld)
    if not withheld:
        return data
    if isinstance(data, str):
        return scrub_text(data, withheld)
    if isinstance(data, Mapping):
        return {key: scrub(value, withheld) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [scrub(value, withheld) for value in data]
    return data


# --- the method's records (Randers-trappen, Signs of Safety, handleplan, familierådslagning)

@dataclass(frozen=True)
class MethodScope:
    """Which of the family's method records belong in one person's export.

    The safety projection decides, not the records' links alone: the father's side (the
    father, anyone who used violence) never receives the mother's or the children's
    assessments, the family's mappings, the handleplan or the familierådslagning's plan,
    even when he sat in a meeting where they were made; he gets what he said himself
    (his own scale answers) and the goals and plan items he is responsible for, without
    the evaluation notes.
    """

    trappe: str          # "own": the child's own assessments; "mother": her own views; "none"
    sos_mappings: bool   # the mappings of meetings the subject took part in
    whole_plan: bool     # the whole handleplan (else the goals the subject is responsible for)
    goal_notes: bool     # the evaluations' notes
    fgc_case: bool       # the familierådslagning: referral, formøde, approvals and plan
    # (else only the plan items that name the subject as who does it)


def method_scope(role: str, is_child: bool, hostile: bool, kept_apart: bool = False
                 ) -> MethodScope:
    """The scope of ``method records`` for a subject with this network role. Someone the
    family is kept apart from (a keep-apart pair), other than the mother and the children
    themselves, is on the father's side for these records, marked violent or not."""
    if hostile or (kept_apart and not is_child and role not in ("mother", "child")):
        return MethodScope("none", False, False, False, False)
    if is_child or role == "child":
        return MethodScope("own", True, True, True, True)
    if role == "mother":
        return MethodScope("mother", True, True, True, True)
    return MethodScope("none", True, False, True, False)


def names_subject(who: str, name: str) -> bool:
    """Whether a plan item's »who« names the subject: the whole name as whole words, any
    case ("Jan" is not in "Janne (mor)", "Far" not in "Farmor")."""
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return False
    return re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)",
                     " ".join(who.split()).casefold()) is not None
