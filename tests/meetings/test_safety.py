"""Exhaustive tests of the meeting safety rules: findings, redaction per recipient, leak scan."""

from __future__ import annotations

import pytest

from coordinator.meetings import safety
from coordinator.meetings.safety import (
    BLOCK,
    CPR_REPLACEMENT,
    HIDDEN,
    NEUTRAL_DESCRIPTION,
    NEUTRAL_LOCATION,
    SEVERAL_LOCATIONS,
    WARN,
    Approval,
    KeepApart,
    Location,
    Meeting,
    MeetingPart,
    Person,
    Role,
    SafetyError,
    check_meeting,
    child_display_name,
    has_blocking,
    is_entitled_to_location,
    redact_for_recipient,
    remove_cpr,
    scan_for_leaks,
)

P = Role.PROFESSIONAL

PEOPLE = {
    p.id: p
    for p in (
        Person("father", "Kim Jensen", frozenset({Role.FATHER}), "kim@example.dk", "20 11 22 33", used_violence=True),
        Person("mother", "Lise Holm", frozenset({Role.MOTHER}), "lise@example.dk", "20 44 55 66", "Søndergade 4, 8900 Randers"),
        Person(
            "protected_mother",
            "Sara Jensen",
            frozenset({Role.MOTHER}),
            "sara@example.dk",
            "+45 30 12 34 56",
            "Skjultvej 7, 8930 Randers NØ",
            protected_address=True,
            entitled_to_protected_location=True,
        ),
        Person(
            "cc_staff",
            "Mette Krag",
            frozenset({P}),
            "mk@kc.example.dk",
            "87 00 00 01",
            organisation="Randers Krisecenter",
            entitled_to_protected_location=True,
            internal=True,
        ),
        Person(
            "social_worker",
            "Anne Bro",
            frozenset({P}),
            "ab@randers.example.dk",
            "89 15 00 00",
            organisation="Familieafdelingen",
            entitled_to_protected_location=True,
            internal=True,
        ),
        Person("teacher", "Lærer Hanne Holt", frozenset({P}), "hh@skole.example.dk", "87 11 11 11", organisation="Vestervangskolen"),
        Person("health_visitor", "Yrsa Dam", frozenset({P}), "yd@sund.example.dk", "87 22 22 22", organisation="Sundhedsplejen"),
        Person("grandmother", "Birthe Jensen", frozenset({Role.PRIVATE}), "birthe@example.dk", "40 40 40 40", "Mosevej 2, 8870 Langå"),
        Person("samordner", "Ole Samordner", frozenset({P}), "ole@samordner.example.dk", "50 50 50 50", organisation="Samordnerkorps"),
        Person("child", "Emma Marie Jensen", frozenset({Role.CHILD})),
    )
}
RECIPIENTS = list(PEOPLE)[:-1]  # the child never receives invites itself

CC = Location("Krisecentervej 1, 8900 Randers", at_crisis_centre=True)
HOME = Location("Skjultvej 7, 8930 Randers NØ", protected_address=True)
TOWN = Location("Rådhuset, Laksetorvet 1, 8900 Randers")

FGC_DESCRIPTION = (
    "Mødet holdes på Randers Krisecenter, Krisecentervej 1, 8900 Randers. "
    "Emma Marie Jensen (CPR 010203-1234) deltager. Mor kan ringes op på +45 30 12 34 56."
)


def fs(*ids: str) -> frozenset[str]:
    return frozenset(ids)


INFO = fs("protected_mother", "child", "grandmother", "social_worker", "cc_staff", "teacher", "health_visitor", "samordner")
FAMILY_TIME = fs("protected_mother", "child", "grandmother")
PLAN = fs("protected_mother", "child", "grandmother", "social_worker", "samordner")

SITUATIONS = {
    "fgc_crisis_centre": Meeting(
        kind="familieraadslagning",
        title="Familierådslagning for Emma Marie Jensen",
        description=FGC_DESCRIPTION,
        location=CC,
        parts=(
            MeetingPart("information", "Informationsdel", INFO),
            MeetingPart("family_time", "Familiens egen tid", FAMILY_TIME),
            MeetingPart("plan", "Fremlæggelse og godkendelse af planen", PLAN),
        ),
        invite_via_worker=fs("child"),
        sensitive_terms=("Randers Krisecenter",),
    ),
    "bic_joint_town_hall": Meeting(
        kind="bic_joint_parents",
        title="Fælles forældremøde om Emma",
        description="Sara kommer fra Krisecentervej 1, 8900 Randers.",
        location=TOWN,
        parts=(MeetingPart("meeting", "Fælles forældremøde", fs("protected_mother", "father", "social_worker")),),
        approvals=(Approval("protected_mother", "father", None, "Moren ønsker det; vurderet forsvarligt", "social_worker"),),
    ),
    "mixed_parts": Meeting(
        kind="statusmoede",
        title="Statusmøde",
        description="",
        location=TOWN,
        parts=(
            MeetingPart("mother_part", "Med mor", fs("protected_mother", "cc_staff", "social_worker", "health_visitor"), CC),
            MeetingPart("father_part", "Med far", fs("father", "social_worker")),
        ),
    ),
    "protected_home": Meeting(
        kind="statusmoede",
        title="Statusmøde hos Sara",
        description="Adressen er Skjultvej 7, 8930 Randers NØ.",
        location=HOME,
        parts=(MeetingPart("meeting", "Statusmøde", fs("protected_mother", "social_worker", "health_visitor", "grandmother", "child")),),
        invite_via_worker=fs("child"),
    ),
    "network_open": Meeting(
        kind="netvaerksmoede",
        title="Netværksmøde for Emma Marie Jensen",
        description="Lise kan nås på 20445566.",
        location=TOWN,
        parts=(MeetingPart("meeting", "Netværksmøde", fs("mother", "grandmother", "teacher", "social_worker", "child", "samordner")),),
        invite_via_worker=fs("child"),
    ),
}

