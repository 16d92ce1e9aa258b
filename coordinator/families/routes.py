"""The start page and the family page."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from litestar.params import FromPath

from coordinator import web
from coordinator.auth.guards import requires_login
from coordinator.auth.policy import Action
from coordinator.families import service
from coordinator.families.sections import family_sections


class FamilyController(Controller):
    """Pages that show families the user works with."""

    guards = [requires_login]

    @get("/", name="home")
    async def home(self, request: Request) -> Response:
        user = web.user_of(request)
        families = await service.families_for(user)
        return web.render("home.html", {"families": families})

    @get("/families/{family_id:int}", name="family")
    async def family_page(self, request: Request, family_id: FromPath[int]) -> Response:
        user = web.user_of(request)
        family = await service.load_family(user, family_id, Action.READ, what="familieside",
                                           address=web.client_address(request))
        sections = []
        for section in family_sections():
            context = await section.load(user, family)
            sections.append({"key": section.key, "template": section.template, **context})
        return web.render("families/detail.html", {
            "family": family, "team": await service.team_of(family_id), "sections": sections})
