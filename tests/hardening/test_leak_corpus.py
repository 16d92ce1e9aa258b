"""The leak corpus: every artefact that leaves the system, scanned for protected strings.

One family at the crisis centre (whose address is in the organisation directory with
``location_protected``), a mother with a protected address, a father who used violence
and is kept apart from her, both invited to a network meeting after the approvals the
safety rules require, a teacher from a partner school, a child. The data is built through
the services as a worker would; the invites go out through the meetings service.

For every recipient and every artefact (each mail: all headers, every decoded MIME part,
attachment names; the answer page behind each personal link and its error pages; the
partner, series and organiser calendars; the ecomap; the GDPR export of the father; 404
pages and log lines of failing requests) ``safety.scan_for_leaks`` must find nothing the
recipient is not entitled to.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email import message_from_string, policy
from urllib.parse import quote

import pytest

from coordinator import clock as app_clock
from coordinator import settings as settings_module
from coordinator.db import ANY_VERSION
from coordinator.invites import feeds
from coordinator.invites import service as invites
from coordinator.invites.tables import OutboxMessage
from coordinator.meetings import planner, safety
from coordinator.meetings.tables import AgendaPoint
from coordinator.network.tables import KeepApart, Organisation
from coordinator.reminders import service as reminders
from tests import conftest, factories
from tests.invites import support

MOTHER_EMAIL, MOTHER_PHONE = "mor@example.net", "70 10 11 12"
FATHER_EMAIL = "far@example.net"
TEACHER_NAME, TEACHER_EMAIL = "Lars Lærer", "laerer@skole.example.org"
CHILD_NAME = "Emma Marie Hansen"
WHEREABOUTS = [support.CENTRE_ADDRESS, "Hemmelig Vej", support.MOTHER_ADDRESS, "Skjultvej"]
# What each recipient must never receive.
FORBIDDEN = {
    "father": WHEREABOUTS + [support.CENTRE_NAME, MOTHER_EMAIL, MOTHER_PHONE, TEACHER_NAME,
                             TEACHER_EMAIL, CHILD_NAME],
    "teacher": [support.MOTHER_ADDRESS, "Skjultvej", FATHER_EMAIL],
    "mother": [FATHER_EMAIL],
    "partner": WHEREABOUTS + [support.CENTRE_NAME, MOTHER_EMAIL, MOTHER_PHONE, FATHER_EMAIL,
                              CHILD_NAME],
    "anyone": WHEREABOUTS + [MOTHER_EMAIL, MOTHER_PHONE, FATHER_EMAIL, CHILD_NAME],
    # a document the worker downloads (and may print or pass on): no whereabouts, no contacts
    "document": WHEREABOUTS + [MOTHER_EMAIL, MOTHER_PHONE],
}
EMAILS = {FATHER_EMAIL: "father", TEACHER_EMAIL: "teacher", MOTHER_EMAIL: "mother"}
ANSWER_LINK = re.compile(r"https://testserver\.local(/svar/[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def invite_settings():
    """Invites are built with the test server's settings."""
    settings_module.use_settings(conftest.test_settings())
    yield
    settings_module.use_settings(None)


# What the team typed into the agenda and its minutes (written straight to the table, past
# the screen on save: the redaction is the line tested here). The minutes never leave.
AGENDA_TEXTS = (f"Mor bor på {support.CENTRE_NAME}, {support.CENTRE_ADDRESS}; ring {MOTHER_PHONE}",
                f"{CHILD_NAME} og {TEACHER_NAME} om skolen")
MINUTES = f"Referat: mor bor på {support.MOTHER_ADDRESS}, far skriver fra {FATHER_EMAIL}"


async def _corpus() -> support.Scenario:
    """The scenario with protected facts in its agenda and minutes, plus the keep-apart pair
    and its approval, invited."""
    s = await support.scenario()
    points = await AgendaPoint.select(AgendaPoint.id).where(
        AgendaPoint.meeting == s.meeting_id).order_by(AgendaPoint.position)
    for point, title in zip(points, AGENDA_TEXTS, strict=False):
        await AgendaPoint.update({AgendaPoint.title: title}).where(AgendaPoint.id == point["id"])
    await AgendaPoint.update({AgendaPoint.minutes: MINUTES}).where(
        AgendaPoint.meeting == s.meeting_id)
    await KeepApart.insert(KeepApart(family=s.family["id"], person_a=s.mother, person_b=s.father,
                                     reason="Vold i hjemmet"))
    await support.meetings.record_approval(
        s.worker, await s.meeting(), ANY_VERSION, f"person:{s.mother}", f"person:{s.father}", None,
        "keep_apart", "Mor ønsker fælles møde; forskudt ankomst og to rådgivere til stede.")
    await support.send(s)
    return s


