"""The family row's content-stamp triggers written again: a write to it now replaces the
family's network stamp too (``revisions.NETWORK``; the column came with the migration
before). The network app's migration of the same moment does the same for its tables and
then sets every family's network stamp to its stamp (whatever keyed its network then still
shows it, until the next write to the network)."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-05T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "network stamp triggers on the family row"


async def forwards():
    return triggers.migration("families", ID, DESCRIPTION, revisions.CONTENT_STAMP.name,
                              ["family"])
