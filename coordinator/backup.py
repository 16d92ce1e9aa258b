"""Backup and restore of the whole database, on SQLite and on PostgreSQL.

A backup file is the engine's own format, so the engine's tools read it in an emergency:
an SQLite database file (taken online with SQLite's backup API while the server writes)
or a ``pg_dump --format=custom`` archive. The file says what it is: the engine by its
format header (``SQLite format 3`` / ``PGDMP``), the migration state by the Piccolo
``migration`` table inside it. Restore refuses a file of the other engine and a file made
by a newer version of coordinator (migrations this code does not know).

Every file is written to a temporary name in the target directory, verified, fsynced and
renamed, so a failed or interrupted run never leaves a half-written backup or database.

Restore refuses while the target server may be running (unless forced):
- another process has the database open now (SQLite: an exclusive lock cannot be taken;
  PostgreSQL: another connection to the database exists), or
- a login session was active within SESSION_IDLE_MINUTES (someone may be using the server;
  on SQLite the server holds no connection between requests, so this is the visible sign).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.conf.apps import Finder

from coordinator import clock

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
ENGINE_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(RuntimeError):
    """Backup or restore cannot go ahead; the message is one line, naming the cause."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: its engine, its migrations (app, name) and its size."""

    path: Path
    engine: str
    migrations: frozenset[tuple[str, str]]
    size: int

    def describe(self) -> str:
        """'12.3 MB, SQLite, 7 migrations' for the one-line report."""
        return (f"{human_size(self.size)}, {ENGINE_LABEL[self.engine]}, "
                f"{len(self.migrations)} migrations")


def human_size(size: int) -> str:
    """A byte count as people read it (1024-based, one decimal)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def engine_of_file(path: Path) -> str:
    """'sqlite' or 'postgresql' from the file's format header; BackupError otherwise."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BackupError(f"{path}: is a directory, not a backup file") from None
    except PermissionError:
        raise BackupError(f"{path}: permission denied") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path}: not a coordinator backup (neither an SQLite file nor a pg_dump archive)")


def code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration (app, id) this version of coordinator ships."""
    manager = BaseMigrationManager()
    found: set[tuple[str, str]] = set()
    for app in Finder().get_app_registry().app_configs.values():
        modules = manager.get_migration_modules(app.resolved_migrations_folder_path)
        found.update((app.app_name, name) for name in manager.get_migration_ids(modules))
    return frozenset(found)


def check_restorable(info: BackupInfo, target_engine: str) -> None:
    """Refuse a backup of the other engine or one made by a newer coordinator."""
    if info.engine != target_engine:
        raise BackupError(
            f"{info.path}: this is a {ENGINE_LABEL[info.engine]} backup; DATABASE_URL names a "
            f"{ENGINE_LABEL[target_engine]} database – restore it into {ENGINE_LABEL[info.engine]}")
    unknown = info.migrations - code_migrations()
    if unknown:
        names = ", ".join(f"{app}:{name}" for app, name in sorted(unknown)[:3])
        raise BackupError(f"{info.path}: made by a newer coordinator (unknown migrations: {names}); "
                          "upgrade before restoring")


def recent_sessions_reason(last_seen: list, idle_minutes: int) -> str | None:
    """Why the server may be in use, judged by the newest session activity (or None)."""
    moments = [_as_utc(value) for value in last_seen if value is not None]
    if not moments:
        return None
    newest = max(moments)
    if clock.now() - newest < timedelta(minutes=idle_minutes):
        return (f"a login session was active at {newest:%Y-%m-%d %H:%M} UTC "
                f"(within SESSION_IDLE_MINUTES={idle_minutes})")
    return None


def _as_utc(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# Files --------------------------------------------------------------------------------


@contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A private (0600) temporary file in target's directory, removed unless renamed."""
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: the directory does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{temporary}{suffix}").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit_file(temporary: Path, target: Path) -> None:
    """Make temporary durable, then atomically put it in target's place."""
    _fsync(temporary)
    os.replace(temporary, target)
    _fsync(target.parent)


# SQLite -------------------------------------------------------------------------------


def _sqlite_migrations(connection: sqlite3.Connection, path: Path) -> frozenset[tuple[str, str]]:
    try:
        rows = connection.execute("SELECT app_name, name FROM migration").fetchall()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path}: not a coordinator database (no migration table)") from None
    return frozenset((app, name) for app, name in rows)


