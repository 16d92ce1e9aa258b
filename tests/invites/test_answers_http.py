"""Answers without an account (/svar/{token}), iTIP REPLY mails, the organiser's view."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_string, policy

import pytest

from coordinator import clock
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.invites import replies
from coordinator.invites.tables import AnswerToken
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Participant
from tests import conftest, factories
from tests.invites import support

LINK = re.compile(r"https://testserver\.local(/svar/[A-Za-z0-9_-]+)")


@pytest.fixture
def settings():
    return conftest.test_settings(inbound_mail_token="indgaaende-hemmelighed")


async def answer_path(meeting_id: int, email: str) -> str:
    """The personal answer link in the queued invite to ``email``."""
    [row] = [r for r in await support.outbox(meeting_id) if r["recipient_email"] == email]
    message = message_from_string(row["message"], policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    return LINK.search(text).group(1)


async def test_accept_through_link_shows_on_meeting_page(client, other_client):
    s = await support.scenario()
    await support.send(s)
    path = await answer_path(s.meeting_id, "laerer@skole.example.org")
    page = await client.get(path)
    assert page.status_code == 200
    assert "Netværksmøde om Emma H." in page.text  # the child named as externals see her
    assert support.CENTRE_ADDRESS not in page.text
    response = await factories.post_form(client, path, {"answer": "ACCEPTED", "comment": "Jeg kommer"},
                                         page=path)
    assert response.status_code == 303
    assert "Dit svar er gemt" in (await client.get(response.headers["location"])).text

    await factories.login(other_client, s.worker)
    meeting_page = await other_client.get(f"/meetings/{s.meeting_id}")
    assert meeting_page.status_code == 200
    assert f'hx-get="/meetings/{s.meeting_id}/answers"' in meeting_page.text
    assert 'hx-trigger="load, every 10s, meeting-changed from:body"' in meeting_page.text
    partial = await other_client.get(f"/meetings/{s.meeting_id}/answers", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    row = re.search(r"Lars Lærer</th>\s*<td>([^<]+)", partial.text)
    assert row and row.group(1).strip() == "Deltager"
    assert "Jeg kommer" in partial.text
    assert await AuditEvent.exists().where(AuditEvent.username.like("svarlink:%")
                                           & (AuditEvent.action == "update"))


async def test_two_attendees_with_one_name_are_told_apart_by_their_role(client):
    """The mother and a relative share a name (two Line Lindskov in the demo): the answer
    page names each with her role as a partner may read it, never the mother's address."""
    s = await support.scenario(with_father=False)
    await Participant.update({Participant.name: "Line Lindskov"}).where(
        Participant.person == s.mother)
    aunt = await support._person(s.family["id"], "Line Lindskov", "relative", "moster@example.net")
    await meetings.add_participants(s.worker, await s.meeting(), ANY_VERSION,
                                    [meetings.NewParticipant(person_id=aunt)])
    await support.send(s)
    page = (await client.get(await answer_path(s.meeting_id, "laerer@skole.example.org"))).text
    assert "<li>Line Lindskov (mor)</li>" in page
    assert "<li>Line Lindskov (privat netværk)</li>" in page
    assert re.search(r"<li>Sara Rådgiver(, [^<]+| \(fagperson\))</li>", page)
    assert support.MOTHER_ADDRESS not in page and "Skjultvej" not in page


async def test_propose_another_time_needs_the_time(client):
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "mor@example.net")
    missing = await factories.post_form(client, path, {"answer": "PROPOSED", "comment": "Senere"}, page=path)
    assert missing.status_code == 422 and "tidspunkt" in missing.text
    day = support.working_day(15)
    ok = await factories.post_form(client, path, {"answer": "PROPOSED", "comment": "Passer bedre",
                                                  "proposed": f"{day.isoformat()}T14:00"}, page=path)
    assert ok.status_code == 303
    mother = await Participant.select().where(Participant.person == s.mother).first()
    # A proposed time is its own answer, never the calendar's "maybe".
    assert mother["rsvp"] == "PROPOSED" and "kl. 14.00" in mother["rsvp_comment"]
    page = await client.get(path)
    assert "Foreslår et andet tidspunkt" in page.text and "Måske" not in page.text


