"""The familierådslagning's demo data: the initiativtager, the formøde with the family's yes,
an approved plan linked to the referral questions and reviews with history, on several
families; the FGC page shows them."""

import html

from coordinator import demo
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families.tables import TeamMember
from coordinator.meetings.tables import (
    FgcCase,
    FgcPlanApproval,
    FgcPlanItem,
    FgcPlanReview,
    FgcQuestion,
    Meeting,
)
from tests import factories as f


async def test_demo_shows_the_complete_familieraadslagning_on_several_families(client):
    assert await demo.load()
    cases = await FgcCase.select()
    assert sum(1 for c in cases if c["initiator_kind"]) >= 3
    assert len({c["initiator_kind"] for c in cases if c["initiator_kind"]}) >= 2
    agreed = [c for c in cases if c["formoede_agreement"] == "yes"]
    assert len(agreed) >= 3 and all(c["formoede_participants"] for c in agreed)
    # no familierådslagning is planned or held before the family agreed
    for meeting in await Meeting.select().where(
            (Meeting.kind == "familieraadslagning") & (Meeting.status != "draft")):
        case = next(c for c in cases if c["id"] == meeting["fgc_case"])
        assert case["formoede_agreement"] == "yes"
    approved = {a["case"] for a in await FgcPlanApproval.select()}
    assert len(approved) >= 3
    for case_id in approved:
        questions = {q["id"] for q in await FgcQuestion.select().where(FgcQuestion.case == case_id)}
        items = await FgcPlanItem.select().where(FgcPlanItem.case == case_id)
        assert items and all(i["question"] in questions for i in items)
    reviews = await FgcPlanReview.select()
    reviewed = {r["item"] for r in reviews}
    with_history = [i for i in reviewed if sum(r["item"] == i for r in reviews) >= 2]
    assert len(with_history) >= 2 and any(r["meeting"] for r in reviews)

    item = await FgcPlanItem.select().where(FgcPlanItem.id == with_history[0]).first()
    case = next(c for c in cases if c["id"] == item["case"])
    member = await TeamMember.select(TeamMember.user).where(
        TeamMember.family == case["family"]).first()
    user = await User.select().where(User.id == member["user"]).first()
    await f.login(client, Principal(user["id"], user["username"], Role(user["role"])),
                  password=demo.DEMO_PASSWORD)
    page = html.unescape((await client.get(f"/families/{case['family']}/familieraadslagning/")).text)
    assert "Initiativet blev taget af" in page and "Familiens svar: <strong>Ja" in page
    assert "Spørgsmål: Hvem hjælper med at hente og bringe børnene?" in page
    assert "Godkendt " in page and "Historik (2)" in page
