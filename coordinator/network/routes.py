"""Network pages: the intake, editing people/relations/keep-apart pairs, history, the map.

Every route loads the family through the access policy (a foreign family is 404 for GET
and POST alike). htmx requests get partials; the same forms work as plain posts (303).
Bad input re-renders the form with a Danish message and a 4xx; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath

from coordinator import clock, pagecache, web
from coordinator.audit import service as audit
from coordinator.auth import roles
from coordinator.auth.guards import requires_login, requires_role
from coordinator.auth.once import once
from coordinator.auth.policy import Action, Principal
from coordinator.families.service import (
    load_family,
    network_known,
    one_shared_stamp,
    open_family_page,
)
from coordinator.meetings import flows as meeting_flows
from coordinator.network import directory as org_directory
from coordinator.network import ecomap, forms, service
from coordinator.network.service import DuplicatePerson, NeedsConfirmation, RelationInput
from coordinator.network.validation import ANSWERS, S50_STATUSES
from coordinator.network.vocab import (
    ORGANISATION_KINDS,
    RELATION_TYPES,
    SECTOR_LABELS,
    PersonRole,
    Tie,
)

EDITOR_PAGES = pagecache.PageCache(weigh=lambda kept: len(kept[0]), name="network editor pages")

FAMILY_MEMBER_ROLES = {r.value: r.label_da for r in (
    PersonRole.MOTHER, PersonRole.FATHER, PersonRole.CHILD, PersonRole.OTHER_CAREGIVER)}
SUPPORT_KINDS = ("school", "day_care", "ppr")
CARE_LINKS = {"mother": "mother_of", "father": "father_of", "other_caregiver": "parent_of"}

# The intake's questions in the order the worker asks them (seed: the intake form).
INTAKE_BLOCKS: list[dict[str, str]] = [
    {"key": "family", "heading": "Familien",
     "question": "Hvem er familien? Tilføj mor, børn og far (eller andre omsorgspersoner)."},
    {"key": "public_help", "heading": "Hjælp fra andre offentlige instanser",
     "question": "Får kvinden eller børnene hjælp fra andre offentlige instanser?"},
    {"key": "social_worker", "heading": "Socialrådgiver i Familieafdelingen",
     "question": "Hvem er familiens socialrådgiver i Familieafdelingen? Navn og telefon."},
    {"key": "s50", "heading": "Børnefaglig undersøgelse (SL § 50) og støtteforanstaltninger",
     "question": "Er der lavet en § 50-undersøgelse? Er der iværksat støtteforanstaltninger?"},
    {"key": "s141", "heading": "Handleplan (SL § 141)",
     "question": "Er der udarbejdet en handleplan efter § 141?"},
    {"key": "special_support", "heading": "Særlig støtte i dagtilbud, skole eller PPR",
     "question": "Får børnene særlig støtte i dagtilbud, skole eller fra PPR?"},
    {"key": "public_contacts", "heading": "Andre offentlige kontakter",
     "question": "Hvilke andre offentlige kontakter har familien? Navn og telefon."},
    {"key": "private_network", "heading": "Vigtige personer i det private netværk",
     "question": "Hvem er vigtige for familien (familie, venner, naboer, andre), "
                 "og hvad hjælper de med?"},
]
# Blocks answered in the case facts; the others add people to the network.
FACT_BLOCKS = ("public_help", "s50", "s141", "special_support")
for _number, _block in enumerate(INTAKE_BLOCKS, 1):
    _block["number"] = str(_number)
    _block["form"] = "facts" if _block["key"] in FACT_BLOCKS else "people"
BLOCK_KEYS = {b["key"] for b in INTAKE_BLOCKS} | {"special_support_person"}


def _address(request: Request) -> str:
    return web.client_address(request)


async def _family(request: Request, family_id: int, action: Action, what: str
                  ) -> tuple[Principal, dict]:
    user = web.user_of(request)
    family = await load_family(user, family_id, action, what=what, address=_address(request))
    return user, family


async def _targets(request: Request) -> list[int]:
    data = await request.form()
    return forms.ids(list(data.getall("target")) if "target" in data else [], "Hvem")


def _choices() -> dict[str, Any]:
    return {
        "member_roles": FAMILY_MEMBER_ROLES, "roles": forms.ROLE_CHOICES,
        "sectors": forms.SECTOR_CHOICES, "kinds": forms.KIND_CHOICES,
        "support_kinds": {k: forms.KIND_CHOICES[k] for k in SUPPORT_KINDS},
        "professional_relations": forms.PROFESSIONAL_RELATIONS,
        "private_relations": forms.PRIVATE_RELATIONS,
        "person_relations": forms.PERSON_RELATIONS,
        "all_relations": {k: rt.label_da for k, rt in RELATION_TYPES.items()},
        "answers": ANSWERS, "s50_statuses": S50_STATUSES,
    }


def _error_context(exc: web.UserError) -> dict[str, Any]:
    context: dict[str, Any] = {"error": exc.message, "error_field": exc.field}
    if isinstance(exc, DuplicatePerson):
        context["duplicate"] = exc.existing
    if isinstance(exc, web.Conflict):
        context["conflict"] = web.conflict_view(exc)  # keyed by the form's labels already
    if isinstance(exc, NeedsConfirmation):
        context["confirm"] = {"person": exc.person, "relations": exc.relations}
    return context


# ------------------------------------------------------------------------- intake


def _family_links(net: service.Network, role: str) -> list[RelationInput]:
    """Relations a new family member gets at once: caregivers to children, and back."""
    if role == PersonRole.CHILD.value:
        return [RelationInput(CARE_LINKS[p["role"]], source_id=p["id"], target_is_new=True)
                for p in net.people if p["role"] in CARE_LINKS and not p["is_professional"]]
    if role in CARE_LINKS:
        return [RelationInput(CARE_LINKS[role], target_person_id=c["id"]) for c in net.children]
    return []


async def _apply_intake(user: Principal, family_id: int, block: str, form: dict,
                        targets: list[int], address: str) -> str:
    """Turn one answered question block into case facts, people and edges."""
    if block in FACT_BLOCKS:
        readers: dict[str, Callable[[], dict[str, Any]]] = {
            "public_help": lambda: {
                "public_help": forms.answer(form, "public_help", "Svar"),
                "public_help_note": forms.free_text(form, "public_help_note", "Hvilke instanser",
                                                    max_length=2000)},
            "s50": lambda: {
                "s50_status": forms.s50_status(form),
                "s50_date": web.a_date(form, "s50_date", "Dato for § 50-undersøgelsen",
                                       required=False),
                "support_measures": forms.free_text(form, "support_measures",
                                                    "Støtteforanstaltninger", max_length=2000)},
            "s141": lambda: {
                "s141_plan": forms.answer(form, "s141_plan", "Svar"),
                "s141_date": web.a_date(form, "s141_date", "Dato for handleplanen",
                                        required=False)},
            "special_support": lambda: {
                "special_support": forms.answer(form, "special_support", "Svar"),
                "special_support_note": forms.free_text(form, "special_support_note",
                                                        "Hvilken støtte", max_length=2000)},
        }
        values = readers[block]()
        await service.save_case_facts(user, family_id, values, forms.version(form), address)
        return "Svaret er gemt."
    existing = forms.optional_id(form, "existing_person_id", "Eksisterende person")
    if block == "family":
        role = web.choice(form, "role", "Rolle i familien", FAMILY_MEMBER_ROLES)
        data = forms.person_input(form, role=role, professional=False)
        net = await service.load_network(family_id)
        links = _family_links(net, role) if web.checkbox(form, "link_family") else []
        await service.add_person(user, family_id, data, relations=links, existing_id=existing,
                                 address=address)
        return f"{data.name} er tilføjet."
    note = forms.free_text(form, "note", "Hvad hjælper personen med", max_length=2000)
    if not targets:
        raise web.UserError("Vælg, hvem i familien personen har en relation til.", field="target")
    if block == "private_network":
        type_ = forms.relation_type_key(form)
        if type_ not in forms.PRIVATE_RELATIONS:
            raise web.UserError("Ukendt relationstype. Vælg en relation fra listen.", field="type")
        role = (PersonRole.RELATIVE if RELATION_TYPES[type_].tie is Tie.FAMILY
                else PersonRole.PRIVATE_NETWORK).value
        data = forms.person_input(form, role=role, professional=False)
        data = replace(data, sector="private_network", organisation_name="")
    else:
        if block == "social_worker":
            type_ = "social_worker_for"
        else:
            type_ = forms.relation_type_key(form)
            if type_ not in forms.PROFESSIONAL_RELATIONS:
                raise web.UserError("Ukendt relationstype. Vælg en relation fra listen.",
                                    field="type")
        data = forms.person_input(form, role=PersonRole.PROFESSIONAL.value, professional=True)
        if block == "social_worker" and not data.organisation_kind:
            data = replace(data, organisation_kind="family_department")
    await service.add_person(user, family_id, data,
                             relations=forms.relations_to(targets, type_, note),
                             existing_id=existing, address=address)
    return (f"{data.name} er tilføjet med relationen »{RELATION_TYPES[type_].label_da}« "
            f"til {len(targets)} {'person' if len(targets) == 1 else 'personer'}.")


async def _intake_context(family: dict, net: service.Network | None = None) -> dict[str, Any]:
    net = net or await service.load_network(family["id"])
    return {
        "family": family, "blocks": INTAKE_BLOCKS, "facts": await service.case_facts(family["id"]),
        **_suggestions(await service.directory_choices(), net),
        "forms": {}, "errors": {}, "messages": {},
        **_choices(), "s": await service.section_context(net),
    }


class NetworkController(Controller):
    """The intake, network editing, history and the printable map of one family."""

    path = "/families/{family_id:int}"
    guards = [requires_login]

    # -- intake
    @get("/intake", name="network-intake")
    async def intake_page(self, request: Request, family_id: FromPath[int]) -> Response:
        _, family = await _family(request, family_id, Action.READ, "netværk: intake")
        return web.render("network/intake.html", await _intake_context(family))

    @post("/intake/{block:str}", name="network-intake-block")
    async def intake_post(self, request: Request, family_id: FromPath[int],
                          block: FromPath[str]) -> Response:
        user, family = await _family(request, family_id, Action.WRITE, "netværk")
        if block not in BLOCK_KEYS:
            raise web.UserError("Ukendt spørgsmål.", 404)
        form = await web.form_of(request)
        shown = "special_support" if block == "special_support_person" else block
        try:
            message = await _apply_intake(user, family_id, block, form, await _targets(request),
                                          _address(request))
        except web.UserError as exc:
            context = await _intake_context(family)
            context["forms"] = {block: form}
            context["errors"] = {block: _error_context(exc)}
            status = exc.status if exc.status in (404, 409) else 422
            block_def = next(b for b in INTAKE_BLOCKS if b["key"] == shown)
            return web.page_or_fragment(request, "network/intake.html",
                                        "network/_intake_block.html",
                                        {**context, "block": block_def}, status)
        if not web.is_htmx(request):
            return web.see_other(request, f"/families/{family_id}/intake#q-{shown}")
        context = await _intake_context(family)
        context["messages"] = {shown: message}
        block_def = next(b for b in INTAKE_BLOCKS if b["key"] == shown)
        return web.render("network/_intake_response.html", {**context, "block": block_def})

    # -- editing
    @get("/network", name="network-edit")
    async def edit_page(self, request: Request, family_id: FromPath[int]) -> Response:
        user = web.user_of(request)
        family, stamps = await open_family_page(user, family_id, _address(request),
                                                "netværk: redigering")
        # Kept like the family page (families/routes.py): everything the editor shows is
        # the family's network and the shared directory, under their stamps (the network
        # stamp, not the family's: a meeting's change leaves the editor as it is), for this
        # user, this day (tests/network/test_editor_cache.py).
        key = (("network editor", user, family_id, *stamps.network_key, stamps.shared,
                clock.today()) if stamps.keyable else None)

        async def render() -> bytes:
            with one_shared_stamp(stamps.shared), network_known(family_id, stamps):
                context = await _editor_context(family)
            return pagecache.render_for_cache(request, "network/edit.html", context)

        page = await pagecache.kept_for_the_day(EDITOR_PAGES, key, render)
        return Response(pagecache.serve(request, page), media_type=MediaType.HTML)

    @post("/network/people", name="network-person-add")
    async def person_add(self, request: Request, family_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            if forms.optional_id(form, "existing_person_id", "Eksisterende person") is not None:
                return  # the duplicate offer taken: the person is already there
            await service.add_person(user, family_id, forms.person_input(form), address=address)
        # the form sent twice (a double click) adds the person once
        return await once(request, lambda: _edit(request, family_id, "add_person", action))

    @get("/network/people/{person_id:int}/edit", name="network-person-form")
    async def person_form(self, request: Request, family_id: FromPath[int],
                          person_id: FromPath[int]) -> Response:
        family = await _readable(request, family_id)
        return await _edit_form(request, family, "edit_person",
                                await service.person_row(family_id, person_id))

    @post("/network/people/{person_id:int}", name="network-person-update")
    async def person_update(self, request: Request, family_id: FromPath[int],
                            person_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.update_person(user, family_id, person_id, forms.person_input(form),
                                        forms.version(form), address)
        return await _edit(request, family_id, "edit_person", action, person_id=person_id)

    @get("/network/people/{person_id:int}/remove", name="network-person-confirm")
    async def person_confirm(self, request: Request, family_id: FromPath[int],
                             person_id: FromPath[int]) -> Response:
        _, family = await _family(request, family_id, Action.READ, "netværk: person")
        person, described = await service.connections_of(family_id, person_id)
        context = {**await _editor_context(family), "editing": "remove_person",
                   "confirm": {"person": person, "relations": described}}
        return web.page_or_fragment(request, "network/edit.html",
                                    "network/_person_remove.html", context)

    @post("/network/people/{person_id:int}/remove", name="network-person-remove")
    async def person_remove(self, request: Request, family_id: FromPath[int],
                            person_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            version = web.integer(form, "version", "Sidens udgave", required=False, minimum=0)
            await service.remove_person(user, family_id, person_id, version,
                                        web.checkbox(form, "confirm"), address)
        return await _edit(request, family_id, "remove_person", action, person_id=person_id)

    @post("/network/relations", name="network-relation-add")
    async def relation_add(self, request: Request, family_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.add_relation(user, family_id, RelationInput(
                type=forms.relation_type_key(form),
                source_id=forms.optional_id(form, "source", "Fra"),
                target_person_id=forms.optional_id(form, "target_person", "Til person"),
                target_organisation_id=forms.optional_id(form, "target_organisation",
                                                         "Til organisation"),
                note=forms.free_text(form, "note", "Hjælp/note", max_length=2000)), address)
        return await once(request, lambda: _edit(request, family_id, "add_relation", action))

    @get("/network/relations/{relation_id:int}/edit", name="network-relation-form")
    async def relation_form(self, request: Request, family_id: FromPath[int],
                            relation_id: FromPath[int]) -> Response:
        family = await _readable(request, family_id)
        return await _edit_form(request, family, "edit_relation",
                                await service.relation_row(family_id, relation_id))

    @post("/network/relations/{relation_id:int}", name="network-relation-update")
    async def relation_update(self, request: Request, family_id: FromPath[int],
                              relation_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.update_relation(
                user, family_id, relation_id, forms.relation_type_key(form),
                forms.free_text(form, "note", "Hjælp/note", max_length=2000),
                forms.version(form), address)
        return await _edit(request, family_id, "edit_relation", action, relation_id=relation_id)

    @post("/network/relations/{relation_id:int}/remove", name="network-relation-remove")
    async def relation_remove(self, request: Request, family_id: FromPath[int],
                              relation_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.remove_relation(user, family_id, relation_id, address)
        return await _edit(request, family_id, "remove_relation", action)

    @post("/network/keep-apart", name="network-keep-apart-add")
    async def keep_apart_add(self, request: Request, family_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.add_keep_apart(
                user, family_id, forms.optional_id(form, "person_a", "Første person"),
                forms.optional_id(form, "person_b", "Anden person"),
                forms.free_text(form, "reason", "Begrundelse", max_length=2000), address)
        return await once(request, lambda: _edit(request, family_id, "add_keep_apart", action))

    @get("/network/keep-apart/{pair_id:int}/edit", name="network-keep-apart-form")
    async def keep_apart_form(self, request: Request, family_id: FromPath[int],
                              pair_id: FromPath[int]) -> Response:
        family = await _readable(request, family_id)
        return await _edit_form(request, family, "edit_keep_apart",
                                await service.keep_apart_row(family_id, pair_id))

    @post("/network/keep-apart/{pair_id:int}", name="network-keep-apart-update")
    async def keep_apart_update(self, request: Request, family_id: FromPath[int],
                                pair_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.update_keep_apart(
                user, family_id, pair_id,
                forms.free_text(form, "reason", "Begrundelse", max_length=2000),
                forms.version(form), address)
        return await _edit(request, family_id, "edit_keep_apart", action, pair_id=pair_id)

    @post("/network/keep-apart/{pair_id:int}/remove", name="network-keep-apart-remove")
    async def keep_apart_remove(self, request: Request, family_id: FromPath[int],
                                pair_id: FromPath[int]) -> Response:
        async def action(user: Principal, form: dict, address: str) -> None:
            await service.remove_keep_apart(user, family_id, pair_id, address)
        return await _edit(request, family_id, "remove_keep_apart", action)

    # -- history and the printable map
    @get("/history", name="network-history")
    async def history_page(self, request: Request, family_id: FromPath[int]) -> Response:
        _, family = await _family(request, family_id, Action.READ, "netværk: historik")
        return web.render("network/history.html", {
            "family": family, "changes": await service.history(family_id)})

    @get("/network.svg", name="network-svg")
    async def network_svg(self, request: Request, family_id: FromPath[int]) -> Response:
        user, family = await _family(request, family_id, Action.READ, "netværkskort")
        net = await service.load_network(family_id)
        svg = ecomap.ecomap_svg(net.snapshot, id_prefix="ecomap")
        await audit.record(user, "export", "netværkskort", family_id, family_id,
                           "Netværkskort hentet (SVG)", _address(request))
        return Response(content=svg, media_type="image/svg+xml", headers={
            "content-disposition": 'attachment; filename="netvaerkskort.svg"',
            "cache-control": "no-store"})

    @get("/network/print", name="network-print")
    async def network_print(self, request: Request, family_id: FromPath[int]) -> Response:
        """The ecomap alone on one A4 landscape page, to print or save as PDF."""
        user, family = await _family(request, family_id, Action.READ, "netværkskort: udskrift")
        net = await service.load_network(family_id)
        await audit.record(user, "export", "netværkskort", family_id, family_id,
                           "Netværkskort vist til udskrift (A4 liggende)", _address(request))
        pairs = [(net.person_name(p["person_a"]), net.person_name(p["person_b"]))
                 for p in net.keep_apart]
        return web.render("network/print.html", {
            "family": family, "svg": service.printable_ecomap(net), "keep_apart": pairs,
            "today": clock.today()},
            headers={"cache-control": "no-store"})


# ----------------------------------------------------------------------- editing


async def _editor_context(family: dict) -> dict[str, Any]:
    net = await service.load_network(family["id"])
    choices = await service.directory_choices()
    return {"family": family, "net": net, "people_rows": service.people_table(net),
            "directory_choices": choices, **_suggestions(choices, net), "form": {},
            "forms": {}, **_choices()}


def _suggestions(choices: service.DirectoryChoices, net: service.Network) -> dict[str, Any]:
    """The organisation names a person form suggests: the whole directory, or for a large
    one the network's own organisations, the rest looked up as the name is typed."""
    if not choices.large:
        return {"directory_suggestions": choices.suggestions, "directory_search": False}
    return {"directory_suggestions": choices.suggested(net.organisations),
            "directory_search": True}


