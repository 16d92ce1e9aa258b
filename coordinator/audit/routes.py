"""The audit log page for leaders."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from coordinator import web
from coordinator.audit import service
from coordinator.auth.guards import requires_audit_reader


class AuditController(Controller):
    """Filter and page through who read or changed what."""

    path = "/audit"
    guards = [requires_audit_reader]

    @get("/", name="audit")
    async def list_page(self, request: Request) -> Response:
        params = request.query_params
        try:
            family_id = web.integer(params, "family", "Familie", required=False, minimum=1)
            reference = web.text(params, "sag", "Sagsnummer", max_length=32)
            if reference:  # a case number nobody has shows no events
                family_id = await service.family_by_reference(reference) or 0
            page = web.integer(params, "page", "Side", required=False, minimum=1, maximum=100000)
            flt = service.AuditFilter(
                username=web.text(params, "username", "Bruger", max_length=64),
                family_id=family_id,
                action=web.choice(params, "action", "Handling", service.ACTION_LABELS,
                                  required=False),
                date_from=web.a_date(params, "from", "Fra", required=False),
                date_to=web.a_date(params, "to", "Til", required=False),
                page=page or 1,
            )
        except web.UserError as exc:
            return web.render("audit/list.html", {
                "events": [], "has_next": False, "flt": None, "error": exc.message,
                "field": exc.field,
                "actions": service.ACTION_LABELS, "query": dict(params)}, status=422)
        events, has_next = await service.search(flt)
        events = await service.view_for(web.user_of(request), events)
        return web.page_or_fragment(request, "audit/list.html", "audit/_events.html", {
            "events": events, "has_next": has_next, "flt": flt, "error": None,
            "actions": service.ACTION_LABELS, "query": dict(params)})
