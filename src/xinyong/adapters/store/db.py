"""One database: its engine, its one writer lock and its transactions, shared by the record
store and everything kept beside the log (ledger, live state, journal): one connection pool
per store, whatever it holds.

SQLite: pragmas on every connection (WAL, ``synchronous=NORMAL``, a 30 s busy timeout,
recursive triggers so that ``INSERT OR REPLACE`` meets the DELETE guard), an
explicit ``BEGIN`` (``IMMEDIATE`` for writers), and one writer at a time in this process (the
lock) as in the database. An in-memory database is one connection shared by every thread, so
there reads take the lock too. PostgreSQL: the lock serialises this process's writers; across
processes the writers lock what they change.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import StaticPool


def now_us() -> int:
    """Now, in microseconds since the epoch."""
    return time.time_ns() // 1000


WAL_LIMIT = 64 * 1024 * 1024
"""Bytes a SQLite WAL file is cut back to after a checkpoint (``journal_size_limit``); past
it, :func:`checkpoint_wal` waits for readers to move on so the WAL can start over."""


def checkpoint_wal(dbapi_conn: Any, wal_path: str | None) -> str:
    """Checkpoint a SQLite WAL: PASSIVE (never waits) while the WAL is small, TRUNCATE when it
    has grown past :data:`WAL_LIMIT` (waits up to the busy timeout for readers to finish their
    transaction, then starts the WAL over), so a steady read load cannot make it grow without
    bound. Returns the mode used."""
    try:
        big = wal_path is not None and os.path.getsize(wal_path) > WAL_LIMIT
    except OSError:
        big = False
    mode = "TRUNCATE" if big else "PASSIVE"
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA wal_checkpoint({mode})")
    finally:
        cur.close()
    return mode


_CHECKPOINT_AFTER = "xinyong_checkpoint_after"

BULK_CACHE_KIB = 256 * 1024
"""SQLite's page cache (KiB) for the transaction of a bulk append, against 64 MiB otherwise:
the index on ``(subject, seq)`` takes rows in no order, and with the larger cache fewer of
its pages are spilled to the WAL and read back mid-transaction (measured on 1,000,000
records, alternated: 7.2-7.4 s against 7.8-7.9 s; 128 MiB 7.6 s, 1 GiB no better than 256).
Given back when the transaction ends."""


def _restore_autocheckpoint(conn: Connection, pages: int, cache: int) -> None:
    """Put back a connection's ``wal_autocheckpoint`` and ``cache_size`` after a bulk commit,
    on the DBAPI connection itself (through SQLAlchemy the statement would begin a
    transaction, and the store's ``BEGIN IMMEDIATE`` waits for another process's writer); a
    smaller cache frees the pages beyond it. A connection that cannot take them back is
    dropped from the pool rather than kept without checkpoints."""
    try:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
        dbapi.execute(f"PRAGMA cache_size={int(cache)}")
    except Exception:
        conn.invalidate()


PAGE_SIZE = 8192
"""Bytes a page of a new SQLite store: a bulk append costs less than with SQLite's default
4,096 (measured on 1,000,000 records, alternated: writer CPU 5.45-5.49 s against 5.86-5.92;
over HTTP, 10,000-record bodies, server CPU 9.3 against 10.0 us a record; 16,384 no better).
Set before the first table exists (SQLite ignores it after, and in WAL mode)."""


def _sqlite_setup(engine: Engine) -> None:
    """Pragmas on every connection; explicit BEGIN (IMMEDIATE for writers)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite must not BEGIN on its own
        cur = dbapi_conn.cursor()
        for pragma in (
            f"page_size={PAGE_SIZE}",  # a new store's; an existing one keeps its own
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
            "cache_size=-65536",
            f"journal_size_limit={WAL_LIMIT}",
            "recursive_triggers=ON",  # a REPLACE's delete meets the append-only guard
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('begin', 'DEFERRED')}")


