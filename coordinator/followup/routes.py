"""Follow-up pages: the team-meeting agenda, success criteria, the contact person's BIC
fathers and the annual cooperation meeting's agenda.

Who reaches what (others get 404, the page does not exist for them):
- /followup/teammoede: socialrådgivere and leaders (their own families, and a leader's unit's;
  a kontaktperson is on a team for the father only, so their agenda is empty);
- /followup/succeskriterier: leaders (aggregates, no family names);
- /followup/kontaktperson: the contact person in Modtagelsen;
- /followup/samarbejdsmoede: socialrådgivere edit, leaders read.
- /followup/kriterier/{key}: one criterion's target and trend (leaders and admins); the
  drill-down list of the families that miss it for leaders only (their teams and unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath

from coordinator import clock, pagecache, web
from coordinator.audit import service as audit
from coordinator.auth import roles
from coordinator.auth.guards import (
    requires_aggregates,
    requires_case_worker,
    requires_login,
    requires_role,
)
from coordinator.followup import agenda, charts, criteria, service, trend, trends
from coordinator.meetings import kinds
from coordinator.method import service as method
from coordinator.satisfaction import rules as satisfaction_rules
from coordinator.trappe import service as trappe

EXTRA_ITEM_ROWS = 3

AGENDA_PAGES = pagecache.PageCache(weigh=lambda kept: len(kept[0]), name="team agendas")


requires_contact_person = requires_role(roles.CONTACT_PERSONS)
requires_cooperation_reader = requires_role(roles.COOPERATION_READERS)
requires_cooperation_editor = requires_role(roles.COOPERATION_EDITORS)


def parse_items(form: Mapping[str, Any]) -> list[service.AgendaItemInput]:
    """The agenda rows of the form; blank rows are skipped, a row without a topic is refused."""
    count = web.integer(form, "rows", "Antal rækker", minimum=0,
                        maximum=service.MAX_AGENDA_ITEMS + EXTRA_ITEM_ROWS) or 0
    items = []
    for index in range(count):
        prefix, number = f"item-{index}-", index + 1
        title = web.text(form, prefix + "title", f"Punkt {number}: emne", max_length=300)
        owner = web.text(form, prefix + "owner", f"Punkt {number}: ansvarlig", max_length=200)
        note = web.text(form, prefix + "note", f"Punkt {number}: note", max_length=2000)
        if not title and (owner or note):
            raise web.UserError(f"Punkt {number}: udfyld emnet, eller ryd rækken.",
                                field=prefix + "title")
        if title:
            items.append(service.AgendaItemInput(title, owner, note))
    return items


def _item_rows(items: list[Any]) -> list[dict]:
    rows = [{"title": i["title"] if isinstance(i, dict) else i.title,
             "owner": i["owner"] if isinstance(i, dict) else i.owner,
             "note": i["note"] if isinstance(i, dict) else i.note} for i in items]
    return rows + [{"title": "", "owner": "", "note": ""}] * EXTRA_ITEM_ROWS


class FollowupController(Controller):
    """The follow-up pages."""

    path = "/followup"
    guards = [requires_login]

    @get("/teammoede", name="team-agenda", guards=[requires_case_worker])
    async def team_agenda(self, request: Request) -> Response:
        """The printable agenda for a team meeting (default: the next one)."""
        user = web.user_of(request)
        chosen = web.date_within_range(request.query_params, "date", "Dato")
        on, rule = await service.team_meeting_date(clock.today())
        if chosen is not None:
            on = chosen
        # ``own``: her teams' families; the rest are her unit's.
        address = web.client_address(request)
        async with audit.together():  # three parts' read records, one wait for them
            team = await service.team_agenda(user, on, address)
            # Kept like the family page: for this user, under the stamps of every family on
            # it (read before their content), the date asked for and the minute; the
            # access check and every read record stay per view (tests/followup/
            # test_agenda_cache.py).
            key = (("agenda", user, on, chosen, rule, team.unit_left_out, team.content_key,
                    pagecache.minute()) if team.content_key is not None else None)
            kept = AGENDA_PAGES.get(key) if key is not None else None
            if kept is not None:
                await trappe.audit_agenda(user, kept[1], on, address)
                await method.audit_due_evaluations(user, kept[2], on, address)
            else:
                trappe_due = await trappe.agenda_for(user, team.own, team.unit_ids, on, address,
                                                     team.stamps)
                goals_due = await method.due_evaluations(user, team.own, on, address)
                page = pagecache.render_for_cache(request, "followup/teammoede.html", {
                    "on": on, "rule": rule, "rows": team.rows,
                    "starts_at": agenda.team_meeting_start(on),
                    "lookahead": agenda.LOOKAHEAD_DAYS, "chosen": chosen, "own": team.own_ids,
                    "unit_left_out": team.unit_left_out, "trappe_due": trappe_due,
                    "goals_due": goals_due,
                    # the link to the success criteria, for those who may open them
                    "sees_criteria": user.role in roles.LEADERS_AND_ADMINS})
                kept = (page, trappe_due, goals_due)
                if key is not None:
                    AGENDA_PAGES.put(key, kept)
        return Response(pagecache.serve(request, kept[0]), media_type=MediaType.HTML)

    @get("/succeskriterier", name="success-criteria", guards=[requires_aggregates])
    async def success_criteria(self, request: Request) -> Response:
        """The leaders' success criteria for a period, as SVG charts with the numbers. A
        refused period shows the default one with the message at its field and the typed
        dates kept (422), as the criterion page does."""
        params = request.query_params
        now = clock.today()
        try:
            start, end = web.period(params, now)
            error = None
        except web.UserError as exc:
            (start, end), error = (date(now.year, 1, 1), now), exc
        report = await service.recent_success_criteria(start, end, now)
        figures = report.figures
        charted = trend.charted(figures)
        bars = [charts.Bar(s.label, s.numerator, s.denominator, _share_text(s)) for s, _ in charted]
        trappe_counts = report.trappe
        trappe_share = criteria.trappe_used(trappe_counts.meeting, trappe_counts.families)
        years = {str(y): figures.returning_by_year.get(y, 0)
                 for y in range(start.year, end.year + 1)}
        return web.render("followup/succeskriterier.html", {
            "report": report, "charted": charted, "trappe_share": trappe_share,
            "each_criterion": trend.CRITERIA,
            "trappe_target": criteria.TRAPPE_TARGET_PERCENT,
            "trappe_drill_down": web.user_of(request).role in roles.LEADERS, "share_text": _share_text, "years": years,
            "bars_svg": charts.horizontal_bars(
                bars, "Succeskriterier", "Andel af de aktuelle familier for hvert kriterium."),
            "sat": report.satisfaction,
            "answered_target": satisfaction_rules.ANSWERED_TARGET_PERCENT,
            "supported_target": satisfaction_rules.SUPPORTED_TARGET_PERCENT,
            "satisfaction_drill_down": web.user_of(request).role in roles.LEADERS,
            "years_svg": charts.column_chart(
                years, "Gengangere pr. år", "Antal familier, der vendte tilbage til "
                "krisecentret, pr. år."),
            "error": error.message if error else None, "field": error.field if error else None,
            "values": ({name: params.get(name) or "" for name in ("from", "to")} if error
                       else {"from": start.isoformat(), "to": end.isoformat()}),
        }, status=error.status if error else 200)

    @get("/kriterier/{key:str}", name="criterion", guards=[requires_aggregates])
    async def criterion(self, request: Request, key: FromPath[str]) -> Response:
        """One criterion: its target, its trend per month or quarter (chosen with a
        control), and for leaders the families of theirs that miss it in the period.
        A refused choice shows the default period with the message at its field and the
        typed values kept (422)."""
        chosen = trend.BY_KEY.get(key)
        if chosen is None:
            raise web.UserError("Kriteriet findes ikke.", 404)
        params = request.query_params
        now = clock.today()
        defaults = (trend.MONTH, date(now.year, 1, 1), now)
        try:
            grain, start, end = _criterion_choice(params, now)
            error = None
        except web.UserError as exc:
            (grain, start, end), error = defaults, exc
        user = web.user_of(request)
        points = await trends.criterion_trend(key, grain, now)
        share = await trends.share(key, start, end, now)
        drill_down = user.role in roles.LEADERS
        typed = {name: params.get(name) or "" for name in ("trend", "from", "to")}
        return web.render("followup/kriterium.html", {
            "criterion": chosen, "criteria": trend.CRITERIA, "grain": grain,
            "grains": trend.GRAINS, "points": points, "start": start, "end": end,
            "share": share, "share_text": _share_text,
            "reached": criteria.reaches_target(share, chosen.target_percent),
            "trend_svg": trend.chart(chosen, points), "drill_down": drill_down,
            "error": error.message if error else None, "field": error.field if error else None,
            "values": typed if error else {"trend": grain, "from": start.isoformat(),
                                           "to": end.isoformat()},
            "rows": (await trends.missing(user, key, start, end, web.client_address(request))
                     if drill_down else [])}, status=error.status if error else 200)

    @get("/kontaktperson", name="bic-fathers", guards=[requires_contact_person])
    async def bic_fathers(self, request: Request) -> Response:
        """The BIC fathers referred to the logged-in contact person."""
        rows = await service.bic_fathers(web.user_of(request), web.client_address(request))
        return web.render("followup/kontaktperson.html", {
            "rows": rows, "status_labels": {k.value: v for k, v in kinds.STATUS_LABELS.items()}})

    @get("/samarbejdsmoede", name="cooperation", guards=[requires_cooperation_reader])
    async def cooperation(self, request: Request) -> Response:
        """The annual cooperation meeting and the agenda of its next occurrence."""
        return await _cooperation_page(request)

    @post("/samarbejdsmoede", guards=[requires_cooperation_editor])
    async def save_cooperation(self, request: Request) -> Response:
        """Save the agenda; 422 re-renders the form, 409 shows both versions."""
        form = await web.form_of(request)
        user = web.user_of(request)
        try:
            agenda_id = web.integer(form, "agenda_id", "Dagsorden", required=False, minimum=1)
            version = web.integer(form, "version", "Sidens udgave", required=agenda_id is not None,
                                  minimum=1)
            occurs_on = web.a_date(form, "occurs_on", "Mødedato")
            if not web.EARLIEST <= occurs_on <= web.LATEST:
                raise web.UserError("»Mødedato« er ikke en rimelig dato.", field="occurs_on")
            items = parse_items(form)
            await service.save_cooperation_agenda(user, agenda_id, version, occurs_on, items,
                                                  clock.today(), web.client_address(request))
        except web.Conflict as exc:
            return await _cooperation_page(request, conflict=exc, status=409)
        except web.UserError as exc:
            return await _cooperation_page(request, error=exc.message, field=exc.field,
                                           form=form, status=exc.status)
        return web.see_other(request, "/followup/samarbejdsmoede?gemt=1")


def _criterion_choice(params: Mapping[str, Any], today: date) -> tuple[str, date, date]:
    """The criterion page's trend (by default per month) and its period (``web.period``: by
    default the year so far) from the query string."""
    grain = params.get("trend") or trend.MONTH
    if grain not in trend.GRAINS:
        raise web.UserError("Vælg udvikling pr. måned eller pr. kvartal.", field="trend")
    start, end = web.period(params, today)
    return grain, start, end


def _share_text(share) -> str:
    if share.percent is None:
        return "ingen at måle på"
    return f"{share.numerator} af {share.denominator} ({share.percent} %)"


async def _cooperation_page(request: Request, *, error: str | None = None,
                            field: str | None = None, form: Mapping[str, Any] | None = None,
                            conflict: web.Conflict | None = None, status: int = 200) -> Response:
    user = web.user_of(request)
    state = await service.cooperation_meeting(clock.today())
    current = state["agenda"]
    if form is not None:
        try:
            count = int(form.get("rows") or 0)
        except ValueError:
            count = 0
        count = max(0, min(count, service.MAX_AGENDA_ITEMS + EXTRA_ITEM_ROWS))
        rows = [{"title": form.get(f"item-{i}-title") or "", "owner": form.get(f"item-{i}-owner")
                 or "", "note": form.get(f"item-{i}-note") or ""} for i in range(count)]
        occurs_value = form.get("occurs_on") or ""
    else:
        rows = _item_rows(current["items"] if current else [])
        occurs_value = (current["occurs_on"] if current else state["proposed_on"]).isoformat()
    return web.render("followup/samarbejdsmoede.html", {
        **state, "rows": rows, "occurs_value": occurs_value, "error": error, "field": field,
        "conflict": web.conflict_view(conflict) if conflict else None, "saved": request.query_params.get("gemt") == "1",
        "may_edit": user.role in roles.COOPERATION_EDITORS,
        "participants": agenda.COOPERATION_PARTICIPANTS,
    }, status=status)
