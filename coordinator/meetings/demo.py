"""Demo meetings, familierådslagninger and BIC cases (fictitious, deterministic).

Runs after the network seeder and reads the families' people from the database. Families
are spread over every stage of the familierådslagning flow; families at the crisis centre
get BIC cases with and without father involvement (some referred to mads); network and
status meetings lie both in the past and in the coming weeks relative to ``ctx.today``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from coordinator import clock, db
from coordinator.auth.tables import User
from coordinator.families.tables import Family, TeamMember
from coordinator.meetings import kinds, planner
from coordinator.meetings.service import default_parts, insert_default_agenda
from coordinator.meetings.tables import (
    AgendaPoint,
    BicSession,
    FatherAssessment,
    FgcCase,
    FgcPlanApproval,
    FgcPlanItem,
    FgcPlanReview,
    FgcQuestion,
    FgcTask,
    Meeting,
    MeetingPart,
    Participant,
    ParticipantPart,
    Room,
    WorkingHours,
)
from coordinator.network.tables import Organisation, Person

LOCAL = planner.LOCAL_TZ
FGC_STAGES = ("missing", "assessed", "not_possible", "referred", "preparing", "planned", "held",
              "followup")
_ROLE = {"mother": "mother", "father": "father", "child": "child", "other_caregiver": "family",
         "relative": "private_network", "private_network": "private_network"}


def _working_day(day: date, forward: bool = True) -> date:
    step = timedelta(days=1 if forward else -1)
    while not planner.is_working_day(day):
        day += step
    return day


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LOCAL).astimezone(UTC)


# The family (by index) with two decisions waiting for its socialrådgiver: the plan of its
# held familierådslagning is not approved yet, and a joint meeting of mother and father is a
# draft that needs a recorded safety approval before it can be sent.
PENDING_DECISIONS = 22

# Which point of a held meeting's default agenda carries the demo's minutes, by kind.
MINUTES_POINT = {"familieraadslagning": 4, "familieraadslagning_followup": 1,
                 "netvaerksmoede": 3}


async def _meeting(family_id: int, kind_key: str, title: str, start: datetime, status: str,
                   organiser: int, people: list[dict], users: list[tuple[int, str, str, str]],
                   minutes: str = "", **extra) -> int:
    """Insert a meeting with back-to-back parts, its kind's default agenda (``minutes`` on
    one of its points) and its participants in their default parts."""
    kind = kinds.get_kind(kind_key)
    rows = await Meeting.insert(Meeting(family=family_id, kind=kind_key, title=title, status=status,
                                        organiser=organiser, sequence=1 if status != "draft" else 0,
                                        **extra))
    meeting_id = rows[0]["id"]
    await insert_default_agenda(meeting_id, kind_key)
    if minutes:
        points = await AgendaPoint.select(AgendaPoint.id).where(
            AgendaPoint.meeting == meeting_id).order_by(AgendaPoint.position)
        author = await User.select(User.full_name).where(User.id == organiser).first()
        await db.update_versioned(
            AgendaPoint, points[min(MINUTES_POINT.get(kind_key, 0), len(points) - 1)]["id"],
            db.ANY_VERSION, {
                AgendaPoint.minutes: minutes, AgendaPoint.minutes_at: start + kind.default_duration,
                AgendaPoint.minutes_by_name: author["full_name"] if author else ""})
    # A sent meeting's letter and phone participants were told of it when it was sent (a
    # fortnight before it, or today if that is earlier): the page asks only about changes.
    told_at = min(start - timedelta(days=14), clock.now())
    part_ids = {}
    for position, spec in enumerate(kind.parts):
        end = start + spec.default_duration
        part = await MeetingPart.insert(MeetingPart(meeting=meeting_id, key=spec.key,
                                                    label=spec.label, starts_at=start,
                                                    ends_at=end, position=position))
        part_ids[spec.key] = part[0]["id"]
        start = end
    entries = []
    for p in people:
        role = "informatoer" if p["is_professional"] else _ROLE.get(p["role"], "private_network")
        category = ("professional" if p["is_professional"] else
                    "family" if role in ("mother", "father", "child", "family") else "private_network")
        channel = kinds.default_channel(p["email"], p["phone"], p["contact_only_via_worker"])
        entries.append(dict(person=p["id"], name=p["name"], email=p["email"], role=role,
                            category=category, channel=channel,
                            invite_via_worker=channel != "email"))
    for user_id, name, email, role in users:
        entries.append(dict(user=user_id, name=name, email=email, role=role, category="professional",
                            channel="email"))
    answered = status in ("held", "followup")
    for entry in entries:
        if status in kinds.SENT_STATUSES and entry["channel"] != "email":
            entry.update(told_what=kinds.told_now(status), told_sequence=1, told_at=told_at)
        row = await Participant.insert(Participant(
            meeting=meeting_id, rsvp="ACCEPTED" if answered else "NEEDS-ACTION", **entry))
        for key in default_parts(kind_key, entry["category"], entry["role"]):
            await ParticipantPart.insert(ParticipantPart(participant=row[0]["id"], part=part_ids[key]))
    return meeting_id


def _invitees(people: list[dict], kind_key: str) -> list[dict]:
    """Who the demo invites: no father, nobody who used violence, a few professionals."""
    safe = [p for p in people if p["role"] != "father" and not p["used_violence"]]
    private = [p for p in safe if not p["is_professional"]][:6]
    professionals = [p for p in safe if p["is_professional"] and p["email"]][:2 if kind_key != "statusmoede" else 1]
    return private + professionals


async def seed(ctx) -> None:
    """Meetings, FGC and BIC data for the demo families (after the network seeder)."""
    users = {u: uid for u, uid in ctx.users.items()}
    accounts = {r["id"]: r for r in await User.select()}
    centre = await Organisation.select(Organisation.id).where(
        Organisation.location_protected == True).first()  # noqa: E712
    today = ctx.today
    async with db.transaction():
        await _seed_rooms(users)
        for fam in ctx.families:
            people = await Person.select().where(Person.family == fam.id).order_by(Person.id)
            worker_name = fam.team_usernames[0]
            worker = users[worker_name]
            me = (worker, accounts[worker]["full_name"], accounts[worker]["email"], "socialraadgiver")
            if fam.index % 8 in (5, 6, 7):  # an earlier round, before the current case
                await _seed_earlier_fgc(fam, people, me, today)
            await _seed_fgc(ctx, fam, people, me, users, accounts, today,
                            centre["id"] if centre and fam.at_crisis_centre else None)
            if fam.at_crisis_centre:
                await _seed_bic(fam, people, me, users, accounts, today)
            if fam.index % 3 == 0:
                day = _working_day(today - timedelta(days=20 + fam.index), forward=False)
                await _meeting(fam.id, "netvaerksmoede", f"Netværksmøde – {fam.name}", _at(day, 13),
                               "held", worker, _invitees(people, "netvaerksmoede"), [me],
                               location="Familieafdelingen, mødelokale 2",
                               minutes="Netværket aftalte, hvem der hjælper med hvad.")
            if fam.index % 4 == 1 or await _showcase(fam, users):
                day = _working_day(today + timedelta(days=7 + fam.index % 10))
                await _meeting(fam.id, "statusmoede", f"Første statusmøde – {fam.name}", _at(day, 10),
                               "invited", worker, _invitees(people, "statusmoede"), [me],
                               location="Familieafdelingen")


async def _showcase(fam, users) -> bool:
    """A family where every audience can be tried: a protected mother at the crisis centre,
    the father referred to mads, a familierådslagning coordinated by ida; it also gets an
    invited meeting with partners."""
    return (fam.at_crisis_centre
            and await FatherAssessment.exists().where((FatherAssessment.family == fam.id)
                                                      & (FatherAssessment.contact_person == users["mads"]))
            and await FgcCase.exists().where((FgcCase.family == fam.id)
                                             & (FgcCase.samordner_user == users["ida"])))


DEMO_QUESTIONS = ("Hvem hjælper med at hente og bringe børnene?",
                  "Hvem kan mor ringe til om aftenen?")
# Each plan item's reviews, oldest first (status, note).
DEMO_REVIEWS = (
    (("in_progress", "Mormor er begyndt; torsdag klarer naboen indtil videre."),
     ("done", "Mormor henter fast tirsdag og torsdag.")),
    (("in_progress", "Moster har taget telefonen to aftener."),),
    (("not_done", "Mor har aflyst to gange; aftalt nye tider."),
     ("in_progress", "Mor har ringet de sidste to gange.")),
)

# Who took the initiative, by family (the socialrådgiver most often, as in practice).
DEMO_INITIATORS = (("socialraadgiver", "Familiens socialrådgiver"),
                   ("professional", "Klasselæreren på børnenes skole"),
                   ("family", "Mor, efter en snak med mormor"))


def _initiator_and_formoede(index: int, stage: str, later: bool) -> dict:
    """The initiativtager (once referred) and, where the formøde is held, who took part and
    the family's yes to go on."""
    values: dict = {}
    if stage not in ("assessed", "not_possible"):
        kind, name = DEMO_INITIATORS[index % len(DEMO_INITIATORS)]
        values.update(initiator_kind=kind, initiator_name=name)
    if later and stage != "preparing":
        values.update(formoede_participants="Mor, børnene, mormor, samordneren og socialrådgiveren",
                      formoede_agreement="yes",
                      formoede_note="Familien vil gerne have mormor, moster og skolen med.")
    return values