ERROR = "error"
PROFS_FGC = fs("social_worker", "cc_staff", "teacher", "health_visitor", "samordner")
TEAM = fs("social_worker", "cc_staff")  # the family's team: internal staff

# (situation, recipient) -> (parts as (key, location text), attendees, attendees with contact data shown)
EXPECTED: dict[tuple[str, str], object] = {
    # Familierådslagning at the crisis centre
    ("fgc_crisis_centre", "father"): ERROR,
    ("fgc_crisis_centre", "mother"): ERROR,
    ("fgc_crisis_centre", "protected_mother"): (
        (("information", CC.text), ("family_time", CC.text), ("plan", CC.text)),
        INFO - {"protected_mother"},
        PROFS_FGC,
    ),
    ("fgc_crisis_centre", "cc_staff"): (
        (("information", CC.text),),
        INFO - {"cc_staff"},
        INFO - {"cc_staff", "child"},
    ),
    ("fgc_crisis_centre", "social_worker"): (
        (("information", CC.text), ("plan", CC.text)),
        INFO - {"social_worker"},
        INFO - {"social_worker", "child"},
    ),
    ("fgc_crisis_centre", "teacher"): (
        (("information", NEUTRAL_LOCATION),),
        INFO - {"teacher"},
        TEAM,  # a partner: the team's contacts, never another partner's
    ),
    ("fgc_crisis_centre", "health_visitor"): (
        (("information", NEUTRAL_LOCATION),),
        INFO - {"health_visitor"},
        TEAM,
    ),
    ("fgc_crisis_centre", "grandmother"): (
        (("information", NEUTRAL_LOCATION), ("family_time", NEUTRAL_LOCATION), ("plan", NEUTRAL_LOCATION)),
        INFO - {"grandmother"},
        PROFS_FGC,
    ),
    ("fgc_crisis_centre", "samordner"): (
        (("information", NEUTRAL_LOCATION), ("plan", NEUTRAL_LOCATION)),
        INFO - {"samordner"},
        TEAM,
    ),
    # BIC joint parents' meeting at the town hall (approved)
    ("bic_joint_town_hall", "father"): ((("meeting", TOWN.text),), fs(), fs()),
    ("bic_joint_town_hall", "mother"): ERROR,
    ("bic_joint_town_hall", "protected_mother"): ((("meeting", TOWN.text),), fs("father", "social_worker"), fs("social_worker")),
    ("bic_joint_town_hall", "cc_staff"): ERROR,
    ("bic_joint_town_hall", "social_worker"): (
        (("meeting", TOWN.text),),
        fs("father", "protected_mother"),
        fs("father", "protected_mother"),
    ),
    ("bic_joint_town_hall", "teacher"): ERROR,
    ("bic_joint_town_hall", "health_visitor"): ERROR,
    ("bic_joint_town_hall", "grandmother"): ERROR,
    ("bic_joint_town_hall", "samordner"): ERROR,
    # Mother's part at the crisis centre, father's part at the town hall
    ("mixed_parts", "father"): ((("father_part", TOWN.text),), fs(), fs()),
    ("mixed_parts", "mother"): ERROR,
    ("mixed_parts", "protected_mother"): (
        (("mother_part", CC.text),),
        fs("cc_staff", "social_worker", "health_visitor"),
        fs("cc_staff", "social_worker", "health_visitor"),
    ),
    ("mixed_parts", "cc_staff"): (
        (("mother_part", CC.text),),
        fs("protected_mother", "social_worker", "health_visitor"),
        fs("protected_mother", "social_worker", "health_visitor"),
    ),
    ("mixed_parts", "social_worker"): (
        (("mother_part", CC.text), ("father_part", TOWN.text)),
        fs("protected_mother", "cc_staff", "health_visitor", "father"),
        fs("protected_mother", "cc_staff", "health_visitor", "father"),
    ),
    ("mixed_parts", "teacher"): ERROR,
    ("mixed_parts", "health_visitor"): (
        (("mother_part", NEUTRAL_LOCATION),),
        fs("protected_mother", "cc_staff", "social_worker"),
        fs("cc_staff", "social_worker"),
    ),
    ("mixed_parts", "grandmother"): ERROR,
    ("mixed_parts", "samordner"): ERROR,
    # Status meeting at the protected mother's home
    ("protected_home", "father"): ERROR,
    ("protected_home", "mother"): ERROR,
    ("protected_home", "protected_mother"): (
        (("meeting", HOME.text),),
        fs("social_worker", "health_visitor", "grandmother", "child"),
        fs("social_worker", "health_visitor"),
    ),
    ("protected_home", "cc_staff"): ERROR,
    ("protected_home", "social_worker"): (
        (("meeting", HOME.text),),
        fs("protected_mother", "health_visitor", "grandmother", "child"),
        fs("protected_mother", "health_visitor", "grandmother"),
    ),
    ("protected_home", "teacher"): ERROR,
    ("protected_home", "health_visitor"): (
        (("meeting", NEUTRAL_LOCATION),),
        fs("protected_mother", "social_worker", "grandmother", "child"),
        fs("social_worker"),
    ),
    ("protected_home", "grandmother"): (
        (("meeting", NEUTRAL_LOCATION),),
        fs("protected_mother", "social_worker", "health_visitor", "child"),
        fs("social_worker", "health_visitor"),
    ),
    ("protected_home", "samordner"): ERROR,
    # An open network meeting (no violence in this family)
    ("network_open", "father"): ERROR,
    ("network_open", "mother"): (
        (("meeting", TOWN.text),),
        fs("grandmother", "teacher", "social_worker", "child", "samordner"),
        fs("teacher", "social_worker", "samordner"),
    ),
    ("network_open", "protected_mother"): ERROR,
    ("network_open", "cc_staff"): ERROR,
    ("network_open", "social_worker"): (
        (("meeting", TOWN.text),),
        fs("mother", "grandmother", "teacher", "child", "samordner"),
        fs("mother", "grandmother", "teacher", "samordner"),
    ),
    ("network_open", "teacher"): (
        (("meeting", TOWN.text),),
        fs("mother", "grandmother", "social_worker", "child", "samordner"),
        fs("social_worker"),
    ),
    ("network_open", "health_visitor"): ERROR,
    ("network_open", "grandmother"): (
        (("meeting", TOWN.text),),
        fs("mother", "teacher", "social_worker", "child", "samordner"),
        fs("teacher", "social_worker", "samordner"),
    ),
    ("network_open", "samordner"): (
        (("meeting", TOWN.text),),
        fs("mother", "grandmother", "teacher", "social_worker", "child"),
        fs("social_worker"),
    ),
}

