"""Login, logout and user management pages."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from coordinator import web
from coordinator.audit import service as audit
from coordinator.auth import service
from coordinator.auth.guards import requires_admin, requires_session
from coordinator.auth.middleware import SESSION_COOKIE
from coordinator.auth.once import once
from coordinator.auth.roles import ROLE_LABELS, Role


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect to another site after login."""
    page = web.local_page(value)  # a path of this site: no other host, no control characters
    return page if page is not None and len(page) <= 300 else "/"


def _session_cookie_header(request: Request, token: str, max_age: int) -> str:
    settings = request.app.state.settings
    parts = [f"{SESSION_COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Lax",
             f"Max-Age={max_age}"]
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


class LoginController(Controller):
    """The login page and logout; reachable without a session."""

    @get("/login", name="login")
    async def login_page(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        if isinstance(request.scope.get("user"), service.Principal):
            return Redirect(path=_safe_next(next), status_code=303)
        return web.render("auth/login.html", {"next": _safe_next(next), "error": None})

    @post("/login")
    async def login(self, request: Request) -> Response:
        form = await web.form_of(request)
        username = web.text(form, "username", "Brugernavn", max_length=200)
        password = raw if isinstance(raw := form.get("password"), str) else ""
        target = _safe_next(form.get("next"))
        settings = request.app.state.settings
        try:
            session = await service.login(
                settings, username, password[:1000], web.client_address(request),
                request.cookies.get(SESSION_COOKIE),
            )
        except service.LoginRefused as refused:
            return web.render("auth/login.html",
                              {"next": target, "error": refused.message, "username": username},
                              status=refused.status)
        await audit.record(session.principal, "login", "session", "", None, "",
                           web.client_address(request))
        response = Redirect(path=target, status_code=303)
        response.headers["set-cookie"] = _session_cookie_header(
            request, session.token, settings.session_max_hours * 3600)
        return response

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        await service.logout(request.cookies.get(SESSION_COOKIE))
        response = Redirect(path="/login", status_code=303)
        response.headers["set-cookie"] = _session_cookie_header(request, "", 0)
        return response


class UserAdminController(Controller):
    """Admins create and deactivate accounts; they do not see case content."""

    path = "/admin/users"
    guards = [requires_admin]

    @get("/", name="admin_users")
    async def list_page(self) -> Response:
        return await _users_page()

    @post("/")
    async def create(self, request: Request) -> Response:
        """A new account; the form sent twice (a double click) creates it once (``once``)."""
        async def create_it() -> Response:
            form = await web.form_of(request)
            try:
                role = web.choice(form, "role", "Rolle", {r.value: r for r in Role})
                user_id = await service.create_user(
                    web.text(form, "username", "Brugernavn", required=True, max_length=64),
                    web.text(form, "full_name", "Navn", required=True, max_length=200),
                    role,
                    raw if isinstance(raw := form.get("password"), str) else "",
                    email=web.text(form, "email", "E-mail", max_length=254),
                    phone=web.text(form, "phone", "Arbejdstelefon", max_length=40),
                    unit=web.text(form, "unit", "Enhed", max_length=100),
                )
            except (ValueError, web.UserError) as exc:
                message = exc.message if isinstance(exc, web.UserError) else str(exc)
                return web.render("auth/users.html", {
                    "users": await service.list_users(), "roles": ROLE_LABELS, "error": message,
                    "field": exc.field if isinstance(exc, (web.UserError, service.InvalidAccount)) else None,
                    "form": {k: v for k, v in form.items() if k != "password"}}, status=422)
            await audit.record(web.user_of(request), "create", "bruger", user_id, None,
                               form.get("username", ""), web.client_address(request))
            return web.see_other(request, "/admin/users")
        return await once(request, create_it)

    @post("/{user_id:int}/active")
    async def set_active(self, request: Request, user_id: FromPath[int]) -> Response:
        form = await web.form_of(request)
        active = web.checkbox(form, "active")
        actor = web.user_of(request)
        try:
            if not await service.set_active(user_id, active, actor.id):
                raise NotFoundException()
        except service.AccountRefused as refused:
            return await _users_page(refused.message, status=422)
        await audit.record(actor, "update", "bruger", user_id, None,
                           "Aktiveret" if active else "Deaktiveret", web.client_address(request))
        return web.see_other(request, "/admin/users")

    @post("/{user_id:int}/role")
    async def change_role(self, request: Request, user_id: FromPath[int]) -> Response:
        if not await service.account_exists(user_id):
            raise NotFoundException()
        form = await web.form_of(request)
        role = web.choice(form, "role", "Rolle", {r.value for r in Role})
        try:
            old = await service.change_role(user_id, role)
        except service.AccountRefused as refused:
            return await _users_page(refused.message, status=422)
        await audit.record(web.user_of(request), "update", "bruger", user_id, None,
                           f"Rolle ændret fra {ROLE_LABELS[Role(old)]} til {ROLE_LABELS[Role(role)]}",
                           web.client_address(request))
        return web.see_other(request, "/admin/users")

    @post("/{user_id:int}/phone")
    async def set_phone(self, request: Request, user_id: FromPath[int]) -> Response:
        """The account's work phone, which invitation letters give to those who answer."""
        if not await service.account_exists(user_id):
            raise NotFoundException()
        form = await web.form_of(request)
        phone = web.text(form, "phone", "Arbejdstelefon", max_length=40)
        try:
            old = await service.set_phone(user_id, phone)
        except (ValueError, service.AccountRefused) as exc:
            message = exc.message if isinstance(exc, service.AccountRefused) else str(exc)
            return await _users_page(message, status=422, phone_error=(user_id, phone))
        await audit.record(web.user_of(request), "update", "bruger", user_id, None,
                           f"Arbejdstelefon ændret fra »{old or 'ingen'}« til »{phone or 'ingen'}«",
                           web.client_address(request))
        return web.see_other(request, "/admin/users")

    @post("/{user_id:int}/password")
    async def reset_password(self, request: Request, user_id: FromPath[int]) -> Response:
        try:
            temporary = await service.reset_password(user_id)
        except service.AccountRefused:
            raise NotFoundException() from None
        await audit.record(web.user_of(request), "update", "bruger", user_id, None,
                           "Adgangskode nulstillet (midlertidig)", web.client_address(request))
        row = next(u for u in await service.list_users() if u["id"] == user_id)
        # Shown once, never stored in clear: the admin passes it on by phone.
        return await _users_page(reset={"username": row["username"], "password": temporary})


async def _users_page(error: str | None = None, form: dict | None = None, status: int = 200,
                      reset: dict | None = None,
                      phone_error: tuple[int, str] | None = None) -> Response:
    return web.render("auth/users.html", {
        "users": await service.list_users(), "roles": ROLE_LABELS, "error": error,
        "form": form or {}, "reset": reset, "phone_error": phone_error}, status=status)


class PasswordController(Controller):
    """/password: the logged-in user chooses a new password (required after a reset)."""

    path = "/password"
    guards = [requires_session]

    @get("/", name="password")
    async def page(self, request: Request) -> Response:
        return web.render("auth/password.html", {"error": None,
                                                 "forced": web.user_of(request).must_change_password})

    @post("/")
    async def change(self, request: Request) -> Response:
        form = await web.form_of(request)
        user = web.user_of(request)

        def raw(name: str) -> str:
            value = form.get(name)
            return value[:1000] if isinstance(value, str) else ""

        try:
            await service.change_password(user, raw("current"), raw("new"), raw("repeat"))
        except service.AccountRefused as refused:
            return web.render("auth/password.html", {"error": refused.message,
                                                     "forced": user.must_change_password},
                              status=422)
        await audit.record(user, "update", "bruger", user.id, None, "Ny adgangskode valgt",
                           web.client_address(request))
        return web.see_other(request, "/")
