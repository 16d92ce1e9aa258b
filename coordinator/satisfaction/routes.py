"""Satisfaction at move-out.

Who reaches what (others get 404, the page does not exist for them):
- /families/{id}/tilfredshed (and its forms): the family's team
  (``families.service.load_family``); the father's kontaktperson, samordnere, leaders not on
  the team and admins get 404;
- /tilfredshed/tablet/{tablet}: whoever holds the one-time link (no login: the centre's
  tablet); it shows the questions only, nothing of the family;
- /tilfredshed/tak: the thank-you page after the tablet form;
- /tilfredshed/kriterium and /tilfredshed/svar: leaders (the move-outs without an answer
  among the families they follow; the answers and comments without names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from coordinator import clock, web
from coordinator.auth.guards import requires_case_worker, requires_leader, requires_login
from coordinator.satisfaction import rules, service


def parse_draft(form: Mapping[str, Any]) -> rules.Draft:
    """The form as typed; the service refuses missing answers (after the access check)."""
    return rules.Draft(
        support=str(form.get("support") or "").strip()[:64],
        process=str(form.get("process") or "").strip()[:64],
        comment=str(form.get("comment") or "").strip().replace("\x00", ""))


def _stay_id(form: Mapping[str, Any]) -> int | None:
    value = str(form.get("stay") or "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _vocabulary() -> dict[str, Any]:
    return {"support_question": rules.SUPPORT_QUESTION, "support_choices": rules.SUPPORT_CHOICES,
            "process_question": rules.PROCESS_QUESTION, "process_choices": rules.PROCESS_CHOICES,
            "comment_max": rules.COMMENT_MAX}


class SatisfactionController(Controller):
    """The family's forms at move-out: paper, declined, and the tablet link."""

    guards = [requires_login, requires_case_worker]

    async def _page(self, request: Request, family_id: int, *,
                    form: Mapping[str, Any] | None = None, error: web.UserError | None = None,
                    link: tuple[str, Any] | None = None) -> Response:
        family, stays = await service.family_page(web.user_of(request), family_id,
                                                  web.client_address(request))
        return web.render("satisfaction/page.html", {
            **_vocabulary(), "family": family, "stays": stays,
            "open_stays": [s for s in stays if s.refusal is None],
            "form": dict(form or {}), "error": error.message if error else "",
            "field": error.field if error else None,
            "saved": request.query_params.get("gemt") == "1",
            "link": (str(request.base_url).rstrip("/") + f"/tilfredshed/tablet/{link[0]}",
                     link[1]) if link else None,
        }, status=error.status if error else 200)

    @get("/families/{family_id:int}/tilfredshed", name="satisfaction")
    async def page(self, request: Request, family_id: FromPath[int]) -> Response:
        """The family's stays and the form at each move-out."""
        return await self._page(request, family_id)

    @post("/families/{family_id:int}/tilfredshed")
    async def record(self, request: Request, family_id: FromPath[int]) -> Response:
        """Type in a paper form; a refused one comes back with what was typed."""
        form = await web.form_of(request)
        try:
            await service.record_paper(web.user_of(request), family_id, _stay_id(form),
                                       parse_draft(form), web.client_address(request))
        except web.UserError as refused:
            return await self._page(request, family_id, form=form, error=refused)
        return web.see_other(request, f"/families/{family_id}/tilfredshed?gemt=1")

    @post("/families/{family_id:int}/tilfredshed/afslag")
    async def decline(self, request: Request, family_id: FromPath[int]) -> Response:
        """Mark that the family did not wish to answer."""
        form = await web.form_of(request)
        try:
            await service.record_declined(web.user_of(request), family_id, _stay_id(form),
                                          web.client_address(request))
        except web.UserError as refused:
            return await self._page(request, family_id, form=form, error=refused)
        return web.see_other(request, f"/families/{family_id}/tilfredshed?gemt=1")

    @post("/families/{family_id:int}/tilfredshed/tablet")
    async def tablet_link(self, request: Request, family_id: FromPath[int]) -> Response:
        """Make a one-time tablet link and show it once (201)."""
        form = await web.form_of(request)
        try:
            link = await service.open_tablet_link(web.user_of(request), family_id,
                                                  _stay_id(form), web.client_address(request))
        except web.UserError as refused:
            return await self._page(request, family_id, form=form, error=refused)
        response = await self._page(request, family_id, link=link)
        response.status_code = 201
        return response


class TabletController(Controller):
    """The form on the centre's tablet: the questions only, one submit, a thank-you."""

    path = "/tilfredshed"

    @get("/tablet/{tablet:str}", name="satisfaction-tablet")
    async def form(self, request: Request, tablet: FromPath[str]) -> Response:
        """The two questions and the comment; nothing of the family or the case."""
        try:
            await service.tablet_form(tablet)
        except web.UserError as gone:
            return web.render("satisfaction/tablet_gone.html", {"message": gone.message},
                              status=gone.status)
        return web.render("satisfaction/tablet.html", {**_vocabulary(), "form": {}})

    @post("/tablet/{tablet:str}")
    async def submit(self, request: Request, tablet: FromPath[str]) -> Response:
        """Save the answers and use up the link; a refused form keeps its input."""
        form = await web.form_of(request)
        try:
            await service.tablet_submit(tablet, parse_draft(form), web.client_address(request))
        except web.UserError as refused:
            if refused.status == 410 or refused.field == "stay":
                return web.render("satisfaction/tablet_gone.html",
                                  {"message": refused.message}, status=refused.status)
            return web.render("satisfaction/tablet.html", {
                **_vocabulary(), "form": form, "error": refused.message,
                "field": refused.field}, status=refused.status)
        return web.see_other(request, "/tilfredshed/tak")

    @get("/tak", name="satisfaction-thanks")
    async def thanks(self) -> Response:
        """The thank-you page after the tablet form."""
        return web.render("satisfaction/tablet_thanks.html", {})


class SatisfactionLeaderController(Controller):
    """The leaders' view: the criteria's drill-down and the answers without names."""

    path = "/tilfredshed"
    guards = [requires_login, requires_leader]

    @get("/kriterium", name="satisfaction-criterion")
    async def criterion(self, request: Request) -> Response:
        """Both criteria with their targets, and the move-outs without an answer."""
        start, end = web.period(request.query_params, clock.today())
        user = web.user_of(request)
        return web.render("satisfaction/criterion.html", {
            "start": start, "end": end, "sat": await service.figures(start, end),
            "answered_target": rules.ANSWERED_TARGET_PERCENT,
            "supported_target": rules.SUPPORTED_TARGET_PERCENT,
            "rows": await service.missing(user, start, end, web.client_address(request))})

    @get("/svar", name="satisfaction-answers")
    async def answers(self, request: Request) -> Response:
        """The answers of the period: counts per choice and the comments, without names."""
        start, end = web.period(request.query_params, clock.today())
        return web.render("satisfaction/answers.html", {
            **_vocabulary(), "start": start, "end": end,
            "answers": await service.answers(web.user_of(request), start, end,
                                             web.client_address(request))})


ROUTE_HANDLERS = [SatisfactionController, TabletController, SatisfactionLeaderController]
