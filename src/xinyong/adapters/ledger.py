"""Verify and checkpoint a store's ledger: reads the store, hands the pure audit
(:func:`xinyong.core.ledger.audit.audit`) sorted streams, signs checkpoints on demand.

Everything is read in one read transaction, so a verify running beside appends sees one
consistent state. PostgreSQL rows are streamed with server-side cursors.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from xinyong.adapters.store.ledger import CHECKPOINT_COLUMNS, Signer, checkpoint
from xinyong.adapters.store.port import canonical
from xinyong.adapters.store.sql import SqlRecordStore, record_of
from xinyong.core.errors import XinyongError
from xinyong.core.ledger.audit import Audit, Entry, Stored, audit
from xinyong.core.ledger.checkpoint import Checkpoint
from xinyong.core.records import FIELDS

_FETCH = 20_000
_names = itertools.count()


def _sql_store(store: object) -> SqlRecordStore:
    if not isinstance(store, SqlRecordStore):
        raise XinyongError(f"the ledger needs a SQL store (SQLite or PostgreSQL), got {store!r}")
    return store


def _stream(conn: Connection, sql: str) -> Iterator[tuple[Any, ...]]:
    dbapi: Any = conn.connection.dbapi_connection
    assert dbapi is not None, "connection is closed"
    if conn.dialect.name == "postgresql":
        cur = dbapi.cursor(name=f"ledger_{next(_names)}")  # server-side: rows in slices
    else:
        cur = dbapi.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(_FETCH):
            yield from rows
    finally:
        cur.close()


def _entries(conn: Connection) -> Iterator[Entry]:
    for p, s, c in _stream(conn, "SELECT position, seq, chain FROM ledger ORDER BY position"):
        yield Entry(int(p), int(s), str(c))


def _records(conn: Connection) -> Iterator[Stored]:
    cols = ", ".join(("seq", *FIELDS, "content_hash"))
    for row in _stream(conn, f"SELECT {cols} FROM records ORDER BY seq"):
        record = record_of(row[1:])
        yield Stored(int(row[0]), record.id, str(row[-1]), canonical(record)[1])


def _chains(conn: Connection) -> Iterator[tuple[int, str]]:
    for p, c in _stream(conn, "SELECT position, chain FROM ledger ORDER BY position"):
        yield int(p), str(c)


def checkpoints_of(conn: Connection) -> list[Checkpoint]:
    sql = f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM checkpoints ORDER BY position"
    return [
        Checkpoint.from_dict(dict(zip(CHECKPOINT_COLUMNS, row, strict=True)))
        for row in _stream(conn, sql)
    ]


def size(store: object) -> int:
    """Ledger entries plus records: the number of steps a verify reports progress over."""
    with _sql_store(store)._read() as conn:
        cur = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM ledger) + (SELECT count(*) FROM records)"
        )
        return int(cur.scalar_one())


def verify_store(
    store: object,
    *,
    trusted: frozenset[str] | None = None,
    anchors: Sequence[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
) -> Audit:
    """Recompute the whole ledger of ``store`` (see :func:`~xinyong.core.ledger.audit.audit`)."""
    with _sql_store(store)._read() as conn:
        return audit(
            _entries(conn),
            _records(conn),
            checkpoints_of(conn),
            chains=lambda: _chains(conn),
            trusted=trusted,
            anchors=anchors,
            progress=progress,
        )


def make_checkpoint(store: object, signer: Signer) -> Checkpoint | None:
    """Sign a checkpoint at the ledger's tail now; ``None`` if the newest already covers it."""
    with _sql_store(store)._write() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE")
        return checkpoint(conn, signer)


def latest_checkpoint(store: object) -> Checkpoint | None:
    """The newest checkpoint in the store, if any."""
    with _sql_store(store)._read() as conn:
        found = checkpoints_of(conn)
    return found[-1] if found else None
