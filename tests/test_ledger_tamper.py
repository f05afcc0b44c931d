"""The ledger catches an attacker who edits the store directly, on SQLite and PostgreSQL.

Each test fills a store with 25 records appended in three batches (10, 10, 5) while a key
signs a checkpoint every 10 records (at positions 10 and 20), then plays an attacker with
direct database access: on SQLite the attacker opens the FILE with the sqlite3 module and
drops the append-only triggers first; on PostgreSQL a superuser turns triggers off for the
session (``session_replication_role = replica``) and edits the TABLES. ``ledger verify`` must
then name the first bad position and say what is wrong there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factories import make_record
from pg_schema import PG_SERVER, fresh_pg_schema
from xinyong.adapters.store import PostgresRecordStore, SqlRecordStore, store_url
from xinyong.adapters.store.ledger import Signer
from xinyong.adapters.store.sql import _INSERT_COLUMNS
from xinyong.core.ledger.audit import Audit, Kind
from xinyong.core.ledger.chain import GENESIS, extend
from xinyong.core.ledger.checkpoint import Checkpoint, public_hex, sign
from xinyong.core.records import Record
from xinyong.system.record_store import canonical

KEY = Ed25519PrivateKey.generate()
TRUSTED = frozenset({public_hex(KEY)})


@dataclass
class Victim:
    """A filled store and an attacker's raw access to it."""

    open: Callable[[], SqlRecordStore]
    records: list[Record]  # records[p - 1] was appended at position p
    sql: Callable[..., list[tuple[Any, ...]]]  # run one statement ('?' placeholders)

    def verify(self, anchors: tuple[Checkpoint, ...] = ()) -> Audit:
        store = self.open()
        try:
            return store.ledger().verify(trusted=TRUSTED, anchors=anchors)
        finally:
            store.close()


def _fill(open_store: Callable[[], SqlRecordStore]) -> list[Record]:
    records = [make_record(evidence=f"ticket-{k}", amount=float(k)) for k in range(1, 26)]
    store = open_store()
    try:
        for batch in (records[:10], records[10:20], records[20:]):
            store.append(batch)
    finally:
        store.close()
    return records


def _sqlite(tmp_path: Path) -> Iterator[Victim]:
    path = tmp_path / "credit.db"

    def opener() -> SqlRecordStore:
        return SqlRecordStore(store_url(str(path)), signer=Signer(KEY, 10))

    records = _fill(opener)
    con = sqlite3.connect(path, isolation_level=None)
    triggers = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    # records (2: no INSERT trigger since 0007), ledger (2), checkpoints (2), the journal's
    # six tables and public_receipts (2 each)
    assert len(triggers) == 20
    for name in triggers:  # what an attacker with the file does first
        con.execute(f"DROP TRIGGER {name}")

    def sql(statement: str, *params: Any) -> list[tuple[Any, ...]]:
        return con.execute(statement, params).fetchall()

    yield Victim(opener, records, sql)
    con.close()


