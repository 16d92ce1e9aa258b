"""The demo shows every success criterion with a trend (several months with something to
count) and a drill-down with families for the demo leader."""

from datetime import date

from coordinator import cache, clock, demo
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.followup import trend, trends


async def test_every_criterion_has_history_and_the_leader_sees_families_that_miss():
    cache.clear_all()
    assert await demo.load()
    lene = await User.select(User.id).where(User.username == "lene").first()
    leader = Principal(lene["id"], "lene", Role.LEDER, "Lene Demo Thorsen")
    listed = set()
    for criterion in trend.CRITERIA:
        points = await trends.criterion_trend(criterion.key, trend.MONTH)
        measured = [p for p in points if p.share.denominator > 0]
        assert len(measured) >= 3, criterion.key
        quarters = await trends.criterion_trend(criterion.key, trend.QUARTER)
        assert sum(1 for p in quarters if p.share.denominator > 0) >= 2, criterion.key
        start = points[0].period.start
        rows = await trends.missing(leader, criterion.key, start, clock.today())
        if rows:
            listed.add(criterion.key)
    assert len(listed) >= 4, listed


async def test_the_quarters_add_up_to_the_year():
    cache.clear_all()
    assert await demo.load()
    today = clock.today()
    for key in ("opfoelgning", "besvaret", "handleplan"):
        quarters = [p for p in await trends.criterion_trend(key, trend.QUARTER)
                    if p.period.start.year == today.year]
        year = await trends.share(key, date(today.year, 1, 1), today, today)
        if key == "handleplan":  # families count in every quarter they were current
            assert all(p.share.denominator <= year.denominator for p in quarters)
            continue
        assert sum(p.share.denominator for p in quarters) == year.denominator, key
        assert sum(p.share.numerator for p in quarters) == year.numerator, key
