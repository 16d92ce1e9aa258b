"""Use cases for accounts: login with rate limit, server-side sessions, user management."""

from __future__ import annotations

import hashlib
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
        id=row["id"], username=row["username"], role=Role(row["role"]), full_name=row["full_name"]
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
        if needs_rehash(row["password_hash"]):
            await User.update({User.password_hash: hash_password(password)}).where(
                User.id == row["id"]
            )
    return NewSession(token=token, principal=principal_from_row(row))


# Every request runs this: hand-written, one statement (see db.fetch).
_SESSION = (
    'SELECT s."id", s."last_seen_at", s."absolute_expires_at", u."id" AS "user_id", '
    'u."username", u."role", u."full_name", u."active" FROM "app_session" s '
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
        full_name=row["full_name"],
    )


async def logout(token: str | None) -> None:
    """End the server-side session; the cookie alone is then worthless."""
    if token:
        await Session.delete().where(Session.token_hash == token_hash(token))


async def create_user(
    username: str, full_name: str, role: str, password: str, email: str = "",
    phone: str = "", unit: str = "",
) -> int:
    """Create an account; ValueError with a Danish message on bad input or a taken name."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace("-", "").replace(".", "").isalnum():
        raise ValueError("Brugernavnet må kun indeholde bogstaver, tal, punktum og bindestreg.")
    if not full_name.strip():
        raise ValueError("Skriv brugerens fulde navn.")
    if len(password) < 4:
        raise ValueError("Adgangskoden skal være mindst 4 tegn.")
    parsed = parse_role(role)
    if await User.exists().where(User.username == username):
        raise ValueError(f"Brugernavnet {username} er allerede i brug.")
    rows = await User.insert(
        User(
            username=username, full_name=full_name.strip(), role=parsed.value,
            password_hash=hash_password(password), email=email.strip(), phone=phone.strip(),
            unit=unit.strip(),
        )
    )
    return rows[0]["id"]


async def set_active(user_id: int, active: bool) -> bool:
    """Activate or deactivate an account; deactivation ends its sessions at once.

    Returns False (nothing changed) when there is no such account."""
    async with db.transaction():
        if not await User.exists().where(User.id == user_id):
            return False
        await User.update({User.active: active}).where(User.id == user_id)
        if not active:
            await Session.delete().where(Session.user == user_id)
    return True


async def list_users() -> list[dict]:
    """All accounts for the admin page (never the hashes)."""
    return await User.select(
        User.id, User.username, User.full_name, User.role, User.unit, User.email, User.active
    ).order_by(User.username)


async def purge_expired(settings: Settings) -> None:
    """Delete sessions and login attempts that can no longer matter."""
    moment = clock.now()
    idle_cutoff = moment - timedelta(minutes=settings.session_idle_minutes)
    await Session.delete().where(
        (Session.last_seen_at < idle_cutoff) | (Session.absolute_expires_at < moment)
    )
    await LoginAttempt.delete().where(LoginAttempt.at < moment - timedelta(days=1))
