"""The `coordinator` command: serve, migrate, demo, worker, apply-reply, create-user, backup, restore, purge.

Configuration errors and an unreachable database end the command with one line that
names the setting, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Any, NoReturn

from coordinator import clock
from coordinator.auth.roles import Role
from coordinator.settings import Settings, SettingsError, use_settings


def _fail(message: str) -> NoReturn:
    print(f"coordinator: {message}", file=sys.stderr)
    raise SystemExit(2)


def _settings(**defaults: Any) -> Settings:
    """The command's settings, read once from the environment and made the process's own;
    ``defaults`` are the command's own defaults for options the environment leaves unset."""
    try:
        settings = Settings.from_env(defaults=defaults)
    except SettingsError as exc:
        _fail(str(exc))
    use_settings(settings)
    return settings


def _migrate(settings: Settings) -> None:
    """Configure the database engine from ``settings`` (every command that touches the
    database comes here first) and apply the pending migrations."""
    from coordinator import db

    db.configure(settings)
    try:
        asyncio.run(db.migrate())
    except db.DatabaseUnavailable as exc:
        _fail(f"DATABASE_URL: the database cannot be reached ({exc})")


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the app built from ``settings``. Several workers are processes of their own
    that each build the app from the same environment (``coordinator.asgi``), so a command
    with defaults of its own (``demo``) serves with one."""
    import uvicorn

    from coordinator.app import create_app, settle_collector

    app: Any = "coordinator.asgi:app"  # each worker process builds and settles its own
    if workers == 1:
        # One process has no other to hand its connections to (KEEPALIVE_REQUESTS).
        app = create_app(dataclasses.replace(settings, keepalive_requests=0))
        settle_collector()
    print(f"coordinator: serving on http://{host}:{port} ({settings.engine})", flush=True)
    uvicorn.run(app, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=settings.trusted_proxy_headers)


def cmd_migrate(args: argparse.Namespace) -> None:
    _migrate(_settings())
    print("coordinator: the database is up to date")


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings()
    _migrate(settings)
    _serve(settings, args.host, args.port, args.workers)


def cmd_demo(args: argparse.Namespace) -> None:
    # The demo is served over plain http on this machine; browsers drop Secure cookies there.
    # Its links (answer links in the mails, feed addresses) point at where it is served.
    settings = _settings(cookie_secure=False, public_base_url=f"http://{args.host}:{args.port}")
    _migrate(settings)
    from coordinator import demo

    created = asyncio.run(demo.load())
    print("coordinator: demo data " + ("loaded" if created else "already present"))
    names = [user[0] for user in demo.USERS]
    print(f"coordinator: log in as {', '.join(names[:-1])} or {names[-1]} – password: demo")
    _serve(settings, args.host, args.port, 1)


def cmd_create_user(args: argparse.Namespace) -> None:
    settings = _settings()
    _migrate(settings)
    password = os.environ.get("COORDINATOR_PASSWORD") or getpass.getpass("Adgangskode: ")
    from coordinator.auth import service

    try:
        user_id = asyncio.run(service.create_user(
            args.username, args.name, args.role, password, email=args.email or "",
            unit=args.unit or ""))
    except ValueError as exc:
        _fail(str(exc))
    print(f"coordinator: created user {args.username} (id {user_id})")


def cmd_backup(args: argparse.Namespace) -> None:
    settings = _settings()
    from coordinator import backup

    try:
        info = backup.backup(settings, Path(args.path))
    except backup.BackupError as exc:
        _fail(str(exc))
    print(f"coordinator: backup written to {info.path} ({info.describe()})")


def cmd_restore(args: argparse.Namespace) -> None:
    settings = _settings()
    from coordinator import backup

    try:
        info = backup.restore(settings, Path(args.path), force=args.force)
    except backup.BackupError as exc:
        _fail(str(exc))
    print(f"coordinator: restored {info.path} ({info.describe()}); start the server again")


def cmd_purge(args: argparse.Namespace) -> None:
    settings = _settings()
    _migrate(settings)

    from coordinator.gdpr import service as gdpr

    async def run() -> gdpr.PurgeReport:
        from coordinator import db

        await db.start()
        try:
            return await gdpr.purge(clock.today(), settings.retention_days, dry_run=args.dry_run)
        finally:
            await db.stop()

    report = asyncio.run(run())
    verb = "would pseudonymise" if args.dry_run else "pseudonymised"
    print(f"coordinator: {verb} {len(report.families)} famil{'y' if len(report.families) == 1 else 'ies'} "
          f"closed before {report.cutoff.isoformat()} (RETENTION_DAYS={settings.retention_days})")
    for line in report.lines():
        print(f"  {line}")


def cmd_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    if not settings.smtp_url:
        _fail("SMTP_URL: is empty, so invites stay in the outbox; set it to run the worker")
    from datetime import timedelta

    from coordinator.invites import worker

    try:
        worker.parse_smtp_url(settings.smtp_url)
    except worker.SmtpConfigError as exc:
        _fail(str(exc))
    _migrate(settings)
    handled = asyncio.run(worker.run(settings, once=args.once, poll_seconds=args.poll,
                                     lease=timedelta(seconds=args.lease), limit=max(1, args.batch)))
    if args.once:
        print(f"coordinator: worker handled {handled} message(s)")


def cmd_apply_reply(args: argparse.Namespace) -> None:
    settings = _settings()
    _migrate(settings)
    from coordinator.invites import replies
    from coordinator.invites.ical import CalendarParseError

    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {args.file}: {exc.strerror}")

    async def apply() -> list:
        from coordinator import db

        await db.start()
        try:
            return await replies.apply_inbound(raw, settings)
        finally:
            await db.stop()

    try:
        outcomes = asyncio.run(apply())
    except CalendarParseError as exc:
        _fail(str(exc))
    for outcome in outcomes:
        print(f"coordinator: {outcome.uid}: {outcome.reason}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="coordinator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve the web application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending database migrations (idempotent)")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="migrate, load fictitious demo data, and serve")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)

    create = sub.add_parser("create-user", help="create an account (password from "
                                                "COORDINATOR_PASSWORD or a prompt)")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="full name")
    create.add_argument("--role", required=True,
                        choices=[role.value for role in Role])
    create.add_argument("--email")
    create.add_argument("--unit")
    create.set_defaults(func=cmd_create_user)

    backup = sub.add_parser("backup", help="write a consistent backup of the database to PATH "
                                           "(SQLite online copy or pg_dump archive)")
    backup.add_argument("path", metavar="PATH")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="replace the database with the backup in PATH "
                                             "(stop the server first)")
    restore.add_argument("path", metavar="PATH")
    restore.add_argument("--force", action="store_true",
                         help="restore even though the server may be running")
    restore.set_defaults(func=cmd_restore)
    purge = sub.add_parser("purge", help="pseudonymise families closed more than "
                                         "RETENTION_DAYS ago (idempotent)")
    purge.add_argument("--dry-run", action="store_true", help="print what would change")
    purge.set_defaults(func=cmd_purge)
    worker = sub.add_parser("worker", help="deliver queued invites over SMTP (SMTP_URL)")
    worker.add_argument("--once", action="store_true", help="stop when nothing is due")
    worker.add_argument("--poll", type=float, default=5.0, help="seconds between polls")
    worker.add_argument("--lease", type=float, default=120.0,
                        help="seconds a claimed message stays reserved for this worker")
    worker.add_argument("--batch", type=int, default=20, help="messages claimed at a time")
    worker.set_defaults(func=cmd_worker)

    reply = sub.add_parser("apply-reply", help="apply the iTIP REPLY in a raw e-mail FILE")
    reply.add_argument("file", metavar="FILE")
    reply.set_defaults(func=cmd_apply_reply)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `coordinator` console script."""
    # Drivers warn on stderr before we can say it in one line; the line below says it.
    warnings.filterwarnings("ignore", message=".*Unable to connect")
    if hasattr(signal, "SIGUSR1"):
        # The caches' report (coordinator/cache.py) is for serving processes, which install
        # its handler when they start; any other command (an outbox worker, a migration)
        # ignores the signal rather than end, as its default would.
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
