"""The record store on PostgreSQL (psycopg 3): the SQLite store's rules, PostgreSQL's tools.

Same tables and migrations as :mod:`xinyong.adapters.store.sql`. What differs:

- the append-only guard (:mod:`.guards`) is a trigger function that raises on UPDATE, DELETE
  and TRUNCATE of ``records`` (statement-level: it fires whoever connects and however many
  rows match);
- an append takes ``SHARE ROW EXCLUSIVE`` on ``records`` (one writer at a time across
  processes, readers never blocked), looks up the batch's ids with one array parameter,
  applies :func:`~xinyong.system.record_store.plan_append`, then writes with ``COPY`` in the
  same transaction, so the checks and the rows commit or roll back together;
- subjects are sorted bytewise (``COLLATE "C"``), as SQLite and Python sort them.

URLs: ``postgresql://user@host:port/db`` (psycopg is used whatever driver the URL names).
A schema can be chosen with ``?options=-csearch_path%3Dname``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

import polars as pl
import psycopg
from sqlalchemy import Connection, select

from xinyong.adapters.store import sql
from xinyong.adapters.store.binary_copy import FrameCopy, copy_frame
from xinyong.adapters.store.db import bulk
from xinyong.adapters.store.ledger import Signer, chain_append, ledger_tail, write_anchor
from xinyong.adapters.store.schema import records_table
from xinyong.adapters.store.sql import (
    _CHUNK,
    _INSERT_COLUMNS,
    _LOOKUP_CHUNK,
    Inserted,
    SqlRecordStore,
    _as_error,
    _dbapi,
    _entry_list,
    entries,
    fresh,
)
from xinyong.core.records import Record
from xinyong.core.timeutil import now
from xinyong.system.record_rows import STATUS
from xinyong.system.record_store import AppendResult, Known, plan_append, wanted_ids

_COPY_SQL = f"COPY records ({', '.join(_INSERT_COLUMNS)}) FROM STDIN"
_LOCK_SQL = "LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE"
_COPY_BINARY_SQL = f"COPY records ({', '.join(_INSERT_COLUMNS)}) FROM STDIN (FORMAT binary)"
_HASHES_SQL = "SELECT id, content_hash FROM records WHERE id = ANY(%s)"
_REFERENTS_SQL = "SELECT id, subject, status, category, source, seq FROM records WHERE id = ANY(%s)"
_LOOKUP_SQL = "SELECT id, subject, status, content_hash FROM records WHERE id = ANY(%s)"


def pg_url(url: str) -> str:
    """``url`` with the psycopg 3 driver named (``postgresql+psycopg://...``)."""
    scheme, rest = url.split("://", 1)
    if scheme.split("+", 1)[0].lower() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}; expected postgresql://user@host/db")
    return "postgresql+psycopg://" + rest


