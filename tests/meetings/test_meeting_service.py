"""Service rules without HTTP: the samordner's narrow access, the invites seam, busy times,
default parts, time validation."""

from datetime import UTC, date, datetime, timedelta

import pytest
from litestar.exceptions import NotFoundException

from coordinator import clock as app_clock
from coordinator import db, web
from coordinator.auth.policy import Action, Audience
from coordinator.auth.roles import Role
from coordinator.db import ANY_VERSION
from coordinator.families import revisions
from coordinator.families import service as families_service
from coordinator.families.tables import Family
from coordinator.meetings import flows, kinds, participants, planner, service
from coordinator.meetings.tables import FgcCase, Meeting, MeetingChange, MeetingPart, Room
from coordinator.network import tables as net
from tests import factories as f
from tests.meetings import support as s
from tests.support.statements import capture_tables

UTC = UTC


async def _fgc_meeting(worker, samordner=None):
    family_id = await f.family(worker)
    family = {"id": family_id, "name": "Familien X"}
    case = await FgcCase.insert(FgcCase(family=family_id, possible=True, concern="c", questions="q",
                                        samordner_user=samordner.id if samordner else None,
                                        samordner_name="" if samordner else "Ekstern"))
    meeting_id = await service.create_meeting(worker, family, "familieraadslagning", "FR",
                                              fgc_case=case[0]["id"])
    return family_id, meeting_id


@pytest.mark.parametrize("role,coordinates,kind,expected", [
    ("samordner", True, "familieraadslagning", True),
    ("samordner", True, "netvaerksmoede", False),
    ("samordner", False, "familieraadslagning", False),
    ("socialraadgiver", True, "familieraadslagning", False),
])
async def test_samordner_may_open(role, coordinates, kind, expected):
    worker = await f.user()
    user = await f.user(role)
    family_id, meeting_id = await _fgc_meeting(worker, user if coordinates else None)
    await Meeting.update({Meeting.kind: kind}).where(Meeting.id == meeting_id)
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert await service.samordner_may_open(user, meeting) is expected


async def test_samordner_reads_and_edits_only_scheduling():
    worker = await f.user()
    ida = await f.user("samordner")
    _, meeting_id = await _fgc_meeting(worker, ida)
    meeting, family = await service.load_meeting(ida, meeting_id, Action.READ)
    assert meeting["id"] == meeting_id and family["id"] == meeting["family"]
    with pytest.raises(NotFoundException):  # status, details, approvals: never
        await service.load_meeting(ida, meeting_id, Action.WRITE)
    meeting, _ = await service.load_meeting(ida, meeting_id, Action.WRITE, samordner_edit=True)
    assert meeting["id"] == meeting_id
    other = await f.user("samordner")
    with pytest.raises(NotFoundException):  # not their familierådslagning
        await service.load_meeting(other, meeting_id, Action.WRITE, samordner_edit=True)
    assert [m["id"] for c in await service.coordinated_cases(ida) for m in c["meetings"]] == [
        meeting_id]
    assert await service.coordinated_cases(other) == []


async def test_notify_records_change_with_sequence_and_rejects_unknown_kinds():
    worker = await f.user()
    _, meeting_id = await _fgc_meeting(worker)
    await Meeting.update({Meeting.sequence: 4}).where(Meeting.id == meeting_id)
    await service._notify(meeting_id, "participant_removed", [7, 9], user=worker)
    row = await MeetingChange.select().first()
    assert (row["change_kind"], row["sequence"], row["removed_participant_ids"]) == (
        "participant_removed", 4, "7,9")
    with pytest.raises(ValueError):
        await service._notify(meeting_id, "emailed")


async def test_bump_detects_stale_version():
    worker = await f.user()
    _, meeting_id = await _fgc_meeting(worker)
    await service._bump(meeting_id, 1, {"title": "A"})
    with pytest.raises(web.Conflict) as caught:
        await service._bump(meeting_id, 1, {"title": "B"}, mine={"title": "B"})
    assert caught.value.status == 409 and caught.value.theirs["title"] == "A"
    assert caught.value.mine["title"] == "B"


