"""Content-stamp triggers on the meetings app's watched tables, installed by its migration."""

from coordinator.db import triggers
from coordinator.families import revisions

ID = "2026-12-04T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content-stamp triggers installed by the migrations"

TABLES = ["meeting", "fgc_case", "father_assessment", "meeting_part", "participant",
          "bic_session", "safety_approval", "participant_part", "fgc_task", "fgc_plan_item",
          "meeting_change", "working_hours", "busy_feed", "room"]


async def forwards():
    return triggers.migration("meetings", ID, DESCRIPTION, revisions.CONTENT_STAMP.name, TABLES)