TABLE = [(situation, recipient) for situation in SITUATIONS for recipient in RECIPIENTS]


def test_expectation_table_is_complete() -> None:
    missing = set(TABLE) - set(EXPECTED)
    assert not missing, f"no expectation for {sorted(missing)}"


def _view(situation: str, recipient: str):
    return redact_for_recipient(SITUATIONS[situation], PEOPLE[recipient], PEOPLE)


def _all_text(view) -> str:
    chunks = [view.title, view.description, view.location_text]
    chunks += [f"{p.label} {p.location_text}" for p in view.parts]
    for a in view.attendees:
        chunks += [a.name, a.organisation or "", a.email or "", a.phone or ""]
    return "\n".join(chunks)


@pytest.mark.parametrize("situation,recipient", TABLE)
def test_what_each_recipient_sees(situation: str, recipient: str) -> None:
    expected = EXPECTED[(situation, recipient)]
    if expected == ERROR:
        with pytest.raises(SafetyError) as caught:
            _view(situation, recipient)
        assert caught.value.message_da == "Modtageren er ikke inviteret til nogen del af mødet."
        return
    parts, attendees, with_contact = expected  # type: ignore[misc]
    view = _view(situation, recipient)
    assert tuple((p.key, p.location_text) for p in view.parts) == parts
    assert frozenset(a.person_id for a in view.attendees) == attendees
    assert frozenset(a.person_id for a in view.attendees if a.email or a.phone) == with_contact
    for attendee in view.attendees:
        person = PEOPLE[attendee.person_id]
        if attendee.person_id in with_contact:
            assert (attendee.email, attendee.phone) == (person.email, person.phone)
        # Every attendee shares at least one of the recipient's parts.
        assert set(attendee.part_keys) <= {p.key for p in view.parts} and attendee.part_keys
    texts = {text for _, text in parts}
    assert view.location_text == (texts.pop() if len(texts) == 1 else SEVERAL_LOCATIONS)
    assert view.location_shown == all(text != NEUTRAL_LOCATION for _, text in parts)


@pytest.mark.parametrize("situation,recipient", [k for k, v in EXPECTED.items() if v != ERROR])
def test_nothing_in_a_view_leaks_what_it_withholds(situation: str, recipient: str) -> None:
    view = _view(situation, recipient)
    assert scan_for_leaks(_all_text(view), view.protected_strings) == []
    person = PEOPLE[recipient]
    meeting = SITUATIONS[situation]
    sensitive = [meeting.location_of(p).text for p in meeting.parts if meeting.location_of(p).sensitive]
    if not person.entitled_to_protected_location or person.is_hostile:
        assert set(sensitive) <= set(view.protected_strings)
        assert CC.text not in _all_text(view) and HOME.text not in _all_text(view)
    if recipient != "protected_mother" and not person.entitled_to_protected_location:
        protected = PEOPLE["protected_mother"]
        assert {protected.email, protected.phone, protected.address} <= set(view.protected_strings)
    # The child is never named in full for externals, and no CPR number reaches anyone.
    if person.is_external:
        assert "Emma Marie Jensen" not in _all_text(view)
    assert "010203" not in _all_text(view)


@pytest.mark.parametrize("situation", ["bic_joint_town_hall", "mixed_parts"])
def test_father_sees_no_attendees_and_no_free_text(situation: str) -> None:
    view = _view(situation, "father")
    assert view.attendees == ()
    assert view.description == NEUTRAL_DESCRIPTION
    assert view.title in {"Fælles forældremøde (Barnet i Centrum)", "Statusmøde"}
    assert view.location_text == TOWN.text and view.location_shown
    assert "Sara" not in _all_text(view) and "Krisecentervej" not in _all_text(view)
    # Everybody's private contact data is withheld from him, the protected mother's above all.
    for value in ("sara@example.dk", "+45 30 12 34 56", "Skjultvej 7, 8930 Randers NØ", "birthe@example.dk"):
        assert value in view.protected_strings


