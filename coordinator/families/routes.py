"""The start page and the family page."""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath
from markupsafe import Markup

from coordinator import clock, pagecache, web
from coordinator.auth import roles
from coordinator.auth.guards import requires_leader, requires_login, requires_role
from coordinator.auth.once import once
from coordinator.auth.policy import Action
from coordinator.auth.roles import Role
from coordinator.families import cases, revisions, service, units
from coordinator.families.sections import FamilySection, family_sections
from coordinator.meetings import flows as meeting_flows
from coordinator.trappe import service as trappe

# Family pages by user, content stamps and day (see coordinator/pagecache.py).
FAMILY_PAGES = pagecache.PageCache(weigh=lambda kept: len(kept[0]), name="family pages")
# Their network sections by user, the family's network stamp, the shared stamp and day: a
# change of a meeting, an answer or a follow-up draws the page again, not the network.
NETWORK_SECTIONS = pagecache.PageCache(weigh=lambda kept: len(kept[0]), name="network sections")


ROLE_START_PAGES = {Role.KONTAKTPERSON: "/followup/kontaktperson",
                    Role.SAMORDNER: "/meetings/coordinated", Role.ADMIN: "/admin/users/"}


CHILD_ROWS = 6


async def _home(request: Request, form: Mapping[str, Any] | None = None, error: str = "",
                field: str | None = None, matches: list | None = None,
                status: int = 200) -> Response:
    """The start page: the user's families and, for case workers, "Opret familie" (with
    what was typed and the reason when a submission was refused)."""
    user = web.user_of(request)
    wanted = _filter(request.query_params)
    may_open = user.role in roles.CASE_HOLDERS
    if may_open and not wanted.active and form is None and web.page_of(request) == "/":
        return await _kept_home(request, wanted)  # a plain view (its forms' page is "/")
    known = None
    if may_open and not wanted.active:
        # The list is then the team's active families, the ones the follow-ups due are
        # for: read once, after their content stamps (what is kept of them is keyed so).
        stamps, _ = await service.team_stamps(user)
        families = await service.find_families(user, wanted)
        known = (stamps, families)
    else:
        families = await service.find_families(user, wanted)
    return web.render("home.html", _home_context(
        families, may_open, wanted, await cases.suggest_reference() if may_open else "",
        await trappe.due_for(user, web.client_address(request), known),
        form=dict(form or {}), error=error, field=field, matches=matches or []),
        status=status)


def _home_context(families: list[dict], may_open: bool, wanted: service.FamilyFilter,
                  suggested_reference: str, trappe_due: list, **form: Any) -> dict[str, Any]:
    return {"families": families, "may_open": may_open, "wanted": wanted,
            "statuses": service.STATUSES, "form": {}, "error": "", "field": None,
            "matches": [], "suggested_reference": suggested_reference,
            "today": clock.today(), "child_rows": range(1, CHILD_ROWS + 1),
            "trappe_due": trappe_due, **form}


# Start pages by user, the content stamps of the families she is on the team of, the
# shared stamp and the day (see coordinator/pagecache.py), each with its due follow-ups.
HOME_PAGES = pagecache.PageCache(weigh=lambda kept: len(kept[0][0]), name="start pages")
# Rendered where the suggested case reference goes: it is read on every view (another
# worker's new case moves it, and no stamp of hers says so).
_REFERENCE_PLACEHOLDER = "ref-" + secrets.token_hex(12)


async def _kept_home(request: Request, wanted: service.FamilyFilter) -> Response:
    """A case holder's start page as it first opens: kept under everything it shows (the
    user, her families' content stamps, read before their content, the shared stamp and
    the day, and kept no longer than until the next meeting listed has begun). Every view
    reads the suggested reference afresh and audits the due follow-ups it shows."""
    user = web.user_of(request)
    stamps, shared = await service.team_stamps(user)
    shared = shared or await revisions.shared_stamp()  # never stamped (bulk data): now
    key = ("home", user, tuple(sorted(stamps.items())), shared, clock.today()) \
        if all(stamps.values()) else None  # an empty stamp may come back: no key

    uncovered = False

    async def render() -> tuple[bytes, list]:
        nonlocal uncovered
        families = await service.find_families(user, wanted)
        # A family she joined after the stamps were read is in no key: the page showing it
        # is not kept (taken off that team again, the key would be the old one).
        uncovered = any(f["id"] not in stamps for f in families)
        due = await trappe.due_items(user, (stamps, families))
        return pagecache.render_for_cache(request, "home.html", _home_context(
            families, True, wanted, _REFERENCE_PLACEHOLDER, due)), due

    page, due = await pagecache.kept_for_the_day(HOME_PAGES, key, render)
    if uncovered and key is not None:  # no await since it was put: nobody served it
        HOME_PAGES.pop(key)
    await trappe.audit_due(user, due, web.client_address(request))
    reference = html.escape(await cases.suggest_reference()).encode()
    return Response(pagecache.serve(request, page).replace(
        _REFERENCE_PLACEHOLDER.encode(), reference), media_type=MediaType.HTML)


