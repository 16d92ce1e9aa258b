"""Piccolo's SQLite engine with pooled connections, a write lock and quick reads."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory


# Piccolo reads every INTEGER, BOOLEAN, DATE and TIMESTAMPTZ value through a converter that
# takes bytes or str, decodes and, for an integer, parses a Decimal: a few hundred
# nanoseconds for each value of each row, several per cent of a page on SQLite. sqlite3
# always gives a converter bytes, so these read them directly, with Piccolo's results
# (tests/test_db_sqlite_converters.py compares them). Registered once Piccolo's module has
# registered its own (the imports above).
def _integer_out(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:  # not stored as an integer ("1.0"): as Piccolo reads it
        return int(Decimal(value.decode("utf8")))


def _boolean_out(value: bytes) -> bool:
    return value == b"1"


def _date_out(value: bytes) -> datetime.date:
    return datetime.date.fromisoformat(value.decode("utf8"))


def _timestamptz_out(value: bytes) -> datetime.datetime:
    # Stored with its offset, +00:00, which ``fromisoformat`` reads as UTC itself: making
    # a copy with UTC put in (eight times the cost of the reading) only for the others.
    moment = datetime.datetime.fromisoformat(value.decode("utf8"))
    return moment if moment.tzinfo is datetime.UTC else moment.replace(tzinfo=datetime.UTC)


CONVERTERS = {"INTEGER": _integer_out, "BOOLEAN": _boolean_out, "DATE": _date_out,
              "TIMESTAMPTZ": _timestamptz_out}
for _type, _converter in CONVERTERS.items():
    sqlite3.register_converter(_type, _converter)

# The task inside ``PooledSQLiteEngine.writing()`` (a task it starts inherits the value, so
# the task itself is compared).
_HOLDER: ContextVar[asyncio.Task | None] = ContextVar("sqlite_write_lock_holder", default=None)


class _SQLitePool:
    """A few open autocommit connections of one event loop, handed out one query at a time."""

    def __init__(self, engine: PooledSQLiteEngine, size: int, identity: Any) -> None:
        self.engine = engine
        self.size = size
        self.identity = identity  # the database file's (device, inode) when opened
        self.retired = False
        self.created = 0
        self.idle: asyncio.Queue = asyncio.Queue()
        self.all: list = []
        self.loop = asyncio.get_running_loop()
        self.reader: sqlite3.Connection | None = None
        self.writer: _LoopWriter | None = None  # the write lock holder's connection
        self.spare: list = []  # idle connections for transactions (not counted in ``size``)
        self.looked_at = time.monotonic()  # when the file's identity was last compared

    def read_now(self, query: str, args: list[Any]) -> list[dict] | None:
        """Run a short read on the event loop's own thread, or None if it would wait.

        A statement through aiosqlite is a hop to the connection's thread and back
        (~0.1 ms of CPU); an indexed read in SQLite itself takes ~0.03 ms. In WAL mode a
        reader never waits for a writer; the connection has no busy timeout, so in the rare
        case that it would wait (recovery, a restore), the caller takes the thread instead.
        """
        if self.retired:
            return None
        if self.reader is None:
            self.reader = sqlite3.connect(
                self.engine.connection_kwargs["database"], timeout=0, isolation_level=None,
                detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
                check_same_thread=False)
            self.reader.execute("PRAGMA query_only = 1")  # a write here would be a bug
            self.reader.row_factory = dict_factory
        try:
            return self.reader.execute(query, args).fetchall()
        except sqlite3.OperationalError:
            return None

    def close_reader(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        if self.writer is not None:
            if not self.writer.busy:  # one in use is closed when it comes back
                self.writer.close_now()
            self.writer = None

    def release_writer(self, writer: _LoopWriter, committed: bool = False) -> None:
        """The loop writer back from a transaction: still inside one (a failed COMMIT or
        ROLLBACK), it is rolled back; it is closed if that fails or the file was replaced."""
        writer.busy = False
        if committed:
            self.committed(writer)
        if writer.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                writer.connection.rollback()
        if self.retired or writer.in_transaction or self.writer is not writer:
            writer.close_now()
            if self.writer is writer:
                self.writer = None

    def take_writer(self) -> _LoopWriter | None:
        """The connection that writes on the event loop's own thread, for the task that
        holds the write lock; None when it is in use (a transaction opened without the
        lock, such as Piccolo's own, gets a connection of its own instead)."""
        if self.retired:
            return None
        if self.writer is None:
            self.writer = _LoopWriter(self.engine.connection_kwargs)
        if self.writer.busy or self.writer.in_transaction:
            return None
        self.writer.busy = True
        return self.writer

    def write_now(self, query: str, args: list[Any] | None) -> list[dict] | None:
        """One write outside a transaction on the event loop's thread (the caller holds
        the write lock); None when the writer connection is in use or SQLite's lock is
        held by someone else (a write refused as locked did nothing: it may go again)."""
        writer = self.take_writer()
        if writer is None:
            return None
        try:
            rows = writer.run(query, args or [])
        except sqlite3.OperationalError as error:
            if not _LoopWriter.locked(error):
                raise
            return None
        finally:
            writer.busy = False
        self.committed(writer)
        return rows

    CHECKPOINT_COMMITS = 200

    def committed(self, writer: _LoopWriter) -> None:
        """Count a commit of the loop writer; every ``CHECKPOINT_COMMITS`` the WAL is
        checkpointed on a connection thread (SQLite's automatic checkpoint would run in the
        committing connection, on the event loop's thread)."""
        writer.commits += 1
        if writer.commits >= self.CHECKPOINT_COMMITS and self.checkpointing is None:
            writer.commits = 0
            self.checkpointing = asyncio.ensure_future(self.checkpoint())

    checkpointing: asyncio.Future | None = None

    async def checkpoint(self) -> None:
        """Copy the WAL back into the database as far as no reader needs it (PASSIVE: it
        never waits for readers or writers), on a connection thread."""
        try:
            await self.engine._run_pooled(self, "PRAGMA wal_checkpoint(PASSIVE)", [])
        except sqlite3.Error:
            pass  # the next one catches up; SQLite also checkpoints when the last one closes
        finally:
            self.checkpointing = None

    async def acquire(self):
        if self.idle.empty() and self.created < self.size:
            self.created += 1
            try:
                connection = await self.engine.open_pooled()
            except BaseException:
                self.created -= 1
                raise
            self.all.append(connection)
            return connection
        return await self.idle.get()

    def release(self, connection) -> None:
        if self.retired:
            self.discard(connection)
        else:
            self.idle.put_nowait(connection)

    def discard(self, connection) -> asyncio.Future:
        self.created -= 1
        self.all.remove(connection)
        return asyncio.ensure_future(connection.close())

    async def acquire_for_transaction(self):
        """A connection of its own for one transaction: an idle spare, or a new one."""
        if self.spare:
            return self.spare.pop()
        return await self.engine.open_pooled()

    def release_from_transaction(self, connection) -> asyncio.Future | None:
        """Keep the connection for the next transaction, unless it is unfit (still inside
        a transaction after a failed COMMIT or ROLLBACK), the file was replaced, or enough
        are kept already; then it is closed."""
        if self.retired or connection.in_transaction or len(self.spare) >= self.SPARE:
            return asyncio.ensure_future(connection.close())
        self.spare.append(connection)
        return None

    SPARE = 4

    async def retire(self) -> None:
        """The file was replaced (restore, tests): close idle connections before anyone opens
        the new file (SQLite misreads a new file while a handle on the old one is open: "disk
        I/O error"); connections in use are closed when they come back."""
        self.retired = True
        self.close_reader()
        closing = [asyncio.ensure_future(c.close()) for c in self.spare]
        self.spare.clear()
        while not self.idle.empty():
            closing.append(self.discard(self.idle.get_nowait()))
        if closing:
            await asyncio.gather(*closing, return_exceptions=True)

    async def close(self) -> None:
        if self.checkpointing is not None:
            with contextlib.suppress(Exception):
                await self.checkpointing
        self.close_reader()
        for connection in [*self.all, *self.spare]:
            await connection.close()
        self.all.clear()
        self.spare.clear()
        self.created = 0


async def _set_pragmas(connection: Any) -> None:
    """Every connection that may write.

    - foreign_keys: SQLite enforces them (and their cascades) only when asked.
    - synchronous=NORMAL (WAL): a commit is fsynced at the next checkpoint, not on its own.
      The database stays consistent and a commit survives the process crashing; only an
      operating-system crash or power loss can undo the last ones. FULL costs an fsync
      (~3-4 ms) per commit under the write lock, which every page read pays for its audit
      record (bench/results/NOTES.md).
    - recursive_triggers: the hidden delete of INSERT OR REPLACE fires DELETE triggers, so
      a row replaced into another family still replaces the old family's content stamp.
    """
    for pragma in _PRAGMAS:
        await connection.execute(pragma)


_PRAGMAS = ("PRAGMA foreign_keys = 1", "PRAGMA synchronous = NORMAL",
            "PRAGMA recursive_triggers = 1")


def _is_read(query: str) -> bool:
    """Only a plain SELECT counts as a read; anything else (WITH … DELETE included) queues
    for the write lock."""
    return query.lstrip()[:6].upper() == "SELECT"


class _WriterFileLock:
    """The writers of every process on one database file take turns here, an exclusive
    ``flock`` on a file beside it, before they meet on SQLite's own lock.

    A writer that finds SQLite's file locked by another process sleeps in SQLite's busy
    handler (1, 2, 5 … 100 ms) however soon the other commits: with two server processes
    the audit records of one waited on the other's, and the machine stood idle a third of
    the time under load. The kernel wakes a ``flock`` waiter as soon as the holder lets go.
    The lock only orders the writers: SQLite's lock still guards the file (a writer outside
    this engine, such as the sqlite3 shell, still waits in the busy handler).

    Every hold has a descriptor of its own (a ``flock`` belongs to the open file, so a
    waiter that gave up can never release another writer's hold), and closing it lets go.
    A contended lock is waited for on a daemon thread (one per process, so a busy thread
    pool never delays it and a waiting thread never keeps a process from exiting); a waiter
    that gave up meanwhile, or whose event loop has closed, closes the descriptor itself
    once the lock is taken (``_Wait``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._held: int | None = None  # the current holder's descriptor
        self._waits: queue.SimpleQueue[_Wait] | None = None
        self._pid = 0

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except PermissionError:  # another OS user's lock file: a lock needs only reading
            return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)

    async def acquire(self) -> None:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        else:
            self._held = fd
            return
        wait = _Wait(fd, asyncio.get_running_loop())
        self._waiter().put(wait)
        try:
            await wait.done
        except BaseException:
            wait.abandon()  # given up: the descriptor is closed, now or once taken
            raise
        self._held = fd

    def release(self) -> None:
        fd, self._held = self._held, None
        if fd is not None:
            os.close(fd)  # lets go of the lock

    def _waiter(self) -> queue.SimpleQueue[_Wait]:
        if self._waits is None or self._pid != os.getpid():  # a forked child starts its own
            self._waits = queue.SimpleQueue()
            self._pid = os.getpid()
            threading.Thread(target=_wait_in_turn, args=(self._waits,), daemon=True,
                             name="sqlite-writer-lock").start()
        return self._waits


class _Wait:
    """One writer waiting for the file lock on the waiting thread: exactly one of the
    thread (lock taken after the writer gave up, or its loop gone) and the writer (gave up
    after the lock was taken) closes the descriptor when the writer will not hold it."""

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop) -> None:
        self.fd = fd
        self.loop = loop
        self.done: asyncio.Future[None] = loop.create_future()
        self._state = threading.Lock()
        self._taken = False
        self._abandoned = False

    def take(self) -> None:
        """On the waiting thread."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        with self._state:
            self._taken = True
            if self._abandoned:
                os.close(self.fd)
                return
        try:
            self.loop.call_soon_threadsafe(self._hand_over)
        except RuntimeError:  # the loop has closed: nobody will hold it
            self.abandon()

    def fail(self, failure: OSError) -> None:
        """On the waiting thread: the lock could not be taken."""
        with self._state:
            self._abandoned = True
        os.close(self.fd)
        with contextlib.suppress(RuntimeError):  # the loop has closed
            self.loop.call_soon_threadsafe(self._fail, failure)

    def _fail(self, failure: OSError) -> None:
        if not self.done.done():
            self.done.set_exception(failure)

    def _hand_over(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
        elif self.done.cancelled():
            self.abandon()

    def abandon(self) -> None:
        with self._state:
            if self._abandoned:
                return
            self._abandoned = True
            if self._taken:
                os.close(self.fd)


def _wait_in_turn(waits: queue.SimpleQueue[_Wait]) -> None:
    while True:
        wait = waits.get()
        try:
            wait.take()
        except OSError as failure:  # the lock cannot be taken: the writer hears why
            wait.fail(failure)


class _Ran:
    """``execute``'s result, awaitable as aiosqlite's is: Piccolo awaits it for a
    transaction's BEGIN, COMMIT, ROLLBACK and SAVEPOINTs (its statements go through
    ``PooledSQLiteEngine._run_in_existing_connection``, which calls ``run``)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    def __await__(self):
        yield from ()
        return self.cursor


class _LoopWriter:
    """A connection whose statements run on the event loop's own thread, for the task
    that holds the write lock.

    Through aiosqlite, every statement of a write transaction is a hop to the
    connection's thread and back, and between the hops the event loop runs the other
    requests' steps (a page's rendering takes milliseconds): under load a transaction of
    a few statements held the write lock for 25–40 ms, the lock was held 80 % of the time,
    and every page's audit record queued behind it while the processors stood idle
    (``bench/results/NOTES.md``). Here a statement runs at once (an indexed write in WAL
    mode without a sync at commit takes tens of microseconds), so the lock is held for
    the transaction's own work. A long transaction (an import) still lets the other
    requests in every ``YIELD_SECONDS``; nobody else can use this connection meanwhile.
    """

    YIELD_SECONDS = 0.02

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        # timeout=0: the file lock orders this engine's writers, but SQLite's own lock can
        # still be held by someone else (Piccolo's own transactions, which do not queue for
        # the write lock, a migration, a checkpoint of a restore, the sqlite3 shell): waiting
        # for them here would stop the whole event loop, so the write goes to a connection
        # thread instead (``locked``). Checkpoints are not run here either (they write the
        # database file back and sync it): ``_SQLitePool.checkpoint`` runs them off the loop.
        self.connection = sqlite3.connect(
            connection_kwargs["database"], timeout=0, isolation_level=None,
            detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
            check_same_thread=False)
        self.connection.row_factory = dict_factory
        for pragma in (*_PRAGMAS, "PRAGMA wal_autocheckpoint = 0"):
            self.connection.execute(pragma)
        self.busy = False
        self.commits = 0  # since the last checkpoint
        self._since_yield = time.monotonic()

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    @staticmethod
    def locked(error: sqlite3.OperationalError) -> bool:
        """Whether SQLite refused a statement because another connection holds its lock."""
        primary = getattr(error, "sqlite_errorcode", 0) & 0xFF  # without the extended part
        return primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)

    def run(self, query: str, args: list[Any]) -> list:
        return self.connection.execute(query, args).fetchall()

    def execute(self, query: str, args: Any = None) -> _Ran:
        return _Ran(self.connection.execute(query, args or []))

    async def pause(self) -> None:
        """Let the other requests in when this transaction has run for a while."""
        if time.monotonic() - self._since_yield > self.YIELD_SECONDS:
            await asyncio.sleep(0)
            self._since_yield = time.monotonic()

    def begin(self) -> None:
        self._since_yield = time.monotonic()

    def close_now(self) -> None:
        self.connection.close()


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, but statements outside a transaction reuse open connections.

    Piccolo opens a new aiosqlite connection (a new thread, a new file handle and a PRAGMA)
    for every statement outside a transaction; on the family page (~17 statements) that
    was most of the database time (bench/results/NOTES.md). Connections are autocommit
    (``isolation_level=None``), so every statement is its own transaction exactly as
    before; transactions still get a connection of their own. When the file is replaced
    (restore, a test run starting from scratch) the open connections are retired.
    """

    POOL_SIZE = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pools: dict[int, _SQLitePool] = {}
        self._write_locks: dict[int, tuple[Any, asyncio.Lock]] = {}
        self._writers = _WriterFileLock(f"{self.connection_kwargs['database']}-writer.lock")

    async def open_pooled(self) -> Any:
        """A connection like ``get_connection``'s whose worker thread does not keep the
        process alive: a process that ends without ``db.stop()`` (a failed command, a test
        run stopped by -x) would otherwise hang at exit on the pool's idle threads."""
        pending = aiosqlite.connect(**self.connection_kwargs)
        thread = getattr(pending, "_thread", None)
        if thread is not None:
            thread.daemon = True
        connection = await pending
        # aiosqlite types row_factory as a class; sqlite3 accepts any (cursor, row) callable.
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await _set_pragmas(connection)
        return connection

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        """A transaction on a kept connection (``_PooledTransaction``)."""
        return _PooledTransaction(engine=self, transaction_type=transaction_type,
                                  allow_nested=allow_nested)

    async def get_connection(self) -> Any:
        """A new connection with the same settings as the pooled ones."""
        connection = await super().get_connection()
        await _set_pragmas(connection)
        return connection

    def _identity(self) -> Any:
        try:
            stat = os.stat(self.connection_kwargs["database"])
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino)

    # How long a look at the file's identity holds. Every statement asked (a stat per
    # statement: a system call, so the event loop gave up the GIL to the connection threads
    # and waited to get it back, 5 % of the server's time under load); the statements of a
    # request now share one look. A file replaced in between (restore --force, a test run
    # starting from scratch) is a separate command that takes far longer than this.
    IDENTITY_FRESH_SECONDS = 0.05

    async def _pool(self) -> _SQLitePool | None:
        """This loop's pool for the current file; None while the file does not exist."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(id(loop))
        now = time.monotonic()
        if (pool is not None and pool.loop is loop and not pool.retired
                and now - pool.looked_at < self.IDENTITY_FRESH_SECONDS):
            return pool
        identity = self._identity()
        if pool is not None and pool.loop is loop and pool.identity == identity:
            pool.looked_at = now
            return pool
        if pool is not None:
            del self._pools[id(loop)]
            if pool.loop is loop:
                await pool.retire()
        if identity is None:  # the first statement creates the file: no pool for it yet
            return None
        pool = self._pools[id(loop)] = _SQLitePool(self, self.POOL_SIZE, identity)
        return pool

    async def close_pool(self) -> None:
        """Close the current event loop's open connections (at process end)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        pool = self._pools.pop(id(loop), None)
        if pool is not None:
            await pool.close()

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None):
        pool = await self._pool()
        if pool is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        if not _is_read(query):
            return await self._write(pool, query, args)
        return await self._run_pooled(pool, query, args)

    async def _write(self, pool: _SQLitePool, query: str, args: list[Any] | None) -> list:
        """A write outside a transaction: in turn, on the loop's thread when it can."""
        async with self.writing():
            rows = pool.write_now(query, args)
            if rows is not None:
                return rows
            return await self._run_pooled(pool, query, args)

    async def _run_in_existing_connection(self, connection, query: str,
                                          args: list[Any] | None = None,
                                          query_type: str = "generic", table: Any = None):
        """Piccolo's, but on the loop writer a statement runs at once (its pragmas were set
        when it opened, so not again before every statement)."""
        if isinstance(connection, _LoopWriter):
            await connection.pause()
            return connection.run(query, args or [])
        return await super()._run_in_existing_connection(connection, query, args, query_type,
                                                         table)

    async def fetch_direct(self, query: str, args: list[Any], quick: bool) -> list[dict]:
        """A hand-written statement (``?`` placeholders) outside a transaction. A ``quick``
        read (an indexed lookup, the caller vouches) runs on this thread when it would not
        wait; other reads go through the pool, writes in turn through the write lock."""
        pool = await self._pool()
        if pool is None:
            return await super()._run_in_new_connection(query, args)
        if not _is_read(query):
            return await self._write(pool, query, args)
        if quick:
            rows = pool.read_now(query, args)
            if rows is not None:
                return rows
        return await self._run_pooled(pool, query, args)

    WRITE_WAIT_SECONDS = 30  # as long as SQLite's own busy timeout (piccolo_conf)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Hold the write lock: this event loop's, then the one of every process on the file;
        or fail as SQLite would ("database is locked") when it is not free within
        WRITE_WAIT_SECONDS."""
        lock = self.write_lock()
        try:
            async with asyncio.timeout(self.WRITE_WAIT_SECONDS):
                await lock.acquire()
                try:
                    await self._writers.acquire()
                except BaseException:
                    lock.release()
                    raise
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        holder = _HOLDER.set(asyncio.current_task())
        try:
            yield
        finally:
            _HOLDER.reset(holder)
            self._writers.release()
            lock.release()

    def holds_write_lock(self) -> bool:
        """Whether the current task is inside ``writing()``."""
        return _HOLDER.get() is asyncio.current_task()

    @property
    def writer_lock_path(self) -> str:
        """The file every process's writers take turns on (``_WriterFileLock``)."""
        return self._writers.path

    def write_lock(self) -> asyncio.Lock:
        """This event loop's writers queue here, in order, instead of meeting on SQLite's
        lock: a writer that finds the file locked sleeps in SQLite's busy handler (1, 2,
        5 … 100 ms) and under load the sleeps become the slowest requests."""
        loop = asyncio.get_running_loop()
        owner, lock = self._write_locks.get(id(loop), (None, None))
        if owner is not loop or lock is None:  # a closed loop's id can be reused
            lock = asyncio.Lock()
            self._write_locks[id(loop)] = (loop, lock)
        return lock

    async def _run_pooled(self, pool: _SQLitePool, query: str, args: list[Any] | None):
        connection = await pool.acquire()
        try:
            # one hop to the connection's thread (execute + fetch + close), not three
            rows = await connection.execute_fetchall(query, args or [])
        except sqlite3.Error:
            pool.release(connection)
            raise
        except BaseException:  # cancelled mid-statement: do not hand this one out again
            pool.discard(connection)
            raise
        pool.release(connection)
        return rows


