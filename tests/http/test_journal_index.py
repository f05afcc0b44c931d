"""The SQLite access log by subject: filled in bulk after the fact, never behind what
``reads_of`` answers, and equal to a scan of the log itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from xinyong.adapters.store import Backend, open_store
from xinyong.system.ports import Access


def opened(db: Path) -> Backend:
    """A store on file ``db``; its journal is ``.journal()`` (closed with the store)."""
    return open_store(str(db))


def scan(db: Path, whom: str, limit: int) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT who, why, what FROM access_log WHERE whom = ? ORDER BY seq DESC LIMIT ?",
            (whom, limit),
        ).fetchall()
    return [tuple(r) for r in rows]


def test_reads_of_equal_a_scan_of_the_log_whatever_was_indexed(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    store = opened(db)
    journal = store.journal()
    try:
        subjects = [f"S{i:03d}" for i in range(7)]
        for round_ in range(5):
            journal.log(
                [
                    Access("gate", f"g{round_}", s, f"why {round_}.{k}", "gate check")
                    for k, s in enumerate(subjects * 3)
                ]
            )
            if round_ == 1:
                assert journal.index_pending(step=10) == 2 * 21  # in steps of ten rows
        for s in subjects:
            got = [(r["who"], r["why"], r["what"]) for r in journal.reads_of(s, limit=8)]
            assert got == scan(db, s, 8)
            assert len(got) == 8
        assert journal.index_pending() == 0  # reads_of brought it up to date
        journal.log([Access("gate", "late", "S003", "after", "gate check")])
        assert journal.reads_of("S003", limit=1)[0]["who"] == "late"
        assert journal.reads_of("nobody") == []
    finally:
        store.close()
    with sqlite3.connect(db) as con:
        (indexed,) = con.execute("SELECT count(*) FROM access_log_by_whom").fetchone()
        (logged,) = con.execute("SELECT count(*) FROM access_log").fetchone()
        assert indexed == logged == 5 * 21 + 1
        for sql in ("DELETE FROM access_log_by_whom", "UPDATE access_log_indexed SET upto = 0"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)


def test_a_journal_with_the_old_index_is_indexed_on_first_read(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    opened(db).close()
    with sqlite3.connect(db) as con:  # as a journal written before the derived table
        con.execute("DELETE FROM migrations WHERE name = '0004_journal'")
        con.execute("CREATE INDEX ix_access_log_whom ON access_log (whom, seq)")
        con.execute(
            "INSERT INTO access_log (at, role, who, whom, why, what) "
            "VALUES (1, 'gate', 'old', 'S1', 'before', 'gate check')"
        )
    store = opened(db)
    try:
        assert [r["who"] for r in store.journal().reads_of("S1")] == ["old"]
    finally:
        store.close()
    with sqlite3.connect(db) as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_access_log_whom" not in names


def test_log_reads_writes_one_row_per_subject_in_order(tmp_path: Path) -> None:
    db = tmp_path / "many.db"
    store = opened(db)
    journal = store.journal()
    try:
        whom = [f"S{i:04d}" for i in range(300, 0, -3)] + ["S0300"]  # unsorted, one twice
        journal.log_reads("gate", "g1", whom, "check at gate x", "gate check")
        journal.log_reads("gate", "g2", ["S0001"], "one", "gate check")
        assert (
            journal.reads_of("S0300")
            == [{**journal.reads_of("S0300")[0], "who": "g1", "why": "check at gate x"}] * 2
        )
    finally:
        store.close()
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT role, who, whom, why, what FROM access_log ORDER BY seq")
        assert list(rows) == [
            *(("gate", "g1", s, "check at gate x", "gate check") for s in whom),
            ("gate", "g2", "S0001", "one", "gate check"),
        ]
