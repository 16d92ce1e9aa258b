"""Cooperation agreements, their parties, evaluations held and kept versions.

Agreements are not family data: they attach to organisations in the shared directory.
A family is linked to an agreement through its network (a person or relation pointing at
an organisation that is the partner or a party of an active agreement); no link table.
"""

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.network.tables import Organisation


class Agreement(Table):
    """A written cooperation agreement with a partner organisation."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    title = Varchar(length=200)
    purpose = Text(default="")
    target_group = Text(default="")
    partner = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    period_start = Date()
    period_end = Date(index=True)
    status = Varchar(length=16, default="active", index=True)  # cadence.StoredStatus
    evaluation_months = Integer(default=12)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class AgreementParty(Table):
    """One party of an agreement: the organisation, its contact person and obligations."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    agreement = ForeignKey(references=Agreement, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    contact_name = Varchar(length=200, default="")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=32, default="")
    obligations = Text(default="")
    position = Integer(default=0)


class AgreementEvaluation(Table):
    """An evaluation held: who took part, what was concluded and changed."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    # restrict: an agreement with evaluations is archived, never deleted.
    agreement = ForeignKey(references=Agreement, on_delete=OnDelete.restrict, index=True)
    held_on = Date()
    participants = Text(default="")
    conclusions = Text(default="")
    changes = Text(default="")
    recorded_by = Integer(null=True, default=None)
    recorded_by_name = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class AgreementVersion(Table):
    """A full snapshot (JSON) of the agreement and its parties as saved at one version."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    agreement = ForeignKey(references=Agreement, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    snapshot = Text()
    saved_by_name = Varchar(length=200, default="")
    saved_at = Timestamptz(default=TimestamptzNow())