def _postgres() -> Iterator[Victim]:
    import psycopg

    schemas = fresh_pg_schema()
    url = next(schemas)  # skips the test when PostgreSQL is not reachable
    schema = url.rsplit("%3D", 1)[1]

    def opener() -> SqlRecordStore:
        return PostgresRecordStore(url, signer=Signer(KEY, 10))

    records = _fill(opener)
    con = psycopg.connect(PG_SERVER, autocommit=True)
    con.execute(f'SET search_path = "{schema}"')
    con.execute("SET session_replication_role = replica")  # superuser: triggers off

    def sql(statement: str, *params: Any) -> list[tuple[Any, ...]]:
        cur = con.execute(statement.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    yield Victim(opener, records, sql)
    con.execute("SET session_replication_role = origin")
    con.close()
    next(schemas, None)  # drops the schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def victim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Victim]:
    yield from (_sqlite(tmp_path) if request.param == "sqlite" else _postgres())


def _shift(v: Victim, from_seq: int, by: int) -> None:
    """Renumber records from ``from_seq`` on by ``by`` (via a far offset: keys stay unique)."""
    v.sql("UPDATE records SET seq = seq + 1000000 WHERE seq >= ?", from_seq)
    v.sql("UPDATE records SET seq = seq - 1000000 + ? WHERE seq >= 1000000", by)


def _forge(v: Victim, seq: int) -> None:
    """Insert a well-formed record (consistent content hash) under ``seq``."""
    forged = make_record(id="forged-1", evidence="planted", amount=5000.0)
    row = SqlRecordStore._rows([forged], 0)[0]
    cols = ", ".join(("seq", *_INSERT_COLUMNS))
    v.sql(f"INSERT INTO records ({cols}) VALUES ({', '.join('?' * (len(row) + 1))})", seq, *row)


def _smart_edit(v: Victim, position: int) -> None:
    """Change a record and rewrite its content hash to match."""
    edited = replace(v.records[position - 1], evidence="forged", amount=0.0)
    _dj, h = canonical(edited)
    v.sql(
        "UPDATE records SET evidence = ?, amount = ?, content_hash = ? WHERE seq = ?",
        "forged",
        0.0,
        h,
        position,
    )


def _swap(v: Victim, a: int, b: int) -> None:
    v.sql("UPDATE records SET seq = -1 WHERE seq = ?", a)
    v.sql("UPDATE records SET seq = ? WHERE seq = ?", a, b)
    v.sql("UPDATE records SET seq = ? WHERE seq = -1", b)


def _first(a: Audit) -> tuple[int, Kind]:
    assert not a.ok, "tampering went undetected"
    assert a.first is not None
    return a.first.position, a.first.kind


def test_untouched_store_verifies(victim: Victim) -> None:
    a = victim.verify()
    assert a.ok, a.findings
    assert (a.records, a.entries, a.checkpoints) == (25, 25, 2)


# --- edited -------------------------------------------------------------------------------


def test_edit_of_a_field(victim: Victim) -> None:
    victim.sql("UPDATE records SET amount = 999 WHERE seq = 7")
    assert _first(victim.verify()) == (7, Kind.EDITED)


def test_edit_with_content_hash_rewritten(victim: Victim) -> None:
    _smart_edit(victim, 7)
    a = victim.verify()
    assert _first(a) == (7, Kind.EDITED)
    assert len(a.findings) == 1  # one bad record gives one finding, not a cascade


def test_edit_with_whole_chain_rewritten_is_caught_by_the_signed_checkpoint(
    victim: Victim,
) -> None:
    _smart_edit(victim, 7)
    rows = victim.sql(
        "SELECT l.position, r.content_hash FROM ledger l JOIN records r ON r.seq = l.seq "
        "ORDER BY l.position"
    )
    for (p, _), c in zip(rows, extend(GENESIS, [h for _, h in rows], 1), strict=True):
        victim.sql("UPDATE ledger SET chain = ? WHERE position = ?", c, p)
    position, kind = _first(victim.verify())
    assert (position, kind) == (1, Kind.HEAD)  # somewhere in the block 1-10
    assert "positions 1-10" in victim.verify().findings[0].message


def test_altered_chain_hash(victim: Victim) -> None:
    victim.sql("UPDATE ledger SET chain = ? WHERE position = 16", "ab" * 32)
    a = victim.verify()
    assert _first(a) == (16, Kind.CHAIN)
    assert [f.position for f in a.findings] == [16]


# --- reordered ----------------------------------------------------------------------------


def test_two_records_swapped(victim: Victim) -> None:
    _swap(victim, 5, 9)
    a = victim.verify()
    assert _first(a) == (5, Kind.REORDERED)
    assert "appended at position 9" in a.findings[0].message


def test_neighbours_swapped(victim: Victim) -> None:
    _swap(victim, 12, 13)
    assert _first(victim.verify()) == (12, Kind.REORDERED)


# --- inserted -----------------------------------------------------------------------------


def test_record_inserted_in_the_middle(victim: Victim) -> None:
    _shift(victim, 8, +1)
    _forge(victim, 8)
    a = victim.verify()
    assert _first(a) == (8, Kind.INSERTED)
    assert "'forged-1'" in a.findings[0].message


def test_record_inserted_at_the_tail(victim: Victim) -> None:
    _forge(victim, 26)
    a = victim.verify()
    assert _first(a) == (26, Kind.INSERTED)


# --- deleted ------------------------------------------------------------------------------


def test_record_deleted_in_the_middle(victim: Victim) -> None:
    victim.sql("DELETE FROM records WHERE seq = 14")
    assert _first(victim.verify()) == (14, Kind.DELETED)


def test_record_deleted_and_the_rest_renumbered(victim: Victim) -> None:
    victim.sql("DELETE FROM records WHERE seq = 14")
    _shift(victim, 15, -1)
    assert _first(victim.verify()) == (14, Kind.DELETED)


def test_record_deleted_with_its_ledger_entry(victim: Victim) -> None:
    victim.sql("DELETE FROM records WHERE seq = 14")
    victim.sql("DELETE FROM ledger WHERE position = 14")
    assert _first(victim.verify()) == (14, Kind.DELETED)


def test_tail_deleted_is_caught_by_the_checkpoint_covering_it(victim: Victim) -> None:
    victim.sql("DELETE FROM records WHERE seq >= 18")
    victim.sql("DELETE FROM ledger WHERE position >= 18")
    a = victim.verify()
    assert _first(a) == (18, Kind.DELETED)
    assert "checkpoint signed a log of 20 records" in a.findings[0].message


def test_tail_after_the_newest_checkpoint_needs_an_anchor(victim: Victim) -> None:
    store = victim.open()
    try:
        anchor = store.ledger().checkpoint(Signer(KEY, 10))
    finally:
        store.close()
    assert anchor is not None
    assert anchor.position == 25
    victim.sql("DELETE FROM checkpoints WHERE position = 25")  # the attacker hides it too
    victim.sql("DELETE FROM records WHERE seq >= 23")
    victim.sql("DELETE FROM ledger WHERE position >= 23")
    assert victim.verify().ok  # nothing in the store shows it: honest limit of a store alone
    assert _first(victim.verify(anchors=(anchor,))) == (23, Kind.DELETED)


# --- checkpoints --------------------------------------------------------------------------


def test_checkpoint_edited(victim: Victim) -> None:
    victim.sql("UPDATE checkpoints SET made_at = made_at + 1 WHERE position = 10")
    assert _first(victim.verify()) == (10, Kind.SIGNATURE)


def test_checkpoint_deleted(victim: Victim) -> None:
    victim.sql("DELETE FROM checkpoints WHERE position = 10")
    assert _first(victim.verify()) == (1, Kind.CHECKPOINT)


def test_checkpoint_resigned_with_another_key(victim: Victim) -> None:
    row = victim.sql("SELECT since, head, root, made_at FROM checkpoints WHERE position = 20")[0]
    forged = sign(
        Ed25519PrivateKey.generate(),
        position=20,
        since=row[0],
        head=row[1],
        root=row[2],
        made_at=row[3],
    )
    victim.sql(
        "UPDATE checkpoints SET public_key = ?, signature = ? WHERE position = 20",
        forged.public_key,
        forged.signature,
    )
    a = victim.verify()
    assert _first(a) == (20, Kind.SIGNATURE)
    assert "not a trusted key" in a.findings[0].message
