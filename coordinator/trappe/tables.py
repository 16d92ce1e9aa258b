"""Randers-trappen assessments: one row per child and assessment, never overwritten.

A correction is a new row that points at the row it corrects (``corrects``); the corrected
row stays as it was, so the history shows what was recorded, when and by whom.
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.families.tables import Family
from coordinator.meetings.tables import Meeting
from coordinator.network.tables import Person


class TrappeAssessment(Table):
    """Where a child stands on Randers-trappen on one day, seen by the professionals, the
    mother and the child, with the five analysis areas (``rules.AREAS``)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    child = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    assessed_on = Date(index=True)
    step = Integer()  # rules.STEPS: 1 sårbare … 4 børn i svære vanskeligheder
    worrying_behaviour = Text(default="")
    professional_view = Text(default="")
    mother_step = Integer(null=True, default=None)
    mother_view = Text(default="")
    child_step = Integer(null=True, default=None)
    child_view = Text(default="")
    # the five analysis areas: a rating (rules.RATINGS, "" = not assessed) and a note each
    social_rating = Varchar(length=16, default="")
    social_note = Text(default="")
    health_rating = Varchar(length=16, default="")
    health_note = Text(default="")
    parenting_rating = Varchar(length=16, default="")
    parenting_note = Text(default="")
    violence_rating = Varchar(length=16, default="")
    violence_note = Text(default="")
    father_rating = Varchar(length=16, default="")
    father_note = Text(default="")
    analysis_complete = Boolean(default=False, index=True)
    # the network meeting where it was discussed (None: a conversation, a team meeting …)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.set_null, null=True)
    # a correction points at the row it corrects; that row is never changed
    corrects: ForeignKey = ForeignKey(references="TrappeAssessment", on_delete=OnDelete.cascade,
                          null=True, index=True)
    correction_reason = Text(default="")
    recorded_by = Integer(null=True, default=None)
    recorded_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
