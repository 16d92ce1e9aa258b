"""The start page and the family page."""

from __future__ import annotations

from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath

from coordinator import pagecache, web
from coordinator.auth.guards import requires_login
from coordinator.auth.roles import Role
from coordinator.families import service
from coordinator.families.sections import family_sections

# Family pages by user, content stamps and minute (see coordinator/pagecache.py).
FAMILY_PAGES = pagecache.PageCache()


ROLE_START_PAGES = {Role.KONTAKTPERSON: "/followup/kontaktperson",
                    Role.SAMORDNER: "/meetings/coordinated", Role.ADMIN: "/admin/users/"}


class FamilyController(Controller):
    """Pages that show families the user works with."""

    guards = [requires_login]

    @get("/", name="home")
    async def home(self, request: Request) -> Response:
        user = web.user_of(request)
        # Each role starts where its work is: the father's kontaktperson with the fathers
        # referred to them, the samordner with the familierådslagninger they coordinate.
        start = ROLE_START_PAGES.get(user.role)
        if start:
            return web.see_other(request, start)
        families = await service.families_for(user)
        return web.render("home.html", {"families": families})

    @get("/families/{family_id:int}", name="family")
    async def family_page(self, request: Request, family_id: FromPath[int]) -> Response:
        user = web.user_of(request)
        family, stamps = await service.open_family_page(user, family_id,
                                                        web.client_address(request))
        # Everything the page shows is in the key: the user it is for, the database's
        # stamps of the family's and the shared content, and the minute ("next meeting").
        key = ("family", user, family_id, stamps.family, stamps.shared, pagecache.minute())
        page = FAMILY_PAGES.get(key)
        if page is None:
            sections = []
            for section in family_sections():
                context = await section.load(user, family)
                sections.append({"key": section.key, "template": section.template, **context})
            page = pagecache.render_for_cache(request, "families/detail.html", {
                "family": family, "team": await service.team_of(family_id),
                "sections": sections})
            FAMILY_PAGES.put(key, page)
        return Response(pagecache.serve(request, page), media_type=MediaType.HTML)
