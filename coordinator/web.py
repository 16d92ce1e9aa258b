"""HTTP plumbing shared by every domain: the current user, rendering, forms, errors.

Routes stay thin: they parse with these helpers, authorise through the policy, call a
service and render. Everything a user can get wrong becomes a ``UserError`` with a Danish
message and a 4xx status; nothing becomes a traceback.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Container, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import quote, urlencode, urlsplit
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
from markupsafe import Markup

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


def render(
    template: str, context: Mapping[str, Any] | None = None, status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """Render a Jinja template (a page, or a partial whose name starts with "_")."""
    return Template(template_name=template, context=dict(context or {}), status_code=status,
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
    if "\x00" in value:
        raise UserError(f"»{label}« indeholder ugyldige tegn.", field=name)
    return value


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
    """A date field in ISO form (what <input type=date> sends)."""
    value = text(form, name, label, required=required, max_length=10)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"»{label}« skal være en dato (åååå-mm-dd).", field=name) from None


# The dates a page takes in a query or form: far enough apart for every case, near enough
# to refuse a mistyped year.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def date_within_range(form: Mapping[str, Any], name: str, label: str) -> date | None:
    """An optional ISO date between ``EARLIEST`` and ``LATEST`` (else a Danish 422 at it)."""
    value = a_date(form, name, label, required=False)
    if value is not None and not EARLIEST <= value <= LATEST:
        raise UserError(f"»{label}« skal ligge mellem år {EARLIEST.year} og {LATEST.year}.",
                        field=name)
    return value


def period(params: Mapping[str, Any], today: date) -> tuple[date, date]:
    """The period of a leader's page from its ``from`` and ``to`` (by default the year so
    far); a period that ends before it begins is refused at ``to``."""
    start = date_within_range(params, "from", "Fra dato") or date(today.year, 1, 1)
    end = date_within_range(params, "to", "Til dato") or today
    if end < start:
        raise UserError("»Til dato« ligger før »Fra dato«.", field="to")
    return start, end


@overload
def local_datetime(form: Mapping[str, Any], name: str, label: str, *,
                   required: Literal[True] = True) -> datetime: ...
@overload
def local_datetime(form: Mapping[str, Any], name: str, label: str, *,
                   required: bool) -> datetime | None: ...
def local_datetime(form: Mapping[str, Any], name: str, label: str, *,
                   required: bool = True) -> datetime | None:
    """A local date-time (<input type=datetime-local>) read as Europe/Copenhagen, returned aware."""
    value = text(form, name, label, required=required, max_length=32)
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"»{label}« skal være et tidspunkt (åååå-mm-dd tt:mm).", field=name) from None
    if naive.tzinfo is not None:
        return naive
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
        raise UserError("Formularen kunne ikke læses.", 400) from None
    return {key: data.get(key) for key in data.keys()}


# --- formatting --------------------------------------------------------------------------

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
          "september", "oktober", "november", "december"]
WEEKDAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]


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
    400: ("Forkert forespørgsel", "Forespørgslen kunne ikke forstås."),
    401: ("Log ind", "Du skal logge ind for at se siden."),
    403: ("Ingen adgang", "Handlingen blev afvist. Genindlæs siden, og prøv igen."),
    404: ("Siden findes ikke", "Siden findes ikke, eller du har ikke adgang til den."),
    405: ("Ikke tilladt", "Den handling kan ikke bruges her."),
    409: ("Konflikt", "En anden har ændret det samme imens."),
    413: ("For stor", "Det sendte er for stort."),
    422: ("Kontrollér det indtastede", "Noget af det indtastede er ikke gyldigt."),
    429: ("For mange forsøg", "Der er kommet for mange forespørgsler. Vent lidt, og prøv igen."),
    500: ("Der skete en fejl", "Der skete en uventet fejl. Intet er gemt halvt. Prøv igen, "
                               "eller kontakt support med tidspunktet."),
}


def error_response(request: Request, status: int, message: str | None = None,
                   field: str | None = None) -> Response:
    """A Danish error page (or fragment for htmx) without any internals; ``field`` names
    the form field the message is about (the page shows it at that field)."""
    title, default = STATUS_MESSAGES.get(status, STATUS_MESSAGES[400] if status < 500 else STATUS_MESSAGES[500])
    body_message = message or default
    accepts_html = "text/html" in request.headers.get("accept", "") or is_htmx(request) or \
        request.method != "GET" or not request.headers.get("accept")
    if request.url.path.startswith(("/api/", "/healthz")) or not accepts_html:
        return Response(content={"status": status, "fejl": body_message}, status_code=status)
    template = "_error.html" if is_htmx(request) else "error.html"
    headers = {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"} if is_htmx(request) else {}
    # A refused form: offer the way back to the form's page (what was saved stays saved).
    back = local_referer(request) if request.method != "GET" and status < 500 else "/"
    return render(template, {"status": status, "title": title, "message": body_message,
                             "back": back, "field": field or ""}, status=status, headers=headers)


def handle_user_error(request: Request, exc: UserError) -> Response:
    if isinstance(exc, Conflict):
        return conflict_response(request, exc)
    return error_response(request, exc.status, exc.message, exc.field)


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


def conflict_rows(mine: Mapping[str, Any], theirs: Mapping[str, Any], *,
                  label: Callable[[str], str] = str, value: Callable[[str, Any], str] = _plain,
                  hidden: Container[str] = frozenset({"version", "id"})
                  ) -> list[tuple[str, str, str]]:
    """The fields where the two versions differ, for the side-by-side conflict table: the
    field's ``label`` and both values as ``value`` shows them (the form's words)."""
    rows = []
    for key in dict.fromkeys([*mine, *theirs]):
        if key in hidden:
            continue
        shown_mine, shown_theirs = value(key, mine.get(key)), value(key, theirs.get(key))
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
            return Response(content="", status_code=401, headers={"HX-Redirect": "/login"})
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_response(request, 403, "Formularen var udløbet eller ugyldig (CSRF). "
                                            "Genindlæs siden, og prøv igen. Intet blev ændret.")
    if isinstance(exc, ValidationException):
        return error_response(request, 400, "Forespørgslen indeholdt ugyldige værdier.")
    return error_response(request, status if 400 <= status < 600 else 500)


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
