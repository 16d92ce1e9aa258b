"""HTTP plumbing shared by every domain: the current user, rendering, forms, errors.

Routes stay thin: they parse with these helpers, authorise through the policy, call a
service and render. Everything a user can get wrong becomes a ``UserError`` with a Danish
message and a 4xx status; nothing becomes a traceback.
"""

from __future__ import annotations

import html
import logging
import re
import traceback
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, cast, overload
from urllib.parse import quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.response.base import ASGIResponse
from litestar.types import (
    HTTPRequestEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from coordinator import refusal
from coordinator.auth.policy import Principal
from coordinator.errors import Conflict, UserError
from coordinator.settings import Settings

log = logging.getLogger("coordinator")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def user_of(request: Request) -> Principal:
    """The logged-in user; the guard has already turned anonymous requests away."""
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException()
    return user


def settings_of(request: Request) -> Settings:
    """The settings the app was built with (``create_app`` keeps them in its state): a
    route hands what a service needs from them down explicitly."""
    return request.app.state.settings


def client_address(request: Request) -> str:
    """The client's address, from X-Forwarded-For only when configured to trust it."""
    settings = settings_of(request)
    if settings.trusted_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    client = request.client
    return (client.host if client else "")[:64]


def is_htmx(request: Request) -> bool:
    """True for requests made by htmx (they get fragments instead of pages)."""
    return request.headers.get("hx-request") == "true"


def is_boosted(request: Request) -> bool:
    """True for a boosted form (``data-keeps-input``) and the page it leads to: htmx
    follows the redirect and shows the whole page; a refusal is a fragment at the form."""
    return request.headers.get("hx-boosted") == "true"


# Every form carries the address of the page it is on (with the CSRF token, so no template
# repeats it): a refused form is shown again on that page (``RefusedForm``).
PAGE_FIELD = "_page"
# Query parameters that say "saved" once: a page shown again for a refusal drops them.
FLASH_PARAMETERS = frozenset({"gemt"})
MAX_PAGE_LENGTH = 2000


def local_page(value: object) -> str | None:
    """``value`` when it is a path with query of this site (never another host), else None."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_PAGE_LENGTH:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _without_flash(path: str, query: str) -> str:
    kept = [part for part in query.split("&")
            if part and part.split("=", 1)[0] not in FLASH_PARAMETERS]
    return path + ("?" + "&".join(kept) if kept else "")


def page_of(request: Request) -> str | None:
    """The page the forms of this response are on: the address of a page (without a
    once-only "saved" flag); for a fragment htmx fetched, the page htmx shows; for the answer
    to a form, the page that form was on."""
    if request.method == "GET" and not (is_htmx(request) and not is_boosted(request)):
        raw = request.scope.get("raw_path") or request.url.path.encode()
        return local_page(_without_flash(raw.decode("latin-1"),
                                         request.scope.get("query_string", b"").decode("latin-1")))
    posted = ScopeState.from_scope(request.scope).form
    if isinstance(posted, dict) and (page := local_page(posted.get(PAGE_FIELD))):
        return page
    current = urlsplit(request.headers.get("hx-current-url", ""))
    if current.path and current.netloc == request.url.netloc:
        return local_page(_without_flash(current.path, current.query))
    return None


def form_inputs(request: Request, csrf_token: str) -> str:
    """The hidden inputs every form starts with: the CSRF token and the page's address."""
    inputs = f'<input type="hidden" name="_csrf_token" value="{html.escape(csrf_token)}" />'
    page = page_of(request)
    if page:
        inputs += f'<input type="hidden" name="{PAGE_FIELD}" value="{html.escape(page)}" />'
    return inputs


class Page(Template):
    """A rendered template whose forms carry their page's address (``form_inputs``). A
    whole page that answers a refused form with its own message (an alert naming the field)
    also has the message at the field (``refusal.mark``), scripts or not."""

    def create_template_context(self, request: Request) -> dict[str, Any]:
        context = super().create_template_context(request)
        token = ScopeState.from_scope(request.scope).csrf_token
        context["csrf_input"] = form_inputs(request, token if isinstance(token, str) else "")
        return context

    def to_asgi_response(self, app: Any, request: Request, **kwargs: Any) -> ASGIResponse:
        response = super().to_asgi_response(app, request, **kwargs)
        if request.method != "POST" or response.status_code not in REFILLED_STATUSES or \
                not response.body.lstrip()[:15].lower().startswith(b"<!doctype"):
            return response
        marked = refusal.mark(response.body.decode(self.encoding))
        if marked is not None:
            response.body = marked.encode(self.encoding)
            response.content_length = len(response.body)
            response.headers["content-length"] = str(response.content_length)
        return response


def render(
    template: str, context: Mapping[str, Any] | None = None, status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """Render a Jinja template (a page, or a partial whose name starts with "_")."""
    return Page(template_name=template, context=dict(context or {}), status_code=status,
                headers=dict(headers or {}))


def page_or_fragment(
    request: Request, page: str, fragment: str, context: Mapping[str, Any], status: int = 200
) -> Template:
    """htmx gets the fragment, a plain request the whole page."""
    return render(fragment if is_htmx(request) and not is_boosted(request) else page, context,
                  status)


def see_other(request: Request, url: str) -> Response:
    """After a successful plain POST, redirect (303); htmx follows HX-Redirect instead."""
    if is_htmx(request) and not is_boosted(request):
        return Response(content="", status_code=204, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=303)


# --- form parsing -------------------------------------------------------------------------

def text(form: Mapping[str, Any], name: str, label: str, *, required: bool = False,
         max_length: int = 500) -> str:
    """A trimmed text field; UserError naming the field in Danish when invalid."""
    raw = form.get(name, "")
    value = raw.strip() if isinstance(raw, str) else ""
    if required and not value:
        raise UserError(f"Udfyld feltet »{label}«.", field=name)
    if len(value) > max_length:
        raise UserError(f"»{label}« må højst være {max_length} tegn.", field=name)
    if _CONTROL.search(value):
        raise UserError(f"»{label}« indeholder ugyldige tegn.", field=name)
    return value


# Control characters no form sends: NUL and the rest of C0 but tab and the line breaks a
# text area sends, and DEL (a calendar, a mail header or a terminal would act on them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# The largest id (or count) a column holds on every engine (PostgreSQL ``integer``).
MAX_INT = 2_147_483_647


async def reject_absurd_ids(request: Request) -> None:
    """``before_request``: a path id no table can hold is simply not found (never a 500)."""
    for value in request.path_params.values():
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise NotFoundException()


# A required field is never empty (``text`` raises), so it never parses to None.
@overload
def integer(form: Mapping[str, Any], name: str, label: str, *, required: Literal[True] = True,
            minimum: int | None = None, maximum: int | None = None) -> int: ...
@overload
def integer(form: Mapping[str, Any], name: str, label: str, *, required: bool,
            minimum: int | None = None, maximum: int | None = None) -> int | None: ...
def integer(form: Mapping[str, Any], name: str, label: str, *, required: bool = True,
            minimum: int | None = None, maximum: int | None = None) -> int | None:
    """A whole number field."""
    value = text(form, name, label, required=required, max_length=20)
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise UserError(f"»{label}« skal være et helt tal.", field=name) from None
    if abs(number) > MAX_INT:
        raise UserError(f"»{label}« er alt for stort.", field=name)
    if minimum is not None and number < minimum:
        raise UserError(f"»{label}« skal være mindst {minimum}.", field=name)
    if maximum is not None and number > maximum:
        raise UserError(f"»{label}« må højst være {maximum}.", field=name)
    return number


@overload
def a_date(form: Mapping[str, Any], name: str, label: str, *,
           required: Literal[True] = True) -> date: ...
@overload
def a_date(form: Mapping[str, Any], name: str, label: str, *, required: bool) -> date | None: ...
def a_date(form: Mapping[str, Any], name: str, label: str, *, required: bool = True) -> date | None:
    """A date field in ISO form (what <input type=date> sends), in the years a case's date
    can have (``FIRST_YEAR`` to ``LATEST``: a mistyped year is refused at the field)."""
    return _date_between(form, name, label, date(FIRST_YEAR, 1, 1), LATEST, required)


def _date_between(form: Mapping[str, Any], name: str, label: str, first: date, last: date,
                  required: bool) -> date | None:
    value = text(form, name, label, required=required, max_length=10)
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError(f"»{label}« skal være en dato (åååå-mm-dd).", field=name) from None
    if not first <= day <= last:
        raise UserError(f"»{label}« skal ligge mellem år {first.year} og {last.year}.",
                        field=name)
    return day


# The dates a page takes in a query or form: far enough apart for every case, near enough
# to refuse a mistyped year. A date typed into a case's form may lie further back (an
# agreement or an assessment from before the system), never before ``FIRST_YEAR``.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
FIRST_YEAR = 1900


def date_within_range(form: Mapping[str, Any], name: str, label: str) -> date | None:
    """An optional ISO date between ``EARLIEST`` and ``LATEST`` (else a Danish 422 at it)."""
    return _date_between(form, name, label, EARLIEST, LATEST, required=False)


def period(params: Mapping[str, Any], today: date) -> tuple[date, date]:
    """The period of a leader's page from its ``from`` and ``to`` (by default the year so
    far); a period that ends before it begins is refused at ``to``."""
    start = date_within_range(params, "from", "Fra dato") or date(today.year, 1, 1)
    end = date_within_range(params, "to", "Til dato") or today
    if end < start:
        raise UserError("»Til dato« ligger før »Fra dato«. Vælg en periode, der slutter samme "
                        "dag eller efter den begynder.", field="to")
    return start, end


@overload
def local_datetime(form: Mapping[str, Any], name: str, label: str, *,
                   required: Literal[True] = True) -> datetime: ...
@overload
def local_datetime(form: Mapping[str, Any], name: str, label: str, *,
                   required: bool) -> datetime | None: ...
def local_datetime(form: Mapping[str, Any], name: str, label: str, *,
                   required: bool = True) -> datetime | None:
    """A local date-time (<input type=datetime-local>) read as Europe/Copenhagen, returned
    aware; between ``EARLIEST`` and ``LATEST`` (a meeting's time: a mistyped year is refused
    at the field, never carried on to a date past what a calendar can hold). A time with an
    offset, which the browser's field never sends, is refused as malformed."""
    value = text(form, name, label, required=required, max_length=32)
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        naive = None
    if naive is None or naive.tzinfo is not None:
        raise UserError(f"»{label}« skal være et tidspunkt (åååå-mm-dd tt:mm).", field=name)
    if not EARLIEST <= naive.date() <= LATEST:
        raise UserError(f"»{label}« skal ligge mellem år {EARLIEST.year} og {LATEST.year}.",
                        field=name)
    aware = naive.replace(tzinfo=COPENHAGEN)
    # A local time that does not exist (the hour skipped in March) round-trips differently.
    if aware.astimezone(ZoneInfo("UTC")).astimezone(COPENHAGEN).replace(tzinfo=None) != naive:
        raise UserError(f"»{label}«: tidspunktet findes ikke (sommertid).", field=name)
    return aware


def choice(form: Mapping[str, Any], name: str, label: str, options: Container[str], *,
           required: bool = True) -> str:
    """A value that must be one of the allowed keys."""
    value = text(form, name, label, required=required, max_length=64)
    if value and value not in options:
        raise UserError(f"Ugyldigt valg i »{label}«.", field=name)
    return value


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    """An HTML checkbox: present means checked."""
    return str(form.get(name, "")).lower() in {"on", "true", "1", "yes", "ja"}


def path_id(value: str) -> int:
    """A numeric id from the path; anything else is simply not found."""
    if not value.isdigit() or len(value) > 12:
        raise NotFoundException()
    return int(value)


async def form_of(request: Request) -> dict[str, Any]:
    """The submitted form as a dict of first values (multi-values via ``request.form()``)."""
    try:
        data = await request.form()
    except Exception:  # a malformed body is the client's mistake
        # Read once: the body is spent, and a second read (the refused form's page put
        # back together) would wait for more of it until the client gave up.
        ScopeState.from_scope(request.scope).form = {}
        raise UserError("Formularen kunne ikke læses.", 400) from None
    return {key: data.get(key) for key in data.keys()}


# --- formatting --------------------------------------------------------------------------

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
          "september", "oktober", "november", "december"]
WEEKDAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]


