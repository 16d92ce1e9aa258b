"""The slot finder over HTTP knows people: the formøde, private hours, school hours.

Dates come from today's date (``clock.today``): the tests mean the same on any day.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta

from coordinator import clock as app_clock
from coordinator import web
from coordinator.audit.tables import AuditEvent
from coordinator.meetings import service
from coordinator.meetings.tables import FgcCase, Meeting
from tests import factories as f
from tests.meetings import support as s

BASE = "/families/{}/familieraadslagning"


async def _post(client, family_id, step, data):
    path = BASE.format(family_id)
    if "version" not in data:  # the version its page shows, as the browser sends it
        version = await s.form_version(client, f"{path}/", f"{path}/{step}")
        data = {**data, **({"version": version} if version is not None else {})}
    return await f.post_form(client, f"{path}/{step}", data, page=f"{path}/")


async def _fgc_meeting(client):
    """A familierådslagning through step 3, its meeting timed ~6 weeks ahead, with the
    mother and an 11-year-old child of the network."""
    sara = await f.user(username="sara-slots")
    ida = await f.user("samordner", username="ida-slots")
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    child = await s.person(family_id, "Emil", "child", birth_year=app_clock.today().year - 11)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    for step, data in (("assessment", {"possible": "ja", "assessed_on": today,
                                       "family_view": "Mor vil gerne", "reasons": "Netværk"}),
                       ("referral", {"concern": "Trivsel", "questions": "Hvem henter Emil?",
                                     "referred_on": today}),
                       ("samordner", {"samordner_user": str(ida.id)})):
        assert (await _post(client, family_id, step, data)).status_code == 303
    day = s.working_day(42)
    r = await _post(client, family_id, "meeting", {"location": "Rådhuset", **s.fgc_times(day)})
    assert r.status_code == 303, r.text[:300]
    meeting_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = f"/meetings/{meeting_id}"
    for person_id in (mother, child):
        r = await f.post_form(client, f"{page}/participants", {"person_id": str(person_id)},
                              page=page)
        assert r.status_code == 303, r.text[:300]
    return family_id, meeting_id, day


def _slot_form(first, last):
    return {"first_day": first.isoformat(), "last_day": last.isoformat(), "min_notice": "2",
            "duration_information": "20", "duration_family_time": "20", "duration_plan": "20",
            "room": ""}


async def test_no_proposal_before_the_formoede_is_dated_and_none_before_it(client):
    family_id, meeting_id, meeting_day = await _fgc_meeting(client)
    page = f"/meetings/{meeting_id}"
    first, last = s.working_day(3), s.working_day(30)
    r = await f.post_form(client, f"{page}/slots", _slot_form(first, last), page=page, htmx=True)
    text = html.unescape(r.text)
    assert r.status_code == 200
    assert "Der kan ikke foreslås tidspunkter endnu" in text
    assert "Formødet er ikke holdt eller planlagt endnu" in text
    assert f"/families/{family_id}/familieraadslagning#formoede" in text
    assert "Vælg dette tidspunkt" not in text
    fgc_page = html.unescape((await client.get(BASE.format(family_id) + "/")).text)
    assert "Formødet er ikke registreret endnu" in fgc_page and 'name="formoede_on"' in fgc_page

    formoede = s.working_day(10)
    r = await _post(client, family_id, "formoede", {"formoede_on": formoede.isoformat()})
    assert r.status_code == 303 and r.headers["location"].endswith("#formoede")
    case = await FgcCase.select().where(FgcCase.family == family_id).first()
    assert case["formoede_on"] == formoede
    assert await AuditEvent.exists().where(
        (AuditEvent.family_id == family_id) & AuditEvent.summary.like("Formøde:%"))

    r = await f.post_form(client, f"{page}/slots", _slot_form(first, last), page=page, htmx=True)
    text = html.unescape(r.text)
    answer = await service.find_slots(
        await Meeting.select().where(Meeting.id == meeting_id).first(),
        service.SlotQuery(first, last, 2, {"information": 20, "family_time": 20, "plan": 20}))
    assert answer.result.slots and not answer.blocked
    for slot in answer.result.slots:
        start = slot.start.astimezone(web.COPENHAGEN)
        assert start.date() > formoede
        # the mother and Emil are private: afternoons; Emil is at school until 15
        assert start.time() >= time(15)
        assert "Alle kan – Emil efter skoletid." in slot.explanation
    assert "Vælg dette tidspunkt" in text and "Alle kan" in text
    assert "Før formødet" in text  # why the earlier days were turned down
    assert "Emil er i skole" in text or "Uden for de tider, Emil kan" in text


async def test_a_refused_formoede_date_names_the_field(client):
    family_id, _, meeting_day = await _fgc_meeting(client)
    r = await _post(client, family_id, "formoede",
                    {"formoede_on": (meeting_day + timedelta(days=1)).isoformat()})
    assert r.status_code == 422
    assert "Formødet skal holdes før selve familierådslagningen" in html.unescape(r.text)
    r = await _post(client, family_id, "formoede", {"formoede_on": "31-02-2030"})
    assert r.status_code == 422 and "skal være en dato" in html.unescape(r.text)
    case = await FgcCase.select().where(FgcCase.family == family_id).first()
    assert case["formoede_on"] is None


async def test_private_people_get_afternoon_defaults_on_their_hours_page(client):
    family_id, meeting_id, _ = await _fgc_meeting(client)
    page = f"/meetings/{meeting_id}"
    rows = {p["name"]: p for p in await service.participants_of(meeting_id)}
    mother = html.unescape((await client.get(f"{page}/participants/{rows['Anna Mor']['id']}/hours")).text)
    assert 'name="start_0" value="15:00"' in mother and 'name="end_0" value="20:00"' in mother
    assert "private personer: hverdage 15–20" in mother
    worker = next(p for p in rows.values() if p["user"])
    own = html.unescape((await client.get(f"{page}/participants/{worker['id']}/hours")).text)
    assert 'name="start_0" value="08:00"' in own and "fagpersoner: mandag–fredag 08–16" in own


def _weekdays(start: str, end: str) -> dict[str, str]:
    """The weekly hours form: Monday–Friday from ``start`` to ``end``, the weekend off."""
    return {**{f"start_{day}": start for day in range(5)}, **{f"end_{day}": end for day in range(5)},
            "off_5": "on", "off_6": "on"}


async def test_hours_saved_on_a_private_persons_page_change_the_slot_finders_reasons(client):
    """The hours form, not only the planner: what sara saves on the mother's hours page is
    what the next search explains its proposals with."""
    family_id, meeting_id, _ = await _fgc_meeting(client)
    page = f"/meetings/{meeting_id}"
    r = await _post(client, family_id, "formoede", {"formoede_on": s.working_day(2).isoformat()})
    assert r.status_code == 303
    rows = {p["name"]: p for p in await service.participants_of(meeting_id)}
    # The professionals stay until 18, so the family's evening is what shapes the proposals.
    for row in rows.values():
        if row["user"]:
            hours = f"{page}/participants/{row['id']}/hours"
            r = await f.post_form(client, hours, _weekdays("08:00", "18:00"), page=hours)
            assert r.status_code == 303, r.text[:300]

    async def search() -> str:
        r = await f.post_form(client, f"{page}/slots", _slot_form(s.working_day(5), s.working_day(20)),
                              page=page, htmx=True)
        assert r.status_code == 200, r.text[:300]
        return html.unescape(r.text)

    def starts(answer: str) -> list[time]:
        return [datetime.fromisoformat(value).astimezone(web.COPENHAGEN).time()
                for value in re.findall(r'name="information_start" value="([^"]+)"', answer)]

    before = await search()
    assert "Vælg dette tidspunkt" in before and "Alle kan – " in before
    assert "Anna Mor kun" not in before
    assert min(starts(before)) == time(15)  # after school, at the start of a private person's day

    mother = f"{page}/participants/{rows['Anna Mor']['id']}/hours"
    r = await f.post_form(client, mother, _weekdays("16:00", "20:00"), page=mother)
    assert r.status_code == 303 and r.headers["location"] == mother
    shown = html.unescape((await client.get(mother)).text)
    assert 'name="start_0" value="16:00"' in shown and 'name="end_4" value="20:00"' in shown

    after = await search()
    proposals = re.findall(r'<span class="muted">([^<]*)</span>', after)
    assert proposals, after[:500]
    for explanation in proposals:
        assert "Alle kan – " in explanation and "Anna Mor kun efter 16" in explanation, explanation
    assert starts(after) and min(starts(after)) >= time(16)
    assert "Uden for de tider, Anna Mor kan" in after  # why the hour from 15 is gone