async def test_bump_answers_with_the_row_as_saved_and_a_gone_meeting_as_not_found():
    """The row the write returns is the meeting as a read after it gives it (types included,
    on both engines); a meeting that is gone is 404, not a conflict, with a version or none."""
    worker = await f.user()
    _, meeting_id = await _fgc_meeting(worker)
    async with db.transaction():
        written = await service._bump(meeting_id, 1, {"title": "A", "send_email_invites": True},
                                      material=True)
    assert written == await Meeting.select().where(Meeting.id == meeting_id).first()
    assert (written["version"], written["sequence"]) == (2, 1)
    await Meeting.delete().where(Meeting.id == meeting_id)
    for version in (2, None):
        with pytest.raises(NotFoundException):
            await service._bump(meeting_id, version, {"title": "B"})


@pytest.mark.parametrize("kind,category,role,parts", [
    ("familieraadslagning", "professional", "informatoer", ["information"]),
    ("familieraadslagning", "family", "mother", ["information", "family_time", "plan"]),
    ("familieraadslagning", "private_network", "private_network", ["information", "family_time", "plan"]),
    ("familieraadslagning", "professional", "socialraadgiver", ["information", "plan"]),
    ("familieraadslagning", "professional", "samordner", ["information", "plan"]),
    ("familieraadslagning", "professional", "kontaktperson", ["information"]),
    ("netvaerksmoede", "professional", "informatoer", ["meeting"]),
])
def test_default_parts(kind, category, role, parts):
    assert service.default_parts(kind, category, role) == parts


@pytest.mark.parametrize("account_role,meeting_role", [
    (Role.SAMORDNER, "samordner"), (Role.KONTAKTPERSON, "kontaktperson"),
    (Role.SOCIALRAADGIVER, "socialraadgiver"), (Role.LEDER, "socialraadgiver"),
])
def test_a_colleague_takes_the_meeting_role_of_their_account(account_role, meeting_role):
    assert participants.role_of_account(account_role.value) == meeting_role


def test_validate_times_rules():
    kind = kinds.get_kind("statusmoede")
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    ok = service.validate_times(kind, {"meeting": (datetime(2026, 3, 3, 9, tzinfo=UTC),
                                                   datetime(2026, 3, 3, 10, tzinfo=UTC))}, now)
    assert ok["meeting"][0].tzinfo is not None
    for start, end, message in [
        (datetime(2026, 3, 3, 10, tzinfo=UTC), datetime(2026, 3, 3, 9, tzinfo=UTC), "efter"),
        (datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC), "fortiden"),
        (datetime(2026, 6, 5, 9, tzinfo=UTC), datetime(2026, 6, 5, 10, tzinfo=UTC), "Grundlovsdag"),
        (datetime(2026, 3, 7, 9, tzinfo=UTC), datetime(2026, 3, 7, 10, tzinfo=UTC), "weekend"),
    ]:
        with pytest.raises(web.UserError, match=message):
            service.validate_times(kind, {"meeting": (start, end)}, now)


