"""The familierådslagning's method over HTTP: the initiativtager, the formøde's outcome, and
no familierådslagning planned or sent before the family agreed at the formøde to go on."""

import html
from datetime import timedelta

import pytest

from coordinator import clock as app_clock
from coordinator.audit.tables import AuditEvent
from coordinator.db import ANY_VERSION
from coordinator.meetings import service as meetings
from coordinator.meetings.tables import FgcCase, Meeting
from tests import factories as f
from tests.meetings import support as s

BASE = "/families/{}/familieraadslagning"


async def _post(client, family_id, step, data, htmx=False):
    path = BASE.format(family_id)
    if "version" not in data:  # the version its page shows, as the browser sends it
        version = await s.form_version(client, f"{path}/", f"{path}/{step}")
        data = {**data, **({"version": version} if version is not None else {})}
    return await f.post_form(client, f"{path}/{step}", data, page=f"{path}/", htmx=htmx)


async def _case(family_id):
    return await FgcCase.select().where(FgcCase.family == family_id).first()


async def _referred(client, samordner=None):
    """A socialrådgiver logged in, a family whose familierådslagning is referred (and with
    ``samordner`` coordinated)."""
    sara = await f.user()
    family_id = await f.family(sara)
    await f.login(client, sara)
    today = app_clock.today().isoformat()
    assert (await _post(client, family_id, "assessment", {
        "possible": "ja", "assessed_on": today, "reasons": "Stort netværk"})).status_code == 303
    assert (await _post(client, family_id, "referral", {
        "concern": "Barnets trivsel", "questions": "Hvem henter Emma?",
        "referred_on": today})).status_code == 303
    if samordner is not None:
        assert (await _post(client, family_id, "samordner", {
            "samordner_user": str(samordner.id)})).status_code == 303
    return sara, family_id


async def test_the_initiativtager_is_recorded_shown_and_audited(client):
    _, family_id = await _referred(client)
    page = html.unescape((await client.get(BASE.format(family_id) + "/")).text)
    assert "Det er ikke registreret, hvem der tog initiativet" in page
    r = await _post(client, family_id, "initiator", {
        "initiator_kind": "professional", "initiator_name": "Klasselærer Lone Holm",
        "version": str((await _case(family_id))["version"])})
    assert r.status_code == 303 and r.headers["location"].endswith("#initiator")
    case = await _case(family_id)
    assert (case["initiator_kind"], case["initiator_name"]) == ("professional",
                                                                "Klasselærer Lone Holm")
    page = html.unescape((await client.get(BASE.format(family_id) + "/")).text)
    assert "Initiativet blev taget af: <strong>En anden fagperson" in page
    assert "Klasselærer Lone Holm" in page
    assert await AuditEvent.exists().where(
        (AuditEvent.family_id == family_id)
        & AuditEvent.summary.like("Initiativtager: En anden fagperson%"))


@pytest.mark.parametrize("data,field,message", [
    ({"initiator_kind": "naboen", "initiator_name": "Nabo"}, "initiator_kind",
     "Vælg, hvem der tog initiativet"),
    ({"initiator_kind": "family", "initiator_name": ""}, "initiator_name",
     "Skriv initiativtagerens navn"),
    ({"initiator_kind": "family", "initiator_name": "x" * 201}, "initiator_name", "højst være 200 tegn"),
])
async def test_a_refused_initiativtager_names_the_field_and_saves_nothing(client, data, field,
                                                                          message):
    _, family_id = await _referred(client)
    before = await _case(family_id)
    r = await _post(client, family_id, "initiator", data, htmx=True)
    assert r.status_code == 422
    assert f'data-field="{field}"' in r.text and message in html.unescape(r.text)
    assert await _case(family_id) == before


async def test_a_stale_initiativtager_form_is_a_conflict_with_both_versions(client):
    _, family_id = await _referred(client)
    stale = str((await _case(family_id))["version"])
    assert (await _post(client, family_id, "initiator", {
        "initiator_kind": "family", "initiator_name": "Mor", "version": stale})).status_code == 303
    r = await _post(client, family_id, "initiator", {
        "initiator_kind": "socialraadgiver", "initiator_name": "Sara", "version": stale})
    assert r.status_code == 409
    text = html.unescape(r.text)
    assert "Sara" in text and "Mor" in text
    assert (await _case(family_id))["initiator_name"] == "Mor"