def _filter(params: Mapping[str, Any]) -> service.FamilyFilter:
    """The start page's search from the query string; unknown values mean "no filter"."""
    text = params.get("q", "")
    status = params.get("status", "active")
    centre = params.get("centre", "")
    return service.FamilyFilter(
        text=" ".join(text.split())[:100] if isinstance(text, str) else "",
        status=status if status in service.STATUSES else "active",
        at_centre={"ja": True, "nej": False}.get(centre) if isinstance(centre, str) else None)


def _new_person(form: Mapping[str, Any], prefix: str, label: str, protected_key: str = ""
                ) -> cases.NewPerson | None:
    name = web.text(form, f"{prefix}_name", f"{label}: navn", max_length=200)
    year = web.integer(form, f"{prefix}_year", f"{label}: fødselsår", required=False,
                       minimum=1900, maximum=clock.today().year)
    if not name:
        if year is not None:
            raise web.UserError(f"Skriv navnet på {label.lower()}, eller fjern fødselsåret.",
                                field=f"{prefix}_name")
        return None
    return cases.NewPerson(name, year, web.checkbox(form, protected_key) if protected_key else False)


def _new_case(form: Mapping[str, Any]) -> cases.NewCase:
    at_centre = web.checkbox(form, "at_crisis_centre")
    children = tuple(child for n in range(1, CHILD_ROWS + 1)
                     if (child := _new_person(form, f"child_{n}", f"Barn {n}",
                                              f"child_{n}_protected")) is not None)
    return cases.NewCase(
        name=web.text(form, "name", "Familiens navn", required=True, max_length=200),
        reference=web.text(form, "reference", "Sagsnummer", required=True, max_length=32),
        at_crisis_centre=at_centre,
        stay_from=web.a_date(form, "stay_from", "Indskrevet", required=False) if at_centre else None,
        mother=_new_person(form, "mother", "Mor", "mother_protected"),
        children=children,
        father=_new_person(form, "father", "Far"),
        father_used_violence=web.checkbox(form, "father_violence"),
        confirmed_duplicates=web.checkbox(form, "confirm_duplicates"))


