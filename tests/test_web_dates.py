"""The dates pages take from a query: one range and one period, the same on every page."""

from __future__ import annotations

from datetime import date

import pytest

from coordinator import web
from tests import factories as f

TODAY = date(2026, 6, 15)


def test_a_period_defaults_to_the_year_so_far():
    assert web.period({}, TODAY) == (date(2026, 1, 1), TODAY)
    assert web.period({"from": "2026-03-01", "to": "2026-04-30"}, TODAY) == (
        date(2026, 3, 1), date(2026, 4, 30))


@pytest.mark.parametrize("params,field,words", [
    ({"from": "2026-13-01"}, "from", "»Fra dato« skal være en dato"),
    ({"from": "1999-12-31"}, "from", "»Fra dato« skal ligge mellem år 2000 og 2100."),
    ({"to": "2101-01-01"}, "to", "»Til dato« skal ligge mellem år 2000 og 2100."),
    ({"from": "2026-05-01", "to": "2026-04-30"}, "to", "»Til dato« ligger før »Fra dato«."),
])
def test_a_refused_period_names_its_field_in_danish(params, field, words):
    with pytest.raises(web.UserError) as refused:
        web.period(params, TODAY)
    assert (refused.value.status, refused.value.field) == (422, field)
    assert refused.value.message.startswith(words)


def test_a_date_within_range_may_be_left_out():
    assert web.date_within_range({}, "date", "Dato") is None
    assert web.date_within_range({"date": "2000-01-01"}, "date", "Dato") == web.EARLIEST
    assert web.date_within_range({"date": "2100-12-31"}, "date", "Dato") == web.LATEST


@pytest.mark.parametrize("path", ["/trappe/kriterium", "/tilfredshed/kriterium",
                                  "/tilfredshed/svar", "/followup/succeskriterier"])
async def test_every_leader_page_refuses_a_period_out_of_range(client, path):
    await f.login(client, await f.user("leder"))
    response = await client.get(f"{path}?from=1899-01-01")
    assert response.status_code == 422
    assert "»Fra dato« skal ligge mellem år 2000 og 2100." in response.text


async def test_a_refused_period_on_the_success_criteria_keeps_the_page_and_the_dates(client):
    """The leader's typo in the period is told at its field on the page itself, with what
    she typed kept and the default period shown; not an error page that says "could not be
    saved" (nothing was being saved)."""
    await f.login(client, await f.user("leder"))
    response = await client.get("/followup/succeskriterier?from=2026-05-01&to=2026-04-30",
                                headers={"Accept": "text/html"})
    assert response.status_code == 422
    page = response.text
    assert 'name="from" type="date" value="2026-05-01"' in page
    assert 'value="2026-04-30" required aria-invalid="true" aria-describedby="err-to"' in page
    assert "»Til dato« ligger før »Fra dato«." in page and "kunne ikke gemmes" not in page
    assert "Vis perioden" in page and 'id="err-to"' in page
