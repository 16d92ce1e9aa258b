"""The organisation directory: the pure CSV rules, and the pages leaders keep it with."""

from __future__ import annotations

import re

import pytest

from coordinator.audit.tables import AuditEvent
from coordinator.network import directory
from coordinator.network.tables import Organisation
from tests import factories as f

GOOD = ("navn;type;sektor;adresse;telefon;e-mail;beskyttet adresse\r\n"
        "Fjordskolen;Skole;;Skolevej 1, 8999 Demoby;70 10 20 30;kontor@fjord.example.org;nej\r\n"
        "Sundhedsplejen Øst;sundhedspleje;Sundhed;;;;\r\n"
        "Demoby Krisecenter;Krisecenter;;Lyngbakken 0;70 10 99 99;;ja\r\n")


def test_a_good_file_is_read_with_danish_labels_and_bom():
    rows, errors = directory.parse_csv(("\ufeff" + GOOD).encode())
    assert errors == []
    assert [(r.name, r.kind, r.sector, r.location_protected) for r in rows] == [
        ("Fjordskolen", "school", "school_daycare", False),
        ("Sundhedsplejen Øst", "health_visiting", "health", False),
        ("Demoby Krisecenter", "crisis_centre", "crisis_centre", True)]


@pytest.mark.parametrize("line,message", [
    (";Skole;;;;;", "Skriv organisationens navn."),
    ("Et sted;Bager;;;;;", "Ukendt type »Bager«"),
    ("Et sted;Skole;Rummet;;;;", "Ukendt sektor »Rummet«"),
    ("Et sted;Skole;;;ring mig;;", "»ring mig« er ikke et telefonnummer."),
    ("Et sted;Skole;;;;ikke-en-adresse;", "er ikke en e-mailadresse"),
    ("Et sted;Skole;;;;;måske", "skal være ja eller nej"),
    ("Et krisecenter;Krisecenter;;;;;nej", "Et krisecenters adresse er altid beskyttet."),
    ("Fjordskolen;Skole;;;;;", "står også i række 2"),
    ("Et sted;Skole;;;;;nej;ekstra", "Rækken har 8 felter"),
])
def test_every_bad_row_is_reported_with_its_number(line, message):
    header, first = GOOD.splitlines()[:2]
    rows, errors = directory.parse_csv(f"{header}\n{first}\n{line}\n".encode())
    assert [e.row for e in errors] == [3]
    assert message in errors[0].message


@pytest.mark.parametrize("data,message", [
    (b"", "Filen er tom."),
    ("navn;type\nÆble;Skole\n".encode("latin-1"), "ikke UTF-8"),
    (b"name;kind\nX;school\n", "mangler kolonnen »navn« og »type«"),
    (b"navn;type;farve\nX;Skole;bl\xc3\xa5\n", "Ukendt kolonne »farve«"),
])
def test_a_file_that_cannot_be_read_says_why(data, message):
    rows, errors = directory.parse_csv(data)
    assert rows == [] and message in errors[0].message


def test_export_is_excel_csv_that_reads_back_and_never_runs_formulas():
    rows = [{"name": "=HYPERLINK(\"x\")", "kind": "school", "sector": "school_daycare",
             "address": "Vej 1; 2. sal", "phone": "", "email": "", "location_protected": False}]
    data = directory.to_csv(rows)
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    back, errors = directory.parse_csv(data)
    assert errors == [] and back[0].name == "'=HYPERLINK(\"x\")" and back[0].address == "Vej 1; 2. sal"


