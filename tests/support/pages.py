"""What the page-cache tests share: rendering demo pages as a member of each family's team,
and checking that a kept page is served only to its own user, with her own CSRF token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

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


async def assert_own_page_and_token(client, other_client, path: str, first_name: str,
                                    second_name: str) -> None:
    """Two users of the same kept page: each gets the page with her own name in the header
    and the CSRF token of her own browser."""
    page_one = (await client.get(path)).text
    page_two = (await other_client.get(path)).text
    token_one = _TOKEN.search(page_one).group(1)
    token_two = _TOKEN.search(page_two).group(1)
    assert token_one == client.cookies.get("coordinator_csrf")
    assert token_two == other_client.cookies.get("coordinator_csrf")
    assert token_one != token_two
    assert first_name in page_one.split("</header>")[0]
    assert second_name in page_two.split("</header>")[0]
