"""The follow-up demo seeder: returning families and the cooperation agenda."""

import random
from datetime import date

from coordinator.demo import DemoContext, DemoFamily
from coordinator.followup import demo, service
from coordinator.followup.tables import SeriesAgenda, SeriesAgendaItem, Stay
from tests import factories as f


async def test_seeder_lays_out_returning_families_and_the_next_agenda():
    worker = await f.user()
    today = date(2026, 11, 2)
    ctx = DemoContext(rng=random.Random(1), today=today)
    for index in range(10):
        family_id = await f.family(worker, at_crisis_centre=index < 8,
                                   opened_on=date(2026, 3, 1))
        ctx.families.append(DemoFamily(family_id, "Familien X", "X", index < 8, index, []))
    await demo.seed(ctx)
    assert await Stay.count() == 8 + 2 + 1  # current stays, earlier ones (0, 4; 0 twice)
    report = await service.success_criteria(date(2024, 1, 1), date(2026, 10, 31), today)
    assert report.figures.returning_by_year == {2025: 1, 2026: 2}  # index 0 twice back
    state = await service.cooperation_meeting(today)
    assert state["agenda"]["occurs_on"] > today
    assert [i["owner"] for i in state["agenda"]["items"]][1:] == [
        o for _, o, _ in demo.COOPERATION_ITEMS][1:]
    assert state["previous"]["occurs_on"] < today
    assert await SeriesAgenda.count() == 2 and await SeriesAgendaItem.count() == 7
