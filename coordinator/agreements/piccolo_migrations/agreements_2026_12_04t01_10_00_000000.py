"""Content-stamp triggers on the agreements app's watched tables, installed by its migration."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers installed by the migrations"

TABLES = ["agreement", "agreement_party", "agreement_evaluation", "agreement_version"]


async def forwards():
    return triggers.migration("agreements", ID, DESCRIPTION, revisions.CONTENT_STAMP.name, TABLES)
