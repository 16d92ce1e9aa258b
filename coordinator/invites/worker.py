"""`coordinator worker`: deliver the outbox over SMTP, exactly once per message and recipient.

How a row travels
-----------------
1. **Claim** (one short transaction): due rows — ``queued`` with ``next_attempt_at`` passed,
   or ``sending`` whose lease ``claimed_until`` ran out because a worker died — are marked
   ``sending`` with ``claimed_by`` and a lease, and ``attempts`` is counted. PostgreSQL:
   ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent workers take different rows without
   waiting. SQLite: the transaction is ``BEGIN IMMEDIATE``, which holds the single write
   lock from the SELECT to the UPDATE, so two workers can never claim the same row.
2. **Send** the stored bytes (built and redacted at enqueue time, Message-ID included).
3. **Mark** ``sent`` — only if the lease is still ours (``claimed_by`` matches). Just
   before a row is sent its lease is renewed, if it is still ours (``still_mine``): a
   worker slower than its lease skips a row another worker has taken since.

Exactly once, and the one window that remains
---------------------------------------------
Two workers never hold the same row (claim + lease), a message is never built twice
(the dedupe key ``meeting:participant:sequence:kind`` is unique), and a worker killed
before the SMTP server accepted the message leaves a row whose lease expires and which the
next worker sends: nothing lost, nothing doubled. The remaining at-least-once window is
a crash *after* the server answered 250 to DATA and *before* step 3 committed: the next
worker sends the message again. Both copies carry the same Message-ID (fixed at enqueue),
so receiving servers and clients that dedupe on Message-ID (and calendar clients, which
key on UID + SEQUENCE and so just apply the same update twice) show it once. The lease
must be longer than one send (default 120 s vs. an SMTP timeout of 30 s).

Reminders
---------
Once a minute, before it claims, the worker asks ``reminders.service.run_due`` to queue the
daily digests and meeting reminders that are due. They go into this same outbox (kind
``DIGEST`` and ``REMIND``) with unique dedupe keys, so several workers queue each once.

Failures
--------
Temporary ones (connection refused, 4xx) put the row back to ``queued`` with exponential
backoff (30 s · 2^attempts, at most 6 h); permanent ones (5xx) and the 10th temporary
failure mark it ``failed``. ``last_error`` holds a short, fixed description (error class
and SMTP code) and never the server's text, which may quote the address.
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.columns import Column

from coordinator import clock, db
from coordinator.invites import service as invites
from coordinator.invites.tables import OutboxMessage
from coordinator.reminders import service as reminders
from coordinator.settings import Settings

log = logging.getLogger("coordinator.worker")
MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 30
MAX_BACKOFF = timedelta(hours=6)
SMTP_TIMEOUT = 30


class SmtpConfigError(ValueError):
    """SMTP_URL cannot be used; the message names the problem."""


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to send: parsed from SMTP_URL."""

    host: str
    port: int
    ssl: bool
    username: str
    password: str


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user:pass@]host[:port]`` (STARTTLS when offered) or ``smtps://…`` (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpConfigError("SMTP_URL: must be smtp://host:port or smtps://host:port")
    secure = parts.scheme == "smtps"
    return SmtpTarget(parts.hostname, parts.port or (465 if secure else 587), secure,
                      unquote(parts.username or ""), unquote(parts.password or ""))


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """Retrying will not help."""


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if target.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT,
                                                context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
    client.ehlo()
    if not target.ssl and client.has_extn("starttls"):
        client.starttls(context=context)
        client.ehlo()
    if target.username:
        client.login(target.username, target.password)
    return client


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = next(iter(exc.recipients.values()))[0] if exc.recipients else None
    return f"{type(exc).__name__}" + (f" (SMTP {code})" if code else "")


