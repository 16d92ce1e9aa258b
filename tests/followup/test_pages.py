"""The follow-up pages over HTTP: access per role, the agenda row by row, the success
criteria on known data, the contact person's fathers, the cooperation agenda."""

import asyncio
import re
from datetime import date, timedelta

import pytest

from coordinator import cache, web
from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.auth.roles import Role
from coordinator.followup import service
from coordinator.followup.tables import SeriesAgenda, SeriesAgendaItem
from tests import factories as f
from tests.followup import data as d

ROLES = [r.value for r in Role]
PAGE_ACCESS = {
    "/followup/teammoede": {"socialraadgiver", "kontaktperson", "leder"},
    "/followup/succeskriterier": {"leder", "admin"},
    "/followup/kontaktperson": {"kontaktperson"},
    "/followup/samarbejdsmoede": {"socialraadgiver", "leder"},
}
NAV = {
    "Teammøde": {"socialraadgiver", "leder"},
    "Succeskriterier": {"leder"},
    "Mine BIC-fædre": {"kontaktperson"},
    "Samarbejdsmøde": {"socialraadgiver", "leder"},
}


@pytest.mark.parametrize("role", ROLES)
async def test_each_page_answers_its_roles_and_404s_the_rest(client, role):
    user = await f.user(role)
    await f.login(client, user)
    for path, allowed in PAGE_ACCESS.items():
        response = await client.get(path)
        assert response.status_code == (200 if role in allowed else 404), (path, role)
        if role not in allowed:
            assert "Siden findes ikke" in response.text
    home = (await client.get("/", follow_redirects=True)).text  # each role's start page
    for label, roles in NAV.items():
        assert (f">{label}</a>" in home) is (role in roles), (label, role)


async def test_anonymous_visitors_are_sent_to_login(client):
    for path in PAGE_ACCESS:
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


# --- the team meeting agenda -----------------------------------------------------------------

ON = date(2026, 6, 23)


async def _agenda_world():
    sara = await f.user("socialraadgiver", full_name="Sara Rådgiver")
    mikkel = await f.user("socialraadgiver", full_name="Mikkel Rådgiver")
    mads = await f.user("kontaktperson", full_name="Mads Kontakt")
    a = await f.family(sara, name="Familien Alfa")
    b = await f.family(sara, name="Familien Bravo", at_crisis_centre=False)
    c = await f.family(sara, name="Familien Charlie")
    dd = await f.family(sara, name="Familien Delta")
    foreign = await f.family(mikkel, name="Familien Fremmed")
    closed = await f.family(sara, name="Familien Lukket")
    await d.close(closed, date(2026, 5, 1))
    # Alfa: FGC held 10 March, no follow-up; father referred to Mads with sessions.
    case_a = await d.fgc_case(a, True, date(2026, 2, 1), date(2026, 2, 3), "Ida Samordner")
    await d.meeting(a, "familieraadslagning", "held", d.local(date(2026, 3, 10)), 210,
                    "Familierådslagning", fgc_case=case_a)
    fa = await d.father(a, True, date(2026, 2, 2), date(2026, 2, 10), mads.id, date(2026, 2, 15))
    for status in ("held", "held", "planned"):
        await d.session(fa, status)
    await d.meeting(a, "statusmoede", "planned", d.local(date(2026, 6, 25), 9), title="Målene")
    await d.meeting(a, "netvaerksmoede", "planned", d.local(date(2026, 7, 7), 10), title="Net")
    await d.meeting(a, "statusmoede", "cancelled", d.local(date(2026, 6, 24), 9), title="Aflyst")
    # Charlie: FGC held 26 Feb, the follow-up on 28 May never marked held; father not involved.
    case_c = await d.fgc_case(c, True, date(2026, 1, 10), date(2026, 1, 20))
    parent = await d.meeting(c, "familieraadslagning", "followup", d.local(date(2026, 2, 26)),
                             210, fgc_case=case_c)
    await d.meeting(c, "familieraadslagning_followup", "invited", d.local(date(2026, 5, 28)),
                    90, title="Opfølgning", parent_id=parent, fgc_case=case_c)
    await d.father(c, False, date(2026, 1, 12))
    # Delta: FGC assessed not possible; father assessment begun without a decision.
    await d.fgc_case(dd, False, date(2026, 3, 1))
    await d.father(dd, None)
    # The foreign family has an overdue FGC too: it must not show.
    await d.meeting(foreign, "familieraadslagning", "held", d.local(date(2026, 1, 5)))
    return sara, mads, {"a": a, "b": b, "c": c, "d": dd, "foreign": foreign, "closed": closed}


