"""The network tables' content-stamp triggers written again: a write to them now replaces
the family's network stamp too (``revisions.NETWORK``; the column came with the families
app's migration of the same moment, which runs first)."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-05T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "network stamp triggers"

TABLES = sorted(revisions.NETWORK - {"family"})


async def forwards():
    return triggers.migration("network", ID, DESCRIPTION, revisions.CONTENT_STAMP.name, TABLES)