EditAction = Callable[..., Awaitable[None]]
EDIT_FORMS = {  # editing key -> (context name of the row, partial)
    "edit_person": ("person", "network/_person_form.html"),
    "edit_relation": ("relation", "network/_relation_form.html"),
    "edit_keep_apart": ("pair", "network/_keep_apart_form.html"),
}


async def _readable(request: Request, family_id: int) -> dict:
    """The family for an edit form (404 for a foreign one; the read is audited)."""
    _, family = await _family(request, family_id, Action.READ, "netværk: redigering")
    return family


async def _edit_form(request: Request, family: dict, editing: str, row: dict) -> Response:
    """An edit form filled from the stored row: a partial for htmx, the editor page otherwise."""
    name, partial = EDIT_FORMS[editing]
    context = {**await _editor_context(family), name: row, "form": row, "editing": editing}
    return web.page_or_fragment(request, "network/edit.html", partial, context)


async def _edit(request: Request, family_id: int, form_key: str, action: EditAction,
                **ids: int) -> Response:
    """Run one editing action; re-render the editor (htmx) or redirect (plain post)."""
    user, family = await _family(request, family_id, Action.WRITE, "netværk")
    form = await web.form_of(request)
    try:
        await action(user, form, _address(request))
    except web.UserError as exc:
        context = await _editor_context(family)
        context.update(forms={form_key: form}, form=form, editing=form_key, **ids,
                       **_error_context(exc))
        await _current_rows(context, family_id, ids)
        status = exc.status if exc.status in (404, 409) else 422
        template = {"remove_person": "network/_person_remove.html",
                    **{k: v[1] for k, v in EDIT_FORMS.items()}}.get(form_key)
        if web.is_htmx(request) and template:
            return web.render(template, context, status)
        return web.page_or_fragment(request, "network/edit.html", "network/_editor.html",
                                    context, status)
    # A change that made a meeting already sent unsafe (a person marked protected, a pair
    # kept apart) is told at once: without JavaScript on the family page's warning.
    unsafe = await meeting_flows.unsafe_now(family_id)
    if not web.is_htmx(request):
        return web.see_other(request, f"/families/{family_id}#unsafe-meetings" if unsafe
                             else f"/families/{family_id}/network")
    return web.render("network/_editor.html", {**await _editor_context(family),
                                               "saved": True, "unsafe": unsafe})