async def test_busy_of_uses_other_meetings_by_person_and_user():
    worker = await f.user()
    family_id = await f.family(worker)
    family = {"id": family_id}
    anna = await s.person(family_id, "Anna", "mother", email="a@example.org")
    day = s.working_day()
    start = datetime.combine(day, datetime.min.time(), web.COPENHAGEN).replace(hour=9)
    other = await service.create_meeting(worker, family, "statusmoede", "Andet",
                                         times={"meeting": (start, start + timedelta(hours=1))})
    row = await Meeting.select().where(Meeting.id == other).first()
    await service.add_participants(worker, row, ANY_VERSION, [service.NewParticipant(person_id=anna),
                                                       service.NewParticipant(user_id=worker.id)])
    this = await service.create_meeting(worker, family, "statusmoede", "Dette")
    this_row = await Meeting.select().where(Meeting.id == this).first()
    await service.add_participants(worker, this_row, ANY_VERSION, [service.NewParticipant(person_id=anna),
                                                            service.NewParticipant(user_id=worker.id)])
    participants = await service.participants_of(this)
    span = (start - timedelta(days=1), start + timedelta(days=1))
    busy = await service.busy_of(this, participants, span)
    assert {k: len(v) for k, v in busy.items()} == {f"person:{anna}": 1, f"user:{worker.id}": 1}
    await Meeting.update({Meeting.status: "cancelled"}).where(Meeting.id == other)
    busy = await service.busy_of(this, participants, span)
    assert all(not v for v in busy.values())


async def _busy_meeting(worker, family, start, minutes, *, person_id=None):
    """Another meeting of the worker (and a person) at ``start``, past times allowed."""
    meeting_id = await service.create_meeting(worker, family, "statusmoede", "Andet")
    await MeetingPart.update({MeetingPart.starts_at: start,
                              MeetingPart.ends_at: start + timedelta(minutes=minutes)}
                             ).where(MeetingPart.meeting == meeting_id)
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    await service.add_participants(worker, row, ANY_VERSION, [
        service.NewParticipant(user_id=worker.id)]
        + ([service.NewParticipant(person_id=person_id)] if person_id else []))
    return meeting_id


@pytest.mark.parametrize("offset,length,reads", [
    (timedelta(hours=-1), 60, False),   # ends as the span starts
    (timedelta(hours=-1), 61, True),    # overlaps its first minute
    (timedelta(hours=5), 60, True),     # inside
    (timedelta(hours=24), 60, False),   # starts as the span ends
    (timedelta(days=-30), 60, False),   # long before
])
async def test_busy_of_reads_only_parts_that_overlap_the_span(offset, length, reads):
    worker = await f.user()
    family = {"id": await f.family(worker)}
    day = s.working_day()
    span = (datetime.combine(day, datetime.min.time(), web.COPENHAGEN).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), datetime.min.time(), web.COPENHAGEN
                             ).astimezone(UTC))
    await _busy_meeting(worker, family, span[0] + offset, length)
    this = await service.create_meeting(worker, family, "statusmoede", "Dette")
    this_row = await Meeting.select().where(Meeting.id == this).first()
    await service.add_participants(worker, this_row, ANY_VERSION, [service.NewParticipant(user_id=worker.id)])
    busy = await service.busy_of(this, await service.participants_of(this), span)
    assert len(busy[f"user:{worker.id}"]) == (1 if reads else 0)


async def _slot_world(history: int):
    """A worker and a mother with ``history`` held meetings long ago, one meeting inside
    the search window, and the meeting being planned."""
    worker = await f.user()
    family = {"id": await f.family(worker)}
    anna = await s.person(family["id"], "Anna", "mother")
    day = s.working_day(10)
    inside = datetime.combine(day, datetime.min.time(), web.COPENHAGEN).replace(hour=9)
    for n in range(history):
        await _busy_meeting(worker, family, inside - timedelta(days=60 + n), 60, person_id=anna)
    await _busy_meeting(worker, family, inside, 120, person_id=anna)
    this = await service.create_meeting(worker, family, "statusmoede", "Dette")
    row = await Meeting.select().where(Meeting.id == this).first()
    await service.add_participants(worker, row, ANY_VERSION, [service.NewParticipant(user_id=worker.id),
                                                       service.NewParticipant(person_id=anna)])
    meeting = await Meeting.select().where(Meeting.id == this).first()
    query = service.SlotQuery(first_day=day, last_day=day, min_notice=0,
                              durations={"meeting": 60})
    return worker, anna, meeting, query, inside