class CaseController(Controller):
    """Opening a case, its team and its stays (``families/cases.py``)."""

    guards = [requires_login]

    @post("/families", name="open-case",
          guards=[requires_role(roles.CASE_HOLDERS, message="Siden findes ikke.")])
    async def open_case(self, request: Request) -> Response:
        """A new case; the form sent twice (a double click) opens it once (``once``)."""
        async def open_it() -> Response:
            user = web.user_of(request)
            form = await web.form_of(request)
            try:
                family_id = await cases.open_case(user, _new_case(form),
                                                  web.client_address(request))
            except cases.DuplicateSuspicion as suspicion:
                return await _home(request, form, suspicion.message, suspicion.field,
                                   suspicion.matches, status=409)
            except web.UserError as refused:
                return await _home(request, form, refused.message, refused.field,
                                   status=refused.status)
            return web.see_other(request, f"/families/{family_id}")
        return await once(request, open_it)

    async def _family(self, request: Request, family_id: int) -> dict:
        return await service.load_family(web.user_of(request), family_id, Action.WRITE,
                                         what="team", address=web.client_address(request))

    @post("/families/{family_id:int}/team")
    async def add_member(self, request: Request, family_id: FromPath[int]) -> Response:
        await self._family(request, family_id)
        form = await web.form_of(request)
        await cases.add_member(
            web.user_of(request), family_id,
            web.integer(form, "user", "Kollega", minimum=1),
            web.text(form, "team_role", "Rolle på teamet", required=True, max_length=64),
            web.checkbox(form, "lead"), web.client_address(request))
        return web.see_other(request, f"/families/{family_id}#team")

    @post("/families/{family_id:int}/team/{member_id:int}/remove")
    async def remove_member(self, request: Request, family_id: FromPath[int],
                            member_id: FromPath[int]) -> Response:
        await self._family(request, family_id)
        removed = await cases.remove_member(web.user_of(request), family_id, member_id,
                                            web.client_address(request))
        if removed == web.user_of(request).id:  # off the team: the family is not hers now
            return web.see_other(request, "/")
        return web.see_other(request, f"/families/{family_id}#team")

    @post("/families/{family_id:int}/team/handover")
    async def handover(self, request: Request, family_id: FromPath[int]) -> Response:
        await self._family(request, family_id)
        form = await web.form_of(request)
        await cases.handover(web.user_of(request), family_id,
                             web.integer(form, "handover_user", "Overdrag til", minimum=1),
                             web.client_address(request))
        return web.see_other(request, f"/families/{family_id}#team")

    @post("/families/{family_id:int}/stays")
    async def check_in(self, request: Request, family_id: FromPath[int]) -> Response:
        await self._family(request, family_id)
        form = await web.form_of(request)
        await cases.check_in(web.user_of(request), family_id,
                             web.a_date(form, "started_on", "Indskrevet"),
                             web.client_address(request))
        # At the crisis centre the children's school is protected: meetings sent before may
        # now tell the father where they are (the family page lists them).
        unsafe = await meeting_flows.unsafe_now(family_id)
        return web.see_other(request, f"/families/{family_id}#"
                                      + ("unsafe-meetings" if unsafe else "stays"))

    @post("/families/{family_id:int}/stays/checkout")
    async def check_out(self, request: Request, family_id: FromPath[int]) -> Response:
        await self._family(request, family_id)
        form = await web.form_of(request)
        await cases.check_out(web.user_of(request), family_id,
                              web.a_date(form, "ended_on", "Udskrevet"),
                              web.client_address(request))
        return web.see_other(request, f"/families/{family_id}#stays")


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
        return await _home(request)

    @get("/families/{family_id:int}", name="family")
    async def family_page(self, request: Request, family_id: FromPath[int]) -> Response:
        user = web.user_of(request)
        family, stamps = await service.open_family_page(user, family_id,
                                                        web.client_address(request))
        # Everything the page shows is in the key: the user it is for, the database's
        # stamps of the family's and the shared content, and the day (deadlines, due
        # follow-ups). What changes by the hour (the next meeting) is noted while the page is
        # rendered, and the page is kept until the earliest such moment, at most
        # ``pagecache.KEPT_AT_MOST`` (``pagecache.kept_for_the_day``).
        key = (("family", user, family_id, stamps.family, stamps.shared, clock.today())
               if stamps.keyable else None)

        async def render() -> bytes:
            # the sections share one read of the network (``network.service.known_network``)
            with service.one_shared_stamp(stamps.shared), \
                    service.network_known(family_id, stamps):
                sections = []
                for section in family_sections():
                    if section.network_only:
                        sections.append(await _network_only(request, section, family, stamps))
                        continue
                    context = await section.load(user, family)
                    sections.append({"key": section.key, "template": section.template, **context})
                return pagecache.render_for_cache(request, "families/detail.html", {
                    "family": family,
                    "team": await cases.team_view(family_id, await units.unit_of(user)),
                    "stays": await cases.stays_of(family_id), "today": clock.today(),
                    "sections": sections})

        page = await pagecache.kept_for_the_day(FAMILY_PAGES, key, render)
        return Response(pagecache.serve(request, page), media_type=MediaType.HTML)


async def _network_only(request: Request, section: FamilySection, family: dict,
                        stamps: service.ContentStamps) -> dict[str, Any]:
    """A section that shows only the family's network, drawn once per network stamp (and
    user, shared stamp and day; what in it changes by the time alone is noted, and a kept
    section passes its moment on to the page that shows it)."""
    user = web.user_of(request)
    key = ((section.key, user, family["id"], *stamps.network_key, stamps.shared, clock.today())
           if stamps.keyable else None)

    async def render() -> bytes:
        with service.network_known(family["id"], stamps):
            context = await section.load(user, family)
        return pagecache.render_for_cache(request, section.template,
                                          {"section": context, "family": family})

    drawn = await pagecache.kept_for_the_day(NETWORK_SECTIONS, key, render)
    return {"key": section.key, "template": section.template,
            "drawn": Markup(drawn.decode())}


class UnitController(Controller):
    """/unit – the leader's unit: its families a page at a time, their teams, and assigning
    colleagues."""

    path = "/unit"
    guards = [requires_leader]

    @get("/", name="unit")
    async def page(self, request: Request) -> Response:
        wanted = units.unit_filter(request.query_params)
        view = await units.unit_view(web.user_of(request), wanted, web.client_address(request))
        return web.render("families/unit.html", {
            "view": view, "roles": cases.TEAM_ROLES, "page_size": units.PAGE_SIZE,
            "search_max": units.SEARCH_MAX,
            # each colleague's option escaped once, joined per row (not rendered 50 times)
            "choices": web.option_lists({f.id: f.choices for f in view.families})})

    @post("/families/{family_id:int}/team", name="unit-assign")
    async def assign(self, request: Request, family_id: FromPath[int]) -> Response:
        access = await units.family_of_unit(web.user_of(request), family_id)
        form = await web.form_of(request)
        await units.assign(
            web.user_of(request), access, web.integer(form, "user", "Kollega", minimum=1),
            web.text(form, "team_role", "Rolle på teamet", required=True, max_length=64),
            web.client_address(request))
        # Back to the page and filter she assigned from, at the family's row.
        return web.see_other(request, f"{units.return_path(form.get('next'))}#family-{family_id}")