async def test_a_leader_keeps_the_directory_with_history(client):
    lene = await f.user("leder", username="lene2")
    await f.login(client, lene)
    created = await f.post_form(client, "/organisations", {
        "name": "Fjordskolen", "kind": "school", "address": "Skolevej 1"}, page="/organisations")
    assert created.status_code == 303
    org_id = int(created.headers["location"].rsplit("/", 1)[1])
    bad = await f.post_form(client, f"/organisations/{org_id}", {
        "name": "Fjordskolen", "kind": "school", "email": "ikke en adresse", "version": "1"},
        page=f"/organisations/{org_id}")
    assert bad.status_code == 422 and "ikke en e-mailadresse" in bad.text
    assert 'value="ikke en adresse"' in bad.text  # what was typed stays
    edited = await f.post_form(client, f"/organisations/{org_id}", {
        "name": "Fjordskolen", "kind": "school", "phone": "70 10 20 30", "version": "1"},
        page=f"/organisations/{org_id}")
    assert edited.status_code == 303
    stale = await f.post_form(client, f"/organisations/{org_id}", {
        "name": "Fjordskolen", "kind": "school", "phone": "70 10 20 31", "version": "1"},
        page=f"/organisations/{org_id}")
    assert stale.status_code == 409
    # The comparison in the form's words: labels, the type by its name, ja/nej.
    assert "<th scope=\"row\">Telefon</th><td>70 10 20 31</td><td>70 10 20 30</td>" in stale.text
    assert "<th scope=\"row\">Type</th>" not in stale.text  # the same on both sides
    assert ">location_protected<" not in stale.text and ">phone<" not in stale.text
    page = (await client.get(f"/organisations/{org_id}")).text
    assert "Telefon: »« → »70 10 20 30«" in page and "Oprettet: Fjordskolen" in page
    twin = await f.post_form(client, "/organisations", {"name": "fjordskolen", "kind": "school"},
                             page="/organisations")
    assert twin.status_code == 422 and "findes allerede" in twin.text


async def test_an_import_with_a_bad_row_imports_nothing_and_a_good_one_everything(client):
    admin = await f.user("admin")
    await f.login(client, admin)
    token = await f.csrf_token(client, "/organisations/")
    bad = GOOD + "Et sted;Bager;;;;;\r\n"
    response = await client.post("/organisations/import", data={"_csrf_token": token},
                                 files={"file": ("org.csv", bad.encode(), "text/csv")})
    assert response.status_code == 422
    assert "Intet er indlæst" in response.text and "Række 5: Ukendt type »Bager«" in response.text
    assert await Organisation.count() == 0
    file_input = re.search(r'<input id="org-file"[^>]*>', response.text).group(0)
    assert 'aria-invalid="true"' in file_input and 'aria-describedby="import-error"' in file_input
    for sent, message in (({}, "Vælg en CSV-fil."),  # no file chosen
                          ({"files": {"file": ("org.xlsx", b"PK\x03\x04\x00\xff\xfe binary",
                                                "application/octet-stream")}}, "Intet er indlæst")):
        refused = await client.post("/organisations/import", data={"_csrf_token": token}, **sent)
        assert refused.status_code == 422 and message in refused.text, refused.text[:300]
        assert 'aria-invalid="true"' in re.search(r'<input id="org-file"[^>]*>', refused.text).group(0)
    assert await Organisation.count() == 0
    response = await client.post("/organisations/import", data={"_csrf_token": token},
                                 files={"file": ("org.csv", GOOD.encode(), "text/csv")})
    assert response.status_code == 200 and "3 oprettet, 0 opdateret, 0 uændret" in response.text
    again = GOOD.replace("70 10 20 30", "70 10 20 31")
    response = await client.post("/organisations/import", data={"_csrf_token": token},
                                 files={"file": ("org.csv", again.encode(), "text/csv")})
    assert "0 oprettet, 1 opdateret, 2 uændret" in response.text
    export = await client.get("/organisations/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows, errors = directory.parse_csv(export.content)
    assert errors == [] and {r.name for r in rows} == {"Fjordskolen", "Sundhedsplejen Øst",
                                                        "Demoby Krisecenter"}
    assert await AuditEvent.count().where(AuditEvent.entity == "organisation") == 4


@pytest.mark.parametrize("role,read", [("socialraadgiver", 200), ("kontaktperson", 404),
                                       ("samordner", 404)])
async def test_others_read_or_not_but_never_write(client, role, read):
    user = await f.user(role)
    await f.login(client, user)
    assert (await client.get("/organisations/")).status_code == read
    response = await f.post_form(client, "/organisations", {"name": "X", "kind": "school"})
    assert response.status_code == 404
    assert await Organisation.count() == 0
