"""One measured patch of Piccolo (pinned in pyproject.toml): attribute access on a
``ForeignKey`` column without building ``dir()``.

``ForeignKey.__getattribute__`` asks ``name not in dir(self)`` on every public attribute
read of a foreign-key column, and Piccolo reads many while it builds a query: ``dir()``
sorts every name of the column's class and instance each time, about 4 ms per page of
ours. The question only needs membership, so the module's ``dir`` is replaced by one that
answers ``in`` from the instance's and the classes' dictionaries — the same names
``dir()`` would list — without building the list. ``tests/test_piccolo_patches.py`` checks
that both answer alike.
"""

from __future__ import annotations

from piccolo.columns import column_types


class _AttributeNames:
    """What ``dir(obj)`` contains, answered without listing it."""

    __slots__ = ("_obj",)

    def __init__(self, obj: object) -> None:
        self._obj = obj

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            if name in object.__getattribute__(self._obj, "__dict__"):
                return True
        except AttributeError:
            pass
        return any(name in vars(klass) for klass in type(self._obj).__mro__)


def _dir(obj: object) -> _AttributeNames:
    return _AttributeNames(obj)


def install() -> None:
    """Replace ``dir`` in Piccolo's column module (its only use is the membership test)."""
    column_types.dir = _dir  # type: ignore[attr-defined]