@pytest.mark.parametrize(
    "recipient,title,description",
    [
        (
            "teacher",
            "Familierådslagning for Emma J.",
            f"Mødet holdes på {NEUTRAL_LOCATION}, {NEUTRAL_LOCATION}. Emma J. (CPR {CPR_REPLACEMENT}) deltager. "
            f"Mor kan ringes op på {HIDDEN}.",
        ),
        (
            "samordner",
            "Familierådslagning for Emma J.",
            f"Mødet holdes på {NEUTRAL_LOCATION}, {NEUTRAL_LOCATION}. Emma J. (CPR {CPR_REPLACEMENT}) deltager. "
            f"Mor kan ringes op på {HIDDEN}.",
        ),
        (
            "grandmother",
            "Familierådslagning for Emma Marie Jensen",
            f"Mødet holdes på {NEUTRAL_LOCATION}, {NEUTRAL_LOCATION}. Emma Marie Jensen (CPR {CPR_REPLACEMENT}) "
            f"deltager. Mor kan ringes op på {HIDDEN}.",
        ),
        (
            "social_worker",
            "Familierådslagning for Emma Marie Jensen",
            "Mødet holdes på Randers Krisecenter, Krisecentervej 1, 8900 Randers. Emma Marie Jensen "
            f"(CPR {CPR_REPLACEMENT}) deltager. Mor kan ringes op på +45 30 12 34 56.",
        ),
        (
            "protected_mother",
            "Familierådslagning for Emma Marie Jensen",
            "Mødet holdes på Randers Krisecenter, Krisecentervej 1, 8900 Randers. Emma Marie Jensen "
            f"(CPR {CPR_REPLACEMENT}) deltager. Mor kan ringes op på +45 30 12 34 56.",
        ),
    ],
)
def test_title_and_description_per_recipient(recipient: str, title: str, description: str) -> None:
    view = _view("fgc_crisis_centre", recipient)
    assert (view.title, view.description) == (title, description)


def test_external_sees_child_by_first_name_and_initial_and_no_crisis_centre_organisation() -> None:
    view = _view("fgc_crisis_centre", "teacher")
    names = {a.person_id: a for a in view.attendees}
    assert names["child"].name == "Emma J."
    assert names["cc_staff"].organisation is None  # "Randers Krisecenter" is a sensitive term
    assert names["social_worker"].organisation == "Familieafdelingen"
    assert names["grandmother"].organisation is None and names["grandmother"].email is None
    inside = _view("fgc_crisis_centre", "social_worker")
    assert {a.person_id: a for a in inside.attendees}["cc_staff"].organisation == "Randers Krisecenter"
    assert {a.person_id: a for a in inside.attendees}["child"].name == "Emma Marie Jensen"


def test_phone_in_other_spacing_is_hidden_from_externals() -> None:
    view = _view("network_open", "teacher")
    assert view.description == f"Lise kan nås på {HIDDEN}."
    assert _view("network_open", "social_worker").description == "Lise kan nås på 20445566."


def test_attendee_part_keys_are_only_shared_parts() -> None:
    view = _view("mixed_parts", "social_worker")
    keys = {a.person_id: a.part_keys for a in view.attendees}
    assert keys == {
        "protected_mother": ("mother_part",),
        "cc_staff": ("mother_part",),
        "health_visitor": ("mother_part",),
        "father": ("father_part",),
    }


# --------------------------------------------------------------------------- entitlement


@pytest.mark.parametrize("recipient", RECIPIENTS)
@pytest.mark.parametrize("location", [CC, HOME, TOWN])
def test_is_entitled_to_location(recipient: str, location: Location) -> None:
    meeting = Meeting("statusmoede", "x", location, (MeetingPart("meeting", "Møde", fs(recipient)),))
    expected = not location.sensitive or recipient in {"protected_mother", "cc_staff", "social_worker"}
    assert is_entitled_to_location(PEOPLE[recipient], meeting) is expected
    assert is_entitled_to_location(PEOPLE[recipient], meeting, "meeting") is expected


def test_violent_person_is_never_entitled_even_if_flagged() -> None:
    flagged = Person("f", "Far", frozenset({Role.FATHER}), entitled_to_protected_location=True)
    violent_pro = Person("v", "X", frozenset({P}), used_violence=True, entitled_to_protected_location=True)
    meeting = Meeting("statusmoede", "x", CC, (MeetingPart("meeting", "Møde", fs("f", "v")),))
    assert not is_entitled_to_location(flagged, meeting)
    assert not is_entitled_to_location(violent_pro, meeting)
    assert redact_for_recipient(meeting, flagged, [flagged, violent_pro]).location_text == NEUTRAL_LOCATION


def test_entitlement_with_no_part_key_needs_every_part() -> None:
    meeting = SITUATIONS["mixed_parts"]
    assert is_entitled_to_location(PEOPLE["father"], meeting, "father_part")
    assert not is_entitled_to_location(PEOPLE["father"], meeting, "mother_part")
    assert not is_entitled_to_location(PEOPLE["father"], meeting)
    with pytest.raises(SafetyError):
        is_entitled_to_location(PEOPLE["father"], meeting, "nope")


# --------------------------------------------------------------------------- check_meeting


def _meeting(parts, kind="netvaerksmoede", location=TOWN, approvals=(), via_worker=(), **kw) -> Meeting:
    return Meeting(
        kind=kind,
        title=kw.pop("title", "Møde"),
        location=location,
        parts=tuple(MeetingPart(key, key, fs(*ids), loc) for key, ids, loc in parts),
        approvals=tuple(approvals),
        invite_via_worker=fs(*via_worker),
        **kw,
    )