def fmt_number(value: int) -> str:
    """A whole number the Danish way: 4.100."""
    return f"{value:,}".replace(",", ".")


def fmt_datetime(value: datetime | None) -> str:
    """'tirsdag 3. marts 2026 kl. 09.00' in Copenhagen time."""
    if value is None:
        return ""
    local = value.astimezone(COPENHAGEN)
    return (f"{WEEKDAYS[local.weekday()]} {local.day}. {MONTHS[local.month - 1]} {local.year} "
            f"kl. {local.hour:02d}.{local.minute:02d}")


def fmt_date(value: date | datetime | None) -> str:
    """'3. marts 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(COPENHAGEN).date()
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def fmt_time(value: datetime | None) -> str:
    """'09.00' in Copenhagen time."""
    return "" if value is None else f"{value.astimezone(COPENHAGEN):%H.%M}"


def input_datetime(value: datetime | None) -> str:
    """The value attribute for <input type=datetime-local>."""
    return "" if value is None else f"{value.astimezone(COPENHAGEN):%Y-%m-%dT%H:%M}"


# --- errors ------------------------------------------------------------------------------

STATUS_MESSAGES = {
    400: ("Forespørgslen kunne ikke forstås", "Det sendte kunne ikke læses. Intet er ændret."),
    401: ("Log ind", "Du skal logge ind for at se siden."),
    403: ("Ingen adgang", "Handlingen blev afvist. Genindlæs siden, og prøv igen."),
    404: ("Siden findes ikke", "Siden findes ikke, eller du har ikke adgang til den."),
    405: ("Det kan ikke gøres her", "Den handling kan ikke bruges her."),
    409: ("Det kunne ikke gemmes", "En anden har ændret det samme imens."),
    410: ("Linket virker ikke længere", "Linket er brugt eller udløbet."),
    413: ("For stort", "Det sendte er for stort."),
    422: ("Det indtastede kunne ikke gemmes", "Noget af det indtastede er ikke gyldigt."),
    429: ("For mange forsøg", "Der er kommet for mange forespørgsler. Vent lidt, og prøv igen."),
    500: ("Der skete en fejl", "Der skete en uventet fejl. Intet er gemt halvt. Prøv igen, "
                               "eller kontakt support med tidspunktet."),
}
# Refusals a form is shown again for, on its own page; the others (not found, no access, a
# link that is gone) are a page of their own.
REFILLED_STATUSES = frozenset({400, 409, 413, 422})


def _status_words(status: int) -> tuple[str, str]:
    return STATUS_MESSAGES.get(status, STATUS_MESSAGES[400] if status < 500 else STATUS_MESSAGES[500])


def _accepts_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/healthz")):
        return False
    return "text/html" in request.headers.get("accept", "") or is_htmx(request) or \
        request.method != "GET" or not request.headers.get("accept")


def error_response(request: Request, status: int, message: str | None = None,
                   field: str | None = None) -> Response:
    """A Danish error page (or fragment for htmx) without any internals; ``field`` names
    the form field the message is about (the page shows it at that field)."""
    title, default = _status_words(status)
    body_message = message or default
    if not _accepts_html(request):
        return Response(content={"status": status, "fejl": body_message}, status_code=status)
    template = "_error.html" if is_htmx(request) else "error.html"
    headers = {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"} if is_htmx(request) else {}
    # A refused form: offer the way back to the form's page (what was saved stays saved).
    back = "/"
    if request.method != "GET" and status < 500:
        back = page_of(request) or local_referer(request)
    return render(template, {"status": status, "title": title, "message": body_message,
                             "back": back, "field": field or ""}, status=status, headers=headers)


def handle_user_error(request: Request, exc: UserError) -> Response:
    if isinstance(exc, Conflict):
        return conflict_response(request, exc)
    fallback = error_response(request, exc.status, exc.message, exc.field)
    if (request.method == "POST" and not is_htmx(request) and _accepts_html(request)
            and exc.status in REFILLED_STATUSES):
        return RefusedForm(request, exc, fallback)
    return fallback


_SUBREQUEST_DROPPED = frozenset({b"content-type", b"content-length", b"accept", b"x-csrftoken",
                                 b"transfer-encoding", b"expect"})


def _sent_values(form: Mapping[str, Any]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in form.items():
        items = value if isinstance(value, list) else [value]
        values[name] = [item for item in items if isinstance(item, str)]
    return values


class RefusedForm(Response):
    """A refused form sent without JavaScript: its own page read again (as this user, with
    every access check and audit record a view has), the form as it was sent and the
    message at the field (``refusal.refill``), with the refusal's status. When the page
    cannot be read again or no longer holds the form, the plain error page (``fallback``)."""

    def __init__(self, request: Request, exc: UserError, fallback: Response) -> None:
        super().__init__(content=b"", status_code=exc.status)
        self.refused_request = request
        self.exc = exc
        self.fallback = fallback

    def to_asgi_response(self, app: Any, request: Request, **kwargs: Any) -> ASGIResponse:
        return _RefusedFormASGI(self, kwargs)


class _RefusedFormASGI(ASGIResponse):
    """Reads the form's page and answers with it refilled (see ``RefusedForm``)."""

    def __init__(self, refused: RefusedForm, options: Mapping[str, Any]) -> None:
        # Nothing of ASGIResponse's own state is used: ``__call__`` answers by itself.
        self.refused = refused
        self.options = dict(options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = self.refused
        request = refused.refused_request
        try:
            form = await request.form()
            sent = {key: form.getall(key) for key in form.keys()}
        except Exception:  # an unreadable body: nothing to put back
            sent = {}
        page = local_page((sent.get(PAGE_FIELD) or [None])[0]) or page_of(request)
        answer = await _page_again(scope, page) if page else None
        if answer is not None:
            headers, body = answer
            filled = refusal.refill(body, refusal.Refusal(
                action=request.url.path, values=_sent_values(sent), message=refused.exc.message,
                field=refused.exc.field, title=_status_words(refused.exc.status)[0], page=page or ""))
            if filled is not None:
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start", "status": refused.exc.status,
                    "headers": [*headers, (b"cache-control", b"no-store")]}
                body_event: HTTPResponseBodyEvent = {"type": "http.response.body",
                                                     "body": filled.encode(), "more_body": False}
                await send(start)
                await send(body_event)
                return
        await refused.fallback.to_asgi_response(app=None, request=request, **self.options)(
            scope, receive, send)