async def test_slot_search_reads_no_busy_time_outside_the_window_and_one_inside_blocks():
    worker, anna, meeting, query, inside = await _slot_world(history=3)
    request, _ = await service.planning_request(meeting, query, app_clock.now())
    busy = {p.id: p.busy for p in request.participants}
    expected = [planner.Busy(inside.astimezone(UTC), (inside + timedelta(hours=2)).astimezone(UTC))]
    assert busy == {f"user:{worker.id}": expected, f"person:{anna}": expected}
    answer = await service.find_slots(meeting, query)
    assert answer.result.slots
    for slot in answer.result.slots:
        assert not (slot.start < expected[0].end and expected[0].start < slot.end)
    assert any(r.code == "busy" for r in answer.result.rejections)


@pytest.fixture
def statements(monkeypatch):
    """Counts the statements sent to the database (and the values each binds)."""
    from coordinator import db

    engine_class = type(db.engine())
    sent: list[int] = []
    original = engine_class.run_querystring
    original_fetch = db.fetch
    in_fetch: list[bool] = []

    async def counting(engine, querystring, *args, **kwargs):
        if not in_fetch:  # a hand-written statement is counted once, by ``db.fetch``
            sent.append(len(querystring.compile_string(engine.engine_type)[1]))
        return await original(engine, querystring, *args, **kwargs)

    async def counting_fetch(sql, *args, **kwargs):
        sent.append(len(args))
        in_fetch.append(True)
        try:
            return await original_fetch(sql, *args, **kwargs)
        finally:
            in_fetch.pop()

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    monkeypatch.setattr(db, "fetch", counting_fetch)
    return sent


@pytest.mark.parametrize("history", [0, 25])
async def test_slot_search_statements_do_not_grow_with_history(statements, history):
    _, _, meeting, query, _ = await _slot_world(history)
    statements.clear()
    request, _ = await service.planning_request(meeting, query, app_clock.now())
    # parts, participants (with their parts and organisations), busy times, feeds, hours
    assert len(statements) == 5
    assert max(statements) <= 6
    assert sum(len(p.busy) for p in request.participants) == 2


async def test_family_section_lists_meetings_and_missing_assessments():
    worker = await f.user()
    family_id, meeting_id = await _fgc_meeting(worker)
    section = await flows.family_section(worker, {"id": family_id})
    assert [m["id"] for m in section["meetings"]] == [meeting_id]
    assert any("far" in step for step in section["next_steps"])


def test_the_conflict_view_speaks_the_forms_words():
    """No counters, no codes: labels for fields and statuses, Danish dates, ja/nej."""
    exc = web.Conflict("Mødet er ændret af en anden.",
                       mine={"status": "invited", "version": 20, "possible": True,
                             "mother_agreed_on": date(2026, 3, 3)},
                       theirs={"status": "cancelled", "version": 21, "sequence": 19,
                               "title": "Netværksmøde"})
    rows = service.conflict_context(exc, Audience.TEAM)["rows"]
    assert rows == [("Status", "Inviteret", "Aflyst"),
                    ("Er familierådslagning mulig", "Ja", ""),
                    ("Mors samtykke givet", "3. marts 2026", ""),
                    ("Titel", web.NOT_IN_FORM, "Netværksmøde")]


def test_readers_outside_the_team_see_nobodys_contact_data():
    """``project_for_audience`` blanks every contact field a participant row carries,
    the network person's phone and address and the note about changed contact data too."""
    row = {"id": 1, "name": "Grethe Mormor", "organisation": "", "email": "g@example.net",
           "person_phone": "70 10 44 55", "person_address": "Skjultvej 7",
           "rsvp_comment": "Ring efter kl. 16",
           "contact_note": "Ændret i netværket: Telefon 70 10 44 00 → 70 10 44 55."}
    view = service.MeetingView(
        meeting={"title": "Netværksmøde", "location": "Rådhuset", "description": ""},
        family=None, kind=kinds.get_kind("netvaerksmoede"), parts=[], participants=[row],
        approvals=[], findings=[], location_protected=False, targets=[], changes=[])
    [shown] = service.project_for_audience(view, ()).participants
    for key in ("email", "person_phone", "person_address", "rsvp_comment", "contact_note"):
        assert shown[key] == "", key
    assert shown["name"] == "Grethe Mormor"


