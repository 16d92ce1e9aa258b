"""Randers-trappen as plain rules: the steps, the five analysis areas, what a valid
assessment is, which assessments are in force, and the follow-up cadence (no DB, no HTTP).

Seed 000 (Randers Krisecenter): the ladder has four steps, each describing behaviour that
worries; the mother and the child give their own view of where the child stands; an
analysis tool covers five areas. Seed 004 (Herning, the indsatstrappe): follow-up is
differentiated by the kind of case, and more frequent the higher the child stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from dateutil.relativedelta import relativedelta

STEPS: dict[int, str] = {
    1: "Sårbare børn og unge",
    2: "Risikobørn",
    3: "Truede børn og unge",
    4: "Børn i svære vanskeligheder",
}

# (key, label) in the seed's order; the key prefixes the table's rating/note columns.
AREAS: tuple[tuple[str, str], ...] = (
    ("social", "Sociale fællesskaber"),
    ("health", "Fysisk og psykisk helbred"),
    ("parenting", "Forælderrollen"),
    ("violence", "Et liv uden vold"),
    ("father", "Kontakt til far"),
)
AREA_LABELS = dict(AREAS)

RATINGS: dict[str, str] = {
    "good": "Godt",
    "some": "Nogen bekymring",
    "serious": "Stor bekymring",
}

TEXT_MAX = 4000
NOTE_MAX = 1000
EARLIEST_YEARS_BACK = 20  # an assessment dated before this is a typing error


@dataclass(frozen=True)
class Draft:
    """An assessment as typed, before it is accepted."""

    child_id: int | None
    assessed_on: date | None
    step: int | None
    worrying_behaviour: str = ""
    professional_view: str = ""
    mother_step: int | None = None
    mother_view: str = ""
    child_step: int | None = None
    child_view: str = ""
    ratings: Mapping[str, str] = field(default_factory=dict)  # area key → rating key
    notes: Mapping[str, str] = field(default_factory=dict)  # area key → note

    def rating(self, area: str) -> str:
        """The rating given for ``area`` ("" when not assessed)."""
        return self.ratings.get(area, "")

    def note(self, area: str) -> str:
        """The note written for ``area``."""
        return self.notes.get(area, "")


@dataclass(frozen=True)
class Refusal:
    """Why a draft is refused, and the field to put the message at."""

    field: str
    message: str


def check(draft: Draft, today: date, children: Iterable[int]) -> Refusal | None:
    """The first reason ``draft`` cannot be recorded, or None when it can."""
    if draft.child_id is None or draft.child_id not in set(children):
        return Refusal("child", "Vælg det barn, vurderingen gælder.")
    if draft.assessed_on is None:
        return Refusal("assessed_on", "Skriv datoen for vurderingen.")
    if draft.assessed_on > today:
        return Refusal("assessed_on", "Datoen for vurderingen ligger i fremtiden. "
                                      "Registrér en vurdering, når den er lavet.")
    if draft.assessed_on < today - timedelta(days=365 * EARLIEST_YEARS_BACK):
        return Refusal("assessed_on", "Datoen for vurderingen ligger for langt tilbage.")
    if draft.step not in STEPS:
        return Refusal("step", "Vælg det trin på trappen, I vurderer barnet på.")
    for name, value in (("mother_step", draft.mother_step), ("child_step", draft.child_step)):
        if value is not None and value not in STEPS:
            return Refusal(name, "Vælg et af trappens fire trin, eller lad feltet stå tomt.")
    if not draft.worrying_behaviour.strip():
        return Refusal("worrying_behaviour", "Beskriv den adfærd, der bekymrer.")
    for key, label in AREAS:
        if draft.rating(key) not in ("", *RATINGS):
            return Refusal(f"{key}_rating", f"Vælg en vurdering for »{label}«.")
        if draft.note(key) and not draft.rating(key):
            return Refusal(f"{key}_rating", f"Vælg en vurdering for »{label}«, "
                                            "eller slet noten.")
    return None


def analysis_complete(ratings: Mapping[str, str]) -> bool:
    """The analysis is used when every one of the five areas has a rating."""
    return all(ratings.get(key, "") in RATINGS for key, _ in AREAS)


@dataclass(frozen=True)
class Assessment:
    """A stored assessment as the rules see it."""

    id: int
    child_id: int
    assessed_on: date
    step: int
    analysis_complete: bool = False
    corrects: int | None = None


def in_force(assessments: Iterable[Assessment]) -> list[Assessment]:
    """The assessments no later row corrects, oldest first (by date, then as recorded).

    A correction takes the place of the row it corrects; the corrected row stays in the
    history but counts no more.
    """
    rows = list(assessments)
    corrected = {a.corrects for a in rows if a.corrects is not None}
    return sorted((a for a in rows if a.id not in corrected), key=lambda a: (a.assessed_on, a.id))


# Meeting kinds where the trappe is an agenda item (never the BIC meetings with the father).
MEETING_KINDS = ("netvaerksmoede", "statusmoede", "familieraadslagning",
                 "familieraadslagning_followup")


def offered_in(kind: str) -> bool:
    """Whether a meeting of ``kind`` offers the trappe as an agenda item."""
    return kind in MEETING_KINDS


# --- the follow-up cadence (issue 16, point 6) -----------------------------------------------

class CaseType(str, Enum):
    """What kind of case the family is, as far as follow-up goes."""

    CRISIS_CENTRE = "crisis_centre"  # living at the crisis centre (§ 109)
    AFTER_CARE = "after_care"        # moved out, coordinating counselling (§ 109, stk. 7)
    PREVENTIVE = "preventive"        # other current cases (e.g. § 52 measures)


CASE_TYPE_LABELS = {
    CaseType.CRISIS_CENTRE: "Ophold på krisecentret",
    CaseType.AFTER_CARE: "Efterværn (§ 109, stk. 7)",
    CaseType.PREVENTIVE: "Forebyggende sag",
}

# How often a child is followed up, by the step it stands on: the higher the step, the
# closer the follow-up (truede børn every 14 days; a stable child quarterly).
STEP_INTERVALS: dict[int, relativedelta] = {
    4: relativedelta(weeks=1),
    3: relativedelta(weeks=2),
    2: relativedelta(months=1),
    1: relativedelta(months=3),
}
STEP_INTERVAL_LABELS = {4: "hver uge", 3: "hver 14. dag", 2: "hver måned", 1: "hvert kvartal"}
# At the crisis centre every child is looked at on the brugerkonference at least monthly.
CRISIS_CENTRE_LONGEST = relativedelta(months=1)
# Herning: a new preventive case is followed up after 4 weeks, then on its cadence.
FIRST_FOLLOWUP = relativedelta(weeks=4)
DUE_SOON_DAYS = 14  # what the start page and the team agenda show ahead


def case_type(at_crisis_centre: bool, after_care_until: date | None, on: date) -> CaseType:
    """The family's case type on ``on``."""
    if at_crisis_centre:
        return CaseType.CRISIS_CENTRE
    if after_care_until is not None and after_care_until >= on:
        return CaseType.AFTER_CARE
    return CaseType.PREVENTIVE


