"""Health check, security headers and error pages on the configured engine."""

from coordinator import db


async def test_healthz_names_the_engine(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": db.engine_name()}


async def test_security_headers(client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_unknown_page_is_a_danish_404(client):
    response = await client.get("/findes-ikke", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Siden findes ikke" in response.text


async def test_htmx_is_vendored(client):
    response = await client.get("/static/vendor/htmx-2.0.8.min.js")
    assert response.status_code == 200 and "htmx" in response.text
