"""The authorisation matrix: every route of the app × every role × own and foreign data.

The routes come from the application's own route table (``app.routes``), so a route added
without a line in ``MATRIX`` fails ``test_matrix`` with a message saying what to add.
For each route and role the test builds one world (``tests/hardening/world.py``: an own
family whose team the users are on, a foreign family with strangers on its team, meetings,
an agreement, answer and feed links), logs in and requests the route with the path filled
from:

- ``own``: the user's own objects (a samordner's own meeting is the familierådslagning
  they coordinate);
- ``foreign``: the foreign family's objects (or an unknown id / token);
- ``mixed``: the own family or meeting with a foreign sub-object (person, relation,
  keep-apart pair, task, session, participant) — the classic id-swap.

Every POST is also sent without a CSRF token (403, nothing changed), and foreign/mixed
requests must change nothing and show no name from the foreign family.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pytest
from argon2 import PasswordHasher

from coordinator.app import create_app
from coordinator.auth import passwords
from tests import conftest, factories
from tests.hardening.world import ROLES, World, build_world

INBOUND_TOKEN = "matrix-inbound-" + "y" * 24
LOGGED_IN = tuple(r for r in ROLES if r != "anonymous")
CASE = ("socialraadgiver", "kontaktperson", "leder")
EDITORS = ("socialraadgiver", "leder")
# The family's own team; the kontaktperson is on it for the father only (father side).
TEAM = EDITORS
DIRECTORY_READERS = ("socialraadgiver", "leder", "admin")
DIRECTORY_EDITORS = ("leder", "admin")

# Outcomes
OK = "ok"            # 200
DONE = "done"        # authorised write: a redirect, a created page, or a 4xx about the form
NF = "404"           # the thing does not exist for this user
LOGIN = "login"      # anonymous: GET → 303 to /login, POST → 401
HOME = "home"        # 303 somewhere other than /login (already logged in)
LOGGED_OUT = "out"   # 303 to /login
UNAUTH = "401"       # wrong bearer token
BAD = "bad"          # refused credentials: 400, or 429 once the rate limit is reached
DONE_STATUSES = {200, 201, 204, 303, 409, 422}


@dataclass(frozen=True)
class Expect:
    """Expected outcome per role, for own data and for foreign (and mixed) data."""

    own: dict[str, str]
    foreign: dict[str, str] = field(default_factory=dict)


def rule(outcome: str, roles: tuple[str, ...], *, anonymous: str = LOGIN, others: str = NF,
         foreign: str = NF, foreign_overrides: dict[str, str] | None = None) -> Expect:
    """``roles`` get ``outcome`` on their own data, other logged-in roles ``others``;
    everybody gets ``foreign`` on foreign data (anonymous: ``anonymous`` when that is
    the login redirect, else ``foreign``)."""
    own = {r: outcome if r in roles else others for r in LOGGED_IN}
    own["anonymous"] = anonymous
    theirs = {r: foreign for r in LOGGED_IN}
    theirs["anonymous"] = LOGIN if anonymous == LOGIN else foreign
    theirs.update(foreign_overrides or {})
    return Expect(own, theirs)


EVERYONE = rule(OK, LOGGED_IN, anonymous=OK)
LOGGED_IN_PAGE = rule(OK, LOGGED_IN)
FAMILY_PAGE = rule(OK, TEAM)
FAMILY_WRITE = rule(DONE, TEAM)
FATHER_SIDE_PAGE = rule(OK, CASE)
FATHER_SIDE_WRITE = rule(DONE, CASE)
MEETING_WRITE = rule(DONE, CASE)  # the kontaktperson's own meeting is the father's session
MEETING_PAGE = rule(OK, CASE + ("samordner",))
AGREEMENT_PAGE = rule(OK, EDITORS)  # not the father's side: the crisis centre is a party
AGREEMENT_FORM = rule(OK, EDITORS)
AGREEMENT_WRITE = rule(DONE, EDITORS)
SCHEDULING = rule(DONE, CASE + ("samordner",))  # times and participants of an FGC
SCHEDULING_PAGE = rule(OK, CASE + ("samordner",))
TOKEN_PAGE = rule(OK, LOGGED_IN, anonymous=OK)
TOKEN_WRITE = rule(DONE, LOGGED_IN, anonymous=DONE)

# (method, path template) → who gets what. ONE table for the whole application.
MATRIX: dict[tuple[str, str], Expect] = {
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/hello"): EVERYONE,
    ("GET", "/static/{file_path:path}"): EVERYONE,
    ("GET", "/login"): rule(HOME, LOGGED_IN, anonymous=OK),
    ("POST", "/login"): rule(BAD, LOGGED_IN, anonymous=BAD),
    ("POST", "/logout"): rule(LOGGED_OUT, LOGGED_IN, anonymous=LOGGED_OUT),
    # each role's start page: the family list, or a redirect to the role's own start page
    ("GET", "/"): rule(OK, TEAM, others=HOME),
    # users and the audit log
    ("GET", "/admin/users"): rule(OK, ("admin",)),
    ("POST", "/admin/users"): rule(DONE, ("admin",)),
    ("POST", "/admin/users/{user_id:int}/active"): rule(DONE, ("admin",)),
    ("POST", "/admin/users/{user_id:int}/role"): rule(DONE, ("admin",)),
    ("POST", "/admin/users/{user_id:int}/password"): rule(DONE, ("admin",)),
    ("POST", "/admin/users/{user_id:int}/phone"): rule(DONE, ("admin",)),
    ("GET", "/password"): LOGGED_IN_PAGE,
    ("POST", "/password"): rule(DONE, LOGGED_IN),
    ("GET", "/audit"): rule(OK, ("leder", "admin")),
    # families and their network
    ("GET", "/families/{family_id:int}"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/network"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/history"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/intake"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/network.svg"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/network/print"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/intake/{block:str}"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/network/people"): FAMILY_WRITE,
    ("GET", "/families/{family_id:int}/network/people/{person_id:int}/edit"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/network/people/{person_id:int}"): FAMILY_WRITE,
    ("GET", "/families/{family_id:int}/network/people/{person_id:int}/remove"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/network/people/{person_id:int}/remove"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/network/relations"): FAMILY_WRITE,
    ("GET", "/families/{family_id:int}/network/relations/{relation_id:int}/edit"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/network/relations/{relation_id:int}"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/network/relations/{relation_id:int}/remove"):
        FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/network/keep-apart"): FAMILY_WRITE,
    ("GET", "/families/{family_id:int}/network/keep-apart/{pair_id:int}/edit"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/network/keep-apart/{pair_id:int}"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/network/keep-apart/{pair_id:int}/remove"):
        FAMILY_WRITE,
    # opening a case, its team and stays
    ("POST", "/families"): rule(DONE, TEAM),
    ("POST", "/families/{family_id:int}/team"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/team/{member_id:int}/remove"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/team/handover"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/stays"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/stays/checkout"): FAMILY_WRITE,
    # the organisation directory
    ("GET", "/organisations"): rule(OK, DIRECTORY_READERS),
    ("POST", "/organisations"): rule(DONE, DIRECTORY_EDITORS),
    ("GET", "/organisations/export.csv"): rule(OK, DIRECTORY_READERS),
    ("POST", "/organisations/import"): rule(DONE, DIRECTORY_EDITORS),
    ("GET", "/organisations/{organisation_id:int}"): rule(OK, DIRECTORY_READERS),
    ("POST", "/organisations/options"): rule(DONE, DIRECTORY_READERS),
    ("POST", "/organisations/suggestions"): rule(DONE, DIRECTORY_READERS),
    ("POST", "/organisations/{organisation_id:int}"): rule(DONE, DIRECTORY_EDITORS),
    # GDPR: a person's export, closing a case
    ("GET", "/families/{family_id:int}/people/{person_id:int}/export"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/people/{person_id:int}/export.json"): FAMILY_PAGE,
    ("GET", "/families/{family_id:int}/close"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/close"): FAMILY_WRITE,
    # familierådslagning
    ("GET", "/families/{family_id:int}/familieraadslagning"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/familieraadslagning/assessment"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/referral"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/samordner"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/initiator"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/formoede"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/formoede/outcome"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/tasks"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/tasks/{task_id:int}/done"):
        FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/meeting"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/plan"): FAMILY_WRITE,
    # only a socialrådgiver on the team approves the plan; the leader on it is refused
    ("POST", "/families/{family_id:int}/familieraadslagning/plan/approve"): Expect(
        {**FAMILY_WRITE.own, "leder": "403"}, FAMILY_WRITE.foreign),
    ("POST", "/families/{family_id:int}/familieraadslagning/plan/{item_id:int}/review"):
        FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/familieraadslagning/followup"): FAMILY_WRITE,
    # Barnet i Centrum
    ("GET", "/families/{family_id:int}/bic"): FATHER_SIDE_PAGE,
    ("POST", "/families/{family_id:int}/bic/assessment"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/bic/agreement"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/bic/referral"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/bic/sessions"): FATHER_SIDE_WRITE,
    ("POST", "/families/{family_id:int}/bic/sessions/{session_id:int}/held"): FATHER_SIDE_WRITE,
    ("POST", "/families/{family_id:int}/bic/joint"): FAMILY_WRITE,
    # meetings
    ("GET", "/families/{family_id:int}/meetings/new"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/meetings"): FAMILY_WRITE,
    ("GET", "/meetings/coordinated"): LOGGED_IN_PAGE,
    # The place picker's search: those who place meetings (projected per audience).
    ("POST", "/meetings/places"): rule(DONE, CASE),
    ("GET", "/meetings/{meeting_id:int}"): MEETING_PAGE,
    ("GET", "/meetings/{meeting_id:int}/answers"): MEETING_PAGE,
    ("GET", "/meetings/{meeting_id:int}/invitation.ics"): MEETING_PAGE,
    ("POST", "/meetings/{meeting_id:int}/details"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/participants"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/remove"):
        SCHEDULING,
    ("GET", "/meetings/{meeting_id:int}/participants/{participant_id:int}/hours"):
        SCHEDULING_PAGE,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/hours"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/hours/date"):
        SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/feed"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/channel"):
        MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/answer"):
        MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/contact-note"):
        MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/resend"):
        MEETING_WRITE,
    ("GET", "/meetings/{meeting_id:int}/participants/{participant_id:int}/letter"):
        rule(OK, TEAM),
    # who prints the letters marks that the letter (or a call) has been given
    ("POST", "/meetings/{meeting_id:int}/participants/{participant_id:int}/told"):
        rule(DONE, TEAM),
    ("POST", "/meetings/{meeting_id:int}/times"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/proposals/{record_id:int}/accept"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/proposals/{record_id:int}/decline"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/replies/{record_id:int}/confirm-sender"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/slots"): SCHEDULING,
    ("POST", "/meetings/{meeting_id:int}/slot"): SCHEDULING,
    # the rooms, the crisis centre's among them: the department's staff, not the father's side
    ("GET", "/rooms"): rule(OK, EDITORS),
    ("POST", "/rooms"): rule(DONE, EDITORS),
    ("POST", "/rooms/{room_id:int}"): rule(DONE, EDITORS),
    ("POST", "/meetings/{meeting_id:int}/approvals"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/status"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/held"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/agenda"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/agenda/{point_id:int}"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/agenda/{point_id:int}/move"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/agenda/{point_id:int}/remove"): MEETING_WRITE,
    ("POST", "/meetings/{meeting_id:int}/agenda/{point_id:int}/minutes"): MEETING_WRITE,
    # the method: Signs of Safety in a network meeting and the handleplan (the team's only;
    # the kontaktperson's own meeting is the father's session, a samordner's the FGC)
    ("GET", "/meetings/{meeting_id:int}/sos"): FAMILY_PAGE,
    ("POST", "/meetings/{meeting_id:int}/sos"): FAMILY_WRITE,
    ("POST", "/meetings/{meeting_id:int}/sos/scales"): FAMILY_WRITE,
    ("POST", "/meetings/{meeting_id:int}/sos/scales/{scale_id:int}/delete"): FAMILY_WRITE,
    ("GET", "/families/{family_id:int}/handleplan"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/handleplan/goals"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/handleplan/goals/{goal_id:int}/evaluations"): FAMILY_WRITE,
    ("POST", "/meetings/{meeting_id:int}/followup"): MEETING_WRITE,
    # invites: answer links, feeds, inbound mail
    ("GET", "/svar/{token:str}"): TOKEN_PAGE,
    ("POST", "/svar/{token:str}"): TOKEN_WRITE,
    ("GET", "/feeds"): rule(OK, EDITORS),
    ("POST", "/feeds"): rule(DONE, EDITORS),
    ("GET", "/feeds/{name:str}"): TOKEN_PAGE,
    ("POST", "/feeds/{token_id:int}/revoke"): rule(DONE, EDITORS,
                                                   foreign_overrides={"leder": DONE}),
    ("POST", "/inbound/mail"): rule(DONE, LOGGED_IN, anonymous=DONE, foreign=UNAUTH),
    # reminders: the user's own choices, and the opt-out link of a reminder mail
    ("GET", "/paamindelser"): LOGGED_IN_PAGE,
    ("POST", "/paamindelser"): rule(DONE, LOGGED_IN),
    ("GET", "/paamindelser/fra/{link:str}"): TOKEN_PAGE,
    ("POST", "/paamindelser/fra/{link:str}"): TOKEN_WRITE,
    # follow-up
    ("GET", "/followup/teammoede"): rule(OK, CASE),
    ("GET", "/followup/succeskriterier"): rule(OK, ("leder", "admin")),
    # one criterion: target and trend (aggregates); the drill-down lists only the leader's
    # own families, so a criterion key is no foreign object
    ("GET", "/followup/kriterier/{key:str}"): rule(OK, ("leder", "admin"), foreign_overrides={
        "leder": OK, "admin": OK}),
    ("GET", "/unit"): rule(OK, ("leder",)),
    ("POST", "/unit/families/{family_id:int}/team"): rule(DONE, ("leder",)),
    ("GET", "/followup/kontaktperson"): rule(OK, ("kontaktperson",)),
    ("GET", "/followup/samarbejdsmoede"): rule(OK, EDITORS),
    ("POST", "/followup/samarbejdsmoede"): rule(DONE, ("socialraadgiver",)),
    # Randers-trappen
    ("GET", "/families/{family_id:int}/trappe"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/trappe"): FAMILY_WRITE,
    ("GET", "/families/{family_id:int}/trappe/{assessment_id:int}/ret"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/trappe/{assessment_id:int}/ret"): FAMILY_WRITE,
    ("GET", "/trappe/moeder/{meeting_id:int}"): FAMILY_PAGE,
    ("GET", "/trappe/kriterium"): rule(OK, ("leder",)),
    # satisfaction at move-out: the team records; the tablet link is a one-time bearer token
    ("GET", "/families/{family_id:int}/tilfredshed"): FAMILY_PAGE,
    ("POST", "/families/{family_id:int}/tilfredshed"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/tilfredshed/afslag"): FAMILY_WRITE,
    ("POST", "/families/{family_id:int}/tilfredshed/tablet"): FAMILY_WRITE,
    ("GET", "/tilfredshed/tablet/{tablet:str}"): TOKEN_PAGE,
    ("POST", "/tilfredshed/tablet/{tablet:str}"): TOKEN_WRITE,
    ("GET", "/tilfredshed/tak"): EVERYONE,
    ("GET", "/tilfredshed/kriterium"): rule(OK, ("leder",)),
    ("GET", "/tilfredshed/svar"): rule(OK, ("leder",)),
    # agreements
    ("GET", "/agreements"): AGREEMENT_PAGE,
    ("GET", "/agreements/due"): AGREEMENT_PAGE,
    ("GET", "/agreements/new"): AGREEMENT_FORM,
    ("POST", "/agreements"): AGREEMENT_WRITE,
    ("GET", "/agreements/{agreement_id:int}"): AGREEMENT_PAGE,
    ("GET", "/agreements/{agreement_id:int}/versions/{number:int}"): AGREEMENT_PAGE,
    ("GET", "/agreements/{agreement_id:int}/edit"): AGREEMENT_FORM,
    ("POST", "/agreements/{agreement_id:int}/edit"): AGREEMENT_WRITE,
    ("POST", "/agreements/{agreement_id:int}/evaluations"): AGREEMENT_WRITE,
    ("POST", "/agreements/{agreement_id:int}/evaluation-meeting"): AGREEMENT_WRITE,
    ("POST", "/agreements/{agreement_id:int}/archive"): AGREEMENT_WRITE,
    ("POST", "/agreements/{agreement_id:int}/delete"): AGREEMENT_WRITE,
}

PARAM = re.compile(r"\{(\w+):\w+\}")
SUB_IDS = {"person_id", "relation_id", "pair_id", "task_id", "item_id", "session_id",
           "participant_id", "number", "member_id", "record_id", "assessment_id", "scale_id",
           "goal_id", "point_id"}
# Tables whose rows a refused request may still write: the audit log records refusals,
# sessions record activity.
NOT_FINGERPRINTED = {"audit_event", "app_session", "login_attempt"}


def matrix_app():
    """The app under test, with the inbound-mail hook switched on."""
    return create_app(conftest.test_settings(inbound_mail_token=INBOUND_TOKEN))


def app_routes() -> list[tuple[str, str]]:
    """Every (method, path template) the application serves, from its route table."""
    found = set()
    for route in matrix_app().routes:
        for method in getattr(route, "methods", ()):
            if method not in ("OPTIONS", "HEAD"):
                found.add((method, route.path))
    return sorted(found, key=lambda mp: (mp[1], mp[0]))


def ownerships(path: str) -> list[str]:
    """Which fillings a path gets: own always; foreign when it has an id; mixed when it
    combines a family or meeting with a sub-object."""
    params = set(PARAM.findall(path))
    result = ["own"]
    if params - {"file_path"}:
        result.insert(0, "foreign")
    if params & SUB_IDS and params & {"family_id", "meeting_id", "agreement_id"}:
        result.insert(0, "mixed")
    return result


def fill(path: str, world: World, role: str, ownership: str) -> str:
    """The concrete path for ``role`` and ``ownership``."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        side = world.own if ownership == "own" or (
            ownership == "mixed" and name not in SUB_IDS) else world.foreign
        if name in ("meeting_id", "participant_id", "record_id", "point_id") and role == "samordner":
            name = "fgc_" + name
        if name in ("meeting_id", "participant_id", "record_id", "point_id") and role == "kontaktperson":
            name = "bic_" + name  # the father's side: his advice session
        return str(side[name])
    return PARAM.sub(value, path)


