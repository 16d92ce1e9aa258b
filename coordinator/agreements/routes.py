"""Pages for cooperation agreements: list, create, show, edit, evaluate, archive, due list.

Agreements are not family data. Socialrådgivere and leaders read, create and change them.
The father's kontaktperson, the samordner and admins get 404: an agreement's parties include
the crisis centre, its contact's phone and e-mail (where the mother is), which neither
side outside the family's team may read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from coordinator import clock, web
from coordinator.agreements import cadence, service
from coordinator.agreements.service import AgreementInput, PartyInput
from coordinator.auth import roles
from coordinator.auth.guards import requires_case_holder, requires_role
from coordinator.auth.once import once
from coordinator.network.validation import InvalidInput, normalise_phone

MAX_PARTIES = 12
EXTRA_PARTY_ROWS = 2
DEFAULT_DUE_DAYS = 60


def may_edit(user: object) -> bool:
    """Socialrådgivere and leaders create and change agreements."""
    return getattr(user, "role", None) in roles.CASE_HOLDERS


# Write routes: the case holders; others (the kontaktperson included) get 404.
requires_agreement_editor = requires_role(roles.CASE_HOLDERS)


async def _exists_or_404(agreement_id: int) -> None:
    """A write to an agreement that does not exist is 404 before its form is judged."""
    if await service.get_agreement(agreement_id, clock.today()) is None:
        raise NotFoundException()


# --- form parsing ---------------------------------------------------------------------------

def _email(form: Mapping[str, Any], name: str, label: str) -> str:
    value = web.text(form, name, label, max_length=254)
    if value and ("@" not in value or " " in value or value.startswith("@")
                  or value.endswith("@")):
        raise web.UserError(f"»{label}« er ikke en gyldig e-mailadresse.", field=name)
    return value


def _phone(form: Mapping[str, Any], name: str, label: str) -> str:
    """A phone number as the network form takes it (normalised, '+45 70 10 20 30')."""
    try:
        return normalise_phone(web.text(form, name, label, max_length=40), name)
    except InvalidInput as exc:
        raise web.UserError(f"»{label}«: {exc.message}", field=name) from None


def _party(form: Mapping[str, Any], index: int) -> PartyInput | None:
    prefix = f"party-{index}-"
    number = index + 1
    organisation = web.integer(form, prefix + "organisation", f"Part {number}: organisation",
                               required=False, minimum=1)
    details = dict(
        contact_name=web.text(form, prefix + "contact_name", f"Part {number}: kontaktperson",
                              max_length=200),
        contact_email=_email(form, prefix + "contact_email", f"Part {number}: e-mail"),
        contact_phone=_phone(form, prefix + "contact_phone", f"Part {number}: telefon"),
        obligations=web.text(form, prefix + "obligations", f"Part {number}: forpligtelser",
                             max_length=5000),
    )
    if organisation is None:
        if any(details.values()):
            raise web.UserError(f"Vælg organisationen for part {number}.",
                                field=prefix + "organisation")
        return None
    return PartyInput(organisation_id=organisation, row=index, **details)


def parse_agreement(form: Mapping[str, Any]) -> AgreementInput:
    """The agreement form as an AgreementInput; UserError with a Danish message when invalid."""
    parties = tuple(p for p in (_party(form, i) for i in range(MAX_PARTIES)) if p is not None)
    return AgreementInput(
        title=web.text(form, "title", "Titel", required=True, max_length=200),
        partner_id=web.integer(form, "partner", "Samarbejdspartner", minimum=1),
        period_start=web.a_date(form, "period_start", "Periodens start"),
        period_end=web.a_date(form, "period_end", "Periodens slut"),
        evaluation_months=web.integer(form, "evaluation_months", "Evalueringsrytme (måneder)",
                                      minimum=-1000, maximum=1000),
        status=web.choice(form, "status", "Status", cadence.STORED_STATUS_LABELS),
        purpose=web.text(form, "purpose", "Formål", max_length=5000),
        target_group=web.text(form, "target_group", "Målgruppe", max_length=5000),
        parties=parties,
    )


def _party_rows(form: Mapping[str, Any] | None, parties: list[dict] | None) -> list[dict]:
    """The party rows for the form: submitted values, or the stored parties, plus blanks."""
    fields = ("organisation", "contact_name", "contact_email", "contact_phone", "obligations")
    if form is not None:
        rows = [{f: str(form.get(f"party-{i}-{f}") or "") for f in fields}
                for i in range(MAX_PARTIES)]
        rows = [r for r in rows if any(r.values())]
    else:
        rows = [{f: str(p[f] if p[f] is not None else "") for f in fields} for p in parties or []]
    blank = {f: "" for f in fields}
    return (rows + [dict(blank) for _ in range(EXTRA_PARTY_ROWS)])[:MAX_PARTIES]


def _values_of(row: Mapping[str, Any]) -> dict[str, str]:
    """Form values from a stored agreement row or a snapshot."""
    return {
        "title": row["title"], "purpose": row["purpose"], "target_group": row["target_group"],
        "partner": str(row.get("partner", row.get("partner_id", ""))),
        "period_start": str(row["period_start"]), "period_end": str(row["period_end"]),
        "status": row["status"], "evaluation_months": str(row["evaluation_months"]),
    }


async def _form_page(request: Request, *, values: Mapping[str, Any], parties: list[dict],
                     action: str, heading: str, version: int | None = None,
                     error: str | None = None, status: int = 200,
                     conflict: dict | None = None, field: str | None = None) -> Response:
    return web.render("agreements/form.html", {
        "values": values, "parties": parties, "action": action, "heading": heading,
        "version": version, "error": error, "conflict": conflict, "field": field,
        "organisations": await service.organisations(),
        "statuses": cadence.STORED_STATUS_LABELS,
    }, status=status)


def _conflict_value(key: str, value: Any, names: Mapping[int, str]) -> str:
    """A stored or typed value as the form shows it: names, not ids; labels, not codes."""
    if value in (None, ""):
        return ""
    if key == "partner_id":
        return names.get(int(value), "Ukendt organisation")
    if key == "status":
        return cadence.STORED_STATUS_LABELS.get(str(value), str(value))
    if key in ("period_start", "period_end"):
        try:
            return web.fmt_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


CONFLICT_LABELS = {"title": "Titel", "partner_id": "Samarbejdspartner", "purpose": "Formål",
                   "target_group": "Målgruppe", "period_start": "Periodens start",
                   "period_end": "Periodens slut", "status": "Status",
                   "evaluation_months": "Evalueringsrytme (måneder)", "parties": "Parter"}


def _conflict(exc: web.Conflict, names: Mapping[int, str]) -> dict[str, Any]:
    """The one conflict view model (``web.conflict_view``) in the form's words: the partner
    and the parties by name, the status by its label, dates as dates (``names``:
    organisation id → name); only the form's fields."""

    def value(key: str, shown: Any) -> str:
        if key == "parties":
            return ", ".join(p.get("organisation_name")
                             or names.get(p["organisation_id"], "Ukendt organisation")
                             for p in shown or [])
        return _conflict_value(key, shown, names)

    return web.conflict_view(exc, label=CONFLICT_LABELS.__getitem__, value=value,
                             hidden=(set(exc.mine) | set(exc.theirs)) - set(CONFLICT_LABELS))


