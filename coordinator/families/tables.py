"""A family (the case) and its team."""

from piccolo.columns import (
    Boolean,
    Date,
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


class Family(Table):
    """A case: the family the network, meetings and assessments belong to."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    reference = Varchar(length=32, unique=True, index=True)
    name = Varchar(length=200)
    status = Varchar(length=16, default="active", index=True)
    at_crisis_centre = Boolean(default=False)
    opened_on = Date()
    closed_on = Date(null=True, default=None)
    closed_reason = Varchar(length=200, default="")  # gdpr.service.CLOSE_REASONS, as shown
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class TeamMember(Table):
    """A user on a family's team; the access policy reads this table."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    team_role = Varchar(length=64, default="")
    lead = Boolean(default=False)  # the tovholder: who holds the case (cases.handover)
    added_at = Timestamptz(default=TimestamptzNow())


class ContentRevision(Table):
    """The stamp of what a family page shows; row 0 stamps the shared data, row -2 the GDPR
    purge (``revisions.PURGE``: replaced by the purge only, part of every feed's version).

    Written by database triggers (``families/revisions.py``), and once by the migration
    that stamped every family (``revisions.stamp_every_family``); read by the page cache.
    """
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family_id = Integer(primary_key=True)
    stamp = Varchar(length=40)
    # Replaced only by writes to the family's network (``revisions.NETWORK``); empty until
    # the first such write after it came.
    network_stamp = Varchar(length=40, default="")
    # Row -2 only: when calendars were last withdrawn (``invites/withdrawal.py``), part of
    # every partner feed's Last-Modified.
    changed_at = Timestamptz(null=True, default=None)