def _cells(html: str, family_id: int) -> list[str]:
    row = re.search(rf'<tr id="family-{family_id}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]


async def test_team_agenda_row_by_row(client):
    sara, _, fam = await _agenda_world()
    await f.login(client, sara)
    response = await client.get(f"/followup/teammoede?date={ON.isoformat()}")
    assert response.status_code == 200
    html = response.text
    assert "Dagsorden til teammøde 23. juni 2026" in html
    ids = [int(i) for i in re.findall(r'<tr id="family-(\d+)">', html)]
    assert ids == [fam["a"], fam["b"], fam["c"], fam["d"]]  # by name; no foreign, no closed
    assert "Familien Fremmed" not in html and "Familien Lukket" not in html
    assert _cells(html, fam["a"]) == [
        "Familien Alfa " + re.search(r"T-\d+", _cells(html, fam["a"])[0]).group(0),
        "Vurderet: Ja Familierådslagning afholdt 10. marts 2026 Næste skridt: Planlæg "
        "opfølgningsmødet (ca. 3 måneder efter)",
        "Vurderet: Ja Henvist til Mads Kontakt 15. februar 2026: 2 samtale(r) holdt, 1 planlagt",
        "torsdag 25. juni 2026 kl. 09.00: Statusmøde: Målene (Planlagt)",
        "Overskredet Familierådslagning 10. marts 2026: opfølgningsmødet skulle være holdt ca. "
        "10. juni 2026 og er ikke planlagt",
    ]
    assert _cells(html, fam["b"])[1:] == [
        "Vurderet: Nej Ikke vurderet Næste skridt: Vurdér sammen med familien, om en "
        "familierådslagning er mulig",
        "Vurderet: Nej Ikke vurderet (familien er ikke på krisecentret)",
        "Ingen", "Ingen",
    ]
    assert _cells(html, fam["c"])[1:] == [
        "Vurderet: Ja Opfølgningsmøde inviteret, 28. maj 2026 Næste skridt: Hold "
        "opfølgningsmødet",
        "Vurderet: Ja Vurderet: far inddrages ikke",
        "Ingen",
        "Overskredet Opfølgningsmøde på familierådslagning 28. maj 2026 er ikke registreret "
        "som afholdt",
    ]
    assert _cells(html, fam["d"])[1:] == [
        "Vurderet: Ja Vurderet: ikke mulig nu (1. marts 2026) Næste skridt: Ingen – genvurdér "
        "ved ændringer",
        "Vurderet: Nej Ikke vurderet – vurdér, om far skal inddrages",
        "Ingen", "Ingen",
    ]
    events = await AuditEvent.select().where(AuditEvent.entity == "teammøde-dagsorden")
    assert sorted((e["family_id"], e["username"], e["entity_id"]) for e in events) == sorted(
        (fam[k], sara.username, ON.isoformat()) for k in "abcd")


async def test_agenda_defaults_to_the_next_team_meeting(client):
    sara = await f.user()
    await f.login(client, sara)
    html = (await client.get("/followup/teammoede")).text
    expected = service.agenda.next_team_meeting(app_clock.today())
    assert f'value="{expected.isoformat()}"' in html
    assert "hver anden tirsdag" in html


async def test_contact_person_and_leader_see_only_their_own_team_families(client):
    """The kontaktperson is on a family's team for the father only: the team's agenda
    (the mother's and children's meetings and plans) is not hers, so it lists nothing."""
    sara, mads, fam = await _agenda_world()
    await d.on_team(fam["a"], mads.id)
    leader = await f.user("leder")
    await f.login(client, mads)
    html = (await client.get(f"/followup/teammoede?date={ON}")).text
    assert re.findall(r'<tr id="family-(\d+)">', html) == []
    assert "Tal for alle familier" not in html  # the success criteria are not hers
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, leader)
    html = (await client.get(f"/followup/teammoede?date={ON}")).text
    assert "<tr id=" not in html and "Familien" not in html
    assert 'href="/followup/succeskriterier"' in html
    assert "Tal for alle familier finder du under" in html


