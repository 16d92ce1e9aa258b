"""Login, logout, sessions, CSRF and the login rate limit over real HTTP."""

from datetime import timedelta

import pytest

from coordinator.auth.tables import Session
from tests import factories as f


async def test_login_page_is_danish_and_labelled(client):
    response = await client.get("/login")
    assert response.status_code == 200
    assert '<html lang="da">' in response.text
    assert '<label for="username">Brugernavn</label>' in response.text
    assert '<label for="password">Adgangskode</label>' in response.text


async def test_anonymous_is_sent_to_login(client):
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


async def test_login_sets_secure_httponly_cookie_and_logout_ends_session(client):
    user = await f.user()
    response = await f.login(client, user)
    cookie = response.headers["set-cookie"]
    assert "coordinator_session=" in cookie
    for flag in ("HttpOnly", "Secure", "SameSite=Lax"):
        assert flag in cookie
    assert (await client.get("/")).status_code == 200
    token = client.cookies.get("coordinator_session")
    await f.post_form(client, "/logout", {})
    assert await Session.count() == 0
    # The old cookie is worthless after logout, even if replayed.
    client.cookies.set("coordinator_session", token, domain="testserver.local")
    assert (await client.get("/")).status_code == 303


@pytest.mark.parametrize("username,password", [
    ("nobody", "whatever"),          # unknown user
    ("EXISTING", "wrong-password"),  # known user, wrong password
])
async def test_unknown_user_and_wrong_password_get_the_same_message(client, username, password):
    user = await f.user()
    token = await f.csrf_token(client)
    name = user.username if username == "EXISTING" else username
    response = await client.post("/login", data={"username": name, "password": password,
                                                 "_csrf_token": token})
    assert response.status_code == 400
    assert "Brugernavn eller adgangskode er forkert." in response.text
    assert "coordinator_session" not in response.headers.get("set-cookie", "")


async def test_login_renews_session_no_fixation(client):
    user = await f.user()
    client.cookies.set("coordinator_session", "planted-by-attacker", domain="testserver.local")
    await f.login(client, user)
    assert client.cookies.get("coordinator_session") != "planted-by-attacker"
    first = client.cookies.get("coordinator_session")
    response = await f.post_form(client, "/login", {"username": user.username,
                                                    "password": f.PASSWORD}, page="/")
    assert response.status_code == 303
    second = client.cookies.get("coordinator_session")
    assert first != second
    # The session presented at the second login was replaced, not kept alongside.
    assert await Session.count() == 1


async def test_session_expires_after_inactivity(client, settings):
    user = await f.user()
    await f.login(client, user)
    past = (await Session.select(Session.last_seen_at).first())["last_seen_at"]
    await Session.update({Session.last_seen_at: past - timedelta(
        minutes=settings.session_idle_minutes + 1)}, force=True)
    response = await client.get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await Session.count() == 0


async def test_activity_renews_the_session(client, settings):
    user = await f.user()
    await f.login(client, user)
    row = await Session.select(Session.last_seen_at).first()
    almost = row["last_seen_at"] - timedelta(minutes=settings.session_idle_minutes - 1)
    await Session.update({Session.last_seen_at: almost}, force=True)
    assert (await client.get("/")).status_code == 200
    renewed = (await Session.select(Session.last_seen_at).first())["last_seen_at"]
    assert renewed > almost + timedelta(minutes=1)


async def test_session_has_an_absolute_limit(client):
    user = await f.user()
    await f.login(client, user)
    row = await Session.select(Session.absolute_expires_at).first()
    await Session.update({Session.absolute_expires_at: row["absolute_expires_at"]
                          - timedelta(days=2)}, force=True)
    assert (await client.get("/")).status_code == 303


async def test_deactivated_user_loses_sessions(client):
    admin = await f.user("admin")
    worker = await f.user()
    await f.login(client, worker)
    from coordinator.auth import service

    await service.set_active(worker.id, False)
    assert (await client.get("/")).status_code == 303
    assert admin


async def test_login_without_csrf_token_is_refused(client):
    user = await f.user()
    await client.get("/login")
    response = await client.post("/login", data={"username": user.username,
                                                 "password": f.PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert await Session.count() == 0


async def test_open_redirect_after_login_is_refused(client):
    user = await f.user()
    token = await f.csrf_token(client)
    response = await client.post("/login", data={
        "username": user.username, "password": f.PASSWORD, "_csrf_token": token,
        "next": "//evil.example.com/"})
    assert response.headers["location"] == "/"


async def test_rate_limit_per_account(client, settings):
    user = await f.user()
    token = await f.csrf_token(client)
    for _ in range(settings.login_max_failures_per_account):
        response = await client.post("/login", data={
            "username": user.username, "password": "wrong", "_csrf_token": token})
        assert response.status_code == 400
    response = await client.post("/login", data={
        "username": user.username, "password": f.PASSWORD, "_csrf_token": token})
    assert response.status_code == 429
    assert "For mange mislykkede forsøg" in response.text
    assert await Session.count() == 0


async def test_rate_limit_per_address(app, client):
    settings = app.state.settings
    token = await f.csrf_token(client)
    for number in range(settings.login_max_failures_per_address):
        await client.post("/login", data={"username": f"ghost{number}", "password": "x",
                                          "_csrf_token": token})
    user = await f.user()
    response = await client.post("/login", data={
        "username": user.username, "password": f.PASSWORD, "_csrf_token": token})
    assert response.status_code == 429


async def test_parallel_wrong_passwords_are_counted_before_any_is_checked(settings, monkeypatch):
    """25 wrong passwords for one account at once: only the first ``limit`` reach the
    password check; the rest are refused with 429 (the count cannot be raced)."""
    import asyncio

    from coordinator.auth import passwords
    from coordinator.auth import service as auth

    user = await f.user()
    checked = 0
    real_verify = passwords.verify_password

    def counting_verify(password_hash, password):
        nonlocal checked
        checked += 1
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)

    async def attempt(n: int) -> int:
        try:
            await auth.login(settings, user.username, f"wrong-{n}", f"10.0.0.{n}", None)
        except auth.LoginRefused as refused:
            return refused.status
        return 200

    statuses = await asyncio.gather(*(attempt(n) for n in range(25)))
    limit = settings.login_max_failures_per_account
    assert checked <= limit
    assert statuses.count(429) >= 25 - limit and 200 not in statuses
