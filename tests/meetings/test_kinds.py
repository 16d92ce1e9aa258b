"""Tests of the meeting-kind catalogue, attendance rules and the lifecycle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coordinator.meetings import kinds
from coordinator.meetings.kinds import (
    ALLOWED_TRANSITIONS,
    KINDS,
    STATUS_LABELS,
    KindError,
    MeetingStatus,
    ParticipantCategory,
    TransitionError,
    add_months,
    allowed_targets,
    get_kind,
    may_attend,
    proposed_followup_date,
    transition,
)

PRO, FAM, NET = ParticipantCategory.PROFESSIONAL, ParticipantCategory.FAMILY, ParticipantCategory.PRIVATE_NETWORK


def test_catalogue_has_every_kind_with_a_danish_label() -> None:
    assert set(KINDS) == {
        "familieraadslagning",
        "familieraadslagning_followup",
        "bic_session",
        "bic_joint_parents",
        "netvaerksmoede",
        "statusmoede",
        "team_meeting",
        "cooperation_meeting",
        "agreement_evaluation",
    }
    for key, kind in KINDS.items():
        assert kind.key == key and kind.label and kind.parts
        assert all(part.default_duration > timedelta(0) for part in kind.parts)
        assert len({part.key for part in kind.parts}) == len(kind.parts)


def test_familieraadslagning_has_three_parts_in_order() -> None:
    kind = get_kind("familieraadslagning")
    assert [(p.key, p.label) for p in kind.parts] == [
        ("information", "Informationsdel"),
        ("family_time", "Familiens egen tid"),
        ("plan", "Fremlæggelse og godkendelse af planen"),
    ]
    assert kind.default_duration == timedelta(hours=3, minutes=30)
    assert kind.part("plan").professionals_case_worker_only
    assert not kind.part("information").professionals_case_worker_only
    assert kind.followup_kind == "familieraadslagning_followup" and kind.followup_after_months == 3


@pytest.mark.parametrize(
    "kind,part,category,allowed",
    [
        ("familieraadslagning", "information", PRO, True),
        ("familieraadslagning", "information", FAM, True),
        ("familieraadslagning", "information", NET, True),
        ("familieraadslagning", "family_time", PRO, False),
        ("familieraadslagning", "family_time", FAM, True),
        ("familieraadslagning", "family_time", NET, True),
        ("familieraadslagning", "plan", PRO, True),
        ("familieraadslagning", "plan", FAM, True),
        ("familieraadslagning", "plan", NET, True),
        ("team_meeting", "meeting", PRO, True),
        ("team_meeting", "meeting", FAM, False),
        ("cooperation_meeting", "meeting", NET, False),
        ("agreement_evaluation", "meeting", FAM, False),
        ("netvaerksmoede", "meeting", NET, True),
        ("bic_joint_parents", "meeting", FAM, True),
    ],
)
def test_may_attend(kind: str, part: str, category: ParticipantCategory, allowed: bool) -> None:
    assert may_attend(kind, part, category) is allowed


def test_unknown_kind_and_part_give_danish_errors() -> None:
    with pytest.raises(KindError) as caught:
        get_kind("kaffemoede")
    assert caught.value.message_da == "Ukendt mødetype: »kaffemoede«."
    with pytest.raises(KindError) as caught:
        may_attend("familieraadslagning", "dessert", FAM)
    assert "Familierådslagning" in caught.value.message_da and "dessert" in caught.value.message_da


def test_bic_kinds() -> None:
    session = get_kind("bic_session")
    assert [key for key, _ in session.topics] == [
        "separation",
        "familieretshuset",
        "oekonomi",
        "bolig",
        "behandling",
        "ppr_henvisning",
    ]
    assert "Familieretshuset" in dict(session.topics)["familieretshuset"]
    joint = get_kind("bic_joint_parents")
    assert joint.requires_approval and joint.supports_staggered_attendance
    assert not session.requires_approval
    assert [k for k, kind in KINDS.items() if kind.requires_approval] == ["bic_joint_parents"]


def test_recurring_kinds() -> None:
    assert get_kind("team_meeting").repeats_every_days == 14
    assert get_kind("team_meeting").cadence_label == "Hver 14. dag"
    assert get_kind("cooperation_meeting").repeats_every_months == 12
    assert get_kind("agreement_evaluation").repeats_every_months == 3


@pytest.mark.parametrize(
    "held,expected",
    [
        (date(2027, 3, 10), date(2027, 6, 10)),
        (date(2027, 8, 31), date(2027, 11, 30)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2027, 10, 15), date(2028, 1, 15)),
    ],
)
def test_followup_is_proposed_three_months_later(held: date, expected: date) -> None:
    assert proposed_followup_date("familieraadslagning", held) == expected


def test_no_followup_for_other_kinds() -> None:
    assert proposed_followup_date("statusmoede", date(2027, 3, 10)) is None


def test_add_months_backwards_and_zero() -> None:
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), -1) == date(2026, 12, 15)
    assert add_months(date(2027, 1, 15), 0) == date(2027, 1, 15)


S = MeetingStatus
LEGAL = {
    (S.DRAFT, S.PLANNED),
    (S.DRAFT, S.CANCELLED),
    (S.PLANNED, S.INVITED),
    (S.PLANNED, S.DRAFT),
    (S.PLANNED, S.CANCELLED),
    (S.INVITED, S.HELD),
    (S.INVITED, S.PLANNED),
    (S.INVITED, S.CANCELLED),
    (S.HELD, S.FOLLOWUP),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_transition(current: MeetingStatus, target: MeetingStatus) -> None:
    if (current, target) in LEGAL:
        assert transition(current, target) is target
        assert transition(current.value, target.value) is target
        assert target in allowed_targets(current)
        return
    with pytest.raises(TransitionError) as caught:
        transition(current, target)
    message = caught.value.message_da
    if current == target:
        assert message == f"Mødet har allerede status »{STATUS_LABELS[target]}«."
    else:
        assert message == (
            f"Et møde med status »{STATUS_LABELS[current]}« kan ikke ændres til »{STATUS_LABELS[target]}«."
        )
    assert target not in allowed_targets(current)


def test_transition_table_matches() -> None:
    assert {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets} == LEGAL


def test_followup_only_for_kinds_with_a_followup() -> None:
    assert transition("held", "followup", "familieraadslagning") is S.FOLLOWUP
    with pytest.raises(TransitionError) as caught:
        transition("held", "followup", "statusmoede")
    assert caught.value.message_da == "Mødetypen »Statusmøde« har ikke et opfølgningsmøde."


@pytest.mark.parametrize("bad", ["", "done", "HELD"])
def test_unknown_status(bad: str) -> None:
    with pytest.raises(TransitionError) as caught:
        transition(bad, "held")
    assert caught.value.message_da == f"Ukendt mødestatus: »{bad}«."
    with pytest.raises(TransitionError):
        allowed_targets(bad)


@pytest.mark.parametrize("status,sequence,told_what,told_sequence,state", [
    ("draft", 0, "", None, "nothing"),  # not sent: nothing to tell yet
    ("planned", 0, "", None, "nothing"),
    ("invited", 0, "", None, "tell_invitation"),
    ("invited", 0, "invitation", 0, "told"),
    ("invited", 2, "invitation", 1, "tell_change"),  # moved after she was told
    ("invited", 2, "invitation", 2, "told"),
    ("cancelled", 1, "invitation", 1, "tell_cancellation"),
    ("cancelled", 1, "cancellation", 1, "told_cancellation"),
    ("cancelled", 1, "", None, "nothing"),  # never told of it: nothing to take back
    ("held", 1, "invitation", 0, "nothing"),
])
def test_what_someone_not_mailed_still_needs_to_hear(status, sequence, told_what, told_sequence,
                                                     state):
    assert kinds.telling_state(status, sequence, told_what, told_sequence) == state
    assert state in kinds.TELLING_LABELS
