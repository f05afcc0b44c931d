"""A store made by an older version opens with this one: its migrations are applied, nothing
stored is lost. ``tests/data/store_aac83ee.sql`` is the dump of a SQLite store made by the code
of commit aac83ee (before the journal's tables were a recorded migration) with
``tests/data/make_store_aac83ee.py``: four records with their ledger and a checkpoint, a live
state, an objection event, a notice mark and an access-log row."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factories import PERSON
from pg_schema import fresh_pg_schema
from xinyong.adapters.store import open_store
from xinyong.adapters.store.migrations import MIGRATIONS
from xinyong.core.ledger.checkpoint import public_hex
from xinyong.system.ports import Access

DUMP = Path(__file__).parent / "data" / "store_aac83ee.sql"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # the key that made it


@pytest.fixture
def old(tmp_path: Path) -> Path:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(DUMP.read_text())
    con.close()
    return db


def _migrations(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT name FROM migrations ORDER BY name")]


def test_a_store_of_commit_aac83ee_opens_and_keeps_everything(old: Path) -> None:
    assert _migrations(old) == ["0001_records", "0002_state", "0003_ledger"]
    store = open_store(str(old))
    try:
        assert _migrations(old) == [m.name for m in MIGRATIONS]
        assert store.count() == 4
        audit = store.ledger().verify(trusted=frozenset({public_hex(KEY)}))
        assert audit.ok, audit.findings
        assert (audit.records, audit.entries, audit.checkpoints) == (4, 4, 1)
        live = store.live_state()
        assert live.enabled()
        assert live.mark() == 4
        journal = store.journal()
        assert [e.kind for e in journal.events("obj-00000000000000aa")] == ["filed"]
        assert journal.case_ids(PERSON) == ["obj-00000000000000aa"]
        assert journal.notice_mark() == 4
        journal.log([Access("gate", "new", PERSON, "after the upgrade", "gate check")])
        assert [r["who"] for r in journal.reads_of(PERSON)] == ["new", "g1"]
    finally:
        store.close()
    with sqlite3.connect(old) as con:
        for sql in ("DELETE FROM records", "UPDATE access_log SET why = 'x'"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "credit.db")
        return
    yield from fresh_pg_schema("u_")


def test_a_journal_made_before_its_migration_is_kept(url: str) -> None:
    """A database whose journal tables exist but whose migrations do not list
    ``0004_journal`` (the journal made them itself before): the migration runs over them,
    keeps their rows and guards, and is recorded."""
    store = open_store(url)
    try:
        store.journal().log([Access("gate", "before", PERSON, "x", "gate check")])
        with store.writing() as conn:  # type: ignore[attr-defined]
            conn.exec_driver_sql("DELETE FROM migrations WHERE name = '0004_journal'")
    finally:
        store.close()
    store = open_store(url)
    try:
        with store.reading() as conn:  # type: ignore[attr-defined]
            names = [r[0] for r in conn.exec_driver_sql("SELECT name FROM migrations")]
        assert sorted(names) == [m.name for m in MIGRATIONS]
        journal = store.journal()
        journal.log([Access("gate", "after", PERSON, "x", "gate check")])
        assert [r["who"] for r in journal.reads_of(PERSON)] == ["after", "before"]
        with pytest.raises(Exception, match="append-only"), store.writing() as conn:  # type: ignore[attr-defined]
            conn.exec_driver_sql("DELETE FROM access_log")
    finally:
        store.close()
