"""Small factories the HTTP tests build their data with."""

from __future__ import annotations

import itertools
import re
from datetime import date

from coordinator.auth import service as auth_service
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.families import service as family_service
from coordinator.meetings.tables import Meeting

PASSWORD = "korrekt-hest-batteri"
_counter = itertools.count(1)


async def user(role: str = "socialraadgiver", username: str | None = None,
               full_name: str | None = None, email: str = "", unit: str = "") -> Principal:
    """Create an account and return it as a Principal."""
    number = next(_counter)
    username = username or f"{role[:5]}{number}"
    user_id = await auth_service.create_user(
        username, full_name or f"Test {role} {number}", role, PASSWORD,
        email=email or f"{username}@test.example.org", unit=unit)
    return Principal(id=user_id, username=username, role=Role(role),
                     full_name=full_name or f"Test {role} {number}")


async def family(*team: Principal, name: str | None = None, at_crisis_centre: bool = True,
                 opened_on: date | None = None) -> int:
    """Create a family with the given users on its team; returns its id."""
    number = next(_counter)
    return await family_service.create_family(
        None, f"T-{number}", name or f"Familien Test{number}", opened_on or date(2026, 1, 5),
        at_crisis_centre=at_crisis_centre, team=[(u.id, "Socialrådgiver") for u in team])


CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client, path: str = "/login") -> str:
    """Fetch a page with a form and return its CSRF token (sets the CSRF cookie)."""
    response = await client.get(path, follow_redirects=True)  # "/" is a role's start page
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def login(client, principal: Principal, password: str = PASSWORD):
    """Log in through the real login form; returns the response."""
    token = await csrf_token(client)
    response = await client.post("/login", data={
        "username": principal.username, "password": password, "_csrf_token": token})
    assert response.status_code == 303, response.text[:500]
    return response


MEETING_WRITE = re.compile(r"^/meetings/(\d+)/")


async def post_form(client, path: str, data: dict, *, page: str = "/", htmx: bool = False):
    """POST a form with a valid CSRF token, as the browser would.

    A meeting's forms carry the version of the meeting the page shows: a write to
    ``/meetings/{id}/…`` without one sends the meeting's current version (a page opened just
    now). ``version=None`` in ``data`` sends no version at all."""
    token = await csrf_token(client, page)
    meeting = MEETING_WRITE.match(path)
    if "version" not in data and meeting:
        row = await Meeting.select(Meeting.version).where(
            Meeting.id == int(meeting.group(1))).first()
        data = {**data, "version": row["version"]} if row else data
    data = {key: value for key, value in data.items() if not (key == "version" and value is None)}
    if htmx:
        return await client.post(path, data=data,
                                 headers={"HX-Request": "true", "X-CSRFToken": token})
    return await client.post(path, data={**data, "_csrf_token": token})
