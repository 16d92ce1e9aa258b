"""Randers-trappen's use cases without HTTP: the access policy on every read and write,
the family page's stamp, and the purge blanking the free text after retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.exceptions import NotFoundException

from coordinator import clock, web
from coordinator.families.tables import ContentRevision, Family
from coordinator.gdpr import service as gdpr
from coordinator.trappe import service
from coordinator.trappe.routes import parse_draft
from coordinator.trappe.tables import TrappeAssessment
from tests import factories as f
from tests.trappe import data as d


async def _stamp(family_id: int) -> str:
    row = await ContentRevision.select(ContentRevision.stamp).where(
        ContentRevision.family_id == family_id).first()
    return row["stamp"] if row else ""


async def test_recording_changes_the_family_pages_stamp():
    w = await d.world()
    before = await _stamp(w.family_id)
    await service.record(w.worker, w.family_id, parse_draft(d.form(w.child_id)))
    assert await _stamp(w.family_id) != before


@pytest.mark.parametrize("who", ["outsider", "contact"])
async def test_the_service_refuses_everyone_but_the_team(who):
    w = await d.world()
    user = w.outsider if who == "outsider" else w.contact
    draft = parse_draft(d.form(w.child_id))
    with pytest.raises(NotFoundException):
        await service.record(user, w.family_id, draft)
    with pytest.raises(NotFoundException):
        await service.trappe_page(user, w.family_id)
    assessment = await service.record(w.worker, w.family_id, draft)
    with pytest.raises(NotFoundException):
        await service.correct(user, w.family_id, assessment, draft, "Fejl")
    with pytest.raises(NotFoundException):
        await service.assessment(user, w.family_id, assessment)
    assert await TrappeAssessment.count() == 1


async def test_a_child_of_another_family_is_refused():
    w = await d.world()
    other_family = await f.family(w.worker)
    stranger = await d.child(other_family, "Fremmed Barn")
    with pytest.raises(web.UserError) as refused:
        await service.record(w.worker, w.family_id, parse_draft(d.form(stranger)))
    assert (refused.value.field, refused.value.status) == ("child", 422)
    assert await TrappeAssessment.count() == 0


async def test_a_closed_case_is_read_only():
    w = await d.world()
    await Family.update({Family.status: "closed", Family.closed_on: clock.today()}).where(
        Family.id == w.family_id)
    with pytest.raises(NotFoundException):
        await service.record(w.worker, w.family_id, parse_draft(d.form(w.child_id)))
    _, trappe = await service.trappe_page(w.worker, w.family_id)
    assert [c.child["name"] for c in trappe.children] == ["Ida Trappe"]


async def test_the_purge_blanks_the_free_text_and_keeps_the_steps():
    w = await d.world()
    await service.record(w.worker, w.family_id, parse_draft(d.form(
        w.child_id, step=3, social_note="Ingen venner", violence_rating="serious",
        violence_note="Så volden")))
    retention = 365
    await Family.update({Family.status: "closed",
                         Family.closed_on: clock.today() - timedelta(days=retention + 1)}).where(
        Family.id == w.family_id)
    await gdpr.purge(clock.today(), retention)
    row = (await TrappeAssessment.select())[0]
    assert [row[name] for name in gdpr.TRAPPE_TEXTS] == [""] * len(gdpr.TRAPPE_TEXTS)
    assert (row["step"], row["violence_rating"], row["analysis_complete"]) == (3, "serious", True)

