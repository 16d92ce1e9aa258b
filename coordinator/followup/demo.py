"""Demo data for follow-up: stays at the crisis centre (some families return) and the
agenda of the next annual cooperation meeting. Runs after the meetings seeder; it needs
only the families and users of the core demo."""

from __future__ import annotations

from datetime import date, timedelta

from coordinator.families.tables import Family
from coordinator.followup import agenda
from coordinator.followup.tables import SeriesAgenda, SeriesAgendaItem, Stay

COOPERATION_ITEMS = (
    ("Velkomst og opfølgning på sidste års aftaler", "Krisecentret", ""),
    ("Boligsituationen for kvinder, der flytter ud", "Ydelseskontoret",
     "Erfaringer med enkeltydelser til indskud og flytning."),
    ("Vej til job og uddannelse under og efter opholdet", "Jobcenter og Integration", ""),
    ("Unge mødre uden uddannelse", "Ungdommens Uddannelsesvejledning (UU)", ""),
    ("Samarbejdet om Barnet i Centrum", "Familieafdelingen", "Status på henvisninger til "
     "kontaktpersonen i Modtagelsen."),
    ("Nyt om forældreansvar og samvær", "Jurist", ""),
)


def _stays(index: int, opened: date, at_centre: bool) -> list[tuple[date, date | None]]:
    """Every family at the centre has its current stay; every fourth one has been there
    before (a gengænger), every eighth twice before."""
    if not at_centre:
        return [(opened - timedelta(days=500 + 20 * index), opened - timedelta(days=400))] \
            if index % 5 == 0 else []
    earlier = []
    if index % 4 == 0:
        earlier.append((opened - timedelta(days=365 + 30 * index),
                        opened - timedelta(days=300 + 30 * index)))
    if index % 8 == 0:
        earlier.append((opened - timedelta(days=800 + 10 * index),
                        opened - timedelta(days=740 + 10 * index)))
    return sorted(earlier) + [(opened, None)]


async def seed(ctx) -> None:
    """Stays for the demo families and the cooperation meeting's agenda."""
    opened = {row["id"]: row["opened_on"] for row in
              await Family.select(Family.id, Family.opened_on)}
    for family in ctx.families:
        for started_on, ended_on in _stays(family.index, opened[family.id],
                                           family.at_crisis_centre):
            await Stay.insert(Stay(family=family.id, started_on=started_on, ended_on=ended_on))
    last = agenda.team_meeting_on(ctx.today - timedelta(days=250))
    held = await SeriesAgenda.insert(SeriesAgenda(
        series_key=agenda.COOPERATION_SERIES_KEY, occurs_on=last,
        updated_by_name="Sara Demo Kristiansen"))
    await SeriesAgendaItem.insert(SeriesAgendaItem(
        agenda=held[0]["id"], title="Aftaler om boligstøtte ved udflytning",
        owner="Ydelseskontoret", position=0))
    upcoming = await SeriesAgenda.insert(SeriesAgenda(
        series_key=agenda.COOPERATION_SERIES_KEY, occurs_on=agenda.next_yearly(last),
        updated_by_name="Sara Demo Kristiansen"))
    for position, (title, owner, note) in enumerate(COOPERATION_ITEMS):
        await SeriesAgendaItem.insert(SeriesAgendaItem(
            agenda=upcoming[0]["id"], title=title, owner=owner, note=note, position=position))
