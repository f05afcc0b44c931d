"""The ledger tables of a store: the hash chain and the signed checkpoints, kept in step with
``records`` inside the same transaction as each append.

- ``ledger(position, seq, chain)``: the record stored under ``seq`` was appended at log
  ``position`` (1, 2, 3, ... without gaps, in append order) and the chain hash there is
  ``chain`` (:func:`xinyong.core.ledger.chain.link`). ``seq`` is the records table's own key,
  which may have gaps on PostgreSQL (its sequence skips numbers on a rollback); positions
  do not.
- ``checkpoints``: Ed25519-signed statements (:mod:`xinyong.core.ledger.checkpoint`), made
  every ``every`` records by an append when the store has a signing key, or on demand.

Both tables (declared in :mod:`.schema`) refuse UPDATE and DELETE, like ``records``. The
signing key is kept outside the store: a PEM file named by ``XINYONG_LEDGER_KEY`` (made by
``xinyong ledger keygen``); ``XINYONG_LEDGER_EVERY`` sets how many records a checkpoint covers
at most (default 10,000).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import Connection

from xinyong.adapters.store.binary_copy import copy_frame
from xinyong.adapters.store.schema import checkpoints_table
from xinyong.core.errors import XinyongError
from xinyong.core.ledger.chain import GENESIS, entry_hash, extend, extend_entries
from xinyong.core.ledger.checkpoint import Checkpoint, sign
from xinyong.core.ledger.merkle import leaf, root
from xinyong.system.ports import DEFAULT_EVERY, Signer

__all__ = [
    "CHECKPOINT_COLUMNS",
    "DEFAULT_EVERY",
    "EVERY_ENV",
    "KEY_ENV",
    "Signer",
    "chain_append",
    "chain_stored",
    "checkpoint",
    "last_checkpoint",
    "load_key",
    "new_key",
]

KEY_ENV = "XINYONG_LEDGER_KEY"
EVERY_ENV = "XINYONG_LEDGER_EVERY"

CHECKPOINT_COLUMNS = ("position", "since", "head", "root", "made_at", "public_key", "signature")


def chain_stored(conn: Connection) -> None:
    """Chain every record already stored, in append order, using the content hash stored
    with each (migration ``0003_ledger``, on an empty ledger)."""
    prev, position = GENESIS, 0
    cur = _cursor(conn)
    try:
        cur.execute("SELECT seq, content_hash FROM records ORDER BY seq")
        while rows := cur.fetchmany(50_000):
            chains = extend(prev, (h for _, h in rows), position + 1)
            _write_entries(
                conn, [(position + 1 + k, row[0], chains[k]) for k, row in enumerate(rows)]
            )
            position += len(rows)
            prev = chains[-1]
    finally:
        cur.close()


# --- signing key (kept outside the store) ----------------------------------------------------


def new_key(path: Path) -> Ed25519PrivateKey:
    """Make an Ed25519 key and write it to ``path`` (PEM, owner-only); refuses to overwrite."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise XinyongError(
            f"key file {str(path)!r} already exists; a ledger key is never overwritten "
            "(checkpoints signed with it would become unverifiable): choose another path"
        ) from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key in PEM file ``path``; errors say what is wrong with the file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise XinyongError(f"cannot read ledger key {str(path)!r}: {e.strerror}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise XinyongError(
            f"ledger key {str(path)!r} is not an unencrypted PEM private key ({e}); make one "
            "with: xinyong ledger keygen KEYFILE"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise XinyongError(
            f"ledger key {str(path)!r} is a {type(key).__name__}, not an Ed25519 key; make one "
            "with: xinyong ledger keygen KEYFILE"
        )
    return key


# --- appending (inside the append's transaction) ---------------------------------------------


def _last_entry(cur: Any) -> tuple[int, int, str]:
    """The ledger's last position, the seq of its record and its chain hash (0, 0 and
    :data:`GENESIS` when empty)."""
    cur.execute("SELECT position, seq, chain FROM ledger ORDER BY position DESC LIMIT 1")
    tail = cur.fetchone()
    return (0, 0, GENESIS) if tail is None else (int(tail[0]), int(tail[1]), str(tail[2]))


def ledger_tail(conn: Connection) -> tuple[int, str]:
    """The ledger's last position and chain hash (0 and :data:`GENESIS` when empty)."""
    cur = _cursor(conn)
    try:
        position, _seq, chain = _last_entry(cur)
    finally:
        cur.close()
    return position, chain


def chain_append(
    conn: Connection,
    content_hashes: Sequence[str],
    signer: Signer | None,
    *,
    stamp: tuple[str | None, int] | None = None,
    chained: tuple[int, list[str]] | None = None,
) -> list[Checkpoint]:
    """Give the records just inserted (``content_hashes``, in insert order: their entry
    hashes, or with ``stamp`` = (writer, accepted at) their content hashes, whose entry
    hashes are then made in the same loop as the chain) their positions and chain hashes,
    and sign a checkpoint if ``signer`` is due one. Call it in the append's transaction,
    after the rows are in, with the store's writer lock held. Returns the checkpoints signed
    (for :func:`write_anchor` once the transaction has committed).

    ``chained``: the chain hashes computed already (while the database inserted the rows),
    with the position of the ledger's last entry they follow; used when the ledger still
    ends there and they follow from its last chain hash, else computed again."""
    n = len(content_hashes)
    if n == 0:
        return []
    cur = _cursor(conn)
    try:
        position, after, prev = _last_entry(cur)
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        # both ends from the primary key's index, whatever the planner's statistics say (a
        # count would scan): the n rows just inserted lie after `after`, so when the ends
        # are n apart they are all there is, one unbroken run of keys (the usual case)
        cur.execute(f"SELECT min(seq), max(seq) FROM records WHERE seq > {mark}", (after,))
        low, high = cur.fetchone()
        if low is not None and high - low + 1 == n:
            seqs: Sequence[int] = range(low, high + 1)
        else:
            cur.execute(f"SELECT seq FROM records WHERE seq > {mark} ORDER BY seq", (after,))
            seqs = [row[0] for row in cur.fetchall()]
    finally:
        cur.close()
    if len(seqs) != n:
        raise XinyongError(
            f"the ledger is out of step with records: {len(seqs)} records stored after the "
            f"ledger's last entry (seq {after}), but {n} were just appended; run "
            "'xinyong ledger verify' to see where"
        )
    if chained is not None and stamp is None and chained[0] == position and len(chained[1]) == n:
        chains = chained[1]  # the caller made them from the tail it read: checked just below
        if chains and chains[0] != extend(prev, content_hashes[:1], position + 1)[0]:
            chains = extend(prev, content_hashes, position + 1)
    elif stamp is None:
        chains = extend(prev, content_hashes, position + 1)
    else:
        content_hashes, chains = extend_entries(
            prev, content_hashes, stamp[0], stamp[1], position + 1
        )
    if isinstance(seqs, range):  # the usual case: one statement for them all
        _write_run(conn, position + 1, seqs.start, chains)
    else:
        _write_entries(conn, [(position + 1 + k, seqs[k], c) for k, c in enumerate(chains)])
    made: list[Checkpoint] = []
    if signer is not None:
        since = last_checkpoint(conn)
        while position + n - since >= signer.every:  # one checkpoint per `every` records
            since += signer.every
            cp = checkpoint(conn, signer, upto=since, recent=(position, content_hashes, chains))
            if cp is not None:
                made.append(cp)
    return made


def write_anchor(signer: Signer | None, checkpoints: Sequence[Checkpoint]) -> None:
    """Append ``checkpoints`` to the signer's anchor file (if it has one), one JSON object a
    line, flushed to disk. Call it after the transaction that stored them has committed."""
    if signer is None or signer.anchor is None or not checkpoints:
        return
    lines = "".join(json.dumps(c.to_dict(), sort_keys=True) + "\n" for c in checkpoints)
    try:
        with open(signer.anchor, "a", encoding="utf-8") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise XinyongError(
            f"the checkpoints were stored but not written to the anchor file "
            f"{signer.anchor!r}: {e.strerror}; write them there with 'xinyong ledger "
            "checkpoint --out'"
        ) from None


def _write_entries(conn: Connection, rows: list[tuple[int, int, str]]) -> None:
    cur = _cursor(conn)
    try:
        if conn.dialect.name == "postgresql":  # COPY text format, built in one go (fast)
            with cur.copy("COPY ledger (position, seq, chain) FROM STDIN") as copy:
                for start in range(0, len(rows), 50_000):
                    copy.write(
                        "".join(f"{p}\t{s}\t{c}\n" for p, s, c in rows[start : start + 50_000])
                    )
        else:
            cur.executemany("INSERT INTO ledger (position, seq, chain) VALUES (?, ?, ?)", rows)
    finally:
        cur.close()


def _write_run(conn: Connection, position: int, seq: int, chains: list[str]) -> None:
    """Ledger entries at ``position``, ``position + 1``, ... for the records at ``seq``,
    ``seq + 1``, ...: on SQLite one statement over the chain hashes as a JSON array
    (``json_each``), about half the cost of a row of parameters each; on PostgreSQL a
    binary COPY (pgpq)."""
    cur = _cursor(conn)
    try:
        if conn.dialect.name == "postgresql":
            n = len(chains)
            entries = pl.DataFrame(
                {
                    "position": pl.int_range(position, position + n, dtype=pl.Int64, eager=True),
                    "seq": pl.int_range(seq, seq + n, dtype=pl.Int64, eager=True),
                    "chain": pl.Series(chains, dtype=pl.String),
                }
            )
            copy_frame(
                cur, "COPY ledger (position, seq, chain) FROM STDIN (FORMAT binary)", entries
            )
        else:
            cur.execute(
                "INSERT INTO ledger (position, seq, chain) "
                "SELECT ? + key, ? + key, value FROM json_each(?)",
                (position, seq, orjson.dumps(chains).decode()),
            )
    finally:
        cur.close()


def last_checkpoint(conn: Connection) -> int:
    """The position of the newest checkpoint (0 if none)."""
    cur = _cursor(conn)
    try:
        cur.execute("SELECT max(position) FROM checkpoints")
        row = cur.fetchone()
    finally:
        cur.close()
    return int(row[0] or 0) if row is not None else 0


def checkpoint(
    conn: Connection,
    signer: Signer,
    *,
    upto: int | None = None,
    recent: tuple[int, Sequence[str], Sequence[str]] | None = None,
) -> Checkpoint | None:
    """Sign and store a checkpoint at position ``upto`` (default: the ledger's tail); ``None``
    if the newest checkpoint is already there. ``recent``: (the position before them, content
    hashes, chain hashes) of records appended in this transaction, taken from memory."""
    since = last_checkpoint(conn)
    before, hashes, chains = recent if recent is not None else (None, (), ())
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = (
        "SELECT l.position, r.content_hash, l.chain, r.writer, r.ingested_at "
        "FROM ledger l JOIN records r "
        f"ON r.seq = l.seq WHERE l.position > {mark} AND l.position <= {mark} "
        "ORDER BY l.position"
    )
    limit = upto if upto is not None else 2**62
    cur = _cursor(conn)
    try:
        cur.execute(sql, (since, limit if before is None else min(limit, before)))
        rows = [(int(p), entry_hash(h, w, at), str(c)) for p, h, c, w, at in cur.fetchall()]
    finally:
        cur.close()
    if before is not None:
        take = min(len(hashes), limit - before)
        first = max(since - before, 0)
        rows.extend((before + 1 + k, hashes[k], chains[k]) for k in range(first, take))
    if not rows or rows[-1][0] <= since:
        return None
    position, head = rows[-1][0], rows[-1][2]
    if len(rows) != position - since:
        raise XinyongError(
            f"cannot checkpoint: positions {since + 1}-{position} have {len(rows)} records "
            "joined to the ledger; run 'xinyong ledger verify' to see where"
        )
    cp = sign(
        signer.key,
        position=position,
        since=since,
        head=head,
        root=root([leaf(p, h) for p, h, _ in rows]),
        made_at=time.time_ns() // 1000,
    )
    conn.execute(checkpoints_table.insert().values(**cp.to_dict()))
    return cp


def _cursor(conn: Connection) -> Any:
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None, "connection is closed"
    return dbapi.cursor()
