"""The admin's user management: roles, password resets, deactivation – never locking the
admins out – and the user's own password change after a reset."""

from __future__ import annotations

import re

from coordinator.audit.tables import AuditEvent
from coordinator.auth import service as auth
from coordinator.auth.tables import Session, User
from tests import factories as f


async def test_admin_changes_a_role_and_the_old_sessions_end(client, other_client):
    admin = await f.user("admin", username="ada")
    sara = await f.user("socialraadgiver", username="sara")
    await f.login(other_client, sara)
    await f.login(client, admin)
    response = await f.post_form(client, f"/admin/users/{sara.id}/role", {"role": "leder"},
                                 page="/admin/users/")
    assert response.status_code == 303
    assert (await User.select(User.role).where(User.id == sara.id).first())["role"] == "leder"
    assert await Session.count().where(Session.user == sara.id) == 0
    assert (await other_client.get("/")).status_code == 303  # back to the login page
    [event] = await AuditEvent.select().where(AuditEvent.summary.like("Rolle ændret%"))
    assert event["summary"] == "Rolle ændret fra Socialrådgiver til Leder"
    bad = await f.post_form(client, f"/admin/users/{sara.id}/role", {"role": "konge"},
                            page="/admin/users/")
    assert bad.status_code == 422 and "Ugyldigt valg" in bad.text


async def test_the_last_admin_keeps_the_role_and_nobody_deactivates_themselves(client):
    admin = await f.user("admin", username="ada")
    await f.login(client, admin)
    demote = await f.post_form(client, f"/admin/users/{admin.id}/role", {"role": "leder"},
                               page="/admin/users/")
    assert demote.status_code == 422 and "sidste aktive administrator" in demote.text
    own = await f.post_form(client, f"/admin/users/{admin.id}/active", {}, page="/admin/users/")
    assert own.status_code == 422 and "din egen konto" in own.text
    row = await User.select().where(User.id == admin.id).first()
    assert (row["role"], row["active"]) == ("admin", True)
    other = await f.user("admin", username="bob")
    second = await f.post_form(client, f"/admin/users/{other.id}/active", {}, page="/admin/users/")
    assert second.status_code == 303  # another admin remains
    last = await f.post_form(client, f"/admin/users/{other.id}/role", {"role": "admin"},
                             page="/admin/users/")
    assert last.status_code == 303


async def test_a_reset_password_works_once_and_must_be_replaced(client, other_client):
    admin = await f.user("admin", username="ada")
    sara = await f.user("socialraadgiver", username="sara")
    await f.login(other_client, sara)
    await f.login(client, admin)
    response = await f.post_form(client, f"/admin/users/{sara.id}/password", {},
                                 page="/admin/users/")
    assert response.status_code == 200
    temporary = re.search(r"<code>([^<]+)</code>", response.text).group(1)
    assert "Midlertidig adgangskode til <strong>sara</strong>" in response.text
    assert await Session.count().where(Session.user == sara.id) == 0
    # The old password no longer works; the temporary one opens only /password.
    token = await f.csrf_token(other_client)
    old = await other_client.post("/login", data={"username": "sara", "password": f.PASSWORD,
                                                  "_csrf_token": token})
    assert old.status_code == 400
    await f.login(other_client, sara, password=temporary)
    start = await other_client.get("/")
    assert start.status_code == 303 and start.headers["location"] == "/password"
    page = await other_client.get("/password")
    assert "midlertidig adgangskode" in page.text
    blocked = await f.post_form(other_client, "/families", {"name": "X"}, page="/password")
    assert blocked.status_code == 403
    short = await f.post_form(other_client, "/password/", {
        "current": temporary, "new": "kort", "repeat": "kort"}, page="/password")
    assert short.status_code == 422 and "mindst 10 tegn" in short.text
    differ = await f.post_form(other_client, "/password/", {
        "current": temporary, "new": "en-lang-ny-kode", "repeat": "en-anden-kode"}, page="/password")
    assert differ.status_code == 422 and "ikke ens" in differ.text
    wrong = await f.post_form(other_client, "/password/", {
        "current": "forkert", "new": "en-lang-ny-kode", "repeat": "en-lang-ny-kode"},
        page="/password")
    assert wrong.status_code == 422 and "forkert" in wrong.text
    done = await f.post_form(other_client, "/password/", {
        "current": temporary, "new": "en-lang-ny-kode", "repeat": "en-lang-ny-kode"},
        page="/password")
    assert done.status_code == 303
    assert (await other_client.get("/")).status_code == 200
    row = await User.select().where(User.id == sara.id).first()
    assert not row["must_change_password"]
    summaries = {e["summary"] for e in await AuditEvent.select()}
    assert {"Adgangskode nulstillet (midlertidig)", "Ny adgangskode valgt"} <= summaries


async def test_only_admins_manage_users(client):
    sara = await f.user("socialraadgiver")
    await f.login(client, sara)
    for path in (f"/admin/users/{sara.id}/role", f"/admin/users/{sara.id}/password"):
        response = await f.post_form(client, path, {"role": "admin"})
        assert response.status_code == 404
    assert (await User.select(User.role).where(User.id == sara.id).first())["role"] == "socialraadgiver"


async def test_what_the_admin_page_shows_raises_the_version_the_credentials_do_not():
    # Issue 20: activity and role are versioned writes; a password (reset or changed)
    # is outside optimistic locking and never makes an open form of the account conflict.
    sara = await f.user("socialraadgiver", username="sara")

    async def version() -> int:
        return (await User.select(User.version).where(User.id == sara.id).first())["version"]

    assert await auth.set_active(sara.id, False)
    assert await version() == 2
    await auth.reset_password(sara.id)
    assert await version() == 2
    await auth.change_role(sara.id, "leder")
    assert await version() == 3
