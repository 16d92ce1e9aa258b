"""Content-stamp triggers on the network app's watched tables, installed by its migration."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers installed by the migrations"

TABLES = ["organisation", "person", "relation", "keep_apart", "case_facts"]


async def forwards():
    return triggers.migration("network", ID, DESCRIPTION, revisions.CONTENT_STAMP.name, TABLES)
