"""GDPR access export (indsigt): contents, redaction for the data subject, access, audit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.invites.tables import OutboxMessage, ReplyRecord
from coordinator.meetings import safety
from coordinator.meetings.tables import (
    AgendaPoint,
    Meeting,
    MeetingPart,
    Participant,
    ParticipantPart,
)
from coordinator.network.tables import KeepApart, Organisation, Person, Relation
from tests import factories

CENTRE_NAME = "Randers Krisecenter"
CENTRE_ADDRESS = "Hemmelig Vej 1, 8900 Randers"
MOTHER_ADDRESS = "Skjultvej 7, 8930 Randers NØ"
MOTHER_PHONE = "70 10 11 11"
MOTHER_EMAIL = "mor.skjult@example.org"
MAIL_BODY = "BODY-OF-THE-INVITE-NOT-EXPORTED"
PROTECTED = (CENTRE_NAME, CENTRE_ADDRESS, MOTHER_ADDRESS, MOTHER_PHONE, MOTHER_EMAIL)


async def _person(family_id: int, name: str, role: str, **values) -> int:
    sector = values.pop("sector", "family")
    rows = await Person.insert(Person(family=family_id, name=name, role=role, sector=sector,
                                      is_child=role == "child", **values))
    return rows[0]["id"]


async def build_case(worker) -> dict[str, int]:
    """A family at the crisis centre: protected mother, violent father, child, a meeting."""
    family_id = await factories.family(worker, at_crisis_centre=True)
    centre = (await Organisation.insert(Organisation(
        name=CENTRE_NAME, kind="crisis_centre", sector="crisis_centre", address=CENTRE_ADDRESS,
        location_protected=True)))[0]["id"]
    mother = await _person(family_id, "Anna Holm", "mother", address=MOTHER_ADDRESS,
                           phone=MOTHER_PHONE, email=MOTHER_EMAIL, protected_address=True)
    father = await _person(family_id, "Jens Holm", "father", address="Farvej 2, 8900 Randers",
                           phone="70 10 22 22", email="jens@example.net", used_violence=True,
                           notes=f"Må ikke få at vide, at Anna bor på {MOTHER_ADDRESS}.")
    child = await _person(family_id, "Emma Holm", "child", address=MOTHER_ADDRESS, birth_year=2018)
    await KeepApart.insert(KeepApart(family=family_id, person_a=mother, person_b=father,
                                     reason=f"Vold. Anna bor på {CENTRE_NAME}, {CENTRE_ADDRESS}."))
    await Relation.insert(Relation(family=family_id, source=father, target_person=child,
                                   type="father_of", note=f"Ser Emma hos {MOTHER_ADDRESS}"))
    await Relation.insert(Relation(family=family_id, source=mother, target_organisation=centre,
                                   type="other", note="Bor der"))
    meeting = (await Meeting.insert(Meeting(
        family=family_id, kind="netvaerksmoede", title=f"Netværksmøde på {CENTRE_NAME}",
        description=f"Vi mødes på {CENTRE_ADDRESS}", location_organisation=centre,
        status="invited")))[0]["id"]
    start = app_clock.now() + timedelta(days=10)
    part = (await MeetingPart.insert(MeetingPart(meeting=meeting, key="moede", label="Mødet",
                                                 starts_at=start, ends_at=start + timedelta(hours=1))))[0]["id"]
    participants = {}
    for pid, name, role, email in ((father, "Jens Holm", "father", "jens@example.net"),
                                   (mother, "Anna Holm", "mother", MOTHER_EMAIL)):
        participants[role] = (await Participant.insert(Participant(
            meeting=meeting, person=pid, name=name, email=email, role=role, category="family",
            rsvp="ACCEPTED", rsvp_comment="Jeg kommer")))[0]["id"]
        await ParticipantPart.insert(ParticipantPart(participant=participants[role], part=part))
    await AgendaPoint.insert(
        AgendaPoint(meeting=meeting, position=0, title="Skolevejen for Emma",
                    minutes=f"Anna fortalte, at hun bor på {MOTHER_ADDRESS}. Emma trives.",
                    minutes_by_name="Sara Rådgiver"),
        AgendaPoint(meeting=meeting, position=1, title=f"Opholdet på {CENTRE_NAME}"))
    await OutboxMessage.insert(OutboxMessage(
        meeting=meeting, participant=participants["father"], recipient_email="jens@example.net",
        kind="REQUEST", sequence=0, dedupe_key=f"{meeting}:{participants['father']}:0:REQUEST",
        message_id="<m1@example.invalid>", message=MAIL_BODY, status="sent",
        sent_at=app_clock.now()))
    await ReplyRecord.insert(ReplyRecord(
        meeting=meeting, participant=participants["father"], uid=f"m{meeting}-moede@x",
        method="COUNTER", attendee_email="jens@example.net", partstat="TENTATIVE",
        comment="Hellere om eftermiddagen", outcome="proposal"))
    return {"family": family_id, "mother": mother, "father": father, "child": child,
            "meeting": meeting}


async def worker_client(client):
    worker = await factories.user("socialraadgiver")
    await factories.login(client, worker)
    return worker


async def test_father_export_has_his_data_and_none_of_the_mothers_whereabouts(client):
    worker = await worker_client(client)
    case = await build_case(worker)
    url = f"/families/{case['family']}/people/{case['father']}/export.json"
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == \
        f'attachment; filename="indsigt-person-{case["father"]}.json"'
    data = json.loads(response.text)
    assert data["person"]["navn"] == "Jens Holm"
    assert data["person"]["adresse"] == "Farvej 2, 8900 Randers"
    assert data["person"]["har_udøvet_vold"] is True
    assert [k["fra"] for k in data["holdes_adskilt"]] == ["Anna Holm"]
    assert data["relationer"][0]["beskrivelse"] == "Jens Holm far til Emma Holm"
    [meeting] = data["møder"]
    assert meeting["titel"] == "Netværksmøde" and meeting["sted"] == safety.NEUTRAL_LOCATION
    assert meeting["svar"] == "ACCEPTED" and meeting["dele"][0]["del"] == "Mødet"
    [mail] = data["mails"]
    assert mail["modtager"] == "jens@example.net" and mail["status"] == "sent"
    [answer] = data["kalendersvar"]
    assert (answer["slags"], answer["kommentar"], answer["behandling"]) == (
        "Forslag om nyt tidspunkt", "Hellere om eftermiddagen", "Forslag")
    assert MAIL_BODY not in response.text
    # the agenda and the minutes: none for him (the father's side reads no free text)
    assert (meeting["dagsorden"], meeting["referat"]) == ([], [])
    assert "Emma trives" not in response.text
    assert safety.scan_for_leaks(response.text, PROTECTED) == []
    assert safety.HIDDEN in response.text  # the notes and reasons were cut, not dropped


async def test_export_page_is_readable_danish_with_the_review_note(client):
    worker = await worker_client(client)
    case = await build_case(worker)
    page = await client.get(f"/families/{case['family']}/people/{case['father']}/export")
    assert page.status_code == 200
    assert "Indsigt: Jens Holm" in page.text
    assert "gennemgå" in page.text.lower() and "før det udleveres" in page.text
    assert "Netværksmøde" in page.text and "Farvej 2" in page.text
    assert safety.scan_for_leaks(page.text, PROTECTED) == []
    # Issue 17, point 9: the page speaks Danish – labels, answers, statuses, dates – and
    # shows no internal ids, keys, codes or machine timestamps (the JSON file keeps those).
    main = page.text.split("<main", 1)[1]
    assert "<dt>Sektor</dt><dd>Familie</dd>" in main and "<dt>Har udøvet vold</dt><dd>Ja</dd>" in main
    assert "Deltager: Jeg kommer" in main and ">Sendt<" in main
    for internal in ("<dt>Id</dt>", "ACCEPTED", "NEEDS-ACTION", "private_network", ">sent<",
                     "Har udøvet vold</dt><dd>True", "møde_id", "T0", "+00:00"):
        assert internal not in main, internal
    assert re.search(r"\b(mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag) \d+\. \w+ \d{4} kl\. "
                     r"\d\d\.\d\d", main)


async def test_mother_gets_her_own_protected_address(client):
    worker = await worker_client(client)
    case = await build_case(worker)
    data = (await client.get(
        f"/families/{case['family']}/people/{case['mother']}/export.json")).json()
    assert data["person"]["adresse"] == MOTHER_ADDRESS
    assert data["person"]["beskyttet_adresse"] is True
    # Entitled to the crisis centre's location: the meeting's place is shown to her.
    assert data["møder"][0]["sted"] == CENTRE_NAME
    # The father's private contact data is not hers to have.
    assert "70 10 22 22" not in json.dumps(data, ensure_ascii=False)
    # The meeting's agenda as her invitation gave it, and the minutes of the meeting she
    # took part in (her own address is hers).
    [meeting] = data["møder"]
    assert meeting["dagsorden"] == ["Skolevejen for Emma", f"Opholdet på {CENTRE_NAME}"]
    [minutes] = meeting["referat"]
    assert minutes["punkt"] == "Skolevejen for Emma"
    assert minutes["referat"] == f"Anna fortalte, at hun bor på {MOTHER_ADDRESS}. Emma trives."
    assert minutes["skrevet_af"] == "Sara Rådgiver"


async def test_export_history_and_audit_rows_and_the_export_is_audited(client):
    worker = await worker_client(client)
    case = await build_case(worker)
    page = "/families/{}/network/people/{}/edit".format(case["family"], case["child"])
    form = await client.get(page)
    assert form.status_code == 200
    response = await factories.post_form(client, "/families/{}/network/people/{}".format(
        case["family"], case["child"]), {"name": "Emma Holm", "role": "child", "phone": "70 10 33 33",
                                         "version": "1", "sector": "family"}, page=page)
    assert response.status_code in (200, 303), response.text[:300]
    data = (await client.get(
        f"/families/{case['family']}/people/{case['child']}/export.json")).json()
    assert any("Emma Holm" in h["hvad"] for h in data["historik"])
    assert any(e["handling"] == "Ændret" for e in data["logposter"])
    exports = await AuditEvent.select().where(AuditEvent.action == "export")
    assert [(e["entity"], e["entity_id"], e["family_id"], e["username"]) for e in exports] == [
        ("indsigt", str(case["child"]), case["family"], worker.username)]


@pytest.mark.parametrize("suffix", ["export", "export.json"])
@pytest.mark.parametrize("who", ["other_worker", "leder", "samordner", "admin"])
async def test_export_is_for_the_team_only(client, suffix, who):
    worker = await factories.user("socialraadgiver")
    case = await build_case(worker)
    outsider = await factories.user("socialraadgiver" if who == "other_worker" else who)
    await factories.login(client, outsider)
    response = await client.get(f"/families/{case['family']}/people/{case['father']}/{suffix}")
    assert response.status_code == 404
    assert "Jens" not in response.text
    assert not await AuditEvent.exists().where(AuditEvent.action == "export")


async def test_person_of_another_family_is_not_found(client):
    worker = await worker_client(client)
    case = await build_case(worker)
    other_family = await factories.family(worker)
    response = await client.get(f"/families/{other_family}/people/{case['father']}/export.json")
    assert response.status_code == 404
    assert "Jens" not in response.text


async def test_anonymous_is_sent_to_login(client):
    response = await client.get("/families/1/people/1/export")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