def _codes(findings) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    return [(f.severity, f.code, f.person_ids, f.part_key) for f in findings]


def test_clean_meeting_has_no_findings() -> None:
    meeting = _meeting([("meeting", ["mother", "teacher", "social_worker"], None)])
    assert check_meeting(meeting, PEOPLE) == []
    assert not has_blocking([])


KEEP = [KeepApart("grandmother", "mother", "konflikt om samvær")]
APPROVED = Approval("mother", "grandmother", None, "Begge ønsker det", "social_worker")


@pytest.mark.parametrize(
    "approvals,expected",
    [
        ((), [(BLOCK, "keep_apart", ("grandmother", "mother"), "meeting")]),
        ((APPROVED,), []),
        ((Approval("mother", "grandmother", "meeting", "Vurderet", "social_worker"),), []),
        ((Approval("mother", "grandmother", "other_part", "Vurderet", "social_worker"),), [(BLOCK, "keep_apart", ("grandmother", "mother"), "meeting")]),
        (
            (Approval("mother", "grandmother", None, "  ", "social_worker"),),
            [
                (WARN, "invalid_approval", ("mother", "grandmother"), None),
                (BLOCK, "keep_apart", ("grandmother", "mother"), "meeting"),
            ],
        ),
        (
            (Approval("mother", "grandmother", None, "Jeg vil", "mother"),),
            [
                (WARN, "invalid_approval", ("mother", "grandmother"), None),
                (BLOCK, "keep_apart", ("grandmother", "mother"), "meeting"),
            ],
        ),
    ],
)
def test_keep_apart_needs_a_valid_approval(approvals, expected) -> None:
    meeting = _meeting([("meeting", ["mother", "grandmother", "social_worker"], None)], approvals=approvals)
    assert _codes(check_meeting(meeting, PEOPLE, KEEP)) == expected


def test_keep_apart_in_different_parts_only_warns_about_arrival() -> None:
    meeting = _meeting([("first", ["mother", "social_worker"], None), ("second", ["grandmother", "social_worker"], None)])
    findings = check_meeting(meeting, PEOPLE, KEEP)
    assert _codes(findings) == [(WARN, "staggered_arrival", ("grandmother", "mother"), None)]
    assert "forskudt ankomst" in findings[0].message
    elsewhere = _meeting(
        [("first", ["mother", "social_worker"], None), ("second", ["grandmother", "social_worker"], Location("Biblioteket"))]
    )
    assert check_meeting(elsewhere, PEOPLE, KEEP) == []


def test_violence_with_protected_person_blocks_unless_approved() -> None:
    meeting = _meeting([("meeting", ["father", "protected_mother", "social_worker"], None)])
    findings = check_meeting(meeting, PEOPLE)
    assert _codes(findings) == [(BLOCK, "violence_with_protected", ("father", "protected_mother"), "meeting")]
    assert "Kim Jensen" in findings[0].message and "Sara Jensen" in findings[0].message
    approved = _meeting(
        [("meeting", ["father", "protected_mother", "social_worker"], None)],
        approvals=[Approval("father", "protected_mother", "meeting", "Vurderet sikkert", "social_worker")],
    )
    assert check_meeting(approved, PEOPLE) == []


def test_keep_apart_and_violence_for_the_same_pair_is_reported_once() -> None:
    meeting = _meeting([("meeting", ["father", "protected_mother", "social_worker"], None)])
    findings = check_meeting(meeting, PEOPLE, [KeepApart("father", "protected_mother", "voldsrisiko")])
    assert _codes(findings) == [(BLOCK, "keep_apart", ("father", "protected_mother"), "meeting")]
    assert "voldsrisiko" in findings[0].message


@pytest.mark.parametrize("location", [CC, HOME])
@pytest.mark.parametrize("person", ["father", "violent_uncle"])
def test_hostile_person_at_a_protected_location_blocks_even_with_approval(location: Location, person: str) -> None:
    people = dict(PEOPLE)
    people["violent_uncle"] = Person("violent_uncle", "Onkel Bo", frozenset({Role.PRIVATE}), "bo@example.dk", used_violence=True)
    approvals = [Approval(person, "social_worker", None, "Godkendt", "cc_staff")]
    meeting = _meeting([("meeting", [person, "social_worker"], None)], location=location, approvals=approvals)
    findings = check_meeting(meeting, people)
    assert _codes(findings) == [(BLOCK, "hostile_at_protected_location", (person,), "meeting")]
    assert "vælg et andet mødested" in findings[0].message
    assert location.text not in findings[0].message  # the finding itself never names the place


def test_hostile_person_only_in_a_part_elsewhere_is_fine() -> None:
    findings = check_meeting(SITUATIONS["mixed_parts"], PEOPLE)
    assert _codes(findings) == []


def test_missing_email_blocks_and_names_the_person() -> None:
    people = dict(PEOPLE)
    people["aunt"] = Person("aunt", "Moster Inge", frozenset({Role.PRIVATE}), email=None)
    meeting = _meeting([("meeting", ["mother", "aunt", "child"], None)], via_worker=["child"])
    findings = check_meeting(meeting, people)
    assert _codes(findings) == [(BLOCK, "missing_email", ("aunt",), None)]
    assert "Moster Inge" in findings[0].message and "e-mailadresse" in findings[0].message
    # Via the worker, or with no email invites at all, no address is needed.
    assert check_meeting(_meeting([("meeting", ["mother", "aunt", "child"], None)], via_worker=["child", "aunt"]), people) == []
    no_mail = _meeting([("meeting", ["mother", "aunt", "child"], None)], send_email_invites=False)
    assert check_meeting(no_mail, people) == []


