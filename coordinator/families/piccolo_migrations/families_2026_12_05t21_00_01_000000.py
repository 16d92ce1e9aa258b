"""The family row's content-stamp triggers written again: a write to it now replaces the
family's network stamp too (``revisions.NETWORK``; the column came with the migration
before). A family stamped before starts with its network stamp the same as its stamp:
whatever keyed its network then still shows it, until the next write to the network."""

from functools import partial

from coordinator import db
from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-05T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "network stamp triggers on the family row"


async def forwards():
    manager = triggers.migration("families", ID, DESCRIPTION, revisions.CONTENT_STAMP.name,
                                 ["family"])
    manager.add_raw(partial(db.fetch, 'UPDATE "content_revision" SET "network_stamp" = "stamp" '
                                      'WHERE "network_stamp" = \'\''))
    return manager