async def _page_again(scope: Scope, page: str) -> tuple[list[tuple[bytes, bytes]], str] | None:
    """The page at ``page`` read as a plain GET by the same browser (its cookies), or None
    unless that is a whole HTML page answered 200."""
    parts = urlsplit(page)
    headers = [(name, value) for name, value in scope["headers"]
               if name.lower() not in _SUBREQUEST_DROPPED and not name.lower().startswith(b"hx-")]
    sub_scope: dict[str, Any] = {
        "type": "http", "asgi": scope.get("asgi", {"version": "3.0"}),
        "http_version": scope.get("http_version", "1.1"), "method": "GET",
        "scheme": scope.get("scheme", "http"), "server": scope.get("server"),
        "client": scope.get("client"), "root_path": scope.get("root_path", ""),
        "path": unquote(parts.path), "raw_path": parts.path.encode("latin-1", "replace"),
        "query_string": parts.query.encode("latin-1", "replace"),
        "headers": [*headers, (b"accept", b"text/html")], "state": {},
    }
    status = 0
    answer_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> HTTPRequestEvent:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def collect(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers.extend(message.get("headers") or [])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await scope["app"](cast(HTTPScope, sub_scope), receive, collect)
    kept = [(name, value) for name, value in answer_headers
            if name.lower() in (b"content-type", b"set-cookie")]
    content_type = dict((name.lower(), value) for name, value in answer_headers).get(b"content-type", b"")
    body = b"".join(chunks).decode("utf-8", "replace")
    if status != 200 or not content_type.startswith(b"text/html") or \
            not body.lstrip()[:15].lower().startswith("<!doctype"):
        return None
    return kept, body


def handle_password_change_required(request: Request, _: Exception) -> Response:
    """A temporary password opens one page only: choosing a new password."""
    if request.method == "GET" and not is_htmx(request):
        return Redirect(path="/password", status_code=303)
    return error_response(request, 403, "Vælg en ny adgangskode, før du fortsætter.")


def local_referer(request: Request) -> str:
    """The path of the page the request came from, if it was this site; else the start page."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    path = referer.path or "/"
    return path if path.startswith("/") and not path.startswith("//") else "/"


def _plain(_key: str, value: Any) -> str:
    return "" if value is None else str(value)


# The "Din udgave" cell of a field the user's form does not have.
NOT_IN_FORM = "(ikke ændret af dig)"


def conflict_rows(mine: Mapping[str, Any], theirs: Mapping[str, Any], *,
                  label: Callable[[str], str] = str, value: Callable[[str, Any], str] = _plain,
                  hidden: Container[str] = frozenset({"version", "id"})
                  ) -> list[tuple[str, str, str]]:
    """The fields where the two versions differ, for the side-by-side conflict table: the
    field's ``label`` and both values as ``value`` shows them (the form's words). A field
    only the saved version has (not one of the form's) says so on the user's side: an empty
    cell would read as if they had emptied it."""
    rows = []
    for key in dict.fromkeys([*mine, *theirs]):
        if key in hidden:
            continue
        shown_theirs = value(key, theirs.get(key))
        if key not in mine:  # not a field of this form: the other writer's state of it
            if shown_theirs:
                rows.append((label(key), NOT_IN_FORM, shown_theirs))
            continue
        shown_mine = value(key, mine.get(key))
        if shown_mine != shown_theirs:
            rows.append((label(key), shown_mine, shown_theirs))
    return rows


def conflict_view(exc: Conflict, **shown: Any) -> dict[str, Any]:
    """The one conflict view model (``conflict.html``): the message and the rows where the
    two versions differ; ``shown`` as ``conflict_rows`` takes it (without a ``label``, the
    conflict's own ``labels`` name the fields)."""
    if "label" not in shown and exc.labels:
        shown["label"] = lambda key: exc.labels.get(key, key)
    return {"message": exc.message, "rows": conflict_rows(exc.mine, exc.theirs, **shown),
            "missing_version": exc.missing_version}


def conflict_response(request: Request, exc: Conflict) -> Response:
    """409 with both versions side by side; the second writer's input is shown, not lost."""
    context = {**conflict_view(exc), "back": local_referer(request)}
    if is_htmx(request):
        return render("_conflict.html", context, status=409,
                      headers={"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
    return render("conflict.html", context, status=409)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) or status == 401:
        if request.method == "GET" and not is_htmx(request):
            return Redirect(path=f"/login?next={quote(request.url.path)}", status_code=303)
        if is_htmx(request):
            # back to the page the user was on after logging in again (a form sent there
            # is kept by static/app.js meanwhile and put back)
            page = page_of(request) or local_referer(request)
            return Response(content="", status_code=401,
                            headers={"HX-Redirect": f"/login?next={quote(page, safe='/')}"})
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_response(request, 403, "Formularen var udløbet eller ugyldig (CSRF). "
                                            "Genindlæs siden, og prøv igen. Intet blev ændret.")
    if isinstance(exc, ValidationException):
        return error_response(request, 400, "Forespørgslen indeholdt ugyldige værdier.")
    if status == 405 and request.method == "GET" and not is_htmx(request):
        # The address of a form's sending, opened as a page (a refused form's page reloaded
        # from the address bar or the history, a bookmark): the page above it that has the
        # form, not a dead end.
        return Redirect(path=page_above(request), status_code=303)
    return error_response(request, status if 400 <= status < 600 else 500)


def page_above(request: Request) -> str:
    """The nearest page above ``request``'s path that can be opened (``/families/7`` for
    ``/families/7/stays/checkout``); the start page when none is."""
    router = request.app.asgi_router
    # the path as routed: "//families/7" is routed as "/families/7", and an answer of
    # "//families" would be another host's address to the browser
    segments = [part for part in request.url.path.split("/") if part]
    while segments:
        segments.pop()
        above = "/" + "/".join(segments)
        for candidate in (above, f"{above}/") if segments else ("/",):
            try:
                router.handle_routing(candidate, "GET")
            except (HTTPException, KeyError):
                continue
            return local_page(candidate) or "/"
    return "/"


def handle_internal_error(request: Request, exc: Exception) -> Response:
    """500 page; the log names the route, the exception's type and where it was raised.

    Never the exception's message or the concrete path: database errors quote row values
    (a protected address, a name) and paths carry secret link tokens, and log lines travel
    further than the database does.
    """
    frames = traceback.extract_tb(exc.__traceback__)[-12:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    log.error("Unhandled %s on %s %s at %s", type(exc).__name__, request.method,
              request.scope.get("path_template") or "?", where)
    return error_response(request, 500)


def option_lists(rows: Mapping[Any, Iterable[Mapping[str, Any]]], value: str = "id",
                 label: str = "full_name") -> dict[Any, Markup]:
    """Per row the ``<option>`` tags of its choices, each distinct choice escaped once: a
    page offering the same choices in many forms (the unit page: 50 forms, each with the
    unit's colleagues less the team) joins these instead of rendering every option in the
    template each time (about 20 ms of CPU per unit page at municipal scale)."""
    tags: dict[Any, str] = {}
    result: dict[Any, Markup] = {}
    for key, choices in rows.items():
        parts = []
        for choice in choices:
            tag = tags.get(choice[value])
            if tag is None:  # escaped here; the joined text is then marked safe as a whole
                tag = tags[choice[value]] = str(Markup('<option value="{}">{}</option>').format(
                    choice[value], choice[label]))
            parts.append(tag)
        result[key] = Markup("".join(parts))
    return result


def urlencode_page(query: Mapping[str, Any], page: int) -> str:
    """The current query string with another page number (for pagers)."""
    params = {k: v for k, v in query.items() if k != "page" and v not in (None, "")}
    params["page"] = page
    return urlencode(params)


@dataclass(frozen=True)
class DirectorySearch:
    """A search of a large organisation directory (``templates/_org_search.html``): what
    is typed (``q``, at most 100 characters), the organisation the list holds chosen (None
    when none, or no number), and those it lists already (``near``: left out of the
    answer)."""

    text: str
    selected: int | None
    near: tuple[int, ...]


_ID = re.compile(r"[0-9]{1,9}")
_LIST_ID = re.compile(r"[a-z][a-z0-9_-]{0,60}")


async def search_of(request: Request, chosen: str) -> DirectorySearch:
    """The search a picker posts; ``chosen`` names its select. Odd values are ignored."""
    form = await form_of(request)

    def text_of(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    selected = text_of(chosen)
    return DirectorySearch(
        text_of("q")[:100], int(selected) if _ID.fullmatch(selected) else None,
        tuple(int(i) for i in text_of("near").split(",")[:1000] if _ID.fullmatch(i)))


def options_response(options: Markup, status: int = 200) -> Response:
    """``<option>`` tags answered to a search (htmx swaps them into a list)."""
    return Response(str(options), status_code=status, media_type="text/html; charset=utf-8",
                    headers={"cache-control": "no-store"})


def found_response(request: Request, found: Any) -> Response:
    """A search's ``<option>`` tags for the list's search group (the htmx target,
    ``<list>-found``), with the sentence saying how it went swapped into the list's status
    line (``<list>-q-status``, read out by screen readers)."""
    target = request.headers.get("hx-target", "")
    body = Markup(found.options)
    if target.endswith("-found") and _LIST_ID.fullmatch(target):
        body += Markup('<span id="{}-q-status" class="hint" role="status" hx-swap-oob="true">'
                       '{}</span>').format(target.removesuffix("-found"), found.status)
    return options_response(body)