def test_contact_only_via_worker_warns_when_invited_directly() -> None:
    people = dict(PEOPLE)
    people["shy"] = Person("shy", "Nabo Per", frozenset({Role.PRIVATE}), "per@example.dk", contact_only_via_worker=True)
    findings = check_meeting(_meeting([("meeting", ["shy", "social_worker"], None)]), people)
    assert _codes(findings) == [(WARN, "contact_only_via_worker", ("shy",), None)]
    assert check_meeting(_meeting([("meeting", ["shy", "social_worker"], None)], via_worker=["shy"]), people) == []
    # A letter is not e-mailed, but it reaches the person directly all the same.
    by_letter = _meeting([("meeting", ["shy", "social_worker"], None)], via_worker=["shy"],
                         by_letter=fs("shy"))
    findings = check_meeting(by_letter, people)
    assert _codes(findings) == [(WARN, "contact_only_via_worker", ("shy",), None)]
    assert "som brev" in findings[0].message


def test_a_letter_or_phone_invitation_needs_no_email_address() -> None:
    people = dict(PEOPLE)
    people["aunt"] = Person("aunt", "Moster Inge", frozenset({Role.PRIVATE}), email=None)
    meeting = _meeting([("meeting", ["mother", "aunt"], None)], via_worker=["aunt"],
                       by_letter=fs("aunt"))
    assert check_meeting(meeting, people) == []


def test_joint_parents_meeting_requires_approval() -> None:
    unapproved = _meeting([("meeting", ["mother", "father", "social_worker"], None)], kind="bic_joint_parents")
    findings = check_meeting(unapproved, PEOPLE)
    assert _codes(findings) == [(BLOCK, "approval_required", ("mother", "father"), "meeting")]
    approved = _meeting(
        [("meeting", ["mother", "father", "social_worker"], None)],
        kind="bic_joint_parents",
        approvals=[Approval("father", "mother", None, "Moren har givet samtykke", "social_worker")],
    )
    assert check_meeting(approved, PEOPLE) == []
    without_pair = _meeting([("meeting", ["father", "social_worker"], None)], kind="bic_joint_parents")
    assert _codes(check_meeting(without_pair, PEOPLE)) == [(BLOCK, "approval_required", (), None)]


def test_joint_parents_staggered_parts_each_need_approval() -> None:
    meeting = _meeting(
        [
            ("arrival", ["mother", "social_worker"], None),
            ("together", ["mother", "father", "social_worker"], None),
            ("departure", ["father", "social_worker"], None),
        ],
        kind="bic_joint_parents",
        approvals=[Approval("father", "mother", "together", "Samtykke og faglig vurdering", "social_worker")],
    )
    assert check_meeting(meeting, PEOPLE) == []
    wrong_part = _meeting(
        [("together", ["mother", "father", "social_worker"], None)],
        kind="bic_joint_parents",
        approvals=[Approval("father", "mother", "arrival", "Samtykke", "social_worker")],
    )
    assert _codes(check_meeting(wrong_part, PEOPLE)) == [(BLOCK, "approval_required", ("mother", "father"), "together")]


def test_professional_in_family_time_warns() -> None:
    meeting = _meeting(
        [
            ("information", ["mother", "teacher"], None),
            ("family_time", ["mother", "grandmother", "teacher"], None),
            ("plan", ["mother", "social_worker"], None),
        ],
        kind="familieraadslagning",
    )
    assert _codes(check_meeting(meeting, PEOPLE)) == [(WARN, "category_not_in_part", ("teacher",), "family_time")]


def test_unknown_people_kinds_and_empty_parts() -> None:
    meeting = _meeting([("meeting", ["ghost"], None), ("empty", [], None)], kind="nonsense")
    assert _codes(check_meeting(meeting, PEOPLE)) == [
        (BLOCK, "unknown_kind", (), None),
        (WARN, "empty_part", (), "empty"),
        (BLOCK, "unknown_participant", ("ghost",), None),
    ]
    assert _codes(check_meeting(_meeting([]), PEOPLE)) == [(BLOCK, "no_participants", (), None)]


def test_text_findings_for_cpr_location_and_protected_contact_data() -> None:
    # the description names the crisis centre and the protected mother's phone, and the
    # school and the health visitor, who may know neither, are invited
    findings = check_meeting(SITUATIONS["fgc_crisis_centre"], PEOPLE)
    assert _codes(findings) == [(WARN, "cpr_in_text", (), None), (WARN, "location_in_text", (), None),
                                (WARN, "contact_in_text", ("protected_mother",), None)]
    assert has_blocking(findings) is False


# --------------------------------------------------------------------------- leak scanning


@pytest.mark.parametrize(
    "text",
    [
        "LOCATION:Krisecentervej 1, 8900 Randers",
        "LOCATION:Krisecentervej 1\\, 8900 Randers",
        "LOCATION:KRISECENTERVEJ   1,\n8900   randers",
        "DESCRIPTION:Mødet er på Krisecen\r\n tervej 1\\, 89\r\n 00 Randers",
        "DESCRIPTION:Adresse:\\nKrisecentervej 1\\,\\n8900 Randers",
        "<p>Krisecentervej 1, 8900&nbsp;Randers</p>".replace("&nbsp;", " "),
    ],
)
def test_scan_finds_the_address_in_every_disguise(text: str) -> None:
    assert scan_for_leaks(text, [CC.text, "sara@example.dk"]) == [CC.text]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("ring 30123456", "+45 30 12 34 56"),
        ("ring +4530 12 34 56", "+45 30 12 34 56"),
        ("ring 30-12-34-56", "30 12 34 56"),
        ("ATTENDEE:mailto:SARA@EXAMPLE.DK", "sara@example.dk"),
        ("Sara; bor på Skjult\r\n\tvej 7\\; 8930", "Skjultvej 7; 8930"),
    ],
)
def test_scan_finds_contact_data(text: str, needle: str) -> None:
    assert scan_for_leaks(text, [needle]) == [needle]


