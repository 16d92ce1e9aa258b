"""The satisfaction service on its own: one answer per stay even when two arrive at once,
the answers table holds nothing that names the family, and the criteria count by stay."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from coordinator import clock, web
from coordinator.followup.tables import Stay
from coordinator.satisfaction import rules, service
from coordinator.satisfaction.tables import SatisfactionAnswer, SatisfactionMark
from tests import factories as f


async def _family_with_move_out(days_ago: int = 2) -> tuple:
    worker = await f.user("socialraadgiver", full_name="Sara Service")
    family_id = await f.family(worker, name="Familien Servicesen")
    today = clock.today()
    stay = (await Stay.insert(Stay(family=family_id, started_on=today - timedelta(days=60),
                                   ended_on=today - timedelta(days=days_ago))))[0]["id"]
    return worker, family_id, stay


async def test_a_tablet_link_sent_twice_at_once_answers_once():
    worker, family_id, stay = await _family_with_move_out()
    token, _ = await service.open_tablet_link(worker, family_id, stay)
    draft = rules.Draft("some", "yes", "")
    results = await asyncio.gather(service.tablet_submit(token, draft),
                                   service.tablet_submit(token, draft), return_exceptions=True)
    refused = [r for r in results if isinstance(r, web.UserError)]
    assert len(refused) == 1 and refused[0].status == 410
    assert len(await SatisfactionAnswer.select()) == 1
    assert len(await SatisfactionMark.select()) == 1


async def test_the_paper_form_and_the_tablet_cannot_both_answer_a_stay():
    worker, family_id, stay = await _family_with_move_out()
    token, _ = await service.open_tablet_link(worker, family_id, stay)
    await service.record_paper(worker, family_id, stay, rules.Draft("high", "yes", ""))
    with pytest.raises(web.UserError) as refused:
        await service.tablet_submit(token, rules.Draft("none", "no", ""))
    assert refused.value.status == 409
    with pytest.raises(web.UserError):
        await service.record_declined(worker, family_id, stay)
    assert [a["support"] for a in await SatisfactionAnswer.select()] == ["high"]


async def test_the_answer_names_nothing_and_is_kept_under_the_move_out_month():
    worker, family_id, stay = await _family_with_move_out(days_ago=0)
    await service.record_paper(worker, family_id, stay, rules.Draft("little", "partly", "Tak"))
    [answer] = await SatisfactionAnswer.select()
    assert answer["period"] == rules.period_of(clock.today())
    assert set(answer) == {"id", "period", "support", "process", "comment", "channel"}
    assert "Servicesen" not in repr(answer) and "Sara Service" not in repr(answer)
    figures = await service.figures(clock.today() - timedelta(days=1), clock.today())
    assert (figures.answered.numerator, figures.answered.denominator) == (1, 1)
    assert (figures.supported.numerator, figures.supported.denominator) == (0, 1)
    assert figures.answered_met is True and figures.supported_met is False
