"""Randers-trappen pages.

Who reaches what (others get 404, the page does not exist for them):
- /families/{id}/trappe (and its forms): the family's team (``families.service.load_family``);
  the father's kontaktperson, samordnere, leaders not on the team and admins get 404;
- /trappe/moeder/{id}: the trappe as an agenda item of a network, status or family-group
  meeting, for the meeting family's team;
- /trappe/kriterium: leaders, the families of their teams and unit that miss the criterion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from coordinator import clock, web
from coordinator.auth.guards import requires_case_worker, requires_leader, requires_login
from coordinator.followup import criteria
from coordinator.trappe import rules, service


def _step(form: Mapping[str, Any], name: str, label: str) -> int | None:
    value = web.integer(form, name, label, required=False)
    if value is not None and value not in rules.STEPS:
        raise web.UserError("Vælg et af trappens fire trin.", field=name)
    return value


def parse_draft(form: Mapping[str, Any]) -> rules.Draft:
    """The assessment as typed; malformed fields are refused with a Danish message."""
    ratings, notes = {}, {}
    for key, label in rules.AREAS:
        ratings[key] = web.choice(form, f"{key}_rating", label, rules.RATINGS, required=False)
        notes[key] = web.text(form, f"{key}_note", f"{label}: note", max_length=rules.NOTE_MAX)
    return rules.Draft(
        child_id=web.integer(form, "child", "Barn", required=False, minimum=1),
        assessed_on=web.a_date(form, "assessed_on", "Dato for vurderingen", required=False),
        step=_step(form, "step", "Trin (fagpersonernes vurdering)"),
        worrying_behaviour=web.text(form, "worrying_behaviour", "Adfærd, der bekymrer",
                                    max_length=rules.TEXT_MAX),
        professional_view=web.text(form, "professional_view", "Fagpersonernes syn",
                                   max_length=rules.TEXT_MAX),
        mother_step=_step(form, "mother_step", "Mors bud på trinnet"),
        mother_view=web.text(form, "mother_view", "Mors syn", max_length=rules.TEXT_MAX),
        child_step=_step(form, "child_step", "Barnets bud på trinnet"),
        child_view=web.text(form, "child_view", "Barnets syn", max_length=rules.TEXT_MAX),
        ratings=ratings, notes=notes)


def _vocabulary() -> dict[str, Any]:
    return {"steps": rules.STEPS, "areas": rules.AREAS, "ratings": rules.RATINGS,
            "case_types": rules.CASE_TYPE_LABELS, "today": clock.today()}


def _form_from_row(row: Mapping[str, Any]) -> dict[str, str]:
    keys = ["child", "step", "worrying_behaviour", "professional_view", "mother_step",
            "mother_view", "child_step", "child_view"]
    keys += [f"{k}_{part}" for k, _ in rules.AREAS for part in ("rating", "note")]
    form = {k: "" if row.get(k) is None else str(row[k]) for k in keys}
    form["assessed_on"] = clock.today().isoformat()
    return form


def _meeting_id(form: Mapping[str, Any]) -> int | None:
    """The meeting a form was posted from (None when absent or malformed)."""
    value = str(form.get("meeting") or "")
    return int(value) if value.isdigit() and len(value) < 10 else None


class TrappeController(Controller):
    """Randers-trappen per child: the timeline, recording and correcting assessments."""

    guards = [requires_login, requires_case_worker]

    async def _page(self, request: Request, family_id: int, *, form: Mapping[str, Any] | None = None,
                    error: web.UserError | None = None) -> Response:
        user = web.user_of(request)
        family, trappe = await service.trappe_page(user, family_id, web.client_address(request))
        return web.render("trappe/page.html", {
            **_vocabulary(), "family": family, "trappe": trappe,
            "form": dict(form or {"assessed_on": clock.today().isoformat()}),
            "error": error.message if error else "", "field": error.field if error else None,
            "saved": request.query_params.get("gemt") == "1",
        }, status=error.status if error else 200)

    @get("/families/{family_id:int}/trappe", name="trappe")
    async def page(self, request: Request, family_id: FromPath[int]) -> Response:
        """Every child's trappe: the timeline, the assessments in force and the history."""
        return await self._page(request, family_id)

    @post("/families/{family_id:int}/trappe")
    async def record(self, request: Request, family_id: FromPath[int]) -> Response:
        """Record an assessment; a refused form comes back with what was typed (422)."""
        form = await web.form_of(request)
        user = web.user_of(request)
        try:
            meeting = web.integer(form, "meeting", "Møde", required=False, minimum=1)
            await service.record(user, family_id, parse_draft(form), meeting,
                                 web.client_address(request))
        except web.UserError as refused:
            if refused.field == "meeting":  # a hidden field: the message goes where they all go
                raise
            meeting_id = _meeting_id(form)
            if meeting_id is not None:
                return await self._meeting_page(request, meeting_id, form=form, error=refused)
            return await self._page(request, family_id, form=form, error=refused)
        if form.get("meeting"):
            return web.see_other(request, f"/trappe/moeder/{form['meeting']}?gemt=1")
        return web.see_other(request, f"/families/{family_id}/trappe?gemt=1")

    async def _correction(self, request: Request, family_id: int, assessment_id: int, *,
                          form: Mapping[str, Any] | None = None,
                          error: web.UserError | None = None) -> Response:
        user = web.user_of(request)
        family, row = await service.assessment(user, family_id, assessment_id,
                                               web.client_address(request))
        _, trappe = await service.trappe_page(user, family_id, web.client_address(request))
        child = next((c.child for c in trappe.children if c.child["id"] == row["child"]), None)
        return web.render("trappe/correct.html", {
            **_vocabulary(), "family": family, "row": row, "child": child,
            "form": dict(form if form is not None else _form_from_row(row)),
            "error": error.message if error else "", "field": error.field if error else None,
        }, status=error.status if error else 200)

    @get("/families/{family_id:int}/trappe/{assessment_id:int}/ret", name="trappe-correct")
    async def correction(self, request: Request, family_id: FromPath[int],
                         assessment_id: FromPath[int]) -> Response:
        """The correction form, filled in with the assessment being corrected."""
        return await self._correction(request, family_id, assessment_id)

    @post("/families/{family_id:int}/trappe/{assessment_id:int}/ret")
    async def correct(self, request: Request, family_id: FromPath[int],
                      assessment_id: FromPath[int]) -> Response:
        """Save a correction as a new version; the corrected one is kept."""
        form = await web.form_of(request)
        try:
            reason = web.text(form, "correction_reason", "Hvad rettes og hvorfor",
                              max_length=rules.NOTE_MAX)
            await service.correct(web.user_of(request), family_id, assessment_id,
                                  parse_draft(form), reason, web.client_address(request))
        except web.UserError as refused:
            return await self._correction(request, family_id, assessment_id, form=form,
                                          error=refused)
        return web.see_other(request, f"/families/{family_id}/trappe?gemt=1")

    @get("/trappe/moeder/{meeting_id:int}", name="trappe-meeting")
    async def meeting_item(self, request: Request, meeting_id: FromPath[int]) -> Response:
        """The trappe as an agenda item of a meeting: where each child stands, and the
        form to record the assessment made at the meeting."""
        return await self._meeting_page(request, meeting_id)

    async def _meeting_page(self, request: Request, meeting_id: int, *,
                            form: Mapping[str, Any] | None = None,
                            error: web.UserError | None = None) -> Response:
        meeting, family, trappe = await service.meeting_item(
            web.user_of(request), meeting_id, web.client_address(request))
        return web.render("trappe/meeting.html", {
            **_vocabulary(), "meeting": meeting, "family": family, "trappe": trappe,
            "form": dict(form or {"assessed_on": clock.today().isoformat()}),
            "error": error.message if error else "", "field": error.field if error else None,
            "saved": request.query_params.get("gemt") == "1",
        }, status=error.status if error else 200)


class TrappeCriterionController(Controller):
    """/trappe/kriterium – the families that miss »Randers-trappen og analysen brugt«."""

    path = "/trappe"
    guards = [requires_login, requires_leader]

    @get("/kriterium", name="trappe-criterion")
    async def criterion(self, request: Request) -> Response:
        """The criterion's figure and the drill-down list (the leader's families only)."""
        start, end = web.period(request.query_params, clock.today())
        counts = await service.criterion_counts(start, end)
        share = criteria.trappe_used(counts.meeting, counts.families)
        rows = await service.missing(web.user_of(request), start, end,
                                     web.client_address(request))
        return web.render("trappe/criterion.html", {
            "start": start, "end": end, "counts": counts, "rows": rows,
            "share": share, "target": criteria.TRAPPE_TARGET_PERCENT,
            "reached": criteria.reaches_target(share, criteria.TRAPPE_TARGET_PERCENT)})


ROUTE_HANDLERS = [TrappeController, TrappeCriterionController]