@pytest.mark.parametrize(
    "text",
    ["LOCATION:Rådhuset, Laksetorvet 1, 8900 Randers", "Krisecenterparken 10, 8900 Randers er et andet sted",
     "ring 130123456 eller 30123457", ""],
)
def test_scan_has_no_false_alarm(text: str) -> None:
    assert scan_for_leaks(text, [CC.text, "+45 30 12 34 56", "", "   "]) == []


def test_scan_reports_each_needle_once_in_given_order() -> None:
    text = "sara@example.dk Krisecentervej 1, 8900 Randers sara@example.dk"
    assert scan_for_leaks(text, ["sara@example.dk", CC.text, "sara@example.dk"]) == ["sara@example.dk", CC.text]


def test_icalendar_library_output_is_scanned_correctly() -> None:
    icalendar = pytest.importorskip("icalendar")
    event = icalendar.Event()
    event.add("summary", "Møde")
    event.add("location", "Et meget langt stednavn før adressen, " + CC.text + "; bagindgangen, 2. sal")
    ical = event.to_ical().decode()
    assert "\r\n " in ical  # it really was folded
    assert scan_for_leaks(ical, [CC.text]) == [CC.text]


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "name,expected",
    [("Emma Marie Jensen", "Emma J."), ("Ali Hassan", "Ali H."), ("Noor", "Noor"), ("  Bo   Ek ", "Bo E.")],
)
def test_child_display_name(name: str, expected: str) -> None:
    assert child_display_name(name) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("CPR 010203-1234", f"CPR {CPR_REPLACEMENT}"),
        ("cpr 0102031234.", f"cpr {CPR_REPLACEMENT}."),
        ("erstatning 610203-1234", f"erstatning {CPR_REPLACEMENT}"),
        ("tlf 30123456", "tlf 30123456"),
        ("sag 991399-1234", "sag 991399-1234"),
        ("konto 12345678901234", "konto 12345678901234"),
    ],
)
def test_remove_cpr(text: str, expected: str) -> None:
    assert remove_cpr(text) == expected


@pytest.mark.parametrize("kind,children,expected", [
    ("netvaerksmoede", ["Emma Marie Hansen"], "Netværksmøde om Emma H."),
    ("netvaerksmoede", ["Ali Hassan", "Noor Hassan", "Sami Hassan"],
     "Netværksmøde om Ali H., Noor H. og Sami H."),
    ("netvaerksmoede", [], "Netværksmøde"),
    ("netvaerksmoede", ["Ali Hassan", "Ali Hassan"], "Netværksmøde om Ali H."),
    ("ukendt", ["Bo"], "Møde om Bo"),
])
def test_partner_title_names_the_kind_and_first_names_only(kind, children, expected):
    assert safety.partner_title(kind, children) == expected


# ------------------------------------------------------------------ the children's places

SCHOOL = Location("Vestervangskolen, Skolevej 3", childrens_place=True)
KONTAKT = Person("kontakt", "Kaj Kontakt", frozenset({P}), "kk@randers.example.dk",
                 organisation="Modtagelsen", outside_team=True)
# The father's brother, kept apart from the mother, who never used violence himself.
KEPT_UNCLE = Person("kept_uncle", "Farbror Per", frozenset({Role.PRIVATE}), "per@example.dk",
                    kept_apart=True)


@pytest.mark.parametrize("person", ["father", "violent_uncle", "kept_uncle"])
def test_hostile_person_at_the_childrens_school_blocks_even_with_approval(person: str) -> None:
    people = {**PEOPLE, "violent_uncle": Person("violent_uncle", "Onkel Bo", frozenset({Role.PRIVATE}),
                                                "bo@example.dk", used_violence=True),
              "kept_uncle": KEPT_UNCLE}
    approvals = [Approval(person, "teacher", None, "Godkendt", "cc_staff")]
    meeting = _meeting([("meeting", [person, "teacher", "social_worker"], None)], location=SCHOOL,
                       approvals=approvals)
    findings = check_meeting(meeting, people)
    assert _codes(findings) == [(BLOCK, "hostile_at_childrens_place", (person,), "meeting")]
    assert not findings[0].approvable and "Vestervangskolen" not in findings[0].message


def test_the_childrens_school_without_anyone_hostile_is_fine() -> None:
    meeting = _meeting([("meeting", ["protected_mother", "teacher", "social_worker"], None)],
                       location=SCHOOL)
    assert check_meeting(meeting, PEOPLE) == []


def test_hostile_person_only_in_a_part_away_from_the_school_is_fine() -> None:
    meeting = _meeting([("school", ["teacher", "social_worker"], SCHOOL),
                        ("father", ["father", "social_worker"], TOWN)])
    assert check_meeting(meeting, PEOPLE) == []


@pytest.mark.parametrize("recipient, shown", [
    ("teacher", True), ("health_visitor", True), ("social_worker", True),
    ("protected_mother", True), ("kontakt", False), ("father", False), ("kept_uncle", False)])
