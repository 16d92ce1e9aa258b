"""``db.rows`` answers exactly what ``Table.select()`` answers, on both engines."""

from __future__ import annotations

from piccolo.table import Table

from coordinator import db, demo
from coordinator.agreements.tables import Agreement, AgreementParty
from coordinator.families.tables import Family, TeamMember
from coordinator.followup.tables import Stay
from coordinator.meetings.tables import (
    FatherAssessment,
    FgcCase,
    Meeting,
    MeetingPart,
    Participant,
)
from coordinator.network.tables import CaseFacts, KeepApart, Organisation, Person, Relation

TABLES: list[type[Table]] = [
    Family, TeamMember, Person, Relation, KeepApart, Organisation, CaseFacts, Meeting,
    MeetingPart, Participant, FgcCase, FatherAssessment, Stay, Agreement, AgreementParty,
]


async def test_same_rows_and_types_as_piccolo(app):
    await demo.load()
    family = (await Family.select(Family.id).order_by(Family.id).first())["id"]
    if not await CaseFacts.count():
        await CaseFacts.insert(CaseFacts(family=family))
    for table in TABLES:
        expected = await table.select().order_by(table._meta.primary_key)
        got = await db.rows(table, "1 = 1",
                            order_by=f'"{table._meta.primary_key._meta.db_column_name}"')
        assert expected, f"the demo has rows in {table._meta.tablename}"
        assert got == expected, table._meta.tablename
        for mine, theirs in zip(got, expected, strict=True):
            assert ({k: type(v) for k, v in mine.items()}
                    == {k: type(v) for k, v in theirs.items()}), table._meta.tablename


async def test_where_binds_values(app):
    await demo.load()
    family = (await Family.select(Family.id).order_by(Family.id).first())["id"]
    people = await db.rows(Person, '"family" = {}', family)
    assert people == await Person.select().where(Person.family == family).order_by(Person.id)
    hostile = "1; DROP TABLE person"
    assert await db.rows(Person, '"name" = {}', hostile) == []
    ids = [p["id"] for p in people][:3]
    assert [p["id"] for p in await db.rows(Person, f'"id" IN ({db.marks(ids)})', *ids)] == ids


async def test_rows_are_dicts_of_their_columns_inside_and_outside_a_transaction(app):
    """A statement's rows as dicts on both engines, in or out of a transaction; a name given
    twice keeps its later column, as ``dict`` of a driver's row does."""
    sql = 'SELECT 1 AS "a", 2 AS "a", {} AS "b" UNION ALL SELECT 3, 4, {}'
    expected = [{"a": 2, "b": "x"}, {"a": 4, "b": "y"}]
    assert await db.fetch(sql, "x", "y") == expected
    async with db.transaction():
        assert await db.fetch(sql, "x", "y") == expected
    assert await db.fetch('SELECT 1 AS "a" WHERE 1 = 0') == []