class _PooledTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction on a connection kept between transactions.

    Piccolo opens a new aiosqlite connection for every transaction (a new thread, a file
    handle and the PRAGMAs) and closes it at the end: ~5 ms of CPU per transaction, which
    every write and every audited read paid (bench/results/NOTES.md). Here the connection
    comes from this loop's pool's spares and goes back there after COMMIT or ROLLBACK; one
    that is still inside a transaction (the COMMIT failed) is closed instead. The rest is
    Piccolo's own logic; the context is reset even when the COMMIT fails.
    """

    pool: _SQLitePool | None = None  # where the connection goes back

    async def get_connection(self):
        engine = self.engine
        assert isinstance(engine, PooledSQLiteEngine)
        self.pool = await engine._pool()
        if self.pool is None:  # the file does not exist yet (the first migration creates it)
            return await engine.get_connection()
        if self.transaction_type is TransactionType.immediate and engine.holds_write_lock():
            writer = self.pool.take_writer()
            if writer is not None:
                writer.begin()
                return writer
        return await self.pool.acquire_for_transaction()

    async def begin(self):
        """BEGIN on the loop writer; when SQLite's lock is held by someone else the
        transaction goes to a connection thread of its own and waits there (as every
        transaction did before the loop writer). A BEGIN that fails gives the writer back
        (Piccolo does not call ``__aexit__`` then)."""
        connection = self.connection
        if isinstance(connection, _LoopWriter) and self.pool is not None:
            try:
                connection.run(f"BEGIN {self.transaction_type.value}", [])
                return
            except sqlite3.OperationalError as error:
                self.pool.release_writer(connection)
                if not _LoopWriter.locked(error):
                    raise
            except BaseException:
                self.pool.release_writer(connection)
                raise
            self.connection = await self.pool.acquire_for_transaction()
        await super().begin()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        connection, pool = self.connection, self.pool
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            if not isinstance(connection, _LoopWriter):
                await connection.close()
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            if isinstance(connection, _LoopWriter) and pool is not None:
                pool.release_writer(connection, committed=self._committed)
        if isinstance(connection, _LoopWriter):
            return exception is None
        if pool is None or pool.loop is not asyncio.get_running_loop():
            await connection.close()
        else:
            closing = pool.release_from_transaction(connection)
            if closing is not None:
                await closing
        return exception is None
