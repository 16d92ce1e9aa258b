"""A plain reply to a reminder mail reaches the meeting's socialrådgiver like a reply to the
invitation: forwarded through the outbox, the father's without a direct reply address."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_string, policy

import pytest

from coordinator import clock as app_clock
from coordinator.invites.tables import OutboxMessage
from coordinator.reminders import digest
from coordinator.reminders import service as reminders
from tests import conftest
from tests.invites import support
from tests.invites.test_replies_http import AUTH, plain_mail
from tests.reminders.test_reminders_db import digest_day, invited_meeting


@pytest.fixture
def settings():
    return conftest.test_settings(inbound_mail_token="indgaaende-hemmelighed")


async def test_the_fathers_reply_to_his_reminder_is_forwarded_through_the_department(client):
    day = digest_day()
    s = await invited_meeting(day)
    app_clock.pin(support.at(digest.next_days(day)[1], 10) - timedelta(hours=2))
    await reminders.run_due(conftest.test_settings())
    [reminder] = await OutboxMessage.select().where(
        (OutboxMessage.kind == "REMIND") & (OutboxMessage.recipient_email == "far@example.net"))
    response = await client.post("/inbound/mail", content=plain_mail(
        "far@example.net", reminder["message_id"], "Jeg kommer lidt senere."), headers=AUTH)
    assert response.status_code == 200, response.text
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "FORWARD")
    assert row["recipient_email"] == "sara@kommune.example.org" and row["meeting"] == s.meeting_id
    message = message_from_string(row["message"], policy=policy.default)
    assert message["Reply-To"] is None
    assert "Jeg kommer lidt senere." in message.get_body(("plain",)).get_content()
