"""Demo data for satisfaction at move-out: move-outs over the last year of families now in
after-care,
most with an answered form (paper or tablet), one that declined and some still without, so
the criteria, the drill-down and the anonymous comments have something to show. Fictitious;
runs after the follow-up seeder (it reads and adds stays)."""

from __future__ import annotations

from datetime import timedelta

from coordinator.followup.tables import Stay
from coordinator.satisfaction import rules
from coordinator.satisfaction.tables import SatisfactionAnswer, SatisfactionMark

COMMENTS = (
    "Det betød meget, at der altid var en voksen at tale med om aftenen.",
    "Børnegruppen hjalp min datter med at sove igen.",
    "Jeg ville gerne have haft mere hjælp til at finde en bolig.",
    "",
    "Tak for hjælpen med Familieretshuset og papirerne.",
    "",
)
SUPPORT = ("high", "high", "some", "high", "little", "some")
PROCESS = ("yes", "yes", "partly", "yes", "unknown", "yes")
STAFF = {"sara": "Sara Demo Kristiansen", "mikkel": "Mikkel Demo Lauridsen"}


async def seed(ctx) -> None:
    """A move-out in the last year for most families that live outside the centre
    without an earlier stay; forms for most moved-out stays, old and new."""
    for family in ctx.families:
        if family.at_crisis_centre or family.index % 5 == 0:
            continue  # at the centre now, or the follow-up seeder gave an earlier stay
        # half moved out in the last two months, the others over the year before, so the
        # criteria's trend per month and quarter has points
        ended = ctx.today - timedelta(days=4 + 8 * (family.index % 8) if family.index % 2 == 0
                                      else 70 + 25 * (family.index % 10))
        await Stay.insert(Stay(family=family.id, started_on=ended - timedelta(
            days=60 + 7 * family.index), ended_on=ended))
    names = {f.id: f for f in ctx.families}
    ended_stays = await Stay.select(Stay.id, Stay.family, Stay.ended_on).where(
        Stay.ended_on.is_not_null()).order_by(Stay.ended_on)
    for number, stay in enumerate(ended_stays):
        family = names.get(stay["family"])
        if family is None or number % 6 == 5:
            continue  # no form yet: shows on the drill-down
        author = family.team_usernames[0] if family.team_usernames else "sara"
        staff = STAFF.get(author, STAFF["sara"])
        if number % 9 == 4:
            await SatisfactionMark.insert(SatisfactionMark(
                stay=stay["id"], family=family.id, outcome="declined",
                recorded_on=stay["ended_on"], recorded_by=ctx.users.get(author),
                recorded_by_name=staff))
            continue
        pick = number % len(SUPPORT)
        tablet = number % 2 == 0
        await SatisfactionAnswer.insert(SatisfactionAnswer(
            period=rules.period_of(stay["ended_on"]), support=SUPPORT[pick],
            process=PROCESS[pick], comment=COMMENTS[pick],
            channel="tablet" if tablet else "paper"))
        await SatisfactionMark.insert(SatisfactionMark(
            stay=stay["id"], family=family.id, outcome="answered", recorded_on=stay["ended_on"],
            recorded_by=None if tablet else ctx.users.get(author),
            recorded_by_name="Tablet" if tablet else staff))
