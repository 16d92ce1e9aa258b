"""What a data subject's export may contain about OTHER people: pure, no DB, no HTTP.

An access request (indsigt) hands the subject their own data, but the records also name
others: the mother's protected address must not reach the father through his export,
nor the crisis centre's location. The decision is the meetings' safety rules, asked as
if the subject were the recipient of a meeting with everyone in the family's network;
``withheld_for`` returns the strings that must not appear, and ``scrub`` removes them
from every text of the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coordinator.meetings import protected, safety

HIDDEN = safety.HIDDEN
_NETWORK_PART = "netvaerk"


def withheld_for(subject: safety.Person, others: Iterable[safety.Person],
                 protected_places: Iterable[tuple[str, ...]] = ()) -> tuple[str, ...]:
    """The strings the subject must not receive: others' withheld contact data, and the
    facts (name, address, phone, domain) of every place whose location is secret (``protected_places``, the
    crisis centre) unless the subject is entitled to it."""
    people = {p.id: p for p in others}
    people[subject.id] = subject
    terms = tuple(t for place in protected_places for t in place if t and t.strip())
    meeting = safety.Meeting(
        kind="netvaerksmoede", title="", description="", location=safety.Location(text=""),
        parts=(safety.MeetingPart(_NETWORK_PART, "", frozenset(people)),),
        sensitive_terms=terms)
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
