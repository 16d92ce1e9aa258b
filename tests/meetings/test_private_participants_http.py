"""Private participants as first-class: how each one is invited (channel), answers the
socialrådgiver records for them, the printable letter, and contact data from the network."""

from __future__ import annotations

import re
from email import message_from_string, policy

from coordinator import cache
from coordinator.audit.tables import AuditEvent
from coordinator.auth.tables import User
from coordinator.db import ANY_VERSION
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import Meeting, Participant
from coordinator.network import service as network
from coordinator.network.tables import Organisation, Person
from tests import factories
from tests.invites import support


async def _grandmother(s: support.Scenario, *, phone: str = "70 10 44 55", email: str = "") -> int:
    """The maternal grandmother, in the family's private network, invited to the meeting."""
    rows = await Person.insert(Person(family=s.family["id"], name="Grethe Mormor",
                                      role="relative", sector="family",
                                      phone=phone, email=email))
    await meetings.add_participants(s.worker, await s.meeting(), ANY_VERSION,
                                    [meetings.NewParticipant(person_id=rows[0]["id"])])
    return rows[0]["id"]


async def _row(person_id: int) -> dict:
    return await Participant.select().where(Participant.person == person_id).first()


async def test_private_person_without_email_is_invited_by_phone_and_sending_goes_on(client):
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s)
    assert (await _row(grandmother))["channel"] == "phone"
    await support.send(s)  # not blocked by "ingen e-mailadresse"
    assert (await s.meeting())["status"] == "invited"
    row = await _row(grandmother)
    assert not await OutboxMessage.exists().where(OutboxMessage.participant == row["id"])
    await factories.login(client, s.worker)
    page = await client.get(f"/meetings/{s.meeting_id}")
    assert "Inviteres: Telefon" in page.text and "70 10 44 55" in page.text
    assert "Ingen e-mailadresse" not in page.text
    answers = await client.get(f"/meetings/{s.meeting_id}/answers")
    assert "Socialrådgiveren inviterer pr. telefon" in answers.text


async def test_only_the_email_channel_without_an_address_blocks_sending():
    s = await support.scenario(with_father=False)
    await meetings.add_participants(s.worker, await s.meeting(), ANY_VERSION, [meetings.NewParticipant(
        name="Ekstern Uden Adresse", role="professional", channel="email")])
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "planned")
    findings = await meetings.safety_findings(
        await s.meeting(), await meetings.parts_of(s.meeting_id),
        await meetings.participants_of(s.meeting_id), s.family)
    blocking = [f for f in findings if f.code == "missing_email"]
    assert [f.message.split(",")[0] for f in blocking] == [
        "Der er ingen e-mailadresse på Ekstern Uden Adresse"]


async def test_the_channel_is_switched_in_place(client):
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s)
    await support.send(s)
    row = await _row(grandmother)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    version = (await s.meeting())["version"]
    moved = await factories.post_form(client, f"{page}/participants/{row['id']}/channel", {
        "version": str(version), "channel": "worker"}, page=page)
    assert moved.status_code == 303
    after = await _row(grandmother)
    assert after["id"] == row["id"] and after["removed_at"] is None  # the same participant
    assert (after["channel"], after["invite_via_worker"]) == ("worker", True)
    assert await AuditEvent.exists().where(AuditEvent.summary.like("%Telefon → Via socialrådgiveren%"))
    # E-mail needs an address: refused at the field, as an htmx fragment, nothing changed.
    refused = await factories.post_form(client, f"{page}/participants/{row['id']}/channel", {
        "version": str(version + 1), "channel": "email"}, page=page, htmx=True)
    assert refused.status_code == 422
    assert "ingen e-mailadresse på Grethe Mormor" in refused.text and "<html" not in refused.text
    assert (await _row(grandmother))["channel"] == "worker"


async def test_a_participant_moved_to_email_on_a_sent_meeting_gets_the_invitation(client):
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s, email="grethe@example.net")
    row = await _row(grandmother)
    assert row["channel"] == "email"
    await meetings.set_channel(s.worker, await s.meeting(), ANY_VERSION, row["id"], "letter")
    await support.send(s)
    assert not await OutboxMessage.exists().where(OutboxMessage.participant == row["id"])
    await meetings.set_channel(s.worker, await s.meeting(), ANY_VERSION, row["id"], "email")
    sent = await OutboxMessage.select().where(OutboxMessage.participant == row["id"])
    assert [m["recipient_email"] for m in sent] == ["grethe@example.net"]


