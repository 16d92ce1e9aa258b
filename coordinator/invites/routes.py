"""HTTP for invites: answer links, the organiser's answers partial and .ics, inbound
replies, and calendar feeds (the page that manages them and the feeds themselves)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from litestar import Controller, Request, Response, get, head, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from coordinator import clock, web
from coordinator.auth.guards import requires_case_holder, requires_login
from coordinator.auth.policy import Action, Audience
from coordinator.auth.roles import Role
from coordinator.invites import feeds, redact, replies
from coordinator.invites import service as invites
from coordinator.invites.ical import CalendarParseError, build_publish
from coordinator.meetings import flows as meeting_flows
from coordinator.meetings import kinds, participants, safety
from coordinator.meetings import service as meetings

# Litestar adds "; charset=utf-8" to every text/* media type itself.
ICS = "text/calendar"


# ------------------------------------------------------------------------ answer links

class AnswerController(Controller):
    """``/svar/{token}``: a participant answers without an account."""

    path = "/svar"

    async def _link(self, token: FromPath[str]) -> invites.AnswerLink:
        link = await invites.resolve_answer_token(token)
        if link is None:
            raise NotFoundException()
        return link

    @staticmethod
    def _gone() -> Response:
        """A link that no longer works: a neutral page, nothing of the meeting (410)."""
        return web.render("error.html", {
            "title": "Linket virker ikke længere", "status": 410,
            "message": "Mødet er aflyst eller ændret, eller linket er udløbet. Har du spørgsmål, "
                       "så kontakt den socialrådgiver, der inviterede dig."},
            status=410, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})

    async def _context(self, request: Request, link: invites.AnswerLink) -> dict:
        settings = web.settings_of(request)
        data = await invites.load_meeting(link.meeting_id)
        redacted = redact.events_for_recipient(
            data, link.participant_id, mail_from=settings.mail_from,
            uid_domain=invites.uid_domain(settings), dtstamp=clock.now())
        participant = data.participant(link.participant_id)
        if participant is None:  # the link's participant is active, so it is on the meeting
            raise NotFoundException()
        return {"view": redacted.view, "events": redacted.events, "participant": participant,
                "status": data.status, "answerable": data.status in kinds.ANSWERABLE_STATUSES,
                "answers": invites.ANSWERS,
                "answer_label": participants.RSVP_LABELS.get(participant.rsvp, participant.rsvp),
                "family_id": data.family_id, "meeting_id": data.id}

    @get("/{token:str}")
    async def page(self, request: Request, token: FromPath[str]) -> Response:
        """The redacted meeting and the answer form (the GET also sets the CSRF cookie)."""
        try:
            link = await self._link(token)
        except invites.AnswerLinkGone:
            return self._gone()
        context = await self._context(request, link)
        await invites.audit_as(f"svarlink:{link.participant_id}", "read", "møde", link.meeting_id,
                               context["family_id"], "Svarside åbnet via personligt link",
                               web.client_address(request))
        context["saved"] = request.query_params.get("gemt") == "1"
        context["own_comment"] = await invites.own_comment(link.participant_id)
        return web.render("invites/answer.html", context,
                          headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})

    @post("/{token:str}")
    async def answer(self, request: Request, token: FromPath[str]) -> Response:
        """Record accept, decline or a proposed time with a comment."""
        try:
            link = await self._link(token)
        except invites.AnswerLinkGone:
            return self._gone()
        form = await web.form_of(request)
        answer = web.choice(form, "answer", "Svar", {**invites.ANSWERS, **invites.ANSWER_ALIASES})
        comment = web.text(form, "comment", "Kommentar", max_length=1000)
        proposed = web.local_datetime(form, "proposed", "Foreslået tidspunkt", required=False)
        if proposed is not None and proposed < clock.now():
            raise web.UserError("»Foreslået tidspunkt« ligger i fortiden. Foreslå et senere "
                                "tidspunkt.", field="proposed")
        await invites.record_answer(link, answer, comment, proposed, web.client_address(request))
        return web.see_other(request, f"/svar/{token}?gemt=1")


# ------------------------------------------------------------------------ the organiser

async def _meeting_for_poll(request: Request, meeting_id: FromPath[int]) -> dict:
    """The meeting if the user may read it (``meetings.load_meeting``, the one access rule);
    not audited (the poll repeats every 10 s; opening the meeting page is the audited read)."""
    meeting, _ = await meetings.load_meeting(web.user_of(request), meeting_id, Action.READ,
                                             audit_read=False)
    return meeting


class MeetingInvitesController(Controller):
    """The answers/delivery partial and the .ics download of the meeting page."""

    path = "/meetings"
    guards = [requires_login]

    @get("/{meeting_id:int}/answers")
    async def answers(self, request: Request, meeting_id: FromPath[int]) -> Response:
        """Each participant's answer and invite delivery (htmx polls this every 10 s)."""
        meeting = await _meeting_for_poll(request, meeting_id)
        rows = await invites.deliveries(meeting_id)
        answers = await replies.reply_rows(meeting_id)
        team = meetings.audience_of(web.user_of(request)) is Audience.TEAM
        if not team:
            # Outside the team the page reads as the meeting page does (the meeting page's
            # own cleaner, ``meetings.cleaner_outside``): no protected fact in the title or
            # in what a participant wrote, the children by first name and initial, and no
            # mail error or address (they name people and places).
            clean = await meetings.cleaner_outside(meeting)
            meeting = {**meeting, "title": clean(meeting["title"])}
            rows = [replace(d, name=clean(d.name), comment=clean(d.comment), last_error="")
                    for d in rows]
            answers = [replace(a, comment=clean(a.comment), reason=clean(a.reason),
                               attendee_email="", sent_by="", delegated_to="",
                               delegate_name=clean(a.delegate_name), offer_delegate=False)
                       for a in answers]
        open_meeting = meeting["status"] in kinds.OPEN_STATUSES
        # A samordner reads only the familierådslagninger she coordinates (load_meeting) and
        # plans their times, so a proposed time is hers to take or turn down as well.
        planner_role = team or web.user_of(request).role is Role.SAMORDNER
        context = {"meeting": meeting, "deliveries": rows, "replies": answers,
                   "may_act": team and open_meeting,
                   "may_decide_proposals": planner_role and open_meeting,
                   "role": web.user_of(request).role.value}
        if team and meeting["family"] and not web.is_htmx(request):
            # the way back, as on the meeting page: the team's families, this one, the meeting
            context["family"] = {"id": meeting["family"],
                                 "name": await meeting_flows.family_name(meeting["family"])}
        return web.page_or_fragment(request, "invites/answers.html", "invites/_answers.html",
                                    context)

    async def _writable(self, request: Request, meeting_id: int) -> dict:
        meeting, _ = await meetings.load_meeting(web.user_of(request), meeting_id, Action.WRITE,
                                                 address=web.client_address(request),
                                                 samordner_edit=True)
        return meeting

    @post("/{meeting_id:int}/proposals/{record_id:int}/accept")
    async def accept_proposal(self, request: Request, meeting_id: FromPath[int],
                              record_id: FromPath[int]) -> Response:
        """Take a proposed time: the part moves and every participant gets the update."""
        meeting = await self._writable(request, meeting_id)
        await replies.accept_proposal(web.user_of(request), meeting, record_id,
                                      web.settings_of(request), web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}#answers-heading")

    @post("/{meeting_id:int}/proposals/{record_id:int}/decline")
    async def decline_proposal(self, request: Request, meeting_id: FromPath[int],
                               record_id: FromPath[int]) -> Response:
        """Turn a proposed time down: the proposer gets a DECLINECOUNTER."""
        meeting = await self._writable(request, meeting_id)
        await replies.decline_proposal(web.user_of(request), meeting, record_id,
                                       web.settings_of(request), web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}#answers-heading")

    @post("/{meeting_id:int}/replies/{record_id:int}/confirm-sender")
    async def confirm_sender(self, request: Request, meeting_id: FromPath[int],
                             record_id: FromPath[int]) -> Response:
        """Confirm that the answer's sender (SENT-BY) may answer for the participant."""
        meeting, _ = await meetings.load_meeting(web.user_of(request), meeting_id, Action.WRITE,
                                                 address=web.client_address(request))
        await replies.confirm_delegate(web.user_of(request), meeting, record_id,
                                       web.settings_of(request), web.client_address(request))
        return web.see_other(request, f"/meetings/{meeting_id}#answers-heading")

    @get("/{meeting_id:int}/invitation.ics")
    async def ics(self, request: Request, meeting_id: FromPath[int]) -> Response:
        """The meeting as a calendar file, redacted as for the organiser; audited."""
        user = web.user_of(request)
        await meetings.load_meeting(user, meeting_id, Action.READ, what="invitation (.ics)",
                                    address=web.client_address(request))
        settings = web.settings_of(request)
        data = await invites.load_meeting(meeting_id)
        if not data.scheduled:
            raise web.UserError("Mødet har ikke tidspunkter endnu, så der er ingen kalenderfil.", 409)
        redacted = redact.events_for_organiser(data, mail_from=settings.mail_from,
                                               uid_domain=invites.uid_domain(settings),
                                               dtstamp=clock.now(),
                                               entitled=user.role.value not in participants.NOT_ENTITLED_ROLES)
        body = build_publish(redacted.events, redacted.view.title)
        return Response(body, media_type=ICS, headers={
            "Content-Disposition": 'attachment; filename="invitation.ics"',
            "Cache-Control": "no-store"})


    @get("/{meeting_id:int}/participants/{participant_id:int}/letter")
    async def letter(self, request: Request, meeting_id: FromPath[int],
                     participant_id: FromPath[int]) -> Response:
        """A printable invitation letter (A4) for a participant the system does not e-mail,
        redacted for that person exactly as their invitation mail would be
        (``redact.events_for_recipient``) and scanned for what they may not know; audited.
        Only the family's team prints letters."""
        user = web.user_of(request)
        await meetings.load_meeting(user, meeting_id, Action.READ, what="invitationsbrev",
                                    address=web.client_address(request))
        if meetings.audience_of(user) is not Audience.TEAM:
            raise NotFoundException()  # letters are printed by the family's team
        settings = web.settings_of(request)
        data = await invites.load_meeting(meeting_id)
        participant = data.participant(participant_id)
        if participant is None or participant.removed:
            raise NotFoundException()
        try:
            redacted = redact.events_for_recipient(
                data, participant_id, mail_from=settings.mail_from,
                uid_domain=invites.uid_domain(settings), dtstamp=clock.now())
        except safety.SafetyError as exc:
            raise web.UserError(exc.message_da, 409) from None
        person = data.people[participant.safety_id]
        tells = await invites.letter_tells(data, participant_id)
        contact = redact.reply_to_for(data, person, redacted.view)
        phone = redact.reply_phone_for(data, person, redacted.view)
        sender = contact.name if contact else (
            data.organiser_name or redact.ORGANISATION_NAME) if phone else redact.ORGANISATION_NAME
        context = {"view": redacted.view, "events": redacted.events, "participant": participant,
                   "sender": sender, "sender_email": contact.email if contact else "",
                   "sender_phone": phone,
                   "today": clock.today(), "meeting_id": meeting_id, "tells": tells}
        # Rendered here, not by the response, so exactly what is printed is scanned.
        engine = request.app.template_engine
        if engine is None:  # the app always has its Jinja engine (app.create_app)
            raise RuntimeError("no template engine")
        body = engine.get_template("invites/letter.html").render(**context)
        if safety.scan_for_leaks(body, redacted.view.protected_strings):
            raise web.UserError(f"Brevet til {participant.name} ville vise oplysninger, som "
                                "modtageren ikke må se. Ret mødets titel eller beskrivelse. "
                                "Intet er skrevet ud.", 409)
        return Response(body, media_type="text/html", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------------ inbound mail

@post("/inbound/mail", status_code=200)
async def inbound_mail(request: Request) -> Response:
    """An inbound-mail hook posts a raw RFC 5322 mail: an iTIP REPLY or COUNTER, or a plain
    reply to one of our mails (forwarded to the meeting's organiser)."""
    expected = web.settings_of(request).inbound_mail_token
    if not expected:
        raise NotFoundException()
    given = request.headers.get("authorization", "")
    if not secrets.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return Response({"status": 401, "fejl": "Manglende eller forkert adgangsnøgle."},
                        status_code=401, headers={"WWW-Authenticate": "Bearer"})
    raw = await request.body()
    try:
        outcomes = await replies.apply_inbound(raw, web.settings_of(request),
                                               web.client_address(request))
    except CalendarParseError as exc:
        return Response({"status": 422, "fejl": str(exc)}, status_code=422)
    return Response({"svar": [{"uid": o.uid, "anvendt": o.applied, "grund": o.reason,
                               "videresendt": o.forwarded} for o in outcomes]})


# ------------------------------------------------------------------------ feeds

# Socialrådgivere and leaders (the case holders) manage feeds; others get 404.
requires_feed_manager = requires_case_holder


def webcal_url(settings, token: str) -> str:
    """The subscribe link: the feed's https address with the webcal scheme."""
    base = settings.public_base_url.rstrip("/")
    return "webcal://" + base.split("://", 1)[-1] + f"/feeds/{token}.ics"


class FeedPageController(Controller):
    """``/feeds/``: create and revoke feed links."""

    path = "/feeds"

    async def _context(self, request: Request) -> dict:
        user = web.user_of(request)
        organisations, series = await feeds.targets()
        users = [{"id": user.id, "full_name": user.full_name}]  # a user feed is one's own
        return {"tokens": await feeds.tokens_for(user), "organisations": organisations,
                "series": series, "users": users, "kinds": feeds.kinds_for(user), "new_link": None}

    @get("/", guards=[requires_feed_manager])
    async def page(self, request: Request) -> Response:
        """The feed links this user manages, and the form to create one."""
        return web.render("invites/feeds.html", await self._context(request))

    @post("/", guards=[requires_feed_manager])
    async def create(self, request: Request) -> Response:
        """Create a feed link; the secret is shown once, on this answer only."""
        user = web.user_of(request)
        form = await web.form_of(request)
        kind = web.choice(form, "kind", "Type", feeds.KINDS)
        # the field's own label, as the form names it
        target = web.integer(form, feeds.TARGET_FIELDS[kind], feeds.TARGET_LABELS[kind], minimum=1)
        label = web.text(form, "label", "Navn", required=True, max_length=200)
        token = await feeds.create_token(user, kind, target, label, web.client_address(request))
        context = await self._context(request)
        context["new_link"] = webcal_url(web.settings_of(request), token)
        # the same address with the server's own scheme (https in production)
        context["new_https"] = (web.settings_of(request).public_base_url.rstrip("/")
                                + f"/feeds/{token}.ics")
        return web.render("invites/feeds.html", context, status=201,
                          headers={"Cache-Control": "no-store"})

    @post("/{token_id:int}/revoke", guards=[requires_feed_manager])
    async def revoke(self, request: Request, token_id: FromPath[int]) -> Response:
        """Revoke a feed link."""
        await feeds.revoke(web.user_of(request), token_id, web.client_address(request))
        return web.see_other(request, "/feeds/")

    @get("/{name:str}")
    async def feed(self, request: Request, name: FromPath[str]) -> Response:
        """The calendar behind a secret link; 304 when unchanged; 404 when revoked."""
        status, headers, body = await self._feed(request, name)
        return Response(body, status_code=status, media_type=ICS, headers=headers)

    @head("/{name:str}")
    async def feed_head(self, request: Request, name: FromPath[str]) -> Response[None]:
        """HEAD answers as GET does (status, validators, type and length), without the body:
        calendar clients and proxies check a feed this way before fetching it."""
        status, headers, body = await self._feed(request, name)
        if status == 200:
            headers.update({"Content-Type": f"{ICS}; charset=utf-8", "Content-Length": str(len(body))})
        return Response(None, status_code=status, headers=headers)

    async def _feed(self, request: Request, name: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of a feed fetch (GET and HEAD alike)."""
        if not name.endswith(".ics"):
            raise NotFoundException()
        found = await feeds.resolve_with_version(name[:-4])
        if found is None:
            raise NotFoundException()
        row, current = found
        await feeds.audit_fetch(row, web.client_address(request))
        settings = web.settings_of(request)
        if_none_match = request.headers.get("if-none-match")
        if_modified_since = _http_date(request.headers.get("if-modified-since"))
        shared = feeds.shared_version(row, current, settings.feed_settle_seconds)
        if shared is not None and feeds.not_modified(shared, if_none_match, if_modified_since):
            return 304, _feed_headers(shared), b""
        served = await feeds.settled(row, current, settings, shared)
        if feeds.not_modified(served.version, if_none_match, if_modified_since):
            return 304, _feed_headers(served.version), b""
        body = await feeds.calendar_of(served.body)  # a build records itself
        return 200, {**_feed_headers(served.version),
                     "Content-Disposition": 'inline; filename="kalender.ics"'}, body


def _feed_headers(version: feeds.FeedVersion) -> dict[str, str]:
    return {"ETag": version.etag, "Last-Modified": format_datetime(version.last_modified, usegmt=True),
            "Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ROUTE_HANDLERS: list[ControllerRouterHandler] = [AnswerController, MeetingInvitesController,
                                                 FeedPageController, inbound_mail]
