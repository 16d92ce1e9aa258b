"""Satisfaction forms at move-out, kept in two tables that are never joined in any output.

``SatisfactionAnswer`` holds what was answered and the month of the move-out, nothing that
names the family: no family, no stay, no timestamp. ``SatisfactionMark`` says, per stay,
that the family answered (or declined), so the share of families that answered can be
counted and the missing ones listed. ``TabletLink`` is the one-time link a staff member opens
on the centre's tablet; only the hash of its token is stored.
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.families.tables import Family
from coordinator.followup.tables import Stay


class SatisfactionAnswer(Table):
    """One filled-in form: the answers and the move-out month, no names."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    period = Date(index=True)  # the first day of the month the stay ended
    support = Varchar(length=16)  # rules.SUPPORT_CHOICES
    process = Varchar(length=16)  # rules.PROCESS_CHOICES
    comment = Text(default="")
    channel = Varchar(length=16, default="paper")  # rules.CHANNELS


class SatisfactionMark(Table):
    """That the family of a stay answered the form, or declined to (one per stay)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    stay = ForeignKey(references=Stay, on_delete=OnDelete.cascade, unique=True, index=True)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    outcome = Varchar(length=16)  # rules.OUTCOMES
    recorded_on = Date()
    recorded_by = Integer(null=True, default=None)
    recorded_by_name = Varchar(length=200, default="")


class TabletLink(Table):
    """A one-time link to the form for one stay, opened on the centre's tablet."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    token_hash = Varchar(length=64, unique=True, index=True)
    stay = ForeignKey(references=Stay, on_delete=OnDelete.cascade, index=True)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
