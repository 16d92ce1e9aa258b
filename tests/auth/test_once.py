"""A form that creates something, sent twice (a double click without JavaScript, a queued
second submit with it), creates it once; the second sending is taken to what the first
created (``coordinator.auth.once``)."""

from __future__ import annotations

import asyncio

from coordinator import clock
from coordinator.auth.tables import FormSent
from coordinator.families.tables import Family
from coordinator.meetings.tables import Meeting
from coordinator.network.tables import Person
from tests import factories as f


def _case(**overrides: str) -> dict:
    today = clock.today()
    return {"name": "Familien Nordby", "reference": f"{today.year}-0100",
            "at_crisis_centre": "on", "stay_from": today.isoformat(),
            "mother_name": "Nina Nordby", "mother_year": "1990",
            "child_1_name": "Oskar Nordby", "child_1_year": str(today.year - 8), **overrides}


async def test_a_case_opened_twice_is_opened_once(client):
    await f.login(client, await f.user())
    first = await f.post_form(client, "/families", _case())
    again = await f.post_form(client, "/families", _case())
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await Family.count() == 1
    # only a digest is kept: no field's value
    [kept] = await FormSent.select()
    assert "Nordby" not in str(kept) and kept["location"] == first.headers["location"]


async def test_at_once_the_second_waits_for_the_first_and_goes_where_it_went(client):
    await f.login(client, await f.user())
    both = await asyncio.gather(f.post_form(client, "/families", _case()),
                                f.post_form(client, "/families", _case()))
    assert [r.status_code for r in both] == [303, 303]
    assert both[0].headers["location"] == both[1].headers["location"]
    assert await Family.count() == 1


async def test_a_different_form_is_its_own(client):
    await f.login(client, await f.user())
    await f.post_form(client, "/families", _case())
    other = await f.post_form(client, "/families", _case(name="Familien Sønderby",
                                                         reference="2026-0101",
                                                         mother_name="Sofie Sønderby",
                                                         child_1_name="Karl Sønderby"))
    assert other.status_code == 303
    assert await Family.count() == 2


async def test_a_refused_form_may_be_sent_again_and_then_saved(client):
    await f.login(client, await f.user())
    refused = await f.post_form(client, "/families", _case(name=""))
    assert refused.status_code == 422
    again = await f.post_form(client, "/families", _case(name=""))
    assert again.status_code == 422  # refused again, not taken for the first
    assert await FormSent.count() == 0
    assert (await f.post_form(client, "/families", _case())).status_code == 303


async def test_another_user_sending_the_same_form_is_never_sent_to_the_first_s(client):
    """The same fields from another user are another sending: answered as his own (here
    the check for a case that may exist already), never with the address of hers."""
    await f.login(client, await f.user(username="sara"))
    hers = await f.post_form(client, "/families", _case())
    await f.login(client, await f.user(username="mikkel"))
    his = await f.post_form(client, "/families", _case())
    assert his.headers.get("location") != hers.headers["location"]
    assert his.status_code in (303, 409, 422)


async def test_a_meeting_and_a_person_sent_twice_are_created_once(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    page = f"/families/{family_id}"
    form = {"kind": "netvaerksmoede", "title": "Netværksmøde om Emma", "location": "Rådhuset"}
    meetings = [await f.post_form(client, f"{page}/meetings/", form, page=page)
                for _ in range(2)]
    assert meetings[0].headers["location"] == meetings[1].headers["location"]
    assert await Meeting.count().where(Meeting.family == family_id) == 1
    people_before = await Person.count().where(Person.family == family_id)
    person = {"name": "Bodil Bedstemor", "role": "private_network"}
    for _ in range(2):
        assert (await f.post_form(client, f"{page}/network/people", person,
                                  page=f"{page}/network")).status_code == 303
    assert await Person.count().where(Person.family == family_id) == people_before + 1


async def test_a_repeat_of_a_first_still_being_saved_is_told_so_not_saved_twice(
        client, monkeypatch):
    """A first sending slower than the repeat will wait for: the repeat is told it is still
    being saved (409), and never takes the form over to save it a second time."""
    from coordinator.auth import once
    from coordinator.families import cases

    slow, real = asyncio.Event(), cases.open_case

    async def slow_open(*args, **kwargs):
        await slow.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(cases, "open_case", slow_open)
    monkeypatch.setattr(once, "WAIT_SECONDS", 0.2)
    await f.login(client, await f.user())
    token = await f.csrf_token(client, "/")
    form = {**_case(), "_csrf_token": token}
    first = asyncio.create_task(client.post("/families", data=form))
    await asyncio.sleep(0.1)
    repeat = await client.post("/families", data=form)
    slow.set()
    assert repeat.status_code == 409 and "gemmes stadig" in repeat.text
    assert (await first).status_code == 303
    assert await Family.count() == 1


async def test_an_agreement_a_goal_and_an_account_sent_twice_are_created_once(client):
    from coordinator.agreements.tables import Agreement
    from coordinator.auth.tables import User
    from coordinator.method.tables import Goal
    from coordinator.network.tables import Organisation

    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    partner = (await Organisation.insert(Organisation(
        name="Sundhedsplejen", kind="health_visiting", sector="health")))[0]["id"]
    agreement = {"title": "Aftale med Sundhedsplejen", "partner": str(partner),
                 "period_start": "2025-01-01", "period_end": "2027-12-31",
                 "evaluation_months": "3", "status": "active", "purpose": "Fælles opfølgning",
                 "party-0-organisation": str(partner), "party-0-contact_name": "Tove Testesen"}
    sent = [await f.post_form(client, "/agreements/", agreement, page="/agreements/new")
            for _ in range(2)]
    assert [r.status_code for r in sent] == [303, 303]
    assert sent[0].headers["location"] == sent[1].headers["location"]
    assert await Agreement.count() == 1

    base = f"/families/{family_id}/handleplan"
    goal = {"title": "Drengen kommer i skole hver dag", "period": "stay", "cadence": "monthly",
            "starts_on": clock.today().isoformat()}
    for _ in range(2):
        assert (await f.post_form(client, f"{base}/goals", goal, page=f"{base}/")
                ).status_code == 303
    assert await Goal.count() == 1

    await f.login(client, await f.user("admin"))
    accounts = await User.count()
    account = {"username": "nyansat", "full_name": "Ny Ansat", "role": "socialraadgiver",
               "password": "en-lang-adgangskode-2026"}
    for _ in range(2):
        assert (await f.post_form(client, "/admin/users/", account, page="/admin/users/")
                ).status_code == 303
    assert await User.count() == accounts + 1
