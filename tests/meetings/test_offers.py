"""Offer only what can succeed: the pure rules (``meetings/offers.py``), and over HTTP the
meeting page shows a refused action disabled with the reason and the way forward, and the
service refuses it too when it is posted anyway (the offer and the rule agree)."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.meetings import kinds, offers
from coordinator.meetings.tables import Meeting, MeetingPart
from tests import factories as f
from tests.meetings import support as s

NOW = datetime(2030, 5, 6, 10, tzinfo=UTC)  # passed in as ``now``: never compared to today


def state(**changes) -> offers.MeetingState:
    base = dict(meeting_id=7, status="draft", kind="netvaerksmoede", family_id=3,
                part_starts=[NOW + timedelta(days=10)], participant_count=2, blocking=[],
                father_consent=False, now=NOW)
    return offers.MeetingState(**{**base, **changes})


def test_a_ready_draft_can_be_planned_and_cancelled() -> None:
    result = offers.status_offers(state())
    assert set(result) == {"planned", "cancelled"}
    assert all(o.allowed for o in result.values())


@pytest.mark.parametrize("changes,reason,href", [
    ({"part_starts": [None]}, "Ikke alle mødets dele har et tidspunkt.", "/meetings/7#times"),
    ({"part_starts": []}, "Ikke alle mødets dele har et tidspunkt.", "/meetings/7#times"),
    ({"participant_count": 0}, "Mødet har ingen deltagere endnu.", "/meetings/7#participants"),
    ({"kind": "bic_session"}, "Mors samtykke til kontakt med far er ikke registreret.",
     "/families/3/bic#agreement"),
])
def test_planning_refused_with_reason_and_way(changes, reason, href) -> None:
    offer = offers.status_offers(state(**changes))["planned"]
    assert not offer.allowed and offer.reason == reason and offer.href == href and offer.way


def test_bic_with_consent_is_allowed() -> None:
    assert offers.status_offers(state(kind="bic_session", father_consent=True))["planned"].allowed


def test_sending_needs_a_future_time_and_no_blocking_finding() -> None:
    planned = state(status="planned")
    assert offers.status_offers(planned)["invited"].allowed
    past = offers.status_offers(state(status="planned", part_starts=[NOW - timedelta(hours=1)]))
    assert not past["invited"].allowed and past["invited"].reason == "Mødet ligger i fortiden."
    blocked = offers.status_offers(state(status="planned", blocking=["Far og mor må ikke mødes."]))
    assert not blocked["invited"].allowed
    assert "Far og mor må ikke mødes." in blocked["invited"].reason
    assert blocked["invited"].href == "/meetings/7#safety"


def test_held_only_once_begun() -> None:
    future = offers.held_offer(state(status="invited"))
    assert not future.allowed and future.reason.startswith("Mødet er ikke begyndt endnu")
    begun = offers.held_offer(state(status="invited", part_starts=[NOW - timedelta(minutes=5)]))
    assert begun.allowed


def test_the_father_only_after_the_mothers_consent() -> None:
    refused = offers.person_offer("father", False, 3)
    assert not refused.allowed and refused.href == "/families/3/bic#agreement"
    assert offers.person_offer("father", True, 3).allowed
    assert offers.person_offer("mother", False, 3).allowed


# ------------------------------------------------------------------- over HTTP

async def _meeting(client, family_id, **times):
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "netvaerksmoede", "title": "Netværksmøde", "location": "Rådhuset", **times},
        page=f"/families/{family_id}")
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


async def test_the_meeting_page_offers_only_what_can_succeed(client):
    sara = await f.user()
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    await s.person(family_id, "Bent Far", "father")
    await f.login(client, sara)
    page = await _meeting(client, family_id)
    text = html.unescape((await client.get(page)).text)
    # no times: planning is shown disabled with the reason and the way forward
    assert 'aria-disabled="true" aria-describedby="offer-planned"' in text
    assert "Ikke alle mødets dele har et tidspunkt." in text and f'href="{page}#times"' in text
    r = await f.post_form(client, f"{page}/status", {"target": "planned"}, page=page)
    assert r.status_code == 422  # the rule refuses what the page does not offer
    # the father cannot be chosen before the mother's consent, and the page says where to go
    assert "Bent Far (kræver mors samtykke)" in text
    assert f'href="/families/{family_id}/bic#agreement"' in text
    father_id = next(line for line in text.splitlines() if "Bent Far (kræver" in line)
    assert " disabled>Bent Far" in father_id
    # with times and a participant, planning and sending work; held waits for the start
    day = s.working_day()
    r = await f.post_form(client, f"{page}/times", {
        "meeting_start": s.local(day, 10), "meeting_end": s.local(day, 11)}, page=page)
    assert r.status_code == 303, r.text[:300]
    r = await f.post_form(client, f"{page}/participants", {"person_id": str(mother)}, page=page)
    assert r.status_code == 303
    text = html.unescape((await client.get(page)).text)
    assert 'aria-describedby="offer-planned"' not in text and ">Planlæg mødet</button>" in text
    for target in ("planned", "invited"):
        r = await f.post_form(client, f"{page}/status", {"target": target}, page=page)
        assert r.status_code == 303, r.text[:300]
    text = html.unescape((await client.get(page)).text)
    assert 'aria-describedby="offer-held"' in text and "Mødet er ikke begyndt endnu" in text
    # nothing to type that cannot be saved: no outcome, no minutes of the agenda's points
    assert 'name="outcome"' not in text and 'name="minutes"' not in text
    r = await f.post_form(client, f"{page}/held", {"outcome": "Aftaler"}, page=page)
    assert r.status_code == 422 and "ikke begyndt" in html.unescape(r.text)
    # once begun, the held form (with the outcome) and each point's minutes are offered
    meeting_id = int(page.rsplit("/", 1)[1])
    await MeetingPart.update({MeetingPart.starts_at: app_clock.now() - timedelta(hours=1),
                              MeetingPart.ends_at: app_clock.now()}).where(
        MeetingPart.meeting == meeting_id)
    text = html.unescape((await client.get(page)).text)
    assert 'name="outcome"' in text and 'aria-describedby="offer-held"' not in text
    assert text.count('name="minutes"') == len(kinds.default_agenda("netvaerksmoede"))
    assert (await Meeting.select().where(Meeting.id == meeting_id).first())["status"] == "invited"


async def test_a_refusal_names_its_field_for_the_page_to_show_it_there(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    page = await _meeting(client, family_id)
    day = s.working_day()
    r = await f.post_form(client, f"{page}/times", {
        "meeting_start": s.local(day, 11), "meeting_end": s.local(day, 10)}, page=page, htmx=True)
    assert r.status_code == 422
    assert 'data-field="meeting_end"' in r.text and "sluttidspunktet skal ligge efter" in r.text
    r = await f.post_form(client, f"{page}/slots", {"first_day": "i morgen"}, page=page, htmx=True)
    assert r.status_code == 422 and 'data-field="first_day"' in r.text
