"""The demo agreements: loaded from the real seeder, with the states the demo promises."""

from datetime import date

import pytest

from coordinator import demo
from coordinator.agreements import service
from coordinator.agreements.cadence import Status
from coordinator.agreements.tables import (
    Agreement, AgreementEvaluation, AgreementParty, AgreementVersion,
)
from coordinator.network.tables import Organisation


@pytest.mark.parametrize("today", [date(2026, 11, 22), date(2026, 1, 3), date(2027, 6, 30)])
async def test_demo_agreements_have_overdue_renewal_and_bic(today):
    assert await demo.load(today)
    rows = await service.list_agreements(today)
    titles = {r["title"] for r in rows}
    assert "Samarbejdsaftale om Barnet i Centrum (BIC)" in titles
    for partner in ["Sundhedsplejen", "Infanterivej", "Mary Fonden", "Røde Kors", "isidder"]:
        assert any(partner in r["partner_name"] or partner in r["title"] for r in rows), partner
    assert sum(1 for r in rows if "Skolestart" in r["title"]) == 2
    assert any(r["state"].evaluation_overdue for r in rows)
    assert any(r["state"].renewal_due for r in rows)
    assert any(r["status"] == "draft" for r in rows)
    assert await AgreementEvaluation.count() >= 5
    bic = next(r for r in rows if "BIC" in r["title"])
    assert bic["version"] == 2 and bic["state"].status in (Status.ACTIVE,
                                                           Status.UP_FOR_EVALUATION)
    assert await AgreementVersion.count() == len(rows) + 1  # + BIC's edit
    due = await service.due(today, 60)
    assert {entry["item"].kind.value for entry in due} == {"evaluation", "renewal"}
    orgs = await Organisation.select(Organisation.email)
    assert all(not o["email"] or o["email"].rsplit(".", 1)[0].endswith("example") for o in orgs)
    assert await Agreement.count() == len(rows)
    parties = await AgreementParty.select(AgreementParty.contact_email,
                                          AgreementParty.contact_phone)
    assert all(p["contact_email"].split("@")[1].rsplit(".", 1)[0].endswith("example")
               and p["contact_phone"].startswith("70 10 ") for p in parties)
