"""Content-stamp triggers on the auth app's watched tables, installed by its migration."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers installed by the migrations"


async def forwards():
    # shared data: a user's changed name shows on every family page (the shared stamp)
    return triggers.migration("auth", ID, DESCRIPTION, revisions.CONTENT_STAMP.name,
                              ["app_user"])
