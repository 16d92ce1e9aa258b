"""Meeting pages: familierådslagning and BIC flows, new meetings, the meeting page.

Thin controllers: parse the form, authorise through ``load_family`` / ``load_meeting``
(404 for anything foreign), call the service, render. A 409 conflict renders both
versions; other bad input becomes a Danish 4xx through ``web.UserError``.
"""

from __future__ import annotations

import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from coordinator import clock, pagecache, web
from coordinator.auth.guards import requires_case_holder, requires_case_worker, requires_login
from coordinator.auth.once import once
from coordinator.auth.policy import Action, Audience
from coordinator.families.service import (
    load_family,
    meeting_page_stamps,
    network_known,
    one_shared_stamp,
)
from coordinator.meetings import (
    agenda,
    availability,
    flows,
    formoede,
    kinds,
    offers,
    participants,
    planner,
    readiness,
    service,
    workspace,
)
from coordinator.method import service as method
from coordinator.trappe import rules as trappe

# Meeting pages by user, content stamps and minute (see coordinator/pagecache.py), each
# with whether it shows a Signs of Safety mapping (that read is audited on every view).
MEETING_PAGES = pagecache.PageCache(weigh=lambda kept: len(kept[0]), name="meeting pages")


async def _form(request: Request) -> tuple[dict[str, Any], Any]:
    try:
        data = await request.form()
    except Exception:
        raise web.UserError("Formularen kunne ikke læses.", 400) from None
    return {key: data.get(key) for key in data.keys()}, data


def _version(form: dict) -> int | None:
    return web.integer(form, "version", "Sidens udgave", required=False, minimum=0)


def _today() -> date:
    return clock.today()


def _conflict(request: Request, exc: web.Conflict, back: str) -> Response:
    audience = service.audience_of(web.user_of(request))
    return web.render("conflict.html", {**service.conflict_context(exc, audience),
                                        "back": back}, status=409)


async def _guarded(request: Request, back: str, call) -> Response:
    """Run a write; a conflict becomes the 409 page with both versions."""
    try:
        await call()
    except web.Conflict as exc:
        return _conflict(request, exc, back)
    return web.see_other(request, back)


def _workspace_request(request: Request) -> bool:
    """A change sent by htmx from the meeting page's workspace (not a boosted form, which
    moves on to the page): it is answered with the changed sections."""
    return web.is_htmx(request) and not web.is_boosted(request)


def _part_times(form: dict, kind: kinds.MeetingKind) -> dict:
    return {spec.key: (web.local_datetime(form, f"{spec.key}_start", f"{spec.label}: start",
                                          required=False),
                       web.local_datetime(form, f"{spec.key}_end", f"{spec.label}: slut",
                                          required=False))
            for spec in kind.parts}


def _time(form: dict, name: str, label: str) -> time | None:
    value = web.text(form, name, label, max_length=8)
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise web.UserError(f"»{label}« skal være et klokkeslæt som 08:00.", field=name) from None


def _organisation(form: dict) -> int | None:
    return web.integer(form, "location_organisation", "Mødested (organisation)", required=False,
                       minimum=1)


async def _place_picker(family: dict) -> dict[str, Any]:
    """The place picker's context on a family's team page: the directory's choices and,
    when it is searched rather than listed whole, the family's near organisations."""
    choices = await service.organisation_choices()
    return {"organisations": choices,
            "near_places": await service.near_places(family) if choices.large else []}