@pytest.mark.parametrize("query", ["date=2026-13-01", "date=i+morgen", "date=1899-01-01",
                                   "date=2026-02-30"])
async def test_bad_agenda_date_is_a_danish_422(client, query):
    await f.login(client, await f.user())
    response = await client.get(f"/followup/teammoede?{query}")
    assert response.status_code == 422
    assert "Dato" in response.text and "Traceback" not in response.text


# --- success criteria ------------------------------------------------------------------------

START, END = date(2026, 1, 1), date(2026, 6, 30)


async def _criteria_world():
    worker = await f.user()
    mads = await f.user("kontaktperson")
    a = await f.family(worker, name="Familien Alfa")
    b = await f.family(worker, name="Familien Bravo", at_crisis_centre=False)
    c = await f.family(worker, name="Familien Charlie")
    dd = await f.family(worker, name="Familien Delta")
    e = await f.family(worker, name="Familien Echo")
    closed_in = await f.family(worker, name="Familien Fox")       # closed inside the period
    closed_before = await f.family(worker, name="Familien Golf")  # closed before it
    later = await f.family(worker, name="Familien Hotel")        # opened after it
    await d.close(closed_in, date(2026, 2, 1))
    await d.close(closed_before, date(2025, 12, 1))
    await d.reopen_dates(later, date(2026, 8, 1))
    # familierådslagning assessed: a, c, d (c without a date); e undecided; later after the period
    await d.fgc_case(a, True, date(2026, 2, 1))
    await d.fgc_case(c, True)
    await d.fgc_case(dd, False, date(2026, 3, 1))
    await d.fgc_case(e, None)
    await d.fgc_case(closed_before, True, date(2025, 6, 1))
    await d.fgc_case(later, True, date(2026, 8, 2))
    # father assessed: a (yes), c (no); d undecided; e decided after the period
    await d.father(a, True, date(2026, 2, 2), date(2026, 2, 3), mads.id, date(2026, 2, 4))
    await d.father(c, False, date(2026, 1, 12))
    await d.father(dd, None)
    await d.father(e, True, date(2026, 7, 15))
    # follow-ups due in the period: a (late, none), c (late, not held), e (held on time)
    await d.meeting(a, "familieraadslagning", "held", d.local(date(2026, 3, 10)), 210)
    p = await d.meeting(c, "familieraadslagning", "followup", d.local(date(2026, 2, 26)), 210)
    await d.meeting(c, "familieraadslagning_followup", "invited", d.local(date(2026, 5, 28)),
                    parent_id=p)
    p = await d.meeting(e, "familieraadslagning", "followup", d.local(date(2026, 1, 15)), 210)
    await d.meeting(e, "familieraadslagning_followup", "held", d.local(date(2026, 4, 20)),
                    parent_id=p)
    # due 27 June: still within the week's grace on 30 June, so not counted yet
    await d.meeting(dd, "familieraadslagning", "held", d.local(date(2026, 3, 27)), 60)
    # due before the period: not counted
    await d.meeting(b, "familieraadslagning", "held", d.local(date(2025, 9, 1)), 60)
    # stays: a returns in 2026; golf returned in 2025 and twice in 2026 (counted once)
    await d.stay(a, date(2024, 5, 1), date(2024, 8, 1))
    await d.stay(a, date(2026, 2, 1))
    await d.stay(b, date(2026, 3, 1))
    await d.stay(closed_before, date(2025, 1, 10), date(2025, 3, 1))
    await d.stay(closed_before, date(2025, 9, 1), date(2025, 10, 1))
    await d.stay(closed_before, date(2026, 1, 5), date(2026, 1, 20))
    await d.stay(closed_before, date(2026, 3, 5), date(2026, 3, 20))
    await d.stay(later, date(2026, 8, 2))
    # agreements: one evaluation overdue, one expired unrenewed, one fine, one archived
    await d.agreement("Overskredet", date(2025, 1, 1), date(2027, 12, 31), 3)
    await d.agreement("Udløbet", date(2024, 1, 1), date(2026, 3, 31), 12,
                      evaluations=(date(2025, 1, 10),))
    await d.agreement("I orden", date(2026, 1, 1), date(2027, 12, 31), 12)
    await d.agreement("Arkiveret", date(2020, 1, 1), date(2021, 1, 1), 3, status="archived")


