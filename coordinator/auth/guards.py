"""Declarative guards for controllers: who may reach a route at all.

Every role check of a route is ``requires_role(...)`` over the named role sets of
``auth/roles.py``. Async on purpose: Litestar runs a synchronous guard in a worker thread,
one hop per guard per request (bench/results/NOTES.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler

from coordinator.auth import roles
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.errors import UserError

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


class PasswordChangeRequired(Exception):
    """The user logged in with a temporary password: nothing but choosing a new one."""


def _principal(connection: ASGIConnection) -> Principal:
    user = _logged_in(connection)
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


def _logged_in(connection: ASGIConnection) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException()
    return user


async def requires_session(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Logged in, even with a temporary password (the page that changes it)."""
    _logged_in(connection)


async def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Any logged-in user."""
    _principal(connection)


def requires_role(*roles: Role | frozenset[Role], message: str | None = None) -> Guard:
    """A guard letting through only users of the given roles (or named role sets from
    ``auth.roles``). Others get 404: the page does not exist for them (``message``: the
    page's own words for that instead of the standard ones); a visitor who is not logged
    in is sent to the login page, one with a temporary password to change it."""
    allowed = frozenset(r for item in roles
                        for r in (item if isinstance(item, frozenset) else (item,)))
    if not allowed:
        raise ValueError("requires_role needs at least one role")

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if _principal(connection).role not in allowed:
            raise NotFoundException() if message is None else UserError(message, 404)

    names = ", ".join(sorted(role.value for role in allowed))
    guard.__name__ = guard.__qualname__ = f"requires_role({names})"
    guard.__doc__ = f"Only {names}; others get 404."
    return guard


# The guards the route modules share, by the role sets of auth/roles.py.
requires_case_worker = requires_role(roles.CASE_WORKERS)
requires_case_holder = requires_role(roles.CASE_HOLDERS)
requires_leader = requires_role(roles.LEADERS)
requires_aggregates = requires_role(roles.LEADERS_AND_ADMINS)
requires_audit_reader = requires_role(roles.LEADERS_AND_ADMINS)
requires_admin = requires_role(roles.ADMINS)
