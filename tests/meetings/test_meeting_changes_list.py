"""The meeting page's list of the changes the participants are told about: the newest few,
with the number of older ones (a meeting edited all year has hundreds, and the list made the
page and every change's answer grow with them)."""

from __future__ import annotations

from datetime import timedelta

from coordinator.meetings.service import CHANGES_SHOWN
from coordinator.meetings.tables import Meeting, MeetingChange, MeetingPart
from coordinator.network.tables import Person, Relation
from tests import factories as f


async def _meeting_with_changes(family_id: int, changes: int, start) -> int:
    rows = await Meeting.insert(Meeting(family=family_id, title="Netværksmøde", kind="netvaerksmoede"))
    meeting_id = rows[0]["id"]
    await MeetingPart.insert(MeetingPart(meeting=meeting_id, key="meeting", label="Mødet"))
    for n in range(changes):
        await MeetingChange.insert(MeetingChange(
            meeting=meeting_id, change_kind="updated" if n else "invited", sequence=0,
            at=start + timedelta(days=n)))
    return meeting_id


async def test_the_newest_changes_are_listed_and_the_older_ones_counted(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    start = clock.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=30)
    meeting_id = await _meeting_with_changes(family_id, CHANGES_SHOWN + 3, start)
    await f.login(client, worker)
    page = (await client.get(f"/meetings/{meeting_id}")).text
    listed = page.split("Ændringer, deltagerne får besked om", 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == CHANGES_SHOWN
    assert "Invitation" not in listed  # the first change is among the older ones
    assert listed.count("Opdateret") == CHANGES_SHOWN
    assert "Og 3 tidligere ændringer." in page
    assert "venter på afsendelse" not in page  # a state the page cannot know any more


async def test_a_short_history_is_listed_whole(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting_with_changes(family_id, 2, clock.now() - timedelta(days=3))
    await f.login(client, worker)
    page = (await client.get(f"/meetings/{meeting_id}")).text
    listed = page.split("Ændringer, deltagerne får besked om", 1)[1].split("</ul>", 1)[0]
    assert listed.count("<li>") == 2
    assert "tidligere ændringer" not in page


async def test_one_older_change_is_counted_in_the_singular(client, clock):
    worker = await f.user()
    family_id = await f.family(worker)
    meeting_id = await _meeting_with_changes(family_id, CHANGES_SHOWN + 1, clock.now() - timedelta(days=9))
    await f.login(client, worker)
    page = (await client.get(f"/meetings/{meeting_id}")).text
    assert "Og 1 tidligere ændring." in page


async def test_a_network_the_graph_cannot_take_does_not_break_the_meeting_page(client, clock):
    """A relation to someone outside the family (data from before a check, or edited by
    hand) makes the family's graph refuse the network; the meeting page still opens, with
    its participants and safety section, read without the graph."""
    worker = await f.user()
    family_id = await f.family(worker)
    other_family = await f.family(worker)
    child = await Person.insert(Person(family=family_id, name="Lille Test", is_child=True,
                                       role="child", sector="family"))
    stranger = await Person.insert(Person(family=other_family, name="Fremmed", sector="family"))
    await Relation.insert(Relation(family=family_id, source=child[0]["id"],
                                   target_person=stranger[0]["id"], type="supports"))
    meeting_id = await _meeting_with_changes(family_id, 1, clock.now() - timedelta(days=1))
    await f.login(client, worker)
    answer = await client.get(f"/meetings/{meeting_id}")
    assert answer.status_code == 200
    assert "Deltagere" in answer.text and "Lille Test" in answer.text