async def test_each_success_criterion_on_known_data():
    await _criteria_world()
    report = await service.success_criteria(START, END, measured_on=date(2026, 11, 1))
    figures = report.figures
    assert report.measured_on == END
    assert report.current_families == 6  # a, b, c, d, e and the one closed in the period
    assert report.at_crisis_centre == 5
    assert (figures.fgc_assessed.numerator, figures.fgc_assessed.denominator) == (3, 6)
    assert (figures.father_assessed.numerator, figures.father_assessed.denominator) == (2, 5)
    assert (figures.followups_on_time.numerator, figures.followups_on_time.denominator) == (1, 3)
    assert figures.followups_on_time.percent == 33
    assert figures.returning_by_year == {2026: 2}
    assert figures.agreements_overdue == 2
    wider = await service.success_criteria(date(2025, 1, 1), END, measured_on=date(2026, 11, 1))
    assert wider.figures.returning_by_year == {2025: 1, 2026: 2}
    assert wider.current_families == 7  # Golf was current in 2025


async def test_success_criteria_page_shows_numbers_and_charts_but_no_names(client):
    await _criteria_world()
    leader = await f.user("leder")
    await f.login(client, leader)
    response = await client.get("/followup/succeskriterier?from=2026-01-01&to=2026-06-30")
    assert response.status_code == 200
    html = response.text
    assert "Familien" not in html
    assert html.count("<svg") == 2
    assert "3 af 6 (50 %)" in html and "2 af 5 (40 %)" in html and "1 af 3 (33 %)" in html
    # each charted share with how it is counted, in the chart's order
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>\d+</td>\s*<td>\d+</td>\s*'
                      r'<td>[^<]+</td>\s*<td>([^<]+)</td>', html)
    assert [label for label, _ in rows] == ["Vurderet for familierådslagning",
                                            "Vurdering af fars inddragelse (BIC)",
                                            "Opfølgninger holdt til tiden"]
    assert rows[0][1] == ("Familier med en registreret vurdering af, om en familierådslagning "
                          "er mulig.")
    assert rows[2][1].startswith("Opfølgningsmøder (ca. 3 måneder efter en familierådslagning)")
    assert '<dd id="current-families">6</dd>' in html
    assert '<dd id="agreements-overdue">2</dd>' in html
    assert re.search(r'<th scope="row">2026</th><td>2</td>', html)
    assert not await AuditEvent.exists().where(AuditEvent.action == "read")


async def test_success_criteria_are_counted_at_most_once_a_minute(client, monkeypatch):
    """The page says when it counted; a second leader within the minute gets the same
    count, after the minute a new one."""
    await _criteria_world()
    leader = await f.user("leder")
    await f.login(client, leader)
    calls = []
    count = service.success_criteria

    async def counting(*args, **kwargs):
        calls.append(args)
        return await count(*args, **kwargs)

    monkeypatch.setattr(service, "success_criteria", counting)
    path = "/followup/succeskriterier?from=2026-01-01&to=2026-06-30"
    first = await client.get(path)
    assert "talt kl. " in first.text
    await client.get(path)
    assert len(calls) == 1
    monkeypatch.setattr(service, "CRITERIA_FRESH_SECONDS", 0)
    await client.get(path)
    assert len(calls) == 2
    monkeypatch.setattr(service, "CRITERIA_FRESH_SECONDS", 60)
    cache.clear_all()
    # leaders arriving together share one count
    pages = await asyncio.gather(*(client.get(path) for _ in range(5)))
    assert len(calls) == 3 and all(p.status_code == 200 for p in pages)


@pytest.mark.parametrize("query,message", [
    ("from=2026-06-30&to=2026-01-01", "ligger før"),
    ("from=31-12-2026", "Fra dato"),
    ("to=2026-02-31", "Til dato"),
    ("from=0001-01-01", "Fra dato"),
])
async def test_bad_period_is_a_danish_422(client, query, message):
    await f.login(client, await f.user("leder"))
    response = await client.get(f"/followup/succeskriterier?{query}")
    assert response.status_code == 422
    assert message in response.text and "Traceback" not in response.text


