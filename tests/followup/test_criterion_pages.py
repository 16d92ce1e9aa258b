"""One success criterion at a time over HTTP and the database (both engines): the target,
the trend per month or quarter counted from the app's clock, the drill-down listing only
the leader's families (audited), and refused choices answered in Danish."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from coordinator import cache
from coordinator.audit.tables import AuditEvent
from coordinator.followup import trends
from coordinator.meetings.tables import FatherAssessment, FgcCase, Meeting
from coordinator.method.tables import Goal
from tests import factories as f

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


async def _world(clock):
    clock.pin(NOW)
    cache.clear_all()
    worker = await f.user("socialraadgiver", unit="Krisecentret")
    leader = await f.user("leder", unit="Krisecentret")
    stranger = await f.user("socialraadgiver", unit="Et andet sted")
    planned = await f.family(worker, name="Familien Planlagt", opened_on=date(2026, 1, 5))
    missing = await f.family(worker, name="Familien Mangler", opened_on=date(2026, 1, 5))
    foreign = await f.family(stranger, name="Familien Fremmed", opened_on=date(2026, 1, 5))
    await Goal.insert(Goal(family=planned, title="Tryg skolegang", starts_on=date(2026, 4, 10)))
    await FgcCase.insert(FgcCase(family=planned, possible=True, assessed_on=date(2026, 2, 2)))
    await FatherAssessment.insert(FatherAssessment(family=planned, involve=False,
                                                   assessed_on=date(2026, 2, 3)))
    return worker, leader, stranger, planned, missing, foreign


async def test_the_share_and_the_trend_count_every_family_from_the_clock(clock):
    await _world(clock)
    share = await trends.share("handleplan", date(2026, 1, 1), date(2026, 6, 15),
                               date(2026, 6, 15))
    assert (share.numerator, share.denominator) == (1, 3)
    months = await trends.criterion_trend("handleplan", "maaned")
    assert [p.period.label for p in months][-3:] == ["apr. 2026", "maj 2026", "jun. 2026"]
    assert months[-1].period.end == date(2026, 6, 15)  # the clock's day, not the machine's
    by_label = {p.period.label: (p.share.numerator, p.share.denominator) for p in months}
    assert by_label["mar. 2026"] == (0, 3) and by_label["apr. 2026"] == (1, 3)
    assert by_label["dec. 2025"] == (0, 0)  # no family was open yet
    quarters = await trends.criterion_trend("familieraadslagning", "kvartal")
    assert (quarters[-2].period.label, quarters[-2].share.numerator) == ("1. kvt. 2026", 1)
    bic = await trends.share("bic", date(2026, 1, 1), date(2026, 6, 15), date(2026, 6, 15))
    assert (bic.numerator, bic.denominator) == (1, 3)


async def test_the_drill_down_lists_only_the_leaders_families_and_audits_them(clock):
    worker, leader, stranger, planned, missing, foreign = await _world(clock)
    for key in ("handleplan", "familieraadslagning", "bic"):
        rows = await trends.missing(leader, key, date(2026, 1, 1), date(2026, 6, 15), "1.2.3.4")
        assert [r["name"] for r in rows] == ["Familien Mangler"], key
    audited = await AuditEvent.select(AuditEvent.family_id, AuditEvent.entity).where(
        AuditEvent.entity == trends.ENTITY)
    assert {r["family_id"] for r in audited} == {missing}
    other_leader = await f.user("leder", unit="Et andet sted")
    rows = await trends.missing(other_leader, "handleplan", date(2026, 1, 1), date(2026, 6, 15))
    assert [r["name"] for r in rows] == ["Familien Fremmed"]


async def test_a_follow_up_not_held_on_time_is_listed(clock):
    worker, leader, *_rest, missing, _foreign = await _world(clock)
    held = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
    await Meeting.insert(Meeting(family=missing, kind="familieraadslagning", title="FR",
                                 status="held", starts_at=held, ends_at=held + timedelta(hours=3)))
    rows = await trends.missing(leader, "opfoelgning", date(2026, 1, 1), date(2026, 6, 15))
    assert [r["name"] for r in rows] == ["Familien Mangler"]
    assert "ikke holdt" in rows[0]["detail"]
    share = await trends.share("opfoelgning", date(2026, 1, 1), date(2026, 6, 15),
                               date(2026, 6, 15))
    assert (share.numerator, share.denominator) == (0, 1)


async def test_the_page_shows_target_trend_and_drill_down_to_the_leader(client, clock):
    worker, leader, *_ = await _world(clock)
    await f.login(client, leader)
    overview = (await client.get("/followup/succeskriterier")).text
    assert "/followup/kriterier/handleplan" in overview
    page = await client.get("/followup/kriterier/handleplan?trend=kvartal&from=2026-01-01"
                            "&to=2026-06-15")
    assert page.status_code == 200
    text = page.text
    assert "Mål: 100 %" in text and "2. kvt. 2026" in text and "<svg" in text
    assert "1 af 3 (33 %)" in text and "Målet er ikke nået" in text
    assert "Familien Mangler" in text and "Familien Fremmed" not in text
    assert "Familien Planlagt" not in text
    assert 'option value="kvartal" selected' in text
    bad = await client.get("/followup/kriterier/handleplan?trend=uge&from=2026-02-01")
    assert bad.status_code == 422 and "pr. måned eller pr. kvartal" in bad.text
    assert 'id="err-trend"' in bad.text and 'aria-describedby="err-trend"' in bad.text
    assert 'value="2026-02-01"' in bad.text  # what was typed is kept
    assert "jun. 2026" in bad.text  # the default trend is shown meanwhile
    backwards = await client.get("/followup/kriterier/bic?from=2026-05-01&to=2026-04-01")
    assert backwards.status_code == 422 and 'id="err-to"' in backwards.text
    assert "ligger før" in backwards.text and 'value="2026-04-01"' in backwards.text
    assert (await client.get("/followup/kriterier/ukendt")).status_code == 404
    for key in ("trappe", "besvaret", "stoette", "opfoelgning", "bic"):
        assert (await client.get(f"/followup/kriterier/{key}")).status_code == 200, key


async def test_the_admin_sees_the_trend_but_no_families_and_workers_nothing(client, clock):
    await _world(clock)
    admin = await f.user("admin")
    await f.login(client, admin)
    page = (await client.get("/followup/kriterier/handleplan")).text
    assert "Udvikling" in page and "Familien Mangler" not in page
    assert "Familier, der mangler" not in page
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    worker = await f.user("socialraadgiver")
    await f.login(client, worker)
    assert (await client.get("/followup/kriterier/handleplan")).status_code == 404
