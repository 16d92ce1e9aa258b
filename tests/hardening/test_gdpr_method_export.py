"""The access export and the method's records (issue 16): Randers-trappen, Signs of Safety,
the handleplan and the familierådslagning, each within the safety projection – the
father's export never holds the mother's or the children's assessments – and the
satisfaction answers, which are stored without names, explained instead of exported."""

from __future__ import annotations

import json
from datetime import date

from coordinator.gdpr import redaction, service
from coordinator.meetings import safety
from coordinator.meetings.tables import FgcCase, FgcPlanApproval, FgcPlanItem, Participant
from coordinator.method.tables import Goal, GoalEvaluation, SosMapping, SosScale
from coordinator.trappe.tables import TrappeAssessment
from tests.hardening.test_gdpr_export import PROTECTED, build_case, worker_client

CHILD_ONLY = ("BARNETS-FAGLIGE-VURDERING", "BARNETS-EGET-SYN")
FAMILY_SIDE = ("KORTLAEGNING-BEKYMRING", "MORS-SKALA-NOTE", "MAAL-FOR-MOR", "EVAL-NOTE-OM-BARNET",
               "FORMOEDE-NOTE", "MORS-OPGAVE", "PLAN-BETINGELSE", "MORS-SYN-PAA-BARNET")


async def _method_records(case: dict[str, int]) -> None:
    family = case["family"]
    await TrappeAssessment.insert(TrappeAssessment(
        family=family, child=case["child"], assessed_on=date(2026, 3, 2), step=3,
        professional_view=CHILD_ONLY[0], child_view=CHILD_ONLY[1], child_step=2,
        mother_view="MORS-SYN-PAA-BARNET", mother_step=2, social_rating="some",
        recorded_by_name="Sara Rådgiver"))
    await SosMapping.insert(SosMapping(family=family, meeting=case["meeting"],
                                       worries="KORTLAEGNING-BEKYMRING", working_well="Skolen",
                                       needs_to_happen="Ro"))
    participants = {r["person"]: r["id"] for r in await Participant.select().where(
        Participant.meeting == case["meeting"])}
    await SosScale.insert(SosScale(family=family, meeting=case["meeting"],
                                   participant=participants[case["father"]], asker_group="family",
                                   asker_name="Jens Holm", score=4, note="FARS-EGET-SVAR"))
    await SosScale.insert(SosScale(family=family, meeting=case["meeting"],
                                   participant=participants[case["mother"]], asker_group="family",
                                   asker_name="Anna Holm", score=7, note="MORS-SKALA-NOTE"))
    await Goal.insert(Goal(family=family, title="MAAL-FOR-MOR", starts_on=date(2026, 3, 1),
                           responsible_person=case["mother"], responsible_name="Anna Holm"))
    fathers = (await Goal.insert(Goal(family=family, title="MAAL-FOR-FAR",
                                      starts_on=date(2026, 3, 1),
                                      responsible_person=case["father"],
                                      responsible_name="Jens Holm")))[0]["id"]
    await GoalEvaluation.insert(GoalEvaluation(family=family, goal=fathers,
                                               evaluated_on=date(2026, 4, 1),
                                               progress="in_progress", note="EVAL-NOTE-OM-BARNET"))
    fgc = (await FgcCase.insert(FgcCase(family=family, possible=True, status="plan",
                                        formoede_on=date(2026, 2, 1), formoede_agreement="yes",
                                        formoede_note="FORMOEDE-NOTE")))[0]["id"]
    await FgcPlanItem.insert(FgcPlanItem(case=fgc, action="FARS-OPGAVE", who="Jens Holm"),
                             FgcPlanItem(case=fgc, action="MORS-OPGAVE", who="Anna Holm"))
    await FgcPlanApproval.insert(FgcPlanApproval(case=fgc, approved_by_name="Sara Rådgiver",
                                                 conditions="PLAN-BETINGELSE"))


async def _method_export(client, who: str) -> tuple[dict[str, int], dict, str]:
    """A case with every kind of method record, exported (JSON) for one of its people: the
    case, the export and its text."""
    case = await build_case(await worker_client(client))
    await _method_records(case)
    response = await client.get(f"/families/{case['family']}/people/{case[who]}/export.json")
    assert response.status_code == 200
    return case, json.loads(response.text), response.text


