"""`coordinator backup` / `coordinator restore`: round trip, online consistency, refusals.

Runs on the configured engine (SQLite, or PostgreSQL via TEST_DATABASE_URL); the CLI runs
as a subprocess, as an operator would run it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path

import pytest

from coordinator import db
from coordinator.auth.tables import LoginAttempt, User
from coordinator.backup import human_size, pg_connection
from coordinator.families.tables import Family
from tests.conftest import IN_CI, TEST_DATABASE_URL, all_tables

POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def coordinator_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "coordinator.cli", *args]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": TEST_DATABASE_URL, **(env or {})}
    return subprocess.run(coordinator_args(*args), env=environment, capture_output=True,
                           text=True, timeout=120)


def assert_one_line_failure(result: subprocess.CompletedProcess, *needles: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def client_tools():
    """The PostgreSQL tests need pg_dump and pg_restore."""
    if POSTGRES and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if IN_CI:
            pytest.fail("pg_dump/pg_restore are missing in CI")
        pytest.skip("pg_dump/pg_restore are not on PATH")


@asynccontextmanager
async def server_stopped():
    """Close this process's PostgreSQL pool (a running server) while restoring."""
    await db.stop()
    try:
        yield
    finally:
        await db.start()


async def snapshot() -> dict[str, list[dict]]:
    """Every row of every application table, in id order."""
    return {table._meta.tablename: await table.select().order_by(table._meta.primary_key)
            for table in all_tables()}


async def build_data(make):
    sara = await make.user("socialraadgiver", username="sara", full_name="Sara Holm")
    lene = await make.user("leder", username="lene")
    mikkel = await make.user("kontaktperson", username="mikkel")
    families = [await make.family(sara, mikkel, name="Familien Andersen"),
                await make.family(sara, name="Familien Berg"),
                await make.family(lene, mikkel, name="Familien Carlsen", at_crisis_centre=False)]
    return sara, families


