"""Health check, security headers and error pages on the configured engine."""

from coordinator import db


async def test_healthz_names_the_engine(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": db.engine_name()}


async def test_the_probes_set_no_cookie_and_forms_keep_their_protection(client):
    """Monitoring and the benchmarks' wrk keep no cookies: the health probe and hello-world
    answer without a new CSRF cookie each time, while a page with a form still sets one and
    a form posted without its token is still refused."""
    for path in ("/healthz", "/hello"):
        response = await client.get(path)
        assert response.status_code == 200 and "set-cookie" not in response.headers, path
    assert "coordinator_csrf=" in (await client.get("/login")).headers["set-cookie"]
    client.cookies.clear()
    refused = await client.post("/login", data={"username": "x", "password": "y"})
    assert refused.status_code == 403


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
