"""The ledger port of a store (:class:`StoreLedger`): reads the store, hands the pure audit
(:func:`xinyong.core.ledger.audit.audit`) sorted streams, signs checkpoints on demand.

Everything is read in one read transaction, so a verify running beside appends sees one
consistent state. PostgreSQL rows are streamed with server-side cursors.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from xinyong.adapters.store.db import Database
from xinyong.adapters.store.ledger import CHECKPOINT_COLUMNS, checkpoint, write_anchor
from xinyong.core.errors import XinyongError
from xinyong.core.ledger.audit import Audit, Entry, Stored, audit
from xinyong.core.ledger.chain import entry_hash
from xinyong.core.ledger.checkpoint import Checkpoint, signature_ok
from xinyong.core.ledger.merkle import inclusion_proof, leaf, verify_inclusion
from xinyong.core.records import FIELDS
from xinyong.system.ports import Signer
from xinyong.system.record_rows import record_of
from xinyong.system.record_store import canonical

_FETCH = 20_000
_names = itertools.count()


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
    """Each record's entry hash as stored and as recomputed from its fields (with its
    writer and acceptance time, which the chain covers too)."""
    cols = ", ".join(("seq", *FIELDS, "content_hash", "writer", "ingested_at"))
    for row in _stream(conn, f"SELECT {cols} FROM records ORDER BY seq"):
        record = record_of(row[1:14])  # the content only
        writer, at = row[-2], row[-1]
        yield Stored(
            int(row[0]),
            record.id,
            entry_hash(str(row[-3]), writer, at),
            entry_hash(canonical(record)[1], writer, at),
        )


def _chains(conn: Connection) -> Iterator[tuple[int, str]]:
    for p, c in _stream(conn, "SELECT position, chain FROM ledger ORDER BY position"):
        yield int(p), str(c)


def checkpoints_of(conn: Connection) -> list[Checkpoint]:
    sql = f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM checkpoints ORDER BY position"
    return [
        Checkpoint.from_dict(dict(zip(CHECKPOINT_COLUMNS, row, strict=True)))
        for row in _stream(conn, sql)
    ]


class StoreLedger:
    """:class:`~xinyong.system.ports.LedgerPort` of a store's database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def size(self) -> int:
        """How many steps a verify reports progress over (ledger entries or records, the more)."""
        with self._db.reading() as conn:
            entries = conn.exec_driver_sql("SELECT count(*) FROM ledger").scalar_one()
            records = conn.exec_driver_sql("SELECT count(*) FROM records").scalar_one()
        return max(int(entries), int(records))

    def verify(
        self,
        *,
        trusted: frozenset[str] | None = None,
        anchors: Sequence[Checkpoint] = (),
        progress: Callable[[int], None] | None = None,
        every: int | None = None,
    ) -> Audit:
        """Recompute the whole ledger (see :func:`~xinyong.core.ledger.audit.audit`)."""
        with self._db.reading() as conn:
            return audit(
                _entries(conn),
                _records(conn),
                checkpoints_of(conn),
                chains=lambda: _chains(conn),
                trusted=trusted,
                anchors=anchors,
                progress=progress,
                every=every,
            )

    def checkpoint(self, signer: Signer) -> Checkpoint | None:
        """Sign a checkpoint at the ledger's tail now; ``None`` if the newest already covers
        it."""
        with self._db.writing() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE")
            made = checkpoint(conn, signer)
        write_anchor(signer, [made] if made is not None else [])
        return made

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint in the store, if any."""
        with self._db.reading() as conn:
            found = checkpoints_of(conn)
        return found[-1] if found else None

    def prove(self, record_id: str) -> dict[str, Any]:
        """An inclusion proof of record ``record_id`` in the signed checkpoint covering it.

        Returns the record's position and content hash (recomputed from its fields), the
        checkpoint, the leaf's index in the checkpoint's block, and the Merkle audit path;
        ``verified`` says whether the path leads to the signed root. Raises ``XinyongError``
        if the record is not stored or no checkpoint covers it yet.
        """
        with self._db.reading() as conn:
            return _prove(conn, record_id)


def _prove(conn: Connection, record_id: str) -> dict[str, Any]:
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    found = conn.exec_driver_sql(
        f"SELECT l.position FROM ledger l JOIN records r ON r.seq = l.seq WHERE r.id = {mark}",
        (record_id,),
    ).first()
    if found is None:
        raise XinyongError(f"no record with id {record_id!r} in the ledger")
    position = int(found[0])
    cover = [c for c in checkpoints_of(conn) if c.position >= position]
    if not cover:
        raise XinyongError(
            f"record {record_id!r} is at position {position}, after the newest checkpoint; "
            "sign one first: xinyong ledger checkpoint --key KEYFILE"
        )
    cp = cover[0]
    cols = ", ".join((*(f"r.{f}" for f in FIELDS), "r.writer", "r.ingested_at"))
    rows = conn.exec_driver_sql(
        f"SELECT l.position, {cols} FROM ledger l JOIN records r ON r.seq = l.seq "
        f"WHERE l.position > {mark} AND l.position <= {mark} ORDER BY l.position",
        (cp.since, cp.position),
    ).all()
    content = {int(row[0]): canonical(record_of(row[1:14]))[1] for row in rows}
    writers = {int(row[0]): (row[-2], row[-1]) for row in rows}
    hashes = {p: entry_hash(h, *writers[p]) for p, h in content.items()}
    leaves = [leaf(p, hashes[p]) for p in sorted(hashes)]
    index = position - cp.since - 1
    if len(leaves) != cp.position - cp.since:
        raise XinyongError(
            f"the block {cp.since + 1}-{cp.position} is incomplete in the store; run "
            "'xinyong ledger verify' to see where"
        )
    path = inclusion_proof(leaves, index)
    return {
        "id": record_id,
        "position": position,
        "content_hash": content[position],
        "writer": writers[position][0],
        "entry_hash": hashes[position],
        "checkpoint": cp.to_dict(),
        "index": index,
        "size": len(leaves),
        "path": path,
        "verified": signature_ok(cp)
        and verify_inclusion(leaves[index], index, len(leaves), path, cp.root),
    }
