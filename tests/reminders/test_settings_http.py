"""The user's own Påmindelser page: both reminders on by default, switched off and on,
audited; the digest only for those who hold cases; only for the logged-in user."""

from __future__ import annotations

import pytest

from coordinator.audit.tables import AuditEvent
from coordinator.reminders import preferences
from tests import factories


async def test_a_socialraadgiver_switches_the_digest_off_and_back(client):
    user = await factories.user("socialraadgiver", email="sara@kommune.example.org")
    await factories.login(client, user)
    page = await client.get("/paamindelser/")
    assert page.status_code == 200
    assert "Daglig oversigt" in page.text and "sara@kommune.example.org" in page.text
    assert page.text.count(" checked") == 2
    assert 'href="/paamindelser/"' in page.text  # in the main navigation

    saved = await factories.post_form(client, "/paamindelser/", {"meeting_reminders": "on"},
                                      page="/paamindelser/")
    assert saved.status_code == 303 and saved.headers["location"] == "/paamindelser/?gemt=1"
    assert await preferences.choice_of(user.id) == preferences.Choice(digest=False,
                                                                      meeting_reminders=True)
    shown = await client.get("/paamindelser/?gemt=1")
    assert "Dine valg er gemt" in shown.text and shown.text.count(" checked") == 1
    [event] = await AuditEvent.select().where(AuditEvent.entity == "påmindelser")
    assert event["user_id"] == user.id and "Daglig oversigt fra" in event["summary"]

    await factories.post_form(client, "/paamindelser/", {"digest": "on", "meeting_reminders": "on"},
                              page="/paamindelser/")
    assert await preferences.choice_of(user.id) == preferences.Choice()


@pytest.mark.parametrize("role", ["kontaktperson", "samordner"])
async def test_no_digest_for_those_who_hold_no_cases(client, role):
    user = await factories.user(role)
    await factories.login(client, user)
    page = await client.get("/paamindelser/")
    assert page.status_code == 200
    assert "Daglig oversigt" not in page.text and "Påmindelse før møder" in page.text
    assert "@test.example.org</strong>" in page.text
    await factories.post_form(client, "/paamindelser/", {"digest": "on"}, page="/paamindelser/")
    assert await preferences.choice_of(user.id) == preferences.Choice(digest=False,
                                                                      meeting_reminders=False)


async def test_the_page_needs_a_login(client):
    response = await client.get("/paamindelser/")
    assert response.status_code != 200 and "Daglig oversigt" not in response.text
