"""Use cases for accounts: login with rate limit, server-side sessions, user management."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from coordinator import clock, db
from coordinator.auth.passwords import hash_password, needs_rehash, verify_password
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role, parse_role
from coordinator.auth.tables import LoginAttempt, Session, User
from coordinator.settings import Settings

SESSION_TOUCH_SECONDS = 60  # write last_seen at most once a minute per session


class LoginRefused(Exception):
    """Login failed; ``message`` is Danish and identical for unknown user and bad password."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


BAD_CREDENTIALS = "Brugernavn eller adgangskode er forkert."
RATE_LIMITED = (
    "For mange mislykkede forsøg på at logge ind. Vent {minutes} minutter, og prøv igen. "
    "Kontakt en administrator, hvis du har glemt din adgangskode."
)



def token_hash(token: str) -> str:
    """What the database stores of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    """A session just created at login: the cookie value and the user."""

    token: str
    principal: Principal


def principal_from_row(row: dict) -> Principal:
    """Turn a User row (dict) into the policy's Principal."""
    return Principal(
        id=row["id"], username=row["username"], role=Role(row["role"]), full_name=row["full_name"],
        must_change_password=bool(row.get("must_change_password")),
        unit=(row["unit"] or "") if "unit" in row else None,
    )


async def _recent_failures(settings: Settings, username: str, address: str) -> tuple[int, int]:
    since = clock.now() - timedelta(minutes=settings.login_window_minutes)
    by_account = await LoginAttempt.count().where(
        (LoginAttempt.username == username)
        & (LoginAttempt.succeeded == False)  # noqa: E712 - Piccolo needs ==
        & (LoginAttempt.at >= since)
    )
    by_address = await LoginAttempt.count().where(
        (LoginAttempt.client_address == address)
        & (LoginAttempt.succeeded == False)  # noqa: E712
        & (LoginAttempt.at >= since)
    )
    return by_account, by_address


async def login(
    settings: Settings, username: str, password: str, address: str, old_token: str | None
) -> NewSession:
    """Check credentials under the rate limit and open a fresh session.

    The token presented before login (if any) is deleted, so a planted session id never
    becomes an authenticated one (no session fixation).

    The attempt is written (as a failure) BEFORE it is counted and before the password is
    checked, so parallel attempts count each other: of N at once, only those within the
    limit reach the (expensive) password check; a success then marks its own row.
    """
    username = username.strip().lower()[:64]
    attempt = (await LoginAttempt.insert(
        LoginAttempt(username=username, client_address=address, at=clock.now())
    ).returning(LoginAttempt.id))[0]["id"]
    by_account, by_address = await _recent_failures(settings, username, address)
    if (
        by_account > settings.login_max_failures_per_account
        or by_address > settings.login_max_failures_per_address
    ):
        raise LoginRefused(RATE_LIMITED.format(minutes=settings.login_window_minutes), 429)

    row = await User.select().where(User.username == username).first()
    valid = verify_password(row["password_hash"] if row else None, password)
    if not row or not valid or not row["active"]:
        raise LoginRefused(BAD_CREDENTIALS, 400)

    token = secrets.token_urlsafe(32)
    moment = clock.now()
    async with db.transaction():
        if old_token:
            await Session.delete().where(Session.token_hash == token_hash(old_token))
        await Session.insert(
            Session(
                token_hash=token_hash(token),
                user=row["id"],
                created_at=moment,
                last_seen_at=moment,
                absolute_expires_at=moment + timedelta(hours=settings.session_max_hours),
                client_address=address,
            )
        )
        await LoginAttempt.update({LoginAttempt.succeeded: True}).where(LoginAttempt.id == attempt)
        if needs_rehash(row["password_hash"]):  # credentials: see reset_password
            await User.update({User.password_hash: hash_password(password)}).where(
                User.id == row["id"]
            )
    return NewSession(token=token, principal=principal_from_row(row))


# Every request runs this: hand-written, one statement (see db.fetch).
_SESSION = (
    'SELECT s."id", s."last_seen_at", s."absolute_expires_at", u."id" AS "user_id", '
    'u."username", u."role", u."full_name", u."active", u."must_change_password", u."unit" '
    'FROM "app_session" s '
    'JOIN "app_user" u ON u."id" = s."user" WHERE s."token_hash" = {}'
)


