"""Tests for the reusable SMTP test server in tests/support/smtp.py."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from tests.support.smtp import SmtpTestServer, smtp_server_fixture

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

plain_smtp = smtp_server_fixture()
auth_smtp = smtp_server_fixture(users={"koordinator": "hemmeligt-kodeord"})
flaky_smtp = smtp_server_fixture(fail_first=2)
picky_smtp = smtp_server_fixture(reject_recipients=["ukendt@example.dk"])


def message(to: str = "jens@skole.randers.dk", subject: str = "Prøve æøå") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "moeder@koordinator.randers.dk"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hej Jens,\n\ndette er en prøve med æøå.\n")
    return msg


def test_receives_and_parses_messages(plain_smtp):
    assert plain_smtp.host == "127.0.0.1" and plain_smtp.port > 0
    with smtplib.SMTP(plain_smtp.host, plain_smtp.port, timeout=10) as client:
        client.send_message(message())
        client.send_message(message(to="aase@sundhedsplejen.dk", subject="Anden"))
    first, second = plain_smtp.wait_for(2)
    assert first.mail_from == "moeder@koordinator.randers.dk"
    assert first.rcpt_tos == ("jens@skole.randers.dk",)
    assert first.message["Subject"] == "Prøve æøå"
    assert "dette er en prøve med æøå." in first.message.get_content()
    assert second.rcpt_tos == ("aase@sundhedsplejen.dk",)
    assert first.login is None


def test_auth_is_required_when_users_are_given(auth_smtp):
    with smtplib.SMTP(auth_smtp.host, auth_smtp.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(message())
        assert refused.value.smtp_code == 530
    with smtplib.SMTP(auth_smtp.host, auth_smtp.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("koordinator", "forkert")
    with smtplib.SMTP(auth_smtp.host, auth_smtp.port, timeout=10) as client:
        client.login("koordinator", "hemmeligt-kodeord")
        client.send_message(message())
    [received] = auth_smtp.wait_for(1)
    assert received.login == "koordinator"


def test_first_messages_get_a_temporary_failure(flaky_smtp):
    with smtplib.SMTP(flaky_smtp.host, flaky_smtp.port, timeout=10) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as error:
                client.send_message(message())
            assert error.value.smtp_code == 451
        client.send_message(message(subject="Tredje forsøg"))
    [received] = flaky_smtp.wait_for(1)
    assert received.message["Subject"] == "Tredje forsøg"
    assert flaky_smtp.attempts == 3


def test_rejected_recipients_get_550(picky_smtp):
    with smtplib.SMTP(picky_smtp.host, picky_smtp.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
            client.send_message(message(to="ukendt@example.dk"))
        assert error.value.recipients["ukendt@example.dk"][0] == 550
    assert picky_smtp.messages == []


def test_wait_for_fails_the_test_when_nothing_arrives(plain_smtp):
    with pytest.raises(pytest.fail.Exception, match="0 of 1"):
        plain_smtp.wait_for(1, timeout=0.2)


def test_context_manager_stops_the_server():
    with SmtpTestServer() as server:
        port = server.port
        with smtplib.SMTP(server.host, port, timeout=10) as client:
            assert client.noop()[0] == 250
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)
