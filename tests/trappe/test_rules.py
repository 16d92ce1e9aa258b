"""Randers-trappen's pure rules: what a valid assessment is, which rows are in force, the
differentiated follow-up cadence and the success criterion. No database; every date is
relative to a day chosen here, so the tests hold on any date."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from coordinator.followup import criteria
from coordinator.trappe import rules, timeline
from coordinator.trappe.rules import Assessment, CaseType, Draft

TODAY = date(2031, 3, 15)  # any day: the rules are given it, never read the clock
ALL_GOOD = {key: "good" for key, _ in rules.AREAS}


def _draft(**overrides) -> Draft:
    values = dict(child_id=7, assessed_on=TODAY, step=2, worrying_behaviour="Trækker sig",
                  ratings=dict(ALL_GOOD))
    values.update(overrides)
    return Draft(**values)


def test_the_seed_names_four_steps_and_five_areas():
    assert list(rules.STEPS.values()) == ["Sårbare børn og unge", "Risikobørn",
                                          "Truede børn og unge", "Børn i svære vanskeligheder"]
    assert [label for _, label in rules.AREAS] == [
        "Sociale fællesskaber", "Fysisk og psykisk helbred", "Forælderrollen",
        "Et liv uden vold", "Kontakt til far"]


def test_a_complete_draft_passes():
    assert rules.check(_draft(), TODAY, [7, 8]) is None


@pytest.mark.parametrize(("overrides", "field"), [
    ({"child_id": None}, "child"),
    ({"child_id": 99}, "child"),  # not a child of this family
    ({"assessed_on": None}, "assessed_on"),
    ({"assessed_on": TODAY + timedelta(days=1)}, "assessed_on"),
    ({"assessed_on": TODAY - timedelta(days=365 * 21)}, "assessed_on"),
    ({"step": None}, "step"),
    ({"step": 5}, "step"),
    ({"mother_step": 0}, "mother_step"),
    ({"child_step": 9}, "child_step"),
    ({"worrying_behaviour": "  "}, "worrying_behaviour"),
    ({"ratings": {"social": "excellent"}}, "social_rating"),
    ({"ratings": {}, "notes": {"father": "Ingen kontakt"}}, "father_rating"),
])
def test_a_refused_draft_names_its_field_in_danish(overrides, field):
    refusal = rules.check(_draft(**overrides), TODAY, [7])
    assert refusal is not None and refusal.field == field
    assert refusal.message.endswith(".")


def test_the_analysis_is_complete_only_with_all_five_areas_rated():
    assert rules.analysis_complete(ALL_GOOD)
    assert not rules.analysis_complete({**ALL_GOOD, "father": ""})
    assert not rules.analysis_complete({k: v for k, v in ALL_GOOD.items() if k != "health"})


def test_a_correction_takes_the_place_of_the_row_it_corrects():
    first = Assessment(1, 7, TODAY - timedelta(days=30), 3)
    second = Assessment(2, 7, TODAY - timedelta(days=10), 2)
    fix = Assessment(3, 7, TODAY - timedelta(days=10), 4, corrects=2)
    fix_of_fix = Assessment(4, 7, TODAY - timedelta(days=10), 3, corrects=3)
    assert [a.id for a in rules.in_force([first, second])] == [1, 2]
    assert [a.id for a in rules.in_force([second, fix, first])] == [1, 3]
    assert [a.id for a in rules.in_force([first, second, fix, fix_of_fix])] == [1, 4]


@pytest.mark.parametrize(("kind", "step", "expected"), [
    (CaseType.AFTER_CARE, 4, relativedelta(weeks=1)),
    (CaseType.AFTER_CARE, 3, relativedelta(weeks=2)),   # truede børn: every 14 days
    (CaseType.AFTER_CARE, 2, relativedelta(months=1)),  # risikobørn: monthly
    (CaseType.AFTER_CARE, 1, relativedelta(months=3)),  # stable: quarterly
    (CaseType.PREVENTIVE, 1, relativedelta(months=3)),
    (CaseType.CRISIS_CENTRE, 3, relativedelta(weeks=2)),
    (CaseType.CRISIS_CENTRE, 1, relativedelta(months=1)),  # at the centre: at least monthly
])
def test_the_cadence_follows_the_step_and_the_case_type(kind, step, expected):
    assert rules.interval(kind, step) == expected


def test_the_case_type_follows_the_stay_and_the_after_care():
    assert rules.case_type(True, None, TODAY) is CaseType.CRISIS_CENTRE
    assert rules.case_type(False, TODAY, TODAY) is CaseType.AFTER_CARE
    assert rules.case_type(False, TODAY - timedelta(days=1), TODAY) is CaseType.PREVENTIVE
    assert rules.case_type(False, None, TODAY) is CaseType.PREVENTIVE


def test_the_next_followup_after_the_last_assessment():
    opened = TODAY - timedelta(days=200)
    history = [Assessment(1, 7, TODAY - timedelta(days=40), 1),
               Assessment(2, 7, TODAY - timedelta(days=20), 3)]
    due = rules.next_followup(7, CaseType.AFTER_CARE, history, opened)
    assert (due.step, due.last_on, due.due_on) == (3, TODAY - timedelta(days=20),
                                                   TODAY - timedelta(days=6))
    assert due.overdue(TODAY) and due.due_within(TODAY)
    assert due.cadence == "hver 14. dag"


def test_a_child_without_an_assessment_is_due_at_once_at_the_centre():
    opened = TODAY - timedelta(days=3)
    at_centre = rules.next_followup(7, CaseType.CRISIS_CENTRE, [], opened)
    assert at_centre.step is None and at_centre.due_on == opened and at_centre.overdue(TODAY)
    preventive = rules.next_followup(7, CaseType.PREVENTIVE, [], opened)
    assert preventive.due_on == opened + relativedelta(weeks=4)
    assert not preventive.overdue(TODAY)


def test_a_new_preventive_case_is_followed_up_after_four_weeks_then_on_its_step():
    first = Assessment(1, 7, TODAY, 1)
    assert rules.next_followup(7, CaseType.PREVENTIVE, [first], TODAY).due_on == (
        TODAY + relativedelta(weeks=4))
    second = Assessment(2, 7, TODAY + timedelta(days=28), 1)
    assert rules.next_followup(7, CaseType.PREVENTIVE, [first, second], TODAY).due_on == (
        second.assessed_on + relativedelta(months=3))


def test_due_within_looks_two_weeks_ahead():
    soon = rules.ChildFollowup(7, 2, TODAY, TODAY + timedelta(days=14), "")
    later = rules.ChildFollowup(7, 2, TODAY, TODAY + timedelta(days=15), "")
    assert soon.due_within(TODAY) and not soon.overdue(TODAY)
    assert not later.due_within(TODAY)


def test_the_criterion_needs_every_child_with_the_analysis():
    complete = Assessment(1, 7, TODAY, 2, analysis_complete=True)
    partial = Assessment(2, 8, TODAY, 2, analysis_complete=False)
    assert rules.family_meets_criterion([7], [complete])
    assert not rules.family_meets_criterion([7, 8], [complete, partial])
    assert not rules.family_meets_criterion([7, 8], [complete])
    assert not rules.family_meets_criterion([], [])
    later_partial = Assessment(3, 7, TODAY, 1, analysis_complete=False)
    assert rules.family_meets_criterion([7], [complete, later_partial])  # used once is used
    corrected = Assessment(4, 7, TODAY, 2, analysis_complete=False, corrects=1)
    assert not rules.family_meets_criterion([7], [complete, corrected])  # no longer in force


def test_the_criterion_share_and_its_target():
    share = criteria.trappe_used(3, 4)
    assert (share.label, share.percent) == ("Randers-trappen og analysen brugt", 75)
    assert criteria.reaches_target(share, criteria.TRAPPE_TARGET_PERCENT) is False
    assert criteria.reaches_target(criteria.trappe_used(4, 4), 100) is True
    assert criteria.reaches_target(criteria.trappe_used(0, 0), 100) is None


@pytest.mark.parametrize("kind", ["netvaerksmoede", "statusmoede", "familieraadslagning"])
def test_the_trappe_is_an_agenda_item_of_network_and_status_meetings(kind):
    assert rules.offered_in(kind)


@pytest.mark.parametrize("kind", ["bic_session", "bic_joint_parents", "team_meeting"])
def test_never_on_the_meetings_with_the_father(kind):
    assert not rules.offered_in(kind)


def test_the_timeline_names_every_point_in_its_description():
    points = [(TODAY - timedelta(days=30), 3), (TODAY, 2)]
    svg = timeline.svg("Ida <Test>", points)
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and "<polyline" in svg
    assert "Ida &lt;Test&gt;" in svg  # escaped
    assert f"{timeline.da_date(TODAY)}: trin 2 (Risikobørn)" in svg
    assert "Ingen vurderinger endnu" in timeline.svg("Ida", [])
