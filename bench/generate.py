"""Deterministic benchmark data: municipal or national scale, written with bulk inserts.

Standalone script, not part of the test suite::

    python bench/generate.py --database-url sqlite:////tmp/bench.sqlite --scale municipal
    python bench/generate.py --database-url postgresql://postgres@127.0.0.1:5432/bench_national \
        --scale national [--municipalities 20]

The database must be migrated and hold no families (``bench/run.py`` creates and migrates
it). One *municipality* is the unit: 2,000 families (a socialrådgiver has 30), ~40,000
people and organisations, ~80,000 relations, ~20,000 meetings with parts and participants,
300 agreements, case facts, FGC and BIC assessments, stays and an audit history. Municipal
scale is one municipality, national scale fifty. Every random choice comes from
``random.Random(seed + municipality)``; dates are relative to ``--today`` (default: the
real date), so the same seed and day give the same rows.

PostgreSQL is filled with COPY (asyncpg ``copy_records_to_table``, foreign-key triggers
off for the session: the rows are consistent by construction); SQLite with ``executemany``
in one transaction per municipality. Prints a JSON summary (the benchmark's ids, the feed
token, row counts, seconds) to stdout and writes it to ``--state`` when given.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import random
import sqlite3
import sys
import time as clock
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import piccolo.engine.sqlite  # noqa: E402,F401 - registers the sqlite3 adapters Piccolo reads back

from coordinator.agreements.tables import Agreement, AgreementEvaluation, AgreementParty  # noqa: E402
from coordinator.audit.tables import AuditEvent  # noqa: E402
from coordinator.auth.passwords import hash_password  # noqa: E402
from coordinator.auth.tables import User  # noqa: E402
from coordinator.families.revisions import stamp_every_family, trigger_statements  # noqa: E402
from coordinator.families.tables import Family, TeamMember  # noqa: E402
from coordinator.followup.tables import Stay  # noqa: E402
from coordinator.invites.tables import FeedToken  # noqa: E402
from coordinator.meetings import kinds as meeting_kinds  # noqa: E402
from coordinator.meetings.tables import (  # noqa: E402
    AgendaPoint,
    BicSession,
    FatherAssessment,
    FgcCase,
    FgcTask,
    Meeting,
    MeetingPart,
    Participant,
    ParticipantPart,
)
from coordinator.network.tables import (  # noqa: E402
    CaseFacts,
    KeepApart,
    NetworkChange,
    Organisation,
    Person,
    Relation,
)

UTC = timezone.utc
CPH = ZoneInfo("Europe/Copenhagen")
FAMILIES_PER_MUNICIPALITY = 2000
MEETINGS_PER_FAMILY = 10
AGREEMENTS_PER_MUNICIPALITY = 300
SOCIAL_WORKERS = 67  # 30 families each (29 for some): the caseload issue 19 measures at
CONTACT_PERSONS = 40  # on the crisis-centre families (~40 %), ~20 each
LEADERS = 4
SAMORDNERE = 4
FEED_EVENTS = 2000  # meetings per municipality its Sundhedsplejen takes part in (sent)
SLOT_PEOPLE = 12
PASSWORD = "bench"
SCALES = {"municipal": 1, "national": 50}
SENT = ("invited", "held", "cancelled")

# The shared organisation directory of one municipality: (base name, kind, sector, copies).
DIRECTORY = [
    ("Sundhedsplejen", "health_visiting", "health", 1),
    ("Skole", "school", "school_daycare", 20),
    ("Børnehus", "day_care", "school_daycare", 30),
    ("PPR", "ppr", "school_daycare", 1),
    ("Jobcenteret", "job_centre", "social_services", 1),
    ("Ydelseskontoret", "benefits_office", "social_services", 1),
    ("Familieafdelingen", "family_department", "social_services", 1),
    ("Myndighedscentret", "authority", "social_services", 1),
    ("Krisecentret", "crisis_centre", "crisis_centre", 1),
    ("Døgncenter", "residential_centre", "social_services", 1),
    ("Frivillig forening", "voluntary", "other", 8),
    ("Politiet", "police", "other", 1),
    ("Lægehus", "doctor", "health", 15),
]
WOMEN = ["Anna", "Maria", "Sofie", "Louise", "Camilla", "Mette", "Line", "Sara", "Nadia",
         "Fatima", "Julie", "Katrine", "Pernille", "Amira", "Helle", "Tina", "Signe", "Rikke"]
MEN = ["Jens", "Thomas", "Martin", "Ali", "Kasper", "Morten", "Rasmus", "Omar", "Henrik",
       "Jesper", "Nikolaj", "Brian", "Mikael", "Peter", "Lars", "Anders"]
CHILDREN = ["Emma", "Ida", "Freja", "Alma", "Clara", "Noah", "William", "Oscar", "Karl", "Malik",
            "Alfred", "Lucas", "Ella", "Karla", "Aya", "Luna", "Elias", "Adam"]
SURNAMES = ["Kronborg", "Mølvig", "Dalsgård", "Hvidbjerg", "Lykkegård", "Sandvad", "Tranholm",
            "Vejlby", "Bredkær", "Holmsland", "Engsig", "Fjordlund", "Skovmark", "Hedegaard-Fiktiv",
            "Lindtoft", "Bækholm", "Grønnerup", "Aadal", "Østerbygaard", "Rævdal"]
HELP = ["Henter børnene i skole om tirsdagen", "Passer børnene, når mor er til møder",
        "Er der om aftenen, når det er svært", "Følger med til møder på kommunen",
        "Hjælper med post og breve", "Tager imod børnene efter skole"]
KIND_WEIGHTS = [("statusmoede", 35), ("netvaerksmoede", 25), ("familieraadslagning", 12),
                ("familieraadslagning_followup", 8), ("bic_session", 20)]
FGC_PARTS = [("information", "Informationsdel", 45), ("family_time", "Familiens egen tid", 120),
             ("plan", "Fremlæggelse og godkendelse af planen", 45)]
SINGLE_PART = {"statusmoede": ("Statusmøde", 60), "netvaerksmoede": ("Netværksmøde", 120),
               "familieraadslagning_followup": ("Opfølgningsmøde", 90),
               "bic_session": ("Rådgivningssamtale", 60)}
KIND_TITLES = {"statusmoede": "Statusmøde", "netvaerksmoede": "Netværksmøde",
               "familieraadslagning": "Familierådslagning",
               "familieraadslagning_followup": "Opfølgning på familierådslagning",
               "bic_session": "Rådgivningssamtale med far"}

# Every participant has an address of their own: one address shared by all of them
# would also be the mother's, and every invitation would (rightly) be refused as a leak.
MAILBOXES = itertools.count(1)


def feed_token(seed: int) -> str:
    """The partner feed's secret for this seed (only its hash is stored)."""
    return "bench-" + hashlib.sha256(f"feed:{seed}".encode()).hexdigest()[:40]