class PostgresRecordStore(SqlRecordStore):
    """:class:`~xinyong.system.record_store.RecordStore` on PostgreSQL."""

    inserts_in_process = False  # the server inserts, in a process of its own

    def __init__(
        self, url: str, *, signer: Signer | None = None, clock: Callable[[], datetime] = now
    ) -> None:
        super().__init__(pg_url(url), signer=signer, clock=clock)

    def _append(self, records: Sequence[Record], writer: str | None = None) -> AppendResult:
        now = self.accepted_us()
        with self._write() as conn:
            conn.exec_driver_sql(_LOCK_SQL)
            known = self._known(conn, records)
            new = fresh(records, known)
            hashes = _copy(conn, records, new, now, writer)
            plan = plan_append(records, hashes, known, limit=1)
            if plan.problems:  # rolls back the rows copied
                raise _as_error(plan.problems[0])
            made = chain_append(conn, entries(hashes, new, writer, now), self.signer)
        write_anchor(self.signer, made)  # committed: now outside the store too
        return AppendResult(len(plan.new), plan.duplicates, tuple(new))

    def _lock_records(self, conn: Connection) -> None:
        conn.exec_driver_sql(_LOCK_SQL)

    def _stored_hashes(self, conn: Connection, ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with _dbapi(conn).cursor() as cur:
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                cur.execute(_HASHES_SQL, (ids[start : start + _LOOKUP_CHUNK],))
                out.update(cur.fetchall())
        return out

    def _referents(
        self, conn: Connection, ids: list[str]
    ) -> dict[str, tuple[str, str, str, str, int]]:
        out: dict[str, tuple[str, str, str, str, int]] = {}
        with _dbapi(conn).cursor() as cur:
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                cur.execute(_REFERENTS_SQL, (ids[start : start + _LOOKUP_CHUNK],))
                for rid, subject, status, category, source, seq in cur.fetchall():
                    out[rid] = (subject, status, category, source, int(seq))
        return out

    def _inserted(
        self, conn: Connection, frames: Iterable[pl.DataFrame], now: int, writer: str | None
    ) -> Iterator[Inserted]:
        """Chunks go in a span at a time (up to :data:`~.sql._LEDGER_RUN` rows): one binary COPY
        fed chunk by chunk as they come, so the server inserts a chunk while the next is
        checked, and the chain of a chunk's entries is made meanwhile. The span is under a
        savepoint: when the unique index on ids refuses a row (a re-sent batch), the span is
        rolled back and its chunks go in again one at a time, their ids looked up."""
        tail = ledger_tail(conn)
        chunks = iter(frames)
        more = True
        while more:
            start = tail  # the chain's end before the span (the ledger's rows may lag)
            taken: list[pl.DataFrame] = []  # the span's chunks, kept before they are sent
            made: list[Inserted] = []  # each as inserted, if the span goes in whole
            more = False
            with _dbapi(conn).cursor() as cur:
                cur.execute("SAVEPOINT span")
                try:
                    with FrameCopy(cur, _COPY_BINARY_SQL) as copy:
                        for frame in chunks:
                            taken.append(frame)
                            copy.write(_stamped(frame, now, writer))
                            hashes = _entry_list(frame, writer, now)  # while it inserts
                            made.append(Inserted.of(frame, [True] * frame.height, hashes, tail))
                            tail = made[-1].tail
                            if copy.rows >= sql._LEDGER_RUN:  # read here: tests lower it
                                more = True
                                break
                except psycopg.errors.UniqueViolation:
                    cur.execute("ROLLBACK TO SAVEPOINT span")
                    cur.execute("RELEASE SAVEPOINT span")
                    made = []
                    tail = start
                    more = True  # the refusal may have come before the span's last chunk
                    for frame in taken:
                        new = self._insert_looked_up(conn, frame, now, writer)
                        made.append(Inserted.of(frame, new, _entry_list(frame, writer, now), tail))
                        tail = made[-1].tail
                else:
                    cur.execute("RELEASE SAVEPOINT span")
            for k, done in enumerate(made):
                yield dataclasses.replace(done, last=k == len(made) - 1)

    def _insert_frame(
        self,
        conn: Connection,
        frame: pl.DataFrame,
        now: int,
        writer: str | None,
    ) -> None:
        """Binary COPY of the chunk: its Arrow columns encoded in PostgreSQL's binary COPY
        format by pgpq (in Rust; no text to parse on the server)."""
        with _dbapi(conn).cursor() as cur:
            copy_frame(cur, _COPY_BINARY_SQL, _stamped(frame, now, writer))

    def _integrity_errors(self) -> tuple[type[BaseException], ...]:
        return (psycopg.errors.UniqueViolation,)

    def _known(self, conn: Connection, records: Sequence[Record]) -> dict[str, Known]:
        ids = sorted(wanted_ids(records))
        out: dict[str, Known] = {}
        cur = _dbapi(conn).cursor()
        try:
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                cur.execute(_LOOKUP_SQL, (ids[start : start + _LOOKUP_CHUNK],))
                for rid, subject, status, h in cur.fetchall():
                    out[rid] = Known(subject, STATUS[status], h)
        finally:
            cur.close()
        return out

    def subjects(self) -> list[str]:
        subject = records_table.c.subject.collate("C").label("subject")
        stmt = select(subject).distinct().order_by(subject)
        with self._read() as conn:
            return list(conn.scalars(stmt))


def _stamped(frame: pl.DataFrame, now: int, writer: str | None) -> pl.DataFrame:
    """A checked chunk's rows as stored: with the acceptance instant and the writer."""
    return frame.with_columns(
        ingested_at=pl.lit(now, dtype=pl.Int64), writer=pl.lit(writer, dtype=pl.String)
    ).select(_INSERT_COLUMNS)


def _copy(
    conn: Connection, records: Sequence[Record], new: list[bool], now: int, writer: str | None
) -> list[str]:
    """COPY the records at the ``new`` positions, in ``conn``'s transaction, encoding chunk by
    chunk as rows are sent (psycopg sends from its own thread while this one encodes the
    next rows, and the server inserts meanwhile); return every record's content hash."""
    hashes: list[str] = []
    if not any(new):
        return [row[13] for row in SqlRecordStore._rows(records, now, writer)]
    with bulk(), _dbapi(conn).cursor() as cur, cur.copy(_COPY_SQL) as copy:
        write = copy.write_row
        for start in range(0, len(records), _CHUNK):
            rows = SqlRecordStore._rows(records[start : start + _CHUNK], now, writer)
            hashes.extend(row[13] for row in rows)
            for k, row in enumerate(rows):
                if new[start + k]:
                    write(row)
    return hashes
