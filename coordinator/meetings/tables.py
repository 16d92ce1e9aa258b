"""Meetings and the two flows that lead to them: familierådslagning (FGC) and BIC.

A meeting belongs to one family; its family decides who may see it. Parts carry their own
time windows, and participants are invited to exactly the parts in ``ParticipantPart``.
Every change that participants must hear about leaves a ``MeetingChange`` row in the same
transaction (the invites domain turns those into calendar messages).
"""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coordinator.auth.tables import User
from coordinator.families.tables import Family
from coordinator.network.tables import Organisation, Person


class FgcCase(Table):
    """One family's familierådslagning flow: assessment, referral, samordner, status."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=16, default="assessed", index=True)
    # 1. assessment: is a familierådslagning possible? (the success criterion)
    possible = Boolean(null=True, default=None)
    assessed_on = Date(null=True, default=None)
    assessed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    family_view = Text(default="")
    reasons = Text(default="")
    # 2. referral
    concern = Text(default="")
    questions = Text(default="")
    referred_on = Date(null=True, default=None)
    # 3. samordner: a user with role samordner, or an external independent coordinator
    samordner_user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True,
                                index=True)
    samordner_name = Varchar(length=200, default="")
    samordner_email = Varchar(length=254, default="")
    samordner_organisation = Varchar(length=200, default="")
    # the formøde (samordner, socialrådgiver, child and family choose whom to invite):
    # no time for the meeting itself is proposed before it
    formoede_on = Date(null=True, default=None)
    # who took the initiative (meetings.offers.INITIATORS) and their name or a description
    initiator_kind = Varchar(length=16, default="")
    initiator_name = Varchar(length=200, default="")
    # the formøde's outcome: who took part, and whether the family agreed to go on
    # (offers.AGREEMENTS: "yes", "no", "needs_time"; empty: not recorded). No meeting is
    # planned before the family said yes.
    formoede_participants = Text(default="")
    formoede_agreement = Varchar(length=16, default="")
    formoede_note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class FgcTask(Table):
    """A preparation task of a familierådslagning, with a deadline."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    case = ForeignKey(references=FgcCase, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=300)
    deadline = Date(null=True, default=None)
    done = Boolean(default=False)
    done_at = Timestamptz(null=True, default=None)
    position = Integer(default=0)


class FgcQuestion(Table):
    """One referral question the family's plan must answer (the referral's text, one
    question a line); plan items refer to it."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    case = ForeignKey(references=FgcCase, on_delete=OnDelete.cascade, index=True)
    text = Text()
    position = Integer(default=0)


class FgcPlanItem(Table):
    """One action of the family's plan: what, who, by when, the referral question it
    answers, and its status (offers.PLAN_STATUSES; set by the reviews)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    case = ForeignKey(references=FgcCase, on_delete=OnDelete.cascade, index=True)
    action = Text()
    who = Varchar(length=200, default="")
    by_when = Date(null=True, default=None)
    position = Integer(default=0)
    question = ForeignKey(references=FgcQuestion, on_delete=OnDelete.set_null, null=True,
                          index=True)
    status = Varchar(length=16, default="not_started")
    version = Integer(default=1)


class FgcPlanApproval(Table):
    """The socialrådgiver's approval of the family's plan: who, when, on which conditions.
    The newest one is the plan's approval; a change after it is an ``FgcPlanChange``."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    case = ForeignKey(references=FgcCase, on_delete=OnDelete.cascade, index=True)
    approved_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    approved_by_name = Varchar(length=200, default="")
    approved_at = Timestamptz(default=TimestamptzNow())
    conditions = Text(default="")


class FgcPlanChange(Table):
    """A change of an approved plan, recorded with who, when and why (it needs a new
    approval)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    case = ForeignKey(references=FgcCase, on_delete=OnDelete.cascade, index=True)
    approval = ForeignKey(references=FgcPlanApproval, on_delete=OnDelete.cascade, index=True)
    summary = Text()
    reason = Text(default="")
    changed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    changed_by_name = Varchar(length=200, default="")
    changed_at = Timestamptz(default=TimestamptzNow())


