"""The address a form sends to, opened as a page (a refused form's page reloaded from the
address bar or the history, a bookmark), leads to the page above it that has the form:
never a dead end of "Det kan ikke gøres her"."""

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
