"""Guards: one async ``requires_role`` factory over the named role sets, used by every route."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace

import pytest
from litestar.exceptions import NotAuthorizedException, NotFoundException

from coordinator.app import create_app
from coordinator.auth import roles
from coordinator.auth.guards import PasswordChangeRequired, requires_role
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.errors import UserError
from tests import conftest


def _connection(user: object) -> SimpleNamespace:
    return SimpleNamespace(scope={"user": user})


def _check(guard, user: object) -> None:
    asyncio.run(guard(_connection(user), None))


@pytest.mark.parametrize("role", list(Role))
def test_requires_role_lets_exactly_the_named_roles_through(role):
    guard = requires_role(roles.CASE_HOLDERS, Role.KONTAKTPERSON)
    user = Principal(id=1, username="u", role=role)
    if role in roles.CASE_HOLDERS | {Role.KONTAKTPERSON}:
        _check(guard, user)
    else:
        with pytest.raises(NotFoundException):
            _check(guard, user)


def test_requires_role_with_a_message_refuses_in_those_words():
    guard = requires_role(roles.LEADERS, message="Siden findes ikke.")
    with pytest.raises(UserError) as refused:
        _check(guard, Principal(id=1, username="u", role=Role.SOCIALRAADGIVER))
    assert (refused.value.status, refused.value.message) == (404, "Siden findes ikke.")
    _check(guard, Principal(id=1, username="u", role=Role.LEDER))


def test_requires_role_sends_visitors_to_login_and_temporary_passwords_to_change_it():
    guard = requires_role(roles.ALL_ROLES)
    with pytest.raises(NotAuthorizedException):
        _check(guard, None)
    with pytest.raises(PasswordChangeRequired):
        _check(guard, Principal(id=1, username="u", role=Role.LEDER, must_change_password=True))


def test_requires_role_needs_a_role():
    with pytest.raises(ValueError):
        requires_role()


def test_every_guard_of_every_route_is_async():
    """A synchronous guard makes Litestar hop to a worker thread on every request."""
    app = create_app(conftest.test_settings())
    guards = {guard for route in app.routes for handler in route.route_handlers  # type: ignore[union-attr]
              for guard in handler.resolve_guards()}
    assert guards
    assert sorted(getattr(g, "__name__", repr(g)) for g in guards
                  if not inspect.iscoroutinefunction(g)) == []