async def _seed_earlier_fgc(fam, people, me, today) -> None:
    """A familierådslagning held 5–13 months ago with its plan approved, and its follow-up:
    held on the day it was due, two weeks late, or not held (every third family), so the
    success criterion »Opfølgninger holdt til tiden« has a history to show."""
    worker = me[0]
    row = await Family.select(Family.opened_on).where(Family.id == fam.id).first()
    opened = row["opened_on"] if row else today
    held_on = _working_day(max(today - timedelta(days=150 + 25 * (fam.index % 11)),
                               opened + timedelta(days=60)))
    if held_on > today - timedelta(days=120):
        return  # the family came too recently for a round that has been followed up
    case_id = (await FgcCase.insert(FgcCase(
        family=fam.id, status="followup", possible=True,
        assessed_on=held_on - timedelta(days=50), assessed_by=worker,
        family_view="Mor ville gerne have sin familie med.",
        reasons="Der er et privat netværk, der vil hjælpe.",
        concern="Bekymring for børnenes trivsel under opholdet.",
        questions=DEMO_QUESTIONS[0], referred_on=held_on - timedelta(days=43),
        formoede_on=held_on - timedelta(days=20), formoede_agreement="yes",
        formoede_participants="Mor, børnene, mormor og socialrådgiveren",
        formoede_note="Familien ønskede mormor og skolen med.")))[0]["id"]
    question = (await FgcQuestion.insert(FgcQuestion(case=case_id, text=DEMO_QUESTIONS[0],
                                                     position=0)))[0]["id"]
    meeting_id = await _meeting(
        fam.id, "familieraadslagning", f"Tidligere familierådslagning – {fam.name}",
        _at(held_on, 9), "held", worker, _invitees(people, "familieraadslagning"), [me],
        fgc_case=case_id, location="Medborgerhuset, salen",
        minutes="Familien fremlagde en plan, som socialrådgiveren godkendte.")
    await FgcPlanItem.insert(FgcPlanItem(
        case=case_id, action="Mormor henter børnene i skole om tirsdagen", who="Mormor",
        by_when=held_on + timedelta(days=30), position=0, question=question, status="done"))
    await FgcPlanApproval.insert(FgcPlanApproval(
        case=case_id, approved_by=worker, approved_by_name=me[1], approved_at=_at(held_on, 13),
        conditions="Planen følges op på opfølgningsmødet."))
    due = kinds.proposed_followup_date("familieraadslagning", held_on)
    if due is None or fam.index % 3 == 2:
        return  # not held: the drill-down shows it
    follow_day = _working_day(due + timedelta(days=14 if fam.index % 3 == 1 else 0))
    await _meeting(fam.id, "familieraadslagning_followup", f"Opfølgning – {fam.name}",
                   _at(follow_day, 10), "held", worker, _invitees(people, "netvaerksmoede"),
                   [me], fgc_case=case_id, parent_id=meeting_id, location="Medborgerhuset",
                   minutes="Planen blev gennemgået; mormors aftale holder.")