class Table:
    """Row buffer for one Piccolo table: values by column name, defaults filled in."""

    def __init__(self, table: Any, now: datetime) -> None:
        self.name = table._meta.tablename
        self.columns = [c._meta.db_column_name for c in table._meta.columns]
        self.defaults: dict[str, Any] = {}
        for column in table._meta.columns:
            kind = type(column).__name__
            if kind == "Timestamptz" and not column._meta.null:
                self.defaults[column._meta.db_column_name] = now
            elif kind in ("Serial", "BigSerial"):
                self.defaults[column._meta.db_column_name] = None
            else:
                self.defaults[column._meta.db_column_name] = column.get_default_value()
        self.rows: list[tuple] = []
        self.next_id = 1
        self.total = 0

    def add(self, **values: Any) -> int:
        """Buffer one row; returns its id (assigned here, consecutive)."""
        row_id = self.next_id
        self.next_id += 1
        values["id"] = row_id
        defaults = self.defaults
        self.rows.append(tuple(values[c] if c in values else defaults[c] for c in self.columns))
        return row_id


class Generator:
    """Builds one municipality at a time into the table buffers."""

    def __init__(self, seed: int, today: date, password_hash: str) -> None:
        self.seed = seed
        self.today = today
        self.now = datetime.combine(today, time(6, 0), CPH).astimezone(UTC)
        self.password_hash = password_hash
        tables = [User, Family, TeamMember, AuditEvent, Organisation, Person, Relation, KeepApart,
                  NetworkChange, CaseFacts, FgcCase, FgcTask, FatherAssessment, Meeting,
                  MeetingPart, AgendaPoint, Participant, ParticipantPart, BicSession, Agreement,
                  AgreementParty, AgreementEvaluation, Stay, FeedToken]
        self.t = {t: Table(t, self.now) for t in tables}
        self.facts: dict[str, Any] = {}
        # Case references as the start page suggests them ("2026-0042"), numbered by the year
        # the case was opened across the region (one database, one unique reference).
        self.opened_in: Counter[int] = Counter()

    # --------------------------------------------------------------------- helpers
    def _moment(self, rng: random.Random, day_offset: int) -> datetime:
        day = self.today + timedelta(days=day_offset)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        local = datetime.combine(day, time(8 + rng.randrange(7), rng.choice((0, 15, 30, 45))), CPH)
        return local.astimezone(UTC)

    def _phone(self, rng: random.Random) -> str:
        return f"+45 70 10 {rng.randint(40, 99):02d} {rng.randint(0, 99):02d}"

    # ---------------------------------------------------------------- municipality
    def municipality(self, m: int) -> None:  # noqa: C901 - one municipality's story
        """Buffer every row of municipality ``m``."""
        rng = random.Random(self.seed * 1000 + m)
        t = self.t
        U, F, TM, O, P, R = (t[User], t[Family], t[TeamMember], t[Organisation], t[Person],
                             t[Relation])
        tag = f"m{m:02d}"

        def user(username: str, name: str, role: str, unit: str) -> int:
            return U.add(username=username, full_name=name, role=role, unit=unit,
                         email=f"{username}@kommune.example.org", password_hash=self.password_hash)

        def staff_name() -> str:
            return f"{rng.choice(WOMEN + MEN)} {rng.choice(SURNAMES)}"

        # Each municipality's units are its own (one database for many municipalities): a
        # leader leads her municipality's Familieafdelingen, not the country's.
        town = f" (kommune {m + 1})"
        workers = [user("bench-sr" if m == 0 and k == 0 else f"{tag}-sr{k:03d}", staff_name(),
                        "socialraadgiver", f"Familieafdelingen{town}") for k in range(SOCIAL_WORKERS)]
        contacts = [user(f"{tag}-kp{k:03d}", staff_name(), "kontaktperson",
                         f"Familieafdelingen, Modtagelsen{town}") for k in range(CONTACT_PERSONS)]
        leaders = [user("bench-leder" if m == 0 and k == 0 else f"{tag}-leder{k}", staff_name(),
                        "leder", f"Familieafdelingen{town}") for k in range(LEADERS)]
        samordnere = [user(f"{tag}-samordner{k}", staff_name(), "samordner", f"Samordning{town}")
                      for k in range(SAMORDNERE)]
        user(f"{tag}-admin", staff_name(), "admin", f"IT{town}")

        orgs: dict[str, list[int]] = defaultdict(list)
        for base, kind, sector, copies in DIRECTORY:
            for k in range(copies):
                name = f"{base} {k + 1}" if copies > 1 else base
                orgs[kind].append(O.add(
                    name=f"{name} (kommune {m + 1})", kind=kind, sector=sector,
                    phone=self._phone(rng), email=f"{kind}{k}.{tag}@kommune.example.org",
                    address="Lyngbakken 0, 8999 Demoby" if kind == "crisis_centre" else "",
                    location_protected=kind == "crisis_centre", created_at=self.now))
        health_visiting = orgs["health_visiting"][0]
        if m == 0:
            self.facts["feed_organisation_id"] = health_visiting
            self.facts["bench_user"] = "bench-sr"
            self.facts["bench_leader"] = "bench-leder"
            self.facts["password"] = PASSWORD
            t[FeedToken].add(kind="partner_organisation", target_id=health_visiting,
                             label="Sundhedsplejen (benchmark)",
                             token_hash=hashlib.sha256(feed_token(self.seed).encode()).hexdigest(),
                             created_by=workers[0], created_at=self.now)

        feed_meetings = 0
        kinds, weights = zip(*KIND_WEIGHTS)
        for i in range(FAMILIES_PER_MUNICIPALITY):
            surname = rng.choice(SURNAMES)
            at_centre = rng.random() < 0.4
            closed = rng.random() < 0.15
            opened = self.today - timedelta(days=rng.randrange(30, 1100))
            self.opened_in[opened.year] += 1
            family = F.add(reference=f"{opened.year}-{self.opened_in[opened.year]:04d}", name=f"Familien {surname}",
                           status="closed" if closed else "active", at_crisis_centre=at_centre,
                           opened_on=opened,
                           closed_on=self.today - timedelta(days=rng.randrange(1, 25)) if closed else None,
                           created_at=self.now, updated_at=self.now)
            worker = workers[i % SOCIAL_WORKERS]
            TM.add(family=family, user=worker, team_role="socialrådgiver", added_at=self.now)
            team = [worker]
            if at_centre:
                kp = contacts[i % CONTACT_PERSONS]
                TM.add(family=family, user=kp, team_role="kontaktperson", added_at=self.now)
                team.append(kp)
            bench_family = m == 0 and i == 0
            if bench_family:
                self.facts["family_id"] = family

            # ---- people
            people: list[tuple[int, str]] = []  # (id, role key)

            def person(name: str, role: str, sector: str, **kw: Any) -> int:
                pid = P.add(family=family, name=name, role=role, sector=sector,
                            created_at=self.now, updated_at=self.now, **kw)
                people.append((pid, role))
                return pid

            def rel(source: int, type_: str, target: int | None = None, org: int | None = None,
                    note: str = "") -> None:
                R.add(family=family, source=source, target_person=target,
                      target_organisation=org, type=type_, note=note, created_at=self.now)

            violent = at_centre and rng.random() < 0.7
            mother = person(f"{rng.choice(WOMEN)} {surname}", "mother", "family",
                            phone=self._phone(rng), protected_address=at_centre)
            father = None
            if rng.random() < 0.85 or bench_family:
                father = person(f"{rng.choice(MEN)} {rng.choice(SURNAMES)}sen", "father", "family",
                                phone=self._phone(rng), used_violence=violent,
                                contact_only_via_worker=violent)
                if violent:
                    t[KeepApart].add(family=family, person_a=mother, person_b=father,
                                     reason="Vold i hjemmet", created_at=self.now)
            children = []
            for _ in range(rng.randint(1, 4)):
                age = rng.randint(0, 16)
                child = person(rng.choice(CHILDREN), "child", "family", is_child=True,
                               birth_year=self.today.year - age)
                children.append(child)
                rel(mother, "mother_of", child)
                if father:
                    rel(father, "father_of", child)
            for a, b in zip(children, children[1:]):
                rel(a, "sibling_of", b)
            private = []
            for k in range(rng.randint(1, 3)):
                grand = person(f"{rng.choice(WOMEN + MEN)} {surname}", "relative",
                               "private_network", phone=self._phone(rng))
                private.append(grand)
                for child in children:
                    rel(grand, "grandmother_of" if k % 2 == 0 else "grandfather_of", child,
                        note=rng.choice(HELP))
            for _ in range(rng.randint(0, 2)):
                aunt = person(f"{rng.choice(WOMEN + MEN)} {surname}", "relative",
                              "private_network", phone=self._phone(rng))
                private.append(aunt)
                for child in children:
                    rel(aunt, "aunt_uncle_of", child)
            for _ in range(rng.randint(2, 5)):
                friend = person(f"{rng.choice(WOMEN + MEN)} {rng.choice(SURNAMES)}",
                                "private_network", "private_network", phone=self._phone(rng))
                private.append(friend)
                rel(friend, rng.choice(("friend_of", "neighbour_of", "supports")), mother,
                    note=rng.choice(HELP))

            professionals: list[int] = []

            def pro(title: str, kind: str, rel_type: str, target: int) -> int:
                org = rng.choice(orgs[kind])
                name = staff_name()
                pid = person(name, "professional",
                             {"health_visiting": "health", "doctor": "health", "school": "school_daycare",
                              "day_care": "school_daycare", "ppr": "school_daycare",
                              "crisis_centre": "crisis_centre"}.get(kind, "social_services"),
                             is_professional=True, organisation=org, title=title,
                             phone=self._phone(rng),
                             email=f"{name.split()[0].lower()}.{pid_suffix(rng)}@{kind}.example.org")
                rel(pid, "works_at", org=org)
                rel(pid, rel_type, target)
                professionals.append(pid)
                return pid

            social = pro("Socialrådgiver", "family_department", "social_worker_for", mother)
            visitor = pro("Sundhedsplejerske", "health_visiting", "health_visitor_for", children[-1])
            pro("Lærer", "school", "teacher_of", children[0])
            pro("Pædagog", "day_care", "pedagogue_of", children[-1])
            pro("Psykolog", "ppr", "psychologist_for", children[0])
            pro("Praktiserende læge", "doctor", "doctor_for", mother)
            if at_centre:
                pro("Kontaktperson", "crisis_centre", "contact_person_for", mother)
            if rng.random() < 0.5:
                pro("Jobkonsulent", "job_centre", "knows", mother)
            if rng.random() < 0.4:
                pro("Frivillig", "voluntary", "supports", mother)
            for other in professionals[1:]:
                rel(social, "knows", other)
            rel(social, "coordinator_for", mother)

            t[CaseFacts].add(family=family, public_help="yes", s50_status="done",
                             s50_date=opened + timedelta(days=30), s141_plan="yes",
                             special_support=rng.choice(("yes", "no", "")), updated_at=self.now)
            for k in range(3):
                t[NetworkChange].add(family=family, at=self.now - timedelta(days=k * 7),
                                     user_id=worker, username="", entity="person",
                                     entity_id=people[k][0], summary="Person tilføjet",
                                     new_value=str(people[k][0]))
            for k in range(20):
                t[AuditEvent].add(at=self.now - timedelta(hours=k * 13), user_id=worker,
                                  username="", role="socialraadgiver", action="read",
                                  entity="familieside", entity_id=str(family), family_id=family,
                                  summary=f"Familien {surname}")
            if at_centre:
                t[Stay].add(family=family, started_on=opened, ended_on=None, created_at=self.now)
                if rng.random() < 0.2:
                    t[Stay].add(family=family, started_on=opened - timedelta(days=400),
                                ended_on=opened - timedelta(days=300), created_at=self.now)

            # ---- assessments
            fgc_case = None
            if rng.random() < 0.75:
                possible = rng.choice((True, True, False, None))
                fgc_case = t[FgcCase].add(
                    family=family, status="assessed" if possible is not True else "referred",
                    possible=possible, assessed_on=opened + timedelta(days=20) if possible is not None else None,
                    assessed_by=worker, reasons="Vurderet sammen med familien",
                    samordner_user=samordnere[i % SAMORDNERE] if possible else None,
                    created_at=self.now, updated_at=self.now)
                for k in range(rng.randint(0, 3)):
                    t[FgcTask].add(case=fgc_case, title=f"Forberedelse {k + 1}",
                                   deadline=self.today + timedelta(days=7 * k), done=k == 0,
                                   position=k)
            father_assessment = None
            if father and rng.random() < 0.6:
                involve = rng.choice((True, False, None))
                father_assessment = t[FatherAssessment].add(
                    family=family, father=father, status="assessed", involve=involve,
                    reasons="Socialfaglig vurdering", assessed_on=opened + timedelta(days=14) if involve is not None else None,
                    assessed_by=worker,
                    mother_agreed_on=opened + timedelta(days=21) if involve else None,
                    mother_agreement_by=worker if involve else None,
                    contact_person=contacts[i % CONTACT_PERSONS] if involve else None,
                    referred_on=opened + timedelta(days=25) if involve else None,
                    created_at=self.now, updated_at=self.now)

            # ---- meetings
            fgc_meeting = None
            for k in range(MEETINGS_PER_FAMILY):
                kind = rng.choices(kinds, weights)[0]
                if kind == "familieraadslagning_followup" and fgc_meeting is None:
                    kind = "statusmoede"
                if kind == "bic_session" and father_assessment is None:
                    kind = "netvaerksmoede"
                offset = rng.randint(-365, 60)
                start = self._moment(rng, offset)
                past = offset < 0
                if past:
                    status = rng.choices(("held", "cancelled", "invited"), (80, 10, 10))[0]
                else:
                    status = rng.choices(("invited", "planned", "draft"), (50, 30, 20))[0]
                timed = not (status == "draft" and rng.random() < 0.5)
                meeting = t[Meeting].add(
                    family=family, kind=kind, title=f"{KIND_TITLES[kind]} – {surname}", status=status,
                    location="Familieafdelingen, mødelokale 2", organiser=worker,
                    sequence=1 if status in SENT else 0,
                    parent_id=fgc_meeting if kind == "familieraadslagning_followup" else None,
                    fgc_case=fgc_case if kind.startswith("familieraadslagning") else None,
                    father_assessment=father_assessment if kind == "bic_session" else None,
                    created_at=self.now, updated_at=self.now)
                if kind == "familieraadslagning":
                    fgc_meeting = meeting
                for position, (part_key, point) in enumerate(meeting_kinds.default_agenda(kind)):
                    t[AgendaPoint].add(meeting=meeting, position=position, title=point,
                                       part_key=part_key, created_at=self.now,
                                       minutes="Referat" if status == "held" and position == 0 else "")
                specs = ([(key, label, minutes) for key, label, minutes in FGC_PARTS]
                         if kind == "familieraadslagning" else [("meeting", *SINGLE_PART[kind])])
                parts: list[tuple[int, str]] = []
                cursor = start
                for position, (key, label, minutes) in enumerate(specs):
                    end = cursor + timedelta(minutes=minutes)
                    parts.append((t[MeetingPart].add(
                        meeting=meeting, key=key, label=label, starts_at=cursor if timed else None,
                        ends_at=end if timed else None, position=position), key))
                    cursor = end
                if kind == "bic_session":
                    t[BicSession].add(assessment=father_assessment, meeting=meeting,
                                      topics="bolig,oekonomi",
                                      status="held" if status == "held" else "planned",
                                      created_at=self.now)
                    invited = [(father, "father", "private"), (None, "", "professional")]
                else:
                    chosen_pros = rng.sample(professionals[2:], min(2, len(professionals) - 2))
                    invited = ([(mother, "mother", "private"), (social, "", "professional")]
                               + [(p, "", "professional") for p in chosen_pros]
                               + [(p, "", "private") for p in rng.sample(private, min(2, len(private)))])
                    if (status in SENT and timed and len(parts) == 1
                            and feed_meetings < FEED_EVENTS):
                        invited.append((visitor, "", "professional"))
                        feed_meetings += 1
                invited.append((None, "socialraadgiver", "professional"))  # the worker (user)
                for person_id, role, category in invited:
                    is_user = person_id is None
                    pid = t[Participant].add(
                        meeting=meeting, person=person_id,
                        user=(worker if role == "socialraadgiver" else contacts[i % CONTACT_PERSONS])
                        if is_user else None,
                        name="Medarbejder" if is_user else "Deltager", role=role,
                        email=f"deltager{next(MAILBOXES)}@example.org", category=category,
                        rsvp="ACCEPTED" if status == "held" else "NEEDS-ACTION",
                        created_at=self.now)
                    for part_id, key in parts:
                        if category == "professional" and key == "family_time":
                            continue
                        t[ParticipantPart].add(participant=pid, part=part_id)

            if bench_family:
                self._slot_meeting(rng, family, worker, contacts[0], people, surname)
                self.facts["family_people"] = len(people)

        if m == 0:
            self.facts["feed_meetings"] = feed_meetings
        self._agreements(rng, orgs, workers[0])

    def _slot_meeting(self, rng: random.Random, family: int, worker: int, other_user: int,
                      people: list[tuple[int, str]], surname: str) -> None:
        """A draft network meeting with 12 participants and no time yet (the slot search)."""
        t = self.t
        meeting = t[Meeting].add(family=family, kind="netvaerksmoede",
                                 title=f"Netværksmøde (planlægges) – {surname}", status="draft",
                                 organiser=worker, created_at=self.now, updated_at=self.now)
        part = t[MeetingPart].add(meeting=meeting, key="meeting", label="Netværksmøde",
                                  position=0)
        chosen = [pid for pid, role in people if role not in ("child", "father")][:SLOT_PEOPLE - 2]
        invitees = [(pid, None) for pid in chosen] + [(None, worker), (None, other_user)]
        for person_id, user_id in invitees:
            pid = t[Participant].add(meeting=meeting, person=person_id, user=user_id,
                                     name="Deltager", email=f"deltager{next(MAILBOXES)}@example.org",
                                     category="professional", created_at=self.now)
            t[ParticipantPart].add(participant=pid, part=part)
        self.facts["slot_meeting_id"] = meeting
        self.facts["slot_participants"] = len(invitees)

    def _agreements(self, rng: random.Random, orgs: dict[str, list[int]], creator: int) -> None:
        t = self.t
        every = [o for ids in orgs.values() for o in ids]
        for k in range(AGREEMENTS_PER_MUNICIPALITY):
            partner = rng.choice(every)
            start = self.today - timedelta(days=rng.randrange(30, 900))
            agreement = t[Agreement].add(
                title=f"Samarbejdsaftale {k + 1}", purpose="Koordineret indsats for familier",
                target_group="Familier på krisecentret", partner=partner, period_start=start,
                period_end=start + timedelta(days=rng.choice((365, 730, 1095))),
                status=rng.choices(("active", "archived"), (90, 10))[0],
                evaluation_months=rng.choice((3, 6, 12)), created_by=creator,
                created_at=self.now, updated_at=self.now)
            for position, org in enumerate({partner, rng.choice(every), rng.choice(every)}):
                t[AgreementParty].add(agreement=agreement, organisation=org,
                                      contact_name="Kontakt Fiktiv",
                                      contact_email="kontakt@example.org",
                                      obligations="Deltager i kvartalsvis evaluering",
                                      position=position)
            for e in range(rng.randint(0, 2)):
                t[AgreementEvaluation].add(agreement=agreement,
                                           held_on=start + timedelta(days=90 * (e + 1)),
                                           conclusions="Samarbejdet fungerer",
                                           recorded_by=creator, recorded_by_name="Leder",
                                           created_at=self.now)


