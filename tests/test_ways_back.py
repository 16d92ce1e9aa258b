"""No dead ends on the way back to a form: the address a form sends to, opened as a page (a
refused form's page reloaded from the address bar or the history, a bookmark), leads to
the page above it that has the form, never to "Det kan ikke gøres her"; a form sent after
the session ran out leads to the login and from there back to the form's page."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.mark.parametrize(("path", "above"), [
    ("/families/{family}/stays/checkout", "/families/{family}"),
    ("/families/{family}/stays", "/families/{family}"),
    ("/meetings/{meeting}/participants/5/told", "/meetings/{meeting}"),
    ("/logout", "/"),
])
async def test_a_form_s_address_opened_as_a_page_leads_to_the_page_above(client, path, above):
    sara = await factories.user()
    family = await factories.family(sara)
    meeting = 11  # routing alone decides the page above: whether it exists is its own answer
    await factories.login(client, sara)
    opened = await client.get(path.format(family=family, meeting=meeting),
                              headers={"Accept": "text/html"})
    assert opened.status_code == 303
    assert opened.headers["location"] == above.format(family=family, meeting=meeting)


async def test_htmx_and_other_methods_still_get_405(client):
    sara = await factories.user()
    family = await factories.family(sara)
    await factories.login(client, sara)
    htmx = await client.get(f"/families/{family}/stays", headers={"HX-Request": "true"})
    assert htmx.status_code == 405
    put = await client.put(f"/families/{family}/stays")
    assert put.status_code == 405 and "Det kan ikke gøres her" in put.text


async def test_htmx_after_the_session_ran_out_goes_to_log_in_and_back_to_the_page(client):
    """A form htmx sent from a page after the session ran out: the login takes the user back
    to that page (where static/app.js puts the typed text back), not to the start page."""
    sara = await factories.user()
    family = await factories.family(sara)
    token = await factories.csrf_token(client, "/login")
    sent = await client.post(f"/families/{family}/stays", data={"started_on": "2026-01-01"},
                             headers={"HX-Request": "true", "X-CSRFToken": token,
                                      "HX-Current-URL": f"{client.base_url}/families/{family}?x=1"})
    assert sent.status_code == 401
    assert sent.headers["HX-Redirect"] == f"/login?next=/families/{family}%3Fx%3D1"


@pytest.mark.parametrize(("path", "above"), [
    ("//families/7/stays", "/families/7"),
    ("///meetings/11/participants/5/told", "/meetings/11"),
])
async def test_the_page_above_is_always_this_site_s(client, path, above):
    """A path with doubled slashes is routed as the single-slashed one; the page above it is
    that one's, never "//families/7", which a browser would read as another host."""
    opened = await client.get(f"{client.base_url}{path}", headers={"Accept": "text/html"})
    assert opened.status_code == 303 and opened.headers["location"] == above


@pytest.mark.parametrize("next_page", ["//evil.example", "/\t/evil.example", "https://evil.example"])
async def test_the_login_never_sends_to_another_site(client, next_page):
    sara = await factories.user()
    token = await factories.csrf_token(client, "/login")
    sent = await client.post("/login", data={"username": sara.username, "password": factories.PASSWORD,
                                             "next": next_page, "_csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"] == "/"