class FatherAssessment(Table):
    """BIC: should the father be involved, the mother's agreement, the referral."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True)
    father = ForeignKey(references=Person, on_delete=OnDelete.set_null, null=True)
    status = Varchar(length=16, default="assessed", index=True)
    involve = Boolean(null=True, default=None)
    reasons = Text(default="")
    assessed_on = Date(null=True, default=None)
    assessed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    # The mother's agreement, recorded before any contact with the father.
    mother_agreed_on = Date(null=True, default=None)
    mother_agreement_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    mother_agreement_note = Text(default="")
    # Referral to the contact person in Modtagelsen.
    contact_person = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True,
                                index=True)
    referred_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Room(Table):
    """A bookable meeting room; it is busy while a (not cancelled) meeting is booked in it."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    name = Varchar(length=200)
    location = Varchar(length=300, default="")
    capacity = Integer(default=0)
    at_crisis_centre = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Meeting(Table):
    """A meeting about a family, with parts, participants and a lifecycle.

    ``family`` is empty for meetings between organisations (agreement evaluations,
    cross-sector meetings); who may open those is ``service.may_open_without_family``.
    """
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=True)
    kind = Varchar(length=40, index=True)
    title = Varchar(length=200)
    status = Varchar(length=16, default="draft", index=True)
    description = Text(default="")
    location = Varchar(length=300, default="")
    # The crisis centre is location_protected: its address is shown only to the entitled.
    location_organisation = ForeignKey(references=Organisation, on_delete=OnDelete.set_null,
                                       null=True)
    organiser = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    send_email_invites = Boolean(default=True)
    # Partners read the meeting's own title only when the team chooses it; otherwise its
    # kind and the children's first names and initials (safety.partner_title).
    title_to_partners = Boolean(default=False)
    sequence = Integer(default=0)  # iCalendar SEQUENCE: raised on every material change
    version = Integer(default=1)  # optimistic locking
    # The minutes are written per agenda point (``AgendaPoint``); the outcome is the
    # meeting's own, given when it is marked as held.
    outcome = Text(default="")
    parent_id = Integer(null=True, default=None, index=True)  # the meeting this follows up
    series_key = Varchar(length=64, default="", index=True)
    fgc_case = ForeignKey(references=FgcCase, on_delete=OnDelete.set_null, null=True,
                          index=True)
    father_assessment = ForeignKey(references=FatherAssessment, on_delete=OnDelete.set_null,
                                   null=True, index=True)
    room = ForeignKey(references=Room, on_delete=OnDelete.set_null, null=True, index=True)
    agreement_id = Integer(null=True, default=None, index=True)  # agreement evaluations
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # When the meeting starts (its first part's start) and ends (its last part's end; its
    # start if no part has an end), UTC; empty without times. Written only by database
    # triggers on meeting_part (migration 2026-11-23T00:20:43), so every write path keeps
    # them; the application never sets them. They let a meeting be found by when it was
    # held without reading its parts (the leaders' follow-up figures).
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)