@pytest.mark.parametrize("proposed", ["9999-12-30T10:00", "past"])
async def test_a_proposed_time_past_or_in_a_mistyped_year_is_refused_with_the_answer_kept(
        client, proposed):
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "mor@example.net")
    if proposed == "past":
        proposed = (clock.local_now() - timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    # as the browser sends the form: with its page's address (``web.form_inputs``)
    refused = await factories.post_form(client, path, {
        "answer": "PROPOSED", "comment": "Bedre om eftermiddagen", "proposed": proposed,
        "_page": path}, page=path)
    assert refused.status_code == 422
    assert "Foreslået tidspunkt" in refused.text and "Bedre om eftermiddagen" in refused.text
    mother = await Participant.select().where(Participant.person == s.mother).first()
    assert mother["rsvp"] != "PROPOSED"


async def test_a_page_from_before_still_proposes_a_time(client):
    """A page rendered before proposals were their own answer posts TENTATIVE: it is stored
    as the proposal it is."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "mor@example.net")
    day = support.working_day(15)
    ok = await factories.post_form(client, path, {"answer": "TENTATIVE", "comment": "",
                                                  "proposed": f"{day.isoformat()}T15:00"}, page=path)
    assert ok.status_code == 303
    mother = await Participant.select().where(Participant.person == s.mother).first()
    assert mother["rsvp"] == "PROPOSED"


async def test_answer_form_without_csrf_is_refused(client):
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "mor@example.net")
    await client.get(path)
    refused = await client.post(path, data={"answer": "ACCEPTED"})
    assert refused.status_code == 403


@pytest.mark.parametrize("damage", ["tampered", "unknown"])
async def test_bad_link_is_a_danish_404(client, damage):
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "laerer@skole.example.org")
    if damage == "tampered":
        path = path[:-1] + ("A" if path[-1] != "A" else "B")
    else:
        path = "/svar/" + "x" * 43
    response = await client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Siden findes ikke" in response.text
    post = await client.post(path, data={"answer": "ACCEPTED"})
    assert post.status_code in (403, 404)


@pytest.mark.parametrize("ending", ["expired", "removed", "cancelled"])
async def test_a_link_that_ended_is_gone_with_a_neutral_page(client, clock, ending):
    """Expired, taken off the meeting or the meeting cancelled: 410, and the page says
    nothing of the meeting (not its title, time or place), on GET and on POST."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "laerer@skole.example.org")
    assert (await client.get(path)).status_code == 200
    token = await factories.csrf_token(client, path)
    if ending == "expired":
        expires = (await AnswerToken.select(AnswerToken.expires_at).first())["expires_at"]
        clock.pin(expires + timedelta(seconds=1))
    elif ending == "removed":
        await Participant.update({Participant.removed_at: clock.now()}).where(
            Participant.person == s.teacher)
    else:
        await support.meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 410
    assert "Linket virker ikke længere" in page.text
    meeting = await s.meeting()
    for secret in (meeting["title"], "Sted", "Dit svar"):
        assert secret not in page.text
    post = await client.post(path, data={"_csrf_token": token, "answer": "ACCEPTED"})
    assert post.status_code == 410
    assert (await Participant.select(Participant.rsvp).where(
        Participant.person == s.teacher).first())["rsvp"] != "ACCEPTED"


async def test_answers_partial_goes_through_the_access_policy(client):
    s = await support.scenario(with_father=False)
    stranger = await factories.user("socialraadgiver")
    await factories.login(client, stranger)
    assert (await client.get(f"/meetings/{s.meeting_id}/answers")).status_code == 404
    assert (await client.get(f"/meetings/{s.meeting_id}/invitation.ics")).status_code == 404


def reply_mail(uid: str, attendee: str, sequence: int, partstat: str = "ACCEPTED",
               sender: str | None = None) -> bytes:
    """A raw mail as Outlook sends an answer: METHOD:REPLY inline."""
    ics = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Outlook//EN", "METHOD:REPLY",
        "BEGIN:VEVENT", f"UID:{uid}", f"SEQUENCE:{sequence}", "DTSTAMP:20261101T100000Z",
        f"ATTENDEE;PARTSTAT={partstat}:mailto:{attendee}", "COMMENT:Svar fra kalenderen",
        "END:VEVENT", "END:VCALENDAR", ""])
    return (f"From: {sender or attendee}\r\nTo: koordinator@example.invalid\r\n"
            "Subject: Accepteret\r\nMIME-Version: 1.0\r\n"
            'Content-Type: text/calendar; method=REPLY; charset="UTF-8"\r\n\r\n' + ics).encode()


async def _uid_and_sequence(meeting_id: int) -> tuple[str, int]:
    data = await support.invites.load_meeting(meeting_id)
    return f"m{meeting_id}-{data.parts[0].key}@testserver.local", data.sequence


