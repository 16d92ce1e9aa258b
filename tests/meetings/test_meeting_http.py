"""The meeting page over HTTP: network and status meetings, participants, safety warnings
before sending, approvals, the slot finder, the lifecycle, conflicts and access."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordinator import web
from coordinator.meetings import planner
from coordinator.audit.tables import AuditEvent
from coordinator.meetings.tables import (
    Meeting,
    MeetingChange,
    MeetingPart,
    Participant,
    ParticipantPart,
    SafetyApproval,
)
from tests import factories as f
from tests.meetings import support as s


async def _meeting(client, family_id, kind="netvaerksmoede", **times):
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": kind, "title": "Netværksmøde om Emma", "location": "Rådhuset", **times},
        page=f"/families/{family_id}")
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


async def _add(client, page, **data):
    return await f.post_form(client, f"{page}/participants", data, page=page)


async def _times(day):
    return {"meeting_start": s.local(day, 10), "meeting_end": s.local(day, 12)}


async def test_network_meeting_lifecycle_and_notifications(client):
    sara = await f.user()
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    aunt = await s.person(family_id, "Bodil Moster", "relative", email="bodil@example.org")
    await f.login(client, sara)
    day = s.working_day()
    page = await _meeting(client, family_id, **await _times(day))
    for pid in (mother, aunt):
        assert (await _add(client, page, person_id=str(pid))).status_code == 303
    assert "Planlæg mødet" in (await client.get(page)).text
    for target in ("planned", "invited"):
        r = await f.post_form(client, f"{page}/status", {"target": target}, page=page)
        assert r.status_code == 303, r.text[:400]
    invited_page = (await client.get(page)).text
    # back to "planned" from "invited" is a new time, not planning from scratch
    assert "Flyt mødet (nyt tidspunkt, nye invitationer)" in invited_page
    assert "Planlæg mødet" not in invited_page
    moved = await _times(s.working_day(20))
    r = await f.post_form(client, f"{page}/times", moved, page=page)
    assert r.status_code == 303
    aunt_row = await Participant.select().where(Participant.person == aunt).first()
    r = await f.post_form(client, f"{page}/participants/{aunt_row['id']}/remove", {}, page=page)
    assert r.status_code == 303
    r = await f.post_form(client, f"{page}/status", {"target": "cancelled", "reason": "Syg"}, page=page)
    assert r.status_code == 303
    changes = await MeetingChange.select().order_by(MeetingChange.id)
    assert [c["change_kind"] for c in changes] == ["invited", "rescheduled", "participant_removed", "cancelled"]
    assert changes[2]["removed_participant_ids"] == str(aunt_row["id"])
    sequences = [c["sequence"] for c in changes]
    assert sequences == sorted(sequences) and len(set(sequences)) == 4
    page_text = (await client.get(page)).text
    assert "Aflyst" in page_text and "Bodil Moster" not in page_text.split("Deltagere")[1].split("Forløb")[0]


@pytest.mark.parametrize("end", ["9999-12-30T12:00", "next day"])
async def test_a_time_in_a_mistyped_year_or_over_days_is_refused_at_its_field(client, end):
    """A sent meeting moved to year 9999 (once a 500: the answer links' expiry overflowed),
    or to end on another day: refused at the field, the meeting as it was."""
    sara = await f.user()
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    await f.login(client, sara)
    day = s.working_day()
    page = await _meeting(client, family_id, **await _times(day))
    assert (await _add(client, page, person_id=str(mother))).status_code == 303
    for target in ("planned", "invited"):
        assert (await f.post_form(client, f"{page}/status", {"target": target},
                                  page=page)).status_code == 303
    later = next(d for d in (s.working_day(k) for k in range(20, 40))
                 if planner.is_working_day(d + timedelta(days=1)))
    moved = {"meeting_start": "9999-12-30T10:00", "meeting_end": end} if end != "next day" \
        else {"meeting_start": s.local(later, 10),
              "meeting_end": s.local(later + timedelta(days=1), 12)}
    r = await f.post_form(client, f"{page}/times", moved, page=page)
    assert r.status_code == 422
    assert ("skal ligge mellem år 2000 og 2100" in r.text
            or "mødet skal slutte samme dag, som det begynder" in r.text)
    [part] = await MeetingPart.select().where(MeetingPart.meeting == int(page.rsplit("/", 1)[1]))
    assert part["starts_at"].astimezone(web.COPENHAGEN).date() == day


async def test_keep_apart_blocks_until_approved_and_override_is_audited(client):
    sara = await f.user()
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    uncle = await s.person(family_id, "Ole Onkel", "relative", email="ole@example.org")
    await s.keep_apart(family_id, mother, uncle, "Trusler")
    await f.login(client, sara)
    page = await _meeting(client, family_id, **await _times(s.working_day()))
    await _add(client, page, person_id=str(mother))
    await _add(client, page, person_id=str(uncle))
    text = (await client.get(page)).text
    assert "skal holdes adskilt" in text and "Registrér godkendelse" in text
    await f.post_form(client, f"{page}/status", {"target": "planned"}, page=page)
    r = await f.post_form(client, f"{page}/status", {"target": "invited"}, page=page)
    assert r.status_code == 422 and "holdes adskilt" in r.text
    assert await MeetingChange.count() == 0
    assert (await Meeting.select().first())["status"] == "planned"
    r = await f.post_form(client, f"{page}/approvals", {
        "person_a": f"person:{mother}", "person_b": f"person:{uncle}", "part_key": "meeting",
        "kind": "keep_apart", "reason": "Mor ønsker onkel med; personale til stede"}, page=page)
    assert r.status_code == 303
    r = await f.post_form(client, f"{page}/status", {"target": "invited"}, page=page)
    assert r.status_code == 303
    assert [e["action"] for e in await AuditEvent.select().where(AuditEvent.action == "override")] == ["override"]


async def test_participant_without_email_blocks_email_invites(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    page = await _meeting(client, family_id, **await _times(s.working_day()))
    assert (await _add(client, page, name="Lærer Uden Mail", role="informatoer")).status_code == 303
    await f.post_form(client, f"{page}/status", {"target": "planned"}, page=page)
    r = await f.post_form(client, f"{page}/status", {"target": "invited"}, page=page)
    assert r.status_code == 422 and "ingen e-mailadresse" in r.text
    assert (await Meeting.select().first())["status"] == "planned"


async def test_crisis_centre_location_is_flagged_and_hostile_person_blocked(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await s.person(family_id, "Anna Mor", "mother", email="anna@example.org", protected_address=True)
    violent = await s.person(family_id, "Karl Ven", "private_network", email="karl@example.org",
                             used_violence=True)
    centre = await s.crisis_centre()
    await f.login(client, sara)
    page = await _meeting(client, family_id, location_organisation=str(centre),
                          **await _times(s.working_day()))
    await _add(client, page, person_id=str(violent))
    text = (await client.get(page)).text
    assert "Beskyttet adresse" in text and "krisecentret" in text


@pytest.mark.parametrize("fields,message", [
    ({"meeting_start": "2020-01-06T10:00", "meeting_end": "2020-01-06T11:00"}, "fortiden"),
    ({"meeting_start": "{d}T12:00", "meeting_end": "{d}T10:00"}, "efter starttidspunktet"),
    ({"meeting_start": "{y}-05-14T10:00", "meeting_end": "{y}-05-14T11:00"}, "Kristi himmelfartsdag"),
    ({"meeting_start": "{d}T10:00"}, "både start og slut"),
    ({"meeting_start": "i morgen", "meeting_end": "{d}T10:00"}, "skal være et tidspunkt"),
])
async def test_bad_times_are_danish_4xx_and_save_nothing(client, fields, message):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    day = s.working_day().isoformat()
    year = str(s.working_day().year + 1)
    data = {k: v.format(d=day, y=year) for k, v in fields.items()}
    if "Kristi" in message:  # Kristi himmelfartsdag 2027: 6 May; 2028: 25 May
        import datetime as dt

        from coordinator.meetings import planner
        hol = next(d for d in (dt.date(int(year), 5, 1) + dt.timedelta(days=i) for i in range(60))
                   if (planner.closed_day_reason(d) or "").endswith("Kristi himmelfartsdag"))
        data = {"meeting_start": f"{hol}T10:00", "meeting_end": f"{hol}T11:00"}
    r = await f.post_form(client, f"/families/{family_id}/meetings/", {
        "kind": "statusmoede", "title": "Status", **data}, page=f"/families/{family_id}")
    assert 400 <= r.status_code < 500 and message in r.text, r.text[:300]
    assert await Meeting.count() == 0 and await MeetingPart.count() == 0


async def test_conflict_second_writer_gets_409_with_both_versions(client, other_client):
    sara = await f.user()
    mikkel = await f.user()
    family_id = await f.family(sara, mikkel)
    await f.login(client, sara)
    await f.login(other_client, mikkel)
    page = await _meeting(client, family_id)
    version = (await Meeting.select().first())["version"]
    first = await f.post_form(client, f"{page}/details", {
        "version": str(version), "title": "Saras titel", "location": "Sal A"}, page=page)
    assert first.status_code == 303
    second = await f.post_form(other_client, f"{page}/details", {
        "version": str(version), "title": "Mikkels titel", "location": "Sal B"}, page=page)
    assert second.status_code == 409
    assert "Saras titel" in second.text and "Mikkels titel" in second.text
    # In the form's words: field labels and the status label, no counters or codes.
    assert "<th scope=\"row\">Titel</th>" in second.text
    assert "<th scope=\"row\">Mødested</th><td>Sal B</td><td>Sal A</td>" in second.text
    assert "<th scope=\"row\">Status</th><td>(ikke ændret af dig)</td><td>Kladde</td>" in second.text
    assert "sequence" not in second.text and ">version<" not in second.text
    assert ">draft<" not in second.text
    row = await Meeting.select().first()
    assert row["title"] == "Saras titel" and row["version"] == version + 1
    stale_add = await f.post_form(other_client, f"{page}/participants", {
        "version": str(version), "name": "Ekstern", "email": "e@example.org"}, page=page)
    assert stale_add.status_code == 409 and await Participant.count() == 0


async def test_slot_finder_avoids_busy_people_and_choosing_sets_times(client):
    sara = await f.user()
    family_id = await f.family(sara)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    await f.login(client, sara)
    day = s.working_day()
    busy_page = await _meeting(client, family_id, meeting_start=s.local(day, 8),
                               meeting_end=s.local(day, 16))
    await _add(client, busy_page, person_id=str(mother))
    page = await _meeting(client, family_id)
    await _add(client, page, person_id=str(mother))
    r = await f.post_form(client, f"{page}/slots", {
        "first_day": day.isoformat(), "last_day": (day + timedelta(days=7)).isoformat(),
        "min_notice": "0", "duration_meeting": "60"}, page=page, htmx=True)
    assert r.status_code == 200 and "Vælg dette tidspunkt" in r.text
    assert "Anna Mor" in r.text  # the rejection explains who was busy
    start = re.search(r'name="meeting_start" value="([^"]+)"', r.text).group(1)
    end = re.search(r'name="meeting_end" value="([^"]+)"', r.text).group(1)
    local_start = datetime.fromisoformat(start).astimezone(ZoneInfo("Europe/Copenhagen"))
    assert local_start.date() != day or local_start.hour >= 16
    assert local_start.hour >= 15  # the mother is private: weekday afternoons and evenings
    r = await f.post_form(client, f"{page}/slot", {"meeting_start": start, "meeting_end": end}, page=page)
    assert r.status_code == 303
    meeting_id = int(page.rsplit("/", 1)[1])
    part = await MeetingPart.select().where(MeetingPart.meeting == meeting_id).first()
    assert part["starts_at"] == datetime.fromisoformat(start)
    bad = await f.post_form(client, f"{page}/slots", {
        "first_day": day.isoformat(), "last_day": (day - timedelta(days=3)).isoformat(),
        "min_notice": "0", "duration_meeting": "60"}, page=page)
    assert bad.status_code == 422 and "slutter, før den begynder" in bad.text
    too_long = await f.post_form(client, f"{page}/slots", {
        "first_day": day.isoformat(), "last_day": (day + timedelta(days=400)).isoformat(),
        "min_notice": "0", "duration_meeting": "60", "_page": page}, page=page)
    assert too_long.status_code == 422 and "Perioden må højst være et år." in too_long.text
    last_day = re.search(r'<input[^>]*name="last_day"[^>]*>', too_long.text).group(0)
    assert 'aria-invalid="true"' in last_day  # the message is at the field, the input kept
    assert f'value="{(day + timedelta(days=400)).isoformat()}"' in last_day


ROUTES = [("get", ""), ("post", "/details"), ("post", "/participants"),
          ("post", "/participants/1"), ("post", "/participants/1/remove"), ("post", "/times"),
          ("post", "/slots"), ("post", "/slot"), ("post", "/approvals"), ("post", "/status"),
          ("post", "/held"), ("post", "/followup")]


@pytest.mark.parametrize("method,suffix", ROUTES)
async def test_foreign_meeting_is_404_on_every_route(client, other_client, method, suffix):
    owner = await f.user()
    intruder = await f.user()
    family_id = await f.family(owner, name="Familien Fremmed")
    await f.login(client, owner)
    page = await _meeting(client, family_id)
    await f.login(other_client, intruder)
    path = page + suffix
    if method == "get":
        r = await other_client.get(path)
    else:
        r = await f.post_form(other_client, path, {"target": "cancelled", "title": "x", "name": "x",
                                                   "minutes": "x"}, page="/")
    assert r.status_code == 404 and "Familien Fremmed" not in r.text
    row = await Meeting.select().first()
    assert row["status"] == "draft" and row["version"] == 1
    assert await Participant.count() == 0 and await SafetyApproval.count() == 0


@pytest.mark.parametrize("path", ["/families/{f}/meetings/new?kind=netvaerksmoede", "/families/{f}/meetings/"])
async def test_foreign_family_new_meeting_404(client, path):
    sara = await f.user()
    foreign = await f.family(await f.user())
    await f.login(client, sara)
    url = path.format(f=foreign)
    r = await (client.get(url) if url.endswith("netvaerksmoede") else
               f.post_form(client, url, {"kind": "netvaerksmoede", "title": "x"}))
    assert r.status_code == 404 and await Meeting.count() == 0


async def test_reading_and_writing_a_meeting_is_audited(client):
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    page = await _meeting(client, family_id)
    await client.get(page)
    events = await AuditEvent.select().where(AuditEvent.entity == "møde")
    actions = {e["action"] for e in events}
    assert {"create", "read"} <= actions
    assert all(e["family_id"] == family_id for e in events)
    assert await ParticipantPart.count() == 0


async def test_a_meeting_form_without_a_version_is_refused_with_the_input_kept(client):
    """A browser's write of a meeting carries the version its page showed; one that came
    without (an old page, a hand-made request) is never saved over what its sender did not
    see: a 409 that says the version was missing and shows what was typed, nothing saved.
    The same form with its page's version is saved."""
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    page = await _meeting(client, family_id)
    typed = {"title": "Ny titel fra en gammel side", "location": "Lokale 7"}
    r = await f.post_form(client, f"{page}/details", {**typed, "version": None}, page=page)
    assert r.status_code == 409
    assert "om en anden har ændret det imens" in r.text
    assert "hvilken udgave af siden du udfyldte" in r.text
    assert "Ny titel fra en gammel side" in r.text and "Lokale 7" in r.text
    row = await Meeting.select().where(Meeting.id == int(page.rsplit("/", 1)[1])).first()
    assert (row["title"], row["version"]) == ("Netværksmøde om Emma", 1)
    version = await s.form_version(client, page, f"{page}/details")
    assert version == "1"
    r = await f.post_form(client, f"{page}/details", {**typed, "version": version}, page=page)
    assert r.status_code == 303
    row = await Meeting.select().where(Meeting.id == row["id"]).first()
    assert (row["title"], row["version"]) == ("Ny titel fra en gammel side", 2)
