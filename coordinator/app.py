"""The application factory: routers, middleware, templates, static files, error pages."""

from __future__ import annotations

import gc
import logging
import random
from collections.abc import Callable
from types import BuiltinMethodType
from typing import Any

from jinja2 import Environment, FileSystemLoader
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr
from jinja2.runtime import Context
from jinja2.utils import internalcode
from litestar import Litestar, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from markupsafe import _escape_inner, escape

from coordinator import admission, cache, db, web
from coordinator.agreements.routes import AgreementController
from coordinator.audit.routes import AuditController
from coordinator.auth.guards import PasswordChangeRequired
from coordinator.auth.middleware import SessionMiddleware
from coordinator.auth.roles import ROLE_LABELS
from coordinator.auth.routes import LoginController, PasswordController, UserAdminController
from coordinator.families.routes import CaseController, FamilyController, UnitController
from coordinator.followup.routes import FollowupController
from coordinator.gdpr.routes import ROUTE_HANDLERS as GDPR_ROUTES
from coordinator.invites.routes import ROUTE_HANDLERS as INVITE_ROUTES
from coordinator.meetings.routes import ROUTE_HANDLERS as MEETING_ROUTES
from coordinator.method.routes import ROUTE_HANDLERS as METHOD_ROUTES
from coordinator.navigation import nav_for
from coordinator.network.routes import DirectoryController, NetworkController
from coordinator.reminders.routes import ReminderOptOutController, ReminderSettingsController
from coordinator.satisfaction.routes import ROUTE_HANDLERS as SATISFACTION_ROUTES
from coordinator.settings import BASE_DIR, Settings, use_settings
from coordinator.trappe.routes import ROUTE_HANDLERS as TRAPPE_ROUTES

# Paths exempt from CSRF: no browser session is involved (token in the path or header).
# A calendar feed is fetched by calendar programs that keep no cookies: without the
# exemption every fetch, 304s included, would be answered with a new CSRF cookie. So are
# the health probe and the benchmarks' hello-world (monitoring and wrk keep none): neither
# has a form, and a new cookie per answer cost hello-world a quarter of its throughput, so
# the benchmarks' ceiling was lower than the stack's.
FEED_FETCH = r"^/feeds/[^/]+\.ics$"
PROBES = r"^/(?:healthz|hello)$"
CSRF_EXEMPT = ["^/inbound/", FEED_FETCH, PROBES]

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@get("/healthz", cache=False)
async def healthz() -> Response:
    """Liveness and database check for load balancers."""
    try:
        await db.check_connection()
    except db.DatabaseUnavailable:
        return Response({"status": "error", "database": db.engine_name()}, status_code=503)
    return Response({"status": "ok", "database": db.engine_name()})


@get("/hello")
async def hello() -> str:
    """The benchmarks' ceiling: the cheapest possible response through the same stack."""
    return "hello"


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept for the whole process, shared by every app it builds
    (a bucket's key includes the template source's checksum, so an edit recompiles)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


_DICT_ATTRIBUTES = frozenset(dir(dict))


def escape_output(value: object) -> object:
    """What Jinja's ``escape`` writes for ``{{ value }}`` in an autoescaped template, for
    the two kinds of value most expressions give, without making a ``Markup`` of it.

    ``escape`` returns ``Markup`` so that escaped text is never escaped twice; printed
    text goes straight into the page (every buffer Jinja captures, a macro's or a
    ``{% set %}`` block's, it wraps in ``Markup`` itself), so the escaped ``str`` is the
    same output. A page prints a few thousand values, and ``Markup``'s Python constructor
    was a tenth of the page's rendering. Everything else (Markup, objects with
    ``__html__``, None, floats, undefined values) goes to ``escape`` as before."""
    if type(value) is str:
        return _escape_inner(value)
    if type(value) is int:
        return str(value)  # digits and a sign: nothing to escape
    return escape(value)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with ``{{ value }}`` printed through ``escape_output``
    (Jinja's documented way to change the code templates compile to); blocks whose
    escaping is decided at render time (``{% autoescape %}`` with a variable) keep
    Jinja's own code."""

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)


class _TemplateContext(Context):
    """Jinja's context with a short way for calls of built-in methods and functions
    (``roles.get(…)``, ``channels.items()``: almost every call a page makes; Python's type
    for both is ``BuiltinMethodType``). Jinja's ``call`` first asks whether the callable
    wants the context or the environment passed in, which a built-in cannot (it carries no
    attributes); the answer is the same: the arguments Jinja adds for its own use dropped,
    the callable called, a ``StopIteration`` made undefined."""

    @internalcode
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if type(__obj) is not BuiltinMethodType:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


class _TemplateEnvironment(Environment):
    """Jinja with a fast path for ``row.column`` on the dicts that database rows are.

    Jinja's ``getattr`` tries the attribute first and, for a dict key, catches the
    AttributeError before it looks the key up: an exception per ``row.name`` in a template,
    which was a fifth of a meeting page's rendering. The fast path answers what Jinja would
    have answered (a dict's own attributes, such as ``items``, still win over its keys);
    other objects get Jinja's own lookup, written out here rather than called through
    ``super()``, which cost as much as the lookup."""

    code_generator_class = _CodeGenerator
    context_class = _TemplateContext
    escape_output = staticmethod(escape_output)

    def getattr(self, obj: object, attribute: str) -> object:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        try:  # jinja2.Environment.getattr
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]  # type: ignore[index]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


