"""The second line: a mail waiting in the outbox is scanned again just before it leaves,
against what its recipient may read then (``invites.service.safe_to_send_now``).

A mail is composed, redacted and scanned when the change is made (the first line), then
waits: an update settles for a while, a temporary SMTP failure retries it for hours. If in
between a fact becomes protected (the family is checked in at the crisis centre, so the
children's school is never the father's to read; the mother gets a protected address), the
stored mail is withheld and one built from the data as it is now goes instead. Against a
real SMTP server.
"""

from __future__ import annotations

from email import message_from_string, policy

from coordinator import clock
from coordinator.db import ANY_VERSION
from coordinator.families import cases
from coordinator.invites import service as invites
from coordinator.invites import worker
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import service as meetings
from coordinator.network import service as network_service
from coordinator.network.tables import Person
from tests.invites import support
from tests.support.smtp import smtp_server_fixture

smtp_server = smtp_server_fixture()
FATHER, TEACHER = support.AT_SCHOOL_FATHER, support.AT_SCHOOL_TEACHER


async def _deliver(server) -> None:
    target = worker.parse_smtp_url(f"smtp://{server.host}:{server.port}")
    while await worker.deliver_batch(target, "koordinator@example.invalid", "test"):
        pass


def _readable(raw: str) -> str:
    """A mail as its reader reads it: decoded, lines unfolded, folded to lower case."""
    text = invites.message_text(message_from_string(raw, policy=policy.default))
    return " ".join(text.replace("\r\n ", "").replace("\\", "").split()).casefold()


def _received_by(server, address: str) -> list[str]:
    return [_readable(received.message.as_string()) for received in server.messages
            if received.rcpt_tos == (address,)]


async def test_an_invitation_waiting_at_check_in_never_tells_the_father_the_school(smtp_server):
    sara, family_id, meeting_id, _ = await support.at_the_school()
    waiting = await OutboxMessage.select().where(
        (OutboxMessage.meeting == meeting_id) & (OutboxMessage.recipient_email == FATHER))
    assert waiting and all("østre skole" in _readable(r["message"]) for r in waiting)

    await cases.check_in(sara, family_id, clock.today())  # now shielded: the school is secret
    await _deliver(smtp_server)

    to_father = _received_by(smtp_server, FATHER)
    assert to_father, "the father is still invited, by a mail built from the data as it is now"
    for text in to_father:
        assert "østre skole" not in text and "skolevej" not in text, text
    withheld = await OutboxMessage.select().where(
        (OutboxMessage.meeting == meeting_id) & (OutboxMessage.status == "withheld"))
    assert withheld and {r["recipient_email"] for r in withheld} == {FATHER}
    assert all(r["last_error"] == invites.WITHHELD_NOTE for r in withheld)
    # the teacher, who may read her own school, got the invitation as composed
    assert any("østre skole" in text for text in _received_by(smtp_server, TEACHER))


async def test_an_update_waiting_when_the_mother_is_protected_never_sends_her_address(
        smtp_server):
    sara, family_id, meeting_id, mother = await support.at_the_school()
    await _deliver(smtp_server)  # the invitations went
    before = await support.meeting_row(meeting_id)
    await meetings.update_details(sara, before, ANY_VERSION, before["title"],
                                  "Rådhuset, mødelokale 2", None,
                                  "Mor og børn bor nu på Lindevej 3, 8900 Randers.", True)
    row = await Person.select().where(Person.id == mother).first()
    await network_service.update_person(sara, family_id, mother, network_service.PersonInput(
        name=row["name"], role="mother", email=row["email"], protected_address=True),
        row["version"])
    smtp_server.messages.clear()
    await _deliver(smtp_server)

    to_teacher = _received_by(smtp_server, TEACHER)
    assert to_teacher, "the teacher is told of the change by a mail built from the data now"
    for text in to_teacher:
        assert "lindevej" not in text, text
    states = {d.name: d for d in await invites.deliveries(meeting_id)}
    assert states["Lars Lærer"].status == "sent"  # the one built now, not the one held back