def pid_suffix(rng: random.Random) -> str:
    """A short random suffix for generated e-mail addresses."""
    return f"{rng.randrange(10**6):06d}"


# ------------------------------------------------------------------------- sinks

class SqliteSink:
    """executemany into the SQLite file, one transaction per flush."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        # The page cache's content-stamp triggers would fire per generated row; the data
        # is new (no page is cached), so they are put back after the load, like PostgreSQL's
        # session_replication_role = replica skips them during COPY.
        triggers = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name LIKE 'content_stamp_%'").fetchall()
        for (name,) in triggers:
            self.db.execute(f'DROP TRIGGER "{name}"')

    async def count(self, table: str) -> int:
        return self.db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    async def write(self, buffers: Iterable[Table]) -> None:
        self.db.execute("BEGIN")
        for buf in buffers:
            if buf.rows:
                marks = ",".join("?" * len(buf.columns))
                cols = ",".join(f'"{c}"' for c in buf.columns)
                self.db.executemany(f'INSERT INTO "{buf.name}" ({cols}) VALUES ({marks})', buf.rows)
        self.db.execute("COMMIT")

    async def finish(self, buffers: Iterable[Table]) -> None:
        for statement in trigger_statements("sqlite"):
            self.db.execute(statement)
        # Every family stamped, as the app's own writes (or its migrations) would have.
        self.db.execute(stamp_every_family("sqlite"))
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()


# Each meeting's start and end from its parts, as the meetings domain's triggers on
# meeting_part keep them (meetings migration 2026-11-23T00:20:43); COPY with
# session_replication_role = replica skips those triggers, so they are set after the load.
MEETING_TIMES = (
    'UPDATE "meeting" SET "starts_at" = s."starts_at", "ends_at" = s."ends_at" '
    'FROM (SELECT p."meeting" AS "id", MIN(p."starts_at") AS "starts_at", '
    'COALESCE(MAX(p."ends_at"), MIN(p."starts_at")) AS "ends_at" '
    'FROM "meeting_part" p GROUP BY p."meeting") AS s '
    'WHERE "meeting"."id" = s."id" AND s."ends_at" IS NOT NULL')


class PostgresSink:
    """COPY into PostgreSQL with foreign-key triggers off for this session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = None

    async def _connect(self):
        if self.conn is None:
            import asyncpg

            self.conn = await asyncpg.connect(self.url)
            await self.conn.execute("SET session_replication_role = replica")
        return self.conn

    async def count(self, table: str) -> int:
        conn = await self._connect()
        return await conn.fetchval(f'SELECT count(*) FROM "{table}"')

    async def write(self, buffers: Iterable[Table]) -> None:
        conn = await self._connect()
        async with conn.transaction():
            for buf in buffers:
                if buf.rows:
                    await conn.copy_records_to_table(buf.name, records=buf.rows, columns=buf.columns)

    async def finish(self, buffers: Iterable[Table]) -> None:
        conn = await self._connect()
        for buf in buffers:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{buf.name}\"', 'id'), "
                f"GREATEST((SELECT max(id) FROM \"{buf.name}\"), 1))")
        await conn.execute(MEETING_TIMES)
        await conn.execute("SET session_replication_role = origin")
        await conn.execute(stamp_every_family("postgresql"))
        await conn.execute("VACUUM ANALYZE")
        await conn.close()