def _sqlite_integrity(connection: sqlite3.Connection, path: Path) -> None:
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: the copy is damaged ({exc})") from None
    if result != [("ok",)]:
        raise BackupError(f"{path}: integrity_check failed ({result[0][0]})")


def backup_sqlite(database: Path, destination: Path) -> BackupInfo:
    """Copy a live SQLite database consistently (writers may go on) into destination."""
    if not database.is_file():
        raise BackupError(f"DATABASE_URL: no SQLite database at {database}")
    with _temporary_beside(destination) as temporary:
        with closing(sqlite3.connect(database, timeout=30)) as source, \
                closing(sqlite3.connect(temporary)) as copy:
            # pages=-1: one step under one read transaction, so the copy is one snapshot;
            # in WAL mode the server's writers are not blocked meanwhile.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            _sqlite_integrity(copy, destination)
            migrations = _sqlite_migrations(copy, destination)
        _commit_file(temporary, destination)
    return BackupInfo(destination, "sqlite", migrations, destination.stat().st_size)


def read_sqlite_backup(path: Path) -> BackupInfo:
    """Describe an SQLite backup file without changing it."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        migrations = _sqlite_migrations(connection, path)
    return BackupInfo(path, "sqlite", migrations, path.stat().st_size)


def sqlite_in_use(database: Path, idle_minutes: int) -> str | None:
    """Why a server may be using this SQLite database now (None: nothing suggests it)."""
    if not database.exists():
        return None
    with closing(sqlite3.connect(database, timeout=0)) as probe:
        try:
            # Exclusive locking mode needs the file to itself, even in WAL mode.
            probe.execute("PRAGMA locking_mode=EXCLUSIVE")
            probe.execute("BEGIN EXCLUSIVE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return "another process has the database open"
        try:
            rows = probe.execute("SELECT last_seen_at FROM app_session").fetchall()
        except sqlite3.DatabaseError:
            return None
    return recent_sessions_reason([row[0] for row in rows], idle_minutes)


def _checkpoint(database: Path) -> None:
    """Fold the old database's WAL into it, so a crash mid-restore leaves it whole."""
    if not Path(f"{database}-wal").exists():
        return
    try:
        with closing(sqlite3.connect(database, timeout=5)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError:
        pass  # a damaged database is what is being replaced


def restore_sqlite(backup: Path, database: Path, *, force: bool, idle_minutes: int) -> BackupInfo:
    """Replace the SQLite database with the backup, atomically."""
    info = read_sqlite_backup(backup)
    check_restorable(info, "sqlite")
    reason = None if force else sqlite_in_use(database, idle_minutes)
    if reason:
        raise BackupError(f"{database}: the server may be running ({reason}); "
                          "stop it first or pass --force")
    database.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(database) as temporary:
        with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as source, \
                closing(sqlite3.connect(temporary)) as copy:
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=WAL")  # as the server runs it
            _sqlite_integrity(copy, backup)
        if database.exists():  # keep the owner's chosen permissions
            os.chmod(temporary, stat.S_IMODE(database.stat().st_mode))
        _checkpoint(database)
        # A stale -wal beside the new file would be replayed into it: remove it first.
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        _commit_file(temporary, database)
    return info


# PostgreSQL ---------------------------------------------------------------------------


def _client_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name}: not found on PATH; install the PostgreSQL client tools "
                          "(same major version as the server or newer)")
    return found


