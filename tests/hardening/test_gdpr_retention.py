"""GDPR retention: closing a case, and `coordinator purge` pseudonymising old closed cases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from coordinator import clock as app_clock
from coordinator import web
from coordinator.audit import service as audit
from coordinator.audit.tables import AuditEvent
from coordinator.families import cases
from coordinator.families.tables import Family
from coordinator.gdpr import service as gdpr
from coordinator.invites import feeds
from coordinator.invites.service import token_hash
from coordinator.invites.tables import (
    DelegateAddress,
    FeedCopy,
    FeedToken,
    OutboxMessage,
    ReplyRecord,
)
from coordinator.meetings.tables import (
    AgendaPoint,
    Meeting,
    MeetingPart,
    Participant,
    ParticipantPart,
)
from coordinator.network.tables import KeepApart, NetworkChange, Person, Relation
from tests import factories
from tests.conftest import TEST_DATABASE_URL

RETENTION = 365
TODAY = app_clock.today()


async def family_with_data(worker, closed_days_ago: int | None) -> int:
    """A family with people, history, a meeting with an outbox mail and audit rows."""
    family_id = await factories.family(worker, name="Familien Sørensen")
    people = []
    for name, role, phone in (("Maria Sørensen", "mother", "70 10 44 44"),
                              ("Peter Sørensen", "father", "70 10 55 55"),
                              ("Lukas Sørensen", "child", "")):
        people.append((await Person.insert(Person(
            family=family_id, name=name, role=role, sector="family", phone=phone,
            email=f"{name.split()[0].lower()}@example.org", address="Lindevej 3",
            notes=f"Noter om {name}", is_child=role == "child")))[0]["id"])
    await Relation.insert(Relation(family=family_id, source=people[0], target_person=people[2],
                                   type="mother_of", note="Henter Lukas"))
    await KeepApart.insert(KeepApart(family=family_id, person_a=people[0], person_b=people[1],
                                     reason="Vold mod Maria"))
    await NetworkChange.insert(NetworkChange(family=family_id, entity="netværksperson",
                                             entity_id=people[0], summary="Person tilføjet: Maria",
                                             new_value="Navn: Maria Sørensen"))
    meeting = (await Meeting.insert(Meeting(
        family=family_id, kind="netvaerksmoede", title="Møde med Maria", location="Lindevej 3",
        description="Om Lukas", status="held")))[0]["id"]
    await AgendaPoint.insert(AgendaPoint(meeting=meeting, title="Om Lukas i skolen",
                                         minutes="Maria fortalte …",
                                         minutes_by_name="Sara Rådgiver"))
    part = (await MeetingPart.insert(MeetingPart(meeting=meeting, key="moede", label="Mødet")))[0]["id"]
    participant = (await Participant.insert(Participant(
        meeting=meeting, person=people[0], name="Maria Sørensen", email="maria@example.org",
        role="mother", category="family", rsvp_comment="Kommer med Lukas",
        contact_note="Ændret i netværket: E-mail maria.gl@example.org → maria@example.org.")))[0]["id"]
    await ParticipantPart.insert(ParticipantPart(participant=participant, part=part))
    await OutboxMessage.insert(OutboxMessage(
        meeting=meeting, participant=participant, recipient_email="maria@example.org",
        kind="REQUEST", dedupe_key=f"{meeting}:{participant}:0:REQUEST", message_id=f"<{meeting}@x>",
        message="Subject: Møde med Maria\r\n\r\nLindevej 3", status="sent"))
    await ReplyRecord.insert(ReplyRecord(
        meeting=meeting, participant=participant, uid=f"m{meeting}-moede@x",
        attendee_email="maria@example.org", sent_by="nabo@example.org", partstat="DELEGATED", comment="Kommer med Lukas",
        delegated_to="peter@example.org", delegate_name="Peter Sørensen", outcome="applied"))
    await DelegateAddress.insert(DelegateAddress(participant=participant, email="nabo@example.org"))
    await audit.record(worker, "update", "netværksperson", people[0], family_id,
                       "Person ændret: Maria Sørensen")
    if closed_days_ago is not None:
        await Family.update({Family.status: "closed",
                             Family.closed_on: TODAY - timedelta(days=closed_days_ago)}).where(
            Family.id == family_id)
    return family_id


def texts_of(rows: list[dict]) -> str:
    return " ".join(str(v) for row in rows for v in row.values())


async def snapshot(family_id: int) -> str:
    meetings = await Meeting.select().where(Meeting.family == family_id)
    ids = [m["id"] for m in meetings]
    return texts_of([
        *(await Family.select().where(Family.id == family_id)),
        *(await Person.select().where(Person.family == family_id)),
        *(await Relation.select().where(Relation.family == family_id)),
        *(await KeepApart.select().where(KeepApart.family == family_id)),
        *(await NetworkChange.select().where(NetworkChange.family == family_id)),
        *meetings,
        *(await Participant.select().where(Participant.meeting.is_in(ids))),
        *(await OutboxMessage.select().where(OutboxMessage.meeting.is_in(ids))),
        *(await ReplyRecord.select().where(ReplyRecord.meeting.is_in(ids))),
        *(await DelegateAddress.select().where(DelegateAddress.participant.meeting.is_in(ids))),
        *(await AuditEvent.select().where(AuditEvent.family_id == family_id)),
    ])


async def test_purge_pseudonymises_only_families_past_retention():
    worker = await factories.user("socialraadgiver")
    old = await family_with_data(worker, closed_days_ago=RETENTION + 10)
    recent = await family_with_data(worker, closed_days_ago=RETENTION - 10)
    active = await family_with_data(worker, closed_days_ago=None)
    before = {f: await snapshot(f) for f in (recent, active)}
    audit_rows = await AuditEvent.count().where(AuditEvent.family_id == old)
    [before_purge] = await Meeting.select(Meeting.updated_at).where(Meeting.family == old)
    stamped_before = before_purge["updated_at"]
    app_clock.advance(timedelta(seconds=1))
    # a partner feed's kept copy, made before the purge, with the family's meeting in it
    [token] = await FeedToken.insert(FeedToken(kind="partner_organisation", target_id=1,
                                               token_hash="f" * 64, served_etag='"x"'))
    await FeedCopy.insert(FeedCopy(token=token["id"], etag='"x"',
                                   body="SUMMARY:Netværksmøde med Maria Sørensen".encode()))

    report = await gdpr.purge(TODAY, RETENTION)

    assert [f["id"] for f in report.families] == [old]
    assert {f: await snapshot(f) for f in (recent, active)} == before
    assert await FeedCopy.count() == 0  # built again from the blanked rows when fetched
    # every feed's version is new: no process serves a calendar built before the purge
    assert (await FeedToken.select().where(FeedToken.id == token["id"]).first())["served_etag"] == ""
    [after] = await Meeting.select(Meeting.updated_at).where(Meeting.family == old)
    assert after["updated_at"] > stamped_before
    text = await snapshot(old)
    for secret in ("Sørensen", "Maria", "Lukas", "Peter", "70 10 44", "example.org", "Lindevej",
                   "Noter om", "Vold mod", "fortalte", "Henter", "Kommer med"):
        assert secret not in text, secret
    family = await Family.select().where(Family.id == old).first()
    assert family["name"] == f"Familien #{old}" and family["status"] == "closed"
    names = [p["name"] for p in await Person.select().where(Person.family == old).order_by(Person.id)]
    assert names == ["Person 1", "Person 2", "Person 3"]
    [participant] = await Participant.select().where(Participant.person.is_in(
        [p["id"] for p in await Person.select(Person.id).where(Person.family == old)]))
    assert participant["name"] == "Person 1"
    [meeting] = await Meeting.select().where(Meeting.family == old)
    assert (meeting["title"], meeting["description"]) == ("Netværksmøde", "")
    [point] = await AgendaPoint.select().where(AgendaPoint.meeting == meeting["id"])
    assert (point["title"], point["minutes"], point["minutes_by_name"]) == ("Punkt", "", "")
    [mail] = await OutboxMessage.select().where(OutboxMessage.meeting == meeting["id"])
    assert mail["message"] == "" and mail["status"] == "sent"
    # Structure and counts stay for statistics; the audit log keeps its rows.
    assert await KeepApart.count().where(KeepApart.family == old) == 1
    assert await Relation.count().where(Relation.family == old) == 1
    # Each blanked row's version went up: a form opened before cannot write the text back.
    for table in (Person, Relation, KeepApart, Meeting):
        assert {r["version"] for r in await table.select(table.version).where(
            table.family == old)} == {2}, table
    events = await AuditEvent.select().where(AuditEvent.family_id == old).order_by(AuditEvent.id)
    assert len(events) == audit_rows + 1
    assert [e["summary"] for e in events[:-1]] == [""] * audit_rows
    assert (events[-1]["action"], events[-1]["summary"]) == ("update", gdpr.PURGE_SUMMARY)


async def test_purge_gives_every_partner_feed_a_new_version_whatever_its_clock_says():
    """The purge's host may have a clock behind the web processes': the times it writes on
    the blanked meetings and people are then not the newest, yet every partner feed's
    version changes, so no client keeps a calendar from before the purge by a 304."""
    worker = await factories.user("socialraadgiver")
    old = await family_with_data(worker, closed_days_ago=RETENTION + 10)
    secret = "purge-feed-token"
    await FeedToken.insert(FeedToken(kind="partner_organisation", target_id=1,
                                     token_hash=token_hash(secret)))
    # another family's meeting changed later than the purge's clock will say
    other = await family_with_data(worker, closed_days_ago=None)
    await Meeting.update({Meeting.updated_at: app_clock.now() + timedelta(hours=2)}).where(
        Meeting.family == other)
    await Person.update({Person.updated_at: app_clock.now() + timedelta(hours=2)}).where(
        Person.family == other)
    _, before = await feeds.resolve_with_version(secret)

    report = await gdpr.purge(TODAY, RETENTION)

    assert [f["id"] for f in report.families] == [old]
    _, after = await feeds.resolve_with_version(secret)
    assert after.etag != before.etag
    # and a later Last-Modified, for a client that asks with If-Modified-Since alone
    assert after.last_modified > before.last_modified
    assert not feeds.not_modified(after, None, before.last_modified)
    # and nothing else changes it: the same version when asked again
    assert (await feeds.resolve_with_version(secret))[1].etag == after.etag


async def test_each_family_purged_gives_the_feeds_a_later_last_modified(monkeypatch):
    """Families purged in one run, within the same second: after each family's blanking a
    client asking with If-Modified-Since alone (holding the Last-Modified of the calendar it
    got after the family before) gets the calendar again."""
    worker = await factories.user("socialraadgiver")
    first = await family_with_data(worker, closed_days_ago=RETENTION + 10)
    second = await family_with_data(worker, closed_days_ago=RETENTION + 20)
    secret = "purge-feed-token-2"
    await FeedToken.insert(FeedToken(kind="partner_organisation", target_id=1,
                                     token_hash=token_hash(secret)))
    app_clock.pin(app_clock.now(), ticking=False)
    seen = []
    counts = gdpr._counts

    async def counted(family_id):  # before each family's blanking
        seen.append((await feeds.resolve_with_version(secret))[1])
        return await counts(family_id)

    monkeypatch.setattr(gdpr, "_counts", counted)
    report = await gdpr.purge(TODAY, RETENTION)
    seen.append((await feeds.resolve_with_version(secret))[1])
    assert sorted(f["id"] for f in report.families) == sorted([first, second])
    for held, now in zip(seen, seen[1:]):
        assert now.etag != held.etag and not feeds.not_modified(now, None, held.last_modified)


async def test_purge_is_idempotent_and_dry_run_changes_nothing():
    worker = await factories.user("socialraadgiver")
    old = await family_with_data(worker, closed_days_ago=RETENTION + 1)
    before = await snapshot(old)
    dry = await gdpr.purge(TODAY, RETENTION, dry_run=True)
    assert [(f["id"], f["people"], f["meetings"], f["mails"]) for f in dry.families] == [(old, 3, 1, 1)]
    assert await snapshot(old) == before
    first = await gdpr.purge(TODAY, RETENTION)
    after_first = await snapshot(old)
    second = await gdpr.purge(TODAY, RETENTION)
    assert len(first.families) == 1 and second.families == []
    assert await snapshot(old) == after_first


async def test_purge_boundary_is_retention_days_exactly():
    worker = await factories.user("socialraadgiver")
    on_the_day = await family_with_data(worker, closed_days_ago=RETENTION)
    report = await gdpr.purge(TODAY, RETENTION)
    assert report.families == []
    assert (await Family.select(Family.name).where(Family.id == on_the_day).first())["name"] \
        == "Familien Sørensen"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": TEST_DATABASE_URL, "RETENTION_DAYS": str(RETENTION)}
    return subprocess.run([sys.executable, "-m", "coordinator.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


async def test_purge_command_dry_run_then_real():
    worker = await factories.user("socialraadgiver")
    old = await family_with_data(worker, closed_days_ago=RETENTION + 30)
    dry = run_cli("purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would pseudonymise 1 family" in dry.stdout and f"Familie {old}" in dry.stdout
    assert "Sørensen" not in dry.stdout
    assert (await Family.select(Family.name).where(Family.id == old).first())["name"] == "Familien Sørensen"
    real = run_cli("purge")
    assert real.returncode == 0, real.stderr
    assert "pseudonymised 1 family" in real.stdout
    assert (await Family.select(Family.name).where(Family.id == old).first())["name"] == f"Familien #{old}"
    again = run_cli("purge")
    assert "pseudonymised 0 families" in again.stdout


# --- closing a case ------------------------------------------------------------------------

async def test_close_family_with_confirmation_then_read_only(client):
    worker = await factories.user("socialraadgiver")
    await factories.login(client, worker)
    family_id = await factories.family(worker)
    page = f"/families/{family_id}/close"
    confirm = await client.get(page)
    assert confirm.status_code == 200 and "Luk sagen" in confirm.text
    refused = await factories.post_form(client, page, {"version": "1"}, page=page)
    assert refused.status_code == 422 and "Bekræft" in refused.text
    assert (await Family.select(Family.status).where(Family.id == family_id).first())["status"] == "active"
    no_reason = await factories.post_form(client, page, {"version": "1", "confirm": "ja"}, page=page)
    assert no_reason.status_code == 422 and "Vælg, hvorfor sagen lukkes" in no_reason.text
    assert "Hvorfor lukkes sagen?" in confirm.text and "Efterværnet er slut" in confirm.text
    # Checked in after the form was opened, which then did not say that closing ends a
    # stay: a conflict, nothing closed (issue 20; this closed the case and the stay before).
    await cases.check_in(worker, family_id, app_clock.today() - timedelta(days=40))
    stale = await factories.post_form(client, page, {"version": "1", "confirm": "ja",
                                                     "reason": "after_care_ended"}, page=page)
    assert stale.status_code == 409
    assert (await Family.select(Family.status).where(Family.id == family_id).first())["status"] == "active"
    assert "indskrevet på krisecentret" in (await client.get(page)).text
    done = await factories.post_form(client, page, {"version": "2", "confirm": "ja",
                                                    "reason": "after_care_ended"}, page=page)
    assert done.status_code == 303
    row = await Family.select().where(Family.id == family_id).first()
    assert row["status"] == "closed" and row["closed_on"] == app_clock.today()
    assert row["closed_reason"] == "Efterværnet er slut"
    # The open stay ended the same day: the move-out is recorded, after-care runs from it.
    stays = await cases.stays_of(family_id)
    assert [s.ended_on for s in stays] == [app_clock.today()] and not row["at_crisis_centre"]
    events = await AuditEvent.select().where((AuditEvent.family_id == family_id)
                                             & (AuditEvent.action == "update"))
    assert any(e["summary"] == f"{gdpr.CLOSE_SUMMARY} pr. {web.fmt_date(app_clock.today())}: "
               "Efterværnet er slut" for e in events)
    # Read-only now: the family page still opens and says why, closing again says so.
    family_page = await client.get(f"/families/{family_id}")
    assert family_page.status_code == 200 and "Efterværnet er slut" in family_page.text
    again = await client.get(page)
    assert again.status_code == 409 and "allerede lukket" in again.text


async def test_close_with_stale_version_is_a_conflict(client):
    worker = await factories.user("socialraadgiver")
    await factories.login(client, worker)
    family_id = await factories.family(worker)
    await Family.update({Family.version: 2}).where(Family.id == family_id)
    page = f"/families/{family_id}/close"
    stale = await factories.post_form(client, page, {"version": "1", "confirm": "ja",
                                                     "reason": "plan_done"}, page=page)
    assert stale.status_code == 409
    assert (await Family.select(Family.status).where(Family.id == family_id).first())["status"] == "active"


@pytest.mark.parametrize("role", ["socialraadgiver", "leder", "samordner", "admin"])
async def test_close_is_for_the_team_only(client, role):
    owner = await factories.user("socialraadgiver")
    family_id = await factories.family(owner)
    outsider = await factories.user(role)
    await factories.login(client, outsider)
    assert (await client.get(f"/families/{family_id}/close")).status_code == 404
    token = await factories.csrf_token(client, "/")
    response = await client.post(f"/families/{family_id}/close",
                                 data={"confirm": "ja", "reason": "plan_done", "_csrf_token": token})
    assert response.status_code == 404
    assert (await Family.select(Family.status).where(Family.id == family_id).first())["status"] == "active"
