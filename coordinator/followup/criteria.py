"""The success criteria leaders follow, computed from plain facts (no DB, no HTTP).

From the seeds: the journal must show, for *every* family, that a familierådslagning was
assessed together with the family, and for every family at the crisis centre a
social-professional assessment of whether the father should be involved. Leaders also follow
whether follow-ups happen on time, returning families (gengangere) and overdue agreements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

FOLLOWUP_GRACE_DAYS = 7  # a follow-up held within a week of its due date is on time


@dataclass(frozen=True)
class FamilyFacts:
    """What the criteria need to know about one family in the period."""

    family_id: int
    current: bool
    at_crisis_centre: bool
    fgc_assessed: bool
    father_assessed: bool
    followups_due: int = 0          # follow-ups whose due date fell in the period
    followups_on_time: int = 0      # of those, held no later than due (+ grace)
    stay_years: tuple[int, ...] = ()  # the years in which a stay at the centre began
    stay_starts: tuple[date, ...] = ()  # the days stays began (preferred over stay_years)


@dataclass(frozen=True)
class Share:
    """A share of a whole, with its parts, for a chart bar and the numbers beside it."""

    label: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> int | None:
        """Whole percent, rounded half up; None when there is nothing to count."""
        if self.denominator == 0:
            return None
        return (200 * self.numerator + self.denominator) // (2 * self.denominator)


@dataclass(frozen=True)
class Criteria:
    """All figures on the success-criteria page."""

    fgc_assessed: Share
    father_assessed: Share
    followups_on_time: Share
    returning_by_year: dict[int, int] = field(default_factory=dict)
    agreements_overdue: int = 0


def compute(families: list[FamilyFacts], agreements_overdue: int = 0,
            period: tuple[date, date] | None = None) -> Criteria:
    """Compute every criterion over the current families.

    - familierådslagning: assessed / all current families;
    - father (BIC): assessed / current families at the crisis centre (the BIC target group);
    - follow-ups: held on time / due, over all current families;
    - returning families: per year, families whose stay in that year was not their first
      (each family counted once a year); with ``period``, only stays that began in it.
    """
    current = [f for f in families if f.current]
    at_centre = [f for f in current if f.at_crisis_centre]
    returning: Counter[int] = Counter()
    for family in families:
        for year in _returning_years(family, period):
            returning[year] += 1
    return from_counts(
        Counts(current=len(current), fgc_assessed=sum(f.fgc_assessed for f in current),
               at_crisis_centre=len(at_centre),
               father_assessed=sum(f.father_assessed for f in at_centre),
               followups_due=sum(f.followups_due for f in current),
               followups_on_time=sum(f.followups_on_time for f in current)),
        returning, agreements_overdue)


@dataclass(frozen=True)
class Counts:
    """The criteria's numerators and denominators, counted over the current families."""

    current: int
    fgc_assessed: int
    at_crisis_centre: int
    father_assessed: int
    followups_due: int
    followups_on_time: int


def from_counts(counts: Counts, returning_by_year: dict[int, int],
                agreements_overdue: int = 0) -> Criteria:
    """The criteria from counts already taken (the database counts at national scale)."""
    return Criteria(
        fgc_assessed=Share("Vurderet for familierådslagning", counts.fgc_assessed,
                           counts.current),
        father_assessed=Share("Vurdering af fars inddragelse (BIC)", counts.father_assessed,
                              counts.at_crisis_centre),
        followups_on_time=Share("Opfølgninger holdt til tiden", counts.followups_on_time,
                                counts.followups_due),
        returning_by_year=dict(sorted(returning_by_year.items())),
        agreements_overdue=agreements_overdue,
    )


def returning_by_year(stay_starts: dict[int, list[date]],
                      period: tuple[date, date] | None = None) -> dict[int, int]:
    """Returning families per year from each family's stay start days (see ``compute``)."""
    returning: Counter[int] = Counter()
    for days in stay_starts.values():
        for year in _returning_years(FamilyFacts(0, False, False, False, False,
                                                 stay_starts=tuple(days)), period):
            returning[year] += 1
    return dict(sorted(returning.items()))


def returning_from_later_stays(later_stays: Iterable[tuple[int, date]]) -> dict[int, int]:
    """Returning families per year from the stays that were not a family's first, as
    (family id, start day) pairs: each family counted once a year (see ``compute``)."""
    years = Counter(year for _, year in {(family, day.year) for family, day in later_stays})
    return dict(sorted(years.items()))


def _returning_years(family: FamilyFacts, period: tuple[date, date] | None) -> set[int]:
    """The years in which the family began a stay that was not its first."""
    if family.stay_starts:
        later = sorted(family.stay_starts)[1:]
        if period is not None:
            later = [day for day in later if period[0] <= day <= period[1]]
        return {day.year for day in later}
    return set(sorted(family.stay_years)[1:])


# Randers-trappen (seed 000): every journal shows the trappe and the analysis tool used.
TRAPPE_LABEL = "Randers-trappen og analysen brugt"
TRAPPE_TARGET_PERCENT = 100


def trappe_used(meeting: int, families: int) -> Share:
    """Families at the crisis centre (with children) whose every child has a trappe
    assessment in force with all five analysis areas rated, of all such families."""
    return Share(TRAPPE_LABEL, meeting, families)


def reaches_target(share: Share, target_percent: int) -> bool | None:
    """Whether the share reaches its target (None: nothing to measure)."""
    if share.denominator == 0:
        return None
    return share.numerator * 100 >= target_percent * share.denominator


def on_time(due: date, held: date | None, grace_days: int = FOLLOWUP_GRACE_DAYS) -> bool:
    """A follow-up counts as on time when held no later than ``grace_days`` after it was due."""
    return held is not None and (held - due).days <= grace_days