async def test_the_formoede_outcome_needs_a_held_formoede_and_a_clear_answer(client):
    _, family_id = await _referred(client, await f.user("samordner"))
    answer = {"formoede_participants": "Mor og mormor", "formoede_agreement": "yes"}
    r = await _post(client, family_id, "formoede/outcome", answer, htmx=True)
    assert r.status_code == 422 and "formødets dato" in html.unescape(r.text)
    # planned but not held yet
    ahead = (app_clock.today() + timedelta(days=5)).isoformat()
    assert (await _post(client, family_id, "formoede", {"formoede_on": ahead})).status_code == 303
    r = await _post(client, family_id, "formoede/outcome", answer, htmx=True)
    assert r.status_code == 422 and "når det er holdt" in html.unescape(r.text)
    assert 'data-field="formoede_agreement"' in r.text
    held = (app_clock.today() - timedelta(days=1)).isoformat()
    assert (await _post(client, family_id, "formoede", {"formoede_on": held})).status_code == 303
    for data, field in (({**answer, "formoede_agreement": "maaske"}, "formoede_agreement"),
                        ({**answer, "formoede_participants": ""}, "formoede_participants"),
                        ({**answer, "formoede_agreement": "no"}, "formoede_note"),
                        ({**answer, "formoede_agreement": "needs_time"}, "formoede_note")):
        r = await _post(client, family_id, "formoede/outcome", data, htmx=True)
        assert r.status_code == 422 and f'data-field="{field}"' in r.text, (data, r.text[:300])
    assert (await _case(family_id))["formoede_agreement"] == ""
    r = await _post(client, family_id, "formoede/outcome", {
        **answer, "formoede_agreement": "needs_time", "formoede_note": "Mor vil tale med sin søster"})
    assert r.status_code == 303 and r.headers["location"].endswith("#formoede-outcome")
    case = await _case(family_id)
    assert (case["formoede_participants"], case["formoede_agreement"], case["formoede_note"]) == (
        "Mor og mormor", "needs_time", "Mor vil tale med sin søster")
    page = html.unescape((await client.get(BASE.format(family_id) + "/")).text)
    assert "Familiens svar: <strong>Familien har brug for tid" in page
    assert await AuditEvent.exists().where(
        (AuditEvent.family_id == family_id)
        & AuditEvent.summary.like("Formødets udfald: Familien har brug for tid"))


async def test_a_stale_formoede_outcome_is_a_conflict(client):
    # with a samordner: the formøde's forms are on the page from then on
    _, family_id = await _referred(client, await f.user("samordner"))
    held = (app_clock.today() - timedelta(days=1)).isoformat()
    await _post(client, family_id, "formoede", {"formoede_on": held})
    stale = str((await _case(family_id))["version"])
    first = {"formoede_participants": "Mor", "formoede_agreement": "yes", "version": stale}
    assert (await _post(client, family_id, "formoede/outcome", first)).status_code == 303
    r = await _post(client, family_id, "formoede/outcome", {
        **first, "formoede_agreement": "no", "formoede_note": "Mor fortrød"})
    assert r.status_code == 409 and "Mor fortrød" in html.unescape(r.text)
    assert (await _case(family_id))["formoede_agreement"] == "yes"


