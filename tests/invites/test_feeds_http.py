"""Calendar feeds: tokens, ETag/304, revocation, RRULE/EXDATE across DST, redaction, leaks."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_string, policy

import pytest
import recurring_ical_events
from icalendar import Calendar

from coordinator import cache, db, web
from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.families import revisions
from coordinator.invites import feeds
from coordinator.invites import service as invites
from coordinator.invites.tables import FeedCopy, FeedToken, OutboxMessage
from coordinator.meetings import safety
from coordinator.meetings.tables import Meeting, Room
from coordinator.network.tables import Organisation
from tests import conftest, factories
from tests.invites import support
from tests.support.caldav import itip_to_resources, radicale_fixture

radicale = radicale_fixture()
CPH = web.COPENHAGEN
LINK = re.compile(r'value="webcal://testserver\.local(/feeds/[A-Za-z0-9_-]+\.ics)"')


async def _purge_stamp() -> str:
    rows = await db.fetch('SELECT "stamp" FROM "content_revision" WHERE "family_id" = {}',
                          revisions.PURGE)
    return rows[0]["stamp"] if rows else ""


async def _version(etag: str, at: datetime) -> feeds.FeedVersion:
    """A version of the feed as another process read it, under the purge's stamp now."""
    return feeds.FeedVersion(etag, at, await _purge_stamp())

async def create_feed(client, user, kind: str, target: int, label: str = "Feed") -> str:
    """Create a feed through the page as ``user``; returns its https path."""
    if (await client.get("/feeds/")).status_code != 200:
        await factories.login(client, user)
    field = {"partner_organisation": "organisation", "user": "user", "series": "series"}[kind]
    response = await factories.post_form(client, "/feeds/", {"kind": kind, field: str(target),
                                                             "label": label}, page="/feeds/")
    assert response.status_code == 201, response.text[:300]
    return LINK.search(response.text).group(1)


async def school_id() -> int:
    return (await Organisation.select(Organisation.id).where(Organisation.name == "Østre Skole").first())["id"]


