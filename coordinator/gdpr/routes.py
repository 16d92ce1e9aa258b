"""GDPR pages: a person's access export (page and JSON download), closing a case.

Team members only: every route loads the family through ``load_family`` (404 for
anyone else); the export is audited as "export", closing as "update".
"""

from __future__ import annotations

import json

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from coordinator import clock, web
from coordinator.auth.guards import requires_case_worker, requires_login
from coordinator.auth.policy import Action
from coordinator.families import cases
from coordinator.families.service import load_family
from coordinator.gdpr import service


class GdprController(Controller):
    """/families/{id}/people/{pid}/export(.json) and /families/{id}/close."""

    path = "/families/{family_id:int}"
    guards = [requires_login, requires_case_worker]

    async def _export(self, request: Request, family_id: int, person_id: int) -> dict:
        user = web.user_of(request)
        family = await load_family(user, family_id, Action.READ, what="indsigt",
                                   address=web.client_address(request), audit_read=False)
        return await service.export_person(user, family, person_id, web.client_address(request))

    @get("/people/{person_id:int}/export", name="gdpr-export")
    async def export_page(self, request: Request, family_id: FromPath[int],
                          person_id: FromPath[int]) -> Response:
        data = await self._export(request, family_id, person_id)
        return web.render("gdpr/export.html", {"view": service.page_view(data),
                                               "family_id": family_id, "person_id": person_id})

    @get("/people/{person_id:int}/export.json", name="gdpr-export-json")
    async def export_json(self, request: Request, family_id: FromPath[int],
                          person_id: FromPath[int]) -> Response:
        data = await self._export(request, family_id, person_id)
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return Response(body, media_type="application/json; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="indsigt-person-{person_id}.json"',
            "cache-control": "no-store"})

    @get("/close", name="family-close-confirm")
    async def close_page(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._closable(request, family_id)
        return web.render("gdpr/close.html", {
            "family": family, "reasons": service.CLOSE_REASONS,
            "open_stay": any(s.current for s in await cases.stays_of(family_id))})

    @post("/close", name="family-close")
    async def close(self, request: Request, family_id: FromPath[int]) -> Response:
        family = await self._closable(request, family_id)
        form = await web.form_of(request)
        if not web.checkbox(form, "confirm"):
            raise web.UserError("Bekræft, at sagen skal lukkes. Intet er ændret.", field="confirm")
        reason = web.choice(form, "reason", "Hvorfor lukkes sagen?", service.CLOSE_REASONS,
                            required=False)
        version = web.integer(form, "version", "Sidens udgave", required=False, minimum=0)
        await service.close_family(web.user_of(request), family, version,
                                   clock.today(), reason, web.client_address(request))
        return web.see_other(request, f"/families/{family_id}")

    async def _closable(self, request: Request, family_id: int) -> dict:
        user = web.user_of(request)
        family = await load_family(user, family_id, Action.READ, what="lukning af sag",
                                   address=web.client_address(request), audit_read=False)
        if family["status"] == "closed":
            raise web.UserError("Sagen er allerede lukket.", 409)
        return await load_family(user, family_id, Action.WRITE, what="lukning af sag",
                                 address=web.client_address(request))


ROUTE_HANDLERS = [GdprController]
