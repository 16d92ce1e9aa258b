"""The familierådslagning's initiativtager (who took the initiative, and their name) and the
formøde's outcome (who took part, whether the family agreed to go on, a note)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fgc_case initiativtager and formoede outcome"


def _params(default: str, length: int | None = None) -> dict:
    params = {
        "default": default,
        "null": False,
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
    ("initiator_kind", Varchar, 16),
    ("initiator_name", Varchar, 200),
    ("formoede_participants", Text, None),
    ("formoede_agreement", Varchar, 16),
    ("formoede_note", Text, None),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meetings", description=DESCRIPTION
    )
    for name, column_class, length in COLUMNS:
        manager.add_column(
            table_class_name="FgcCase",
            tablename="fgc_case",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=_params("", length),
            schema=None,
        )
    return manager
