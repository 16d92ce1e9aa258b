"""Two sessions writing the same record at the same moment: one wins, the other is told.

Both requests are fired together (asyncio.gather on two logged-in clients, each with the
version it saw). Exactly one answers 303; the other answers 409 with the conflict page
showing both versions, and the winner's data is what the database holds. A meeting form
without a version is refused, never saved over what its sender did not see. Writes that
do not compete (two intake answers) both land.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.agreements import service as agreements
from coordinator.agreements.service import AgreementInput
from coordinator.agreements.tables import Agreement
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting, Participant
from coordinator.network.tables import Organisation, Person
from tests import factories

ROUNDS = 3  # repeat each race: the interleaving differs from run to run


async def two_workers(client, other_client):
    """Two case workers on the same family's team, each logged in; returns (fid, tokens)."""
    sara = await factories.user("socialraadgiver")
    lene = await factories.user("leder")
    family_id = await factories.family(sara, lene, at_crisis_centre=False)
    await factories.login(client, sara)
    await factories.login(other_client, lene)
    tokens = (await factories.csrf_token(client, "/"), await factories.csrf_token(other_client, "/"))
    return family_id, sara, tokens


async def race(client, other_client, tokens, path: str, mine: dict, theirs: dict):
    """POST both forms at the same moment; returns the two responses in order."""
    return await asyncio.gather(
        client.post(path, data={**mine, "_csrf_token": tokens[0]}),
        other_client.post(path, data={**theirs, "_csrf_token": tokens[1]}))


def one_winner(responses, expected_winner_status: int = 303):
    """Exactly one success and one 409; returns (winner index, loser response)."""
    statuses = sorted(r.status_code for r in responses)
    assert statuses == sorted([expected_winner_status, 409]), [
        (r.status_code, r.text[:300]) for r in responses]
    winner = 0 if responses[0].status_code == expected_winner_status else 1
    return winner, responses[1 - winner]


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_same_meeting_details(client, other_client, round_):
    family_id, sara, tokens = await two_workers(client, other_client)
    family = {"id": family_id}
    meeting_id = await meetings.create_meeting(sara, family, "netvaerksmoede", "Oprindelig titel")
    titles = ["Saras titel", "Lenes titel"]
    responses = await race(client, other_client, tokens, f"/meetings/{meeting_id}/details",
                           {"title": titles[0], "location": "Lokale 1", "version": "1"},
                           {"title": titles[1], "location": "Lokale 2", "version": "1"})
    winner, loser = one_winner(responses)
    assert titles[0] in loser.text and titles[1] in loser.text  # both versions shown
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert (row["title"], row["version"]) == (titles[winner], 2)


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_same_person(client, other_client, round_):
    family_id, _, tokens = await two_workers(client, other_client)
    person_id = (await Person.insert(Person(family=family_id, name="Bente Berg", role="relative",
                                            sector="family", phone="70 10 40 40")))[0]["id"]
    phones = ["70 10 41 41", "70 10 42 42"]
    responses = await race(
        client, other_client, tokens, f"/families/{family_id}/network/people/{person_id}",
        {"name": "Bente Berg", "role": "relative", "phone": phones[0], "version": "1"},
        {"name": "Bente Berg", "role": "relative", "phone": phones[1], "version": "1"})
    winner, loser = one_winner(responses)
    assert phones[0] in loser.text and phones[1] in loser.text
    row = await Person.select().where(Person.id == person_id).first()
    assert row["phone"].endswith(phones[winner]) and row["version"] == 2


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_same_agreement(client, other_client, round_):
    _, _, tokens = await two_workers(client, other_client)
    partner = (await Organisation.insert(Organisation(
        name="Sundhedsplejen", kind="health_visiting", sector="health")))[0]["id"]
    today = app_clock.today()
    agreement_id = await agreements.create_agreement(None, AgreementInput(
        title="Oprindelig", partner_id=partner, period_start=today - timedelta(days=30),
        period_end=today + timedelta(days=600), evaluation_months=3, status="active",
        purpose="Tidlig opsporing", parties=()))

    def form(title: str) -> dict:
        return {"title": title, "partner": str(partner), "period_start": (today - timedelta(days=30)).isoformat(),
                "period_end": (today + timedelta(days=400)).isoformat(), "evaluation_months": "3", "status": "active",
                "purpose": "Fælles opfølgning", "target_group": "", "version": "1"}

    titles = ["Saras aftale", "Lenes aftale"]
    responses = await race(client, other_client, tokens, f"/agreements/{agreement_id}/edit",
                           form(titles[0]), form(titles[1]))
    winner, loser = one_winner(responses)
    assert titles[0] in loser.text and titles[1] in loser.text
    row = await Agreement.select().where(Agreement.id == agreement_id).first()
    assert (row["title"], row["version"]) == (titles[winner], 2)


async def meeting_and_two_people(client, other_client):
    """A draft meeting of the two workers' family and two network people not yet invited."""
    family_id, sara, tokens = await two_workers(client, other_client)
    meeting_id = await meetings.create_meeting(sara, {"id": family_id}, "netvaerksmoede", "Møde")
    people = [(await Person.insert(Person(family=family_id, name=name, role="private_network",
                                          sector="private_network")))[0]["id"]
              for name in ("Karen Kok", "Ole Ost")]
    return meeting_id, people, tokens


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_participant_additions_without_a_version_are_refused(client, other_client, round_):
    """Forms that sent no version: nothing is saved over what the sender never saw; each is
    told the form came without one (409, what they added kept on the page)."""
    meeting_id, people, tokens = await meeting_and_two_people(client, other_client)
    responses = await race(client, other_client, tokens, f"/meetings/{meeting_id}/participants",
                           {"person_id": str(people[0])}, {"person_id": str(people[1])})
    assert [r.status_code for r in responses] == [409, 409], [r.text[:300] for r in responses]
    assert all("hvilken udgave af siden du udfyldte" in r.text for r in responses)
    assert "Karen Kok" in responses[0].text and "Ole Ost" in responses[1].text
    assert await Participant.count().where(Participant.meeting == meeting_id) == 0
    assert (await Meeting.select(Meeting.version).where(Meeting.id == meeting_id).first())["version"] == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_two_participant_additions_from_the_same_page_version(client, other_client, round_):
    """Both saw version 1: one lands, the other is told (409 naming who they added)."""
    meeting_id, people, tokens = await meeting_and_two_people(client, other_client)
    responses = await race(client, other_client, tokens, f"/meetings/{meeting_id}/participants",
                           {"person_id": str(people[0]), "version": "1"},
                           {"person_id": str(people[1]), "version": "1"})
    winner, loser = one_winner(responses)
    assert ("Ole Ost" if winner == 0 else "Karen Kok") in loser.text
    rows = await Participant.select(Participant.person).where(Participant.meeting == meeting_id)
    assert [r["person"] for r in rows] == [people[winner]]


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_two_intake_posts_both_land(client, other_client, round_):
    family_id, _, tokens = await two_workers(client, other_client)
    responses = await race(client, other_client, tokens, f"/families/{family_id}/intake/family",
                           {"role": "mother", "name": "Mette Mor", "phone": "70 10 50 50"},
                           {"role": "child", "name": "Bo Barn", "birth_year": "2019"})
    assert [r.status_code for r in responses] == [303, 303], [r.text[:300] for r in responses]
    names = {r["name"] for r in await Person.select(Person.name).where(Person.family == family_id)}
    assert names == {"Mette Mor", "Bo Barn"}