def test_the_childrens_school_reaches_partners_but_not_the_fathers_side(recipient: str,
                                                                         shown: bool) -> None:
    people = {**PEOPLE, "kontakt": KONTAKT, "kept_uncle": KEPT_UNCLE}
    meeting = _meeting([("meeting", [recipient, "teacher", "social_worker"], None)],
                       location=SCHOOL, description="Vi ses på Vestervangskolen ved indgangen.",
                       childrens_places=("Vestervangskolen",))
    view = redact_for_recipient(meeting, people[recipient], people)
    assert view.location_shown is shown
    assert (view.location_text == SCHOOL.text) is shown
    assert is_entitled_to_location(people[recipient], meeting) is shown
    if not shown:
        assert view.location_text == NEUTRAL_LOCATION
        assert "Vestervangskolen" in view.protected_strings
        # the school, named anywhere (the teacher's organisation), never reaches them
        text = " ".join([view.title, view.description, view.location_text,
                         *(f"{a.name} {a.organisation or ''} {a.email or ''}" for a in view.attendees)])
        assert scan_for_leaks(text, ["Vestervangskolen"]) == []
    else:
        assert "Vestervangskolen" in view.description


def test_the_childrens_places_are_withheld_from_the_fathers_side_wherever_written() -> None:
    """A meeting elsewhere whose text names the school: the kontaktperson reads it withheld."""
    people = {**PEOPLE, "kontakt": KONTAKT}
    meeting = _meeting([("meeting", ["kontakt", "social_worker"], None)], location=TOWN,
                       description="Emma går på Vestervangskolen.",
                       childrens_places=("Vestervangskolen",))
    view = redact_for_recipient(meeting, KONTAKT, people)
    assert view.location_text == TOWN.text and view.location_shown
    assert "Vestervangskolen" not in view.description and NEUTRAL_LOCATION in view.description
    assert "Vestervangskolen" in redact_for_recipient(
        meeting, people["social_worker"], people).description


# A meeting about the children the protected mother is not invited to: her address and phone,
# written in its text, are hers to protect all the same (``Meeting.protected_people``).
_NOT_INVITED = Meeting(
    kind="netvaerksmoede",
    title="Netværksmøde",
    description="Mor og børn er flyttet til Skjultvej 7, 8930 Randers NØ, tlf. 30123456.",
    location=Location("Rådhuset, mødelokale 2"),
    parts=(MeetingPart("main", "Møde", frozenset({"teacher", "grandmother", "cc_staff",
                                                   "social_worker"})),),
    protected_people=(PEOPLE["protected_mother"],),
)


@pytest.mark.parametrize("recipient", ["teacher", "grandmother"])
def test_a_protected_person_not_invited_is_hidden_from_those_not_entitled(recipient: str) -> None:
    view = redact_for_recipient(_NOT_INVITED, PEOPLE[recipient], PEOPLE)
    assert "Skjultvej" not in view.description and "30123456" not in view.description
    assert HIDDEN in view.description
    assert scan_for_leaks(view.description, view.protected_strings) == []
    # and the leak scan knows her facts, however they are written elsewhere
    assert scan_for_leaks("ring på +45 30 12 34 56", view.protected_strings)


@pytest.mark.parametrize("recipient", ["cc_staff", "social_worker"])
def test_a_protected_person_not_invited_is_read_by_the_entitled(recipient: str) -> None:
    view = redact_for_recipient(_NOT_INVITED, PEOPLE[recipient], PEOPLE)
    assert "Skjultvej 7, 8930 Randers NØ" in view.description


def test_an_invited_protected_person_is_described_by_her_participant_row() -> None:
    """Invited, she is who the participant row says (the same id): her own data reaches
    her, and the copy in ``protected_people`` adds nothing."""
    meeting = Meeting(**{**_NOT_INVITED.__dict__, "parts": (MeetingPart(
        "main", "Møde", frozenset({"teacher", "protected_mother"})),)})
    view = redact_for_recipient(meeting, PEOPLE["protected_mother"], PEOPLE)
    assert "Skjultvej 7" in view.description


def test_protected_contact_data_in_the_text_is_a_warning_naming_her() -> None:
    findings = check_meeting(_NOT_INVITED, PEOPLE)
    [finding] = [f for f in findings if f.code == "contact_in_text"]
    assert finding.severity == WARN and "Sara Jensen" in finding.message
    assert finding.person_ids == ("protected_mother",)
    only_entitled = Meeting(**{**_NOT_INVITED.__dict__, "parts": (MeetingPart(
        "main", "Møde", frozenset({"cc_staff", "social_worker"})),)})
    assert not [f for f in check_meeting(only_entitled, PEOPLE) if f.code == "contact_in_text"]


def test_an_external_reads_a_child_not_invited_by_first_name_and_initial() -> None:
    meeting = Meeting(**{**_NOT_INVITED.__dict__,
                         "description": "Emma Marie Jensen og Oskar Jensen starter i skole.",
                         "children": ("Emma Marie Jensen", "Oskar Jensen", "Ib")})
    to_teacher = redact_for_recipient(meeting, PEOPLE["teacher"], PEOPLE)
    assert to_teacher.description == "Emma J. og Oskar J. starter i skole."
    assert scan_for_leaks(to_teacher.description, to_teacher.protected_strings) == []
    assert scan_for_leaks("Oskar Jensen", to_teacher.protected_strings)
    to_colleague = redact_for_recipient(meeting, PEOPLE["social_worker"], PEOPLE)
    assert to_colleague.description == meeting.description