# --- the contact person's page ---------------------------------------------------------------

async def test_contact_person_sees_only_fathers_referred_to_them(client):
    worker = await f.user()
    mads = await f.user("kontaktperson", full_name="Mads Kontakt")
    other = await f.user("kontaktperson")
    mine = await f.family(worker, mads, name="Familien Min")
    not_on_team = await f.family(worker, name="Familien Udenfor")
    theirs = await f.family(worker, other, name="Familien Andens")
    fa = await d.father(mine, True, date(2026, 2, 1), date(2026, 2, 2), mads.id,
                        date(2026, 2, 3), name="Far Min")
    await d.session(fa, "held", "bolig,oekonomi")
    await d.session(fa, "held")
    await d.session(fa, "planned", "bolig", await d.meeting(
        mine, "bic_session", "invited", d.local(date(2026, 11, 30), 9)))
    await d.session(fa, "planned", "bolig", await d.meeting(
        mine, "bic_session", "cancelled", d.local(date(2026, 11, 29), 9)))
    await d.meeting(mine, "bic_joint_parents", "planned", d.local(date(2026, 12, 1), 13),
                    father_assessment=fa)
    await d.father(not_on_team, True, contact_person=mads.id, name="Far Udenfor")
    await d.father(theirs, True, contact_person=other.id, name="Far Anden")
    await f.login(client, mads)
    html = (await client.get("/followup/kontaktperson")).text
    assert f'href="/families/{mine}/bic">Familien Min</a>' in html
    assert "Far Min" in html and "Bolig, Økonomi" in html
    cells = re.findall(r"<td>(\d+)\s", html)
    assert cells[:2] == ["2", "1"]  # held, planned (the cancelled session is not planned)
    assert "mandag 30. november 2026 kl. 09.00: Bolig" in html
    assert "29. november" not in html
    assert "tirsdag 1. december 2026 kl. 13.00" in html and "(Planlagt)" in html
    for hidden in ("Udenfor", "Andens", "Far Anden"):
        assert hidden not in html
    events = await AuditEvent.select().where(AuditEvent.entity == "BIC-fædre")
    assert [(e["family_id"], e["username"]) for e in events] == [(mine, mads.username)]


async def test_clashing_sessions_of_one_contact_person_are_flagged(client):
    worker = await f.user()
    mads = await f.user("kontaktperson")
    day = app_clock.today() + timedelta(days=14)
    first = await f.family(worker, mads, name="Familien Et")
    second = await f.family(worker, mads, name="Familien To")
    fa = await d.father(first, True, contact_person=mads.id, name="Far Et")
    fb = await d.father(second, True, contact_person=mads.id, name="Far To")
    await d.session(fa, "planned", "bolig", await d.meeting(
        first, "bic_session", "invited", d.local(day, 9), minutes=60))
    await d.session(fb, "planned", "bolig", await d.meeting(
        second, "bic_session", "invited", d.local(day, 9, 30), minutes=60))
    await d.session(fb, "planned", "bolig", await d.meeting(
        second, "bic_session", "invited", d.local(day, 11), minutes=60))
    await f.login(client, mads)
    html = (await client.get("/followup/kontaktperson")).text
    assert html.count("Overlapper en anden samtale") == 2


# --- the annual cooperation meeting ----------------------------------------------------------

def _agenda_form(occurs_on: str, items: list[tuple[str, str, str]], **extra) -> dict:
    form = {"occurs_on": occurs_on, "rows": str(len(items)), **extra}
    for i, (title, owner, note) in enumerate(items):
        form.update({f"item-{i}-title": title, f"item-{i}-owner": owner, f"item-{i}-note": note})
    return form


