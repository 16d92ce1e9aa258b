"""Signs of Safety mappings per meeting, and the handleplan's goals with their evaluations.

Every row carries its family, so the access policy and the family page's content stamps
find it without a join. Goals are never overwritten silently: each evaluation is a row of
its own (the history), and the goal row has a version for optimistic locking.
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.auth.tables import User
from coordinator.families.tables import Family
from coordinator.meetings.tables import FgcPlanItem, Meeting, Participant
from coordinator.network.tables import Person


class SosMapping(Table):
    """The Signs of Safety mapping made in one meeting: worries, what is working, what
    needs to happen."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True,
                         unique=True)
    worries = Text(default="")
    working_well = Text(default="")
    needs_to_happen = Text(default="")
    recorded_by = Integer(null=True, default=None)
    recorded_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class SosScale(Table):
    """One answer on the safety scale (0–10) in a meeting, by whom it was asked of."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(references=Participant, on_delete=OnDelete.set_null, null=True)
    asker_group = Varchar(length=20)  # sos.GROUPS
    asker_name = Varchar(length=200)
    score = Integer()
    note = Text(default="")
    recorded_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Goal(Table):
    """A goal (or a sub-goal, ``parent_id``) of the family's handleplan, for the stay or
    for the after-care period."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    parent_id = Integer(null=True, default=None, index=True)
    period = Varchar(length=16, default="stay")  # goals.PERIODS
    title = Varchar(length=300)
    description = Text(default="")
    responsible_person = ForeignKey(references=Person, on_delete=OnDelete.set_null, null=True)
    responsible_user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    responsible_name = Varchar(length=200, default="")
    cadence = Varchar(length=16, default="quarterly")  # goals.CADENCES
    starts_on = Date()
    progress = Varchar(length=16, default="not_started")  # goals.PROGRESS
    plan_item = ForeignKey(references=FgcPlanItem, on_delete=OnDelete.set_null, null=True)
    created_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class GoalEvaluation(Table):
    """An evaluation of a goal: when, the progress then, notes, and the meeting where it
    was discussed. The rows are the goal's history."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    goal = ForeignKey(references=Goal, on_delete=OnDelete.cascade, index=True)
    evaluated_on = Date()
    progress = Varchar(length=16)
    note = Text(default="")
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.set_null, null=True)
    recorded_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
