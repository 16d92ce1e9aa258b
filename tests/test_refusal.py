"""``refusal.refill``: a refused form shown again on its page as it was sent, with the
message above it and at the field (pure: HTML in, HTML out)."""

from __future__ import annotations

import re

from coordinator.refusal import FIELD_MESSAGE_ID, Refusal, mark, refill

PAGE = """<!doctype html><html><head><title>Mødet</title></head><body>
<input name="q" autofocus>
<form method="post" action="/meetings/7/participants/1/hours"><input type="hidden" name="pid" value="1">
  <div class="field"><label for="a">Start</label><input id="a" name="start" value="08:00"></div>
</form>
<details><summary>Ret</summary>
<form method="post" action="/meetings/7/participants/2/hours"><input type="hidden" name="pid" value="2">
  <div class="field"><label for="b">Start</label>
    <input id="b" name="start" value="08:00" aria-describedby="b-hint"><p id="b-hint">tt:mm</p></div>
  <div class="field"><label for="c">Note</label><textarea id="c" name="note">gammel</textarea></div>
  <select name="role"><option value="">Ingen</option><option value="x" selected>X</option><option>Y</option></select>
  <fieldset><legend>Dele</legend>
    <label><input type="checkbox" name="parts" value="info" checked> Info</label>
    <label><input type="checkbox" name="parts" value="main"> Hoved</label>
  </fieldset>
  <label><input type="checkbox" name="mail"> Send mail</label>
  <input type="password" name="secret">
  <button type="submit">Gem</button>
</form>
</details>
</body></html>"""


def _form(page: str, action: str) -> str:
    return re.search(r'<form[^>]*action="' + re.escape(action) + r'".*?</form>', page, re.S).group(0)


def test_the_form_sent_is_refilled_and_the_field_marked():
    sent = {"pid": ["2"], "start": ["25:00"], "note": ["ny <b>tekst</b>"], "role": ["Y"],
            "parts": ["main"], "secret": ["hemmeligt"]}
    page = refill(PAGE, Refusal("/meetings/7/participants/2/hours", sent,
                                "»Start« skal være et tidspunkt.", "start"))
    form = _form(page, "/meetings/7/participants/2/hours")
    assert re.search(r'<input id="b" name="start" value="25:00" aria-describedby="b-hint '
                     + FIELD_MESSAGE_ID + '" aria-invalid="true" autofocus>', form)
    assert f'<p class="field-error" id="{FIELD_MESSAGE_ID}">»Start« skal være et tidspunkt.</p>' in form
    assert "ny &lt;b&gt;tekst&lt;/b&gt;</textarea>" in form
    assert '<option value="x">X</option><option selected>Y</option>' in form
    assert '<input type="checkbox" name="parts" value="info">' in form
    assert '<input type="checkbox" name="parts" value="main" checked>' in form
    assert '<input type="checkbox" name="mail">' in form
    assert "hemmeligt" not in page  # a password is never sent back
    # the message above the form, the other form and the page's own focus untouched
    assert page.index('role="alert"') < page.index('action="/meetings/7/participants/2/hours"')
    assert "<details open>" in page
    assert '<input name="q">' in page
    other = _form(page, "/meetings/7/participants/1/hours")
    assert 'value="08:00"' in other and "aria-invalid" not in other


def test_a_message_without_a_field_is_above_the_form_with_focus():
    page = refill(PAGE, Refusal("/meetings/7/participants/1/hours", {"start": ["09:00"]},
                                "Mødet er aflyst."))
    assert 'tabindex="-1" autofocus><strong>Det indtastede kunne ikke gemmes.</strong> ' \
           '<span class="refusal-message">Mødet er aflyst.</span>' in page
    assert "aria-invalid" not in page and 'value="09:00"' in page


def test_the_message_of_a_choice_goes_after_its_group():
    page = refill(PAGE, Refusal("/meetings/7/participants/2/hours", {"pid": ["2"]},
                                "Vælg mindst én mødedel.", "parts"))
    form = _form(page, "/meetings/7/participants/2/hours")
    assert form.count('aria-invalid="true"') == 2
    assert re.search(r"Hoved</label>\s*<p class=\"field-error\"[^>]*>Vælg mindst én mødedel.</p>"
                     r"</fieldset>", form)


