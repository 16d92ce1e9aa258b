"""CSRF protection on every state-changing request, forms and htmx alike."""

import pytest

from coordinator.auth.tables import User
from tests import factories as f


@pytest.mark.parametrize("headers,data", [
    ({}, {}),                                           # form without token
    ({}, {"_csrf_token": "forged"}),                     # form with a wrong token
    ({"HX-Request": "true"}, {}),                        # htmx without header
    ({"HX-Request": "true", "X-CSRFToken": "forged"}, {}),  # htmx with a wrong header
])
async def test_state_change_without_valid_token_is_refused(client, headers, data):
    admin = await f.user("admin")
    await f.login(client, admin)
    before = await User.count()
    response = await client.post("/admin/users/", headers=headers, data={
        **data, "username": "newbie", "full_name": "Ny Bruger", "role": "leder",
        "password": "abcdefgh"})
    assert response.status_code == 403
    assert await User.count() == before


async def test_htmx_request_with_header_token_is_accepted(client):
    admin = await f.user("admin")
    await f.login(client, admin)
    response = await f.post_form(client, "/admin/users/", {
        "username": "newbie", "full_name": "Ny Bruger", "role": "leder",
        "password": "abcdefgh"}, page="/admin/users/", htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/admin/users"
    assert await User.exists().where(User.username == "newbie")
