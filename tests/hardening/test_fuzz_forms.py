"""Fuzzing every form and endpoint: hypothesis-generated posts and query strings, zero 500s.

There is no OpenAPI schema (``create_app`` sets ``openapi_config=None``: the app serves HTML
forms, not an API), so schemathesis has nothing to read; instead hypothesis builds form
posts from the field names the code actually reads (harvested from ``coordinator/``),
with random strings (control characters, huge values, unicode), missing fields, repeated
fields, wrong types, negative and huge numbers, malformed dates, and sometimes a body that
is not a form at all. Every POST route of the app gets them as a logged-in team member with
a valid CSRF token, on the user's own family/meeting ids and on absurd ids; every GET route
gets random query strings. Nothing may answer 500 or show a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import conftest, factories
from tests.hardening import test_matrix as matrix
from tests.hardening.world import ROLES, World, build_world

SOURCE = Path(__file__).resolve().parents[2] / "coordinator"
FIELD = re.compile(r'\((?:form|params|request\.query_params|data), "([A-Za-z_0-9-]+)"'
                   r'|(?:form|params|data)\.get(?:all)?\("([A-Za-z_0-9-]+)"')
FIELDS = sorted({name for path in SOURCE.rglob("*.py")
                 for match in FIELD.finditer(path.read_text(encoding="utf-8"))
                 for name in match.groups() if name} | {
    "item-0-title", "item-0-owner", "item-1-note", "party-0-organisation",
    "party-0-contact_email", "information_start", "information_end", "plan_start",
    "duration_information", "duration_main", "main_start", "main_end", "password",
    "topics", "parts", "start_0", "end_0", "off_0", "next", "gemt", "kind", "status"})
EXAMPLES = 20
HUGE_IDS = ("0", "-1", "2147483648", "9223372036854775808", "99999999999999999999999")

control = st.characters(min_codepoint=0, max_codepoint=0x1F)
weird_text = st.text(alphabet=st.one_of(control, st.characters(exclude_categories=["Cs"]),
                                        st.sampled_from(list("<>\"'&;:,\\%\r\n\t\u2028\ufeff"))),
                     max_size=60)
values = st.one_of(
    weird_text,
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.sampled_from(["", " ", "on", "ja", "nej", "2026-02-30", "2026-13-01", "0000-00-00",
                     "9999-12-31", "2026-03-29T02:30", "2026-10-25T02:30", "1e9", "NaN",
                     "-0", "null", "[]", "{}", "any", "ACCEPTED", "TENTATIVE",
                     "familieraadslagning", "netvaerksmoede", "cancelled", "invited",
                     "person:1", "user:1", "../../etc/passwd", "x" * 5000]),
    st.just("y" * 200_000),
)
forms = st.dictionaries(st.sampled_from(FIELDS), st.one_of(values, st.lists(values, max_size=3)),
                        max_size=12)
# Query strings stay below what a client sends at all (no 200 kB URLs).
queries = st.dictionaries(st.sampled_from(FIELDS),
                          st.one_of(weird_text, st.integers().map(str),
                                    st.lists(weird_text, max_size=3)), max_size=8)
bodies = st.one_of(
    forms.map(lambda f: ("form", f)),
    st.binary(max_size=300).map(lambda b: ("raw", b)),
    st.just(("json", b'{"title": ["x"], "version": {"a": 1}}')),
)


def _routes(method: str) -> list[str]:
    return [path for m, path in matrix.app_routes() if m == method
            and path not in ("/logout", "/inbound/mail")]


def _role_for(method: str, path: str) -> str:
    """A role that passes the route's access check on its own data (fuzz the inside)."""
    expect = matrix.MATRIX.get((method, path))
    if expect is None:
        return "socialraadgiver"
    for role in ("socialraadgiver", "leder", "kontaktperson", "samordner", "admin"):
        if expect.own.get(role) in (matrix.OK, matrix.DONE):
            return role
    return "anonymous"


@pytest.fixture(autouse=True)
async def clean_tables():
    """Overrides the per-test emptying: the whole module fuzzes one world (fast)."""
    yield


@dataclass
class Fuzzing:
    """The world and one logged-in client (with its CSRF token) per role."""

    world: World
    clients: dict
    tokens: dict


