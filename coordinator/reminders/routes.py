"""HTTP for reminders: the user's own reminder page, and the opt-out link of a reminder
mail (no account needed)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from coordinator import web
from coordinator.auth.guards import requires_login
from coordinator.reminders import service
from coordinator.reminders.preferences import Choice

_NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


class ReminderSettingsController(Controller):
    """``/paamindelser/``: the daily digest and the reminders before meetings, on or off."""

    path = "/paamindelser"
    guards = [requires_login]

    @get("/", name="reminders")
    async def page(self, request: Request) -> Response:
        user = web.user_of(request)
        return web.render("reminders/settings.html", {
            "page": await service.settings_page(user),
            "saved": request.query_params.get("gemt") == "1"})

    @post("/")
    async def save(self, request: Request) -> Response:
        form = await web.form_of(request)
        user = web.user_of(request)
        choice = Choice(digest=web.checkbox(form, "digest"),
                        meeting_reminders=web.checkbox(form, "meeting_reminders"))
        await service.save_settings(user, choice, web.client_address(request))
        return web.see_other(request, "/paamindelser/?gemt=1")


class ReminderOptOutController(Controller):
    """``/paamindelser/fra/{link}``: a participant stops (or restarts) the reminders before
    meetings. The GET only asks (mail scanners follow links); the POST decides."""

    path = "/paamindelser/fra"

    @get("/{link:str}")
    async def page(self, link: FromPath[str]) -> Response:
        state = await service.opt_out_state(link)
        if state is None:
            raise NotFoundException()
        return web.render("reminders/opt_out.html", {"opted_out": state, "changed": False},
                          headers=_NO_STORE)

    @post("/{link:str}")
    async def change(self, request: Request, link: FromPath[str]) -> Response:
        if await service.opt_out_state(link) is None:  # an unknown link, whatever was posted
            raise NotFoundException()
        form = await web.form_of(request)
        wanted = web.choice(form, "reminders", "Påmindelser", {"off", "on"})
        if not await service.set_opt_out(link, wanted == "off"):
            raise NotFoundException()
        return web.render("reminders/opt_out.html", {"opted_out": wanted == "off", "changed": True},
                          headers=_NO_STORE)
