"""The pure agenda rules: the fortnightly rhythm, each column's wording, the windows."""

from datetime import date, datetime, timezone

import pytest

from coordinator.followup import agenda
from coordinator.followup.agenda import FatherFacts, FgcFacts, MeetingFacts
from tests.followup.data import local


@pytest.mark.parametrize("on,expected", [
    (date(2026, 1, 6), date(2026, 1, 6)),    # the anchor itself
    (date(2026, 1, 7), date(2026, 1, 20)),   # the day after: two weeks on
    (date(2026, 6, 10), date(2026, 6, 23)),
    (date(2026, 6, 23), date(2026, 6, 23)),
    (date(2025, 12, 30), date(2026, 1, 6)),  # before the anchor: the rhythm runs backwards too
    (date(2025, 12, 23), date(2025, 12, 23)),
])
def test_next_team_meeting_every_other_tuesday(on, expected):
    assert agenda.next_team_meeting(on) == expected
    assert expected.weekday() == 1


def test_a_closed_tuesday_moves_to_the_next_working_day(monkeypatch):
    # 25 December 2029 is a Tuesday; 26 December is closed too.
    monkeypatch.setattr(agenda, "TEAM_ANCHOR", date(2029, 12, 25))
    assert agenda.next_team_meeting(date(2029, 12, 20)) == date(2029, 12, 27)
    assert agenda.next_team_meeting(date(2029, 12, 27)) == date(2029, 12, 27)
    # The count does not shift: the next one is still two weeks after the nominal day.
    assert agenda.next_team_meeting(date(2029, 12, 28)) == date(2030, 1, 8)


def test_series_rule_wins_and_skips_cancelled_occurrences():
    start = local(date(2026, 1, 7), 9)  # a Wednesday series, every other week
    exdate = local(date(2026, 2, 4), 9).astimezone(timezone.utc).isoformat()
    found = agenda.next_series_occurrence("FREQ=WEEKLY;INTERVAL=2", start, exdate,
                                          date(2026, 2, 1))
    assert found == local(date(2026, 2, 18), 9)
    assert agenda.next_series_occurrence("FREQ=NONSENSE", start, "", date(2026, 2, 1)) is None
    assert agenda.next_series_occurrence("FREQ=WEEKLY;COUNT=1", start, "", date(2026, 2, 1)) is None


def test_next_yearly_moves_off_closed_days():
    assert agenda.next_yearly(date(2025, 12, 24)) == date(2026, 12, 28)
    assert agenda.next_yearly(date(2025, 3, 4)) == date(2026, 3, 4)


FGC_HELD = MeetingFacts(1, "familieraadslagning", "FR", "held", local(date(2026, 3, 10)),
                        local(date(2026, 3, 10), 13, 30))


@pytest.mark.parametrize("facts,meetings,expected", [
    (None, (), (False, "Ikke vurderet",
                "Vurdér sammen med familien, om en familierådslagning er mulig")),
    (FgcFacts(None), (), (False, "Ikke vurderet",
                          "Vurdér sammen med familien, om en familierådslagning er mulig")),
    (FgcFacts(False, date(2026, 3, 1)), (),
     (True, "Vurderet: ikke mulig nu (1. marts 2026)", "Ingen – genvurdér ved ændringer")),
    (FgcFacts(True, date(2026, 3, 1)), (),
     (True, "Vurderet: mulig (1. marts 2026)", "Skriv henvisningen (bekymring og spørgsmål)")),
    (FgcFacts(True, referred_on=date(2026, 3, 5)), (),
     (True, "Henvist 5. marts 2026", "Find en samordner")),
    (FgcFacts(True, samordner="Ida"), (),
     (True, "Under forberedelse hos samordner Ida", "Planlæg familierådslagningen med samordneren")),
    (FgcFacts(True, samordner="Ida", next_task=("Formøde", date(2026, 4, 2))), (),
     (True, "Under forberedelse hos samordner Ida", "Formøde (frist 2. april 2026)")),
    (FgcFacts(True, samordner="Ida"),
     (MeetingFacts(1, "familieraadslagning", "FR", "invited", local(date(2026, 4, 20))),),
     (True, "Familierådslagning inviteret, 20. april 2026", "Hold familierådslagningen")),
    (FgcFacts(True), (FGC_HELD,),
     (True, "Familierådslagning afholdt 10. marts 2026",
      "Planlæg opfølgningsmødet (ca. 3 måneder efter)")),
    (FgcFacts(True), (FGC_HELD, MeetingFacts(2, "familieraadslagning_followup", "O", "planned",
                                             local(date(2026, 6, 11)), parent_id=1)),
     (True, "Opfølgningsmøde planlagt, 11. juni 2026", "Hold opfølgningsmødet")),
    (FgcFacts(True), (FGC_HELD, MeetingFacts(2, "familieraadslagning_followup", "O", "held",
                                             local(date(2026, 6, 11)), parent_id=1)),
     (True, "Opfølgningsmøde afholdt 11. juni 2026", "Ingen – forløbet er fulgt op")),
])
def test_fgc_summary(facts, meetings, expected):
    assert agenda.fgc_summary(facts, meetings) == expected


@pytest.mark.parametrize("facts,at_centre,expected", [
    (None, True, (False, "Ikke vurderet – vurdér, om far skal inddrages")),
    (None, False, (False, "Ikke vurderet (familien er ikke på krisecentret)")),
    (FatherFacts(False), True, (True, "Vurderet: far inddrages ikke")),
    (FatherFacts(True), True, (True, "Far inddrages – afventer aftale med mor")),
    (FatherFacts(True, mother_agreed_on=date(2026, 2, 1)), True,
     (True, "Far inddrages – ikke henvist til kontaktperson")),
    (FatherFacts(True, None, date(2026, 2, 1), "Mads", date(2026, 2, 15), 2, 1), True,
     (True, "Henvist til Mads 15. februar 2026: 2 samtale(r) holdt, 1 planlagt")),
])
def test_bic_summary(facts, at_centre, expected):
    assert agenda.bic_summary(facts, at_centre) == expected