async def fingerprint() -> str:
    """A digest of every row of every table a refused request must not touch."""
    digest = hashlib.sha256()
    for table in conftest.all_tables():
        if table._meta.tablename in NOT_FINGERPRINTED:
            continue
        rows = await table.select().order_by(table._meta.primary_key)
        digest.update(repr((table._meta.tablename, rows)).encode())
    return digest.hexdigest()


def check(outcome: str, method: str, response, label: str) -> None:
    """Assert that ``response`` is ``outcome``."""
    status = response.status_code
    where = f"{label}: got {status} {response.text[:200]!r}"
    assert status < 500 and "Traceback" not in response.text, where
    if outcome == OK:
        assert status == 200, where
    elif outcome == DONE:
        assert status in DONE_STATUSES, where
        if status == 303:
            assert not response.headers["location"].startswith("/login"), where
    elif outcome == LOGIN:
        if method == "GET":
            assert status == 303 and response.headers["location"].startswith("/login"), where
        else:
            assert status == 401, where
    elif outcome in (HOME, LOGGED_OUT):
        assert status == 303, where
        assert response.headers["location"].startswith("/login") == (outcome == LOGGED_OUT), where
    elif outcome == BAD:
        assert status in (400, 429), where
    else:
        assert status == int(outcome), where