async def test_the_place_picker_is_read_again_when_an_organisation_changes():
    """The picker's option tags are kept under the shared data's stamp: unchanged, the same
    tags; an organisation renamed or marked as a protected place shows at once, and the
    narrow picker never names a protected place."""
    [org] = await net.Organisation.insert(net.Organisation(name="Bibliotekets mødesal", kind="other",
                                                           sector="other"))
    first = await service.organisation_choices()
    assert first is await service.organisation_choices()  # nothing changed: kept
    tag = f'<option value="{org["id"]}" selected>Bibliotekets mødesal</option>'
    assert tag in first.whole(org["id"]) and tag in first.whole(org["id"], narrow=True)
    await net.Organisation.update({net.Organisation.name: "Tilflugtsstedet",
                                   net.Organisation.location_protected: True}).where(
        net.Organisation.id == org["id"])
    changed = await service.organisation_choices()
    assert f'<option value="{org["id"]}">Tilflugtsstedet (beskyttet adresse)</option>' in changed.whole()
    narrow = changed.whole(org["id"], narrow=True)
    assert "Tilflugtsstedet" not in narrow and "Bibliotekets" not in narrow
    assert (f'<option value="{org["id"]}" selected>Beskyttet adresse – oplyses af socialrådgiveren'
            '</option>') in narrow


async def test_the_shared_stamp_is_never_empty_and_never_comes_back():
    """What is kept under the shared stamp is never kept under an empty one: data loaded in
    bulk, or a stamp row deleted by hand, is stamped afresh by the first reader."""
    await db.fetch(f'DELETE FROM "content_revision" WHERE "family_id" = {revisions.GLOBAL}')
    first = await revisions.shared_stamp()
    assert first and first == await revisions.shared_stamp()
    await db.fetch(f'DELETE FROM "content_revision" WHERE "family_id" = {revisions.GLOBAL}')
    second = await revisions.shared_stamp()
    assert second and second != first


async def test_one_page_reads_the_shared_stamp_once_and_the_next_page_afresh():
    """Within one page's build the shared stamp is read once (the place picker, protected
    places and colleague lists each asked); the next page reads it again."""
    before = await revisions.shared_stamp()
    with families_service.one_shared_stamp():
        assert await revisions.shared_stamp() == before
        await net.Organisation.insert(net.Organisation(name="Nyt sted", kind="other"))
        assert await revisions.shared_stamp() == before  # this page's stamp
    after = await revisions.shared_stamp()
    assert after != before  # the next page sees the change
    with families_service.one_shared_stamp(known="given by the page"):
        assert await revisions.shared_stamp() == "given by the page"
    assert await revisions.shared_stamp() == after


async def test_the_meeting_view_lists_safety_approvals_with_who_and_when():
    worker = await f.user(full_name="Sara Godkender")
    family_id = await f.family(worker)
    family = await Family.select().where(Family.id == family_id).first()
    anna = await s.person(family_id, "Anna", "mother")
    meeting_id = await service.create_meeting(worker, {"id": family_id}, "statusmoede", "Møde")
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    await service.add_participants(worker, row, ANY_VERSION, [service.NewParticipant(person_id=anna)])
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    await service.record_approval(worker, row, ANY_VERSION, f"person:{anna}", None, None,
                                  "protected", "Mor ønsker at deltage selv")
    view = await service.meeting_view(row, family)
    [approval] = view.approvals
    assert (approval["person_a"], approval["kind"], approval["reason"], approval["by_name"]) == (
        f"person:{anna}", "protected", "Mor ønsker at deltage selv", "Sara Godkender")
    assert isinstance(approval["at"], datetime) and approval["at"].tzinfo is not None
    assert approval["approved_by"] == worker.id


