"""What the leak scan reads of a mail (``invites.service.message_text``): every header as
written and decoded, every part decoded, a repeated part once."""

from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

from coordinator.invites.service import message_text
from coordinator.meetings import safety

PROTECTED = ["Şahin", "Lyngbakken 70", "Krisecenter"]


def test_an_encoded_display_name_is_read_decoded():
    message = MIMEMultipart()
    message["To"] = formataddr(("Şahin fra Lyngbakken 70", "a@example.org"), charset="utf-8")
    assert "Şahin" not in message["To"]  # as written: an encoded word
    assert set(safety.scan_for_leaks(message_text(message), PROTECTED)) == {"Şahin", "Lyngbakken 70"}


def test_plain_text_beside_an_encoded_word_is_read_as_written():
    # Decoding a header that mixes plain text and an encoded word turns "Ş" into "\\u015e";
    # the header as written still names it.
    message = MIMEMultipart()
    message["Subject"] = "Invitation: Meeting Şahin =?utf-8?q?x?="
    assert safety.scan_for_leaks(message_text(message), PROTECTED) == ["Şahin"]


def test_base64_parts_are_read_decoded_and_a_repeated_part_once():
    message = MIMEMultipart()
    ics = "LOCATION:Krisecenteret\r\n".encode()
    message.attach(MIMEText("Hej", "plain", "utf-8"))
    message.attach(MIMEApplication(ics, "ics"))
    message.attach(MIMEApplication(ics, "ics"))
    text = message_text(message)
    assert text.count("LOCATION:Krisecenteret") == 1
    assert safety.scan_for_leaks(text, PROTECTED) == ["Krisecenter"]
