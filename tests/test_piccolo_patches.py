"""The Piccolo patch answers exactly what ``dir()`` would (coordinator/piccolo_patches.py)."""

from __future__ import annotations

import builtins

from piccolo.columns import column_types
from piccolo.columns.column_types import ForeignKey

from coordinator import db  # noqa: F401  (installs the patch)
from coordinator.meetings.tables import Participant
from coordinator.network.tables import Relation
from coordinator.piccolo_patches import _AttributeNames, _dir


def _foreign_keys() -> list[ForeignKey]:
    columns = [*Participant._meta.foreign_key_columns, *Relation._meta.foreign_key_columns]
    assert columns, "the tables have foreign keys"
    # a joined column too: its proxy columns live in the instance dictionary
    return [*columns, Participant.meeting.family]  # type: ignore[attr-defined]


def test_installed() -> None:
    assert column_types.dir is _dir  # type: ignore[attr-defined]


def test_membership_is_what_dir_lists() -> None:
    for column in _foreign_keys():
        listed = builtins.dir(column)
        names = _AttributeNames(column)
        for name in listed:
            assert name in names, name
        for name in ["no_such_column", "Name", "", "id_", "family_", "copy_"]:
            assert (name in names) == (name in listed), name
        assert 3 not in names


def test_joins_still_resolve() -> None:
    """Reading a joined table's column through a foreign key still gives that column."""
    column = Participant.meeting.family.id  # type: ignore[attr-defined]
    assert column._meta.name == "id"
    assert [c._meta.name for c in column._meta.call_chain] == ["meeting", "family"]
