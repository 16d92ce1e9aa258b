"""Resolve the session cookie into the current user on every request."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from coordinator.auth import service

SESSION_COOKIE = "coordinator_session"


class SessionMiddleware(AbstractAuthenticationMiddleware):
    """Put the Principal (or None) in scope["user"]; guards decide what needs a login."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        settings = connection.app.state.settings
        token = connection.cookies.get(SESSION_COOKIE)
        principal = await service.resolve_session(settings, token) if token else None
        return AuthenticationResult(user=principal, auth=token if principal else None)