async def _seed_fgc(ctx, fam, people, me, users, accounts, today, centre_id) -> None:
    stage = FGC_STAGES[fam.index % len(FGC_STAGES)]
    if stage == "missing":
        return
    worker = me[0]
    assessed_on = today - timedelta(days=60 - fam.index)
    possible = stage != "not_possible"
    status = {"assessed": "assessed", "not_possible": "not_possible", "referred": "referred",
              "preparing": "preparing", "planned": "planned", "held": "held",
              "followup": "followup"}[stage]
    ida = users["ida"]
    later = stage not in ("assessed", "not_possible", "referred")
    rows = await FgcCase.insert(FgcCase(
        family=fam.id, status=status, possible=possible, assessed_on=assessed_on, assessed_by=worker,
        family_view="Mor vil gerne have sin familie med." if possible else "Mor ønsker det ikke nu.",
        reasons=("Der er et privat netværk, der vil hjælpe." if possible
                 else "Mor har brug for ro; vurderes igen efter udflytning."),
        concern="" if stage == "assessed" else "Bekymring for børnenes trivsel efter udflytning.",
        questions="" if stage == "assessed" else "\n".join(DEMO_QUESTIONS),
        referred_on=None if stage in ("assessed", "not_possible") else assessed_on + timedelta(days=7),
        samordner_user=ida if later and fam.index % 2 == 0 else None,
        samordner_name="" if not later or fam.index % 2 == 0 else "Eva Demo Uafhængig",
        samordner_email="" if not later or fam.index % 2 == 0 else "eva@samordner.example.net",
        samordner_organisation="" if not later or fam.index % 2 == 0 else "Frivillig samordner",
        formoede_on=assessed_on + timedelta(days=14) if later and stage != "preparing" else None,
        **_initiator_and_formoede(fam.index, stage, later)))
    case_id = rows[0]["id"]
    question_ids = []
    if stage != "assessed":
        for position, text in enumerate(DEMO_QUESTIONS):
            question_ids.append((await FgcQuestion.insert(FgcQuestion(
                case=case_id, text=text, position=position)))[0]["id"])
    if not later:
        return
    for n, title in enumerate(("Tal med familien og barnet", "Kortlæg og inviter netværket",
                               "Book lokale og bestil mad", "Bestil tolk")):
        await FgcTask.insert(FgcTask(case=case_id, title=title,
                                     deadline=today + timedelta(days=3 + 4 * n - 10),
                                     done=stage != "preparing" or n < 2, position=n))
    if stage == "preparing":
        return
    samordner = ((ida, accounts[ida]["full_name"], accounts[ida]["email"], "samordner")
                 if fam.index % 2 == 0 else None)
    extra_users = [me] + ([samordner] if samordner else [])
    pending = stage == "held" and fam.index == PENDING_DECISIONS
    when = (_working_day(today + timedelta(days=12)) if stage == "planned"
            else _working_day(today - timedelta(days=3 if pending else 30), forward=False))
    meeting_id = await _meeting(
        fam.id, "familieraadslagning", f"Familierådslagning – {fam.name}", _at(when, 9),
        "invited" if stage == "planned" else ("followup" if stage == "followup" else "held"),
        me[0], _invitees(people, "familieraadslagning"), extra_users, fgc_case=case_id,
        location="Medborgerhuset, salen", minutes="" if stage == "planned" else
        "Familien fremlagde en plan, som socialrådgiveren skal godkende." if pending else
        "Familien fremlagde en plan, som socialrådgiveren godkendte.")
    if stage == "planned":
        return
    items = []
    for n, (action, who) in enumerate((("Mormor henter børnene i skole tirsdag og torsdag", "Mormor"),
                                       ("Moster er fast kontakt om aftenen", "Moster"),
                                       ("Mor kontakter socialrådgiveren hver 14. dag", "Mor"))):
        items.append((await FgcPlanItem.insert(FgcPlanItem(
            case=case_id, action=action, who=who, by_when=when + timedelta(days=30 * (n + 1)),
            position=n, question=question_ids[min(n, len(question_ids) - 1)],
            status=DEMO_REVIEWS[n][-1][0] if stage == "followup" else "not_started")))[0]["id"])
    if pending:
        return  # the approval form waits on the familierådslagning page
    await FgcPlanApproval.insert(FgcPlanApproval(
        case=case_id, approved_by=worker, approved_by_name=me[1],
        approved_at=_at(when, 13), conditions="Mormor og moster bekræfter aftalerne, og "
        "planen følges op på opfølgningsmødet."))
    if stage == "followup":
        due = kinds.proposed_followup_date("familieraadslagning", when)
        if due is None:  # a familierådslagning always has a follow-up rule
            raise AssertionError("familieraadslagning has no follow-up date")
        follow_day = _working_day(due)
        follow_id = await _meeting(
            fam.id, "familieraadslagning_followup", f"Opfølgning – {fam.name}",
            _at(follow_day, 10), "planned", me[0], _invitees(people, "netvaerksmoede"),
            [me], fgc_case=case_id, parent_id=meeting_id, location="Medborgerhuset")
        # the items reviewed along the way, the newest review at the follow-up meeting
        for item_id, history in zip(items, DEMO_REVIEWS, strict=True):
            for n, (status, note) in enumerate(history):
                last = n == len(history) - 1
                await FgcPlanReview.insert(FgcPlanReview(
                    item=item_id, meeting=follow_id if last else None, status=status, note=note,
                    reviewed_by=worker, reviewed_by_name=me[1],
                    reviewed_at=_at(when + timedelta(days=7 * (n + 1)), 11)))