async def _current_rows(context: dict[str, Any], family_id: int, ids: dict[str, int]) -> None:
    """The rows an edit form needs when it is shown again with an error."""
    if "person_id" in ids:
        context["person"] = await service.person_row(family_id, ids["person_id"])
    if "relation_id" in ids:
        context["relation"] = await service.relation_row(family_id, ids["relation_id"])
    if "pair_id" in ids:
        context["pair"] = await service.keep_apart_row(family_id, ids["pair_id"])


# ---------------------------------------------------------------------- the directory

# Socialrådgivere read the directory; leaders and admins keep it. Others get 404.
requires_directory_reader = requires_role(roles.DIRECTORY_READERS)
requires_directory_editor = requires_role(roles.DIRECTORY_EDITORS)


def _org_form(form: dict) -> org_directory.OrganisationData:
    try:
        return org_directory.organisation(
            web.text(form, "name", "Navn", max_length=300), web.text(form, "kind", "Type", max_length=64),
            web.text(form, "sector", "Sektor", max_length=64),
            web.text(form, "address", "Adresse", max_length=400),
            web.text(form, "phone", "Telefon", max_length=40),
            web.text(form, "email", "E-mail", max_length=254),
            web.checkbox(form, "location_protected"))
    except org_directory.InvalidOrganisation as refused:
        raise web.UserError(refused.message, field=refused.field) from None