def test_what_was_sent_is_escaped():
    page = refill(PAGE, Refusal("/meetings/7/participants/1/hours",
                                {"start": ['"><script>alert(1)</script>']}, "<i>nej</i>", "start"))
    assert "<script>" not in page and "<i>" not in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_a_page_without_the_form_gives_none():
    assert refill(PAGE, Refusal("/families/1/close", {}, "Nej")) is None


ANSWER_PAGE = """<!doctype html><html><body><main>
<form method="post"><textarea name="comment"></textarea>
  <input type="radio" name="answer" value="yes"><input type="radio" name="answer" value="no"></form>
</main></body></html>"""


def test_a_form_without_an_action_is_found_by_the_page_it_posts_to():
    """The answer link's form has no action: it posts to its own page, /svar/<token>."""
    refusal = Refusal("/svar/abc", {"comment": ["Jeg kommer"]}, "Udfyld feltet »Svar«.",
                      field="answer", page="/svar/abc")
    filled = refill(ANSWER_PAGE, refusal)
    assert filled is not None and ">Jeg kommer</textarea>" in filled
    assert 'aria-invalid="true"' in filled
    elsewhere = Refusal("/svar/abc", {"comment": ["x"]}, "Nej", page="/svar/other")
    assert refill(ANSWER_PAGE, elsewhere) is None  # another page's form is not this one


OWN_REFUSAL = """<!doctype html><html><body><main>
<div class="alert alert-error" role="alert" data-field="title"><strong>Ikke gemt.</strong>
  <span class="refusal-message">»Mål« må <em>højst</em> være 300 tegn.</span></div>
<form method="post" action="/a"><input name="title" value="kept"></form>
<form method="post" action="/b"><input name="title" value="other"></form>
</main></body></html>"""


def test_a_page_with_its_own_refusal_gets_the_message_at_the_field():
    page = mark(OWN_REFUSAL)
    assert '<div class="alert alert-error" role="alert" data-field="title" data-marked>' in page
    assert ('<input name="title" value="kept" aria-invalid="true" aria-describedby="'
            f'{FIELD_MESSAGE_ID}" autofocus><p class="field-error" id="{FIELD_MESSAGE_ID}">'
            '»Mål« må højst være 300 tegn.</p>') in page
    assert '<input name="title" value="other">' in page
    assert mark(page) is None  # marked once
    assert mark(OWN_REFUSAL.replace('data-field="title"', 'data-field="nothing"')) is None


TWO_FORMS_ONE_ADDRESS = """<!doctype html><html><body><main>
<form method="post" action="/meetings/7/participants"><input type="hidden" name="version" value="3">
  <label for="c-user">Kollega</label><select id="c-user" name="user_id"><option value="4">Ida</option></select>
  <label for="c-role">Rolle</label><select id="c-role" name="role"><option value="socialraadgiver">Socialrådgiver</option></select>
</form>
<form method="post" action="/meetings/7/participants"><input type="hidden" name="version" value="3">
  <label for="p-name">Navn</label><input id="p-name" name="name">
  <label for="p-email">E-mail</label><input id="p-email" name="email">
  <label for="p-role">Rolle</label><select id="p-role" name="role"><option value="professional">Fagperson</option></select>
</form>
</main></body></html>"""


def test_of_two_forms_to_one_address_the_one_typed_into_is_refilled():
    """A person added by name and a colleague chosen from a list post to the same address
    with the same hidden values; the refused field (the role) is in both. The form the
    user typed the name and e-mail into gets them back and the message."""
    sent = {"version": ["3"], "name": ["Karen Navnesen"], "email": ["karen@example.org"],
            "role": ["bogus"]}
    filled = refill(TWO_FORMS_ONE_ADDRESS, Refusal("/meetings/7/participants", sent,
                                                   "Ugyldigt valg i »Rolle«.", field="role"))
    assert filled is not None
    assert 'name="name" value="Karen Navnesen"' in filled
    assert 'id="p-role" name="role" aria-invalid="true"' in filled
    assert 'id="c-role" name="role" aria-invalid' not in filled