async def _csrf(client, role: str) -> str:
    return await factories.csrf_token(client, "/login" if role == "anonymous" else "/")


async def _request(client, method: str, path: str, token: str | None, role: str):
    headers = {}
    if path == "/inbound/mail":
        headers["authorization"] = f"Bearer {INBOUND_TOKEN if token else 'forged'}"
        return await client.post(path, content=b"", headers=headers)
    if method == "GET":
        return await client.get(path, headers={"accept": "text/html"})
    data = {"_csrf_token": token} if token else {}
    return await client.post(path, data=data, headers={"accept": "text/html"})


async def _fresh_world(app) -> tuple[World, dict]:
    await conftest.empty_tables()
    world = await build_world()
    clients = {}
    for role in ROLES:
        client = conftest.http_client(app)
        if role != "anonymous":
            await factories.login(client, world.users[role])
        clients[role] = client
    return world, clients


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Argon2 at its cheapest: the matrix logs in hundreds of times."""
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_matrix_names_only_routes_that_exist():
    """A line left in the table after its route was removed is a mistake too."""
    stale = set(MATRIX) - set(app_routes())
    assert not stale, f"MATRIX names routes the app does not serve: {sorted(stale)}"


@pytest.mark.parametrize("method,path", app_routes(), ids=lambda v: v)
async def test_matrix(method, path):
    expect = MATRIX.get((method, path))
    assert expect is not None, (
        f"The route {method} {path} is not in the authorisation matrix. Add a line "
        f"({method!r}, {path!r}): rule(...) to MATRIX in tests/hardening/test_matrix.py saying "
        f"which roles may reach it on their own and on foreign data.")
    app = matrix_app()
    world, clients = await _fresh_world(app)
    try:
        for role in ROLES:
            changed = await _check_role(world, clients, role, method, path, expect)
            if changed:  # the own request changed or removed data the next role needs
                for client in clients.values():
                    await client.aclose()
                world, clients = await _fresh_world(app)
    finally:
        for client in clients.values():
            await client.aclose()


async def _check_role(world: World, clients: dict, role: str, method: str, path: str,
                      expect: Expect) -> bool:
    """Check one role on every filling of the path; True when its own request changed data."""
    client = clients[role]
    kinds = ownerships(path)
    before = await fingerprint() if method == "POST" else None
    csrf_applies = method == "POST" and path != "/inbound/mail"
    if csrf_applies:
        for ownership in kinds:
            target = fill(path, world, role, ownership)
            response = await _request(client, method, target, None, role)
            assert response.status_code == 403, (
                f"{role} POST {target} without CSRF token: {response.status_code}")
    token = await _csrf(client, role) if method == "POST" else None
    for ownership in kinds:
        target = fill(path, world, role, ownership)
        outcome = (expect.own if ownership == "own" else expect.foreign)[role]
        response = await _request(client, method, target, token, role)
        check(outcome, method, response, f"{role} {method} {target} ({ownership})")
        if ownership != "own" or outcome not in (OK, DONE, HOME):
            names = world.foreign.names if ownership != "own" else world.own.names
            leaked = [n for n in names if n in response.text]
            assert not leaked, f"{role} {method} {target} ({ownership}) shows {leaked}"
        if ownership != "own" and before is not None and outcome != DONE:
            assert await fingerprint() == before, (
                f"{role} {method} {target} ({ownership}) changed data")
    if before is None:
        return False
    changed = await fingerprint() != before
    assert not changed or expect.own[role] == DONE, f"{role} {method} {path} (own) changed data"
    return changed


async def test_matrix_html_responses_carry_security_headers():
    """Every HTML answer of every GET route, for every role (pages and error pages alike):
    a CSP without 'unsafe-inline' that forbids framing, and no referrer. (That logout ends
    the server-side session is proven by tests/auth/test_login.py::
    test_login_sets_secure_httponly_cookie_and_logout_ends_session.)"""
    app = matrix_app()
    world, clients = await _fresh_world(app)
    checked = 0
    try:
        for role in ROLES:
            for method, path in app_routes():
                if method != "GET":
                    continue
                target = fill(path, world, role, "own")
                response = await clients[role].get(target, headers={"accept": "text/html"})
                if not response.headers.get("content-type", "").startswith("text/html"):
                    continue
                checked += 1
                csp = response.headers.get("content-security-policy", "")
                where = f"{role} GET {target} ({response.status_code})"
                assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
                assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
                assert response.headers.get("referrer-policy") == "no-referrer", where
                assert response.headers.get("x-content-type-options") == "nosniff", where
    finally:
        for client in clients.values():
            await client.aclose()
    assert checked > 100
