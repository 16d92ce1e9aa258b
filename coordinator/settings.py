"""All configuration, declared once and read once from the environment.

Every option has a type, a default and a help text (the README's configuration table is
generated from ``OPTIONS``). ``Settings.from_env()`` validates everything at start-up so a
bad value stops the process with one clear line instead of failing later.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the setting."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"expected a positive whole number, got {value!r}")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected a whole number of 0 or more, got {value!r}")
    return number


def _host_list(value: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower().rstrip(".") for h in value.split(",") if h.strip())
    if any(not h.replace("-", "").replace(".", "").isalnum() for h in hosts):
        raise ValueError(f"expected host names separated by commas, got {value!r}")
    return hosts


@dataclass(frozen=True)
class Option:
    """One environment variable: its name, parser, default and help text."""

    env: str
    attr: str
    parse: Callable[[str], Any]
    default: Any
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("DATABASE_URL", "database_url", str, "sqlite:///data/coordinator.sqlite",
           "Database. `sqlite:///path/file.sqlite` (relative to the working directory) or "
           "`postgresql://user:password@host:5432/name`."),
    Option("SECRET_KEY", "secret_key", str, "",
           "Secret for CSRF tokens. Shared by all web processes. When empty, a random key is "
           "created once in `data/secret_key`."),
    Option("PUBLIC_BASE_URL", "public_base_url", str, "http://127.0.0.1:8000",
           "The address users and partners reach the server at; used in invite links and feeds."),
    Option("COOKIE_SECURE", "cookie_secure", _bool, True,
           "Send cookies only over HTTPS. `coordinator demo` turns it off for plain http on 127.0.0.1."),
    Option("SESSION_IDLE_MINUTES", "session_idle_minutes", _positive_int, 30,
           "A session ends after this many minutes without a request."),
    Option("SESSION_MAX_HOURS", "session_max_hours", _positive_int, 12,
           "A session ends this many hours after login, however active."),
    Option("LOGIN_MAX_FAILURES_PER_ACCOUNT", "login_max_failures_per_account", _positive_int, 5,
           "Failed logins allowed per account within the window before answers are 429."),
    Option("LOGIN_MAX_FAILURES_PER_ADDRESS", "login_max_failures_per_address", _positive_int, 20,
           "Failed logins allowed per client address within the window."),
    Option("LOGIN_WINDOW_MINUTES", "login_window_minutes", _positive_int, 15,
           "The window for the login rate limit, in minutes."),
    Option("TRUSTED_PROXY_HEADERS", "trusted_proxy_headers", _bool, False,
           "Take the client address from X-Forwarded-For (only behind a proxy you control)."),
    Option("SMTP_URL", "smtp_url", str, "",
           "Outgoing mail: `smtp://user:pass@host:587` (STARTTLS), `smtps://…:465` (TLS) or "
           "`smtp://host:25` (plain, local relays only). Empty: invites stay in the outbox."),
    Option("MAIL_FROM", "mail_from", str, "koordinator@example.invalid",
           "The sender address of invites (also the iCalendar ORGANIZER address)."),
    Option("INBOUND_MAIL_TOKEN", "inbound_mail_token", str, "",
           "Shared secret the inbound-mail hook sends as `Authorization: Bearer …` when it posts "
           "replies to /inbound/mail. Empty disables the endpoint."),
    Option("INVITE_LINK_DAYS", "invite_link_days", _positive_int, 120,
           "Personal answer links expire this many days after the meeting is sent."),
    Option("RETENTION_DAYS", "retention_days", _positive_int, 365 * 5,
           "Closed families are pseudonymised this many days after closing."),
    Option("LOG_LEVEL", "log_level", str, "INFO", "Python log level."),
    Option("BUSY_FEED_ALLOWED_HOSTS", "busy_feed_allowed_hosts", _host_list, (),
           "Host names that imported busy-time calendars may reach although they resolve to a "
           "loopback or private address (comma-separated, e.g. an internal Exchange server). "
           "Empty: only public addresses."),
    Option("FEED_SETTLE_SECONDS", "feed_settle_seconds", _non_negative_int, 60,
           "A subscribed calendar (feed) is rebuilt at most this often per link: a change "
           "reaches the partners' calendars within this many seconds, and a busy day's writes "
           "do not rebuild every feed on every fetch. 0: rebuilt on every change."),
    Option("INVITE_UPDATE_SETTLE_SECONDS", "invite_update_settle_seconds", _non_negative_int, 120,
           "An update of a sent meeting waits this many seconds in the outbox; a newer update "
           "of the same part replaces it, so a burst of edits sends one mail per recipient. "
           "Invitations and cancellations go at once."),
)


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one process."""

    database_url: str = "sqlite:///data/coordinator.sqlite"
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = True
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    trusted_proxy_headers: bool = False
    smtp_url: str = ""
    mail_from: str = "koordinator@example.invalid"
    inbound_mail_token: str = ""
    invite_link_days: int = 120
    retention_days: int = 365 * 5
    log_level: str = "INFO"
    busy_feed_allowed_hosts: tuple[str, ...] = ()
    feed_settle_seconds: int = 60
    invite_update_settle_seconds: int = 120
    data_dir: Path = field(default=BASE_DIR / "data")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every option from the environment, validating each; raise SettingsError."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for option in OPTIONS:
            raw = env.get(option.env)
            if raw is None or raw == "":
                values[option.attr] = option.default
                continue
            try:
                values[option.attr] = option.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{option.env}: {exc}") from None
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Check cross-field rules; raise SettingsError naming the setting."""
        if self.engine not in {"sqlite", "postgresql"}:
            raise SettingsError(
                "DATABASE_URL: must start with sqlite:/// or postgresql:// "
                f"(got {self.database_url.split(':', 1)[0]!r})"
            )

    @property
    def engine(self) -> str:
        """'sqlite' or 'postgresql', from the DATABASE_URL scheme."""
        scheme = self.database_url.split(":", 1)[0].lower()
        if scheme == "sqlite":
            return "sqlite"
        if scheme in {"postgresql", "postgres"}:
            return "postgresql"
        return scheme

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file named by DATABASE_URL (relative paths are taken from the cwd)."""
        return Path(self.database_url.split("sqlite:///", 1)[1])

    def resolved_secret(self) -> str:
        """The CSRF secret: SECRET_KEY, or a key kept in data/secret_key (created once)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    def with_(self, **changes: Any) -> Settings:
        """A copy with some values changed (used by the CLI and tests)."""
        return replace(self, **changes)


def option_table() -> str:
    """The README's configuration table, generated from OPTIONS so it never drifts."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for option in OPTIONS:
        default = option.default if option.default not in ("", ()) else "(empty)"
        rows.append(f"| `{option.env}` | `{default}` | {option.help} |")
    return "\n".join(rows)