async def test_no_familieraadslagning_is_planned_before_the_family_agreed(client):
    ida = await f.user("samordner")
    sara, family_id = await _referred(client, ida)
    mother = await s.person(family_id, "Anna Mor", "mother", email="anna@example.org")
    # a draft with a first guess at the times may exist before the formøde
    r = await _post(client, family_id, "meeting", {"location": "Rådhuset",
                                                   **s.fgc_times(s.working_day(20))})
    assert r.status_code == 303, r.text[:300]
    meeting_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = f"/meetings/{meeting_id}"
    assert (await f.post_form(client, f"{page}/participants", {"person_id": str(mother)},
                              page=page)).status_code == 303
    fgc_page = html.unescape((await client.get(BASE.format(family_id) + "/")).text)
    assert "Mødet kan ikke planlægges eller sendes endnu: Formødet med familien er ikke holdt" in fgc_page
    family_page = html.unescape((await client.get(f"/families/{family_id}")).text)
    assert "Formødet med familien er ikke holdt endnu. Sæt dato på formødet" in family_page
    meeting_page = html.unescape((await client.get(page)).text)
    assert "Formødet med familien er ikke holdt endnu." in meeting_page
    assert f"/families/{family_id}/familieraadslagning#formoede-outcome" in meeting_page

    async def plan():
        return await f.post_form(client, f"{page}/status", {"target": "planned"}, page=page)

    r = await plan()
    assert r.status_code == 409 and "Formødet med familien er ikke holdt" in html.unescape(r.text)
    held = (app_clock.today() - timedelta(days=2)).isoformat()
    assert (await _post(client, family_id, "formoede", {"formoede_on": held})).status_code == 303
    r = await plan()
    assert r.status_code == 409 and "ikke registreret, om familien vil gå videre" in html.unescape(r.text)
    for agreement, reason in (("no", "sagde nej"), ("needs_time", "bedt om tid")):
        assert (await _post(client, family_id, "formoede/outcome", {
            "formoede_participants": "Mor", "formoede_agreement": agreement,
            "formoede_note": "Talt med mor"})).status_code == 303
        r = await plan()
        assert r.status_code == 409 and reason in html.unescape(r.text)
    assert (await Meeting.select().where(Meeting.id == meeting_id).first())["status"] == "draft"
    assert (await _post(client, family_id, "formoede/outcome", {
        "formoede_participants": "Mor, Emma og mormor", "formoede_agreement": "yes"})).status_code == 303
    r = await plan()
    assert r.status_code == 303, r.text[:300]
    assert (await Meeting.select().where(Meeting.id == meeting_id).first())["status"] == "planned"
    fgc_page = html.unescape((await client.get(BASE.format(family_id) + "/")).text)
    assert "kan ikke planlægges" not in fgc_page
    family_page = html.unescape((await client.get(f"/families/{family_id}")).text)
    assert "Formødet med familien" not in family_page


async def test_the_service_refuses_planning_without_agreement(client):
    sara, family_id = await _referred(client)
    case = await _case(family_id)
    meeting_id = await meetings.create_meeting(sara, {"id": family_id}, "familieraadslagning",
                                               "FR", fgc_case=case["id"])
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    with pytest.raises(Exception) as refused:
        await meetings.change_status(sara, meeting, ANY_VERSION, "planned")
    assert "Formødet med familien er ikke holdt" in str(refused.value)
    # other kinds are not concerned
    other = await meetings.create_meeting(sara, {"id": family_id}, "netvaerksmoede", "Netværk")
    other_row = await Meeting.select().where(Meeting.id == other).first()
    with pytest.raises(Exception) as refused:
        await meetings.change_status(sara, other_row, ANY_VERSION, "planned")
    assert "Formødet" not in str(refused.value)


async def test_the_father_side_and_the_samordner_get_nothing_of_it(client, other_client):
    ida = await f.user("samordner")
    sara, family_id = await _referred(client, ida)
    await _post(client, family_id, "initiator", {"initiator_kind": "family",
                                                 "initiator_name": "Mor selv"})
    mads = await f.user("kontaktperson")
    for outsider in (ida, mads):
        await f.login(other_client, outsider)
        assert (await other_client.get(BASE.format(family_id) + "/")).status_code == 404
        r = await f.post_form(other_client, BASE.format(family_id) + "/formoede/outcome", {
            "formoede_participants": "x", "formoede_agreement": "yes"})
        assert r.status_code == 404
        start = await other_client.get("/", follow_redirects=True)
        assert "Mor selv" not in start.text
    assert (await _case(family_id))["formoede_agreement"] == ""
