"""The method's demo data: mappings with scales over several meetings, and handleplans with
goals, sub-goals and evaluation history, on several families; the pages show them."""

from coordinator import demo
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.auth.tables import User
from coordinator.families.tables import TeamMember
from coordinator.method.tables import Goal, GoalEvaluation, SosMapping, SosScale
from tests import factories as f


async def test_demo_shows_mappings_and_goals_with_history_on_several_families(client):
    assert await demo.load()
    mapped = {r["family"] for r in await SosMapping.select(SosMapping.family)}
    assert len(mapped) >= 5
    for family_id in mapped:
        meetings = {r["meeting"] for r in await SosScale.select(SosScale.meeting).where(
            SosScale.family == family_id)}
        assert len(meetings) >= 3  # followed over time
        assert await Goal.count().where(Goal.family == family_id) >= 3
        assert await Goal.count().where((Goal.family == family_id)
                                        & Goal.parent_id.is_not_null()) >= 1
        assert await GoalEvaluation.count().where(GoalEvaluation.family == family_id) >= 2
    family_id = min(mapped)
    member = await TeamMember.select(TeamMember.user).where(
        TeamMember.family == family_id).first()
    user = await User.select().where(User.id == member["user"]).first()
    await f.login(client, Principal(user["id"], user["username"], Role(user["role"])),
                  password=demo.DEMO_PASSWORD)
    page = (await client.get(f"/families/{family_id}")).text
    assert "<svg" in page and "Sikkerhedsskala over tid" in page
    plan = await client.get(f"/families/{family_id}/handleplan/")
    assert plan.status_code == 200 and "Drøftet på netværksmødet." in plan.text
    mapping = await SosMapping.select().where(SosMapping.family == family_id).first()
    meeting_page = (await client.get(f"/meetings/{mapping['meeting']}")).text
    assert mapping["worries"] in meeting_page