async def test_an_answer_by_phone_is_recorded_and_shown_like_any_answer(client):
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s)
    await support.send(s)
    row = await _row(grandmother)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    path = f"{page}/participants/{row['id']}/answer"
    missing = await factories.post_form(client, path, {"answer": "PROPOSED", "via": "phone",
                                                       "note": ""}, page=page, htmx=True)
    assert missing.status_code == 422 and "hvilket tidspunkt" in missing.text
    leaking = await factories.post_form(client, path, {
        "answer": "ACCEPTED", "via": "phone", "note": f"Hun kommer fra {support.CENTRE_ADDRESS}"},
        page=page, htmx=True)
    assert leaking.status_code == 422 and (await _row(grandmother))["rsvp"] == "NEEDS-ACTION"
    saved = await factories.post_form(client, path, {
        "answer": "PROPOSED", "via": "phone", "note": "Kan først efter kl. 16"}, page=page)
    assert saved.status_code == 303
    after = await _row(grandmother)
    assert (after["rsvp"], after["answer_via"], after["answer_recorded_name"]) == (
        "PROPOSED", "phone", "Sara Rådgiver")
    assert after["answered_at"] is not None and after["rsvp_comment"] == "Kan først efter kl. 16"
    answers = (await client.get(f"/meetings/{s.meeting_id}/answers")).text
    assert "Foreslår et andet tidspunkt" in answers and "Måske" not in answers
    assert "Givet pr. telefon, registreret af Sara Rådgiver" in answers
    detail = (await client.get(page)).text
    assert "Givet pr. telefon, registreret af Sara Rådgiver" in detail
    assert "Rang " not in detail and "kalender-sekvens" not in detail


async def test_answers_are_recorded_once_the_meeting_is_planned(client):
    """A draft has not been planned with anyone: no answer to record, no form for one."""
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s)
    row = await _row(grandmother)
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    assert "Registrér svar fra Grethe Mormor" not in (await client.get(page)).text
    refused = await factories.post_form(client, f"{page}/participants/{row['id']}/answer",
                                        {"answer": "ACCEPTED", "via": "phone", "note": ""},
                                        page=page)
    assert refused.status_code == 409 and (await _row(grandmother))["rsvp"] == "NEEDS-ACTION"
    await meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "planned")
    assert "Registrér svar fra Grethe Mormor" in (await client.get(page)).text


async def test_the_letter_is_redacted_for_its_reader(client):
    s = await support.scenario()
    father = await _row(s.father)
    teacher = await _row(s.teacher)
    await meetings.set_channel(s.worker, await s.meeting(), ANY_VERSION, father["id"], "letter")
    await factories.login(client, s.worker)
    base = f"/meetings/{s.meeting_id}/participants"
    letter = await client.get(f"{base}/{father['id']}/letter")
    assert letter.status_code == 200 and "Du er inviteret til et møde" in letter.text
    for secret in (support.CENTRE_NAME, support.CENTRE_ADDRESS, support.MOTHER_ADDRESS,
                   "Hemmelig Vej", "Maria Hansen", "Lars Lærer"):
        assert secret not in letter.text, secret  # no place, no other attendees for him
    assert "Familieafdelingen" in letter.text and "sara@kommune.example.org" not in letter.text
    partner = await client.get(f"{base}/{teacher['id']}/letter")
    assert partner.status_code == 200
    assert "Emma H." in partner.text and "Emma Marie Hansen" not in partner.text
    assert support.CENTRE_ADDRESS not in partner.text
    assert await AuditEvent.exists().where(AuditEvent.entity == "invitationsbrev")
    # Outside the family's team there is no letter.
    stranger = await factories.user()
    await factories.login(client, stranger)
    assert (await client.get(f"{base}/{teacher['id']}/letter")).status_code in (403, 404)


async def test_contact_data_changed_in_the_network_flows_into_open_meetings(client):
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s, email="gammel@example.net")
    person = await Person.select().where(Person.id == grandmother).first()
    await network.update_person(s.worker, s.family["id"], grandmother, network.PersonInput(
        name=person["name"], role=person["role"], phone="70 10 99 88",
        email="ny@example.net"), person["version"])
    row = await _row(grandmother)
    assert row["email"] == "ny@example.net"
    assert "gammel@example.net → ny@example.net" in row["contact_note"]
    assert "70 10 44 55 → 70 10 99 88" in row["contact_note"]
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    shown = (await client.get(page)).text
    assert "Ændret i netværket" in shown and "ny@example.net" in shown
    seen = await factories.post_form(client, f"{page}/participants/{row['id']}/contact-note", {},
                                     page=page)
    assert seen.status_code == 303 and (await _row(grandmother))["contact_note"] == ""
    # A held meeting keeps what it had.
    await Meeting.update({Meeting.status: "held"}).where(Meeting.id == s.meeting_id)
    person = await Person.select().where(Person.id == grandmother).first()
    await network.update_person(s.worker, s.family["id"], grandmother, network.PersonInput(
        name=person["name"], role=person["role"], phone="70 10 99 88",
        email="tredje@example.net"), person["version"])
    assert (await _row(grandmother))["email"] == "ny@example.net"


