"""All configuration, declared once and read once from the environment.

Every option is one field of ``Settings`` with its environment variable, parser, default
and help text; ``OPTIONS`` and the README's configuration table are derived from those
fields. ``Settings.from_env()`` validates everything at start-up so a
bad value stops the process with one clear line instead of failing later.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
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


def _whole(value: str, expected: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"expected {expected}, got {value!r}") from None


def _positive_int(value: str) -> int:
    number = _whole(value, "a positive whole number")
    if number <= 0:
        raise ValueError(f"expected a positive whole number, got {value!r}")
    return number


def _non_negative_int(value: str) -> int:
    number = _whole(value, "a whole number of 0 or more")
    if number < 0:
        raise ValueError(f"expected a whole number of 0 or more, got {value!r}")
    return number


def _time_of_day(value: str) -> str:
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ValueError(f"expected a time of day as HH:MM, got {value!r}")
    return f"{int(hours):02d}:{minutes}"


def _host_list(value: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower().rstrip(".") for h in value.split(",") if h.strip())
    if any(not h.replace("-", "").replace(".", "").isalnum() for h in hosts):
        raise ValueError(f"expected host names separated by commas, got {value!r}")
    return hosts


def _setting(env: str, parse: Callable[[str], Any], default: Any, help: str) -> Any:
    """A field of Settings read from the environment variable ``env``."""
    return field(default=default, metadata={"env": env, "parse": parse, "help": help})


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one process: each field that is read from the
    environment declares its variable, parser, default and help text here, once."""

    database_url: str = _setting(
        "DATABASE_URL", str, "sqlite:///data/coordinator.sqlite",
        "Database. `sqlite:///path/file.sqlite` (relative to the working directory) or "
        "`postgresql://user:password@host:5432/name`.")
    secret_key: str = _setting(
        "SECRET_KEY", str, "",
        "Secret for CSRF tokens. Shared by all web processes. When empty, a random key is "
        "created once in `data/secret_key`.")
    public_base_url: str = _setting(
        "PUBLIC_BASE_URL", str, "http://127.0.0.1:8000",
        "The address users and partners reach the server at; used in invite links and feeds.")
    cookie_secure: bool = _setting(
        "COOKIE_SECURE", _bool, True,
        "Send cookies only over HTTPS. `coordinator demo` turns it off for plain http on 127.0.0.1.")
    session_idle_minutes: int = _setting(
        "SESSION_IDLE_MINUTES", _positive_int, 30,
        "A session ends after this many minutes without a request.")
    session_max_hours: int = _setting(
        "SESSION_MAX_HOURS", _positive_int, 12,
        "A session ends this many hours after login, however active.")
    login_max_failures_per_account: int = _setting(
        "LOGIN_MAX_FAILURES_PER_ACCOUNT", _positive_int, 5,
        "Failed logins allowed per account within the window before answers are 429.")
    login_max_failures_per_address: int = _setting(
        "LOGIN_MAX_FAILURES_PER_ADDRESS", _positive_int, 20,
        "Failed logins allowed per client address within the window.")
    login_window_minutes: int = _setting(
        "LOGIN_WINDOW_MINUTES", _positive_int, 15,
        "The window for the login rate limit, in minutes.")
    trusted_proxy_headers: bool = _setting(
        "TRUSTED_PROXY_HEADERS", _bool, False,
        "Take the client address from X-Forwarded-For (only behind a proxy you control).")
    smtp_url: str = _setting(
        "SMTP_URL", str, "",
        "Outgoing mail: `smtp://user:pass@host:587` (STARTTLS), `smtps://…:465` (TLS) or "
        "`smtp://host:25` (plain, local relays only). Empty: invites stay in the outbox.")
    mail_from: str = _setting(
        "MAIL_FROM", str, "koordinator@example.invalid",
        "The sender address of invites (also the iCalendar ORGANIZER address).")
    inbound_mail_token: str = _setting(
        "INBOUND_MAIL_TOKEN", str, "",
        "Shared secret the inbound-mail hook sends as `Authorization: Bearer …` when it posts "
        "replies to /inbound/mail. Empty disables the endpoint.")
    invite_link_days: int = _setting(
        "INVITE_LINK_DAYS", _positive_int, 120,
        "Personal answer links expire this many days after the meeting is sent.")
    retention_days: int = _setting(
        "RETENTION_DAYS", _positive_int, 365 * 5,
        "Closed families are pseudonymised this many days after closing.")
    log_level: str = _setting(
        "LOG_LEVEL", str, "INFO", "Python log level.")
    busy_feed_allowed_hosts: tuple[str, ...] = _setting(
        "BUSY_FEED_ALLOWED_HOSTS", _host_list, (),
        "Host names that imported busy-time calendars may reach although they resolve to a "
        "loopback or private address (comma-separated, e.g. an internal Exchange server). "
        "Empty: only public addresses.")
    feed_settle_seconds: int = _setting(
        "FEED_SETTLE_SECONDS", _non_negative_int, 60,
        "A subscribed calendar (feed) is rebuilt at most this often per link: a change "
        "reaches the partners' calendars within this many seconds, and a busy day's writes "
        "do not rebuild every feed on every fetch. 0: rebuilt on every change.")
    requests_at_once: int = _setting(
        "REQUESTS_AT_ONCE", _positive_int, 4,
        "How many requests a server process works on at once; the others wait their turn in "
        "arrival order (a few: under load each request is answered sooner than when all "
        "share the processor a step at a time).")
    keepalive_requests: int = _setting(
        "KEEPALIVE_REQUESTS", _non_negative_int, 400,
        "About how many requests an HTTP/1.1 keep-alive connection serves while its server "
        "process has no request waiting; each request waiting makes it that many times fewer. "
        "A closed connection's client opens a new one, which either process may get, so the "
        "connections spread over the --workers (opened at once, they can all land on one). "
        "0, or a server with one worker: never closed.")
    invite_update_settle_seconds: int = _setting(
        "INVITE_UPDATE_SETTLE_SECONDS", _non_negative_int, 120,
        "An update of a sent meeting waits this many seconds in the outbox; a newer update "
        "of the same part replaces it, so a burst of edits sends one mail per recipient. "
        "Invitations and cancellations go at once.")
    reminder_digest_time: str = _setting(
        "REMINDER_DIGEST_TIME", _time_of_day, "07:00",
        "When the worker sends each user's daily digest (Copenhagen time, HH:MM, working days): "
        "evaluations and follow-ups due, unanswered invitations, the next day's meetings. "
        "Nothing is sent on a day with nothing to say.")
    reminder_unanswered_days: int = _setting(
        "REMINDER_UNANSWERED_DAYS", _positive_int, 5,
        "An invitation counts as unanswered in the organiser's digest this many days after "
        "it was sent.")
    meeting_reminder_hours: int = _setting(
        "MEETING_REMINDER_HOURS", _non_negative_int, 24,
        "Participants get a reminder mail this many hours before their part of the meeting "
        "starts (once per meeting time; a moved meeting gets a new one). 0: no reminder mails.")
    calendar_alarm_minutes: int = _setting(
        "CALENDAR_ALARM_MINUTES", _non_negative_int, 60,
        "Invitations carry a calendar alarm (VALARM) this many minutes before the start, "
        "unless the recipient turned meeting reminders off. 0: no alarm.")
    data_dir: Path = field(default=BASE_DIR / "data")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *,
                 defaults: Mapping[str, Any] | None = None, **overrides: Any) -> Settings:
        """Read every option from the environment, validating each; raise SettingsError.

        ``defaults`` replace the declared default of an option the environment leaves
        unset (``coordinator demo`` serves plain http); ``overrides`` win over both."""
        env = os.environ if environ is None else environ
        defaults = defaults or {}
        values: dict[str, Any] = {}
        for option in OPTIONS:
            raw = env.get(option.env)
            if raw is None or raw == "":
                values[option.attr] = defaults.get(option.attr, option.default)
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