def _environment() -> Environment:
    """Templates are read once per process (no stat of every template per request, as
    Jinja's auto-reload does): a changed template takes effect when the server restarts.
    They are kept in a plain dict (``cache_size=-1``), not in Jinja's least-recently-used
    list, which takes a lock and reorders itself for every include a page makes: the
    templates are the few files of this project, all kept either way."""
    env = _TemplateEnvironment(loader=FileSystemLoader(BASE_DIR / "templates"),
                               autoescape=True, auto_reload=False, bytecode_cache=_BYTECODE,
                               cache_size=-1)
    env.globals.update(nav_for=nav_for, role_labels=ROLE_LABELS)
    env.filters.update(
        datetime=web.fmt_datetime, date=web.fmt_date, time=web.fmt_time,
        input_datetime=web.input_datetime, urlencode_page=web.urlencode_page,
        number=web.fmt_number,
    )
    return env


_SECURITY_HEADER_BYTES = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


async def _add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send``: every response gets the security headers, error pages included
    (an ``after_request`` hook never sees the responses exception handlers build)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in _SECURITY_HEADER_BYTES if name not in present]
    message["headers"] = headers


def _serving(limit: int, keepalive_requests: int = 0,
             chance: Callable[[], float] = random.random) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware: each HTTP request waits its turn (``admission``: at most ``limit`` in
    progress in this process) and its statements share one database connection
    (PostgreSQL: ``db/postgres.py``; nothing changes on SQLite). While it waits for its
    body the request holds neither a place nor a connection, and it gives both back once
    its answer starts, so a client that sends or reads slowly holds neither.

    An HTTP/1.1 answer closes its keep-alive connection now and then, as Apache and nginx
    close one after a number of requests: with a chance of one in ``keepalive_requests``
    (0: never) when no request waits for a place in this process, and of one more in as
    many for each request waiting. The worker processes share one listening socket, and
    the first to wake accepts every connection waiting: 32 connections opened at once all
    went to one of two workers, and stayed there (bench/results/NOTES.md). A client opens
    its next connection at once, and either process may get it; the busier process closes
    more of its connections, so the connections spread out within seconds and stay spread
    out, and a quiet server keeps its connections open."""
    places = admission.PerLoop(limit)

    def serving(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or admission.holding():
                await app(scope, receive, send)  # inside a request: on its place and connection
                return

            async def receiving() -> ReceiveMessage:
                await db.give_back_connection()
                async with admission.outside():
                    return await receive()

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    waiting = places.current().waiting  # behind this request
                    await db.give_back_connection()
                    admission.finish()
                    if (keepalive_requests and scope.get("http_version") == "1.1"
                            and chance() * keepalive_requests < 1 + waiting):
                        message["headers"] = [*(message.get("headers") or []),
                                              (b"connection", b"close")]
                await send(message)

            async with admission.admitted(places.current()), db.one_connection():
                await app(scope, receiving, sending)

        return middleware

    return serving


# A page allocates tens of thousands of short-lived objects (rows, dicts, template
# frames). With Python's default threshold (700) the young generation is collected dozens
# of times per page, and now and then a full collection walks every long-lived object the
# server holds (modules, compiled templates, caches). A serving process freezes what it has
# built at start (never walked again) and collects the young generation every 10,000
# allocations: 10–15 % less CPU on a family or meeting page (bench/results/NOTES.md).
GC_YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """Tune the garbage collector for serving, once the app is built (see above)."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the ASGI application for the given settings (read from the environment if None)."""
    settings = settings or Settings.from_env()
    use_settings(settings)
    db.configure(settings)
    logging.basicConfig(level=settings.log_level)
    # Database drivers log every statement with its values at DEBUG (protected addresses
    # included): never let LOG_LEVEL=DEBUG write those.
    for driver in ("aiosqlite", "asyncpg"):
        logging.getLogger(driver).setLevel(logging.INFO)
    csrf = CSRFConfig(
        secret=settings.resolved_secret(),
        cookie_name="coordinator_csrf",
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        cookie_samesite="lax",
        header_name="x-csrftoken",
        exclude=CSRF_EXEMPT,
    )
    return Litestar(
        route_handlers=[
            healthz,
            hello,
            LoginController,
            UserAdminController,
            PasswordController,
            FamilyController,
            CaseController,
            UnitController,
            AuditController,
            FollowupController,
            NetworkController,
            DirectoryController,
            *INVITE_ROUTES,
            *MEETING_ROUTES,
            *METHOD_ROUTES,
            AgreementController,
            *GDPR_ROUTES,
            ReminderSettingsController,
            ReminderOptOutController,
            *TRAPPE_ROUTES,
            *SATISFACTION_ROUTES,
            create_static_files_router(path="/static", directories=[BASE_DIR / "static"],
                                       send_as_attachment=False),
        ],
        middleware=[_serving(settings.requests_at_once, settings.keepalive_requests),
                    DefineMiddleware(SessionMiddleware, exclude=["^/static/", "^/hello", FEED_FETCH])],
        csrf_config=csrf,
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(_environment()),
        ),
        exception_handlers={
            web.UserError: web.handle_user_error,
            PasswordChangeRequired: web.handle_password_change_required,
            HTTPException: web.handle_http_exception,
            Exception: web.handle_internal_error,
        },
        before_request=web.reject_absurd_ids,
        before_send=[_add_security_headers],
        on_startup=[db.start, cache.report_on_signal],
        on_shutdown=[db.stop],
        state=State({"settings": settings}),
        debug=False,
        openapi_config=None,
    )
