"""The database's count of agreements needing attention (overdue evaluation, ran out
unrenewed) equals the cadence applied to every agreement, month ends and boundaries
included, on both engines."""

from datetime import date

import pytest

from coordinator.agreements import service
from coordinator.agreements.cadence import Status
from coordinator.agreements.tables import Agreement, AgreementEvaluation
from coordinator.network.tables import Organisation

# (start, end, rhythm in months, evaluations, status)
AGREEMENTS = [
    (date(2025, 11, 30), date(2027, 12, 31), 3, (), "active"),            # next 28 Feb 2026
    (date(2025, 11, 29), date(2027, 12, 31), 3, (), "active"),            # next 28 Feb 2026
    (date(2025, 12, 1), date(2027, 12, 31), 3, (), "active"),             # next 1 Mar 2026
    (date(2025, 1, 31), date(2027, 12, 31), 1, (date(2026, 1, 31),), "active"),  # 28 Feb
    (date(2025, 1, 31), date(2027, 12, 31), 12, (date(2025, 2, 28),), "active"),  # 28 Feb
    (date(2024, 2, 29), date(2027, 12, 31), 12, (date(2025, 2, 28), date(2024, 3, 1)), "active"),
    (date(2025, 1, 1), date(2026, 2, 28), 6, (date(2025, 8, 31),), "active"),  # next after end
    (date(2025, 1, 1), date(2026, 2, 27), 1, (), "active"),               # ran out 27 Feb
    (date(2026, 3, 1), date(2027, 3, 1), 1, (), "active"),                # not begun yet
    (date(2025, 1, 1), date(2026, 1, 1), 3, (), "archived"),              # archived: never
    (date(2025, 1, 1), date(2027, 1, 1), 3, (), "draft"),                 # draft: never
    (date(2021, 8, 31), date(2031, 8, 31), 60, (), "active"),             # next 31 Aug 2026
]


@pytest.mark.parametrize("on", [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1),
                                date(2026, 3, 2), date(2026, 8, 31), date(2026, 9, 1)])
async def test_count_equals_the_cadence_of_every_agreement(on):
    partner = (await Organisation.insert(Organisation(name="Skolen", kind="school",
                                                      sector="school")))[0]["id"]
    for index, (start, end, months, held, status) in enumerate(AGREEMENTS):
        rows = await Agreement.insert(Agreement(
            title=f"Aftale {index}", partner=partner, period_start=start, period_end=end,
            evaluation_months=months, status=status))
        for held_on in held:
            await AgreementEvaluation.insert(AgreementEvaluation(agreement=rows[0]["id"],
                                                                 held_on=held_on))
    expected = sum(1 for row in await service.list_agreements(on)
                   if row["state"].evaluation_overdue or row["state"].status is Status.EXPIRED)
    assert await service.needing_attention(on) == expected
    assert expected > 0
