"""The shared 409 page shows both versions side by side and a safe back link."""

import httpx
from litestar import get

from coordinator import web
from coordinator.app import create_app
from tests.conftest import test_settings as settings_for_tests


@get("/boom")
async def boom() -> None:
    raise web.Conflict("En anden har gemt først.", {"title": "Mit forslag", "version": 2},
                       {"title": "Deres udgave", "version": 3})


async def test_conflict_renders_both_versions_and_a_local_back_link():
    app = create_app(settings_for_tests())
    app.register(boom)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
        foreign = await c.get("/boom", headers={"accept": "text/html",
                                                "referer": "https://evil.example/x"})
        local = await c.get("/boom", headers={"accept": "text/html",
                                              "referer": "https://testserver.local/meetings/7"})
        fragment = await c.get("/boom", headers={"HX-Request": "true"})
    assert foreign.status_code == 409
    assert "Mit forslag" in foreign.text and "Deres udgave" in foreign.text
    assert '<a href="/">Tilbage' in foreign.text
    assert '<a href="/meetings/7">Tilbage' in local.text
    assert fragment.status_code == 409 and "<html" not in fragment.text
    assert fragment.headers["HX-Retarget"] == "#messages"


def test_conflict_rows_lists_only_differences():
    rows = web.conflict_rows({"a": 1, "b": "x", "version": 1}, {"a": 1, "b": "y", "version": 2})
    assert rows == [("b", "x", "y")]


def test_a_field_the_form_does_not_have_says_so_on_the_users_side():
    """The saved status is not a field of the form: its row says the user did not change
    it rather than showing an empty cell, as if they had emptied it; nothing saved, no row."""
    rows = web.conflict_rows({"title": "Mit"}, {"title": "Deres", "status": "Sendt", "note": ""})
    assert rows == [("title", "Mit", "Deres"), ("status", web.NOT_IN_FORM, "Sendt")]


async def test_a_refused_form_offers_the_way_back_to_its_page(client):
    """A plain form post refused with 4xx shows the Danish message and a link back to the
    page the form was on (same site only), besides the start page."""
    from tests import factories as f

    worker = await f.user()
    family_id = await f.family(worker)
    await f.login(client, worker)
    page = f"/families/{family_id}/meetings/new"
    token = await f.csrf_token(client, f"/families/{family_id}")
    answer = await client.post(f"/families/{family_id}/meetings/",
                               data={"_csrf_token": token, "kind": "ukendt", "title": "Møde"},
                               headers={"Referer": f"https://testserver.local{page}?x=1"})
    assert 400 <= answer.status_code < 500
    assert f'<a href="{page}">Tilbage til siden, du kom fra</a>' in answer.text
    foreign = await client.post(f"/families/{family_id}/meetings/",
                                data={"_csrf_token": token, "kind": "ukendt", "title": "Møde"},
                                headers={"Referer": "https://elsewhere.example/families/1"})
    assert "Tilbage til siden" not in foreign.text
