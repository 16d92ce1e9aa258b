"""The family's network: people, the organisation directory, relations, keep-apart pairs.

Organisations are a shared directory (the same school or Sundhedsplejen serves many
families, and agreements attach to them); people are recorded per family, so access to a
person always follows access to the family.
"""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.families.tables import Family


class Organisation(Table):
    """A public body, school, day care, voluntary organisation … (vocab.OrganisationKind)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    name = Varchar(length=200, index=True)
    kind = Varchar(length=32, index=True)
    sector = Varchar(length=32)
    address = Varchar(length=300, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    # Where the location itself is sensitive (the crisis centre): never shown to externals.
    location_protected = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Person(Table):
    """Someone in the family's network, private or professional."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    role = Varchar(length=32, default="private_network")  # vocab.PersonRole
    is_child = Boolean(default=False)
    birth_year = Integer(null=True, default=None)
    is_professional = Boolean(default=False)
    sector = Varchar(length=32)  # vocab.Sector
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.set_null, null=True,
                              index=True)
    title = Varchar(length=120, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    address = Varchar(length=300, default="")
    # Safety facts
    protected_address = Boolean(default=False)
    used_violence = Boolean(default=False)
    contact_only_via_worker = Boolean(default=False)
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Relation(Table):
    """A typed, directed edge from a person to a person or an organisation."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    source = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    target_person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=True,
                               index=True)
    target_organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade,
                                     null=True, index=True)
    type = Varchar(length=40)  # vocab relation type key
    note = Text(default="")  # what help is given
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class KeepApart(Table):
    """Two people who must not meet (or be placed in the same meeting part)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    person_a = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    person_b = ForeignKey(references=Person, on_delete=OnDelete.cascade, index=True)
    reason = Text(default="")
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class NetworkChange(Table):
    """Per-family history: who changed what in the network, when, old and new value."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    user_id = Integer(null=True, default=None)
    username = Varchar(length=64, default="")
    entity = Varchar(length=32)
    entity_id = Integer(null=True, default=None)
    summary = Text(default="")
    old_value = Text(default="")
    new_value = Text(default="")


class CaseFacts(Table):
    """The intake's case facts for one family (one row per family).

    Answers that are facts about the case rather than people or edges: whether other
    public bodies help, the SL § 50 investigation and support measures, the SL § 141
    handleplan and whether the children get special support. Status values are keys of
    ``coordinator.network.validation`` (ANSWERS, S50_STATUSES); "" means not answered.
    """
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, unique=True, index=True)
    public_help = Varchar(length=16, default="")
    public_help_note = Text(default="")
    s50_status = Varchar(length=16, default="")
    s50_date = Date(null=True, default=None)
    support_measures = Text(default="")
    s141_plan = Varchar(length=16, default="")
    s141_date = Date(null=True, default=None)
    special_support = Varchar(length=16, default="")
    special_support_note = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)