def interval(kind: CaseType, step: int) -> relativedelta:
    """How long may pass between two follow-ups of a child on ``step`` in a ``kind`` case."""
    base = STEP_INTERVALS[step]
    if kind is CaseType.CRISIS_CENTRE and _days(base) > _days(CRISIS_CENTRE_LONGEST):
        return CRISIS_CENTRE_LONGEST
    return base


def interval_label(kind: CaseType, step: int) -> str:
    """The cadence in words (»hver 14. dag«)."""
    if interval(kind, step) == CRISIS_CENTRE_LONGEST and step == 1:
        return "hver måned (på krisecentret)"
    return STEP_INTERVAL_LABELS[step]


def _days(delta: relativedelta) -> int:
    return (date(2001, 1, 1) + delta - date(2001, 1, 1)).days


@dataclass(frozen=True)
class ChildFollowup:
    """When a child's next follow-up on the trappe is due, and why."""

    child_id: int
    step: int | None           # None: no assessment yet
    last_on: date | None
    due_on: date
    cadence: str

    def overdue(self, on: date) -> bool:
        """The follow-up should have happened before ``on``."""
        return self.due_on < on

    def due_within(self, on: date, days: int = DUE_SOON_DAYS) -> bool:
        """Due on or before ``days`` after ``on`` (overdue included)."""
        return self.due_on <= on + timedelta(days=days)


def next_followup(child_id: int, kind: CaseType, history: list[Assessment], opened_on: date
                  ) -> ChildFollowup:
    """The child's next follow-up from its assessments in force (oldest first).

    - no assessment yet: at the crisis centre due from the day the case opened (the method
      uses the trappe from the first conversations); otherwise four weeks after it opened;
    - one assessment in a preventive case: four weeks after it (Herning), unless the step
      asks for sooner;
    - otherwise: the last assessment plus the interval of its step and the case type.
    """
    if not history:
        due = opened_on if kind is CaseType.CRISIS_CENTRE else opened_on + FIRST_FOLLOWUP
        return ChildFollowup(child_id, None, None, due, "første vurdering")
    last = history[-1]
    due = last.assessed_on + interval(kind, last.step)
    if kind is CaseType.PREVENTIVE and len(history) == 1:
        due = min(due, last.assessed_on + FIRST_FOLLOWUP)
    return ChildFollowup(child_id, last.step, last.assessed_on, due, interval_label(kind, last.step))


def analysed_children(assessments: Iterable[Assessment]) -> set[int]:
    """The children with an assessment in force whose analysis covers all five areas."""
    return {a.child_id for a in in_force(assessments) if a.analysis_complete}


def family_meets_criterion(children: Iterable[int], assessments: Iterable[Assessment]) -> bool:
    """The success criterion for one family: every child has an assessment in force with the
    analysis complete (seed 000: every journal shows the trappe and the analysis used)."""
    ids = list(children)
    return bool(ids) and set(ids) <= analysed_children(assessments)

