"""Users, server-side sessions and login attempts."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="app_user"):
    """A person who logs in: socialrådgiver, kontaktperson, leder, samordner or admin."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    username = Varchar(length=64, unique=True, index=True)
    full_name = Varchar(length=200)
    email = Varchar(length=254, default="")
    phone = Varchar(length=32, default="")
    role = Varchar(length=32, index=True)
    unit = Varchar(length=100, default="")
    password_hash = Varchar(length=255)
    active = Boolean(default=True)
    # Set by an admin's password reset: the next login must choose a new password first.
    must_change_password = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Session(Table, tablename="app_session"):
    """A login: only the SHA-256 of the cookie token is stored."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    token_hash = Varchar(length=64, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    absolute_expires_at = Timestamptz(default=TimestamptzNow())
    client_address = Varchar(length=64, default="")


class LoginAttempt(Table, tablename="login_attempt"):
    """One login try, for the per-account and per-address rate limit."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    username = Varchar(length=64, index=True)
    client_address = Varchar(length=64, index=True)
    succeeded = Boolean(default=False)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class FormSent(Table, tablename="form_sent"):
    """A form that creates something, as a user sent it (``web.once``): the same form sent
    again by the same user within seconds – a double click, a reload that sends it anew – is
    answered with where the first went instead of creating it twice. Only a digest of what
    was sent is kept, for a minute."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    user = Integer(index=True)
    digest = Varchar(length=64, unique=True)  # SHA-256 of user, path and the fields sent
    location = Varchar(length=2048, default="")  # where the first answer sent the user
    at = Timestamptz(default=TimestamptzNow(), index=True)
