"""Content-stamp triggers on Randers-trappen's assessments (the family page shows them)."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T02:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers on trappe_assessment"


async def forwards():
    return triggers.migration("trappe", ID, DESCRIPTION, revisions.CONTENT_STAMP.name,
                              tables=["trappe_assessment"])
