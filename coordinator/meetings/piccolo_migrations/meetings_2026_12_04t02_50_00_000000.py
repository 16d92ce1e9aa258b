"""Content-stamp triggers on the familierådslagning's questions, plan approvals, plan
changes and item reviews (the family page and the meeting page show them)."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T02:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers on the familierådslagning's plan tables"


async def forwards():
    return triggers.migration("meetings", ID, DESCRIPTION, revisions.CONTENT_STAMP.name,
                              tables=["fgc_question", "fgc_plan_approval", "fgc_plan_change",
                                      "fgc_plan_review"])
