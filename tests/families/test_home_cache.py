"""The start page kept under what it shows: her families' content stamps, the shared stamp
and the day, until the next meeting listed has begun. A change shows at once; the suggested
case reference is read on every view (another worker's new case moves it); the follow-ups
due are audited on every view; and a page is only ever served to the user it was rendered
for."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from coordinator import db, demo
from coordinator.audit.tables import AuditEvent
from coordinator.auth.tables import User
from coordinator.families import revisions, routes
from coordinator.families.routes import HOME_PAGES
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings.tables import Meeting, MeetingPart
from coordinator.trappe import service as trappe
from tests import factories as f
from tests.families.test_page_cache import NOT_CONTENT, _login_demo
from tests.support.statements import capture_tables
from tests.trappe import data as d


@pytest.fixture(autouse=True)
def empty_cache():
    HOME_PAGES.clear()
    yield
    HOME_PAGES.clear()


def _families(page: str) -> list[str]:
    return re.findall(r'<li>\s*<a href="/families/\d+">([^<]+)</a>', page)


def _reference(page: str) -> str:
    return re.search(r'id="o-ref" name="reference" required maxlength="32" value="([^"]*)"',
                     page).group(1)


async def test_every_table_the_start_page_reads_is_watched(client, monkeypatch):
    """The demo's case holders' start pages (the suggested reference aside, read on every
    view): every table read is watched by a content-stamp trigger, or per-request data."""
    assert await demo.load()
    reading = capture_tables(monkeypatch)
    holders = await User.select(User.username).where(User.role.is_in(["socialraadgiver", "leder"]))
    assert len(holders) >= 2
    for holder in holders:
        await _login_demo(client, holder["username"])
        HOME_PAGES.clear()
        trappe._due_kept.clear()  # noqa: SLF001 - each page reads its follow-ups itself
        reading.on = True
        page = (await client.get("/")).text
        reading.on = False
        assert "Mine familier" in page
    assert {"family", "team_member", "meeting", "person"} <= reading.tables
    unwatched = reading.tables - set(revisions.WATCHED) - NOT_CONTENT
    assert not unwatched, f"the start page reads tables no trigger watches: {unwatched}"


async def test_a_kept_start_page_shows_every_change_at_once(client, clock):
    worker = await f.user()
    first = await f.family(worker, name="Familien Først")
    await f.family(worker, name="Familien Anden")
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)  # the day is part of the key: stay inside one
    page = (await client.get("/")).text
    assert _families(page) == ["Familien Anden", "Familien Først"]
    assert (await client.get("/")).text == page
    assert (HOME_PAGES.hits, HOME_PAGES.misses) == (1, 1)
    # renamed behind the services' back: the trigger replaces the family's stamp
    await db.fetch('UPDATE "family" SET "name" = {} WHERE "id" = {}', "Familien Ny", first)
    assert _families((await client.get("/")).text) == ["Familien Anden", "Familien Ny"]
    # put on another family's team, taken off one: the list follows
    third = await f.family(name="Familien Tredje")
    await TeamMember.insert(TeamMember(family=third, user=worker.id, team_role="Socialrådgiver"))
    await TeamMember.delete().where(TeamMember.family == first)
    assert _families((await client.get("/")).text) == ["Familien Anden", "Familien Tredje"]
    # closed: no longer among the active families
    await Family.update({Family.status: "closed"}).where(Family.id == third)
    assert _families((await client.get("/")).text) == ["Familien Anden"]
    assert HOME_PAGES.hits == 1


async def test_the_suggested_reference_is_read_on_every_view(client, other_client, clock):
    sara, mikkel = await f.user(), await f.user()
    await f.family(sara, name="Familien Først")
    await f.login(client, sara)
    await f.login(other_client, mikkel)
    clock.pin(clock.now(), ticking=False)
    suggested = _reference((await client.get("/")).text)
    assert re.fullmatch(r"\d{4}-\d{4}", suggested)
    r = await f.post_form(other_client, "/families", {
        "name": "Familien Fremmed", "reference": suggested, "stay_from": ""})
    assert r.status_code == 303, r.text[:300]
    page = (await client.get("/")).text
    assert HOME_PAGES.hits == 1  # her page was kept: nothing of hers changed
    assert _reference(page) not in (suggested, "") and "ref-" not in page
    assert routes._REFERENCE_PLACEHOLDER not in page  # noqa: SLF001


async def test_the_followups_due_are_audited_on_every_view(client, clock):
    w = await d.world()
    await f.login(client, w.worker)
    clock.pin(clock.now(), ticking=False)
    for _ in range(3):
        assert "Ida Trappe" in (await client.get("/")).text
    assert HOME_PAGES.hits == 2
    reads = await AuditEvent.count().where(
        (AuditEvent.family_id == w.family_id) & (AuditEvent.entity == trappe.DUE_ENTITY))
    assert reads == 3


async def test_the_page_is_kept_until_the_next_meeting_listed_has_begun(client, clock):
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Møde")
    morning = clock.local_now().replace(hour=9, minute=0, second=0, microsecond=0)
    clock.pin(morning, ticking=False)
    starts = morning + timedelta(minutes=8)
    [meeting] = await Meeting.insert(Meeting(family=family_id, kind="netvaerksmoede",
                                             title="Netværksmøde", status="invited"))
    await MeetingPart.insert(MeetingPart(meeting=meeting["id"], key="moede", label="Møde",
                                         starts_at=starts, ends_at=starts + timedelta(hours=1)))
    await f.login(client, worker)
    first = (await client.get("/")).text
    assert "Næste møde" in first
    clock.pin(starts, ticking=False)  # starting now: still the next one
    assert (await client.get("/")).text == first
    clock.pin(starts + timedelta(seconds=1), ticking=False)  # begun
    assert "Næste møde" not in (await client.get("/")).text
    assert (HOME_PAGES.hits, HOME_PAGES.misses) == (1, 2)


async def test_a_page_is_only_served_to_the_user_it_was_rendered_for(client, other_client, clock):
    first = await f.user(username="foerste", full_name="Første Rådgiver")
    second = await f.user(username="anden", full_name="Anden Rådgiver")
    await f.family(first, second, name="Familien Fælles")
    await f.login(client, first)
    await f.login(other_client, second)
    clock.pin(clock.now(), ticking=False)
    one, two = (await client.get("/")).text, (await other_client.get("/")).text
    assert "Første Rådgiver · " in one and "Første Rådgiver · " not in two
    tokens = [re.search(r'name="_csrf_token" value="([^"]+)"', p).group(1) for p in (one, two)]
    assert tokens[0] != tokens[1] and HOME_PAGES.misses == 2


async def test_a_search_or_a_refused_case_is_never_kept(client, clock):
    worker = await f.user()
    await f.family(worker, name="Familien Søg")
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)
    assert _families((await client.get("/", params={"q": "søg"})).text) == ["Familien Søg"]
    r = await f.post_form(client, "/families", {"name": "", "reference": "x"})
    assert r.status_code == 422 and 'value="x"' in r.text
    # the one page kept is the plain view the form's token was read from
    assert (HOME_PAGES.hits, HOME_PAGES.misses) == (0, 1)


async def test_a_family_joined_while_the_page_was_read_is_shown_and_not_kept(
        client, clock, monkeypatch):
    """Put on a team between the stamps read and the list read, the family is in no key:
    the page showing it is not kept, or taken off that team again she would be served it."""
    worker = await f.user()
    await f.family(worker, name="Familien Egen")
    joined = await f.family(name="Familien Kort")
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)
    team_stamps = routes.service.team_stamps

    async def stamps_then_joined(user):
        read = await team_stamps(user)
        await TeamMember.insert(TeamMember(family=joined, user=worker.id, team_role="Socialrådgiver"))
        return read

    monkeypatch.setattr(routes.service, "team_stamps", stamps_then_joined)
    assert _families((await client.get("/")).text) == ["Familien Egen", "Familien Kort"]
    monkeypatch.setattr(routes.service, "team_stamps", team_stamps)
    await TeamMember.delete().where(TeamMember.family == joined)
    assert _families((await client.get("/")).text) == ["Familien Egen"]
    assert HOME_PAGES.hits == 0


async def test_a_family_never_stamped_keys_nothing(client, clock):
    """Data loaded in bulk has no stamp: an empty one could come back, so nothing is kept."""
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Bulk")
    await db.fetch('DELETE FROM "content_revision" WHERE "family_id" = {}', family_id)
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)
    for _ in range(2):
        assert _families((await client.get("/")).text) == ["Familien Bulk"]
    assert (HOME_PAGES.hits, len(HOME_PAGES)) == (0, 0)


async def test_a_fragment_htmx_fetched_from_another_page_is_not_kept(client, clock):
    """Its forms belong to the page htmx shows (``web.page_of``), not to the start page."""
    worker = await f.user()
    family_id = await f.family(worker, name="Familien Htmx")
    await f.login(client, worker)
    clock.pin(clock.now(), ticking=False)
    page = (await client.get("/", headers={
        "HX-Request": "true", "HX-Current-URL": f"https://testserver.local/families/{family_id}"})).text
    assert f'value="/families/{family_id}"' in page
    assert (await client.get("/")).text.count(f'value="/families/{family_id}"') == 0
    assert HOME_PAGES.misses == 1
