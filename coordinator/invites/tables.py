"""The invites domain's tables: the mail outbox, answer links, feed tokens, series.

``OutboxMessage`` is the transactional outbox: rows are written in the same transaction
as the meeting change that causes them, with the complete (already redacted) message,
and ``coordinator worker`` delivers them. Secrets (answer links, feed tokens) are stored
only as their SHA-256.
"""

from piccolo.columns import (
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.auth.tables import User
from coordinator.meetings.tables import Meeting, Participant


class OutboxMessage(Table):
    """One iMIP mail to one recipient, waiting for (or done with) delivery."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, index=True)
    recipient_email = Varchar(length=254)
    kind = Varchar(length=8)  # REQUEST | CANCEL
    sequence = Integer(default=0)
    # meeting:participant:sequence:kind — nothing is enqueued twice.
    dedupe_key = Varchar(length=120, unique=True)
    message_id = Varchar(length=250)  # fixed at enqueue time; receivers dedupe on it
    message = Text()  # the complete RFC 5322 message (ASCII), redacted for the recipient
    status = Varchar(length=10, default="queued", index=True)  # queued|sending|sent|failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Varchar(length=200, default="")  # never personal data
    claimed_by = Varchar(length=80, default="")
    claimed_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AnswerToken(Table):
    """A personal answer link (``/svar/{token}``) for one participant; only its hash."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class MeetingSeries(Table):
    """A recurring meeting outside a family case (team meeting, annual cooperation)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    key = Varchar(length=64, unique=True)
    title = Varchar(length=200)
    rrule = Varchar(length=200)  # e.g. FREQ=WEEKLY;INTERVAL=2
    dtstart = Timestamptz()
    duration_minutes = Integer(default=60)
    location = Varchar(length=300, default="")
    exdates = Text(default="")  # comma-separated ISO moments (UTC) of cancelled occurrences
    organiser = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class FeedToken(Table):
    """A revocable secret link to a subscribed calendar feed."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    kind = Varchar(length=24)  # partner_organisation | user | series
    target_id = Integer()
    label = Varchar(length=200, default="")
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_audited_at = Timestamptz(null=True, default=None)
    # The version of the calendar last served for this link (any process): a fetch holding
    # it is answered 304 from this row while it is current or younger than the settle time.
    served_etag = Varchar(length=40, default="")
    served_modified = Timestamptz(null=True, default=None)
    served_at = Timestamptz(null=True, default=None)
    # The latest build of the calendar claimed by a web process (``feeds.settled``): which
    # process, since when, and a counter the claim is taken with (compare and set).
    build_claim = Integer(default=0)
    building_since = Timestamptz(null=True, default=None)
    building_by = Varchar(length=40, default="")


class FeedCopy(Table):
    """The calendar last served in full for a feed link, as it was sent: while its version
    is the one to serve (``feeds.shared_version``), a web process that has not built it
    sends this copy instead of building the calendar again (a partner's 2,000 events cost
    seconds of CPU per process). Its own table, so reading a link never reads the copy."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    token = ForeignKey(references=FeedToken, on_delete=OnDelete.cascade, unique=True)
    etag = Varchar(length=40)
    body = Bytea()


class ReplyRecord(Table):
    """One calendar answer that came back by mail (iTIP REPLY or COUNTER), kept with what
    was done with it: applied, ignored (with the reason), or waiting for the organiser
    (a proposed time, a delegation, an answer from an unconfirmed delegate)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, null=True,
                             index=True)
    uid = Varchar(length=300)
    method = Varchar(length=16, default="REPLY")  # REPLY | COUNTER
    attendee_email = Varchar(length=254)
    sent_by = Varchar(length=254, default="")  # the delegate (secretary) who answered
    partstat = Varchar(length=16, default="")
    sequence = Integer(default=0)
    dtstamp = Timestamptz(null=True, default=None)
    comment = Text(default="")
    delegated_to = Varchar(length=254, default="")
    delegate_name = Varchar(length=200, default="")
    proposed_start = Timestamptz(null=True, default=None)
    proposed_end = Timestamptz(null=True, default=None)
    # applied | ignored | proposal | accepted | declined | unconfirmed
    outcome = Varchar(length=16, index=True)
    reason = Varchar(length=200, default="")  # Danish, shown to the organiser
    received_at = Timestamptz(default=TimestamptzNow())
    handled_at = Timestamptz(null=True, default=None)


class DelegateAddress(Table):
    """An address the socialrådgiver confirmed may answer for a participant (SENT-BY)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254)
    confirmed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    confirmed_at = Timestamptz(default=TimestamptzNow())
