"""Follow-up tables: stays at the crisis centre, and the cooperation meeting's agenda.

``Stay`` records when a family's stays at the crisis centre began and ended, so the
success criteria can count returning families (gengangere) per year. The annual
cooperation meeting's agenda is kept per occurrence, keyed by the series key
("samarbejdsmoede"), with ordered items (what, who brings it, a note).
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.families.tables import Family


class Stay(Table):
    """One stay of a family at the crisis centre (§ 109): when it began and ended."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    started_on = Date(index=True)
    ended_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SeriesAgenda(Table):
    """The agenda of one occurrence of a recurring cross-sector meeting (e.g. yearly)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    series_key = Varchar(length=64, index=True)
    occurs_on = Date(index=True)
    updated_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class SeriesAgendaItem(Table):
    """One point on the agenda: the topic, who brings it, and a note."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    agenda = ForeignKey(references=SeriesAgenda, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=300)
    owner = Varchar(length=200, default="")
    note = Text(default="")
    position = Integer(default=0)
