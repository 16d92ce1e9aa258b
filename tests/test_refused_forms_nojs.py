"""A refused form sent without JavaScript (issue 17, point 3): the answer is the form's own
page, read again as the user sees it, with what was typed and the message at the field,
never a bare error page; the page to read again comes from the form itself (``_page``),
only ever a page of this site, and shows nothing the user could not open anyway."""

from __future__ import annotations

import asyncio
import html
import re

from coordinator.db import ANY_VERSION
from coordinator.meetings.tables import SafetyApproval
from coordinator.refusal import ALERT_ID, FIELD_MESSAGE_ID
from tests import factories
from tests.invites import support

PAGE_INPUT = re.compile(r'<input type="hidden" name="_page" value="([^"]*)" />')


async def _page(client, path: str) -> tuple[str, str, str]:
    """The page's text, its CSRF token and the meeting version its forms carry."""
    response = await client.get(path)
    assert response.status_code == 200, response.text[:300]
    version = re.search(r'name="version" value="(\d+)"', response.text)
    return (response.text, factories.CSRF_RE.search(response.text).group(1),
            version.group(1) if version else "")


async def test_a_refused_form_is_its_page_again_with_the_input_and_the_message_at_the_field(client):
    s = await support.scenario(with_father=False)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    text, token, version = await _page(client, page)
    assert PAGE_INPUT.findall(text) and set(PAGE_INPUT.findall(text)) == {page}
    answer = await client.post(f"{page}/details", data={
        "_csrf_token": token, "_page": page, "version": version, "title": "",
        "location": "Lokale 9", "description": "Skrevet <før> fejlen"})
    assert answer.status_code == 422
    assert answer.text.lstrip().lower().startswith("<!doctype")
    assert f'id="{ALERT_ID}"' in answer.text
    form = re.search(r'<form[^>]*action="' + page + '/details".*?</form>', answer.text, re.S).group(0)
    assert re.search(r'name="title" required value="" aria-invalid="true" '
                     rf'aria-describedby="{FIELD_MESSAGE_ID}" autofocus>', form)
    assert f'<p class="field-error" id="{FIELD_MESSAGE_ID}">Udfyld feltet »Titel«.</p>' in form
    assert 'value="Lokale 9"' in form and "Skrevet &lt;før&gt; fejlen</textarea>" in form
    assert '<details id="details" open>' in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "content-security-policy" in answer.headers  # the security headers as on any page


async def test_only_a_page_of_this_site_the_user_may_open_is_read_again(client):
    s = await support.scenario(with_father=False)
    other = await factories.user("socialraadgiver", username="anden")
    foreign = await factories.family(other, name="Familien Fremmed")
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    _, token, version = await _page(client, page)
    for elsewhere in (f"/families/{foreign}", "//evil.example/x", "https://evil.example/x",
                      "/\\evil.example", f"/families/{foreign}/export", "/logout"):
        answer = await client.post(f"{page}/details", data={
            "_csrf_token": token, "_page": elsewhere, "version": version, "title": ""})
        assert answer.status_code == 422, elsewhere
        assert "Fremmed" not in answer.text and "evil" not in answer.text
        assert "Udfyld feltet »Titel«." in answer.text and f'id="{ALERT_ID}"' not in answer.text
    assert (await client.get("/")).status_code == 200  # still logged in


async def test_a_saved_flag_is_not_carried_into_the_forms(client):
    sara = await factories.user()
    await factories.login(client, sara)
    text, _, _ = await _page(client, "/paamindelser/?gemt=1")
    assert set(PAGE_INPUT.findall(text)) == {"/paamindelser/"}


async def test_an_error_page_speaks_plain_danish_without_a_status_code(client):
    sara = await factories.user()
    await factories.login(client, sara)
    missing = await client.get("/families/999999", headers={"accept": "text/html"})
    assert missing.status_code == 404
    assert "Siden findes ikke" in missing.text
    assert "Fejlkode" not in missing.text


async def test_a_page_that_shows_its_own_refusal_has_the_message_at_the_field(client):
    """A route that renders its page again itself (the handleplan) gets the same marks at
    the field as a refilled one: without JavaScript, the field is aria-invalid and described
    by the message, and the alert is marked so the script does not mark it twice."""
    sara = await factories.user()
    family_id = await factories.family(sara)
    await factories.login(client, sara)
    page = f"/families/{family_id}/handleplan"
    text, token, _ = await _page(client, page)
    answer = await client.post(f"{page}/goals", data={
        "_csrf_token": token, "_page": page, "title": "m" * 301, "period": "stay",
        "cadence": "monthly", "starts_on": "2026-01-05"})
    assert answer.status_code == 422
    assert re.search(r'<div class="alert alert-error" role="alert" data-field="title" '
                     r'data-marked>', answer.text)
    field = re.search(r'<input [^>]*name="title"[^>]*>', answer.text).group(0)
    assert 'aria-invalid="true"' in field and f'aria-describedby="{FIELD_MESSAGE_ID}"' in field
    assert 'value="' + "m" * 301 + '"' in field
    assert f'id="{FIELD_MESSAGE_ID}">»Mål« må højst være 300 tegn.</p>' in answer.text


async def test_a_refused_safety_approval_keeps_the_reason_at_its_own_form(client):
    """The approval form of a safety finding (the father with the protected mother): a
    reason too long is refused on the meeting page with the reason kept in that finding's
    form, and nothing is approved."""
    s = await support.scenario(with_father=False)
    meeting = await s.meeting()
    await support.meetings.add_participants(s.worker, meeting, ANY_VERSION,
                                            [support.meetings.NewParticipant(person_id=s.father)])
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    text, token, version = await _page(client, page)
    form = re.search(r'<form[^>]*action="' + page + '/approvals".*?</form>', text, re.S).group(0)
    hidden = dict(re.findall(r'type="hidden" name="(person_a|person_b|part_key|kind)" value="([^"]*)"', form))
    reason = "Mor ønsker mødet. " * 200  # over the 2,000 characters a reason may have
    answer = await client.post(f"{page}/approvals", data={
        "_csrf_token": token, "_page": page, "version": version, **hidden, "reason": reason})
    assert answer.status_code == 422 and "højst" in answer.text
    refilled = re.search(r'<form[^>]*action="' + page + '/approvals".*?</form>', answer.text, re.S).group(0)
    assert re.search(r'<textarea[^>]*name="reason"[^>]*aria-invalid="true"', refilled)
    assert html.escape(reason.strip()[:200]) in refilled
    assert await SafetyApproval.count() == 0



async def test_a_body_that_cannot_be_read_is_refused_at_once(client):
    """A multipart body cut off before its closing boundary: 400 with the Danish message, not
    a wait for more of the body (the refused form's page is put together without reading
    the spent body again); nothing is saved."""
    from coordinator.families.tables import Family
    worker = await factories.user()
    await factories.login(client, worker)
    token = await factories.csrf_token(client, "/")
    families = await Family.count()
    answer = await asyncio.wait_for(client.post(
        "/families", headers={"x-csrftoken": token, "Accept": "text/html",
                              "Content-Type": "multipart/form-data; boundary=zzz"},
        content=b'--zzz\r\nContent-Disposition: form-data; name="name"\r\n\r\nabc'), 10)
    assert answer.status_code == 400 and "Formularen kunne ikke læses." in answer.text
    assert await Family.count() == families
