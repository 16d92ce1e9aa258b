"""Private participants as first-class: how each participant is invited (``channel``), an
answer the socialrådgiver recorded for them (by phone or in person: who and how), and the
note left when their contact data changed in the network."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "participant channel, recorded answers, contact note"


def _params(default, null=False, length=None):
    params = {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    if length is not None:
        params["length"] = length
    return params


COLUMNS = (
    ("channel", Varchar, "Varchar", _params("email", length=16)),
    ("answer_via", Varchar, "Varchar", _params("", length=16)),
    ("answer_recorded_by", Integer, "Integer", _params(None, null=True)),
    ("answer_recorded_name", Varchar, "Varchar", _params("", length=200)),
    ("contact_note", Text, "Text", _params("")),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meetings", description=DESCRIPTION
    )
    for name, column_class, class_name, params in COLUMNS:
        manager.add_column(
            table_class_name="Participant",
            tablename="participant",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