@pytest.fixture(scope="module")
async def fuzzing(database):
    """Build the world once for the module; empty the tables afterwards."""
    await conftest.empty_tables()
    world = await build_world()
    app = matrix.matrix_app()
    clients, tokens = {}, {}
    for role in ROLES:
        clients[role] = conftest.http_client(app)
        if role != "anonymous":
            await factories.login(clients[role], world.users[role])
        tokens[role] = await factories.csrf_token(
            clients[role], "/login" if role == "anonymous" else "/")
    yield Fuzzing(world, clients, tokens)
    for client in clients.values():
        await client.aclose()
    await conftest.empty_tables()


def _assert_handled(response, label: str) -> None:
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]!r}"
    assert "Traceback" not in response.text, label


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _odd(target: str, odd_id: str | None) -> str:
    """The path with its first id replaced by an absurd one (when given)."""
    return target if odd_id is None else re.sub(r"/\d+(?=/|$)", f"/{odd_id}", target, count=1)


def _assert_refusal_is_shown(response, label: str) -> None:
    """A refused form sent by htmx (as every form on the pages is, ``test_every_post_form_
    keeps_its_input``) answers with the Danish message in an alert, never a bare status:
    a fragment for the form (``_error.html``: with ``data-field`` when it is about one
    field) or the form's page re-rendered with the message."""
    if response.status_code not in (400, 422):
        return
    assert 'role="alert"' in response.text, f"{label}: {response.status_code} without a message"
    field = re.search(r'data-field="([^"]*)"', response.text)
    assert field is None or re.fullmatch(r"[A-Za-z_0-9-]+", field.group(1)), label


@pytest.mark.parametrize("path", _routes("POST"))
@FUZZ
@given(body=bodies, odd_id=st.one_of(st.none(), st.sampled_from(HUGE_IDS)), htmx=st.booleans())
async def test_fuzz_form_posts(fuzzing, path, body, odd_id, htmx):
    role = _role_for("POST", path)
    client, token = fuzzing.clients[role], fuzzing.tokens[role]
    target = _odd(matrix.fill(path, fuzzing.world, role, "own"), odd_id)
    kind, payload = body
    headers = {"x-csrftoken": token, "accept": "text/html"}
    if htmx:
        headers["hx-request"] = "true"
    if kind == "form":
        response = await client.post(target, data={**payload, "_csrf_token": token},
                                     headers=headers)
    else:
        headers["content-type"] = ("application/json" if kind == "json"
                                   else "application/x-www-form-urlencoded")
        response = await client.post(target, content=payload, headers=headers)
    _assert_handled(response, f"POST {target} {kind} {str(payload)[:200]}")
    if htmx:
        _assert_refusal_is_shown(response, f"POST {target} {kind} {str(payload)[:200]}")


@pytest.mark.parametrize("path", _routes("GET"))
@FUZZ
@given(query=queries, odd_id=st.one_of(st.none(), st.sampled_from(HUGE_IDS)))
async def test_fuzz_query_strings(fuzzing, path, query, odd_id):
    role = _role_for("GET", path)
    target = _odd(matrix.fill(path, fuzzing.world, role, "own"), odd_id)
    response = await fuzzing.clients[role].get(target, params=query,
                                               headers={"accept": "text/html"})
    _assert_handled(response, f"GET {target} {str(query)[:200]}")


# Pages that render their own refusal at the field without htmx: signing in, the password.
OWN_REFUSALS = {"templates/auth/login.html", "templates/auth/password.html"}
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>")


def test_every_post_form_keeps_its_input():
    """Every POST form in the templates is sent by htmx (``data-keeps-input`` or
    ``hx-post``), so a refusal shows its message at the form and the field and keeps what
    was typed (``static/app.js``); only signing in and out render their own pages."""
    root = SOURCE.parent
    plain = []
    for path in sorted((root / "templates").rglob("*.html")):
        name = str(path.relative_to(root))
        for form in POST_FORM.findall(path.read_text(encoding="utf-8")):
            if 'action="/logout"' in form or name in OWN_REFUSALS:
                continue
            if "data-keeps-input" not in form and "hx-post" not in form:
                plain.append(f"{name}: {form}")
    assert plain == []
