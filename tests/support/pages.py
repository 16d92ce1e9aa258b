"""What the page-cache tests share: rendering demo pages as a member of each family's team,
and checking that a kept page is served only to its own user, with her own CSRF token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families.tables import TeamMember
from tests import factories as f
from tests.conftest import http_client

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@contextlib.asynccontextmanager
async def team_members(app) -> AsyncIterator:
    """``client_for(family_id)``: a client logged in (demo password) as a member of the
    family's team, one per user, closed at the end."""
    clients: dict[str, object] = {}

    async def client_for(family_id: int):
        member = await TeamMember.select(TeamMember.user.username.as_alias("username")).where(
            TeamMember.family == family_id).first()
        if member is None:
            return None
        username = member["username"]
        if username not in clients:
            clients[username] = await http_client(app).__aenter__()
            user = await User.select().where(User.username == username).first()
            await f.login(clients[username], Principal(user["id"], username, Role(user["role"])),
                          password="demo")
        return clients[username]

    try:
        yield client_for
    finally:
        for client in clients.values():
            await client.__aexit__(None, None, None)


async def kept_twice(client, clock, path: str, pages) -> str:
    """Pins the clock to one moment of the cache key, asks for the page and asks again: the
    second answer is the kept page (a hit in ``pages``), the same to the letter. The page's
    text."""
    clock.pin(clock.now(), ticking=False)
    first = (await client.get(path)).text
    hits = pages.hits
    assert (await client.get(path)).text == first
    assert pages.hits == hits + 1
    return first


async def assert_every_view_checked(client, path: str, family_id: int, reads: int, *audited) -> None:
    """Every view of a kept page was audited (``reads`` read records matching ``audited``),
    and its access is checked on each: taken off the family's team, the user is refused the
    page although it is kept."""
    assert await AuditEvent.count().where(AuditEvent.action == "read", *audited) == reads
    await TeamMember.delete().where(TeamMember.family == family_id)
    assert (await client.get(path)).status_code == 404


async def two_colleagues(client, other_client) -> int:
    """A family on the team of two users, "Første Rådgiver" logged in with ``client`` and
    "Anden Rådgiver" with ``other_client``: the family's id."""
    first = await f.user(username="foerste", full_name="Første Rådgiver")
    second = await f.user(username="anden", full_name="Anden Rådgiver")
    family_id = await f.family(first, second)
    await f.login(client, first)
    await f.login(other_client, second)
    return family_id


async def assert_own_page_and_token(client, other_client, clock, path: str) -> None:
    """The two colleagues (``two_colleagues``) ask for the same kept page in the same minute
    of the key: each gets the page with her own name in the header and the CSRF token of her
    own browser."""
    clock.pin(clock.now(), ticking=False)
    page_one = (await client.get(path)).text
    page_two = (await other_client.get(path)).text
    token_one = _TOKEN.search(page_one).group(1)
    token_two = _TOKEN.search(page_two).group(1)
    assert token_one == client.cookies.get("coordinator_csrf")
    assert token_two == other_client.cookies.get("coordinator_csrf")
    assert token_one != token_two
    assert "Første Rådgiver" in page_one.split("</header>")[0]
    assert "Anden Rådgiver" in page_two.split("</header>")[0]