class MeetingPart(Table):
    """One part (phase) of a meeting with its own time window (UTC)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=40)
    label = Varchar(length=200)
    starts_at = Timestamptz(null=True, default=None, index=True)
    # The slot finder's busy times in a window (``ends_at > start``) are found from here:
    # the parts ending after the window starts, not every part in the past.
    ends_at = Timestamptz(null=True, default=None, index=True)
    position = Integer(default=0)


class Participant(Table):
    """Someone invited: a network person, a user, or an external name and email."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.set_null, null=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    name = Varchar(length=200)
    email = Varchar(length=254, default="")
    organisation = Varchar(length=200, default="")
    role = Varchar(length=40, default="")  # meeting role key (ROLES in service)
    category = Varchar(length=20, default="professional")  # kinds.ParticipantCategory
    invite_via_worker = Boolean(default=False)  # kept equal to ``channel != "email"``
    # How the invitation reaches them (kinds.CHANNELS): "email" (the system mails it),
    # "phone", "letter" (printed from the meeting page) or "worker" (the socialrådgiver
    # passes it on). Only the e-mail channel needs an address.
    channel = Varchar(length=16, default="email")
    # Staggered arrival/departure (joint parents' meeting), minutes from the start / to the end.
    arrival_offset = Integer(default=0)
    departure_offset = Integer(default=0)
    rsvp = Varchar(length=16, default="NEEDS-ACTION")
    rsvp_comment = Text(default="")
    answered_at = Timestamptz(null=True, default=None)
    # An answer the socialrådgiver recorded for them: how it was given (kinds.ANSWER_VIA:
    # "phone", "in_person"; empty for answers by link or calendar) and who recorded it.
    answer_via = Varchar(length=16, default="")
    answer_recorded_by = Integer(null=True, default=None)  # app_user id
    answer_recorded_name = Varchar(length=200, default="")
    # Set when the person's contact data changed in the network and flowed into this
    # meeting: what changed, shown on the meeting page.
    contact_note = Text(default="")
    # Someone the system does not e-mail (channel phone, letter, worker) is told by the
    # socialrådgiver, who marks it: what they were told ("invitation", "cancellation"), at
    # which of the meeting's SEQUENCEs and when. A later move, or a cancellation, shows
    # that they must be told again (``invites.service.telling_state``).
    told_what = Varchar(length=16, default="")
    told_sequence = Integer(null=True, default=None)
    told_at = Timestamptz(null=True, default=None)
    removed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AgendaPoint(Table):
    """One point of a meeting's agenda, in order (``position``), with its minutes.

    ``part_key`` is the part of the meeting it belongs to (a ``MeetingPart.key``; empty: the
    whole meeting), so a participant's invitation carries the points of their own parts.
    The agenda's order and titles are the meeting's (a change bumps the meeting's version);
    the minutes are the point's own (``version``), so two people writing the minutes of
    two points do not stop each other. See ``meetings/agenda.py``.
    """
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    title = Varchar(length=300)
    part_key = Varchar(length=40, default="")
    minutes = Text(default="")
    minutes_by_name = Varchar(length=200, default="")  # who wrote the minutes last
    minutes_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class ParticipantPart(Table):
    """Which parts a participant is invited to."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    participant = ForeignKey(references=Participant, on_delete=OnDelete.cascade, index=True)
    part = ForeignKey(references=MeetingPart, on_delete=OnDelete.cascade, index=True)


class SafetyApproval(Table):
    """A reasoned, audited override of a safety rule (keep-apart, joint parents' meeting)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    person_a = Varchar(length=40)  # safety id, e.g. "person:12"
    person_b = Varchar(length=40, null=True, default=None)
    part_key = Varchar(length=40, null=True, default=None)
    kind = Varchar(length=32, default="keep_apart")
    reason = Text()
    approved_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    at = Timestamptz(default=TimestamptzNow())


class MeetingChange(Table):
    """The seam to the invites domain: a change participants must be told about."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.cascade, index=True)
    change_kind = Varchar(length=24)  # meetings.service.CHANGE_KINDS
    sequence = Integer(default=0)
    removed_participant_ids = Varchar(length=500, default="")  # comma-separated ids
    user_id = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class BicSession(Table):
    """An advice session with the father (Barnet i Centrum)."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    assessment = ForeignKey(references=FatherAssessment, on_delete=OnDelete.cascade,
                            index=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.set_null, null=True)
    topics = Varchar(length=300, default="")  # comma-separated kinds.BIC_TOPICS keys
    status = Varchar(length=16, default="planned")
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class WorkingHours(Table):
    """When a user or a network person works: a weekday's hours, or one date's override.

    Exactly one of ``user``/``person``; exactly one of ``weekday`` (0 = Monday) and
    ``on_date``. ``starts``/``ends`` empty means not working that weekday or date.
    Weekdays without a row keep the planner's default (08–16 Monday to Friday).
    """
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=True, index=True)
    weekday = Integer(null=True, default=None)
    on_date = Date(null=True, default=None)
    starts = Time(null=True, default=None)
    ends = Time(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class BusyFeed(Table):
    """An imported ICS free/busy feed of a partner organisation, a user or a network person.

    ``busy_json`` caches the parsed busy intervals (``feeds.encode_busy``); ``error`` holds
    the Danish warning of the last failed fetch (empty after a good one); ``skipped`` names
    the events the last read calendar had that could not be read (``feeds.skipped_note``).
    """
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, null=True,
                              index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=True, index=True)
    url = Varchar(length=1000)
    last_fetched = Timestamptz(null=True, default=None)
    etag = Varchar(length=300, default="")
    busy_json = Text(default="[]")
    error = Text(default="")
    skipped = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class FgcPlanReview(Table):
    """A review of one plan item (status and note), at the follow-up meeting when there is
    one; kept as the item's history."""
    id: Serial  # Piccolo adds the primary key; declared here for type checkers

    item = ForeignKey(references=FgcPlanItem, on_delete=OnDelete.cascade, index=True)
    meeting = ForeignKey(references=Meeting, on_delete=OnDelete.set_null, null=True)
    status = Varchar(length=16)
    note = Text(default="")
    reviewed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    reviewed_by_name = Varchar(length=200, default="")
    reviewed_at = Timestamptz(default=TimestamptzNow())