@dataclass(frozen=True)
class Option:
    """One environment variable: its name, parser, default and help text."""

    env: str
    attr: str
    parse: Callable[[str], Any]
    default: Any
    help: str


# Derived from the declaration above: the README's table and ``from_env`` read this.
OPTIONS: tuple[Option, ...] = tuple(
    Option(f.metadata["env"], f.name, f.metadata["parse"], f.default, f.metadata["help"])
    for f in fields(Settings) if "env" in f.metadata)


def option_table() -> str:
    """The README's configuration table, generated from OPTIONS so it never drifts."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for option in OPTIONS:
        default = option.default if option.default not in ("", ()) else "(empty)"
        rows.append(f"| `{option.env}` | `{default}` | {option.help} |")
    return "\n".join(rows)


# The settings of this process, set once where it starts: ``create_app`` and the CLI
# commands call ``use_settings``. Everything else is handed the settings (or the values it
# needs) by whoever started the process: the routes from the app's state
# (``web.settings_of``), the worker and the CLI from their entry point, the database engine
# through ``db.configure``. ``current()`` is the one exception, read only by the invite
# mails that every meeting change queues inside its transaction
# (``invites.service.enqueue_for_change``): a dozen meeting use cases, their routes, flows
# and tests would otherwise carry settings they never use themselves.
# ``tests/test_architecture.py`` keeps it to that module.
_current: Settings | None = None


def use_settings(settings: Settings | None) -> None:
    """Make ``settings`` this process's configuration (None: forget it, for tests)."""
    global _current
    _current = settings


def current() -> Settings:
    """This process's configuration: what ``use_settings`` was given, else the
    environment's, read and validated once."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current
