"""Pure input checks: Danish phone numbers, e-mail, CPR refusal, duplicate keys."""

import pytest

from coordinator.network.validation import (
    InvalidInput,
    is_likely_duplicate,
    name_key,
    normalise_email,
    normalise_phone,
    refuse_cpr,
)


@pytest.mark.parametrize("raw,expected", [
    ("70 10 20 30", "+45 70 10 20 30"),
    ("70102030", "+45 70 10 20 30"),
    ("+45 70102030", "+45 70 10 20 30"),
    ("0045 70 10 20 30", "+45 70 10 20 30"),
    ("(+45) 70-10-20-30", "+45 70 10 20 30"),
    ("+46 70 123 45 67", "+46 70 123 45 67"),
    ("", ""),
    ("   ", ""),
])
def test_valid_phones_are_normalised(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "7010203", "701020304", "70 10 ab 30", "+45", "+999 1234",
                                 "ring til mor", "70102030; DROP"])
def test_malformed_phones_are_refused_in_danish(raw):
    with pytest.raises(InvalidInput) as exc:
        normalise_phone(raw)
    assert "Telefonnummeret" in exc.value.message


@pytest.mark.parametrize("raw,expected", [
    ("anna@example.org", "anna@example.org"), (" Anna.B@Example.ORG ", "Anna.B@example.org"),
    ("", ""),
])
def test_valid_emails(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["anna", "anna@", "@example.org", "anna@example", "a b@example.org",
                                 "anna@@example.org", "<anna@example.org>", "anna@exa_mple.org"])
def test_malformed_emails_are_refused(raw):
    with pytest.raises(InvalidInput, match="E-mailadressen er ikke gyldig"):
        normalise_email(raw)


@pytest.mark.parametrize("text", ["0101901234", "Emma 010190-1234", "cpr 010190 1234"])
def test_valid_cpr_numbers_are_refused(text):
    with pytest.raises(InvalidInput, match="CPR-nummer"):
        refuse_cpr(text, "Navn")


@pytest.mark.parametrize("text", ["Emma", "3213901234", "70 10 20 30", "12345678901",
                                  "Mødes 01-01-2026 kl. 10"])
def test_text_without_a_valid_cpr_passes(text):
    assert refuse_cpr(text, "Navn") == text


def test_duplicate_means_same_name_and_same_phone():
    assert is_likely_duplicate("Grethe  Bedste", "+45 70 10 20 30", "grethe bedste", "+4570102030")
    assert not is_likely_duplicate("Grethe", "+45 70 10 20 30", "Grethe", "+45 70 10 20 31")
    assert not is_likely_duplicate("Grethe", "", "Grethe", "")
    assert name_key("ÅSE  Ærø") == "åse ærø"