async def _seed_bic(fam, people, me, users, accounts, today) -> None:
    variant = fam.index % 4
    if variant == 0:
        return  # the assessment is missing: the family page says so
    father = next((p for p in people if p["role"] == "father"), None)
    involve = variant != 1
    assessed_on = today - timedelta(days=40 - fam.index)
    agreed = variant == 2
    mads = users["mads"]
    rows = await FatherAssessment.insert(FatherAssessment(
        family=fam.id, father=father["id"] if father else None, involve=involve,
        status="not_involved" if not involve else ("sessions" if agreed else "assessed"),
        reasons=("Far har udøvet vold; kontakt vil bringe mor og børn i fare." if not involve
                 else "Far ønsker kontakt med børnene og er motiveret for rådgivning."),
        assessed_on=assessed_on, assessed_by=me[0],
        mother_agreed_on=assessed_on + timedelta(days=3) if agreed else None,
        mother_agreement_by=me[0] if agreed else None,
        mother_agreement_note="Mor er indforstået med rådgivning af far." if agreed else "",
        contact_person=mads if agreed else None,
        referred_on=assessed_on + timedelta(days=5) if agreed else None))
    if not agreed or father is None:
        return
    if not await TeamMember.exists().where((TeamMember.family == fam.id) & (TeamMember.user == mads)):
        await TeamMember.insert(TeamMember(family=fam.id, user=mads, team_role="Kontaktperson, Modtagelsen"))
    contact = (mads, accounts[mads]["full_name"], accounts[mads]["email"], "kontaktperson")
    for offset, topics, status in ((-14, "separation,familieretshuset", "held"),
                                   (9, "oekonomi,bolig", "planned")):
        day = _working_day(today + timedelta(days=offset), forward=offset > 0)
        meeting_id = await _meeting(fam.id, "bic_session", "Rådgivningssamtale med far",
                                    _at(day, 14), "held" if status == "held" else "invited",
                                    mads, [father], [contact], father_assessment=rows[0]["id"],
                                    location="Familieafdelingen, Modtagelsen")
        await BicSession.insert(BicSession(
            assessment=rows[0]["id"], meeting=meeting_id, topics=topics, status=status,
            notes="Far fik rådgivning om forløbet i Familieretshuset." if status == "held" else ""))
    mother = next((p for p in people if p["role"] == "mother"), None)
    if fam.index == PENDING_DECISIONS and mother is not None:
        # a draft: the meeting page stops it until the approval is recorded there
        day = _working_day(today + timedelta(days=16))
        await _meeting(fam.id, "bic_joint_parents", "Fælles forældremøde om børnene", _at(day, 13),
                       "draft", me[0], [mother, father], [me], father_assessment=rows[0]["id"],
                       location="Familieafdelingen, Modtagelsen")


async def _seed_rooms(users: dict) -> None:
    """Rooms the slot finder can book, and a leader's shorter Friday (working hours)."""
    await Room.insert(
        Room(name="Mødelokale 1", location="Rådhuset, 2. sal", capacity=10),
        Room(name="Mødelokale 2", location="Rådhuset, stueetagen", capacity=6),
        Room(name="Samtalerummet", location="Krisecentret", capacity=4, at_crisis_centre=True))
    if "lene" in users:
        await WorkingHours.insert(WorkingHours(user=users["lene"], weekday=4,
                                               starts=time(8), ends=time(12)))
