"""Where a meeting is: one rule for the page, the invitations and the safety check."""

from coordinator.meetings import place, workspace

CENTRE = {"name": "Randers Krisecenter", "location_protected": True}
TOWN_HALL = {"name": "Mødelokale 1", "location": "Rådhuset", "at_crisis_centre": False}
CENTRE_ROOM = {"name": "Samtalerummet", "location": "", "at_crisis_centre": True}


def test_typed_text_then_room_then_organisation():
    assert place.place_of("Biblioteket", TOWN_HALL, CENTRE).text == "Biblioteket"
    assert place.place_of("", TOWN_HALL, None).text == "Mødelokale 1, Rådhuset"
    chosen = place.place_of("", None, CENTRE)
    assert (chosen.text, chosen.source, chosen.protected) == ("Randers Krisecenter",
                                                              "organisation", True)
    assert place.place_of("", None, None).label == place.NOT_SET


def test_a_protected_place_is_withheld_outside_the_team():
    assert place.place_of("", CENTRE_ROOM, None).for_outside().label == "Oplyses af socialrådgiveren"
    assert place.place_of("Hemmelig Vej 1", None, None, ["Hemmelig Vej 1"]).protected
    open_place = place.place_of("Rådhuset", None, None)
    assert open_place.for_outside().label == "Rådhuset" and not open_place.protected


def test_a_room_and_an_organisation_at_different_places_clash():
    two = place.place_of("", TOWN_HALL, CENTRE)
    assert two.protected and "Mødelokale 1, Rådhuset" in two.clash and "Randers Krisecenter" in two.clash
    assert two.for_outside().clash == ""
    assert place.place_of("", CENTRE_ROOM, CENTRE).clash == ""


def test_every_change_re_renders_its_section_and_its_dependents():
    assert workspace.sections_for("details")[0] == workspace.HEAD
    assert workspace.TIMES in workspace.sections_for("details")  # "Tid og sted" shows the place
    assert workspace.PARTICIPANTS in workspace.sections_for("participants")
    assert workspace.SAFETY in workspace.sections_for("participants")
    assert workspace.sections_for("status") == workspace.SECTIONS
    assert all(change.saved for change in workspace.CHANGES.values())
    assert set(workspace.TEMPLATES) == set(workspace.SECTIONS)