def _mail_text(raw: str) -> str:
    """What a recipient can read in a mail (headers, decoded parts, file names)."""
    return invites.message_text(message_from_string(raw, policy=policy.default))


def server_log(caplog) -> str:
    """The server's log lines (the test client's own httpx lines left out)."""
    return "\n".join(f"{r.name}: {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))


def assert_no_leak(text: str, who: str, what: str) -> None:
    """Nothing from ``FORBIDDEN[who]`` in ``text``."""
    leaked = safety.scan_for_leaks(text, FORBIDDEN[who])
    assert leaked == [], f"{what} for {who} contains {leaked}"


async def test_leak_mails_and_answer_pages_per_recipient(client):
    s = await _corpus()
    rows = await OutboxMessage.select().where(OutboxMessage.meeting == s.meeting_id)
    assert {EMAILS.get(r["recipient_email"]) for r in rows} >= {"father", "teacher", "mother"}
    for row in rows:
        who = EMAILS.get(row["recipient_email"])
        if who is None:
            continue
        text = _mail_text(row["message"])
        assert row["recipient_email"] in text  # the scan sees the decoded message
        assert_no_leak(text, who, "mail")
        assert safety.scan_for_leaks(text, [MINUTES, support.MOTHER_ADDRESS]) == [], who
        assert ("Dagsorden" in text) == (who != "father"), who  # the agenda, not for him
        assert_no_leak(row["message"], who, "raw mail")
        link = ANSWER_LINK.search(text)
        assert link, f"no answer link in the mail to {who}"
        page = await client.get(link.group(1))
        assert page.status_code == 200
        assert_no_leak(page.text, who, "answer page")
        assert ("<h2>Dagsorden</h2>" in page.text) == (who != "father"), who
        assert safety.scan_for_leaks(page.text, [MINUTES, support.MOTHER_ADDRESS]) == [], who
        # error pages behind the same link: an invalid answer (422) ...
        token = await factories.csrf_token(client, link.group(1))
        refused = await client.post(link.group(1), data={
            "_csrf_token": token, "answer": "MAYBE", "comment": "x" * 2000})
        assert refused.status_code == 422
        assert_no_leak(refused.text, who, "answer page 422")
    # ... and once the meeting is cancelled (the link is gone: 410, on GET and POST alike)
    await support.meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    for row in await OutboxMessage.select().where(OutboxMessage.meeting == s.meeting_id):
        who = EMAILS.get(row["recipient_email"])
        if who is None:
            continue
        assert_no_leak(_mail_text(row["message"]), who, f"{row['kind']} mail")
        link = ANSWER_LINK.search(_mail_text(row["message"]))
        if link:
            token = await factories.csrf_token(client, "/login")
            late = await client.post(link.group(1), data={"_csrf_token": token,
                                                          "answer": "ACCEPTED"})
            assert late.status_code == 410
            assert_no_leak(late.text, who, "answer page after cancellation")
            page = await client.get(link.group(1))
            assert page.status_code == 410 and "Linket virker ikke længere" in page.text
            assert_no_leak(page.text, who, "answer page opened after cancellation")


async def test_leak_reminder_mails_digest_and_opt_out_pages(client):
    """The reminders (reminders domain): each participant's reminder before the meeting and
    the opt-out page behind its link; the socialrådgiver's digest the day before."""
    s = await _corpus()
    [part] = await support.meetings.parts_of(s.meeting_id)
    day_before = part["starts_at"].astimezone(support.web.COPENHAGEN).date() - timedelta(days=1)
    while not planner.is_working_day(day_before):
        day_before -= timedelta(days=1)
    app_clock.pin(support.at(day_before, 8))
    assert (await reminders.run_due(conftest.test_settings()))[0] == 1
    [digest_row] = await OutboxMessage.select().where(OutboxMessage.kind == "DIGEST")
    assert "Netværksmøde" in _mail_text(digest_row["message"])
    assert_no_leak(_mail_text(digest_row["message"]), "document", "digest")
    app_clock.pin(part["starts_at"] - timedelta(hours=1))
    assert (await reminders.run_due(conftest.test_settings()))[1] >= 3
    rows = await OutboxMessage.select().where(OutboxMessage.kind == "REMIND")
    assert {EMAILS.get(r["recipient_email"]) for r in rows} >= {"father", "teacher", "mother"}
    for row in rows:
        who = EMAILS.get(row["recipient_email"])
        if who is None:
            continue
        text = _mail_text(row["message"])
        assert_no_leak(text, who, "reminder mail")
        assert_no_leak(row["message"], who, "raw reminder mail")
        link = re.search(r"https://testserver\.local(/paamindelser/fra/[A-Za-z0-9_-]+)", text)
        page = await client.get(link.group(1))
        assert page.status_code == 200
        assert_no_leak(page.text, who, "opt-out page")


async def test_leak_calendars_partner_series_and_organiser(client, other_client):
    s = await _corpus()
    school = (await Organisation.select(Organisation.id).where(
        Organisation.name == "Østre Skole").first())["id"]
    partner = await feeds.create_token(await factories.user("leder"), "partner_organisation", school,
                                       "Østre Skole")
    series_id = await feeds.upsert_series(
        "teammoede", "Teammøde", "FREQ=WEEKLY;INTERVAL=2",
        app_clock.now() + timedelta(days=3), 60, "Rådhuset", None)
    series = await feeds.create_token(s.worker, "series", series_id, "Teammøde")
    for token in (partner, series):
        response = await other_client.get(f"/feeds/{token}.ics")
        assert response.status_code == 200 and "BEGIN:VCALENDAR" in response.text
        assert_no_leak(response.text, "partner", "feed")
        assert_no_leak(response.headers.get("content-disposition", ""), "partner", "feed name")
        assert "Dagsorden" not in response.text  # a partner's calendar holds the minimum
    await factories.login(client, s.worker)
    ics = await client.get(f"/meetings/{s.meeting_id}/invitation.ics")
    assert ics.status_code == 200
    # the organiser may read the crisis centre's address, never the mother's own one
    assert safety.scan_for_leaks(ics.text, [support.MOTHER_ADDRESS, "Skjultvej"]) == []


async def test_leak_ecomap_export_and_error_pages(client, caplog):
    caplog.set_level(logging.DEBUG)
    s = await _corpus()
    await factories.login(client, s.worker)
    family_id = s.family["id"]
    svg = await client.get(f"/families/{family_id}/network.svg")
    assert svg.status_code == 200 and "<svg" in svg.text
    assert_no_leak(svg.text, "document", "ecomap")
    export_path = f"/families/{family_id}/people/{s.father}/export"
    if (await client.get(export_path)).status_code == 404:
        pytest.skip("GDPR export not served by this build")
    for path in (export_path, export_path + ".json"):
        export = await client.get(path)
        assert export.status_code == 200 and "Frank Hansen" in export.text
        assert_no_leak(export.text, "father", "GDPR export of the father")
    # 404 pages never echo what was asked for
    for path in (f"/families/999999/{quote(support.MOTHER_ADDRESS)}",
                 f"/svar/{quote(support.CENTRE_ADDRESS)}",
                 f"/feeds/{quote(support.MOTHER_ADDRESS)}.ics"):
        response = await client.get(path)
        assert response.status_code == 404
        assert_no_leak(response.text, "anyone", "404 page")
    assert_no_leak(server_log(caplog), "anyone", "log")


async def test_leak_failing_request_logs_no_protected_data(client, caplog, capfd, monkeypatch):
    """A database error message typically carries the row's values; the 500 page and the
    log lines must not."""
    s = await _corpus()
    rows = await OutboxMessage.select().where(OutboxMessage.recipient_email == FATHER_EMAIL)
    link = ANSWER_LINK.search(_mail_text(rows[0]["message"])).group(1)

    async def broken(*args, **kwargs):
        raise RuntimeError(f'duplicate key value (address)=({support.MOTHER_ADDRESS}) '
                           f'for {support.CENTRE_NAME}, {support.CENTRE_ADDRESS}')

    monkeypatch.setattr(invites, "load_meeting", broken)
    caplog.set_level(logging.DEBUG)
    response = await client.get(link)
    assert response.status_code == 500 and "Traceback" not in response.text
    assert_no_leak(response.text, "anyone", "500 page")
    assert "RuntimeError" in server_log(caplog)  # the failure is logged, its values are not
    assert_no_leak(server_log(caplog), "anyone", "log")
    captured = capfd.readouterr()
    assert_no_leak(captured.err + captured.out, "anyone", "stderr")
