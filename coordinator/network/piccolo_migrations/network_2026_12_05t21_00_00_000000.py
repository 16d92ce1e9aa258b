"""The network tables' content-stamp triggers written again: a write to them now replaces
the family's network stamp too (``revisions.NETWORK``; the column came with the families
app's migrations of the same moment, which run first). Then every family's network stamp
is set to its stamp."""

from functools import partial

from coordinator import db
from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-05T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "network stamp triggers"

TABLES = sorted(revisions.NETWORK - {"family"})


async def forwards():
    manager = triggers.migration("network", ID, DESCRIPTION, revisions.CONTENT_STAMP.name, TABLES)
    # Every family's network stamp starts as its stamp, in the transaction that makes every
    # network write replace it: a write by a process still on the old triggers between the
    # families app's migration and this one replaced only the stamp.
    manager.add_raw(partial(db.fetch, 'UPDATE "content_revision" SET "network_stamp" = "stamp"'))
    return manager
