"""Declarative guards for controllers: who may reach a route at all.

Async on purpose: Litestar runs a synchronous guard in a worker thread, one hop per guard
per request (bench/results/NOTES.md).
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler

from coordinator.auth import policy
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role


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


async def requires_case_worker(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Users who may work with cases (not admins, not samordnere). Others get 404."""
    if _principal(connection).role in (Role.ADMIN, Role.SAMORDNER):
        raise NotFoundException()


async def requires_aggregates(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Leaders' pages. Others get 404: the page does not exist for them."""
    if not policy.may_see_aggregates(_principal(connection)):
        raise NotFoundException()


async def requires_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """User management."""
    if not policy.may_manage_users(_principal(connection)):
        raise NotFoundException()


async def requires_audit_reader(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The audit log."""
    if not policy.may_read_audit(_principal(connection)):
        raise NotFoundException()
