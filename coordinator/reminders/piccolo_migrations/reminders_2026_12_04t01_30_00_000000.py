"""Reminders (issue 17, point 8): each user's choice of reminders (``reminder_preference``),
the opt-out links of reminder mails (``reminder_link``, hashes only) and the digests
decided per user and day (``digest_run``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="app_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-04T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminder preferences, opt-out links, digests decided"


def _params(default, null=False, length=None, unique=False, index=False):
    params = {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": unique,
        "index": index,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    if length is not None:
        params["length"] = length
    return params


def _user(unique=False):
    return {
        "references": User,
        "on_delete": OnDelete.cascade,
        "on_update": OnUpdate.cascade,
        "target_column": None,
        "null": True,
        "primary_key": False,
        "unique": unique,
        "index": True,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


TABLES = (
    ("ReminderPreference", "reminder_preference", (
        ("user", ForeignKey, "ForeignKey", _user(unique=True)),
        ("digest", Boolean, "Boolean", _params(True)),
        ("meeting_reminders", Boolean, "Boolean", _params(True)),
        ("updated_at", Timestamptz, "Timestamptz", _params(TimestamptzNow())),
    )),
    ("ReminderLink", "reminder_link", (
        ("token_hash", Varchar, "Varchar", _params("", length=64, unique=True)),
        ("address_hash", Varchar, "Varchar", _params("", length=64, index=True)),
        ("opted_out_at", Timestamptz, "Timestamptz", _params(None, null=True)),
        ("created_at", Timestamptz, "Timestamptz", _params(TimestamptzNow())),
    )),
    ("DigestRun", "digest_run", (
        ("key", Varchar, "Varchar", _params("", length=40, unique=True)),
        ("user", ForeignKey, "ForeignKey", _user()),
        ("day", Date, "Date", _params(DateNow())),
        ("items", Integer, "Integer", _params(0)),
        ("created_at", Timestamptz, "Timestamptz", _params(TimestamptzNow())),
    )),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="reminders", description=DESCRIPTION
    )
    for class_name, tablename, columns in TABLES:
        manager.add_table(class_name=class_name, tablename=tablename, schema=None,
                          columns=None)
        for name, column_class, column_class_name, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class_name,
                column_class=column_class,
                params=params,
                schema=None,
            )
    return manager
