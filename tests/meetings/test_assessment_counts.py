"""Assessment counts for any number of families: more ids than a driver may bind (32,767)
are read in chunks, and a family's newest assessment wins in every chunk."""

from datetime import date

from coordinator.meetings import flows
from coordinator.meetings.tables import FatherAssessment, FgcCase
from tests import factories as f


async def test_counts_for_more_families_than_one_statement_may_bind():
    worker = await f.user()
    first, last = await f.family(worker), await f.family(worker)
    await FgcCase.insert(FgcCase(family=first, possible=False, assessed_on=date(2026, 1, 5)))
    await FgcCase.insert(FgcCase(family=first, possible=True, assessed_on=date(2026, 2, 5)))
    await FatherAssessment.insert(FatherAssessment(family=last, involve=False))
    unknown = list(range(10_000_000, 10_000_000 + 40_000))
    ids = [first, *unknown, last, first]  # the last family lands in another chunk
    counts = await flows.assessment_counts(ids)
    assert len(counts) == len(unknown) + 2
    assert (counts[first].fgc_possible, counts[first].fgc_assessed_on) == (True, date(2026, 2, 5))
    assert (counts[last].father_involve, counts[last].fgc_possible) == (False, None)
    totals = await flows.assessment_totals(ids)
    assert (totals.families, totals.fgc_possible, totals.father_assessed) == (40_002, 1, 1)
