"""The method's pages: a meeting's Signs of Safety mapping and the family's Handleplan.

The family's team only: every route loads through ``method.service`` (the access policy,
404 for anyone else, the father's side and samordnere included). A refused form is shown
again with what was typed and the reason (422), a stale one as a 409 with both versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from coordinator import clock, web
from coordinator.auth.guards import requires_case_worker
from coordinator.auth.once import once
from coordinator.auth.policy import Action
from coordinator.families.service import load_family
from coordinator.method import service


def _version(form: Mapping[str, Any]) -> int | None:
    return web.integer(form, "version", "Sidens udgave", required=False, minimum=0)


class SosController(Controller):
    """/meetings/{id}/sos – the mapping and the safety scale of one meeting."""

    path = "/meetings/{meeting_id:int}/sos"
    guards = [requires_case_worker]

    async def _meeting(self, request: Request, meeting_id: int, action: Action
                       ) -> tuple[dict, dict]:
        return await service.open_meeting(web.user_of(request), meeting_id, action,
                                          web.client_address(request))

    async def _page(self, request: Request, meeting: dict, family: dict,
                    typed: Mapping[str, Any] | None = None, error: web.UserError | None = None,
                    form: str = "") -> Response:
        view = await service.mapping_view(meeting, family)
        return web.render("method/sos.html", {
            "meeting": meeting, "family": family, "sos": view, "typed": dict(typed or {}),
            "error": error.message if error else "", "error_field": error.field if error else None,
            "error_form": form}, status=error.status if error else 200)

    @get("/", name="sos")
    async def page(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, family = await self._meeting(request, meeting_id, Action.READ)
        await service.audit_mapping_read(web.user_of(request), meeting, family,
                                         web.client_address(request))
        return await self._page(request, meeting, family)

    @post("/")
    async def save(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, family = await self._meeting(request, meeting_id, Action.WRITE)
        form = await web.form_of(request)
        try:
            await service.save_mapping(
                web.user_of(request), meeting, family, _version(form),
                web.text(form, "worries", "Bekymringer", max_length=8000),
                web.text(form, "working_well", "Det der går godt", max_length=8000),
                web.text(form, "needs_to_happen", "Det der skal ske", max_length=8000),
                web.client_address(request))
        except web.Conflict:
            raise
        except web.UserError as refused:
            return await self._page(request, meeting, family, form, refused, "mapping")
        return web.see_other(request, f"/meetings/{meeting_id}#sos")

    @post("/scales")
    async def add_scale(self, request: Request, meeting_id: FromPath[int]) -> Response:
        meeting, family = await self._meeting(request, meeting_id, Action.WRITE)
        form = await web.form_of(request)
        try:
            await service.add_scale(
                web.user_of(request), meeting, family,
                web.text(form, "asker", "Hvem er spurgt", required=True, max_length=20),
                web.integer(form, "score", "Sikkerhedsskala", required=False),
                web.text(form, "note", "Begrundelse", max_length=2000),
                web.client_address(request))
        except web.UserError as refused:
            return await self._page(request, meeting, family, form, refused, "scale")
        return web.see_other(request, f"/meetings/{meeting_id}#sos")

    @post("/scales/{scale_id:int}/delete")
    async def delete_scale(self, request: Request, meeting_id: FromPath[int],
                           scale_id: FromPath[int]) -> Response:
        meeting, family = await self._meeting(request, meeting_id, Action.WRITE)
        await service.delete_scale(web.user_of(request), meeting, family, scale_id,
                                   web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}#sos")


class HandleplanController(Controller):
    """/families/{id}/handleplan – goals and sub-goals, their evaluations and history."""

    path = "/families/{family_id:int}/handleplan"
    guards = [requires_case_worker]

    async def _family(self, request: Request, family_id: int, action: Action) -> dict:
        return await load_family(web.user_of(request), family_id, action, what="handleplan",
                                 address=web.client_address(request))

    async def _page(self, request: Request, family: dict, typed: Mapping[str, Any] | None = None,
                    error: web.UserError | None = None, form: str = "") -> Response:
        today = clock.today()
        return web.render("method/handleplan.html", {
            "family": family, "view": await service.handleplan_view(family["id"], today),
            "today": today, "typed": dict(typed or {}), "error_form": form,
            "error": error.message if error else "", "error_field": error.field if error else None,
        }, status=error.status if error else 200)

    @get("/", name="handleplan")
    async def page(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.READ)
        return await self._page(request, family)

    @post("/goals")
    async def create_goal(self, request: Request, family_id: FromPath[int]) -> Response:
        """A new goal; the form sent twice (a double click) creates it once (``once``)."""
        family = await self._family(request, family_id, Action.WRITE)

        async def create_it() -> Response:
            form = await web.form_of(request)
            parent = web.integer(form, "parent", "Hovedmål", required=False, minimum=1)
            try:
                goal_id = await service.create_goal(web.user_of(request), family, service.GoalInput(
                    title=web.text(form, "title", "Mål", required=True, max_length=300),
                    period=web.text(form, "period", "Gælder", max_length=16),
                    cadence=web.text(form, "cadence", "Evalueres", max_length=16),
                    starts_on=web.a_date(form, "starts_on", "Startdato"),
                    responsible=web.text(form, "responsible", "Ansvarlig", max_length=40),
                    description=web.text(form, "description", "Beskrivelse", max_length=4000),
                    parent_id=parent,
                    plan_item_id=web.integer(form, "plan_item", "Punkt i familiens plan",
                                             required=False, minimum=1)),
                    web.client_address(request))
            except web.UserError as refused:
                if refused.status == 404:
                    raise
                return await self._page(request, family, form, refused,
                                        f"goal-{parent}" if parent else "goal")
            return web.see_other(request, f"/families/{family_id}/handleplan#goal-{goal_id}")
        return await once(request, create_it)

    @post("/goals/{goal_id:int}/evaluations")
    async def evaluate(self, request: Request, family_id: FromPath[int],
                       goal_id: FromPath[int]) -> Response:
        family = await self._family(request, family_id, Action.WRITE)
        await service.require_goal(family_id, goal_id)
        form = await web.form_of(request)
        try:
            await service.evaluate_goal(web.user_of(request), family, goal_id,
                                        service.EvaluationInput(
                evaluated_on=web.a_date(form, "evaluated_on", "Evalueret"),
                progress=web.text(form, "progress", "Hvor langt er målet nået", max_length=16),
                note=web.text(form, "note", "Noter", max_length=4000),
                meeting_id=web.integer(form, "meeting", "Drøftet på mødet", required=False,
                                       minimum=1),
                version=_version(form)), web.client_address(request))
        except web.Conflict:
            raise
        except web.UserError as refused:
            if refused.status == 404:
                raise
            return await self._page(request, family, form, refused, f"evaluate-{goal_id}")
        return web.see_other(request, f"/families/{family_id}/handleplan#goal-{goal_id}")


ROUTE_HANDLERS = [SosController, HandleplanController]
