"""The record store on SQLAlchemy Core: SQLite, and the base of the PostgreSQL store.

Layout (:mod:`.schema`): one ``records`` table, ``seq`` is the append position, times are
microseconds since the epoch (UTC), ``details`` is canonical JSON. The database itself refuses
UPDATE, DELETE and ``INSERT OR REPLACE`` on ``records`` (:mod:`.guards`), so the store stays
append-only whoever writes to the file. The schema is built by recorded migrations
(:mod:`.migrations`). Writes go through one writer: an in-process lock plus ``BEGIN
IMMEDIATE`` against other processes (:mod:`.db`). The store hands out the ports kept beside
the log on the same database: :meth:`SqlRecordStore.ledger`, :meth:`~SqlRecordStore.live_state`
and :meth:`~SqlRecordStore.journal` (:mod:`xinyong.system.ports`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Connection, Select, bindparam, func, insert, select

from xinyong.adapters.store.db import Database, Tx, bulk
from xinyong.adapters.store.ledger import Signer, chain_append, ledger_tail, write_anchor
from xinyong.adapters.store.migrations import migrate
from xinyong.adapters.store.schema import RECORD_COLUMNS, records_table
from xinyong.core.errors import InvalidRecord, RecordConflict, XinyongError
from xinyong.core.ledger.chain import entry_hash, extend
from xinyong.core.ledger.checkpoint import Checkpoint
from xinyong.core.records import FIELDS, Record
from xinyong.core.sanctions import Memorandum
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.timeutil import now
from xinyong.system.columnar import entry_hashes
from xinyong.system.record_rows import EPOCH, STATUS, from_micros, record_of, to_micros
from xinyong.system.record_store import (
    DEFAULT_FRAME_COLUMNS,
    FRAME_SCHEMA,
    AppendResult,
    Known,
    Problem,
    _iso,
    canonical,
    plan_append,
    reference_issue,
    wanted_ids,
)
from xinyong.system.schemes_io import all_memoranda, all_presets

if TYPE_CHECKING:  # imported where used: they import this package's modules
    from xinyong.adapters.journal import Journal
    from xinyong.adapters.ledger import StoreLedger
    from xinyong.adapters.state import LiveState

__all__ = ["SqlRecordStore", "fresh", "from_micros", "record_of", "records_table", "to_micros"]

COLUMNS = (*FIELDS, "content_hash")
"""The columns of a checked chunk (:meth:`SqlRecordStore.append_frames`): the record's
fields (times in microseconds since the epoch, details as canonical JSON) and its hash."""
_INSERT_COLUMNS = (*COLUMNS, "ingested_at", "writer")
_CHUNK = 10_000  # rows per executemany call
_LEDGER_RUN = 100_000
"""Ledger entries a bulk append writes at a time (one statement each run)."""
_ROWS_PER_INSERT = 100 if sqlite3.sqlite_version_info >= (3, 32, 0) else 60
"""Rows per INSERT statement of a columnar chunk (SQLite): 14 parameters each, within the
32,766 a statement may bind since SQLite 3.32 (999 before)."""
_SHARED_CANDIDATES = (
    "category",
    "source",
    "legal_basis",
    "evidence",
    "severity",
    "status",
    "refers_to",
    "details",
)
"""Text columns that often hold one value for a whole chunk (an agency's batch): such a
column is bound once per INSERT statement rather than once per row (see
:func:`_shared_values`). Not the amount: ``0.0`` and ``-0.0`` compare equal but are stored
(and hashed) apart, so it is shared only when it is null throughout."""
_LOOKUP_CHUNK = 50_000  # ids per set lookup
_FRAME_SLICE = 200_000  # rows fetched at a time by frame()
_US = timedelta(microseconds=1)
_str = str.__str__


class SqlRecordStore:
    """:class:`~xinyong.system.record_store.RecordStore` over a SQLAlchemy database URL."""

    inserts_in_process = True
    """The rows are inserted in this process (SQLite), not by a database server: the
    columnar admission leaves more of a body's checking to its worker process."""

    def __init__(
        self, url: str, *, signer: Signer | None = None, clock: Callable[[], datetime] = now
    ) -> None:
        self.signer = signer  # signs ledger checkpoints on append (see store.ledger)
        self.clock = clock  # the store's clock: stamps when each record is accepted
        self._db = Database(url)
        self._engine = self._db.engine
        self._with_lock = threading.Lock()
        self._with: dict[frozenset[str], tuple[int, set[str]]] = {}
        self._journal: Journal | None = None
        with self._db.writing() as conn:
            migrate(conn)
        insert_sql = insert(records_table).compile(
            dialect=self._engine.dialect, column_keys=list(_INSERT_COLUMNS)
        )
        self._insert_sql = str(insert_sql)
        self._positional = bool(insert_sql.positional)
        self._order = list(insert_sql.positiontup or _INSERT_COLUMNS)
        t = records_table.c
        # the set of wanted ids as one parameter (PostgreSQL: unnest of an array parameter)
        id_set = func.json_each(bindparam("ids")).table_valued("value")
        self._lookup = select(t.id, t.subject, t.status, t.content_hash).where(
            t.id.in_(select(id_set.c.value))
        )

    def __enter__(self) -> SqlRecordStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def wait_for_checkpoint(self) -> None:
        """Wait for the WAL checkpoint a bulk append leaves running after its commit
        (SQLite): then what it wrote is in the database file too."""
        self._db.wait_for_checkpoint()

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self._db.dispose()

    # -- the ports beside the records (xinyong.system.ports), on this store's database

    def ledger(self) -> StoreLedger:
        from xinyong.adapters.ledger import StoreLedger

        return StoreLedger(self._db)

    def live_state(
        self,
        schemes: dict[str, AnyScheme] | None = None,
        memoranda: Sequence[Memorandum] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> LiveState:
        from xinyong.adapters.state import LiveState

        return LiveState(
            self,
            schemes if schemes is not None else all_presets(),
            memoranda if memoranda is not None else all_memoranda(),
            clock if clock is not None else now,
        )

    def journal(self) -> Journal:
        from xinyong.adapters.journal import Journal

        if self._journal is None or self._journal.closed:
            self._journal = Journal(self._db)
        return self._journal

    # -- transactions

    def writing(self) -> Tx:
        """A write transaction (one writer at a time), for tables kept beside the log."""
        return self._db.writing()

    def reading(self) -> Tx:
        """A read transaction."""
        return self._db.reading()

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def _write(self) -> Tx:
        return self._db.writing()

    def _read(self) -> Tx:
        return self._db.reading()

    def _statement(self) -> Any:
        return self._db.statement()

    # -- writes

    def append(self, records: Sequence[Record], *, writer: str | None = None) -> AppendResult:
        if not records:
            return AppendResult(0, 0)
        with bulk():
            return self._append(records, writer)

    def accepted_us(self) -> int:
        """The acceptance instant of the next append, from the store's clock (never from the
        sender), in microseconds: the ``ingested_at`` of its rows and their ledger entries."""
        return to_micros(self.clock())

    def _append(self, records: Sequence[Record], writer: str | None = None) -> AppendResult:
        now = self.accepted_us()
        with self._write() as conn:
            known = self._known(conn, records)
            new = fresh(records, known)
            hashes = self._insert(conn, records, new, now, writer)
            plan = plan_append(records, hashes, known, limit=1)
            if plan.problems:  # rolls back the rows written
                raise _as_error(plan.problems[0])
            made = chain_append(conn, entries(hashes, new, writer, now), self.signer)
        write_anchor(self.signer, made)  # committed: now outside the store too
        return AppendResult(len(plan.new), plan.duplicates, tuple(new))

    def _insert(
        self,
        conn: Connection,
        records: Sequence[Record],
        new: list[bool],
        now: int,
        writer: str | None = None,
    ) -> list[str]:
        """Insert the records at the ``new`` positions; return every record's content hash.

        The caller checks the batch (:func:`plan_append`) afterwards and raises inside the
        transaction, so nothing is committed unless it passes. (Writing from a helper thread
        while this one encodes the next chunk was measured slower: sqlite3 takes the GIL back
        for every row it steps.)
        """
        rows = self._rows(records, now, writer)
        todo = rows if all(new) else [row for row, keep in zip(rows, new, strict=True) if keep]
        params = self._params(todo)
        for start in range(0, len(params), _CHUNK):
            conn.exec_driver_sql(self._insert_sql, params[start : start + _CHUNK])
        return [row[13] for row in rows]

    def append_frames(
        self,
        frames: Iterable[pl.DataFrame],
        *,
        writer: str | None = None,
        may_amend: Callable[[str], bool] | None = None,
    ) -> AppendResult:
        """:meth:`append` for a stream of checked columnar chunks (columns
        :data:`xinyong.system.columnar.COLUMNS`, produced while this writes), in one
        transaction: the same rules (duplicates skipped, conflicts and broken references
        refused: then nothing is written), the same rows, hashes and ledger entries.

        References are checked once every chunk is in (a record may refer to one later in
        the batch). ``may_amend(source)``: whether the writer may amend a record of that
        source (else :class:`InvalidRecord`, and nothing is written). An exception raised
        by ``frames`` rolls back too.
        """
        fresh_all: list[bool] = []
        made: list[Checkpoint] = []
        inserted = duplicates = 0
        refs: list[tuple[str, str, str, str, str]] = []  # id, subject, status, category, ref
        amended: set[str] = set()  # every id referred to, for may_amend
        now = self.accepted_us()
        with bulk(), self._write() as conn:
            self._lock_records(conn)
            self._db.checkpoint_after(conn)
            start = self._top_seq(conn)
            # the ledger rows are written a run of up to _LEDGER_RUN entries at a time
            run: tuple[int, list[str], list[str]] | None = None  # from, entries, chains
            for done in self._inserted(conn, frames, now, writer):
                frame, new = done.frame, done.new
                todo = frame.filter(pl.Series(new, dtype=pl.Boolean)) if not all(new) else frame
                if todo.height:
                    referring = todo.filter(pl.col("refers_to").is_not_null())
                    refs.extend(
                        referring.select("id", "subject", "status", "category", "refers_to").rows()
                    )
                    if run is None:
                        run = (done.after[0], [], [])
                    run[1].extend(done.entries)
                    run[2].extend(done.chains)
                    if len(run[1]) >= _LEDGER_RUN and done.last:  # every row in is chained
                        made += chain_append(conn, run[1], self.signer, chained=(run[0], run[2]))
                        run = None
                if may_amend is not None:  # every row, a re-sent one too (as the row path)
                    amended.update(frame.get_column("refers_to").drop_nulls().to_list())
                inserted += todo.height
                duplicates += frame.height - todo.height
                fresh_all.extend(new)
            if run is not None:
                made += chain_append(conn, run[1], self.signer, chained=(run[0], run[2]))
            if refs:
                self._check_references(conn, refs, start)
            if amended and may_amend is not None:
                sources = {got[3] for got in self._referents(conn, sorted(amended)).values()}
                if not all(may_amend(source) for source in sources):
                    raise InvalidRecord("a record of another agency is amended", field="refers_to")
        write_anchor(self.signer, made)  # committed: now outside the store too
        return AppendResult(inserted, duplicates, tuple(fresh_all))

    def _inserted(
        self, conn: Connection, frames: Iterable[pl.DataFrame], now: int, writer: str | None
    ) -> Iterator[Inserted]:
        """Insert each chunk's rows not stored yet (:meth:`_insert_fresh`), in order, and
        say which were, with the chain of their ledger entries (SQLite inserts in this
        thread: the chain is made after the chunk is in)."""
        tail: tuple[int, str] | None = None
        for frame in frames:
            if tail is None:
                tail = ledger_tail(conn)
            new = self._insert_fresh(conn, frame, now, writer)
            done = Inserted.of(frame, new, _entry_list(frame, writer, now), tail)
            tail = done.tail
            yield done

    def _insert_fresh(
        self,
        conn: Connection,
        frame: pl.DataFrame,
        now: int,
        writer: str | None,
    ) -> list[bool]:
        """Insert the rows of ``frame`` whose id is not stored yet (nor earlier in it);
        return which were. Optimistic: the whole chunk goes in under a savepoint, and only
        when the unique index on ids refuses a row is the chunk rolled back to it and its
        ids looked up (a re-sent batch), so a new batch costs no lookup. The same id with
        other content raises :class:`RecordConflict`."""
        if frame.height == 0:
            return []
        cur = _dbapi(conn).cursor()
        try:
            cur.execute("SAVEPOINT chunk")
            try:
                self._insert_frame(conn, frame, now, writer)
            except self._integrity_errors():
                cur.execute("ROLLBACK TO SAVEPOINT chunk")
                cur.execute("RELEASE SAVEPOINT chunk")
            else:
                cur.execute("RELEASE SAVEPOINT chunk")
                return [True] * frame.height
        finally:
            cur.close()
        return self._insert_looked_up(conn, frame, now, writer)

    def _insert_looked_up(
        self, conn: Connection, frame: pl.DataFrame, now: int, writer: str | None
    ) -> list[bool]:
        """Insert the rows of ``frame`` whose id is not stored yet (nor earlier in it), the
        chunk's ids looked up first; return which were."""
        ids = frame["id"].to_list()
        new = _fresh_in(ids, frame["content_hash"].to_list(), self._stored_hashes(conn, ids))
        if any(new):
            self._insert_frame(conn, frame.filter(pl.Series(new, dtype=pl.Boolean)), now, writer)
        return new

    def _integrity_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.IntegrityError,)

    def _lock_records(self, conn: Connection) -> None:
        """Nothing on SQLite: ``BEGIN IMMEDIATE`` holds the one write lock already."""

    def _top_seq(self, conn: Connection) -> int:
        return int(_raw(conn, select(func.coalesce(func.max(records_table.c.seq), 0)))[0][0])

    def _stored_hashes(self, conn: Connection, ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = json.dumps(ids[start : start + _LOOKUP_CHUNK])
            for rid, _s, _st, h in _raw(conn, self._lookup, {"ids": chunk}):
                out[rid] = h
        return out

    def _insert_frame(
        self,
        conn: Connection,
        frame: pl.DataFrame,
        now: int,
        writer: str | None,
    ) -> None:
        """Prepared INSERTs of :data:`_ROWS_PER_INSERT` rows each over the chunk (the stamp
        and the writer, the same for every row, written into the statement as literals):
        the parameters are the chunk's columns interleaved by slice assignment, with no
        tuple per row, and one statement step stores a hundred rows (measured on 1,000,000
        records: 3.3 s against 4.5 s for one row a statement). A column holding one value
        throughout the chunk (:func:`_shared_values`) is one numbered parameter that every
        row of a statement names, bound once (binding is most of the cost of a row: 2.55
        against 1.4-1.56 us a row with five of fourteen columns shared, on a table without
        indexes)."""
        k = _ROWS_PER_INSERT
        who = "NULL" if writer is None else "'" + writer.replace("'", "''") + "'"
        n = frame.height
        full = n - n % k
        shared = _shared_values(frame) if full else {}
        varying = [c for c in COLUMNS if c not in shared]
        m = len(varying)
        head = f"INSERT INTO records ({', '.join(_INSERT_COLUMNS)}) VALUES "
        cur = _dbapi(conn).cursor()
        try:
            if full:
                flat: list[Any] = [None] * (full * m)
                for j, name in enumerate(varying):
                    flat[j::m] = frame.get_column(name).head(full).to_list()
                w = k * m
                tail = list(shared.values())
                where = {c: f"?{w + 1 + i}" for i, c in enumerate(shared)}  # after the rows'
                rows = []
                for r in range(k):
                    at = {c: f"?{r * m + 1 + j}" for j, c in enumerate(varying)}
                    cells = (where[c] if c in where else at[c] for c in COLUMNS)
                    rows.append(f"({', '.join(cells)}, {int(now)}, {who})")
                cur.executemany(
                    head + ", ".join(rows), [flat[i : i + w] + tail for i in range(0, len(flat), w)]
                )
            if full < n:
                one = "(" + ", ".join("?" * len(COLUMNS)) + f", {int(now)}, {who})"
                cur.executemany(head + one, frame.slice(full).select(COLUMNS).rows())
        finally:
            cur.close()

    def _referents(
        self, conn: Connection, ids: list[str]
    ) -> dict[str, tuple[str, str, str, str, int]]:
        """id -> (subject, status, category, source, seq) of the stored ``ids``."""
        t = records_table.c
        out: dict[str, tuple[str, str, str, str, int]] = {}
        id_set = func.json_each(bindparam("ids")).table_valued("value")
        stmt = select(t.id, t.subject, t.status, t.category, t.source, t.seq).where(
            t.id.in_(select(id_set.c.value))
        )
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = json.dumps(ids[start : start + _LOOKUP_CHUNK])
            for rid, *rest in _raw(conn, stmt, {"ids": chunk}):
                out[rid] = (rest[0], rest[1], rest[2], rest[3], int(rest[4]))
        return out

    def _check_references(
        self,
        conn: Connection,
        refs: list[tuple[str, str, str, str, str]],
        start: int,
    ) -> None:
        """The rules of :func:`plan_append` for references, over the rows just written (a
        referent written by this batch, ``seq > start``, is judged with its category, as the
        row path judges one in the batch); the first problem raises."""
        found = self._referents(conn, sorted({r[4] for r in refs}))
        for rid, subject, status, category, ref in refs:
            got = found.get(ref)
            why = reference_issue(
                rid,
                subject,
                status,
                category,
                ref,
                None if got is None else (got[0], got[1], got[2] if got[4] > start else None),
            )
            if why is not None:
                raise InvalidRecord(why, field="refers_to")

    def check(
        self,
        records: Sequence[Record],
        *,
        limit: int = 50,
        where: Callable[[int], str] | None = None,
    ) -> list[Problem]:
        """Problems :meth:`append` would raise (up to ``limit``); ``where`` names positions."""
        with bulk(), self._read() as conn:
            hashes = [canonical(r)[1] for r in records]
            return plan_append(
                records,
                hashes,
                self._known(conn, records),
                where=where,
                limit=limit,
            ).problems

    @staticmethod
    def _rows(
        records: Sequence[Record], now: int, writer: str | None = None
    ) -> list[tuple[Any, ...]]:
        """One insert row per record, columns in ``_INSERT_COLUMNS`` order (hot path)."""
        out: list[tuple[Any, ...]] = []
        add = out.append
        r: Record | None = None
        texts: dict[int, str] = {}  # canonical text of each instant seen in this batch
        text = texts.get
        try:
            for r in records:
                occ = (r.occurred_at - EPOCH) // _US
                rec = (r.recorded_at - EPOCH) // _US
                o = text(occ)
                if o is None:
                    o = texts[occ] = _iso(r.occurred_at)
                c = text(rec)
                if c is None:
                    c = texts[rec] = _iso(r.recorded_at)
                dj, h = canonical(r, o, c)
                add(
                    (
                        r.id,
                        r.subject,
                        r.category,
                        occ,
                        rec,
                        r.source,
                        r.legal_basis,
                        r.evidence,
                        r.amount,
                        r.severity,
                        _str(r.status),  # the plain text of the StrEnum, fast
                        r.refers_to,
                        dj,
                        h,
                        now,
                        writer,
                    )
                )
        except TypeError:
            raise InvalidRecord(
                f"record {r.id if r else None!r} has a naive time; occurred_at and recorded_at "
                "must be timezone-aware (use xinyong.core.timeutil.parse_instant)",
                field="occurred_at",
            ) from None
        return out

    def _params(self, rows: list[tuple[Any, ...]]) -> list[Any]:
        """Rows in the dialect's parameter form (positional in column order for SQLite)."""
        if self._positional and self._order == list(_INSERT_COLUMNS):
            return rows
        if self._positional:
            pos = {c: k for k, c in enumerate(_INSERT_COLUMNS)}
            return [tuple(row[pos[c]] for c in self._order) for row in rows]
        return [dict(zip(_INSERT_COLUMNS, row, strict=True)) for row in rows]

    def _known(self, conn: Connection, records: Sequence[Record]) -> dict[str, Known]:
        """What is stored under the batch's ids and referred ids (chunked set lookups)."""
        if not _raw(conn, select(records_table.c.seq).limit(1)):
            return {}
        ids = sorted(wanted_ids(records))
        out: dict[str, Known] = {}
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = json.dumps(ids[start : start + _LOOKUP_CHUNK])
            for rid, subject, status, h in _raw(conn, self._lookup, {"ids": chunk}):
                out[rid] = Known(subject, STATUS[status], h)
        return out

    # -- reads

    def _get(self, conn: Connection, id: str) -> Record | None:
        row = conn.execute(select(*RECORD_COLUMNS).where(records_table.c.id == id)).first()
        return None if row is None else record_of(row)

    def get(self, id: str) -> Record | None:
        with self._read() as conn:
            return self._get(conn, id)

    def records_for(self, subject: str) -> list[Record]:
        t = records_table.c
        stmt = select(*RECORD_COLUMNS).where(t.subject == subject.strip().upper())
        with self._read() as conn:
            return [record_of(row) for row in conn.execute(stmt.order_by(t.seq))]

    def appended_after(self, seq: int) -> tuple[int, list[Record]]:
        """The log's last position and the records appended after position ``seq``, in
        append order (for work that follows the log: notices, the live state)."""
        t = records_table.c
        with bulk(), self._read() as conn:
            top = int(conn.scalar(select(func.max(t.seq))) or 0)
            if top <= seq:
                return top, []
            stmt = select(*RECORD_COLUMNS).where(t.seq > seq, t.seq <= top).order_by(t.seq)
            return top, [record_of(row) for row in _raw(conn, stmt)]

    def records_for_many(
        self, subjects: Sequence[str], categories: Collection[str] | None = None
    ) -> dict[str, list[Record]]:
        """Records of many subjects in one query: code -> records in append order.

        With ``categories``, only subjects having at least one record (any status) in one of
        them are returned (all their records); subjects left out have none. Codes are taken
        as stored (trimmed, upper case).
        """
        return {
            s: [record_of(row) for row in rows]
            for s, rows in self.rows_for_many(subjects, categories).items()
        }

    def rows_for_many(
        self, subjects: Sequence[str], categories: Collection[str] | None = None
    ) -> dict[str, list[tuple[Any, ...]]]:
        """As :meth:`records_for_many`, but raw rows: the record fields in ``FIELDS`` order
        (times in microseconds since the epoch, details as JSON text) then ``content_hash``.
        :func:`record_of` turns a row into a record."""
        wanted = sorted(set(subjects))
        out: dict[str, list[tuple[Any, ...]]] = {}
        if not wanted or (categories is not None and not categories):
            return out
        sql, params = self._many_sql(wanted, None if categories is None else sorted(categories))
        with self._statement() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        for row in rows:
            got = out.get(row[1])
            if got is None:
                out[row[1]] = [row]
            else:
                got.append(row)
        return out

    def subjects_with(self, categories: Collection[str]) -> set[str]:
        """Every subject with at least one record (any status) in ``categories``.

        Kept per set of categories and brought up to date from the append position (``seq``)
        on each call, so a call costs one ``max(seq)`` query plus the records appended since
        the last one. Appends are serialised (one writer), so every row up to the maximum
        seen is committed. The set returned is shared: read it, do not change it.
        """
        key = frozenset(categories)
        with self._with_lock, self._statement() as cur:
            cur.execute("SELECT max(seq) FROM records")
            top = cur.fetchone()
            last = int(top[0] or 0) if top is not None else 0
            done, found = self._with.get(key, (0, set()))
            if last > done:
                cats = sorted(key)
                if self._engine.dialect.name == "postgresql":
                    sql = (
                        "SELECT DISTINCT subject FROM records WHERE seq > %s AND seq <= %s "
                        "AND category = ANY(%s)"
                    )
                    cur.execute(sql, (done, last, cats))
                else:
                    sql = (
                        "SELECT DISTINCT subject FROM records WHERE seq > ? AND seq <= ? "
                        "AND category IN (SELECT value FROM json_each(?))"
                    )
                    cur.execute(sql, (done, last, json.dumps(cats)))
                found.update(row[0] for row in cur.fetchall())
                self._with[key] = (last, found)
        return found

    def _many_sql(self, subjects: list[str], categories: list[str] | None) -> tuple[str, Any]:
        cols = ", ".join((*FIELDS, "content_hash", "ingested_at"))
        if self._engine.dialect.name == "postgresql":
            if categories is None:
                return (
                    f"SELECT {cols} FROM records WHERE subject = ANY(%s) ORDER BY seq",
                    (subjects,),
                )
            return (
                f"SELECT {cols} FROM records WHERE subject = ANY(%s) AND subject IN "
                "(SELECT subject FROM records WHERE subject = ANY(%s) AND category = ANY(%s)) "
                "ORDER BY seq",
                (subjects, subjects, categories),
            )
        subj = json.dumps(subjects)
        if categories is None:
            return (
                f"SELECT {cols} FROM records WHERE subject IN "
                "(SELECT value FROM json_each(?)) ORDER BY seq",
                (subj,),
            )
        return (
            f"SELECT {cols} FROM records WHERE subject IN (SELECT DISTINCT subject FROM records "
            "WHERE subject IN (SELECT value FROM json_each(?)) AND category IN "
            "(SELECT value FROM json_each(?))) ORDER BY seq",
            (subj, json.dumps(categories)),
        )

    def subjects(self) -> list[str]:
        t = records_table.c
        with self._read() as conn:
            return list(conn.scalars(select(t.subject).distinct().order_by(t.subject)))

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.scalar(select(func.count()).select_from(records_table)) or 0)

    def scan(self, batch_size: int = 10_000) -> Iterator[list[Record]]:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        t = records_table.c
        with self._read() as conn:
            last = conn.scalar(select(func.max(t.seq)))
        if last is None:
            return
        after = 0
        while after < last:
            stmt = (
                select(t.seq, *RECORD_COLUMNS)
                .where(t.seq > after, t.seq <= last)
                .order_by(t.seq)
                .limit(batch_size)
            )
            with self._read() as conn:
                rows = _raw(conn, stmt)
            if not rows:
                return
            after = rows[-1][0]
            yield [record_of(row[1:]) for row in rows]

    def frame(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        cols = list(DEFAULT_FRAME_COLUMNS if columns is None else columns)
        unknown = [c for c in cols if c not in FRAME_SCHEMA]
        if unknown or len(set(cols)) != len(cols):
            raise ValueError(
                f"frame columns must be distinct names from {', '.join(FRAME_SCHEMA)}; "
                f"got unknown or repeated: {', '.join(unknown) or 'repeated names'}"
            )
        t = records_table.c
        stmt = select(*(t[c] for c in cols)).order_by(t.seq)
        raw = {c: _raw_type(FRAME_SCHEMA[c]) for c in cols}
        casts = [pl.col(c).cast(FRAME_SCHEMA[c]) for c in cols if raw[c] != FRAME_SCHEMA[c]]
        parts = [pl.DataFrame(schema=raw).with_columns(casts)]
        with bulk(), self._read() as conn:  # in slices: Python tuples cost more than columns
            for rows in _raw_batches(conn, stmt, size=_FRAME_SLICE):
                parts.append(pl.DataFrame(rows, schema=raw, orient="row").with_columns(casts))
        return pl.concat(parts, rechunk=True)


@dataclass(frozen=True, slots=True)
class Inserted:
    """A chunk of a bulk append, inserted: which of its rows were new (the others were
    stored already), their ledger entry hashes and chain hashes, and the ledger's end
    (position, chain hash) they follow."""

    frame: pl.DataFrame
    new: list[bool]
    entries: list[str]
    chains: list[str]
    after: tuple[int, str]
    last: bool = True
    """No row is stored beyond this chunk's yet (a store that inserts several chunks at
    once says so at the last of them): the ledger may be written up to here."""

    @classmethod
    def of(
        cls,
        frame: pl.DataFrame,
        new: list[bool],
        hashes: list[str],
        after: tuple[int, str],
    ) -> Inserted:
        """``hashes``: the entry hashes of every row; the chain of the new ones is made
        after ``after``."""
        entries = hashes if all(new) else [h for h, k in zip(hashes, new, strict=True) if k]
        return cls(frame, new, entries, extend(after[1], entries, after[0] + 1), after)

    @property
    def tail(self) -> tuple[int, str]:
        """The ledger's end after this chunk's entries."""
        if not self.chains:
            return self.after
        return self.after[0] + len(self.chains), self.chains[-1]


def _entry_list(frame: pl.DataFrame, writer: str | None, now: int) -> list[str]:
    """The ledger entry hash of each row of a checked chunk."""
    return frame.select(entry_hashes(pl.col("content_hash"), writer, now)).to_series().to_list()


def _shared_values(frame: pl.DataFrame) -> dict[str, Any]:
    """Column -> its one value, for the columns of :data:`_SHARED_CANDIDATES` (and the
    amount, when null throughout) that hold the same value in every row of ``frame``
    (null counting as a value); in :data:`COLUMNS` order."""
    if frame.height == 0:
        return {}
    same = frame.select(
        *(pl.col(c).eq_missing(pl.col(c).first()).all().alias(c) for c in _SHARED_CANDIDATES),
        pl.col("amount").is_null().all().alias("amount"),
    ).row(0, named=True)
    first = frame.row(0, named=True)
    return {c: first[c] for c in COLUMNS if same.get(c)}


def _dbapi(conn: Connection) -> Any:
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None, "connection is closed"
    return dbapi


def _fresh_in(ids: list[str], hashes: list[str], known: Mapping[str, str]) -> list[bool]:
    """Which positions of a chunk are inserted: the first of each id not stored (``known``:
    id -> stored content hash). The same id with another hash raises
    :class:`RecordConflict` (the caller's transaction rolls back)."""
    seen: dict[str, str] = {}
    out: list[bool] = []
    add = out.append
    for rid, h in zip(ids, hashes, strict=True):
        was = known.get(rid)
        if was is None:
            was = seen.get(rid)
            if was is None:
                seen[rid] = h
                add(True)
                continue
        if was != h:
            raise RecordConflict(
                f"id {rid!r} is already stored or in this batch with other content"
            )
        add(False)
    return out


def fresh(records: Sequence[Record], known: Mapping[str, Known]) -> list[bool]:
    """Which batch positions an append inserts: the first occurrence of each id not stored.

    (What :func:`plan_append` puts in ``new``; it does not depend on content hashes, so the
    rows can be written before the batch is checked, in the same transaction.)
    """
    seen: set[str] = set()
    out: list[bool] = []
    add = out.append
    for r in records:
        rid = r.id
        if rid in seen or rid in known:
            add(False)
        else:
            seen.add(rid)
            add(True)
    return out


def _raw(
    conn: Connection, stmt: Select[Any], params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run a Core statement straight on the DBAPI cursor, in ``conn``'s transaction.

    Same SQL as ``conn.execute`` but rows stay plain tuples: for the bulk reads (lookups,
    scan, frame), where per-row result objects cost more than the query.
    """
    return [row for batch in _raw_batches(conn, stmt, params) for row in batch]


def _raw_batches(
    conn: Connection,
    stmt: Select[Any],
    params: dict[str, Any] | None = None,
    size: int | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """:func:`_raw` in batches of ``size`` rows (all at once when ``None``)."""
    compiled = stmt.compile(dialect=conn.dialect)
    values = compiled.construct_params(params)
    args: Any = (
        tuple(values[k] for k in compiled.positiontup or ()) if compiled.positional else values
    )
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None, "connection is closed"
    cur = dbapi.cursor()
    try:
        cur.execute(str(compiled), args)
        if size is None:
            yield list(cur.fetchall())
            return
        while batch := cur.fetchmany(size):
            yield list(batch)
    finally:
        cur.close()


def _raw_type(target: pl.DataType) -> pl.DataType:
    """How a frame column comes out of the database before its final cast."""
    if isinstance(target, pl.Datetime):
        return pl.Int64()
    if isinstance(target, pl.Categorical):
        return pl.String()
    return target


def _as_error(p: Problem) -> XinyongError:
    if p.conflict:
        return RecordConflict(p.reason)
    return InvalidRecord(p.reason, field=p.field)


def entries(hashes: Sequence[str], new: Sequence[bool], writer: str | None, now: int) -> list[str]:
    """What the ledger chains for the records inserted (``new``): their entry hashes."""
    return [entry_hash(h, writer, now) for h, k in zip(hashes, new, strict=True) if k]