async def test_the_fathers_export_holds_his_own_part_and_nothing_of_the_others(client):
    case, data, text = await _method_export(client, "father")
    method = data["metode"]
    assert method["randers_trappen"] == []
    assert method["signs_of_safety"]["kortlægninger"] == []  # he sat in the meeting, still none
    assert [(s["tal"], s["note"]) for s in method["signs_of_safety"]["mine_svar_på_skalaen"]] == [
        (4, "FARS-EGET-SVAR")]
    assert [g["mål"] for g in method["handleplan"]] == ["MAAL-FOR-FAR"]
    assert [e["note"] for e in method["handleplan"][0]["evalueringer"]] == [""]
    assert method["familierådslagning"] == [{"mine_opgaver_i_planen": [
        {"handling": "FARS-OPGAVE", "hvem": "Jens Holm", "senest": None,
         "status": "Ikke startet"}]}]
    for secret in CHILD_ONLY + FAMILY_SIDE:
        assert secret not in text, secret
    assert safety.scan_for_leaks(text, PROTECTED) == []
    assert "uden navn" in method["tilfredshed"]
    page = await client.get(f"/families/{case['family']}/people/{case['father']}/export")
    assert "FARS-OPGAVE" in page.text and "KORTLAEGNING-BEKYMRING" not in page.text


async def test_the_mothers_export_holds_the_family_plan_and_her_own_views(client):
    case, data, text = await _method_export(client, "mother")
    method = data["metode"]
    assert method["randers_trappen"] == [{"dato": "2026-03-02", "barn": "Emma Holm",
                                          "mors_trin": "Risikobørn",
                                          "mors_syn": "MORS-SYN-PAA-BARNET"}]
    for secret in CHILD_ONLY + ("FARS-EGET-SVAR",):
        assert secret not in text, secret
    assert [m["bekymringer"] for m in method["signs_of_safety"]["kortlægninger"]] == [
        "KORTLAEGNING-BEKYMRING"]
    assert [s["tal"] for s in method["signs_of_safety"]["mine_svar_på_skalaen"]] == [7]
    assert sorted(g["mål"] for g in method["handleplan"]) == ["MAAL-FOR-FAR", "MAAL-FOR-MOR"]
    [fgc] = method["familierådslagning"]
    assert fgc["formøde"]["note"] == "FORMOEDE-NOTE"
    assert fgc["formøde"]["familiens_svar"].startswith("Ja")
    assert [i["handling"] for i in fgc["plan"]] == ["FARS-OPGAVE", "MORS-OPGAVE"]
    assert [a["betingelser"] for a in fgc["godkendelser"]] == ["PLAN-BETINGELSE"]
    page = await client.get(f"/families/{case['family']}/people/{case['mother']}/export")
    assert page.status_code == 200 and "Metode" in page.text and "MORS-OPGAVE" in page.text


async def test_the_childs_export_holds_its_own_assessments(client):
    _, data, text = await _method_export(client, "child")
    [assessment] = data["metode"]["randers_trappen"]
    assert assessment["fagpersonernes_syn"] == CHILD_ONLY[0]
    assert assessment["barnets_syn"] == CHILD_ONLY[1]
    assert assessment["trin"] == "Truede børn og unge"
    assert assessment["analyse"][0] == {"område": "Sociale fællesskaber",
                                        "vurdering": "Nogen bekymring", "note": ""}
    assert data["metode"]["signs_of_safety"]["kortlægninger"] == []  # not in the meeting
    assert "FARS-EGET-SVAR" not in text
    assert data["metode"]["tilfredshed"] == service.SATISFACTION_NOTE


def test_the_scope_follows_the_safety_projection():
    father = redaction.method_scope("father", False, True)
    assert (father.trappe, father.sos_mappings, father.whole_plan, father.goal_notes,
            father.fgc_case) == ("none", False, False, False, False)
    # anyone who used violence, whatever the network role
    assert redaction.method_scope("private_network", False, True) == father
    assert redaction.method_scope("mother", False, False).trappe == "mother"
    assert redaction.method_scope("other", True, False).trappe == "own"
    grandmother = redaction.method_scope("private_network", False, False)
    assert (grandmother.trappe, grandmother.whole_plan, grandmother.fgc_case) == (
        "none", False, False)
    assert redaction.names_subject("Mor og  jens holm", "Jens Holm")
    assert not redaction.names_subject("Jens", "Jens Holm")
    assert not redaction.names_subject("Jens Holm", " ")
    # whole words only: a short name is not found inside another
    assert not redaction.names_subject("Janne (mor)", "Jan")
    assert not redaction.names_subject("Farmor og morfar", "Far")
    assert redaction.names_subject("Jan og Janne", "Jan")
    # someone the family is kept apart from is on the father's side, violent or not;
    # the mother and the children in a keep-apart pair keep their own scope
    assert redaction.method_scope("private_network", False, False, kept_apart=True) == father
    assert redaction.method_scope("mother", False, False, kept_apart=True).trappe == "mother"
    assert redaction.method_scope("child", True, False, kept_apart=True).trappe == "own"
