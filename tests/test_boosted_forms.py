"""Forms marked ``data-keeps-input`` are sent by htmx as boosted requests (static/app.js): a
refusal comes back as a fragment that the page shows next to the form, so what was typed
stays; a saved form answers 303 and htmx follows it to the whole next page."""

from __future__ import annotations

from coordinator import clock
from tests import factories as f

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


async def _boosted_post(client, path: str, data: dict, page: str):
    token = await f.csrf_token(client, page)
    return await client.post(path, data=data, headers={**BOOSTED, "X-CSRFToken": token})


async def test_a_refused_boosted_form_gets_a_fragment_and_a_saved_one_the_next_page(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    base = f"/families/{family_id}/familieraadslagning"
    page = await client.get(base + "/")
    assert 'data-keeps-input action="' + base + '/assessment"' in page.text
    assert '<script src="/static/app.js" defer></script>' in page.text
    today = clock.today().isoformat()
    refused = await _boosted_post(client, base + "/assessment",
                                  {"possible": "ja", "assessed_on": today, "reasons": ""}, base + "/")
    assert refused.status_code == 422
    assert "<!doctype" not in refused.text.lower() and 'role="alert"' in refused.text
    assert "Begrundelse" in refused.text
    saved = await _boosted_post(client, base + "/assessment",
                                {"possible": "ja", "assessed_on": today, "reasons": "Netværk"},
                                base + "/")
    assert saved.status_code == 303 and saved.headers["location"] == base + "#step-1"
    followed = await client.get(base, headers=BOOSTED)
    assert followed.status_code == 200 and followed.text.lstrip().lower().startswith("<!doctype")


async def test_the_script_that_keeps_input_is_served(client):
    response = await client.get("/static/app.js")
    assert response.status_code == 200
    assert "data-keeps-input" in response.text and "htmx:beforeSwap" in response.text
