"""The two refusals every layer may raise: bad input, and a write that came second."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class UserError(Exception):
    """Bad input from a user: a Danish message, a 4xx status, nothing saved."""

    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


class Conflict(UserError):
    """Someone else saved the record first: the second writer is told, not overwritten.

    ``mine`` is what the second writer sent, ``theirs`` what is saved now; the conflict
    page shows both side by side (409). ``missing_version``: the form sent no version, so
    nobody need have saved first; the page says that instead. ``labels``: the form's words
    for its fields, so the page never shows a field's internal name."""

    def __init__(self, message: str, mine: Mapping[str, Any], theirs: Mapping[str, Any],
                 *, missing_version: bool = False, labels: Mapping[str, str] | None = None
                 ) -> None:
        super().__init__(message, 409)
        self.mine = dict(mine)
        self.theirs = dict(theirs)
        self.missing_version = missing_version
        self.labels = dict(labels or {})
