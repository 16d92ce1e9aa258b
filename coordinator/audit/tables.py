"""The audit log: append-only, no foreign keys so it outlives what it describes."""

from piccolo.columns import BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table):
    """One read or write of family data (or another sensitive action)."""

    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    user_id = Integer(null=True, default=None, index=True)
    username = Varchar(length=64, default="")
    role = Varchar(length=32, default="")
    action = Varchar(length=16, index=True)
    entity = Varchar(length=64, default="")
    entity_id = Varchar(length=64, default="")
    family_id = Integer(null=True, default=None, index=True)
    summary = Text(default="")
    client_address = Varchar(length=64, default="")
