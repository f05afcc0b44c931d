"""The SQLite backend: the store contract, plus what only SQLite does (triggers, pragmas)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from factories import make_record
from store_contract import StoreContract, StoreFactory
from xinyong.adapters.store import SqlRecordStore, open_store, store_url
from xinyong.adapters.store.migrations import MIGRATIONS
from xinyong.core.errors import XinyongError


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return lambda: open_store(str(tmp_path / "credit.db"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "credit.db"
    with SqlRecordStore(store_url(str(path))) as store:
        store.append([make_record(), make_record()])
    return path


_REPLACE_ROW = (
    "REPLACE INTO records (seq, id, subject, category, occurred_at, recorded_at, source,"
    " legal_basis, evidence, status, details, content_hash, ingested_at)"
    " VALUES (1, 'new', 'S', 'c', 0, 0, 's', 'l', '', 'active', '{}', 'h', 0)"
)
_REPLACE_SAME = "INSERT OR REPLACE INTO records SELECT * FROM records WHERE seq = 1"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE records SET amount = 1", "UPDATE refused"),
        ("DELETE FROM records", "DELETE refused"),
    ],
)
def test_database_refuses_changes_from_any_client(db: Path, sql: str, message: str) -> None:
    con = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.IntegrityError, match=message):
            con.execute(sql)
        con.rollback()
        assert con.execute("SELECT count(*) FROM records").fetchone() == (2,)
    finally:
        con.close()


@pytest.mark.parametrize("sql", [_REPLACE_SAME, _REPLACE_ROW])
def test_replace_meets_the_delete_guard_with_recursive_triggers(db: Path, sql: str) -> None:
    """No trigger runs on INSERT (migration 0007): an INSERT OR REPLACE over a stored key
    deletes the stored row first, which the DELETE guard refuses on every connection the
    store opens (recursive triggers on)."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA recursive_triggers = ON")
        with pytest.raises(sqlite3.IntegrityError, match="DELETE refused"):
            con.execute(sql)
        con.rollback()
        assert con.execute("SELECT count(*) FROM records").fetchone() == (2,)
        triggers = {
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert "records_no_replace" not in triggers
        assert {"records_no_update", "records_no_delete"} <= triggers
    finally:
        con.close()


def test_replace_by_a_client_without_recursive_triggers_is_caught_by_the_ledger(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute(_REPLACE_ROW)
        con.commit()
    finally:
        con.close()
    with SqlRecordStore(store_url(str(db))) as store:
        audit = store.ledger().verify()
    assert not audit.ok
    assert audit.first is not None
    assert audit.first.position == 1


def test_migrations_are_recorded_once(db: Path) -> None:
    open_store(str(db)).close()  # reopening applies nothing new
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == [m.name for m in MIGRATIONS]
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        con.execute("INSERT INTO migrations VALUES ('9999_from_the_future', 0)")
        con.commit()
    finally:
        con.close()
    with pytest.raises(XinyongError, match=r"9999_from_the_future.*upgrade"):
        open_store(str(db))


def test_store_url() -> None:
    assert store_url("sqlite:///x.db") == "sqlite:///x.db"
    assert store_url("credit.db") == "sqlite:///credit.db"
    assert store_url("/tmp/credit.db") == "sqlite:////tmp/credit.db"
    assert store_url(":memory:") == "sqlite://"
    with pytest.raises(XinyongError, match=r"mysql.*file path"):
        store_url("mysql://host/db")
    with pytest.raises(XinyongError, match="does not exist"):
        store_url("/no/such/folder/credit.db")


def test_in_memory_store() -> None:
    with SqlRecordStore("sqlite://") as store:
        r = make_record()
        store.append([r])
        assert store.get(r.id) == r
