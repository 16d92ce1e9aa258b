"""Reminder tables: who wants which reminders, the opt-out links, the digests decided.

``ReminderPreference`` is a user's own choice (no row: both reminders on).
``ReminderLink`` is the opt-out link of one reminder mail; a participant without an account
opts out by address, so every link to the same address (stored only as its SHA-256) says
the same. ``DigestRun`` records that a user's digest for a day was decided, sent or empty:
its unique ``key`` makes the digest once per user per day, however many workers run.
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.auth.tables import User


class ReminderPreference(Table):
    """One user's reminders: the daily digest and the reminders before their meetings."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True, index=True)
    digest = Boolean(default=True)
    meeting_reminders = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ReminderLink(Table):
    """The opt-out link of one reminder mail (``/paamindelser/fra/{token}``): only hashes."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    token_hash = Varchar(length=64, unique=True)
    address_hash = Varchar(length=64, index=True)
    opted_out_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DigestRun(Table):
    """A user's digest for one day was decided: ``items`` things said (0: none sent)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    key = Varchar(length=40, unique=True)  # "<user id>:<day>"
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    day = Date()
    items = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