async def test_partner_feed_etag_304_and_revocation(client, other_client, monkeypatch):
    s = await support.scenario()
    await support.send(s)
    path = await create_feed(client, await factories.user("leder"), "partner_organisation", await school_id(),
                             "Østre Skole")
    first = await other_client.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(first.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Netværksmøde om Emma H."
    assert "ATTENDEE" not in event
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    async def must_not_build(*args):
        raise AssertionError("a 304 must not build the calendar")

    monkeypatch.setattr(feeds, "_build", must_not_build)
    assert (await other_client.get(path, headers={"If-None-Match": etag})).status_code == 304
    assert (await other_client.get(path, headers={"If-Modified-Since": modified})).status_code == 304
    monkeypatch.undo()
    # a change to the meeting changes the ETag
    meeting = await s.meeting()
    parts = await support.meetings.parts_of(s.meeting_id)
    day = support.working_day(25)
    await support.meetings.set_times(s.worker, meeting, ANY_VERSION,
                                     {parts[0]["key"]: (support.at(day, 9), support.at(day, 10))})
    changed = await other_client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    # fetches are audited as feed:<id>, at most once per hour
    assert await AuditEvent.count().where(AuditEvent.username.like("feed:%")) == 1
    # revoke through the page → 404
    page = await client.get("/feeds/")
    token_id = re.search(r'action="/feeds/(\d+)/revoke"', page.text).group(1)
    revoked = await factories.post_form(client, f"/feeds/{token_id}/revoke", {}, page="/feeds/")
    assert revoked.status_code == 303
    gone = await other_client.get(path, headers={"Accept": "text/html"})
    assert gone.status_code == 404 and "Siden findes ikke" in gone.text


@contextlib.asynccontextmanager
async def _settling_feed():
    """A partner's feed with FEED_SETTLE_SECONDS=60, fetched twice at once (one build, one
    ETag), then its meeting moved: the partner's client, the feed path, the first copy's
    ETag and the day the meeting moved to."""
    from coordinator.app import create_app

    app_clock.pin(app_clock.now())
    app = create_app(conftest.test_settings(feed_settle_seconds=60))
    s = await support.scenario()
    await support.send(s)
    async with conftest.http_client(app) as leader_client, conftest.http_client(app) as partner:
        path = await create_feed(leader_client, await factories.user("leder"),
                                 "partner_organisation", await school_id(), "Østre Skole")
        first, again = await asyncio.gather(partner.get(path), partner.get(path))
        assert first.status_code == again.status_code == 200
        assert first.headers["etag"] == again.headers["etag"]
        meeting = await s.meeting()
        parts = await support.meetings.parts_of(s.meeting_id)
        day = support.working_day(25)
        await support.meetings.set_times(s.worker, meeting, ANY_VERSION,
                                         {parts[0]["key"]: (support.at(day, 9), support.at(day, 10))})
        yield partner, path, first.headers["etag"], day
    cache.clear_all()


async def test_fetches_at_once_in_one_process_share_one_build_however_the_claim_is_timed(
        builds, monkeypatch):
    """Two first fetches of a link at once in one process build it once, even when the one
    that claimed the build has not taken it up yet as the other finds its claim gone: the
    other waits for it and shares its calendar (a race that built the calendar twice)."""
    from coordinator.app import create_app

    real_claim = feeds.claim_build

    async def slow_claim(row, now):
        claimed = await real_claim(row, now)
        await asyncio.sleep(0.05)  # the claim committed; its fetch not yet back
        return claimed

    monkeypatch.setattr(feeds, "claim_build", slow_claim)
    app = create_app(conftest.test_settings(feed_settle_seconds=60))
    s = await support.scenario()
    await support.send(s)
    async with conftest.http_client(app) as leader_client, conftest.http_client(app) as partner:
        path = await create_feed(leader_client, await factories.user("leder"),
                                 "partner_organisation", await school_id(), "Østre Skole")
        first, again = await asyncio.gather(partner.get(path), partner.get(path))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and len(builds) == 1
    [token] = await FeedToken.select().where(FeedToken.served_etag == first.headers["etag"])
    assert token["served_at"] == token["building_since"]  # the claimed build is the one noted
    cache.clear_all()


async def test_a_feed_settles_before_it_is_rebuilt():
    """With FEED_SETTLE_SECONDS a change reaches the feed once its latest build is that old:
    until then the calendar client keeps its copy (304); concurrent fetches share a build."""
    async with _settling_feed() as (partner, path, etag, day):
        app_clock.advance(timedelta(seconds=30))
        assert (await partner.get(path, headers={"If-None-Match": etag})).status_code == 304
        app_clock.advance(timedelta(seconds=31))
        moved = await partner.get(path, headers={"If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        [event] = Calendar.from_ical(moved.content).walk("VEVENT")
        assert event["DTSTART"].dt == support.at(day, 9)


async def test_every_process_answers_304_for_the_version_any_process_served(monkeypatch):
    """Each web process keeps its own builds; the version served is kept on the link, so a
    process that never built the calendar still answers a client holding it with 304 (no
    build, no wait) while it settles, and the change arrives once the settle time is up."""

    async def must_not_build(*args):
        raise AssertionError("a fetch holding the served version must not build")

    async with _settling_feed() as (partner, path, etag, day):
        app_clock.advance(timedelta(seconds=30))
        cache.clear_all()  # the fetch reaches another process: none of its builds are here
        monkeypatch.setattr(feeds, "_build", must_not_build)
        held = await partner.get(path, headers={"If-None-Match": etag})
        assert held.status_code == 304 and held.headers["etag"] == etag
        assert (await partner.head(path, headers={"If-None-Match": etag})).status_code == 304
        monkeypatch.undo()
        app_clock.advance(timedelta(seconds=31))
        cache.clear_all()
        moved = await partner.get(path, headers={"If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        [event] = Calendar.from_ical(moved.content).walk("VEVENT")
        assert event["DTSTART"].dt == support.at(day, 9)
        # the new copy is now the one every process serves
        cache.clear_all()
        monkeypatch.setattr(feeds, "_build", must_not_build)
        again = await partner.get(path, headers={"If-None-Match": moved.headers["etag"]})
        assert again.status_code == 304
        monkeypatch.undo()


async def test_a_process_that_never_built_the_feed_sends_the_copy_served(monkeypatch):
    """A fetch without the served version (a new subscriber, a client that lost its copy)
    reaching a process that never built the calendar gets the copy another process served:
    the same ETag and bytes, without a build, while it settles; then the change is built.
    A revoked link keeps no copy."""

    async def must_not_build(*args):
        raise AssertionError("the copy served must be sent, not built again")

    async with _settling_feed() as (partner, path, etag, day):
        app_clock.advance(timedelta(seconds=30))
        served = await partner.get(path)  # this process's own build, still settling
        assert served.status_code == 200 and served.headers["etag"] == etag
        cache.clear_all()  # the next fetches reach another process
        monkeypatch.setattr(feeds, "_build", must_not_build)
        copy = await partner.get(path)
        assert copy.status_code == 200 and copy.headers["etag"] == etag
        assert copy.content == served.content
        head = await partner.head(path)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(served.content))
        monkeypatch.undo()
        app_clock.advance(timedelta(seconds=31))
        cache.clear_all()
        moved = await partner.get(path)
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        [event] = Calendar.from_ical(moved.content).walk("VEVENT")
        assert event["DTSTART"].dt == support.at(day, 9)
        # the new copy replaced the old one
        cache.clear_all()
        monkeypatch.setattr(feeds, "_build", must_not_build)
        again = await partner.get(path)
        assert again.headers["etag"] == moved.headers["etag"] and again.content == moved.content
        monkeypatch.undo()
        token = await FeedToken.select(FeedToken.id).first()
        assert await FeedCopy.count() == 1
        await feeds.revoke(await factories.user("leder"), token["id"])
        assert await FeedCopy.count() == 0
        assert (await partner.get(path)).status_code == 404


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The feed builds started, as the key of the process that started each."""
    started: list[str] = []
    real_build = feeds._build

    async def counted(row, now, settings):
        started.append(feeds.process_key())
        return await real_build(row, now, settings)

    monkeypatch.setattr(feeds, "_build", counted)
    return started


async def _claimed_elsewhere(token_id: int) -> datetime:
    """Another web process claims the link's next build now; when."""
    claimed = app_clock.now()
    await FeedToken.update({FeedToken.build_claim: FeedToken.build_claim + 1,
                            FeedToken.building_since: claimed,
                            FeedToken.building_by: "another process"}).where(
        FeedToken.id == token_id)
    return claimed


async def _built_elsewhere(token: dict) -> None:
    """The calendar last served on the link was built by another web process under its
    claim (the claim's moment is the recorded build's)."""
    await FeedToken.update({FeedToken.building_by: "another process",
                            FeedToken.building_since: token["served_at"]}).where(
        FeedToken.id == token["id"])


async def test_one_process_builds_a_feed_while_the_others_serve_what_they_have(builds):
    """The settle time up, a process finding another one's claim on the next build serves
    the calendar it has (304 to a client holding it) or the copy last served, builds
    nothing and notes nothing as served; a claim older than BUILD_CLAIM_SECONDS is taken
    over, and the process that builds leaves its own claim on the link."""
    async with _settling_feed() as (partner, path, etag, day):
        assert len(builds) == 1  # the two fetches at once shared one build
        app_clock.advance(timedelta(seconds=61))
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        assert token["building_by"] == feeds.process_key()
        await _claimed_elsewhere(token["id"])
        held = await partner.get(path, headers={"If-None-Match": etag})
        assert held.status_code == 304 and held.headers["etag"] == etag
        cache.clear_all()  # a process with nothing built: the copy last served
        copy = await partner.get(path)
        assert copy.status_code == 200 and copy.headers["etag"] == etag
        assert len(builds) == 1
        after = await FeedToken.select().where(FeedToken.id == token["id"]).first()
        assert (after["served_etag"], after["served_at"]) == (etag, token["served_at"])
        assert after["building_by"] == "another process"
        # that build never came: its claim is taken over once it is too old
        app_clock.advance(timedelta(seconds=feeds.BUILD_CLAIM_SECONDS))
        moved = await partner.get(path, headers={"If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        [event] = Calendar.from_ical(moved.content).walk("VEVENT")
        assert event["DTSTART"].dt == support.at(day, 9)
        assert len(builds) == 2
        taken = await FeedToken.select().where(FeedToken.id == token["id"]).first()
        assert taken["building_by"] == feeds.process_key()
        assert taken["build_claim"] == after["build_claim"] + 1
        assert taken["served_etag"] == moved.headers["etag"]


async def test_the_calendar_last_served_waits_for_another_build_only_so_long(builds):
    """Another process's fresh claim holds back a build only while the calendar last served
    is at most BUILD_WAIT_SECONDS past its settle time; after the GDPR purge has blanked the
    link there is nothing to send meanwhile, and the calendar is built here at once."""
    async with _settling_feed() as (partner, path, etag, day):
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        app_clock.advance(timedelta(seconds=61))
        await _claimed_elsewhere(token["id"])
        held = await partner.get(path, headers={"If-None-Match": etag})
        assert held.status_code == 304 and len(builds) == 1  # sent while the other one builds
        # kept only until one wait past its settle time, though the claim is still fresh
        app_clock.advance(timedelta(seconds=feeds.BUILD_WAIT_SECONDS - 1))
        late = await partner.get(path, headers={"If-None-Match": etag})
        assert late.status_code == 200 and late.headers["etag"] != etag and len(builds) == 2
        # the purge changes the meetings and blanks what was served: nothing from before it
        # is sent while another process builds
        app_clock.advance(timedelta(seconds=61))
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        await feeds.forget_served()
        await _claimed_elsewhere(token["id"])
        purged = await partner.get(path, headers={"If-None-Match": late.headers["etag"]})
        assert purged.status_code == 200 and purged.headers["etag"] != late.headers["etag"]
        assert len(builds) == 3


async def test_a_build_another_process_recorded_is_sent_and_the_next_one_built_here(builds):
    """Once the process holding the claim records its build, the others send that calendar
    (not the one before it). At its settle time they leave the next build to that process
    for BUILDER_FIRST_SECONDS (it redacts only what changed; they would redact every
    meeting), sending its calendar meanwhile; then one of them claims and builds."""
    async with _settling_feed() as (partner, path, etag, day):
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        app_clock.advance(timedelta(seconds=61))
        claimed = await _claimed_elsewhere(token["id"])  # its build is noted as begun then
        body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        done = asyncio.get_running_loop().create_future()
        done.set_result(body)
        row = {"id": token["id"], "served_etag": etag}
        await feeds.record_served(row, feeds.Build(claimed, await _version('"andet"', claimed),
                                                   done), body)
        theirs = await partner.get(path, headers={"If-None-Match": etag})
        assert theirs.status_code == 200 and theirs.headers["etag"] == '"andet"'
        assert theirs.content == body and len(builds) == 1
        app_clock.advance(timedelta(seconds=61))
        cache.clear_all()  # a process that holds nothing: the copy, still not built here
        waiting = await partner.get(path)
        assert waiting.status_code == 200 and waiting.headers["etag"] == '"andet"'
        assert len(builds) == 1
        [row] = await FeedToken.select().where(FeedToken.id == token["id"])
        assert row["building_by"] == "another process"  # nothing claimed meanwhile
        app_clock.advance(timedelta(seconds=feeds.BUILDER_FIRST_SECONDS))
        ours = await partner.get(path, headers={"If-None-Match": '"andet"'})
        assert ours.status_code == 200 and ours.headers["etag"] not in (etag, '"andet"')
        assert len(builds) == 2
        [row] = await FeedToken.select().where(FeedToken.id == token["id"])
        assert row["building_by"] == feeds.process_key()


async def test_no_calendar_from_before_the_gdpr_purge_is_sent_again_from_memory(builds):
    """A calendar last served that a process sends again while the builder has its first
    seconds, and a calendar the process built itself, are not sent once the GDPR purge has
    blanked what was served: the next fetch gets a calendar built after it."""
    async with _settling_feed() as (partner, path, etag, day):
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        await _built_elsewhere(token)  # the calendar last served was another's build
        app_clock.advance(timedelta(seconds=61))
        held = await partner.get(path, headers={"If-None-Match": etag})
        assert held.status_code == 304 and len(builds) == 1  # sent again, not built
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        await feeds.forget_served()
        # another process claims the next build at once: the calendar sent again is still
        # not sent, there is nothing from before the purge to send meanwhile, so it is built
        app_clock.advance(timedelta(seconds=1))
        await _claimed_elsewhere(token["id"])
        purged = await partner.get(path, headers={"If-None-Match": etag})
        assert purged.status_code == 200 and purged.headers["etag"] != etag
        assert len(builds) == 2
        # and the calendar this process built: not sent after the purge either
        app_clock.advance(timedelta(seconds=1))
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        await feeds.forget_served()
        again = await partner.get(path, headers={"If-None-Match": purged.headers["etag"]})
        assert again.status_code == 200 and again.headers["etag"] != purged.headers["etag"]
        assert len(builds) == 3


def test_which_kept_calendars_the_link_withdraws():
    """``_withdrawn``, read off the link: a calendar built here or copied goes once another
    build begun later is recorded or the GDPR purge has run since it began; one sent again
    goes once it is no longer the calendar last served."""
    began = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    done = asyncio.new_event_loop().create_future()
    own = feeds.Build(began, feeds.FeedVersion('"a"', began), done)
    again = feeds.Build(began + timedelta(seconds=30), feeds.FeedVersion('"a"', began), done,
                        again=True)
    second = timedelta(seconds=1)
    assert not feeds._withdrawn({"served_etag": '"a"', "served_at": began}, own)
    assert not feeds._withdrawn({"served_etag": '"b"', "served_at": began - second}, own)
    assert feeds._withdrawn({"served_etag": '"b"', "served_at": began + second}, own)
    assert feeds._withdrawn({"served_etag": "", "served_at": began + second}, own)  # forgotten
    assert not feeds._withdrawn({"served_etag": "", "served_at": None}, own)  # never served
    assert not feeds._withdrawn({"served_etag": '"a"', "served_at": began}, again)
    assert feeds._withdrawn({"served_etag": '"b"', "served_at": began + second}, again)
    assert feeds._withdrawn({"served_etag": "", "served_at": began + second}, again)
    # read under another purge stamp than the link's as read now (the GDPR purge replaced
    # it): withdrawn whatever the moments say, the purge's noted before the build began
    purged = {"served_etag": "", "served_at": began - second, "ps": "after"}
    under = replace(own, version=feeds.FeedVersion('"a"', began, "before"))
    assert feeds._withdrawn(purged, under) and feeds._withdrawn(purged, replace(under, again=True))
    assert not feeds._withdrawn({**purged, "ps": "before"}, under)
    done.get_loop().close()


async def _a_link_and_a_calendar(token_hash: str) -> tuple[dict, bytes, asyncio.Future[bytes]]:
    """A partner feed's link as a fetch read it (nothing served yet), and a built calendar."""
    [token] = await FeedToken.insert(FeedToken(kind="partner_organisation", target_id=1,
                                               token_hash=token_hash))
    body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    done = asyncio.get_running_loop().create_future()
    done.set_result(body)
    return {"id": token["id"], "served_etag": ""}, body, done


async def test_a_build_begun_before_the_gdpr_purge_is_never_noted_whatever_the_clocks():
    """A build whose version was read before the purge replaced its stamp may hold a family
    as it was: it is not noted on the link nor kept as its copy, though it began after the
    purge by the purge host's clock (a minute behind this one). A build under the stamp as
    it is now is noted."""
    row, body, done = await _a_link_and_a_calendar("d" * 64)
    began = app_clock.now()
    before = await _version('"før"', began)
    app_clock.advance(timedelta(minutes=-1))  # the purge of a family, on a host a minute behind
    await feeds.forget_served()
    app_clock.advance(timedelta(minutes=1))
    await feeds.record_served(row, feeds.Build(began, before, done), body)
    [link] = await FeedToken.select().where(FeedToken.id == row["id"])
    assert link["served_etag"] == "" and await FeedCopy.count() == 0
    after = await _version('"efter"', began + timedelta(seconds=1))
    await feeds.record_served(row, feeds.Build(began + timedelta(seconds=1), after, done), body)
    [link] = await FeedToken.select().where(FeedToken.id == row["id"])
    assert link["served_etag"] == '"efter"' and await FeedCopy.count() == 1


async def test_a_note_begun_while_a_family_is_purged_waits_for_the_purge():
    """A build noted while a family's purge is under way (its transaction open) waits for
    it, then reads the stamp the purge commits, so a calendar read before is not noted,
    though it began after the purge by the purge host's clock (a minute behind)."""
    row, body, done = await _a_link_and_a_calendar("c" * 64)
    async with db.transaction():  # the purge's stamp exists, as the purge makes sure
        await revisions.replace_purge_stamp()
    began = app_clock.now()
    before = await _version('"før"', began)
    under_way, finish = asyncio.Event(), asyncio.Event()

    async def purge() -> None:
        app_clock.advance(timedelta(minutes=-1))  # a host a minute behind
        async with db.transaction():
            await feeds.forget_served()
            under_way.set()
            await finish.wait()
        app_clock.advance(timedelta(minutes=1))

    purging = asyncio.create_task(purge())
    try:
        await asyncio.wait_for(under_way.wait(), 10)
        noting = asyncio.create_task(feeds.record_served(row, feeds.Build(began, before, done),
                                                         body))
        await asyncio.sleep(0.3)
        assert not noting.done()  # waits for the purge
    finally:
        finish.set()  # the purge's transaction never stays open for the tests after
        await purging
    await asyncio.wait_for(noting, 10)
    [link] = await FeedToken.select().where(FeedToken.id == row["id"])
    assert link["served_etag"] == "" and await FeedCopy.count() == 0


async def test_a_calendar_followed_by_a_later_recorded_build_is_not_sent_again(builds):
    """A calendar this process built or sent again is dropped once the link shows another
    calendar recorded since: the newer one is sent, not the one held."""
    async with _settling_feed() as (partner, path, etag, day):
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        began = token["served_at"]
        await _built_elsewhere(token)
        app_clock.advance(timedelta(seconds=61))
        held = await partner.get(path, headers={"If-None-Match": etag})
        assert held.status_code == 304 and len(builds) == 1  # the builder's first seconds
        later = began + timedelta(seconds=1)  # another process's build, begun after ours
        await FeedToken.update({FeedToken.building_since: later}).where(FeedToken.id == token["id"])
        body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        done = asyncio.get_running_loop().create_future()
        done.set_result(body)
        await feeds.record_served({"id": token["id"], "served_etag": etag},
                                  feeds.Build(later, await _version('"andet"', later), done), body)
        newer = await partner.get(path, headers={"If-None-Match": etag})
        assert newer.status_code == 200 and newer.headers["etag"] == '"andet"'
        assert newer.content == body and len(builds) == 1


async def test_the_process_that_built_the_calendar_last_served_builds_the_next_at_once(builds):
    """At the settle time the process whose build was the one recorded claims the next
    build at once, while another process's claim that was never recorded holds nobody
    back past the claim's own rules."""
    async with _settling_feed() as (partner, path, etag, day):
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        assert token["building_by"] == feeds.process_key()
        row = {**token, "building_by": "another process"}
        settings = conftest.test_settings(feed_settle_seconds=60)
        recorded = token["served_at"]
        assert feeds.builder_first(row, recorded + timedelta(seconds=69), settings)
        assert not feeds.builder_first(row, recorded + timedelta(seconds=70), settings)
        assert not feeds.builder_first(token, recorded + timedelta(seconds=61), settings)
        unrecorded = {**row, "building_since": recorded + timedelta(seconds=1)}
        assert not feeds.builder_first(unrecorded, recorded + timedelta(seconds=61), settings)
        built_by_another = {**row, "building_since": recorded - timedelta(seconds=1)}
        assert not feeds.builder_first(built_by_another, recorded + timedelta(seconds=61), settings)
        no_settling = conftest.test_settings(feed_settle_seconds=0)
        assert not feeds.builder_first(row, recorded, no_settling)
        app_clock.advance(timedelta(seconds=61))
        moved = await partner.get(path, headers={"If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        assert len(builds) == 2


@pytest.fixture
def gated_builds(builds, monkeypatch) -> asyncio.Event:
    """Feed builds that wait for the event returned (set: every build runs at once)."""
    gate = asyncio.Event()
    gate.set()
    counted = feeds._build

    async def gated(row, now, settings):
        started = asyncio.ensure_future(counted(row, now, settings))  # counted as it starts
        await gate.wait()
        return await started

    monkeypatch.setattr(feeds, "_build", gated)
    return gate


async def _until(condition) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached")


async def test_a_fetch_behind_a_build_of_its_own_process_gets_the_calendar_last_served(
        builds, gated_builds):
    """A fetch that finds its own process building the feed is not held up by the build: it
    gets the calendar last served (304 to a client holding it), on the terms of another
    process's build: the fetch that began the build waits for it and records it; once the
    calendar last served is BUILD_WAIT_SECONDS past its settle time, or after the GDPR
    purge has blanked the link, a fetch waits for the build."""
    async with _settling_feed() as (partner, path, etag, day):
        app_clock.advance(timedelta(seconds=61))
        gated_builds.clear()
        first = asyncio.ensure_future(partner.get(path, headers={"If-None-Match": etag}))
        await _until(lambda: len(builds) == 2)
        held = await asyncio.wait_for(partner.get(path, headers={"If-None-Match": etag}), 10)
        assert held.status_code == 304 and held.headers["etag"] == etag
        copy = await asyncio.wait_for(partner.get(path), 10)
        assert copy.status_code == 200 and copy.headers["etag"] == etag
        assert not first.done() and len(builds) == 2  # no second build meanwhile
        gated_builds.set()
        moved = await first
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        [token] = await FeedToken.select().where(FeedToken.served_etag == moved.headers["etag"])
        assert (await partner.get(path)).headers["etag"] == moved.headers["etag"]

        # another process records a newer calendar while this one builds: that one is sent
        app_clock.advance(timedelta(seconds=61))
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        gated_builds.clear()
        began = asyncio.ensure_future(partner.get(path))
        await _until(lambda: len(builds) == 3)
        theirs = feeds.Build(app_clock.now(), await _version('"andet"', app_clock.now()),
                             asyncio.get_running_loop().create_future())
        theirs.body.set_result(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        await feeds.record_served({"id": token["id"]}, theirs, theirs.body.result())
        other = await asyncio.wait_for(partner.get(path), 10)
        assert other.headers["etag"] == '"andet"' and other.content == theirs.body.result()
        gated_builds.set()
        moved = await began

        # one wait past the settle time of the calendar last served: the fetch waits
        app_clock.advance(timedelta(seconds=61))
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        gated_builds.clear()
        began = asyncio.ensure_future(partner.get(path))
        await _until(lambda: len(builds) == 4)
        app_clock.advance(timedelta(seconds=feeds.BUILD_WAIT_SECONDS))
        late = asyncio.ensure_future(partner.get(path, headers={"If-None-Match": etag}))
        await asyncio.sleep(0.2)
        assert not late.done() and not began.done()
        gated_builds.set()
        newest = (await began).headers["etag"]
        assert (await late).headers["etag"] == newest != moved.headers["etag"]

        # after the purge: nothing from before it is sent while the build runs
        app_clock.advance(timedelta(seconds=61))
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        await feeds.forget_served()
        gated_builds.clear()
        began = asyncio.ensure_future(partner.get(path))
        await _until(lambda: len(builds) == 5)
        purged = asyncio.ensure_future(partner.get(path, headers={"If-None-Match": newest}))
        await asyncio.sleep(0.2)
        assert not purged.done()
        gated_builds.set()
        assert (await purged).headers["etag"] == (await began).headers["etag"] != newest


async def test_the_calendar_last_served_is_sent_meanwhile_only_while_its_copy_is_kept_and_young(
        builds, gated_builds, monkeypatch):
    """While this process builds, the calendar it holds is sent only while its copy is still
    kept with the link (the purge deletes the copies), and a copy that took until past the
    bound to read is not sent: the fetch waits for the build."""
    async with _settling_feed() as (partner, path, etag, day):
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        app_clock.advance(timedelta(seconds=61))
        gated_builds.clear()
        began = asyncio.ensure_future(partner.get(path))
        await _until(lambda: len(builds) == 2)
        assert (await asyncio.wait_for(partner.get(path), 10)).headers["etag"] == etag
        await FeedCopy.delete().where(FeedCopy.token == token["id"])
        unkept = asyncio.ensure_future(partner.get(path, headers={"If-None-Match": etag}))
        await asyncio.sleep(0.2)
        assert not unkept.done()
        gated_builds.set()
        newest = (await began).headers["etag"]
        assert (await unkept).headers["etag"] == newest != etag

        # a copy read so slowly that the bound has passed by when it arrives
        app_clock.advance(timedelta(seconds=61))
        await Meeting.update({Meeting.updated_at: app_clock.now()}, force=True)
        gated_builds.clear()
        began = asyncio.ensure_future(partner.get(path))
        await _until(lambda: len(builds) == 3)
        feeds._builds.peek(token["id"]).before = None  # nothing held: the copy is read
        real_copy = feeds._copy

        async def slow_copy(token_id, wanted):
            app_clock.advance(timedelta(seconds=feeds.BUILD_WAIT_SECONDS))
            return await real_copy(token_id, wanted)

        monkeypatch.setattr(feeds, "_copy", slow_copy)
        slow = asyncio.ensure_future(partner.get(path, headers={"If-None-Match": newest}))
        await asyncio.sleep(0.2)
        assert not slow.done()
        gated_builds.set()
        assert (await slow).headers["etag"] == (await began).headers["etag"] != newest


async def test_a_build_not_recorded_is_still_sent(builds, monkeypatch, caplog):
    """A calendar whose recording failed (a write lock not had in time) is sent all the
    same: recording lets the other processes share it; the failure is logged."""
    async def fails(*args):
        raise RuntimeError("no write lock")

    async with _settling_feed() as (partner, path, etag, day):
        app_clock.advance(timedelta(seconds=61))
        monkeypatch.setattr(feeds, "record_served", fails)
        feeds.log.addHandler(caplog.handler)  # the app's loggers do not reach the root's
        try:
            moved = await partner.get(path)
        finally:
            feeds.log.removeHandler(caplog.handler)
        assert moved.status_code == 200 and moved.headers["etag"] != etag
        assert "was not recorded" in caplog.text


async def test_a_build_records_itself_though_the_fetch_that_began_it_has_gone(builds,
                                                                             gated_builds):
    """The calendar of a build whose fetch went away (the client hung up) is still recorded
    on the link, so the other processes send it rather than build it again."""
    async with _settling_feed() as (partner, path, etag, day):
        app_clock.advance(timedelta(seconds=61))
        gated_builds.clear()
        [token] = await FeedToken.select().where(FeedToken.served_etag == etag)
        gone = asyncio.ensure_future(partner.get(path))
        await _until(lambda: len(builds) == 2)
        gone.cancel()
        gated_builds.set()

        async def recorded() -> str:
            row = await FeedToken.select().where(FeedToken.id == token["id"]).first()
            return row["served_etag"]

        for _ in range(2000):
            if await recorded() != etag:
                break
            await asyncio.sleep(0.01)
        newest = await recorded()
        assert newest != etag
        cache.clear_all()  # another process: it sends the copy recorded, and builds nothing
        sent = await partner.get(path)
        assert sent.headers["etag"] == newest and len(builds) == 2


async def test_a_slow_build_finishing_late_never_replaces_a_newer_one():
    """Two processes build a link's calendar: the one whose build began later is the one
    kept with the link, whichever finishes last; a build begun before the GDPR purge forgot
    what was served is not kept after it; a link revoked meanwhile keeps no copy."""
    [token] = await FeedToken.insert(FeedToken(kind="partner_organisation", target_id=1,
                                               token_hash="e" * 64))
    row = {"id": token["id"], "served_etag": ""}  # as both fetches read the link
    began = app_clock.now()
    shared = await _purge_stamp()

    def build(at, etag, body):
        done = asyncio.get_running_loop().create_future()
        done.set_result(body)
        return feeds.Build(at, feeds.FeedVersion(etag, at, shared), done)

    again = build(began + timedelta(seconds=9), '"igen"', b"igen")
    await feeds.record_served(row, feeds.Build(again.at, again.version, again.body, again=True),
                              b"igen")  # served again while another process builds: not noted
    assert await FeedCopy.count() == 0
    newer = build(began + timedelta(seconds=2), '"ny"', b"ny kalender")
    older = build(began, '"gammel"', b"gammel kalender")
    await feeds.record_served(row, newer, b"ny kalender")
    await feeds.record_served(row, older, b"gammel kalender")  # the slow one, finishing last
    kept = await FeedToken.select().where(FeedToken.id == token["id"]).first()
    [copy] = await FeedCopy.select()
    assert kept["served_etag"] == copy["etag"] == '"ny"' and bytes(copy["body"]) == b"ny kalender"
    # the GDPR purge forgets what was served: a build begun before it is never noted after it
    await feeds.forget_served()
    purged = {"id": token["id"], "served_etag": ""}
    await feeds.record_served(purged, build(app_clock.now() - timedelta(seconds=1), '"før"', b"x"),
                              b"x")
    assert await FeedCopy.count() == 0
    shared = await _purge_stamp()  # a version read after the purge
    await feeds.record_served(purged, build(app_clock.now() + timedelta(seconds=1), '"efter"',
                                            b"efter"), b"efter")
    [copy] = await FeedCopy.select()
    assert copy["etag"] == '"efter"'
    await feeds.revoke(await factories.user("leder"), token["id"])
    await feeds.record_served(row, build(app_clock.now() + timedelta(seconds=5), '"sidst"', b"x"),
                              b"x")
    assert await FeedCopy.count() == 0


@pytest.mark.parametrize("path", ["/feeds/forkert.ics", "/feeds/" + "a" * 43 + ".ics", "/feeds/abc"])
async def test_unknown_feed_is_404(client, path):
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize("role, status", [("socialraadgiver", 200), ("leder", 200),
                                          ("kontaktperson", 404), ("admin", 404), ("samordner", 404)])
async def test_feed_page_roles(client, role, status):
    await factories.login(client, await factories.user(role))
    assert (await client.get("/feeds/")).status_code == status


async def test_user_feed_holds_own_meetings_without_protected_places(client, other_client):
    s = await support.scenario()
    await support.send(s)
    path = await create_feed(client, s.worker, "user", s.worker.id, "Mine møder")
    body = (await other_client.get(path)).content.decode()
    assert "BEGIN:VEVENT" in body
    assert not safety.scan_for_leaks(body, [support.CENTRE_ADDRESS, support.CENTRE_NAME,
                                            support.MOTHER_ADDRESS, "Emma Marie Hansen"])


async def test_series_rrule_and_exdate_across_dst(client, other_client, radicale):
    worker = await factories.user("socialraadgiver")
    start = datetime(2026, 3, 12, 10, 0, tzinfo=CPH)  # CET; summer time starts 29 March
    team = await feeds.upsert_series("team_meeting", "Teammøde", "FREQ=WEEKLY;INTERVAL=2", start, 90,
                                     "Familieafdelingen, lokale 3")
    await feeds.cancel_occurrence(team, datetime(2026, 4, 9, 10, 0, tzinfo=CPH))
    yearly = await feeds.upsert_series("cooperation", "Årligt samarbejdsmøde", "FREQ=YEARLY",
                                       datetime(2026, 10, 20, 13, 0, tzinfo=CPH), 120)
    path = await create_feed(client, worker, "series", team, "Teammøde")
    calendar = Calendar.from_ical((await other_client.get(path)).content)
    occurrences = recurring_ical_events.of(calendar).between(date(2026, 3, 1), date(2026, 5, 15))
    starts = [o.decoded("DTSTART").astimezone(CPH) for o in occurrences]
    assert [d.date() for d in starts] == [date(2026, 3, 12), date(2026, 3, 26), date(2026, 4, 23),
                                          date(2026, 5, 7)]
    assert {(d.hour, d.minute) for d in starts} == {(10, 0)}  # same wall time in CET and CEST
    assert {d.utcoffset() for d in starts} == {timedelta(hours=1), timedelta(hours=2)}

    annual_path = await create_feed(client, worker, "series", yearly, "Samarbejde")
    annual = Calendar.from_ical((await other_client.get(annual_path)).content)
    years = recurring_ical_events.of(annual).between(date(2026, 1, 1), date(2030, 1, 1))
    assert [(o.decoded("DTSTART").astimezone(CPH).year, o.decoded("DTSTART").astimezone(CPH).hour)
            for o in years] == [(2026, 13), (2027, 13), (2028, 13), (2029, 13)]

    collection = radicale.mkcalendar("serier")
    for ics in (calendar, annual):
        for uid, body in itip_to_resources(ics.to_ical()).items():
            href = radicale.href(collection, uid)
            radicale.put(href, body)
            stored, _ = radicale.get(href)
            got, sent = Calendar.from_ical(stored).walk("VEVENT")[0], Calendar.from_ical(body).walk("VEVENT")[0]
            assert str(got["RRULE"].to_ical()) == str(sent["RRULE"].to_ical())
            assert got.get("EXDATE") is None or [d.dt for d in got["EXDATE"].dts] == [
                d.dt for d in sent["EXDATE"].dts]


def _all_text(raw: str) -> str:
    message = message_from_string(raw, policy=policy.default)
    return support.invites.message_text(message)


async def test_leak_nothing_for_the_father_reveals_the_mother_or_others(client, other_client):
    s = await support.scenario()
    await support.send(s)
    meeting = await s.meeting()
    parts = await support.meetings.parts_of(s.meeting_id)
    day = support.working_day(30)
    await support.meetings.set_times(s.worker, meeting, ANY_VERSION,
                                     {parts[0]["key"]: (support.at(day, 13), support.at(day, 14))})
    await support.meetings.change_status(s.worker, await s.meeting(), ANY_VERSION, "cancelled")
    rows = [r for r in await support.outbox(s.meeting_id) if r["recipient_email"] == "far@example.net"]
    assert [r["kind"] for r in rows] == ["REQUEST", "REQUEST", "CANCEL"]
    forbidden = [support.CENTRE_ADDRESS, support.CENTRE_NAME, support.MOTHER_ADDRESS, "Hemmelig Vej",
                 "Maria Hansen", "mor@example.net", "70 10 11 12", "Lars Lærer",
                 "laerer@skole.example.org", "Sara Rådgiver", "sara@kommune.example.org",
                 "Emma Marie Hansen", "Østre Skole"]
    for row in rows:
        text = _all_text(row["message"])
        assert safety.scan_for_leaks(text, forbidden) == [], row["kind"]
        assert safety.scan_for_leaks(row["message"], forbidden) == []
        assert "far@example.net" in text  # the check sees the message at all
    # the father's answer page, reached through his own link
    message = message_from_string(rows[0]["message"], policy=policy.default)
    link = re.search(r"https://testserver\.local(/svar/\S+)", message.get_body(("plain",)).get_content())
    await support.meetings.Meeting.update({support.meetings.Meeting.status: "invited"}).where(
        support.meetings.Meeting.id == s.meeting_id)
    page = await other_client.get(link.group(1))
    assert page.status_code == 200 and "Netværksmøde" in page.text
    assert safety.scan_for_leaks(page.text, forbidden) == []
    # partner feed of the school: the crisis centre and the mother's address never appear
    path = await create_feed(client, await factories.user("leder"), "partner_organisation", await school_id())
    feed = (await other_client.get(path)).text
    assert safety.scan_for_leaks(feed, [support.CENTRE_ADDRESS, support.CENTRE_NAME,
                                        support.MOTHER_ADDRESS, "mor@example.net"]) == []


async def test_organiser_ics_download_is_audited_and_redacted_for_the_organiser(client):
    s = await support.scenario()
    await factories.login(client, s.worker)
    response = await client.get(f"/meetings/{s.meeting_id}/invitation.ics")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="invitation.ics"'
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert "Emma Marie Hansen" in str(event["SUMMARY"])  # the organiser may see everything
    assert await AuditEvent.exists().where((AuditEvent.entity == "invitation (.ics)")
                                           & (AuditEvent.username == s.worker.username))


@pytest.mark.parametrize("who,kind,target,status", [
    ("socialraadgiver", "partner_organisation", "school", 403),    # partner feeds are a leader's
    ("leder", "partner_organisation", "centre", 403),               # never the protected place
    ("leder", "user", "colleague", 403),                             # a colleague makes her own
    ("socialraadgiver", "user", "colleague", 403),
])
async def test_feeds_nobody_may_read_through_are_refused(client, who, kind, target, status):
    """A feed that would show its maker (or its reader) what the app refuses them is not
    created, and nothing is stored."""
    s = await support.scenario()
    await support.send(s)
    centre = (await Organisation.select(Organisation.id).where(
        Organisation.location_protected == True).first())["id"]  # noqa: E712
    targets = {"school": await school_id(), "centre": centre, "colleague": s.worker.id}
    user = await factories.user(who)
    await factories.login(client, user)
    field = {"partner_organisation": "organisation", "user": "user"}[kind]
    response = await factories.post_form(client, "/feeds/", {"kind": kind, field: str(targets[target]),
                                                             "label": "Forsøg"}, page="/feeds/")
    assert response.status_code == status
    assert not await FeedToken.exists()


async def test_the_feed_form_offers_partner_feeds_to_leaders_only(app, client):
    worker = await factories.user("socialraadgiver")
    await factories.login(client, worker)
    assert 'value="partner_organisation"' not in (await client.get("/feeds/")).text
    async with conftest.http_client(app) as other:
        await factories.login(other, await factories.user("leder"))
        assert 'value="partner_organisation"' in (await other.get("/feeds/")).text


# ------------------------------------------------------------------ what clients notice

def _one_charset(content_type: str) -> bool:
    return content_type.lower().count("charset") == 1 and content_type.lower().startswith("text/calendar")


async def test_feed_and_download_name_exactly_one_charset(client, other_client):
    s = await support.scenario()
    await support.send(s)
    path = await create_feed(client, s.worker, "user", s.worker.id, "Mine møder")
    feed = await other_client.get(path)
    assert feed.status_code == 200 and _one_charset(feed.headers["content-type"]), feed.headers["content-type"]
    download = await client.get(f"/meetings/{s.meeting_id}/invitation.ics")
    assert download.status_code == 200
    assert _one_charset(download.headers["content-type"]), download.headers["content-type"]


async def test_head_on_a_feed_answers_as_get_without_a_body(client, other_client):
    s = await support.scenario()
    await support.send(s)
    path = await create_feed(client, s.worker, "user", s.worker.id, "Mine møder")
    got = await other_client.get(path)
    head = await other_client.head(path)
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "content-type", "cache-control", "content-disposition"):
        assert head.headers[name] == got.headers[name], name
    assert int(head.headers["content-length"]) == len(got.content)
    assert _one_charset(head.headers["content-type"])
    # conditional requests, HEAD and GET alike
    for method in (other_client.head, other_client.get):
        assert (await method(path, headers={"If-None-Match": got.headers["etag"]})).status_code == 304
        assert (await method(path, headers={"If-Modified-Since": got.headers["last-modified"]})).status_code == 304
        assert (await method(path, headers={"If-None-Match": '"other"'})).status_code == 200
    assert (await other_client.head("/feeds/forkert.ics")).status_code == 404


async def test_an_open_series_feed_gives_every_instance_its_offset(client, other_client):
    """The feed's VTIMEZONE, read as written (not looked up by its TZID), puts every instance
    of an open-ended series at the same wall time as tzdata does, also after 2038."""
    worker = await factories.user("socialraadgiver")
    series = await feeds.upsert_series("team_open", "Teammøde", "FREQ=WEEKLY;INTERVAL=2",
                                       datetime(2026, 3, 12, 10, 0, tzinfo=CPH), 90)
    path = await create_feed(client, worker, "series", series, "Teammøde")
    calendar = Calendar.from_ical((await other_client.get(path)).content)
    [vtimezone] = calendar.walk("VTIMEZONE")
    as_written = vtimezone.to_tz(lookup_tzid=False)
    instances = recurring_ical_events.of(calendar).between(date(2026, 1, 1), date(2061, 1, 1))
    assert len(instances) > 800
    wrong = [i.decoded("DTSTART") for i in instances
             if i.decoded("DTSTART").replace(tzinfo=None).replace(tzinfo=as_written).utcoffset()
             != i.decoded("DTSTART").utcoffset()]
    assert wrong == []


async def test_a_feed_fetch_sets_no_cookie_and_the_feed_page_stays_protected(client, other_client):
    """Calendar programs keep no cookies: a fetch (200, 304, HEAD, 404) is answered without
    one, a browser's session cookie sent along changes nothing, and the pages that manage
    feed links keep their CSRF protection."""
    s = await support.scenario()
    await support.send(s)
    path = await create_feed(client, s.worker, "user", s.worker.id, "Mine møder")
    got = await other_client.get(path)
    assert got.status_code == 200 and "set-cookie" not in got.headers
    for response in (await other_client.get(path, headers={"If-None-Match": got.headers["etag"]}),
                     await other_client.head(path), await other_client.get("/feeds/forkert.ics"),
                     await client.get(path)):
        assert "set-cookie" not in response.headers, response.status_code
    assert (await client.get(path)).content == got.content  # the same calendar with a session
    # the link management is not exempt: a revoke without the CSRF token is refused
    token_id = (await FeedToken.select(FeedToken.id).first())["id"]
    refused = await client.post(f"/feeds/{token_id}/revoke")
    assert refused.status_code == 403
    assert (await other_client.get(path)).status_code == 200


async def test_a_meeting_is_redacted_for_feeds_once_per_input_and_again_when_it_changes(monkeypatch):
    """Feeds keep each meeting's redacted events under a digest of everything the redaction
    reads: an unchanged meeting is not redacted again, and any change to what it reads –
    here a protected fact that appears in its description – is redacted afresh."""
    s = await support.scenario()
    await support.send(s)
    cache.clear_all()
    data = await invites.load_meeting(s.meeting_id)
    data = replace(data, safety_meeting=replace(data.safety_meeting,
                                                description="Vi mødes ved Lyngvej 3 i Hammel."))
    wanted = {s.meeting_id: {part.key for part in data.parts}}
    first_stamp = datetime(2026, 1, 5, 8, tzinfo=CPH)
    first = feeds._redacted([data], wanted, first_stamp, conftest.test_settings())
    assert first and all("Lyngvej 3" in event.description for event in first)
    assert all(event.dtstamp == first_stamp for event in first)

    calls = 0
    original = feeds.redact.events_for_feed

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(feeds.redact, "events_for_feed", counting)
    later = datetime(2026, 1, 5, 9, tzinfo=CPH)
    again = feeds._redacted([data], wanted, later, conftest.test_settings())
    assert calls == 0  # the same input: kept
    assert [replace(e, dtstamp=first_stamp) for e in again] == first
    assert all(event.dtstamp == later for event in again)  # stamped with this build's time
    protected_now = replace(data, safety_meeting=replace(
        data.safety_meeting,
        sensitive_terms=(*data.safety_meeting.sensitive_terms, "Lyngvej 3, 8450 Hammel")))
    changed = feeds._redacted([protected_now], wanted, later, conftest.test_settings())
    assert calls == 1  # a new protected fact is a new input
    assert changed and all("Lyngvej" not in event.description for event in changed)


async def test_a_place_marked_protected_later_leaves_the_feeds_at_the_next_build(client, other_client):
    """Organisations and rooms are shared data: marking the meeting's place as a protected
    place changes every feed's version (the shared content stamp), so a partner's calendar
    client holding the old copy gets the feed again, without the place."""
    s = await support.scenario()
    [hall] = await Organisation.insert(Organisation(name="Bydelshuset Nordlys", kind="other",
                                                    sector="other"))
    await Meeting.update({Meeting.location_organisation: hall["id"], Meeting.location: ""}).where(
        Meeting.id == s.meeting_id)
    await support.send(s)
    path = await create_feed(client, await factories.user("leder"), "partner_organisation",
                             await school_id(), "Østre Skole")
    first = await other_client.get(path)
    [event] = Calendar.from_ical(first.content).walk("VEVENT")
    assert "Bydelshuset Nordlys" in str(event["LOCATION"])
    etag = first.headers["etag"]
    assert (await other_client.get(path, headers={"If-None-Match": etag})).status_code == 304
    await Organisation.update({Organisation.location_protected: True}).where(
        Organisation.id == hall["id"])
    again = await other_client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag
    assert b"Nordlys" not in again.content


@pytest.mark.parametrize("place", ["organisation", "room", "named in a text", "added as protected"])
async def test_a_place_marked_protected_is_not_sent_again_within_the_settle_time(place):
    """Calendars are kept for a minute (``FEED_SETTLE_SECONDS``) and answered 304 while they
    are the latest: once a place is protected (an organisation marked a protected place, a
    room as at the crisis centre, or added to the directory as one), no fetch gets the
    calendar that named it, as the meeting's place or in its text: not by its ETag, not by
    If-Modified-Since alone, not from the copy kept with the link (``invites/withdrawal.py``)."""
    from coordinator.app import create_app

    s = await support.scenario()
    row = None
    if place in ("organisation", "named in a text"):
        [row] = await Organisation.insert(Organisation(name="Bydelshuset Nordlys", kind="other",
                                                       sector="other", address="Lysvej 4"))
    if place == "organisation":
        await Meeting.update({Meeting.location_organisation: row["id"], Meeting.location: ""}
                             ).where(Meeting.id == s.meeting_id)
    elif place == "room":
        [row] = await Room.insert(Room(name="Samtalerummet", location="Bydelshuset Nordlys, Lysvej 4"))
        await Meeting.update({Meeting.room: row["id"], Meeting.location: ""}).where(
            Meeting.id == s.meeting_id)
    else:  # the meeting is at the town hall; its text names the place
        await Meeting.update({Meeting.description: "Bagefter går vi til Bydelshuset Nordlys."}
                             ).where(Meeting.id == s.meeting_id)
    await support.send(s)
    app_clock.pin(app_clock.now())
    app = create_app(conftest.test_settings(feed_settle_seconds=60))
    async with conftest.http_client(app) as leader_client, conftest.http_client(app) as partner:
        path = await create_feed(leader_client, await factories.user("leder"),
                                 "partner_organisation", await school_id(), "Østre Skole")
        first = await partner.get(path)
        assert b"Nordlys" in first.content
        if place == "room":
            await Room.update({Room.at_crisis_centre: True}).where(Room.id == row["id"])
        elif place == "added as protected":
            await Organisation.insert(Organisation(name="Bydelshuset Nordlys", kind="other",
                                                   sector="other", location_protected=True))
        else:
            await Organisation.update({Organisation.location_protected: True}).where(
                Organisation.id == row["id"])
        for headers in ({"If-None-Match": first.headers["etag"]},
                        {"If-Modified-Since": first.headers["last-modified"]}, {}):
            again = await partner.get(path, headers=headers)
            assert again.status_code == 200, headers
            assert b"Nordlys" not in again.content and b"Lysvej" not in again.content, headers
        # a second withdrawal, with no meeting changed between: a later moment again
        held = again.headers["last-modified"]
        await Organisation.insert(Organisation(name="Et andet sted", kind="other",
                                               sector="other", location_protected=True))
        assert (await partner.get(path, headers={"If-Modified-Since": held})).status_code == 200
    cache.clear_all()


async def test_the_address_of_a_room_at_the_crisis_centre_never_reaches_a_partner(client, other_client):
    """A crisis-centre room's address is a protected fact wherever it is written (as on the
    meeting page), also in a meeting that is not booked in that room."""
    s = await support.scenario()
    await Room.insert(Room(name="Samtalerummet", location="Skovbrynet 12, 8000 Aarhus C",
                           at_crisis_centre=True))
    await Meeting.update({Meeting.description: "Bagefter går vi over på Skovbrynet 12."}).where(
        Meeting.id == s.meeting_id)
    await support.send(s)
    path = await create_feed(client, await factories.user("leder"), "partner_organisation",
                             await school_id(), "Østre Skole")
    feed = await other_client.get(path)
    assert feed.status_code == 200 and b"Bagefter" in feed.content
    assert b"Skovbrynet" not in feed.content
    # the teacher's invitation, read as he reads it (the mother, who stays at the centre,
    # and the socialrådgiver may know where it is)
    sent = await OutboxMessage.select().where(
        (OutboxMessage.meeting == s.meeting_id)
        & (OutboxMessage.recipient_email == "laerer@skole.example.org"))
    assert sent
    for message in sent:
        text = invites.message_text(message_from_string(message["message"], policy=policy.default))
        assert "Bagefter" in text and "Skovbrynet" not in text, message["recipient_email"]


async def test_the_form_sent_again_makes_no_second_live_link(client):
    """A reload of the page that showed the new secret sends the form again: refused, so no
    second live link with the same name exists; a new name, or after revoking, is fine."""
    worker = await factories.user()
    first = await create_feed(client, worker, "user", worker.id, "Min kalender")
    again = await factories.post_form(client, "/feeds/", {"kind": "user", "user": str(worker.id),
                                                          "label": "Min kalender"}, page="/feeds/")
    assert again.status_code == 409 and "allerede et kalenderlink" in again.text
    assert await FeedToken.count().where(FeedToken.created_by == worker.id) == 1
    assert first != await create_feed(client, worker, "user", worker.id, "Telefonen")


async def test_the_form_offers_what_she_may_make_and_names_its_own_fields(client):
    """A socialrådgiver may not make a partner's feed: no partner picker on her form. A
    refusal names the field as the form labels it."""
    await factories.login(client, await factories.user())
    page = (await client.get("/feeds/")).text
    assert 'for="organisation"' not in page and 'for="series"' in page
    refused = await factories.post_form(client, "/feeds/", {"kind": "series", "series": "",
                                                            "label": "Team"}, page="/feeds/")
    assert refused.status_code == 422 and "»Mødeserie«" in refused.text
    await factories.login(client, await factories.user("leder"))
    assert 'for="organisation"' in (await client.get("/feeds/")).text