def pg_connection(database_url: str) -> tuple[str, dict[str, str]]:
    """The --dbname argument without the password, and an environment carrying it.

    The password travels in PGPASSWORD, never on a command line other users can read.
    """
    parts = urlsplit(database_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    dbname = urlunsplit(("postgresql", f"{user}{host}{port}", parts.path, parts.query, ""))
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
    return dbname, env


def _run_tool(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        first = message[0] if message else f"exit code {result.returncode}"
        raise BackupError(f"{what}: {first}")
    return result


def read_pg_backup(path: Path) -> BackupInfo:
    """Check a pg_dump archive is readable (pg_restore --list) and read its migrations."""
    pg_restore = _client_tool("pg_restore")
    env = dict(os.environ)
    _run_tool([pg_restore, "--list", str(path)], env, f"{path}: pg_restore --list failed")
    data = _run_tool([pg_restore, "--data-only", "--table=migration", "--file=-", str(path)],
                     env, f"{path}: cannot read the migration table").stdout.decode()
    return BackupInfo(path, "postgresql", _copy_migrations(data, path), path.stat().st_size)


def _copy_migrations(sql: str, path: Path) -> frozenset[tuple[str, str]]:
    """(app, name) pairs from the COPY block pg_restore prints for the migration table."""
    lines = sql.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("COPY public.migration "))
    except StopIteration:
        raise BackupError(f"{path}: not a coordinator backup (no migration table)") from None
    columns = lines[start].split("(", 1)[1].split(")", 1)[0].split(", ")
    found = set()
    for line in lines[start + 1:]:
        if line == "\\.":
            break
        row = dict(zip(columns, line.split("\t"), strict=True))
        found.add((row["app_name"], row["name"]))
    return frozenset(found)


async def _pg_state(database_url: str) -> tuple[int, frozenset[tuple[str, str]], list]:
    """Other connections, applied migrations and session activity of the live database."""
    try:
        connection = await asyncpg.connect(dsn=database_url, timeout=10)
    except Exception as exc:  # any driver error means "cannot reach it"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BackupError(f"DATABASE_URL: the database cannot be reached ({reason})") from None
    try:
        others = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        migrations: frozenset = frozenset()
        last_seen: list = []
        if await connection.fetchval("SELECT to_regclass('public.migration') IS NOT NULL"):
            rows = await connection.fetch("SELECT app_name, name FROM public.migration")
            migrations = frozenset((row["app_name"], row["name"]) for row in rows)
        if await connection.fetchval("SELECT to_regclass('public.app_session') IS NOT NULL"):
            last_seen = [row[0] for row in await connection.fetch(
                "SELECT last_seen_at FROM public.app_session")]
        return others, migrations, last_seen
    finally:
        await connection.close()


def backup_postgres(database_url: str, destination: Path) -> BackupInfo:
    """pg_dump --format=custom the database into destination, then verify the archive."""
    pg_dump = _client_tool("pg_dump")
    asyncio.run(_pg_state(database_url))  # one clear line when the database is unreachable
    dbname, env = pg_connection(database_url)
    with _temporary_beside(destination) as temporary:
        _run_tool([pg_dump, "--format=custom", "--no-password", f"--file={temporary}",
                   f"--dbname={dbname}"], env, "pg_dump failed")
        info = read_pg_backup(temporary)
        _commit_file(temporary, destination)
    return BackupInfo(destination, "postgresql", info.migrations, destination.stat().st_size)


def restore_postgres(backup: Path, database_url: str, *, force: bool,
                     idle_minutes: int) -> BackupInfo:
    """pg_restore the archive over the database, in one transaction."""
    info = read_pg_backup(backup)
    check_restorable(info, "postgresql")
    others, live_migrations, last_seen = asyncio.run(_pg_state(database_url))
    newer = live_migrations - info.migrations
    if newer:
        # --clean drops only what the archive holds; tables of later migrations would stay.
        raise BackupError(f"{backup}: the database has {len(newer)} migrations the backup "
                          "lacks; restore into an empty database, then run coordinator migrate")
    if not force:
        reason = (f"{others} other connections to the database" if others
                  else recent_sessions_reason(last_seen, idle_minutes))
        if reason:
            raise BackupError(f"DATABASE_URL: the server may be running ({reason}); "
                              "stop it first or pass --force")
    pg_restore = _client_tool("pg_restore")
    dbname, env = pg_connection(database_url)
    _run_tool([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
               "--no-password", f"--dbname={dbname}", str(backup)], env, "pg_restore failed")
    return info


# Entry points -------------------------------------------------------------------------


def backup(settings, destination: Path) -> BackupInfo:
    """Back up the database named by settings into destination."""
    if settings.engine == "sqlite":
        return backup_sqlite(settings.sqlite_path, destination)
    return backup_postgres(settings.database_url, destination)


def restore(settings, source: Path, *, force: bool = False) -> BackupInfo:
    """Restore the backup file source into the database named by settings."""
    file_engine = engine_of_file(source)
    idle = settings.session_idle_minutes
    if file_engine != settings.engine:
        check_restorable(BackupInfo(source, file_engine, frozenset(), 0), settings.engine)
    if settings.engine == "sqlite":
        return restore_sqlite(source, settings.sqlite_path, force=force, idle_minutes=idle)
    return restore_postgres(source, settings.database_url, force=force, idle_minutes=idle)