class FgcController(Controller):
    """/families/{id}/familieraadslagning – the six steps."""

    path = "/families/{family_id:int}/familieraadslagning"
    guards = [requires_case_worker]

    async def _family(self, request: Request, family_id: int, action: Action) -> dict:
        return await load_family(web.user_of(request), family_id, action,
                                 what="familierådslagning", address=web.client_address(request))

    @get("/", name="fgc")
    async def page(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.READ)
        view = await flows.fgc_view(family_id)
        followup_date = None
        if view.meeting and view.meeting["parts"] and view.meeting["parts"][-1]["ends_at"]:
            followup_date = kinds.proposed_followup_date(
                "familieraadslagning", view.meeting["parts"][-1]["ends_at"].astimezone(web.COPENHAGEN).date())
        return web.render("meetings/fgc.html", {
            "family": family, "view": view, "statuses": flows.FGC_STATUS, "today": _today(),
            "kind": kinds.get_kind("familieraadslagning"), "default_tasks": flows.DEFAULT_TASKS,
            **await _place_picker(family), "followup_date": followup_date,
            "roles": participants.ROLES, "initiators": offers.INITIATORS,
            "agreements": offers.AGREEMENTS, "plan_statuses": offers.PLAN_STATUSES,
            "may_approve": await flows.may_approve_plan(web.user_of(request), family_id),
            "meeting_offer": offers.fgc_meeting_offer(
                family_id, view.case["formoede_on"], view.case["formoede_agreement"])
            if view.case else None})

    def _back(self, family_id: int, anchor: str) -> str:
        return f"/families/{family_id}/familieraadslagning#{anchor}"

    @post("/assessment")
    async def assessment(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        possible = web.choice(form, "possible", "Er en familierådslagning mulig?", {"ja": 1, "nej": 0})
        assessed_on = web.a_date(form, "assessed_on", "Dato")
        view = web.text(form, "family_view", "Familiens syn", max_length=4000)
        reasons = web.text(form, "reasons", "Begrundelse", required=True, max_length=4000)
        return await _guarded(request, self._back(family_id, "step-1"), lambda: flows.save_fgc_assessment(
            web.user_of(request), family, _version(form), possible == "ja", assessed_on, view,
            reasons, web.client_address(request)))

    @post("/referral")
    async def referral(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        concern = web.text(form, "concern", "Bekymring", required=True, max_length=4000)
        questions = web.text(form, "questions", "Spørgsmål", required=True, max_length=4000)
        referred_on = web.a_date(form, "referred_on", "Henvisningsdato")
        return await _guarded(request, self._back(family_id, "step-2"), lambda: flows.save_fgc_referral(
            web.user_of(request), family, _version(form), concern, questions, referred_on,
            web.client_address(request)))

    @post("/initiator")
    async def initiator(self, request: Request, family_id: FromPath[int]) -> Response:
        """Who took the initiative to the familierådslagning."""
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        kind = web.text(form, "initiator_kind", "Initiativtager", max_length=16)
        name = web.text(form, "initiator_name", "Navn eller beskrivelse", max_length=200)
        return await _guarded(request, self._back(family_id, "initiator"), lambda: flows.set_initiator(
            web.user_of(request), family, _version(form), kind, name, web.client_address(request)))

    @post("/samordner")
    async def samordner(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        chosen = web.integer(form, "samordner_user", "Samordner", required=False, minimum=1)
        name = web.text(form, "samordner_name", "Navn", max_length=200)
        email = web.text(form, "samordner_email", "E-mail", max_length=254)
        org = web.text(form, "samordner_organisation", "Organisation", max_length=200)
        return await _guarded(request, self._back(family_id, "step-3"), lambda: flows.set_samordner(
            web.user_of(request), family, _version(form), chosen, name, email, org,
            web.client_address(request)))

    @post("/formoede")
    async def formoede(self, request: Request, family_id: FromPath[int]) -> Response:
        """Date the formøde; the slot finder proposes nothing before it."""
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        day = web.a_date(form, "formoede_on", "Dato for formødet")
        return await _guarded(request, self._back(family_id, "formoede"), lambda: formoede.set_formoede(
            web.user_of(request), family, _version(form), day, web.client_address(request)))

    @post("/formoede/outcome")
    async def formoede_outcome(self, request: Request, family_id: FromPath[int]) -> Response:
        """Who took part in the formøde and whether the family agreed to go on."""
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        people = web.text(form, "formoede_participants", "Deltagere i formødet", max_length=2000)
        agreement = web.text(form, "formoede_agreement", "Familiens svar", max_length=16)
        note = web.text(form, "formoede_note", "Note fra formødet", max_length=4000)
        return await _guarded(request, self._back(family_id, "formoede-outcome"),
                              lambda: formoede.record_outcome(
                                  web.user_of(request), family, _version(form), people, agreement,
                                  note, web.client_address(request)))

    @post("/tasks")
    async def add_task(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        title = web.text(form, "title", "Opgave", required=True, max_length=300)
        deadline = web.a_date(form, "deadline", "Frist", required=False)
        await flows.add_task(web.user_of(request), family, title, deadline,
                             web.client_address(request))
        return web.see_other(request, self._back(family_id, "step-4"))

    @post("/tasks/{task_id:int}/done")
    async def task_done(self, request: Request, family_id: FromPath[int],
                        task_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        await flows.set_task_done(web.user_of(request), family, task_id, web.checkbox(form, "done"),
                                  web.client_address(request))
        return web.see_other(request, self._back(family_id, "step-4"))

    @post("/meeting")
    async def meeting(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        times = _part_times(form, kinds.get_kind("familieraadslagning"))
        location = web.text(form, "location", "Mødested", max_length=300)
        meeting_id = await flows.create_fgc_meeting(
            web.user_of(request), family, times, location, _organisation(form),
            web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}")

    @post("/plan")
    async def plan(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        action = web.text(form, "action", "Handling", required=True, max_length=2000)
        who = web.text(form, "who", "Hvem", required=True, max_length=200)
        by_when = web.a_date(form, "by_when", "Hvornår", required=False)
        question = web.integer(form, "question", "Spørgsmål", required=False, minimum=1)
        reason = web.text(form, "reason", "Hvorfor ændres planen", max_length=2000)
        await flows.add_plan_item(web.user_of(request), family, action, who, by_when,
                                  question, reason, web.client_address(request))
        return web.see_other(request, self._back(family_id, "step-6"))

    @post("/plan/approve")
    async def approve_plan(self, request: Request, family_id: FromPath[int]) -> Response:
        """The socialrådgiver's approval of the family's plan, with conditions."""
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        conditions = web.text(form, "conditions", "Betingelser", max_length=4000)
        return await _guarded(request, self._back(family_id, "approval"), lambda: flows.approve_plan(
            web.user_of(request), family, _version(form), conditions, web.client_address(request)))

    @post("/plan/{item_id:int}/review")
    async def review_item(self, request: Request, family_id: FromPath[int],
                          item_id: FromPath[int]) -> Response:
        """A plan item's status and a note, kept as its history."""
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        status = web.text(form, "status", "Status", max_length=16)
        note = web.text(form, "note", "Note", max_length=2000)
        return await _guarded(request, self._back(family_id, f"item-{item_id}"),
                              lambda: flows.review_plan_item(
                                  web.user_of(request), family, item_id, _version(form), status,
                                  note, web.client_address(request)))

    @post("/followup")
    async def followup(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        try:
            new_id = await flows.propose_fgc_followup(web.user_of(request), family,
                                                      web.client_address(request))
        except web.Conflict as exc:
            return _conflict(request, exc, self._back(family_id, "step-6"))
        return web.see_other(request, f"/meetings/{new_id}")


class BicController(Controller):
    """/families/{id}/bic – Barnet i Centrum."""

    path = "/families/{family_id:int}/bic"
    guards = [requires_case_worker]

    async def _family(self, request: Request, family_id: int, action: Action, *,
                      father_side: bool = False) -> dict:
        """The family for the team; with ``father_side`` also for the father's kontaktperson
        (the page, the advice sessions), who must be the one the father is referred to."""
        user = web.user_of(request)
        family = await load_family(user, family_id, action, what="Barnet i Centrum",
                                   address=web.client_address(request), father_side=father_side)
        if service.audience_of(user) is Audience.FATHER_SIDE and not await flows.referred_to(
                user, family_id):
            raise NotFoundException()
        return family

    def _back(self, family_id: int, anchor: str) -> str:
        return f"/families/{family_id}/bic#{anchor}"

    @get("/", name="bic")
    async def page(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.READ, father_side=True)
        view = await flows.bic_view(family_id)
        if service.audience_of(web.user_of(request)) is Audience.FATHER_SIDE:
            # The father's side only: his record and sessions, no assessment reasons, no
            # consent notes, no forms but the sessions'.
            return web.render("meetings/bic_father_side.html", {
                "family": family, "view": flows.father_side_view(
                    view, await service.family_cleaner(family_id)),
                "statuses": flows.BIC_STATUS, "topics": kinds.BIC_TOPICS})
        return web.render("meetings/bic.html", {
            "family": family, "view": view, "today": _today(),
            "statuses": flows.BIC_STATUS, "topics": kinds.BIC_TOPICS})

    @post("/assessment")
    async def assessment(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        involve = web.choice(form, "involve", "Skal far inddrages?", {"ja": 1, "nej": 0})
        father = web.integer(form, "father", "Far", required=False, minimum=1)
        reasons = web.text(form, "reasons", "Begrundelse", required=True, max_length=4000)
        assessed_on = web.a_date(form, "assessed_on", "Dato")
        return await _guarded(request, self._back(family_id, "assessment"), lambda: flows.save_father_assessment(
            web.user_of(request), family, _version(form), father, involve == "ja", reasons,
            assessed_on, web.client_address(request)))

    @post("/agreement")
    async def agreement(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        if not web.checkbox(form, "agreed"):
            raise web.UserError("Bekræft, at mor har givet samtykke til kontakt med far.",
                                field="agreed")
        agreed_on = web.a_date(form, "agreed_on", "Dato for samtykket")
        note = web.text(form, "note", "Note", max_length=2000)
        return await _guarded(request, self._back(family_id, "agreement"), lambda: flows.record_mother_agreement(
            web.user_of(request), family, _version(form), agreed_on, note,
            web.client_address(request)))

    @post("/referral")
    async def referral(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        contact = web.integer(form, "contact_person", "Kontaktperson", minimum=1)
        referred_on = web.a_date(form, "referred_on", "Henvisningsdato")
        return await _guarded(request, self._back(family_id, "referral"), lambda: flows.refer_to_contact(
            web.user_of(request), family, _version(form), contact, referred_on,
            web.client_address(request)))

    @post("/sessions")
    async def session(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE, father_side=True)
        form, data = await _form(request)
        start = web.local_datetime(form, "start", "Start")
        end = web.local_datetime(form, "end", "Slut")
        location = web.text(form, "location", "Mødested", max_length=300)
        meeting_id = await flows.add_bic_session(
            web.user_of(request), family, list(data.getall("topics", [])), start, end, location,
            web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}")

    @post("/sessions/{session_id:int}/held")
    async def session_held(self, request: Request, family_id: FromPath[int],
                           session_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE, father_side=True)
        form, _ = await _form(request)
        # flows.session_held refuses empty notes after the session is found (404 first)
        notes = web.text(form, "notes", "Noter", max_length=4000)
        await flows.session_held(web.user_of(request), family, session_id, notes,
                                 web.client_address(request))
        return web.see_other(request, self._back(family_id, "sessions"))

    @post("/joint")
    async def joint(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        form, _ = await _form(request)
        start = web.local_datetime(form, "start", "Start")
        end = web.local_datetime(form, "end", "Slut")
        location = web.text(form, "location", "Mødested", required=True, max_length=300)
        meeting_id = await flows.create_joint_meeting(web.user_of(request), family, start, end,
                                                      location, web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}")


class NewMeetingController(Controller):
    """/families/{id}/meetings – network and status meetings."""

    path = "/families/{family_id:int}/meetings"
    guards = [requires_case_worker]

    def _kind(self, value: str) -> kinds.MeetingKind:
        if value not in service.FREE_KINDS:
            raise web.UserError("Vælg netværksmøde eller statusmøde.", field="kind")
        return kinds.get_kind(value)

    @get("/new")
    async def new(self, request: Request, family_id: FromPath[int],
                  kind: FromQuery[str] = "netvaerksmoede") -> Response:
        family = await load_family(web.user_of(request), family_id, Action.WRITE)
        return web.render("meetings/new.html", {
            "family": family, "kind": self._kind(kind), "kinds": [kinds.KINDS[k] for k in service.FREE_KINDS],
            **await _place_picker(family)})

    @post("/")
    async def create(self, request: Request, family_id: FromPath[int]) -> Response:
        """A new meeting; the form sent twice (a double click) creates it once (``once``)."""
        family = await load_family(web.user_of(request), family_id, Action.WRITE)

        async def create_it() -> Response:
            form, _ = await _form(request)
            kind = self._kind(web.text(form, "kind", "Mødetype", required=True))
            title = web.text(form, "title", "Titel", required=True, max_length=200)
            location = web.text(form, "location", "Mødested", max_length=300)
            description = web.text(form, "description", "Beskrivelse", max_length=4000)
            times = _part_times(form, kind)
            meeting_id = await service.create_meeting(
                web.user_of(request), family, kind.key, title, location=location,
                location_organisation=_organisation(form), description=description,
                times=times if any(a or b for a, b in times.values()) else None,
                address=web.client_address(request))
            return web.see_other(request, f"/meetings/{meeting_id}")
        return await once(request, create_it)


def _wanted_room(form: dict) -> int | None:
    """The slot form's room choice: none, any free room, or one room."""
    value = web.text(form, "room", "Lokale", max_length=20)
    if not value:
        return None
    if value == "any":
        return service.ANY_ROOM
    return web.integer(form, "room", "Lokale", minimum=1)


class RoomController(Controller):
    """/rooms – the meeting rooms the slot finder can book, kept by the family department's
    staff. Not by the father's kontaktperson: a room at the crisis centre is a protected
    place (its address, and whether it is one), which she may neither read nor unmark."""

    path = "/rooms"
    guards = [requires_case_holder]

    @get("/", name="rooms")
    async def page(self, request: Request) -> Response:
        return web.render("meetings/rooms.html", {"rooms": await availability.rooms(False)})

    @post("/")
    async def create(self, request: Request) -> Response:
        form, _ = await _form(request)
        await availability.create_room(
            web.user_of(request), web.text(form, "name", "Navn", required=True, max_length=200),
            web.text(form, "location", "Placering", max_length=300),
            web.integer(form, "capacity", "Pladser", required=False, minimum=1, maximum=500) or 0,
            web.checkbox(form, "at_crisis_centre"), web.client_address(request))
        return web.see_other(request, "/rooms")

    @post("/{room_id:int}")
    async def update(self, request: Request, room_id: FromPath[int]) -> Response:
        if not await availability.room_exists(room_id):  # an unknown room first: 404
            raise NotFoundException()
        form, _ = await _form(request)
        await availability.update_room(
            web.user_of(request), room_id,
            web.text(form, "name", "Navn", required=True, max_length=200),
            web.text(form, "location", "Placering", max_length=300),
            web.integer(form, "capacity", "Pladser", required=False, minimum=1, maximum=500) or 0,
            web.checkbox(form, "at_crisis_centre"), web.checkbox(form, "active"),
            web.client_address(request))
        return web.see_other(request, "/rooms")


class MeetingController(Controller):
    """/meetings/{id} – the meeting page and everything done on it."""

    path = "/meetings"
    guards = [requires_login]

    async def _load(self, request: Request, meeting_id: int, action: Action, *,
                    samordner_edit: bool = False) -> tuple[dict, dict | None]:
        return await service.load_meeting(web.user_of(request), meeting_id, action,
                                          address=web.client_address(request),
                                          samordner_edit=samordner_edit)

    async def _scheduling(self, request: Request, meeting_id: int) -> tuple[dict, dict | None]:
        """Writes a samordner may do on the meetings they coordinate: times, participants,
        their parts, working hours and calendars."""
        return await self._load(request, meeting_id, Action.WRITE, samordner_edit=True)

    async def _page(self, request: Request, meeting: dict, family: dict | None, extra: dict | None = None,
                    status: int = 200) -> Response:
        context = await self._context(request, meeting, family, extra)
        return web.render("meetings/detail.html", context, status=status)

    async def _context(self, request: Request, meeting: dict, family: dict | None,
                       extra: dict | None = None, *, audit_mapping: bool = True) -> dict[str, Any]:
        """Everything the meeting page shows (for this user: the page differs by audience).
        Without ``audit_mapping`` the caller audits the Signs of Safety read itself."""
        user = web.user_of(request)
        audience = service.audience_of(user)
        # Outside the team (samordner, the father's kontaktperson) the page is narrow: no
        # contact data, no network suggestions; the kontaktperson runs the advice sessions.
        narrow = audience is not Audience.TEAM
        network = None if narrow else await service.family_network(meeting["family"])
        view = await service.meeting_view(meeting, family, audience, network)
        runs_it = audience is Audience.TEAM or (audience is Audience.FATHER_SIDE
                                                and meeting["kind"] == "bic_session")
        editable = meeting["status"] in kinds.OPEN_STATUSES and (
            audience is not Audience.FATHER_SIDE or runs_it)
        context = {"view": view, "narrow": narrow, "audience": audience.value,
                   "runs_it": runs_it, "editable": editable,
                   "status_actions": kinds.status_actions(meeting["status"]),
                   "change_labels": kinds.CHANGE_LABELS, "roles": participants.ROLES,
                   "channels": kinds.CHANNELS, "answer_via": kinds.ANSWER_VIA,
                   "recorded_answers": service.RECORDED_ANSWERS,
                   "answers_recordable": meeting["status"] in kinds.ANSWERABLE_STATUSES,
                   "rsvp": participants.RSVP_LABELS, "statuses": kinds.STATUS_LABELS,
                   "telling_state": kinds.telling_state, "telling_labels": kinds.TELLING_LABELS,
                   "approval_kinds": service.APPROVAL_KINDS,
                   "category_labels": kinds.CATEGORY_LABELS,
                   # outside the team by name only: a unit can name the crisis centre,
                   # which the page withholds from anyone else
                   "colleague_options": service.colleague_options(
                       [{**colleague, "unit": ""} if narrow else colleague for colleague
                        in await service.colleague_choices(user, meeting["family"])]),
                   "rooms": await availability.rooms(),
                   "weekdays": planner.WEEKDAYS_DA,
                   "default_hours": planner.DEFAULT_WORKING_HOURS,
                   "slot_defaults": {"first_day": _today() + timedelta(days=1),
                                     "last_day": _today() + timedelta(days=28)}}
        if not narrow:
            context.update({
                "suggestions": await service.suggestions_for(meeting, view.participants, network),
                "people": await service.family_people(meeting["family"], network),
            })
        if runs_it:
            choices = context["organisations"] = await service.organisation_choices()
            context["near_places"] = await service.near_places(family, network) \
                if choices.large and not narrow else []
        context["trappe_item"] = trappe.offered_in(meeting["kind"])
        context["agenda_parts"] = agenda.part_choices(view.parts)
        context["agenda_changeable"] = runs_it and agenda.changeable(meeting["status"])
        people: list[dict] = context.get("people", [])  # type: ignore[assignment]
        context["offers"] = await readiness.meeting_offers(view, people)
        context.update(await method.meeting_section(user, meeting, family, audience,
                                                    web.client_address(request),
                                                    audit_read=audit_mapping,
                                                    participants=view.participants))
        context.update(extra or {})
        return context

    @post("/places", guards=[requires_case_worker])
    async def places(self, request: Request) -> Response:
        """A search of the directory for the place picker (``templates/_org_search.html``),
        for those who place meetings, projected like the picker: readers outside the team
        find no protected place. A POST: what is typed stays out of addresses and logs."""
        search = await web.search_of(request, "location_organisation")
        narrow = service.audience_of(web.user_of(request)) is not Audience.TEAM
        choices = await service.organisation_choices()
        return web.found_response(request, choices.found(
            search.text, search.selected, search.near, narrow=narrow))

    @get("/coordinated", name="coordinated")
    async def coordinated(self, request: Request) -> Response:
        cases = await service.coordinated_cases(web.user_of(request))
        return web.render("meetings/coordinated.html", {"cases": cases, "today": _today()})

    @get("/{meeting_id:int}", name="meeting")
    async def page(self, request: Request, meeting_id: FromPath[int]) -> Response:
        # The stamps and the meeting's row first, then the access check (see
        # meeting_page_stamps).
        stamps, row, known = await meeting_page_stamps(web.user_of(request), meeting_id)
        meeting, family = await service.load_meeting(
            web.user_of(request), meeting_id, Action.READ,
            address=web.client_address(request), row=row, known=known)
        if stamps is None or not stamps.keyable or request.url.query:
            with one_shared_stamp():
                return await self._page(request, meeting, family)
        # Everything the page shows is in the key, as on the family page: the user (and so
        # the audience), the database's stamps of the family's and the shared content, and
        # the minute (the slot finder's default days). The access check and the audit
        # record above happen on every request.
        user = web.user_of(request)
        key = ("meeting", user, meeting_id, stamps.family, stamps.shared, pagecache.minute())
        kept = MEETING_PAGES.get(key)
        if kept is None:
            with one_shared_stamp(stamps.shared), network_known(meeting["family"], stamps):
                context = await self._context(request, meeting, family, audit_mapping=False)
            kept = (pagecache.render_for_cache(request, "meetings/detail.html", context),
                    method.shows_mapping(context.get("sos")))
            MEETING_PAGES.put(key, kept)
        page, shows_mapping = kept
        if shows_mapping and family is not None:  # on every view, as the meeting's own read
            await method.audit_mapping_read(user, meeting, family, web.client_address(request))
        return Response(pagecache.serve(request, page), media_type=MediaType.HTML)

    def _back(self, meeting_id: int, anchor: str = "") -> str:
        return f"/meetings/{meeting_id}" + (f"#{anchor}" if anchor else "")

    async def _change(self, request: Request, meeting_id: int, change: str, anchor: str,
                      call, extra: dict | None = None) -> Response:
        """Run a write from the meeting page. Sent by htmx from the workspace, it answers
        with the sections the change touches (``workspace.CHANGES``), rendered afresh
        through the same access check, projection and audit as the page; a plain form (no
        JavaScript) or a boosted one is sent back to the page as before. A conflict is the
        shared conflict view: at the form for htmx, as a page otherwise."""
        if not _workspace_request(request):
            return await _guarded(request, self._back(meeting_id, anchor), call)
        began = time_module.perf_counter()
        try:
            await call()
        except web.Conflict as exc:  # the shared conflict view, in the meeting's words
            audience = service.audience_of(web.user_of(request))
            return web.render("_conflict.html", {**service.conflict_context(exc, audience),
                                                 "back": self._back(meeting_id, anchor)},
                              status=409, headers={"HX-Retarget": "#messages",
                                                   "HX-Reswap": "innerHTML"})
        return await self._sections(request, meeting_id, change,
                                    (time_module.perf_counter() - began) * 1000, extra)

    async def _sections(self, request: Request, meeting_id: int, change: str,
                        write_ms: float, extra: dict | None = None) -> Response:
        """The sections a change re-renders, for this user (the page differs by audience);
        never cached: they are read after the change, so nothing stale is served. The
        answer says how long the write and the reading took (Server-Timing)."""
        began = time_module.perf_counter()
        with one_shared_stamp():  # read once for the sections, as for a page
            meeting, family = await self._load(request, meeting_id, Action.READ)
            context = await self._context(request, meeting, family, extra)
        context.update(sections=[workspace.TEMPLATES[s] for s in workspace.sections_for(change)],
                       saved=workspace.saved_message(change))
        read_ms = (time_module.perf_counter() - began) * 1000
        return web.render("meetings/_workspace_change.html", context, headers={
            "HX-Trigger": workspace.CHANGED_EVENT,
            "Server-Timing": f"write;dur={write_ms:.1f}, read;dur={read_ms:.1f}"})

    @post("/{meeting_id:int}/details")
    async def details(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, family = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        title = web.text(form, "title", "Titel", required=True, max_length=200)
        location = web.text(form, "location", "Mødested", max_length=300)
        description = web.text(form, "description", "Beskrivelse", max_length=4000)
        try:
            return await self._change(request, meeting_id, "details", "", lambda: service.update_details(
                web.user_of(request), meeting, _version(form), title, location, _organisation(form),
                description, web.checkbox(form, "send_email_invites"), web.client_address(request),
                title_to_partners=web.checkbox(form, "title_to_partners")))
        except web.UserError as refused:
            if _workspace_request(request):
                raise  # the refusal at the form, which keeps what was typed (static/app.js)
            # The form comes back open with the message at the field and what was typed.
            try:  # the place chosen, which a search may have found (not in the page's list)
                chosen = _organisation(form)
            except web.UserError:
                chosen = meeting["location_organisation"]
            typed = {"title": title, "location": location, "description": description,
                     "location_organisation": chosen}
            return await self._page(request, meeting, family, {
                "details_error": refused.message, "details_field": refused.field,
                "typed": typed}, status=refused.status)

    @post("/{meeting_id:int}/participants")
    async def add_participant(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        form, data = await _form(request)
        new = service.NewParticipant(
            person_id=web.integer(form, "person_id", "Person", required=False, minimum=1),
            user_id=web.integer(form, "user_id", "Bruger", required=False, minimum=1),
            name=web.text(form, "name", "Navn", max_length=200),
            email=web.text(form, "email", "E-mail", max_length=254),
            organisation=web.text(form, "organisation", "Organisation", max_length=200),
            role=web.choice(form, "role", "Rolle", participants.ROLES, required=False),
            part_keys=tuple(data.getall("parts", [])),
            invite_via_worker=web.checkbox(form, "invite_via_worker"),
            channel=web.choice(form, "channel", "Invitation", kinds.CHANNELS, required=False))
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.add_participants(
            web.user_of(request), meeting, _version(form), [new], web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}")
    async def edit_participant(self, request: Request, meeting_id: FromPath[int],
                               participant_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        form, data = await _form(request)
        arrival = web.integer(form, "arrival_offset", "Ankomst", required=False, minimum=0, maximum=600) or 0
        departure = web.integer(form, "departure_offset", "Afgang", required=False, minimum=0, maximum=600) or 0
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.update_participant(
            web.user_of(request), meeting, _version(form), participant_id,
            list(data.getall("parts", [])), arrival, departure, web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}/remove")
    async def remove_participant(self, request: Request, meeting_id: FromPath[int],
                                 participant_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        form, _ = await _form(request)
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.remove_participant(
            web.user_of(request), meeting, _version(form), participant_id, web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}/channel")
    async def channel(self, request: Request, meeting_id: FromPath[int],
                      participant_id: FromPath[int]) -> Response:
        """How one participant is invited: e-mail, phone, letter or via the socialrådgiver."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        channel = web.text(form, "channel", "Invitation", max_length=16)
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.set_channel(
            web.user_of(request), meeting, _version(form), participant_id, channel,
            web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}/told")
    async def told(self, request: Request, meeting_id: FromPath[int],
                   participant_id: FromPath[int]) -> Response:
        """The socialrådgiver has told someone the system does not e-mail (letter, phone) of
        the meeting as it is now, or of its cancellation. The family's team only."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        user = web.user_of(request)
        if service.audience_of(user) is not Audience.TEAM:
            raise NotFoundException()
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.mark_told(user, meeting, participant_id,
                                                            web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}/answer")
    async def record_answer(self, request: Request, meeting_id: FromPath[int],
                            participant_id: FromPath[int]) -> Response:
        """An answer given by phone or in person, recorded by the socialrådgiver."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        answer = web.text(form, "answer", "Svar", max_length=16)
        via = web.text(form, "via", "Hvordan svaret blev givet", max_length=16)
        note = web.text(form, "note", "Note", max_length=1000)
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.record_answer_for(
                                      web.user_of(request), meeting, participant_id, answer, via,
                                      note, web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}/resend")
    async def resend(self, request: Request, meeting_id: FromPath[int],
                     participant_id: FromPath[int]) -> Response:
        """The invitation again, to a participant's new e-mail address."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.send_to_new_address(
            web.user_of(request), meeting, _version(form), participant_id, web.client_address(request)))

    @post("/{meeting_id:int}/participants/{participant_id:int}/contact-note")
    async def contact_note_seen(self, request: Request, meeting_id: FromPath[int],
                                participant_id: FromPath[int]) -> Response:
        """The note about contact data changed in the network has been read."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        return await self._change(request, meeting_id, "participants", "participants",
                                  lambda: service.dismiss_contact_note(
                                      web.user_of(request), meeting, participant_id,
                                      web.client_address(request)))

    @post("/{meeting_id:int}/times")
    async def times(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        form, _ = await _form(request)
        times = _part_times(form, kinds.get_kind(meeting["kind"]))
        return await self._change(request, meeting_id, "times", "times", lambda: service.set_times(
            web.user_of(request), meeting, _version(form), times, web.client_address(request)))

    @post("/{meeting_id:int}/slots")
    async def slots(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, family = await self._scheduling(request, meeting_id)
        form, _ = await _form(request)
        parts = await service.parts_of(meeting_id)
        query = service.SlotQuery(
            first_day=web.a_date(form, "first_day", "Fra dato"),
            last_day=web.a_date(form, "last_day", "Til dato"),
            min_notice=web.integer(form, "min_notice", "Varsel (arbejdsdage)", minimum=0, maximum=30),
            durations={p["key"]: web.integer(form, f"duration_{p['key']}", f"Varighed: {p['label']}",
                                             minimum=5, maximum=600) for p in parts},
            room=_wanted_room(form))
        answer = await service.find_slots(
            meeting, query, allowed_hosts=web.settings_of(request).busy_feed_allowed_hosts)
        if service.audience_of(web.user_of(request)) is not Audience.TEAM:
            answer = service.project_slots(answer, await service.cleaner_outside(meeting))
        context = {"result": answer.result, "slot_warnings": answer.warnings, "blocked": answer.blocked,
                   "room_names": answer.room_names, "query": query, "meeting": meeting,
                   "format_day": planner.format_local_date}
        if web.is_htmx(request):
            return web.render("meetings/_slots.html", context)
        return await self._page(request, meeting, family, context)

    @post("/{meeting_id:int}/slot")
    async def choose_slot(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        form, _ = await _form(request)
        times: dict[str, tuple[datetime | None, datetime | None]] = {}
        for part in await service.parts_of(meeting_id):
            values: list[datetime] = []
            for edge in ("start", "end"):
                raw = web.text(form, f"{part['key']}_{edge}", part["label"], required=True, max_length=40)
                try:
                    values.append(datetime.fromisoformat(raw).astimezone(UTC))
                except ValueError:
                    raise web.UserError(f"»{part['label']}«: ugyldigt tidspunkt.",
                                        field=f"{part['key']}_{edge}") from None
            times[part["key"]] = (values[0], values[1])
        room = web.integer(form, "room_id", "Lokale", required=False, minimum=1)
        return await self._change(request, meeting_id, "times", "times", lambda: service.set_times(
            web.user_of(request), meeting, _version(form), times, web.client_address(request),
            book_room=room))

    async def _participant_row(self, meeting: dict, participant_id: int) -> dict:
        row = next((p for p in await service.participants_of(meeting["id"])
                    if p["id"] == participant_id), None)
        if row is None:
            raise web.UserError("Deltageren findes ikke på mødet.", 404)
        return row

    async def _participant_owner(self, meeting: dict, participant_id: int
                                 ) -> tuple[dict, availability.Owner]:
        row = await self._participant_row(meeting, participant_id)
        return row, availability.owner_of(row)

    def _hours_page(self, meeting_id: int, participant_id: int) -> str:
        return f"/meetings/{meeting_id}/participants/{participant_id}/hours"

    @get("/{meeting_id:int}/participants/{participant_id:int}/hours", name="participant_hours")
    async def hours_page(self, request: Request, meeting_id: FromPath[int],
                         participant_id: FromPath[int]) -> Response:
        """One participant's working hours, special days and calendar (ICS), edited by
        those who plan the meeting's times."""
        meeting, _ = await self._scheduling(request, meeting_id)
        row, owner = await self._participant_owner(meeting, participant_id)
        hours = await availability.hours_of([owner])
        feeds, _ = await availability.feeds_of([row])
        feed = next((f for f in feeds if f["organisation"] is None), None)
        defaults, default_label = availability.default_hours(row)
        # Outside the team (the samordner, the father's kontaktperson) the page is projected
        # like the meeting page, and a calendar's address is not shown: it opens the
        # participant's calendar, where the mother's whereabouts may be.
        audience = service.audience_of(web.user_of(request))
        shown_meeting, shown_row = await service.participant_for_audience(meeting, row, audience)
        return web.render("meetings/participant_hours.html", {
            "m": shown_meeting, "p": shown_row, "own": hours.get(row["safety_id"]),
            "feed": feed, "feed_shown": audience is Audience.TEAM,
            "weekdays": planner.WEEKDAYS_DA, "default_hours": defaults,
            "default_label": default_label})

    @post("/{meeting_id:int}/participants/{participant_id:int}/hours")
    async def weekly_hours(self, request: Request, meeting_id: FromPath[int],
                           participant_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        row, owner = await self._participant_owner(meeting, participant_id)
        form, _ = await _form(request)
        hours: dict[int, planner.WorkingHours] = {}
        for day, name in enumerate(planner.WEEKDAYS_DA):
            if web.checkbox(form, f"off_{day}"):
                hours[day] = None
            else:
                hours[day] = availability.check_hours(
                    _time(form, f"start_{day}", f"{name.capitalize()}: start"),
                    _time(form, f"end_{day}", f"{name.capitalize()}: slut"), name.capitalize(),
                    f"start_{day}", f"end_{day}")
        await availability.set_weekly_hours(web.user_of(request), owner, hours, meeting["family"],
                                            row["name"], web.client_address(request))
        return web.see_other(request, self._hours_page(meeting_id, participant_id))

    @post("/{meeting_id:int}/participants/{participant_id:int}/hours/date")
    async def date_hours(self, request: Request, meeting_id: FromPath[int],
                         participant_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        row, owner = await self._participant_owner(meeting, participant_id)
        form, _ = await _form(request)
        day = web.a_date(form, "on_date", "Dato")
        if web.checkbox(form, "remove"):
            await availability.remove_date_override(web.user_of(request), owner, day,
                                                    meeting["family"], row["name"],
                                                    web.client_address(request))
        else:
            pair = None if web.checkbox(form, "off") else availability.check_hours(
                _time(form, "start", "Start"), _time(form, "end", "Slut"), f"{day:%d.%m.%Y}")
            await availability.set_date_override(web.user_of(request), owner, day, pair,
                                                 meeting["family"], row["name"],
                                                 web.client_address(request))
        return web.see_other(request, self._hours_page(meeting_id, participant_id))

    @post("/{meeting_id:int}/participants/{participant_id:int}/feed")
    async def feed(self, request: Request, meeting_id: FromPath[int],
                   participant_id: FromPath[int]) -> Response:
        meeting, _ = await self._scheduling(request, meeting_id)
        form, _ = await _form(request)
        url = web.text(form, "url", "Kalenderadresse (ICS)", max_length=1000)
        row = await self._participant_row(meeting, participant_id)
        organisation = None
        if web.choice(form, "scope", "Gælder", {"own": 1, "organisation": 1},
                      required=False) == "organisation":
            organisation = (await availability.organisation_ids([row])).get(row["id"])
            if organisation is None:
                raise web.UserError("Deltageren hører ikke til en organisation i registret.",
                                    field="scope")
            owner = None
        else:
            owner = availability.owner_of(row)
        await availability.set_feed(web.user_of(request), url=url, owner=owner,
                                    organisation_id=organisation, family_id=meeting["family"],
                                    name=row["organisation"] if organisation else row["name"],
                                    address=web.client_address(request),
                                    allowed_hosts=web.settings_of(request).busy_feed_allowed_hosts)
        if row["person"] or row["user"]:  # set on the participant's own page
            return web.see_other(request, self._hours_page(meeting_id, participant_id))
        return web.see_other(request, self._back(meeting_id, "hours"))

    @post("/{meeting_id:int}/agenda")
    async def add_point(self, request: Request, meeting_id: FromPath[int]) -> Response:
        """A point at the end of the agenda."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)

        async def call() -> None:
            await service.add_agenda_point(
                web.user_of(request), meeting, _version(form),
                web.text(form, "point_title", "Nyt punkt", required=True,
                         max_length=agenda.TITLE_MAX),
                web.text(form, "part_key", "Del af mødet", max_length=40),
                web.client_address(request))
        return await self._change(request, meeting_id, "agenda", "agenda", call, {"added": True})

    @post("/{meeting_id:int}/agenda/{point_id:int}")
    async def edit_point(self, request: Request, meeting_id: FromPath[int],
                         point_id: FromPath[int]) -> Response:
        """A point's title and the part of the meeting it belongs to."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        await service.agenda_point(meeting_id, point_id)  # another meeting's point: 404 first
        form, _ = await _form(request)

        async def call() -> None:
            await service.edit_agenda_point(
                web.user_of(request), meeting, _version(form), point_id,
                web.text(form, "point_title", "Punkt", required=True,
                         max_length=agenda.TITLE_MAX),
                web.text(form, "part_key", "Del af mødet", max_length=40),
                web.client_address(request))
        return await self._change(request, meeting_id, "agenda", "agenda", call)

    @post("/{meeting_id:int}/agenda/{point_id:int}/move")
    async def move_point(self, request: Request, meeting_id: FromPath[int],
                         point_id: FromPath[int]) -> Response:
        """A point one step up or down (its buttons work with the keyboard)."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        await service.agenda_point(meeting_id, point_id)  # another meeting's point: 404 first
        form, _ = await _form(request)
        direction = web.choice(form, "direction", "Retning", agenda.DIRECTIONS)
        return await self._change(request, meeting_id, "agenda_move", "agenda",
                                  lambda: service.move_agenda_point(
                                      web.user_of(request), meeting, _version(form), point_id,
                                      direction, web.client_address(request)),
                                  {"moved": point_id, "moved_direction": direction})

    @post("/{meeting_id:int}/agenda/{point_id:int}/remove")
    async def remove_point(self, request: Request, meeting_id: FromPath[int],
                           point_id: FromPath[int]) -> Response:
        """A point off the agenda."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        return await self._change(request, meeting_id, "agenda", "agenda",
                                  lambda: service.remove_agenda_point(
                                      web.user_of(request), meeting, _version(form), point_id,
                                      web.client_address(request)))

    @post("/{meeting_id:int}/agenda/{point_id:int}/minutes")
    async def minutes(self, request: Request, meeting_id: FromPath[int],
                      point_id: FromPath[int]) -> Response:
        """The minutes of one point, also after the meeting was held."""
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)

        async def call() -> None:
            await service.write_minutes(
                web.user_of(request), meeting, point_id, _version(form),
                web.text(form, "minutes", "Referat", max_length=agenda.MINUTES_MAX),
                web.client_address(request))
        return await self._change(request, meeting_id, "minutes", "agenda", call,
                                  {"minutes_saved": point_id})

    @post("/{meeting_id:int}/approvals")
    async def approval(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        return await self._change(request, meeting_id, "approval", "safety", lambda: service.record_approval(
            web.user_of(request), meeting, _version(form),
            web.text(form, "person_a", "Person", required=True, max_length=40),
            web.text(form, "person_b", "Person", max_length=40) or None,
            web.text(form, "part_key", "Mødedel", max_length=40) or None,
            web.choice(form, "kind", "Type", service.APPROVAL_KINDS),
            web.text(form, "reason", "Begrundelse", required=True, max_length=2000),
            web.client_address(request)))

    @post("/{meeting_id:int}/status")
    async def status(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        target = web.choice(form, "target", "Status", kinds.STATUS_LABELS)
        reason = web.text(form, "reason", "Begrundelse", max_length=2000)
        return await self._change(request, meeting_id, "status", "", lambda: service.change_status(
            web.user_of(request), meeting, _version(form), target, web.client_address(request), reason))

    @post("/{meeting_id:int}/held")
    async def held(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        # minutes are written per agenda point; a page from before still sends them here
        minutes = web.text(form, "minutes", "Referat", max_length=agenda.MINUTES_MAX)
        outcome = web.text(form, "outcome", "Resultat og aftaler", max_length=4000)
        return await self._change(request, meeting_id, "status", "", lambda: service.mark_held(
            web.user_of(request), meeting, _version(form), minutes, outcome, web.client_address(request)))

    @post("/{meeting_id:int}/followup")
    async def followup(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, _ = await self._load(request, meeting_id, Action.WRITE)
        form, _ = await _form(request)
        try:
            new_id = await service.propose_followup(web.user_of(request), meeting, _version(form),
                                                    web.client_address(request))
        except web.Conflict as exc:
            return _conflict(request, exc, self._back(meeting_id))
        return web.see_other(request, f"/meetings/{new_id}")


ROUTE_HANDLERS = [FgcController, BicController, NewMeetingController, RoomController,
                  MeetingController]