def send_one(client: smtplib.SMTP, sender: str, recipient: str, message: str) -> None:
    """Send one stored message; classify failures as temporary or permanent."""
    try:
        client.sendmail(sender, [recipient], message.encode("ascii"))
    except smtplib.SMTPRecipientsRefused as exc:
        code = next(iter(exc.recipients.values()))[0] if exc.recipients else 550
        cls = TemporaryFailure if 400 <= code < 500 else PermanentFailure
        raise cls(_describe(exc)) from None
    except smtplib.SMTPResponseException as exc:
        cls = TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
        raise cls(_describe(exc)) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(_describe(exc)) from None


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` tries."""
    exponent = min(max(0, attempts - 1), 20)
    return min(timedelta(seconds=BACKOFF_SECONDS * 2 ** exponent), MAX_BACKOFF)


_DUE = ("status IN ('queued', 'sending') AND next_attempt_at <= {} "
        "AND (claimed_until IS NULL OR claimed_until < {})")


async def claim(worker_id: str, limit: int, lease: timedelta) -> list[dict]:
    """Claim up to ``limit`` due rows for this worker (see the module docstring)."""
    now = clock.now()
    until = now + lease
    skip_locked = " FOR UPDATE SKIP LOCKED" if db.engine_name() == "postgresql" else ""
    async with db.transaction():
        rows = await db.fetch(
            f"SELECT id FROM outbox_message WHERE {_DUE} ORDER BY id LIMIT {{}}{skip_locked}",
            now, now, limit)
        ids = [row["id"] for row in rows]
        if not ids:
            return []
        await OutboxMessage.update({
            OutboxMessage.status: "sending", OutboxMessage.claimed_by: worker_id,
            OutboxMessage.claimed_until: until,
            OutboxMessage.attempts: OutboxMessage.attempts + 1,
        }).where(OutboxMessage.id.is_in(ids))
    return await OutboxMessage.select(
        OutboxMessage.id, OutboxMessage.recipient_email, OutboxMessage.message,
        OutboxMessage.attempts, OutboxMessage.meeting, OutboxMessage.participant,
        OutboxMessage.kind,
    ).where(OutboxMessage.id.is_in(ids) & (OutboxMessage.claimed_by == worker_id)
            ).order_by(OutboxMessage.id)


async def _finish(row: dict, worker_id: str, error: Exception | None) -> None:
    now = clock.now()
    mine = (OutboxMessage.id == row["id"]) & (OutboxMessage.claimed_by == worker_id)
    values: dict[Column | str, Any]
    if error is None:
        values = {OutboxMessage.status: "sent", OutboxMessage.sent_at: now,
                  OutboxMessage.claimed_until: None, OutboxMessage.last_error: ""}
    elif isinstance(error, PermanentFailure) or row["attempts"] >= MAX_ATTEMPTS:
        values = {OutboxMessage.status: "failed", OutboxMessage.claimed_until: None,
                  OutboxMessage.last_error: str(error)[:200]}
    else:
        values = {OutboxMessage.status: "queued", OutboxMessage.claimed_until: None,
                  OutboxMessage.next_attempt_at: now + backoff(row["attempts"]),
                  OutboxMessage.last_error: str(error)[:200]}
    async with db.transaction():
        await OutboxMessage.update(values).where(mine)


async def still_mine(row: dict, worker_id: str, lease: timedelta) -> bool:
    """Renew the lease on ``row`` just before it is sent, if this worker still holds it.

    A worker slower than its lease (a stalled SMTP server, a busy machine) finds that
    another worker has claimed the row since and sent it, or is sending it: then it must
    not send it too. Renewing also keeps others off while this send runs, so a message is
    sent twice only when one send takes longer than a whole lease."""
    mine = ((OutboxMessage.id == row["id"]) & (OutboxMessage.claimed_by == worker_id)
            & (OutboxMessage.status == "sending"))
    async with db.transaction():
        renewed = await OutboxMessage.update(
            {OutboxMessage.claimed_until: clock.now() + lease}).where(mine).returning(
            OutboxMessage.id)
    return bool(renewed)


async def deliver_batch(target: SmtpTarget, sender: str, worker_id: str, *, limit: int = 20,
                        lease: timedelta = timedelta(seconds=120)) -> int:
    """Claim and send one batch over one SMTP connection; returns the rows handled."""
    rows = await claim(worker_id, limit, lease)
    if not rows:
        return 0
    try:
        client = await asyncio.to_thread(_connect, target)
    except (smtplib.SMTPException, OSError) as exc:
        failure = TemporaryFailure(_describe(exc))
        for row in rows:
            await _finish(row, worker_id, failure)
        log.warning("SMTP unavailable (%s); %d message(s) stay queued", failure, len(rows))
        return len(rows)
    try:
        for row in rows:
            if not await still_mine(row, worker_id, lease):
                continue  # this worker was slower than its lease and another one took it
            if not await invites.safe_to_send_now(row):
                continue  # withheld: what it says became protected since it was composed
            try:
                await asyncio.to_thread(send_one, client, sender, row["recipient_email"],
                                        row["message"])
            except (TemporaryFailure, PermanentFailure) as exc:
                await _finish(row, worker_id, exc)
                continue
            await _finish(row, worker_id, None)
    finally:
        try:
            await asyncio.to_thread(client.quit)
        except (smtplib.SMTPException, OSError):
            pass
    return len(rows)


async def queue_reminders(settings: Settings) -> None:
    """Queue the digests and meeting reminders that are due (``reminders.service``); a
    failure is logged and tried again next minute, and never stops the delivery."""
    try:
        digests, meeting_reminders = await reminders.run_due(settings)
    except Exception:
        log.exception("reminders could not be queued; trying again in a minute")
        return
    if digests or meeting_reminders:
        log.info("queued %d digest(s) and %d meeting reminder(s)", digests, meeting_reminders)


def worker_id() -> str:
    """A name for this worker process: host and pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


async def run(settings: Settings, *, once: bool = False, poll_seconds: float = 5.0,
              lease: timedelta = timedelta(seconds=120), limit: int = 20) -> int:
    """Deliver over ``SMTP_URL`` from ``MAIL_FROM`` until stopped (or, with ``once``, until
    nothing is due); returns rows handled. The reminders it queues get the same settings."""
    target = parse_smtp_url(settings.smtp_url)
    me = worker_id()
    total = 0
    await db.start()
    last_reminders = -1
    try:
        while True:
            if clock.minute() != last_reminders:  # reminders are decided once a minute
                last_reminders = clock.minute()
                await queue_reminders(settings)
            handled = await deliver_batch(target, settings.mail_from, me, limit=limit, lease=lease)
            total += handled
            if handled:
                continue
            if once:
                return total
            await asyncio.sleep(poll_seconds)
    finally:
        await db.stop()