async def test_a_new_address_on_a_sent_meeting_gets_the_invitation_on_request(client):
    s = await support.scenario(with_father=False)
    grandmother = await _grandmother(s, email="gammel@example.net")
    await support.send(s)
    row = await _row(grandmother)
    assert [m["recipient_email"] for m in await OutboxMessage.select().where(
        OutboxMessage.participant == row["id"])] == ["gammel@example.net"]
    person = await Person.select().where(Person.id == grandmother).first()
    await network.update_person(s.worker, s.family["id"], grandmother, network.PersonInput(
        name=person["name"], role=person["role"], phone=person["phone"],
        email="ny@example.net"), person["version"])
    await factories.login(client, s.worker)
    page = f"/meetings/{s.meeting_id}"
    shown = (await client.get(page)).text
    assert "Invitationen blev sendt til den gamle adresse." in shown
    assert "Send invitationen til ny@example.net" in shown
    others_before = await OutboxMessage.count().where(
        (OutboxMessage.meeting == s.meeting_id) & (OutboxMessage.participant != row["id"]))
    sent = await factories.post_form(client, f"{page}/participants/{row['id']}/resend", {
        "version": str((await s.meeting())["version"])}, page=page)
    assert sent.status_code == 303
    mails = await OutboxMessage.select().where(OutboxMessage.participant == row["id"]).order_by(
        OutboxMessage.id)
    assert [m["recipient_email"] for m in mails] == ["gammel@example.net", "ny@example.net"]
    assert mails[0]["sequence"] == mails[1]["sequence"]  # the same meeting, a new mailbox
    assert (await _row(grandmother))["contact_note"] == ""
    # Nobody else is told anything.
    assert await OutboxMessage.count().where(
        (OutboxMessage.meeting == s.meeting_id) & (OutboxMessage.participant != row["id"])
    ) == others_before


async def test_an_own_answer_later_replaces_the_recorded_one(client):
    """The teacher told sara by phone, then answers through her link herself: the answer
    is hers now, no longer "registreret af Sara"."""
    s = await support.scenario(with_father=False)
    await support.send(s)
    teacher = await _row(s.teacher)
    await meetings.record_answer_for(s.worker, await s.meeting(), teacher["id"], "DECLINED",
                                     "phone", "")
    assert (await _row(s.teacher))["answer_recorded_name"] == "Sara Rådgiver"
    [mail] = [m for m in await support.outbox(s.meeting_id)
              if m["recipient_email"] == "laerer@skole.example.org"]
    text = message_from_string(mail["message"], policy=policy.default).get_body(
        ("plain",)).get_content()
    path = re.search(r"(/svar/[A-Za-z0-9_-]+)", text).group(1)
    answered = await factories.post_form(client, path, {"answer": "ACCEPTED", "comment": ""},
                                         page=path)
    assert answered.status_code == 303
    after = await _row(s.teacher)
    assert (after["rsvp"], after["answer_via"], after["answer_recorded_name"],
            after["answer_recorded_by"]) == ("ACCEPTED", "", "", None)


async def test_the_letter_gives_the_socialraadgivers_work_phone(client):
    """Someone invited by letter may answer by phone: the letter gives the
    socialrådgiver's work phone in plain words; the father's letter names no person."""
    s = await support.scenario()
    await User.update({User.phone: "70 10 20 01"}).where(User.id == s.worker.id)
    grandmother = await _row(await _grandmother(s))
    father = await _row(s.father)
    await meetings.set_channel(s.worker, await s.meeting(), ANY_VERSION, grandmother["id"],
                               "letter")
    await factories.login(client, s.worker)
    base = f"/meetings/{s.meeting_id}/participants"
    letter = (await client.get(f"{base}/{grandmother['id']}/letter")).text
    assert ("Sig til Sara Rådgiver, om du kommer. Ring på <strong>70 10 20 01</strong>, eller "
            "skriv til sara@kommune.example.org.") in letter
    theirs = (await client.get(f"{base}/{father['id']}/letter")).text
    assert "70 10 20 01" not in theirs and "Sara Rådgiver" not in theirs
    # a work phone that is the crisis centre's number is never printed
    await Organisation.update({Organisation.phone: "+45 70102001"}).where(
        Organisation.name == support.CENTRE_NAME)
    cache.clear_all()
    letter = await client.get(f"{base}/{grandmother['id']}/letter")
    assert letter.status_code == 200 and "70 10 20 01" not in letter.text


async def test_an_admin_gives_an_account_its_work_phone(client):
    admin = await factories.user("admin")
    worker = await factories.user()
    await factories.login(client, admin)
    page = "/admin/users"
    refused = await factories.post_form(client, f"{page}/{worker.id}/phone", {"phone": "ring mig"},
                                        page=page)
    assert refused.status_code == 422 and "Skriv arbejdstelefonen med cifre" in refused.text
    assert 'value="ring mig" aria-invalid="true"' in refused.text
    saved = await factories.post_form(client, f"{page}/{worker.id}/phone",
                                      {"phone": " 70 10  20 01 "}, page=page)
    assert saved.status_code == 303
    assert (await User.select(User.phone).where(User.id == worker.id).first())["phone"] == \
        "70 10 20 01"
    assert await AuditEvent.exists().where(AuditEvent.summary.like("Arbejdstelefon ændret%"))