async def resolve_session(settings: Settings, token: str | None) -> Principal | None:
    """The user behind a session cookie, or None if absent, expired or revoked.

    Inactivity expiry: a session unused for SESSION_IDLE_MINUTES is deleted. Activity renews
    it (last_seen is written at most once a minute to keep reads cheap).
    """
    if not token or len(token) > 128:
        return None
    rows = await db.fetch(_SESSION, token_hash(token), quick=True)
    row = rows[0] if rows else None
    if row is None:
        return None
    moment = clock.now()
    idle_limit = row["last_seen_at"] + timedelta(minutes=settings.session_idle_minutes)
    if moment >= idle_limit or moment >= row["absolute_expires_at"] or not row["active"]:
        await Session.delete().where(Session.id == row["id"])
        return None
    if (moment - row["last_seen_at"]).total_seconds() > SESSION_TOUCH_SECONDS:
        await Session.update({Session.last_seen_at: moment}).where(Session.id == row["id"])
    return Principal(
        id=row["user_id"], username=row["username"], role=Role(row["role"]),
        full_name=row["full_name"], must_change_password=bool(row["must_change_password"]),
        unit=row["unit"] or "",
    )


async def logout(token: str | None) -> None:
    """End the server-side session; the cookie alone is then worthless."""
    if token:
        await Session.delete().where(Session.token_hash == token_hash(token))


class InvalidAccount(ValueError):
    """A new account's data refused: the Danish message and the form field it is about."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


async def create_user(
    username: str, full_name: str, role: str, password: str, email: str = "",
    phone: str = "", unit: str = "",
) -> int:
    """Create an account; ValueError (``InvalidAccount`` naming the field) with a Danish
    message on bad input or a taken name."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace("-", "").replace(".", "").isalnum():
        raise InvalidAccount("Brugernavnet må kun indeholde bogstaver, tal, punktum og bindestreg.",
                             "username")
    if not full_name.strip():
        raise InvalidAccount("Skriv brugerens fulde navn.", "full_name")
    if len(password) < 4:
        raise InvalidAccount("Adgangskoden skal være mindst 4 tegn.", "password")
    parsed = parse_role(role)
    phone = work_phone(phone)
    if await User.exists().where(User.username == username):
        raise InvalidAccount(f"Brugernavnet {username} er allerede i brug.", "username")
    rows = await User.insert(
        User(
            username=username, full_name=full_name.strip(), role=parsed.value,
            password_hash=hash_password(password), email=email.strip(), phone=phone,
            unit=unit.strip(),
        )
    )
    return rows[0]["id"]