async def test_reply_mail_is_applied_and_lower_sequence_ignored(client):
    s = await support.scenario(with_father=False)
    await support.send(s)
    meeting = await s.meeting()
    parts = await support.meetings.parts_of(s.meeting_id)
    day = support.working_day(20)
    await support.meetings.set_times(s.worker, meeting, ANY_VERSION,
                                     {parts[0]["key"]: (support.at(day, 13), support.at(day, 14))})
    uid, sequence = await _uid_and_sequence(s.meeting_id)
    assert sequence == 1
    auth = {"Authorization": "Bearer indgaaende-hemmelighed"}
    old = await client.post("/inbound/mail", content=reply_mail(uid, "laerer@skole.example.org", 0, "DECLINED"),
                            headers=auth)
    assert old.status_code == 200 and old.json()["svar"][0]["anvendt"] is False
    teacher = await Participant.select().where(Participant.person == s.teacher).first()
    assert teacher["rsvp"] == "NEEDS-ACTION"
    new = await client.post("/inbound/mail", content=reply_mail(uid, "laerer@skole.example.org", 1),
                            headers=auth)
    assert new.json()["svar"][0]["anvendt"] is True
    teacher = await Participant.select().where(Participant.person == s.teacher).first()
    assert teacher["rsvp"] == "ACCEPTED"
    # someone who was not invited cannot answer for an attendee
    forged = await client.post("/inbound/mail", headers=auth, content=reply_mail(
        uid, "mor@example.net", 1, "DECLINED", sender="fremmed@example.com"))
    assert forged.json()["svar"][0]["anvendt"] is False
    stranger = await client.post("/inbound/mail", headers=auth,
                                 content=reply_mail(uid, "fremmed@example.com", 1))
    assert stranger.json()["svar"][0]["anvendt"] is False


@pytest.mark.parametrize("header, status", [(None, 401), ("Bearer forkert", 401), ("indgaaende-hemmelighed", 401)])
async def test_inbound_requires_the_token(client, header, status):
    headers = {"Authorization": header} if header else {}
    response = await client.post("/inbound/mail", content=b"From: a@example.org\r\n\r\nhej", headers=headers)
    assert response.status_code == status


async def test_inbound_garbage_is_a_danish_422(client):
    response = await client.post("/inbound/mail", content=b"\x00\xff not a mail",
                                 headers={"Authorization": "Bearer indgaaende-hemmelighed"})
    assert response.status_code == 422 and "kalendersvar" in response.json()["fejl"]


async def test_inbound_is_off_without_a_token(app, client):
    app.state.settings = conftest.test_settings(inbound_mail_token="")
    response = await client.post("/inbound/mail", content=b"x", headers={"Authorization": "Bearer "})
    assert response.status_code == 404


async def test_apply_reply_command(tmp_path, capsys):
    from coordinator import cli

    s = await support.scenario(with_father=False)
    await support.send(s)
    uid, sequence = await _uid_and_sequence(s.meeting_id)
    mail = tmp_path / "svar.eml"
    mail.write_bytes(reply_mail(uid, "mor@example.net", sequence, "DECLINED"))
    outcomes = await replies.apply_inbound(mail.read_bytes(), conftest.test_settings())
    assert [o.applied for o in outcomes] == [True]
    parser = cli.build_parser()
    assert parser.parse_args(["apply-reply", str(mail)]).func is cli.cmd_apply_reply


async def test_the_answer_page_shows_what_was_answered_and_never_the_worker_s_note(client):
    """Back on their page, a participant reads the time they proposed and their comment with
    their answer; an answer the socialrådgiver recorded for them shows without her note."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    path = await answer_path(s.meeting_id, "mor@example.net")
    first = await client.get(path)
    assert "Din kommentar" not in first.text and "Et nyt svar erstatter" not in first.text
    day = support.working_day(15)
    await factories.post_form(client, path, {"answer": "PROPOSED", "comment": "Passer bedre",
                                             "proposed": f"{day.isoformat()}T14:00"}, page=path)
    page = (await client.get(f"{path}?gemt=1")).text
    comment = page[page.index("Din kommentar"):page.index("</dl>")]
    assert "kl. 14.00" in comment and "Passer bedre" in comment
    assert "Et nyt svar erstatter" in page

    mother = await Participant.select().where(Participant.person == s.mother).first()
    await meetings.record_answer_for(s.worker, await s.meeting(), mother["id"], "ACCEPTED",
                                     "phone", "Ringede, kommer alligevel")
    recorded = (await client.get(path)).text
    assert "Din kommentar" not in recorded and "Ringede" not in recorded
