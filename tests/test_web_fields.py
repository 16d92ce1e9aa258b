"""The form fields' parsing (``web.text``, ``web.a_date``, ``web.local_datetime``): bad input
is refused at its field with a Danish message, never carried on to a 500."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from coordinator import web


def _refusal(call, *args) -> web.UserError:
    with pytest.raises(web.UserError) as caught:
        call(*args)
    return caught.value


@pytest.mark.parametrize("value", ["a\x01b", "a\x08", "\x1b[31mrød", "slet\x7f", "nul\x00"])
def test_control_characters_are_refused(value: str) -> None:
    error = _refusal(web.text, {"title": value}, "title", "Titel")
    assert error.message == "»Titel« indeholder ugyldige tegn." and error.field == "title"


def test_tabs_and_line_breaks_are_text() -> None:
    assert web.text({"note": "første\r\nanden\tlinje"}, "note", "Note") == "første\r\nanden\tlinje"


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-30"])
def test_a_date_in_a_mistyped_year_is_refused(value: str) -> None:
    error = _refusal(web.a_date, {"on": value}, "on", "Dato")
    assert error.message == "»Dato« skal ligge mellem år 1900 og 2100." and error.field == "on"


@pytest.mark.parametrize("value", ["1900-01-01", "1998-05-04", "2100-12-31"])
def test_a_date_in_the_years_a_case_has_is_read(value: str) -> None:
    assert web.a_date({"on": value}, "on", "Dato") == date.fromisoformat(value)


@pytest.mark.parametrize("value", ["9999-12-30T09:00", "0001-01-01T10:00", "1999-12-31T10:00",
                                   "2101-01-01T00:00"])
def test_a_time_in_a_mistyped_year_is_refused(value: str) -> None:
    error = _refusal(web.local_datetime, {"start": value}, "start", "Start")
    assert error.message == "»Start« skal ligge mellem år 2000 og 2100." and error.field == "start"


@pytest.mark.parametrize("value", ["2027-01-12T10:00+05:00", "2027-01-12T10:00Z", "12-01-2027 10:00"])
def test_a_time_not_as_the_browser_sends_it_is_refused(value: str) -> None:
    error = _refusal(web.local_datetime, {"start": value}, "start", "Start")
    assert error.message == "»Start« skal være et tidspunkt (åååå-mm-dd tt:mm)."


def test_a_local_time_is_read_in_copenhagen() -> None:
    read = web.local_datetime({"start": "2027-01-12T10:00"}, "start", "Start")
    assert read == datetime(2027, 1, 12, 10, 0, tzinfo=web.COPENHAGEN)
    gap = _refusal(web.local_datetime, {"start": "2027-03-28T02:30"}, "start", "Start")
    assert gap.message == "»Start«: tidspunktet findes ikke (sommertid)."
