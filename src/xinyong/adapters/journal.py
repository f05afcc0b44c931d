"""The service's own append-only tables, beside the records: objections and the access log.

``objection_events``: one row per event of an objection case (filed, review started, decided,
reconsideration requested and decided, closed), numbered per case (``n``: a second writer of
the same event number fails instead of forking the case); the case is the fold of its events
(:mod:`xinyong.core.objection_case`). ``notices``: one row per notice of an adverse change
sent to a subject. ``access_log``: one row per credit-file read or gate check:
who (role, name), whom (subject), why (the stated purpose), what, when. All refuse UPDATE and
DELETE in the database (triggers, as for ``records``), on SQLite and PostgreSQL.

The tables are declared with the store's (:mod:`xinyong.adapters.store.schema`) and created by
its recorded migration ``0004_journal``; the journal (``store.journal()``) runs on the store's
connections and writer lock (:class:`~xinyong.adapters.store.db.Database`).

Finding a subject's reads needs the log by subject. On PostgreSQL that is an index on
``access_log``. On SQLite such an index makes every check-batch dirty about one index page
per subject checked, written to the WAL at each commit (measured: ten times the cost of the
rows themselves), so there the log is written in append order only and a derived table,
``access_log_by_whom`` (subject, seq), is filled in bulk, sorted, by a background thread
(``access_log_indexed`` records how far); :meth:`Journal.reads_of` first brings it up to
date, so what it answers is never behind the log. SQLite assigns ``seq`` inside its single
write transaction, so rows commit in ``seq`` order and "up to seq N" is a complete prefix.
The same thread checkpoints the WAL, which commits on the request path then never do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import PoolProxiedConnection

from xinyong.adapters.store.db import Database, checkpoint_wal, now_us
from xinyong.adapters.store.schema import (
    access_log_by_whom,
    access_log_table,
    notice_marks,
    notices_table,
    objection_events_table,
    public_receipts,
)
from xinyong.core.errors import XinyongError
from xinyong.core.notices import Notice
from xinyong.core.objection_case import CaseEvent
from xinyong.core.timeutil import iso
from xinyong.system.ports import Access
from xinyong.system.record_rows import from_micros, to_micros

__all__ = ["Access", "Journal"]

#: Rows indexed per step, and the rows logged that wake the indexer before its interval.
_INDEX_STEP = 100_000
_INDEX_WAKE = 50_000
_INDEX_EVERY_S = 10.0

#: One step of the SQLite indexer, as one write transaction: the first statement takes the
#: write lock and records the new mark; the range between the two latest marks is then
#: indexed, sorted so that each index page is written once.
_MARK_SQL = """INSERT INTO access_log_indexed (upto) SELECT min(
    (SELECT coalesce(max(seq), 0) FROM access_log),
    coalesce((SELECT upto FROM access_log_indexed ORDER BY seq DESC LIMIT 1), 0) + ?)"""
#: SQLite: one access-log row per subject of a JSON array, in the array's order.
_MANY_SQL = """INSERT INTO access_log (at, role, who, whom, why, what)
    SELECT ?, ?, ?, value, ?, ? FROM json_each(?) ORDER BY key"""
_MARKS_SQL = "SELECT upto FROM access_log_indexed ORDER BY seq DESC LIMIT 2"
_FILL_SQL = """INSERT INTO access_log_by_whom (whom, seq) SELECT whom, seq FROM access_log
    WHERE seq > ? AND seq <= ? ORDER BY whom, seq"""
_LOG_COLUMNS = ("at", "role", "who", "whom", "why", "what")


class Journal:
    """Objection events, notices and the access log in the store's database."""

    def __init__(self, db: Database) -> None:
        self._db = db  # the store's: its engine, its writer lock
        self._sqlite = db.dialect == "sqlite"
        self._logged = 0  # rows logged since the indexer last ran
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._indexer: threading.Thread | None = None
        self._writer: PoolProxiedConnection | None = None
        self.closed = False
        if self._sqlite and not db.memory:
            self._indexer = threading.Thread(
                target=self._index_in_background, name="access-log-indexer", daemon=True
            )
            self._indexer.start()
        logged = insert(access_log_table).compile(
            dialect=db.engine.dialect, column_keys=list(_LOG_COLUMNS)
        )
        self._log_sql = str(logged)
        self._log_order = list(logged.positiontup or ()) if logged.positional else None

    def close(self) -> None:
        """Stop the indexer and give back the log's connection (the store closes the rest)."""
        self.closed = True
        if self._indexer is not None:
            self._stop.set()
            self._wake.set()
            self._indexer.join(timeout=60)
            self._indexer = None
        with self._db.lock:
            if self._writer is not None:
                self._writer.cursor().execute("PRAGMA wal_autocheckpoint=1000")  # the default
                self._writer.close()
                self._writer = None

    # -- the SQLite log by subject

    def index_pending(self, step: int = _INDEX_STEP) -> int:
        """Bring ``access_log_by_whom`` up to the log (SQLite); return the rows indexed."""
        if not self._sqlite:
            return 0
        done = 0
        while True:
            with self._db.writing() as conn:
                conn.exec_driver_sql(_MARK_SQL, (step,))
                marks = [int(r[0]) for r in conn.exec_driver_sql(_MARKS_SQL)]
                upto, before = marks[0], marks[1] if len(marks) > 1 else 0
                if upto <= before:
                    conn.rollback()
                    return done
                conn.exec_driver_sql(_FILL_SQL, (before, upto))
            done += upto - before

    def _index_in_background(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(_INDEX_EVERY_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self._logged:
                    self._logged = 0
                    self.index_pending()
                dbapi = self._db.engine.raw_connection()  # autocommit: outside a transaction
                try:
                    checkpoint_wal(dbapi, self._db.wal_path)
                finally:
                    dbapi.close()
            except Exception:  # retried next time; reads_of brings the index up to date itself
                continue

    # -- access log

    def log(self, reads: Sequence[Access]) -> None:
        """Append one access-log row per read, in one transaction (driver-level executemany:
        a check-batch logs up to a thousand rows per request)."""
        if not reads:
            return
        now = now_us()
        if self._log_order == list(_LOG_COLUMNS):
            self._append([(now, a.role, a.who, a.whom, a.why, a.what) for a in reads])
            return
        rows = [
            {"at": now, "role": a.role, "who": a.who, "whom": a.whom, "why": a.why, "what": a.what}
            for a in reads
        ]
        params: list[Any] = rows
        if self._log_order is not None:
            params = [tuple(r[c] for c in self._log_order) for r in rows]
        self._append(params)

    def log_reads(self, role: str, who: str, whom: Sequence[str], why: str, what: str) -> None:
        """:meth:`log` of one read of each of ``whom`` by the same caller for the same reason
        (a check-batch): one row per subject, the rows built without :class:`Access`."""
        if self._log_order != list(_LOG_COLUMNS):
            self.log([Access(role, who, s, why, what) for s in whom])
            return
        if not whom:
            return
        now = now_us()
        if self._indexer is None or len(whom) == 1:
            self._append([(now, role, who, s, why, what) for s in whom])
            return
        # SQLite file: one statement over the subjects as one JSON array, rows in its order
        # (the per-row binding of ``executemany`` measured about twice the cost)
        self._append([(now, role, who, why, what, orjson.dumps(list(whom)).decode())], _MANY_SQL)

    def _append(self, params: list[Any], sql: str | None = None) -> None:
        if self._indexer is None:  # PostgreSQL, or SQLite in memory (one shared connection)
            with self._log_tx() as conn:
                conn.exec_driver_sql(sql or self._log_sql, params)
        else:  # SQLite file: the driver directly, on a connection kept for the log
            with self._db.lock:
                if self._writer is None:
                    self._writer = self._db.engine.raw_connection()
                    # the indexer checkpoints the WAL; commits on the request path never do
                    self._writer.cursor().execute("PRAGMA wal_autocheckpoint=0")
                cur = self._writer.cursor()
                try:
                    cur.execute("BEGIN IMMEDIATE")
                    cur.executemany(sql or self._log_sql, params)
                    cur.execute("COMMIT")
                except BaseException:
                    self._writer.rollback()
                    raise
                finally:
                    cur.close()
            self._logged += len(params)
            if self._logged >= _INDEX_WAKE:
                self._wake.set()

    def _log_tx(self) -> Any:
        """The access log's transaction: on PostgreSQL without the writer lock (the log
        never waits for an append of records), on SQLite with it (one writer anyway)."""
        if self._sqlite:
            return self._db.writing()
        return self._db.engine.begin()

    def reads_of(self, subject: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reads of ``subject``'s file, newest first."""
        t = access_log_table.c
        stmt = select(t.at, t.role, t.who, t.why, t.what)
        if self._sqlite:
            self.index_pending()
            w = access_log_by_whom.c
            stmt = stmt.join_from(access_log_by_whom, access_log_table, w.seq == t.seq)
            stmt = stmt.where(w.whom == subject).order_by(w.seq.desc())
        else:
            stmt = stmt.where(t.whom == subject).order_by(t.seq.desc())
        with self._db.reading() as conn:
            rows = conn.execute(stmt.limit(limit)).all()
        return [
            {
                "at": iso(from_micros(r.at)),
                "role": r.role,
                "who": r.who,
                "why": r.why,
                "what": r.what,
            }
            for r in rows
        ]

    # -- objection events

    def append_event(self, event: CaseEvent, subject: str, n: int) -> None:
        """Append ``event`` as the ``n``-th of its case (0 = filed); refuses a taken number."""
        row = {
            "case_id": event.case_id,
            "n": n,
            "at": to_micros(event.at),
            "kind": event.kind,
            "actor": event.actor,
            "subject": subject,
            "data": json.dumps(dict(event.data), ensure_ascii=False, sort_keys=True),
        }
        try:
            with self._db.writing() as conn:
                conn.execute(insert(objection_events_table), [row])
        except IntegrityError:
            raise XinyongError(
                f"objection {event.case_id}: event number {n} was recorded by someone else "
                "meanwhile; reload the case and try again"
            ) from None

    def events(self, case_id: str) -> list[CaseEvent]:
        t = objection_events_table.c
        stmt = select(t.case_id, t.at, t.kind, t.actor, t.data).where(t.case_id == case_id)
        with self._db.reading() as conn:
            rows = conn.execute(stmt.order_by(t.n)).all()
        return [
            CaseEvent(r.case_id, r.kind, from_micros(r.at), r.actor, json.loads(r.data))
            for r in rows
        ]

    def case_ids(self, subject: str | None = None) -> list[str]:
        t = objection_events_table.c
        stmt = select(t.case_id).where(t.n == 0)
        if subject is not None:
            stmt = stmt.where(t.subject == subject)
        with self._db.reading() as conn:
            return list(conn.scalars(stmt.order_by(t.seq)))

    # -- receipts of public objections

    def public_filing(self, filing: Sequence[str]) -> tuple[bool, str | None]:
        """Whether ``filing`` (day, client, subject, kind, target) was received before, and
        the case it was filed as (``None``: none, its target was not real)."""
        t = public_receipts.c
        day, client, subject, kind, target = filing
        stmt = (
            select(t.case_id)
            .where(t.day == day, t.client == client, t.subject == subject)
            .where(t.kind == kind, t.target == target)
            .order_by(t.seq)
            .limit(1)
        )
        with self._db.reading() as conn:
            row = conn.execute(stmt).first()
        return (False, None) if row is None else (True, row.case_id)

    def add_receipt(self, digest: str, filing: Sequence[str], case_id: str | None) -> None:
        """Keep a receipt's digest with its filing and case."""
        day, client, subject, kind, target = filing
        row = {
            "receipt": digest,
            "at": now_us(),
            "day": day,
            "client": client,
            "subject": subject,
            "kind": kind,
            "target": target,
            "case_id": case_id,
        }
        with self._db.writing() as conn:
            conn.execute(insert(public_receipts), [row])

    def receipt_case(self, digest: str) -> str | None:
        """The case a receipt (by its digest) was given for, if any."""
        t = public_receipts.c
        with self._db.reading() as conn:
            found: str | None = conn.scalar(select(t.case_id).where(t.receipt == digest))
        return found

    # -- notices

    def notice_mark(self) -> int | None:
        """The last record-log position whose notices are stored (None: never marked)."""
        m = notice_marks.c
        with self._db.reading() as conn:
            return conn.scalar(select(m.upto).order_by(m.seq.desc()).limit(1))

    def add_notices(
        self, notices: Sequence[Notice], *, mark: tuple[int | None, int] | None = None
    ) -> int:
        """Append notices not stored yet (same id = same notice); returns how many were new.

        With ``mark=(start, upto)`` the notices are those of the log positions after ``start``
        up to ``upto``: they and the new mark are written together, and only if the mark is
        still ``start`` (another process may have covered the range first; then nothing is
        written and -1 is returned).
        """
        if not notices and mark is None:
            return 0
        t = notices_table.c
        with self._db.writing() as conn:
            if mark is not None:
                m = notice_marks.c
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4711003)")
                current = conn.scalar(select(m.upto).order_by(m.seq.desc()).limit(1))
                if current != mark[0]:
                    return -1
                if mark[1] != current:
                    conn.execute(insert(notice_marks).values(upto=mark[1], at=now_us()))
            if not notices:
                return 0
            have = set(conn.scalars(select(t.id).where(t.id.in_([n.id for n in notices]))))
            rows = []
            for n in notices:
                if n.id in have:
                    continue
                have.add(n.id)
                rows.append(
                    {
                        "id": n.id,
                        "subject": n.subject,
                        "at": to_micros(n.at),
                        "kind": n.kind,
                        "body": json.dumps(n.to_dict(), ensure_ascii=False, sort_keys=True),
                    }
                )
            if rows:
                conn.execute(insert(notices_table), rows)
        return len(rows)

    def notices_of(self, subject: str) -> list[dict[str, Any]]:
        """The notices sent to ``subject``, oldest first."""
        t = notices_table.c
        stmt = select(t.body).where(t.subject == subject).order_by(t.seq)
        with self._db.reading() as conn:
            return [json.loads(b) for b in conn.scalars(stmt)]