async def test_social_worker_creates_and_edits_the_agenda_leader_reads(client, other_client):
    sara = await f.user("socialraadgiver", full_name="Sara Rådgiver")
    leader = await f.user("leder")
    await f.login(client, sara)
    page = "/followup/samarbejdsmoede"
    response = await f.post_form(client, page, _agenda_form("2030-03-05", [
        ("Boligsituationen efter ophold", "Ydelseskontoret", "Erfaringer fra 2029"),
        ("", "", ""),
        ("Unge uden uddannelse", "UU", "")]), page=page)
    assert response.status_code == 303
    agenda_row = await SeriesAgenda.select().first()
    assert agenda_row["series_key"] == "samarbejdsmoede"
    assert agenda_row["occurs_on"] == date(2030, 3, 5) and agenda_row["version"] == 1
    items = await SeriesAgendaItem.select().order_by(SeriesAgendaItem.position)
    assert [(i["title"], i["owner"]) for i in items] == [
        ("Boligsituationen efter ophold", "Ydelseskontoret"), ("Unge uden uddannelse", "UU")]
    response = await f.post_form(client, page, _agenda_form(
        "2030-03-06", [("Unge uden uddannelse", "UU", "Flyttet op")],
        agenda_id=str(agenda_row["id"]), version="1"), page=page)
    assert response.status_code == 303
    assert (await SeriesAgenda.select().first())["version"] == 2
    await f.login(other_client, leader)
    html = (await other_client.get(page)).text
    assert "Unge uden uddannelse" in html and "Flyttet op" in html and "6. marts 2030" in html
    assert "Boligsituationen" not in html
    assert "<form method=\"post\" action=\"/followup/samarbejdsmoede\"" not in html
    response = await f.post_form(other_client, page, _agenda_form("2030-03-06", []), page=page)
    assert response.status_code == 404
    events = await AuditEvent.select().where(AuditEvent.entity == "samarbejdsmøde-dagsorden")
    assert [e["action"] for e in events] == ["create", "update"]


async def test_two_social_workers_editing_at_once_get_a_409(client, other_client):
    sara, jonas = await f.user(), await f.user()
    page = "/followup/samarbejdsmoede"
    await f.login(client, sara)
    await f.post_form(client, page, _agenda_form("2030-03-05", [("Første", "", "")]), page=page)
    agenda_id = str((await SeriesAgenda.select().first())["id"])
    await f.login(other_client, jonas)
    first = await f.post_form(other_client, page, _agenda_form(
        "2030-03-05", [("Jonas' punkt", "", "")], agenda_id=agenda_id, version="1"), page=page)
    assert first.status_code == 303
    second = await f.post_form(client, page, _agenda_form(
        "2030-03-05", [("Saras punkt", "", "")], agenda_id=agenda_id, version="1"), page=page)
    assert second.status_code == 409
    assert "Saras punkt" in second.text and "Jonas&#39; punkt" in second.text
    items = await SeriesAgendaItem.select(SeriesAgendaItem.title)
    assert [i["title"] for i in items] == ["Jonas' punkt"]
    # A second "create" while an upcoming agenda exists is a conflict too, not a duplicate.
    again = await f.post_form(client, page, _agenda_form("2030-04-01", [("Nyt", "", "")]),
                              page=page)
    assert again.status_code == 409
    assert await SeriesAgenda.count() == 1


@pytest.mark.parametrize("sent", [1, None])
async def test_the_agenda_conflict_is_the_one_update_versioned_raised(sent):
    # Issue 20: the conflict keeps what the write found (a missing version says so) and
    # shows the agenda as saved after the winner, in the form's words.
    sara, jonas = await f.user(full_name="Sara Rådgiver"), await f.user(full_name="Jonas Holm")
    on = date(2030, 1, 2)
    agenda_id = await service.save_cooperation_agenda(
        sara, None, None, date(2030, 3, 5), [service.AgendaItemInput("Første")], on)
    await service.save_cooperation_agenda(
        jonas, agenda_id, 1, date(2030, 3, 6), [service.AgendaItemInput("Jonas' punkt", "UU")], on)
    with pytest.raises(web.Conflict) as refused:
        await service.save_cooperation_agenda(
            sara, agenda_id, sent, date(2030, 3, 5), [service.AgendaItemInput("Saras punkt")], on)
    conflict = refused.value
    assert conflict.missing_version is (sent is None)
    assert ("Jonas Holm" in conflict.message) is (sent is not None)
    assert conflict.labels == {"occurs_on": "Dato", "items": "Punkter"}
    assert conflict.mine == {"occurs_on": "5. marts 2030", "items": "Saras punkt – ", "version": sent}
    assert conflict.theirs == {"occurs_on": "6. marts 2030", "items": "Jonas' punkt – UU",
                               "version": 2}
    items = await SeriesAgendaItem.select(SeriesAgendaItem.title)
    assert [i["title"] for i in items] == ["Jonas' punkt"]


