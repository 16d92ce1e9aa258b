"""Demo data for invites: the two recurring series, a few feed links, and the outbox for
the demo's invited meetings (queued: the demo has no SMTP server)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from coordinator import db, web
from coordinator.auth.policy import Principal
from coordinator.auth.roles import Role
from coordinator.followup import agenda
from coordinator.invites import feeds
from coordinator.invites import service as invites
from coordinator.meetings.tables import Meeting, MeetingChange
from coordinator.network.tables import Organisation


async def seed(ctx) -> None:
    """Series, feed tokens and queued invites (after the meetings seeder)."""
    sara = ctx.users["sara"]
    team = await feeds.upsert_series(
        agenda.TEAM_SERIES_KEY, "Teammøde", "FREQ=WEEKLY;INTERVAL=2",
        datetime.combine(agenda.TEAM_ANCHOR, agenda.TEAM_STARTS_AT, web.COPENHAGEN), 90,
        "Familieafdelingen, mødelokale 1", organiser=sara)
    first = agenda.team_meeting_on(ctx.today - timedelta(days=250))
    cooperation = await feeds.upsert_series(
        agenda.COOPERATION_SERIES_KEY, "Årligt samarbejdsmøde", "FREQ=YEARLY",
        datetime.combine(first, time(13, 0), web.COPENHAGEN), 120, "Rådhuset, byrådssalen",
        organiser=ctx.users["lene"])
    upcoming = agenda.next_team_meeting(ctx.today + timedelta(days=28))
    await feeds.cancel_occurrence(team, agenda.team_meeting_start(upcoming))
    await _feed_tokens(ctx, team, cooperation)
    await _queue_invites()


async def _feed_tokens(ctx, team: int, cooperation: int) -> None:
    sara = Principal(id=ctx.users["sara"], username="sara", role=Role.SOCIALRAADGIVER,
                     full_name="Sara Demo Kristiansen")
    await feeds.create_token(sara, "series", team, "Teammøde (hver 14. dag)")
    await feeds.create_token(sara, "series", cooperation, "Årligt samarbejdsmøde")
    await feeds.create_token(sara, "user", sara.id, "Saras møder")
    partner = await Organisation.select(Organisation.id, Organisation.name).where(
        (Organisation.location_protected == False) & (Organisation.kind == "school")  # noqa: E712
    ).first()
    if partner:  # a partner's feed is made by a leader
        lene = Principal(id=ctx.users["lene"], username="lene", role=Role.LEDER,
                         full_name="Lene Demo Thorsen")
        await feeds.create_token(lene, "partner_organisation", partner["id"], partner["name"])


async def _queue_invites() -> None:
    """The demo's invited meetings get their invite mails in the outbox, as if sent."""
    invited = await Meeting.select(Meeting.id, Meeting.sequence).where(
        Meeting.status == "invited").order_by(Meeting.id)
    for row in invited:
        async with db.transaction():
            await MeetingChange.insert(MeetingChange(meeting=row["id"], change_kind="invited",
                                                     sequence=row["sequence"]))
            await invites.enqueue_for_change(row["id"], "invited")
