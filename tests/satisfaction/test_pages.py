"""Satisfaction at move-out over HTTP on the real app and database: the paper form and the
declined mark, one answer per stay, the one-time tablet link that shows nothing of the
family, the leaders' criteria with the drill-down, the answers without names, the access
policy (outsiders, the father's side and the samordner get 404) and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from coordinator import clock
from coordinator.audit.tables import AuditEvent
from coordinator.auth.policy import Principal
from coordinator.followup.tables import Stay
from coordinator.satisfaction import service
from coordinator.satisfaction.tables import SatisfactionAnswer, SatisfactionMark, TabletLink
from tests import factories as f

COMMENT = "Personalet lyttede altid, og børnene fik ro."


@dataclass
class World:
    worker: Principal
    contact: Principal
    leader: Principal
    outsider: Principal
    family_id: int
    stay_id: int


async def _world() -> World:
    worker = await f.user("socialraadgiver", full_name="Sara Rådgiver", unit="Krisecentret")
    contact = await f.user("kontaktperson", full_name="Kim Kontakt")
    leader = await f.user("leder", full_name="Lene Leder", unit="Krisecentret")
    outsider = await f.user("socialraadgiver", full_name="Ole Udenfor", unit="Andet")
    family_id = await f.family(worker, contact, name="Familien Tilfreds")
    stay_id = await _stay(family_id, days_ago=3)
    return World(worker, contact, leader, outsider, family_id, stay_id)


async def _stay(family_id: int, days_ago: int | None) -> int:
    today = clock.today()
    ended = today - timedelta(days=days_ago) if days_ago is not None else None
    return (await Stay.insert(Stay(family=family_id, started_on=today - timedelta(days=120),
                                   ended_on=ended)))[0]["id"]


def _form(stay_id: int, **extra: str) -> dict:
    return {"stay": str(stay_id), "support": "high", "process": "yes", "comment": COMMENT,
            **extra}


async def _post(client, w: World, path: str, data: dict):
    return await f.post_form(client, f"/families/{w.family_id}/tilfredshed{path}", data,
                             page=f"/families/{w.family_id}/tilfredshed")


async def _tablet_link(client, w: World) -> str:
    response = await _post(client, w, "/tablet", {"stay": str(w.stay_id)})
    assert response.status_code == 201, response.text[:2000]
    start = response.text.index('id="tablet-url">') + len('id="tablet-url">')
    url = response.text[start:response.text.index("</a>", start)]
    return url[url.index("/tilfredshed/tablet/"):]


async def test_a_paper_form_is_typed_in_once_per_stay(client):
    w = await _world()
    await f.login(client, w.worker)
    family_page = (await client.get(f"/families/{w.family_id}")).text
    assert f"/families/{w.family_id}/tilfredshed" in family_page
    response = await _post(client, w, "", _form(w.stay_id))
    assert response.status_code == 303
    [answer] = await SatisfactionAnswer.select()
    assert (answer["support"], answer["process"], answer["comment"], answer["channel"]) == (
        "high", "yes", COMMENT, "paper")
    assert set(answer) == {"id", "period", "support", "process", "comment", "channel"}
    [mark] = await SatisfactionMark.select()
    assert (mark["stay"], mark["family"], mark["outcome"]) == (w.stay_id, w.family_id, "answered")
    again = await _post(client, w, "", _form(w.stay_id, support="none"))
    assert again.status_code == 409 and "allerede udfyldt" in again.text
    declined = await _post(client, w, "/afslag", {"stay": str(w.stay_id)})
    assert declined.status_code == 409
    assert len(await SatisfactionAnswer.select()) == 1
    page = (await client.get(f"/families/{w.family_id}/tilfredshed")).text
    assert "Besvaret" in page and COMMENT not in page  # the team never sees the answers
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.summary).where(
        (AuditEvent.entity == service.ENTITY) & (AuditEvent.family_id == w.family_id))
    assert [e["action"] for e in events].count("create") == 1
    assert all(COMMENT not in e["summary"] for e in events)


async def test_a_refused_form_keeps_its_input_and_an_open_stay_gets_no_form(client):
    w = await _world()
    await f.login(client, w.worker)
    response = await _post(client, w, "", _form(w.stay_id, support=""))
    assert response.status_code == 422 and 'id="err-support"' in response.text
    assert COMMENT in response.text and 'value="yes" required checked' in response.text
    current = await _stay(w.family_id, None)
    response = await _post(client, w, "", _form(current))
    assert response.status_code == 422 and "Registrér udskrivningen først" in response.text
    assert await SatisfactionAnswer.select() == [] and await SatisfactionMark.select() == []


async def test_declined_counts_as_not_answered(client):
    w = await _world()
    await f.login(client, w.worker)
    assert (await _post(client, w, "/afslag", {"stay": str(w.stay_id)})).status_code == 303
    [mark] = await SatisfactionMark.select()
    assert mark["outcome"] == "declined" and await SatisfactionAnswer.select() == []
    figures = await service.figures(clock.today() - timedelta(days=10), clock.today())
    assert (figures.answered.numerator, figures.answered.denominator) == (0, 1)
    assert (await _post(client, w, "", _form(w.stay_id))).status_code == 409


async def test_the_tablet_link_shows_only_the_questions_and_works_once(client):
    w = await _world()
    await f.login(client, w.worker)
    path = await _tablet_link(client, w)
    assert len(await TabletLink.select()) == 1
    assert path.split("/")[-1] not in str(await TabletLink.select())  # only the hash is kept
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    page = await client.get(path)
    assert page.status_code == 200
    assert "Har du fået den støtte, du havde brug for?" in page.text
    for secret in ("Familien Tilfreds", "Sara Rådgiver", "Hovedmenu", "Log ud"):
        assert secret not in page.text
    refused = await f.post_form(client, path, {"support": "some", "comment": "Tak"}, page=path)
    assert refused.status_code == 422 and 'id="err-process"' in refused.text
    assert "Tak</textarea>" in refused.text
    response = await f.post_form(client, path, {"support": "some", "process": "partly",
                                                "comment": "Tak for alt"}, page=path)
    assert response.status_code == 303 and response.headers["location"] == "/tilfredshed/tak"
    assert "Tak for dine svar" in (await client.get("/tilfredshed/tak")).text
    [answer] = await SatisfactionAnswer.select()
    assert (answer["support"], answer["channel"]) == ("some", "tablet")
    gone = await client.get(path)
    assert gone.status_code == 410 and "allerede brugt" in gone.text
    token = await f.csrf_token(client, "/login")
    again = await client.post(path, data={"support": "none", "process": "no",
                                          "_csrf_token": token})
    assert again.status_code == 410 and len(await SatisfactionAnswer.select()) == 1
    unknown = await client.get("/tilfredshed/tablet/" + "x" * 32, headers={"Accept": "text/html"})
    # on the centre's tablet no way leads to the staff's login
    assert unknown.status_code == 404 and "Siden findes ikke" in unknown.text
    assert "Gå til forsiden" not in unknown.text and "Gå til forsiden" not in gone.text
    await f.login(client, w.worker)  # the staff are offered it
    assert "Gå til forsiden" in (await client.get("/tilfredshed/tablet/" + "x" * 32,
                                                  headers={"Accept": "text/html"})).text
    events = await AuditEvent.select().where((AuditEvent.entity == service.ENTITY)
                                             & (AuditEvent.action == "create")
                                             ).order_by(AuditEvent.id)
    assert len(events) == 2 and events[1]["user_id"] is None


async def test_a_tablet_link_expires_and_a_paper_form_closes_it(client):
    w = await _world()
    await f.login(client, w.worker)
    path = await _tablet_link(client, w)
    clock.pin(clock.now() + timedelta(hours=5))
    expired = await client.get(path)
    assert expired.status_code == 410 and "udløbet" in expired.text
    clock.release()
    await f.login(client, w.worker)  # the session ended while the clock was ahead
    second = await _tablet_link(client, w)
    third = await _tablet_link(client, w)  # a new link closes the earlier open one
    assert (await client.get(second)).status_code == 410
    assert (await _post(client, w, "", _form(w.stay_id))).status_code == 303
    response = await f.post_form(client, third, {"support": "none", "process": "no"},
                                 page="/password")
    assert response.status_code == 409 and "allerede udfyldt" in response.text
    assert len(await SatisfactionAnswer.select()) == 1


@pytest.mark.parametrize("who", ["outsider", "contact", "leader", "admin", "samordner"])
async def test_only_the_team_records_or_opens_a_tablet_link(client, who):
    w = await _world()
    user = {"outsider": w.outsider, "contact": w.contact, "leader": w.leader}.get(who) or \
        await f.user(who, unit="Krisecentret")
    await f.login(client, user)
    assert (await client.get(f"/families/{w.family_id}/tilfredshed")).status_code == 404
    token = await f.csrf_token(client, "/password")
    for path, data in (("", _form(w.stay_id)), ("/afslag", {"stay": str(w.stay_id)}),
                       ("/tablet", {"stay": str(w.stay_id)})):
        response = await client.post(f"/families/{w.family_id}/tilfredshed{path}",
                                     data={**data, "_csrf_token": token})
        assert response.status_code == 404, (who, path)
    assert await SatisfactionMark.select() == [] and await TabletLink.select() == []


async def test_the_leader_sees_the_criteria_the_drill_down_and_answers_without_names(client):
    w = await _world()
    answered = await f.family(w.worker, name="Familien Svarede")
    answered_stay = await _stay(answered, days_ago=5)
    await f.family(w.outsider, name="Familien Fremmed")
    foreign = (await f.family(w.outsider, name="Familien Andensteds"))
    await _stay(foreign, days_ago=4)
    await f.login(client, w.worker)
    assert (await f.post_form(client, f"/families/{answered}/tilfredshed",
                              _form(answered_stay),
                              page=f"/families/{answered}/tilfredshed")).status_code == 303
    assert (await client.get("/tilfredshed/kriterium")).status_code == 404  # leaders only
    await client.post("/logout", data={"_csrf_token": await f.csrf_token(client, "/")})
    await f.login(client, w.leader)
    start = (clock.today() - timedelta(days=30)).isoformat()
    query = f"?from={start}&to={clock.today().isoformat()}"
    page = (await client.get("/tilfredshed/kriterium" + query)).text
    # three move-outs in the period, one answered; the one answer says »i høj grad«
    assert "1 af 3 (33 %)" in page and "1 af 1 (100 %)" in page
    assert "Målet er ikke nået" in page and "Målet er nået" in page
    missing = page[page.index('id="missing"'):]
    assert "Familien Tilfreds" in missing and "Ikke registreret" in missing
    assert "Familien Svarede" not in missing
    assert "Familien Andensteds" not in page  # not a family she may follow
    answers = (await client.get("/tilfredshed/svar" + query)).text
    assert COMMENT in answers and 'id="answer-count">1<' in answers
    for name in ("Familien Svarede", "Familien Tilfreds", "Sara Rådgiver"):
        assert name not in answers
    criteria = (await client.get("/followup/succeskriterier" + query)).text
    assert "Tilfredshed ved udflytning" in criteria and "1 af 3 (33 %)" in criteria
    assert "/tilfredshed/kriterium" in criteria and COMMENT not in criteria
    events = await AuditEvent.select().where(AuditEvent.entity == service.CRITERION_ENTITY)
    assert {e["family_id"] for e in events} == {w.family_id}