# --- pages ----------------------------------------------------------------------------------

class AgreementController(Controller):
    """Samarbejdsaftaler: the leaders' and case workers' overview of cooperation agreements."""

    path = "/agreements"
    guards = [requires_case_holder]

    @get("/", name="agreements")
    async def list_page(self, request: Request) -> Response:
        """All agreements with filters on computed status, partner and text."""
        params = request.query_params
        error = None
        try:
            status = web.choice(params, "status", "Status", service.STATUS_FILTERS,
                                required=False)
            partner = web.integer(params, "partner", "Samarbejdspartner", required=False,
                                  minimum=1)
            query = web.text(params, "q", "Søg", max_length=100)
        except web.UserError as exc:
            error, status, partner, query = exc.message, "", None, ""
        rows = await service.list_agreements(clock.today(), status, partner, query)
        context = {"agreements": rows, "error": error, "query": dict(params),
                   "statuses": service.STATUS_FILTERS,
                   "organisations": await service.organisations(),
                   "may_edit": may_edit(web.user_of(request))}
        return web.page_or_fragment(request, "agreements/list.html", "agreements/_table.html",
                                    context, status=422 if error else 200)

    @get("/new", name="agreement-new", guards=[requires_agreement_editor])
    async def new_page(self, request: Request) -> Response:
        """An empty agreement form."""
        return await _form_page(request, values={"status": "active", "evaluation_months": "12"},
                                parties=_party_rows(None, []), action="/agreements/",
                                heading="Ny samarbejdsaftale")

    @post("/", guards=[requires_agreement_editor])
    async def create(self, request: Request) -> Response:
        """Create an agreement; a 422 re-renders the form with the message, nothing saved;
        the form sent twice (a double click) creates it once (``once``)."""
        async def create_it() -> Response:
            form = await web.form_of(request)
            try:
                agreement_id = await service.create_agreement(
                    web.user_of(request), parse_agreement(form), web.client_address(request))
            except web.UserError as exc:
                return await _form_page(request, values=form, parties=_party_rows(form, None),
                                        action="/agreements/", heading="Ny samarbejdsaftale",
                                        error=exc.message, field=exc.field, status=exc.status)
            return web.see_other(request, f"/agreements/{agreement_id}")
        return await once(request, create_it)

    @get("/due", name="agreements-due")
    async def due_page(self, request: Request) -> Response:
        """Evaluations and renewals due within N days, and overdue ones."""
        error = None
        try:
            days = web.integer(request.query_params, "days", "Antal dage", required=False,
                               minimum=0, maximum=3650)
        except web.UserError as exc:
            error, days = exc.message, None
        days = DEFAULT_DUE_DAYS if days is None else days
        items = await service.due(clock.today(), days)
        return web.render("agreements/due.html", {
            "items": items, "days": days, "error": error,
            "may_edit": may_edit(web.user_of(request))}, status=422 if error else 200)

    @get("/{agreement_id:int}", name="agreement")
    async def detail_page(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """One agreement: parties, obligations, evaluations, kept versions."""
        return await self._detail(request, agreement_id)

    async def _detail(self, request: Request, agreement_id: int, *, error: str | None = None,
                      evaluation: Mapping[str, Any] | None = None,
                      status: int = 200, field: str | None = None) -> Response:
        agreement = await service.get_agreement(agreement_id, clock.today())
        if agreement is None:
            raise NotFoundException()
        return web.render("agreements/detail.html", {
            "a": agreement, "error": error, "evaluation": evaluation or {}, "field": field,
            "may_edit": may_edit(web.user_of(request)),
            "today": clock.today().isoformat()}, status=status)

    @get("/{agreement_id:int}/edit", name="agreement-edit", guards=[requires_agreement_editor])
    async def edit_page(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """The agreement form filled with the current version."""
        agreement = await service.get_agreement(agreement_id, clock.today())
        if agreement is None:
            raise NotFoundException()
        return await _form_page(request, values=_values_of(agreement),
                                parties=_party_rows(None, agreement["parties"]),
                                action=f"/agreements/{agreement_id}/edit",
                                heading=f"Ret »{agreement['title']}«",
                                version=agreement["version"])

    @post("/{agreement_id:int}/edit", guards=[requires_agreement_editor])
    async def update(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """Save a new version; 409 shows both versions when someone else saved first."""
        await _exists_or_404(agreement_id)
        form = await web.form_of(request)
        action = f"/agreements/{agreement_id}/edit"
        try:
            version = web.integer(form, "version", "Sidens udgave", minimum=1)
            await service.update_agreement(web.user_of(request), agreement_id, version,
                                           parse_agreement(form), web.client_address(request))
        except web.Conflict as exc:
            names = {o["id"]: o["name"] for o in await service.organisations()}
            conflict = _conflict(exc, names)
            return await _form_page(request, values=form, parties=_party_rows(form, None),
                                    action=action, heading="Aftalen er ændret af en anden",
                                    version=exc.theirs["version"], status=409, conflict=conflict)
        except web.UserError as exc:
            if exc.status == 404:
                raise NotFoundException() from None
            return await _form_page(request, values=form, parties=_party_rows(form, None),
                                    action=action, heading="Ret samarbejdsaftale",
                                    version=form.get("version"), error=exc.message, field=exc.field,
                                    status=exc.status)
        return web.see_other(request, f"/agreements/{agreement_id}")

    @post("/{agreement_id:int}/evaluations", guards=[requires_agreement_editor])
    async def add_evaluation(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """Record an evaluation held; bad dates re-render the page with the message."""
        form = await web.form_of(request)
        try:
            held_on = web.a_date(form, "held_on", "Dato for evalueringen")
            await service.record_evaluation(
                web.user_of(request), agreement_id, held_on,
                web.text(form, "participants", "Deltagere", max_length=2000),
                web.text(form, "conclusions", "Konklusioner", required=True, max_length=10000),
                web.text(form, "changes", "Ændringer i aftalen", max_length=10000),
                clock.today(), web.client_address(request))
        except web.UserError as exc:
            if exc.status == 404:
                raise NotFoundException() from None
            return await self._detail(request, agreement_id, error=exc.message, field=exc.field,
                                      evaluation=form, status=exc.status)
        return web.see_other(request, f"/agreements/{agreement_id}#evaluations")

    @post("/{agreement_id:int}/evaluation-meeting", guards=[requires_agreement_editor])
    async def plan_evaluation_meeting(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """»Planlæg evalueringsmøde«: a draft meeting with the parties' contact persons."""
        meeting_id = await service.plan_evaluation_meeting(
            web.user_of(request), agreement_id, web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}")

    @post("/{agreement_id:int}/archive", guards=[requires_agreement_editor])
    async def archive(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """Archive an agreement; it stays readable with its evaluations and versions."""
        await _exists_or_404(agreement_id)
        form = await web.form_of(request)
        version = web.integer(form, "version", "Sidens udgave", minimum=1)
        await self._or_404(service.archive_agreement(
            web.user_of(request), agreement_id, version, web.client_address(request)))
        return web.see_other(request, f"/agreements/{agreement_id}")

    @post("/{agreement_id:int}/delete", guards=[requires_agreement_editor])
    async def delete(self, request: Request, agreement_id: FromPath[int]) -> Response:
        """Delete an agreement without evaluations; with evaluations it is refused (409)."""
        await self._or_404(service.delete_agreement(web.user_of(request), agreement_id,
                                                    web.client_address(request)))
        return web.see_other(request, "/agreements/")

    @staticmethod
    async def _or_404(action) -> None:
        try:
            await action
        except web.UserError as exc:
            if exc.status == 404:
                raise NotFoundException() from None
            raise

    @get("/{agreement_id:int}/versions/{number:int}", name="agreement-version")
    async def version_page(self, request: Request, agreement_id: FromPath[int],
                           number: FromPath[int]) -> Response:
        """An earlier (or the current) version of the agreement, read-only."""
        version = await service.get_version(agreement_id, number)
        if version is None:
            raise NotFoundException()
        latest = await service.get_agreement(agreement_id, clock.today())
        return web.render("agreements/version.html", {
            "v": version, "d": version["data"], "agreement_id": agreement_id,
            "current_version": latest["version"] if latest else None,
            "statuses": cadence.STORED_STATUS_LABELS})