class AccountRefused(Exception):
    """An account change that would lock the admins out or hit the wrong account."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def _keeps_an_admin(user_id: int) -> bool:
    """True when another active admin remains if ``user_id`` stops being one."""
    return await User.exists().where((User.role == Role.ADMIN.value) & (User.active == True)  # noqa: E712
                                     & (User.id != user_id))


async def set_active(user_id: int, active: bool, actor_id: int | None = None) -> bool:
    """Activate or deactivate an account; deactivation ends its sessions at once. Nobody
    deactivates their own account, and the last active admin stays.

    Returns False (nothing changed) when there is no such account."""
    async with db.transaction():
        row = await User.select(User.id, User.role).where(User.id == user_id).first()
        if row is None:
            return False
        if not active and user_id == actor_id:
            raise AccountRefused("Du kan ikke deaktivere din egen konto.")
        if not active and row["role"] == Role.ADMIN.value and not await _keeps_an_admin(user_id):
            raise AccountRefused("Den sidste aktive administrator kan ikke deaktiveres.")
        await db.update_versioned(User, user_id, db.ANY_VERSION, {User.active: active})
        if not active:
            await Session.delete().where(Session.user == user_id)
    return True


async def account_exists(user_id: int) -> bool:
    """True when there is an account with this id."""
    return await User.exists().where(User.id == user_id)


_PHONE = re.compile(r"^\+?[\d\s()-]{8,32}$")


def work_phone(value: str) -> str:
    """A work phone as typed (``70 10 20 30``, ``+45 70102030``), or empty; ValueError with a
    Danish message for anything else. Invitation letters give it to those who answer by
    phone."""
    value = " ".join(value.split())
    if value and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 8):
        raise ValueError("Skriv arbejdstelefonen med cifre, fx 70 10 20 30.")
    return value


async def set_phone(user_id: int, phone: str) -> str:
    """Give an account its work phone (empty: none); returns the old one. ValueError with a
    Danish message for a number that is not one."""
    phone = work_phone(phone)
    async with db.transaction():
        row = await User.select(User.phone).where(User.id == user_id).first()
        if row is None:
            raise AccountRefused("Brugeren findes ikke.")
        await db.update_versioned(User, user_id, db.ANY_VERSION, {User.phone: phone})
    return row["phone"]


async def change_role(user_id: int, role: str) -> str:
    """Give an account another role (the last active admin keeps theirs); its sessions end,
    so the new rights apply from the next login. Returns the old role."""
    parsed = parse_role(role)
    async with db.transaction():
        row = await User.select(User.id, User.role, User.active).where(User.id == user_id).first()
        if row is None:
            raise AccountRefused("Brugeren findes ikke.")
        if (row["role"] == Role.ADMIN.value and parsed is not Role.ADMIN and row["active"]
                and not await _keeps_an_admin(user_id)):
            raise AccountRefused("Den sidste aktive administrator skal beholde sin rolle.")
        await db.update_versioned(User, user_id, db.ANY_VERSION, {User.role: parsed.value})
        await Session.delete().where(Session.user == user_id)
    return row["role"]


async def reset_password(user_id: int) -> str:
    """A temporary password for an account (shown once to the admin); the account must
    choose a new one at its next login, and its sessions end now.

    The credentials (``password_hash``, ``must_change_password``) are written outside
    optimistic locking, here, at a change of one's own password and at a login's rehash:
    no page shows them, so a new password must not make an open form of the account
    conflict (``UNVERSIONED_COLUMNS`` in ``tests/test_architecture.py``). What the admin
    page shows (role, active) raises the version like any versioned write."""
    temporary = secrets.token_urlsafe(9)
    async with db.transaction():
        if not await User.exists().where(User.id == user_id):
            raise AccountRefused("Brugeren findes ikke.")
        await User.update({User.password_hash: hash_password(temporary),
                           User.must_change_password: True}).where(User.id == user_id)
        await Session.delete().where(Session.user == user_id)
    return temporary


MIN_PASSWORD = 10


async def change_password(user: Principal, current: str, new: str, repeat: str) -> None:
    """The user's own new password: the current one must be right, the new one at least
    ten characters, typed twice alike, and not the current one."""
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    if row is None or not verify_password(row["password_hash"], current):
        raise AccountRefused("Den nuværende adgangskode er forkert.")
    if len(new) < MIN_PASSWORD:
        raise AccountRefused(f"Den nye adgangskode skal være mindst {MIN_PASSWORD} tegn.")
    if new != repeat:
        raise AccountRefused("De to nye adgangskoder er ikke ens.")
    if new == current:
        raise AccountRefused("Vælg en anden adgangskode end den midlertidige.")
    await User.update({User.password_hash: hash_password(new),
                       User.must_change_password: False}).where(User.id == user.id)


async def list_users() -> list[dict]:
    """All accounts for the admin page (never the hashes)."""
    return await User.select(
        User.id, User.username, User.full_name, User.role, User.unit, User.email, User.phone,
        User.active,
    ).order_by(User.username)


async def purge_expired(settings: Settings) -> None:
    """Delete sessions and login attempts that can no longer matter."""
    moment = clock.now()
    idle_cutoff = moment - timedelta(minutes=settings.session_idle_minutes)
    await Session.delete().where(
        (Session.last_seen_at < idle_cutoff) | (Session.absolute_expires_at < moment)
    )
    await LoginAttempt.delete().where(LoginAttempt.at < moment - timedelta(days=1))