# --------------------------------------------------------------------------- main

async def generate(url: str, municipalities: int, seed: int, today: date) -> dict:
    """Fill the database; return the summary (ids for the benchmark, counts, seconds)."""
    started = clock.perf_counter()
    sink = SqliteSink(url.split("sqlite:///", 1)[1]) if url.startswith("sqlite") else PostgresSink(url)
    if await sink.count("family"):
        raise SystemExit("generate: the database already holds families; use a fresh database")
    gen = Generator(seed, today, hash_password(PASSWORD))
    totals: dict[str, int] = defaultdict(int)
    for m in range(municipalities):
        gen.municipality(m)
        await sink.write(gen.t.values())
        for buf in gen.t.values():
            totals[buf.name] += len(buf.rows)
            buf.rows.clear()
        print(f"generate: municipality {m + 1}/{municipalities} written "
              f"({clock.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    await sink.finish(gen.t.values())
    return {**gen.facts, "seed": seed, "today": today.isoformat(), "municipalities": municipalities,
            "feed_token": feed_token(seed), "rows": dict(sorted(totals.items())),
            "seconds": round(clock.perf_counter() - started, 1)}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", choices=sorted(SCALES), default="municipal")
    parser.add_argument("--municipalities", type=int, default=None,
                        help="override the number of municipalities (a fraction of national)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--state", type=Path, default=None, help="write the JSON summary here")
    args = parser.parse_args()
    count = args.municipalities or SCALES[args.scale]
    today = args.today or datetime.now(CPH).date()
    summary = asyncio.run(generate(args.database_url, count, args.seed, today))
    summary["scale"] = args.scale
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    if args.state:
        args.state.parent.mkdir(parents=True, exist_ok=True)
        args.state.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