async def test_protected_facts_follow_the_organisations_and_rooms_at_once():
    """The protected places' facts are kept under the shared stamp: a place marked protected
    and a crisis-centre room added count from the next read on."""
    before = await service.protected_facts()
    assert before is await service.protected_facts()  # nothing changed: kept
    [org] = await net.Organisation.insert(net.Organisation(name="Lindegården", kind="other",
                                                           sector="other", address="Lindevej 4"))
    assert "Lindegården" not in await service.protected_facts()
    await net.Organisation.update({net.Organisation.location_protected: True}).where(
        net.Organisation.id == org["id"])
    assert {"Lindegården", "Lindevej 4"} <= set(await service.protected_facts())
    await Room.insert(Room(name="Stuen", location="Bøgevej 9", at_crisis_centre=True))
    assert "Bøgevej 9" in await service.protected_facts()


async def test_a_meetings_colleague_list_reads_the_units_only_when_it_is_long(monkeypatch):
    """Everyone while the users fit in the list, without reading the units near the case;
    past the limit, the colleagues of the reader's unit and of the team's units."""
    from coordinator.families import cases

    sara = await f.user(full_name="Sara Centret", unit="Krisecentret")
    jonas = await f.user(full_name="Jonas Centret", unit="Krisecentret")
    mikkel = await f.user(full_name="Mikkel Familie", unit="Familieafdelingen")
    await f.user(full_name="Vera Andetsted", unit="Børneenheden")
    family_id = await f.family(sara, mikkel)
    reading = capture_tables(monkeypatch)
    reading.on = True
    everyone = [c["full_name"] for c in await service.colleague_choices(jonas, family_id)]
    assert everyone == ["Jonas Centret", "Mikkel Familie", "Sara Centret", "Vera Andetsted"]
    assert not reading.reading("team_member")
    monkeypatch.setattr(cases, "COLLEAGUE_LIST_LIMIT", 3)
    near = [c["full_name"] for c in await service.colleague_choices(jonas, family_id)]
    assert near == ["Jonas Centret", "Mikkel Familie", "Sara Centret"]  # not Vera's unit
    assert reading.reading("team_member")


async def test_a_familys_meetings_are_listed_by_their_first_start_in_one_statement(monkeypatch):
    """The family page's meeting list: each meeting once with the earliest start of its
    parts (typed on both engines), meetings without a start last, in one statement."""
    worker = await f.user()
    family = await f.family(worker)
    base = (app_clock.now() + timedelta(days=30)).replace(microsecond=0)
    ids = []
    for title, starts in (("To dele", [base + timedelta(days=2), base + timedelta(days=1)]),
                          ("Uden dele", []), ("Uden tid", [None]), ("Først", [base])):
        rows = await Meeting.insert(Meeting(family=family, title=title, kind="netvaerksmoede"))
        ids.append(rows[0]["id"])
        for n, start in enumerate(starts):
            await MeetingPart.insert(MeetingPart(
                meeting=rows[0]["id"], key=f"part{n}", label=f"Del {n}", starts_at=start,
                ends_at=start + timedelta(hours=1) if start else None))
    reading = capture_tables(monkeypatch)
    reading.on = True
    listed = await service.meetings_of_family(family)
    reading.on = False
    assert [(m["title"], m["starts_at"]) for m in listed] == [
        ("Først", base), ("To dele", base + timedelta(days=1)), ("Uden dele", None),
        ("Uden tid", None)]
    assert all(isinstance(m["starts_at"], datetime) for m in listed[:2])
    assert [m["id"] for m in listed] == [ids[3], ids[0], ids[1], ids[2]]
    assert listed[0]["kind_label"] and listed[0]["status_label"]
    assert len(reading.statements) == 1
