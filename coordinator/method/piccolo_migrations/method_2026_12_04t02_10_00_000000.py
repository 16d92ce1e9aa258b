"""Content-stamp triggers on the Signs of Safety mappings and scales and the handleplan's
goals and evaluations (the family and meeting pages show them)."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T02:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers on the method's tables"

METHOD_TABLES = ("sos_mapping", "sos_scale", "goal", "goal_evaluation")


async def forwards():
    return triggers.migration("method", ID, DESCRIPTION, revisions.CONTENT_STAMP.name,
                              list(METHOD_TABLES))