async def test_backup_round_trip_restores_exactly_and_the_app_works(make, client, tmp_path):
    sara, families = await build_data(make)
    before = await snapshot()
    path = tmp_path / "coordinator.backup"

    result = run("backup", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]
    assert human_size(path.stat().st_size) in lines[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds every family's data

    await Family.delete().where(Family.id == families[0])
    await User.update({User.full_name: "Ændret Navn"}).where(User.id == sara.id)
    await make.user("admin", username="efter")
    assert await snapshot() != before

    async with server_stopped():
        result = run("restore", str(path))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1 and str(path) in result.stdout

    after = await snapshot()
    assert after == before
    assert len(after["family"]) == 3 and len(after["app_user"]) == 3
    assert await User.select(User.full_name).where(User.id == sara.id).first() == {
        "full_name": "Sara Holm"}
    assert await User.exists().where(User.username == "efter") is False

    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    await make.login(client, sara)  # writes a new session row after the restored ones
    assert (await client.get("/")).status_code == 200


def rows_in_backup(path: Path, table: str) -> list[int]:
    """The ids of one table as stored in a backup file (either engine)."""
    if not POSTGRES:
        with closing(sqlite3.connect(path)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            return [row[0] for row in copy.execute(f"SELECT id FROM {table} ORDER BY id")]
    dump = subprocess.run(["pg_restore", "--data-only", f"--table={table}", "--file=-", str(path)],
                          capture_output=True, text=True, check=True).stdout
    block = dump.split(f"COPY public.{table} ", 1)[1].split("\n\\.", 1)[0]
    return sorted(int(line.split("\t", 1)[0]) for line in block.splitlines()[1:])


@contextmanager
def held_open():
    """On SQLite, a connection held open as a busy server's are: recent writes stay in the WAL."""
    if POSTGRES:
        yield
        return
    from coordinator.settings import Settings

    with closing(sqlite3.connect(Settings(database_url=TEST_DATABASE_URL).sqlite_path)) as held:
        held.execute("SELECT count(*) FROM login_attempt").fetchall()
        yield


async def test_online_backup_while_another_task_writes_is_consistent(tmp_path):
    with held_open():
        await backup_while_writing(tmp_path)


async def backup_while_writing(tmp_path):
    written: list[int] = []
    stop = asyncio.Event()

    async def keep_writing():
        while not stop.is_set():
            async with db.transaction():
                rows = await LoginAttempt.insert(LoginAttempt(username=f"w{len(written)}",
                                                              client_address="10.0.0.1"))
            written.append(rows[0]["id"])
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    while len(written) < 50:
        await asyncio.sleep(0.01)
    before_backup = list(written)
    path = tmp_path / "online.backup"
    process = await asyncio.create_subprocess_exec(
        *coordinator_args("backup", str(path)), env={**os.environ, "DATABASE_URL": TEST_DATABASE_URL},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    during = len(written)
    stop.set()
    await writer
    assert process.returncode == 0, stderr.decode()
    assert during > len(before_backup), "the writer must keep writing during the backup"

    in_backup = rows_in_backup(path, "login_attempt")
    assert set(before_backup) <= set(in_backup)
    # One snapshot: a prefix of the committed writes, none torn or missing in between.
    assert in_backup == written[:len(in_backup)]


async def test_backup_restore_refuses_the_other_engine(make, tmp_path):
    await make.user("admin", username="bliver")
    path = tmp_path / "other-engine.backup"
    if POSTGRES:
        with closing(sqlite3.connect(path)) as other:
            other.execute("CREATE TABLE migration (id INTEGER PRIMARY KEY, name TEXT, "
                          "app_name TEXT, ran_on TEXT)")
        needles = ("SQLite backup", "PostgreSQL database")
    else:
        path.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(200))
        needles = ("PostgreSQL backup", "SQLite database")
    assert_one_line_failure(run("restore", "--force", str(path)), str(path), *needles)
    assert await User.exists().where(User.username == "bliver")


async def test_backup_restore_of_a_missing_file_is_one_line(tmp_path):
    missing = tmp_path / "nothing-here.backup"
    assert_one_line_failure(run("restore", str(missing)), str(missing), "no such file")


async def test_backup_into_a_missing_directory_is_one_line(tmp_path):
    target = tmp_path / "no" / "such" / "dir.backup"
    assert_one_line_failure(run("backup", str(target)), "does not exist")
    assert not target.exists()


async def test_backup_restore_refuses_while_the_server_may_run_unless_forced(make, client, tmp_path):
    user = await make.user("leder", username="aktiv")
    path = tmp_path / "busy.backup"
    assert run("backup", str(path)).returncode == 0
    await make.login(client, user)  # an active session: someone is using the server
    await make.user("admin", username="senere")

    with held_open():  # a server's open connection (on PostgreSQL: this process's pool)
        assert_one_line_failure(run("restore", str(path)), "server may be running", "--force")
    async with server_stopped():
        refused = run("restore", str(path))
    assert_one_line_failure(refused, "server may be running", "login session", "--force")
    assert await User.exists().where(User.username == "senere")

    async with server_stopped():
        with held_open():
            forced = run("restore", "--force", str(path))
    assert forced.returncode == 0, forced.stderr
    assert not await User.exists().where(User.username == "senere")
    assert await User.exists().where(User.username == "aktiv")


async def test_backup_restore_refuses_a_backup_from_a_newer_version(make, tmp_path):
    from piccolo.apps.migrations.tables import Migration

    path = tmp_path / "newer.backup"
    await Migration.insert(Migration(name="2999-01-01T00:00:00:000000", app_name="future"))
    try:
        assert run("backup", str(path)).returncode == 0
    finally:
        await Migration.delete().where(Migration.app_name == "future")
    async with server_stopped():
        result = run("restore", "--force", str(path))
    assert_one_line_failure(result, "newer coordinator", "future:2999-01-01")


async def test_backup_of_an_unreachable_database_names_the_setting(tmp_path):
    result = run("backup", str(tmp_path / "x.backup"),
                 env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"})
    assert_one_line_failure(result, "DATABASE_URL", "cannot be reached")


async def test_backup_without_pg_dump_on_path_is_one_line(tmp_path):
    result = run("backup", str(tmp_path / "x.backup"),
                 env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
                      "PATH": str(tmp_path)})
    assert_one_line_failure(result, "pg_dump", "not found on PATH")


def test_backup_passes_the_password_in_the_environment_not_the_command_line():
    dbname, env = pg_connection("postgresql://coord:s%40cret%2F1@db.example.org:6543/coord"
                                "?sslmode=require")
    assert "s%40cret" not in dbname and "s@cret" not in dbname
    assert dbname == "postgresql://coord@db.example.org:6543/coord?sslmode=require"
    assert env["PGPASSWORD"] == "s@cret/1"