@pytest.mark.parametrize("form,message", [
    (_agenda_form("2020-01-01", [("Punkt", "", "")]), "fortiden"),
    (_agenda_form("05-03-2030", [("Punkt", "", "")]), "Mødedato"),
    (_agenda_form("2030-03-05", [("", "UU", "uden emne")]), "Punkt 1: udfyld emnet"),
    (_agenda_form("2030-03-05", [("x" * 301, "", "")]), "højst være 300 tegn"),
    ({**_agenda_form("2030-03-05", []), "rows": "999"}, "Antal rækker"),
    ({**_agenda_form("2030-03-05", [("P", "", "")]), "agenda_id": "7"}, "Sidens udgave"),
])
async def test_bad_agenda_input_is_a_danish_422_and_saves_nothing(client, form, message):
    await f.login(client, await f.user())
    page = "/followup/samarbejdsmoede"
    response = await f.post_form(client, page, form, page=page)
    assert response.status_code == 422
    assert message in response.text and "Intet er gemt" in response.text
    assert await SeriesAgenda.count() == 0 and await SeriesAgendaItem.count() == 0


class _Statements:
    """Records every statement sent, built by Piccolo or hand-written (``db.fetch``), and
    how many values it binds (one inside a transaction is counted twice, the same each run)."""

    def __init__(self, monkeypatch):
        from coordinator import db
        from coordinator.db import statements

        engine_class = type(db.engine())
        self.args: list[int] = []
        original = engine_class.run_querystring
        original_fetch = statements.fetch

        async def counting(engine, querystring, *a, **kw):
            self.args.append(len(querystring.compile_string(engine.engine_type)[1]))
            return await original(engine, querystring, *a, **kw)

        async def fetching(sql, *args, **kw):
            self.args.append(len(args))
            return await original_fetch(sql, *args, **kw)

        monkeypatch.setattr(engine_class, "run_querystring", counting)
        monkeypatch.setattr(statements, "fetch", fetching)  # db.rows calls it by this name
        monkeypatch.setattr(db, "fetch", fetching)


async def test_success_criteria_statements_do_not_grow_with_the_families(monkeypatch):
    # At national scale (85,000 current families) an id list overflowed the driver's
    # 32,767 bound values (500): the figures are counted with sub-selects instead.
    await _criteria_world()
    before = _Statements(monkeypatch)
    first = await service.success_criteria(START, END, measured_on=date(2026, 11, 1))
    monkeypatch.undo()
    for index in range(40):
        family_id = await f.family(name=f"Ekstra {index}")
        await d.meeting(family_id, "familieraadslagning", "held", d.local(date(2026, 1, 5)))
        await d.stay(family_id, date(2026, 2, 1))
        await d.stay(family_id, date(2026, 4, 1))
    after = _Statements(monkeypatch)
    second = await service.success_criteria(START, END, measured_on=date(2026, 11, 1))
    assert len(after.args) == len(before.args)
    assert max(after.args) == max(before.args)
    assert second.current_families == first.current_families + 40
    assert second.figures.followups_on_time.denominator > first.figures.followups_on_time.denominator


async def test_the_end_of_after_care_is_on_the_agenda(client):
    """Issue 15, point 3: after-care (§ 109 stk. 7) ends six months after the move-out;
    the team agenda lists it when it ends within the look-ahead."""
    from coordinator.families import cases

    sara = await f.user()
    family_id = await f.family(sara, name="Familien Efterværn")
    on = app_clock.today()
    moved_out = on - timedelta(days=178)  # six months later is within the next two weeks
    await cases.check_in(sara, family_id, moved_out - timedelta(days=60))
    await cases.check_out(sara, family_id, moved_out)
    until = cases.after_care_until(moved_out)
    assert on <= until <= on + timedelta(days=14)
    await f.login(client, sara)
    html = (await client.get(f"/followup/teammoede?date={on.isoformat()}")).text
    assert "Efterværnet slutter" in html and "afslut sagen, eller aftal den videre støtte" in html
    # Back at the crisis centre: no after-care line.
    await cases.check_in(sara, family_id, on)
    html = (await client.get(f"/followup/teammoede?date={on.isoformat()}")).text
    assert "Efterværnet slutter" not in html
