"""The worker queues due reminders itself (once a minute, before it claims) and delivers
them; a failure to queue is logged and never stops the delivery."""

from __future__ import annotations

from coordinator import clock as app_clock
from coordinator import db
from coordinator.invites import worker
from coordinator.invites.tables import OutboxMessage
from coordinator.reminders import digest
from coordinator.reminders import service as reminders
from coordinator.reminders.tables import DigestRun
from tests import conftest, factories
from tests.invites import support
from tests.reminders.test_reminders_db import body, digest_day, invited_meeting
from tests.support.smtp import smtp_server_fixture

smtp_server = smtp_server_fixture()


async def test_the_worker_queues_and_delivers_the_digest(smtp_server, monkeypatch):
    day = digest_day()
    await invited_meeting(day)
    app_clock.pin(support.at(day, 9))
    # The test's database stays open: the worker's own start and stop are left out here.
    monkeypatch.setattr(db, "start", _nothing)
    monkeypatch.setattr(db, "stop", _nothing)
    settings = conftest.test_settings(smtp_url=f"smtp://{smtp_server.host}:{smtp_server.port}",
                                      mail_from="koordinator@example.invalid")
    handled = await worker.run(settings, once=True)
    assert handled == 5  # four invitations and Sara's digest
    digests = [m for m in smtp_server.wait_for(5) if m.message["Subject"].startswith("Dagens")]
    assert [m.rcpt_tos for m in digests] == [("sara@kommune.example.org",)]
    assert "Lars Lærer har ikke svaret" in body(digests[0])
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "DIGEST")
    assert row["status"] == "sent"


async def test_a_failure_to_queue_reminders_is_logged_and_delivery_goes_on(monkeypatch):
    async def broken(settings) -> tuple[int, int]:
        raise RuntimeError("database gone")

    logged: list[str] = []
    monkeypatch.setattr(reminders, "run_due", broken)
    monkeypatch.setattr(worker.log, "exception", lambda message, *args: logged.append(message))
    await worker.queue_reminders(conftest.test_settings())  # does not raise
    assert logged == ["reminders could not be queued; trying again in a minute"]


async def _nothing() -> None:
    return None


async def test_one_users_failing_digest_does_not_hold_up_the_others(monkeypatch):
    day = digest_day()
    s = await invited_meeting(day)
    other = await factories.user("leder", email="lene@kommune.example.org")
    await factories.family(other, name="Familien Lund")
    real = reminders.compose
    logged: list[object] = []

    async def compose(user, run):
        if user.id == s.worker.id:
            raise RuntimeError("a broken row")
        return await real(user, run)

    monkeypatch.setattr(reminders, "compose", compose)
    monkeypatch.setattr(reminders.log, "exception", lambda message, *args: logged.append(args))
    app_clock.pin(support.at(digest.next_days(day)[1], 8))  # the meeting is today at 10.00
    assert await reminders.send_digests(conftest.test_settings(), app_clock.now()) == 0
    assert logged == [(s.worker.id,)]
    assert await DigestRun.count().where(DigestRun.user == other.id) == 1
    assert not await DigestRun.exists().where(DigestRun.user == s.worker.id)  # tried again
