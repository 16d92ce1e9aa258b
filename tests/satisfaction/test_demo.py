"""The demo shows satisfaction forms at move-out on several families, some without."""

from datetime import timedelta

from coordinator import clock, demo
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.followup.tables import Stay
from coordinator.satisfaction import service
from coordinator.satisfaction.tables import SatisfactionAnswer, SatisfactionMark


async def test_the_demo_has_answers_a_declined_form_and_move_outs_without():
    assert await demo.load()
    marks = await SatisfactionMark.select()
    answered = [m for m in marks if m["outcome"] == "answered"]
    assert len({m["family"] for m in answered}) >= 5
    assert any(m["outcome"] == "declined" for m in marks)
    assert len(await SatisfactionAnswer.select()) == len(answered)
    ended = await Stay.select(Stay.id).where(Stay.ended_on.is_not_null())
    assert len(ended) > len(marks)  # some move-outs have no form yet
    start = clock.today() - timedelta(days=70)
    figures = await service.figures(start, clock.today())
    assert 0 < figures.answered.numerator < figures.answered.denominator
    assert figures.supported.denominator > 0
    lene = await User.select(User.id).where(User.username == "lene").first()
    leader = Principal(lene["id"], "lene", Role.LEDER, "Lene Demo Thorsen")
    mikkel = await User.select(User.id).where(User.username == "mikkel").first()
    worker = Principal(mikkel["id"], "mikkel", Role.SOCIALRAADGIVER, "Mikkel Demo Lauridsen")
    rows = await service.missing(worker, start, clock.today())
    assert rows and all(r["status"] in ("Ikke registreret", "Ønskede ikke at svare")
                        for r in rows)
    answers = await service.answers(leader, start, clock.today())
    assert answers.count == figures.supported.denominator and answers.comments
