"""SQLite's WAL does not grow without bound while readers keep reading: once it is past its
limit, the checkpoint waits for them to finish their transaction and starts the WAL over."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from xinyong.adapters.store import db as store_db
from xinyong.adapters.store.db import checkpoint_wal


def test_a_grown_wal_is_truncated_under_steady_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "WAL_LIMIT", 256 * 1024)
    path = str(tmp_path / "c.db")
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # as the service's log connection
    writer.execute("CREATE TABLE t (x TEXT)")
    stop = threading.Event()

    def read() -> None:  # a steady load of short read transactions
        r = sqlite3.connect(path, check_same_thread=False)
        while not stop.is_set():
            r.execute("SELECT count(*) FROM t").fetchone()
        r.close()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for _ in range(40):
            writer.execute("BEGIN")
            writer.executemany("INSERT INTO t VALUES (?)", [("x" * 200,)] * 100)
            writer.execute("COMMIT")
        wal = path + "-wal"
        grown = os.path.getsize(wal)
        assert grown > store_db.WAL_LIMIT
        checker = sqlite3.connect(path, isolation_level=None)
        checker.execute("PRAGMA busy_timeout=10000")
        assert checkpoint_wal(checker, wal) == "TRUNCATE"
        assert os.path.getsize(wal) < grown // 10
        assert checkpoint_wal(checker, wal) == "PASSIVE"  # small now: never waits
        checker.close()
    finally:
        stop.set()
        for t in readers:
            t.join()
        writer.close()