class DirectoryController(Controller):
    """/organisations – the organisation directory: read by socialrådgivere, kept by
    leaders and admins (create, edit, CSV import and export), every change audited."""

    path = "/organisations"
    guards = [requires_login, requires_directory_reader]

    async def _list(self, request: Request, extra: dict | None = None, status: int = 200) -> Response:
        text = request.query_params.get("q", "")
        text = text[:100] if isinstance(text, str) else ""
        return web.render("network/organisations.html", {
            "organisations": await service.organisations(text), "q": text,
            "may_edit": web.user_of(request).role in roles.DIRECTORY_EDITORS,
            "kinds": ORGANISATION_KINDS, "sectors": SECTOR_LABELS, "form": {},
            "columns": org_directory.COLUMNS, **(extra or {})}, status=status)

    @get("/", name="organisations")
    async def index(self, request: Request) -> Response:
        return await self._list(request)

    @post("/options")
    async def options(self, request: Request) -> Response:
        """A search of the directory for the network editor's organisation select
        (``templates/_org_search.html``), the chosen one kept. A POST: what is typed stays
        out of addresses and logs."""
        search = await web.search_of(request, "target_organisation")
        return web.found_response(request, (await service.directory_choices()).found(
            search.text, search.selected, search.near))

    @post("/suggestions")
    async def suggestions(self, request: Request) -> Response:
        """The names a person form's organisation field suggests for what is typed in it
        (a large directory is not in the page); too little typed keeps those it has (204).
        A POST: a person's workplace, as it is typed, stays out of addresses and logs."""
        typed = (await web.form_of(request)).get("organisation")
        typed = typed[:100] if isinstance(typed, str) else ""
        if len(" ".join(typed.split())) < org_directory.SEARCH_MIN_LENGTH:
            return Response(b"", status_code=204)
        return web.options_response((await service.directory_choices()).suggested_for(typed))

    @post("/", guards=[requires_directory_editor])
    async def create(self, request: Request) -> Response:
        user = web.user_of(request)
        form = await web.form_of(request)
        try:
            new_id = await service.save_organisation(user, None, _org_form(form),
                                                      address=web.client_address(request))
        except web.UserError as refused:
            return await self._list(request, {"error": refused.message, "field": refused.field,
                                              "form": form}, status=refused.status)
        return web.see_other(request, f"/organisations/{new_id}")

    @get("/export.csv")
    async def export(self, request: Request) -> Response:
        await audit.record(web.user_of(request), "export", "organisationsregister", "", None,
                           "Organisationsregistret hentet som CSV", web.client_address(request))
        return Response(org_directory.to_csv(await service.organisations()),
                        media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="organisationer.csv"'})

    @post("/import", guards=[requires_directory_editor])
    async def import_csv(self, request: Request) -> Response:
        user = web.user_of(request)
        try:
            data = await request.form()
        except Exception:  # a malformed upload is the client's mistake
            raise web.UserError("Filen kunne ikke læses.", 400) from None
        upload = data.get("file")
        if upload is None or isinstance(upload, str):
            return await self._list(request, {"import_error": "Vælg en CSV-fil."}, status=422)
        content = await upload.read(5_000_001)
        if len(content) > 5_000_000:
            return await self._list(request, {"import_error": "Filen er større end 5 MB."},
                                    status=422)
        result = await service.import_organisations(user, content, web.client_address(request))
        return await self._list(request, {"imported": result},
                                status=422 if result.errors else 200)

    @get("/{organisation_id:int}")
    async def detail(self, request: Request, organisation_id: FromPath[int]) -> Response:
        return await self._detail(request, organisation_id)

    async def _detail(self, request: Request, organisation_id: int, extra: dict | None = None,
                      status: int = 200) -> Response:
        row = await service.organisation_row(organisation_id)
        return web.render("network/organisation.html", {
            "org": row, "history": await service.organisation_history(organisation_id),
            "may_edit": web.user_of(request).role in roles.DIRECTORY_EDITORS,
            "kinds": ORGANISATION_KINDS, "sectors": SECTOR_LABELS, "form": {},
            **(extra or {})}, status=status)

    @post("/{organisation_id:int}", guards=[requires_directory_editor])
    async def update(self, request: Request, organisation_id: FromPath[int]) -> Response:
        user = web.user_of(request)
        await service.organisation_row(organisation_id)
        form = await web.form_of(request)
        version = web.integer(form, "version", "Sidens udgave", required=False, minimum=1)
        try:
            await service.save_organisation(user, organisation_id, _org_form(form), version,
                                            web.client_address(request))
        except web.Conflict:
            raise
        except web.UserError as refused:
            return await self._detail(request, organisation_id, {
                "error": refused.message, "field": refused.field, "form": form}, status=refused.status)
        return web.see_other(request, f"/organisations/{organisation_id}")
