"""Who wants which reminders: a user's own choice, and the opt-out of an address.

A use-case module over the reminder tables only, so the invites domain can ask it whether
an invitation carries a calendar alarm without depending on the rest of reminders.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coordinator import clock
from coordinator.reminders.tables import ReminderLink, ReminderPreference


@dataclass(frozen=True)
class Choice:
    """A user's reminders: the daily digest and the reminders before meetings."""

    digest: bool = True
    meeting_reminders: bool = True


def address_hash(email: str) -> str:
    """The SHA-256 (hex) under which an address's opt-out is kept."""
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def choice_of(user_id: int) -> Choice:
    """The user's reminders (both on until they choose otherwise)."""
    row = await ReminderPreference.select().where(ReminderPreference.user == user_id).first()
    return Choice(bool(row["digest"]), bool(row["meeting_reminders"])) if row else Choice()


async def choices_of(user_ids: list[int]) -> dict[int, Choice]:
    """The reminders of several users (missing ones: both on)."""
    if not user_ids:
        return {}
    rows = await ReminderPreference.select().where(ReminderPreference.user.is_in(user_ids))
    chosen = {r["user"]: Choice(bool(r["digest"]), bool(r["meeting_reminders"])) for r in rows}
    return {user_id: chosen.get(user_id, Choice()) for user_id in user_ids}


async def save_choice(user_id: int, choice: Choice) -> None:
    """Store the user's reminders (call inside a transaction, with the audit record)."""
    values: dict[Any, Any] = {ReminderPreference.digest: choice.digest,
              ReminderPreference.meeting_reminders: choice.meeting_reminders,
              ReminderPreference.updated_at: clock.now()}
    if await ReminderPreference.exists().where(ReminderPreference.user == user_id):
        await ReminderPreference.update(values).where(ReminderPreference.user == user_id)
    else:
        await ReminderPreference.insert(ReminderPreference(
            user=user_id, digest=choice.digest, meeting_reminders=choice.meeting_reminders,
            updated_at=clock.now()))


async def opted_out(email: str) -> bool:
    """Whether the address opted out of meeting reminders through a mail's link."""
    return await ReminderLink.exists().where(
        (ReminderLink.address_hash == address_hash(email)) & ReminderLink.opted_out_at.is_not_null())


async def wants_meeting_reminders(email: str, user_id: int | None) -> bool:
    """Whether a participant gets reminders before the meeting (a mail and a calendar
    alarm): not when the address opted out, nor when their account turned them off."""
    return (await meeting_reminder_wishes([(email, user_id)]))[(email, user_id)]


async def meeting_reminder_wishes(
        recipients: Iterable[tuple[str, int | None]]) -> dict[tuple[str, int | None], bool]:
    """``wants_meeting_reminders`` for each (address, account) at once, in two statements
    whatever their number (a change of a meeting tells all its partners)."""
    asked = list(dict.fromkeys(recipients))
    if not asked:
        return {}
    hashes = {email: address_hash(email) for email, _ in asked}
    out = {row["address_hash"] for row in await ReminderLink.select(ReminderLink.address_hash).where(
        ReminderLink.address_hash.is_in(sorted(set(hashes.values())))
        & ReminderLink.opted_out_at.is_not_null())}
    choices = await choices_of(sorted({user for _, user in asked if user is not None}))
    return {(email, user): hashes[email] not in out
            and (user is None or choices[user].meeting_reminders) for email, user in asked}


async def new_link(email: str) -> str:
    """A fresh opt-out token for one reminder mail to ``email`` (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    await ReminderLink.insert(ReminderLink(token_hash=_token_hash(token),
                                           address_hash=address_hash(email)))
    return token


async def link_state(token: str) -> bool | None:
    """Whether the link's address is opted out now; None when there is no such link."""
    if not token or len(token) > 100:
        return None
    row = await ReminderLink.select(ReminderLink.address_hash).where(
        ReminderLink.token_hash == _token_hash(token)).first()
    if row is None:
        return None
    return await ReminderLink.exists().where(
        (ReminderLink.address_hash == row["address_hash"]) & ReminderLink.opted_out_at.is_not_null())


async def set_opt_out(token: str, out: bool) -> bool:
    """Opt the link's address out of meeting reminders (or back in); False: no such link."""
    row = await ReminderLink.select(ReminderLink.address_hash).where(
        ReminderLink.token_hash == _token_hash(token)).first()
    if row is None:
        return False
    same = ReminderLink.address_hash == row["address_hash"]
    if out:
        await ReminderLink.update({ReminderLink.opted_out_at: clock.now()}).where(
            same & ReminderLink.opted_out_at.is_null())
    else:
        await ReminderLink.update({ReminderLink.opted_out_at: None}).where(same)
    return True