def test_upcoming_window_is_fourteen_days_from_midnight_and_skips_closed_meetings():
    on = date(2026, 6, 23)
    meetings = (
        MeetingFacts(1, "statusmoede", "Målene", "planned", local(on, 0, 0)),         # first minute
        MeetingFacts(2, "netvaerksmoede", "Net", "invited", local(date(2026, 7, 6), 23, 59)),
        MeetingFacts(3, "netvaerksmoede", "Net", "invited", local(date(2026, 7, 7), 0, 0)),  # outside
        MeetingFacts(4, "statusmoede", "Status", "cancelled", local(date(2026, 6, 24))),
        MeetingFacts(5, "statusmoede", "Status", "held", local(date(2026, 6, 23), 8)),
        MeetingFacts(6, "statusmoede", "Status", "draft", None),
        MeetingFacts(7, "statusmoede", "Status", "draft", local(date(2026, 6, 22), 23, 59)),
    )
    upcoming = agenda.upcoming_meetings(meetings, on)
    assert [u.meeting_id for u in upcoming] == [1, 2]
    assert upcoming[0].label == "Statusmøde: Målene"
    assert upcoming[1].status_label == "Inviteret"


def test_overdue_followups():
    on = date(2026, 6, 23)
    meetings = (
        # held 10 March → due 10 June, no follow-up: overdue
        FGC_HELD,
        # held 26 Feb → follow-up on 28 May still only invited: overdue
        MeetingFacts(3, "familieraadslagning", "FR", "followup", local(date(2026, 2, 26))),
        MeetingFacts(4, "familieraadslagning_followup", "O", "invited", local(date(2026, 5, 28)),
                     parent_id=3),
        # held 1 April → due 1 July: not yet
        MeetingFacts(5, "familieraadslagning", "FR", "held", local(date(2026, 4, 1))),
        # held 2 Jan → follow-up without a time, due 2 April: overdue
        MeetingFacts(6, "familieraadslagning", "FR", "followup", local(date(2026, 1, 2))),
        MeetingFacts(7, "familieraadslagning_followup", "O", "draft", None, parent_id=6),
        # held 5 Jan → follow-up held: fine
        MeetingFacts(8, "familieraadslagning", "FR", "followup", local(date(2026, 1, 5))),
        MeetingFacts(9, "familieraadslagning_followup", "O", "held", local(date(2026, 4, 6)),
                     parent_id=8),
        # a status meeting has no follow-up rule
        MeetingFacts(10, "statusmoede", "S", "held", local(date(2026, 1, 5))),
    )
    assert agenda.overdue_followups(meetings, on) == (
        "Opfølgningsmøde på familierådslagning har intet tidspunkt; skulle være holdt ca. "
        "2. april 2026",
        "Opfølgningsmøde på familierådslagning 28. maj 2026 er ikke registreret som afholdt",
        "Familierådslagning 10. marts 2026: opfølgningsmødet skulle være holdt ca. 10. juni "
        "2026 og er ikke planlagt",
    )


def test_rows_are_sorted_by_name():
    facts = [agenda.FamilyAgendaFacts(2, "Familien Ø", "R2", True),
             agenda.FamilyAgendaFacts(1, "familien a", "R1", False)]
    rows = agenda.agenda_rows(facts, date(2026, 6, 23))
    assert [r.family_id for r in rows] == [1, 2]
    assert rows[0].upcoming == () and rows[0].overdue == ()


@pytest.mark.parametrize("kind,title,expected", [
    ("statusmoede", "Første statusmøde – mål", "Første statusmøde – mål"),
    ("statusmoede", "Målene", "Statusmøde: Målene"),
    ("bic_session", "Rådgivningssamtale med far", "Rådgivningssamtale med far"),
    ("netvaerksmoede", "", "Netværksmøde"),
    ("ukendt", "Noget", "ukendt: Noget"),
])
def test_meeting_label(kind, title, expected):
    assert agenda.meeting_label(kind, title) == expected


@pytest.mark.parametrize("until,expected", [
    (None, ""),
    (date(2027, 1, 10), "Efterværnet slutter 10. januar 2027 (om 6 dage): afslut sagen, "
                        "eller aftal den videre støtte."),
    (date(2027, 1, 4), "Efterværnet slutter 4. januar 2027 (i dag): afslut sagen, "
                       "eller aftal den videre støtte."),
    (date(2027, 1, 5), "Efterværnet slutter 5. januar 2027 (i morgen): afslut sagen, "
                       "eller aftal den videre støtte."),
    (date(2027, 1, 18), "Efterværnet slutter 18. januar 2027 (om 14 dage): afslut sagen, "
                        "eller aftal den videre støtte."),
    (date(2027, 1, 19), ""),  # beyond the look-ahead
    (date(2027, 1, 3), ""),   # already over
])
def test_after_care_is_due_listed_within_the_look_ahead(until, expected):
    assert agenda.after_care_due(until, date(2027, 1, 4)) == expected
    row = agenda.agenda_rows([agenda.FamilyAgendaFacts(1, "Familien A", "R-1", False,
                                                       after_care_until=until)], date(2027, 1, 4))[0]
    assert row.after_care == expected