class Database:
    """The engine of a SQLAlchemy URL, with the writer lock and transactions."""

    def __init__(self, url: str) -> None:
        self.memory = url == "sqlite://" or url.startswith("sqlite:///:memory:")
        if self.memory:  # one connection, every thread: else each thread has its own database
            self.engine = create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            self.engine = create_engine(url)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine)
        self.lock: threading.Lock | threading.RLock = (
            threading.RLock() if self.memory else threading.Lock()
        )
        self._checkpoint_lock = threading.Lock()
        self._checkpointer: threading.Thread | None = None
        self._checkpoint_again = False

    def writing(self) -> Tx:
        """A write transaction, one writer at a time (SQLite: ``BEGIN IMMEDIATE``)."""
        return Tx(self.engine, self.lock, "IMMEDIATE", self)

    @property
    def wal_path(self) -> str | None:
        """The SQLite WAL file of a store on disk (``None``: in memory, or PostgreSQL)."""
        db = self.engine.url.database
        if self.dialect != "sqlite" or self.memory or not db:
            return None
        return f"{db}-wal"

    def checkpoint_after(self, conn: Connection) -> None:
        """SQLite: let the write transaction on ``conn`` commit without checkpointing the
        WAL on the way (a bulk append's commit would otherwise copy everything it wrote into
        the database file before returning); a thread of this process checkpoints it right
        after, while the caller goes on (:meth:`dispose` waits for it). The transaction has
        a page cache of :data:`BULK_CACHE_KIB` meanwhile. Nothing on PostgreSQL."""
        if self.dialect == "sqlite" and not self.memory:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            was = dbapi.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            cache = dbapi.execute("PRAGMA cache_size").fetchone()[0]
            dbapi.execute("PRAGMA wal_autocheckpoint=0")
            dbapi.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
            conn.info[_CHECKPOINT_AFTER] = (int(was), int(cache))

    def _checkpoint_soon(self) -> None:
        with self._checkpoint_lock:
            self._checkpoint_again = True
            if self._checkpointer is not None and self._checkpointer.is_alive():
                return
            self._checkpointer = threading.Thread(
                target=self._checkpoint, name="wal-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def _checkpoint(self) -> None:
        while True:
            with self._checkpoint_lock:
                if not self._checkpoint_again:
                    return
                self._checkpoint_again = False
            try:
                dbapi = self.engine.raw_connection()
                try:
                    checkpoint_wal(dbapi, self.wal_path)
                finally:
                    dbapi.close()
            except Exception:
                return

    def wait_for_checkpoint(self) -> None:
        """Wait until the WAL checkpoint started by a bulk commit (if any) has finished."""
        t = self._checkpointer
        if t is not None:
            t.join()

    def reading(self) -> Tx:
        """A read transaction (one snapshot)."""
        return Tx(self.engine, self.lock if self.memory else None, "DEFERRED")

    @contextmanager
    def statement(self) -> Iterator[Any]:
        """A DBAPI cursor for reads that are each one statement, without an explicit
        transaction: a statement reads one consistent snapshot by itself (SQLite runs in
        autocommit mode here; on PostgreSQL the pool ends the implicit transaction when the
        connection goes back). The gates' hot path: it costs about a fifth of :meth:`reading`
        (measured 28 us against 129 us per empty use on SQLite)."""
        with self.lock if self.memory else _NO_LOCK:
            dbapi = self.engine.raw_connection()
            try:
                cur = dbapi.cursor()
                try:
                    yield cur
                finally:
                    cur.close()
            finally:
                dbapi.close()

    def dispose(self) -> None:
        self.wait_for_checkpoint()
        self.engine.dispose()


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_LOCK = _NoLock()


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Bulk appends and reads create millions of tuples and strings; with a large heap alive,
    the collector's full passes otherwise cost more than the work (measured: 1M records
    appended at 40k/s with it, 80k/s without). Nothing built here forms cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Tx:
    """A connection in one explicit transaction; commits on success (unless rolled back
    inside), rolls back on error."""

    def __init__(
        self,
        engine: Engine,
        lock: threading.Lock | threading.RLock | None,
        mode: str,
        db: Database | None = None,
    ) -> None:
        self._engine, self._lock, self._mode, self._db = engine, lock, mode, db

    def __enter__(self) -> Connection:
        if self._lock is not None:
            self._lock.acquire()
        try:
            self._conn = self._engine.connect().execution_options(begin=self._mode)
            self._tx = self._conn.begin()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        return self._conn

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._tx.is_active:
                pass
            elif t is None:
                self._tx.commit()
            else:
                self._tx.rollback()
        finally:
            later = self._conn.info.pop(_CHECKPOINT_AFTER, None)
            try:
                if later is not None:
                    _restore_autocheckpoint(self._conn, *later)
            finally:
                try:
                    self._conn.close()
                finally:
                    if self._lock is not None:
                        self._lock.release()
            if later is not None and t is None and self._db is not None:
                self._db._checkpoint_soon()
