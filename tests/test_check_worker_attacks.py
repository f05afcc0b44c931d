"""An attacker's review of the bulk-ingest path (check worker, optimistic inserts, the WAL
checkpoint after a bulk commit, the HTTP answer): first the bugs it found, each a regression
test now (its docstring says what went wrong before the fix), then properties that were
checked and hold.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import event

import xinyong
import xinyong.composition
from test_check_worker import lower_thresholds
from test_columnar_admission import AT, jsonl, many
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.system import columnar, columnar_worker
from xinyong.system.columnar_worker import CheckWorker


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSONL input goes to the worker, a few rows a chunk after a short head."""
    lower_thresholds(monkeypatch)


@pytest.fixture
def fresh_worker(small: None) -> Iterator[CheckWorker]:
    w = CheckWorker()
    yield w
    w.close()


def _ids(chunks: Iterator[pl.DataFrame]) -> list[str]:
    return [i for c in chunks for i in c["id"].to_list()]


# =================================================================================================
# Bugs found (each failed before its fix)
# =================================================================================================


# BUG: a STOP sent before the worker took the job is lost
def test_a_stop_sent_while_the_worker_starts_is_honoured(
    fresh_worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold worker (file inputs are sent to it while it still imports): the writer sends
    the job, its head fails at once (a bad row), it sends STOP. The worker's listener reads
    the job and the STOP back to back and sets ``stop``; the main loop then takes the job
    and runs ``stop.clear()`` ("a stop sent before this job was for an earlier one"),
    erasing the STOP that was for *this* job. The worker checks the whole rest of the file
    and the writer's ``_Remote.close()`` drains every chunk before the row path can start
    (on a 1 GB file: the full check time of the file, for nothing)."""
    rows = many(600)
    rows[1]["amount"] = "not a number"  # the writer's head falls back at once
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(rows), encoding="utf-8")
    drained = 0
    read_ipc = pl.read_ipc

    def counting(*a: Any, **k: Any) -> pl.DataFrame:
        nonlocal drained
        drained += 1
        return read_ipc(*a, **k)

    monkeypatch.setattr(pl, "read_ipc", counting)
    with pytest.raises(columnar.Fallback):
        list(fresh_worker.chunks(path))
    # honoured (as when the worker is warm: about a dozen), the worker stops after the
    # chunks that fit in the queue and the pipe; lost, it sends all 200
    assert drained < 50, f"the worker sent {drained} of 200 chunks after STOP"


# BUG: a relative path is resolved in the worker's cwd
def test_a_relative_path_is_read_from_the_writers_directory(
    fresh_worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_split`` sends ``os.fsencode(source)`` as given: a relative path is opened in the
    worker's working directory, the one the writer had when the worker started. After a
    ``chdir`` the writer checks the head of one file and the worker the rest of another:
    records of a file that was never ingested are stored, silently."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "in.jsonl").write_text(jsonl(many(20, prefix="A")), encoding="utf-8")
    (b / "in.jsonl").write_text(jsonl(many(20, prefix="B")), encoding="utf-8")
    monkeypatch.chdir(a)
    assert fresh_worker.wait_ready(60)
    monkeypatch.chdir(b)
    ids = _ids(fresh_worker.chunks(Path("in.jsonl")))
    assert fresh_worker.received > 0
    assert ids == [f"B{i}" for i in range(20)], ids


# BUG: the worker reopens the file by name
def test_a_file_replaced_while_being_ingested_is_not_mixed(
    fresh_worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer reads the head through one open file; the worker opens the path again,
    later. A file replaced by rename meanwhile (log rotation, an atomic writer, rsync) gives
    the head of the old file and the rest of the new one. The local path (one open file
    from start to end) reads the old file whole; so did columnar admission before."""
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(20, prefix="old")), encoding="utf-8")
    assert fresh_worker.wait_ready(60)
    split = columnar_worker._split

    def split_then_replace(source: Any, cold: bool, **kw: Any) -> Any:
        out = split(source, cold, **kw)
        new = tmp_path / "new.jsonl"
        new.write_text(jsonl(many(20, prefix="new")), encoding="utf-8")
        os.replace(new, path)  # the writer holds the old head; the path is the new file
        return out

    monkeypatch.setattr(columnar_worker, "_split", split_then_replace)
    with pytest.raises(columnar.Fallback):  # the worker refuses a file that is not the one
        _ids(fresh_worker.chunks(path))
    monkeypatch.setattr(columnar_worker, "_split", split)
    ids = _ids(fresh_worker.chunks(path))  # what the row path then reads: one file, whole
    assert fresh_worker.received > 0
    assert {i[:3] for i in ids} == {"new"}, ids


# BUG: close() during a job stalls 5 s, then ValueError
def test_closing_the_worker_while_a_job_runs(fresh_worker: CheckWorker, tmp_path: Path) -> None:
    """``CheckWorker.close()`` while an input is being checked (``CreditSystem.close`` from
    another thread; the HTTP lifespan ending with a request in the thread pool): it closes
    the worker's stdin, but the worker is blocked writing a chunk nobody reads (the queue of
    4 is full), so ``proc.wait(timeout=5)`` always runs out: a 5 s stall, then kill. The
    writer's ``_Remote.close()`` then writes STOP into the closed stdin: ``ValueError: write
    to closed file`` (only OSError is caught) escapes from the ingest, and the reader thread
    stays blocked on ``queue.put`` forever (a leaked thread holding a chunk)."""
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(90)), encoding="utf-8")
    assert fresh_worker.wait_ready(60)
    chunks = fresh_worker.chunks(path)
    next(chunks)
    next(chunks)
    time.sleep(0.3)  # the worker runs ahead until the queue and the pipe are full
    started = time.monotonic()
    fresh_worker.close()
    took = time.monotonic() - started
    problems = []
    try:
        chunks.close()
    except Exception as e:
        problems.append(f"closing the input raised {type(e).__name__}: {e}")
    if took > 2:
        problems.append(f"close() took {took:.1f} s")
    time.sleep(0.2)
    readers = [t for t in threading.enumerate() if t.name == "check-worker-reader"]
    if readers:
        problems.append(f"{len(readers)} reader thread(s) left running")
    assert not problems, problems


# BUG: the pragma restore re-begins IMMEDIATE after commit
def test_the_autocheckpoint_restore_cannot_fail_a_committed_append(tmp_path: Path) -> None:
    """``Tx.__exit__`` restores ``wal_autocheckpoint`` with ``conn.exec_driver_sql`` after
    the commit: SQLAlchemy autobegins, so the store's ``begin`` hook runs ``BEGIN
    IMMEDIATE`` again, which must take SQLite's write lock. If another writer (another
    process on the same store: a CLI ingest beside the server) got the lock right after
    our COMMIT, the restore waits for that writer's whole transaction (busy_timeout: 30 s)
    and then raises "database is locked" from the ``finally``: the caller is told the
    ingest failed although it committed, ``conn.close()`` is skipped, and the store's
    Python writer lock is never released: every later write in the process hangs.

    Here the other writer takes the lock at that very moment (a ``begin`` hook placed
    before the store's), and the connection's busy timeout is lowered to keep the test
    fast."""
    db = tmp_path / "s.db"
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        system.ingest(jsonl(many(5, prefix="x")).encode())
        engine = system.store._db.engine
        committed = threading.Event()
        other: list[sqlite3.Connection] = []

        @event.listens_for(engine, "commit")
        def _commit(conn: Any) -> None:
            committed.set()

        @event.listens_for(engine, "begin", insert=True)
        def _begin(conn: Any) -> None:
            if committed.is_set() and not other:  # the first BEGIN after the bulk commit
                conn.connection.dbapi_connection.execute("PRAGMA busy_timeout=200")
                rival = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
                rival.execute("BEGIN IMMEDIATE")  # another writer got the lock first
                other.append(rival)

        problems = []
        try:
            system.ingest(jsonl(many(50)).encode())
        except Exception as e:
            problems.append(f"a committed ingest raised {type(e).__name__}: {e}")
        finally:
            for rival in other:
                rival.rollback()
                rival.close()
            event.remove(engine, "begin", _begin)
            event.remove(engine, "commit", _commit)
        stored = sqlite3.connect(db).execute("SELECT count(*) FROM records").fetchone()[0]
        lock = system.store._db.lock
        if lock.acquire(timeout=1):
            lock.release()
        else:
            problems.append("the store's writer lock is held for ever")
            lock.release()  # let close() run
        assert stored == 55
        assert not problems, problems


# =================================================================================================
# Properties checked that hold
# =================================================================================================


def test_nothing_left_after_the_system_closes(small: None, tmp_path: Path) -> None:
    """A real worker per system: after close, its process has exited, the reader and
    checkpoint threads are gone and the file descriptors are back to what they were."""

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(60)), encoding="utf-8")
    for n in range(2):  # the first round opens a few descriptors kept for the process
        before, threads = fds(), set(threading.enumerate())
        with xinyong.open_system(xinyong.Settings(db=str(tmp_path / f"s{n}.db"))) as system:
            checker = system.admission.checker
            assert checker is not None
            assert checker.wait_ready(60)
            pid = checker.pid()
            proc = checker._proc
            done = system.ingest(path)
            assert done.inserted == 60
            assert checker.received > 0
        assert proc is not None
        assert proc.poll() is not None, f"worker {pid} still runs"
        assert set(threading.enumerate()) <= threads, "a thread left running"
    assert fds() <= before


def test_two_threads_ingesting_through_one_system(small: None, tmp_path: Path) -> None:
    """Two large files at once through one system: one goes to the worker, the other is
    checked in its own thread; both stored whole, the ledger sound."""
    paths = []
    for p in "ab":
        path = tmp_path / f"{p}.jsonl"
        path.write_text(jsonl(many(120, prefix=p)), encoding="utf-8")
        paths.append(path)
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "s.db"))) as system:
        assert system.admission.checker is not None
        assert system.admission.checker.wait_ready(60)
        out: dict[str, Any] = {}

        def run(path: Path) -> None:
            try:
                out[path.stem] = system.ingest(path).inserted
            except Exception as e:
                out[path.stem] = e

        threads = [threading.Thread(target=run, args=(p,)) for p in paths]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert out == {"a": 120, "b": 120}
        assert system.verify_ledger().ok


def test_the_http_answer_is_the_row_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """POST /v1/records by the columnar path and by the row path (forced): the same bytes
    (keys in the same order; row numbers past a blank line; a repeat reported as a
    duplicate; an id with quotes, backslashes and non-ASCII), twice (then all duplicates)."""
    import dataclasses
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "http"))
    from http_helpers import AGENCY, KEYS_TOML, TestClient, listing

    from factories import make_record
    from xinyong.drivers.http import create_app
    from xinyong.system.admission import Admission
    from xinyong.system.principals import KeyRing

    keys = KeyRing.from_toml(KEYS_TOML, "test keys")
    odd = dataclasses.replace(make_record(), id='we"ird\\idé😀</x>')
    lines = [json.dumps(r.to_dict()) for r in (listing(), make_record(), odd)]
    body = ("\n".join(lines) + "\n\n" + lines[0] + "\n").encode()
    answers = {}
    real = Admission.admit_columns
    for side in ("columnar", "row"):
        if side == "row":
            monkeypatch.setattr(Admission, "admit_columns", lambda self, *a, **k: None)
        else:
            monkeypatch.setattr(Admission, "admit_columns", real)
        with TestClient(create_app(str(tmp_path / f"{side}.db"), keys=keys)) as c:
            first = c.post("/v1/records", content=body, headers=AGENCY)
            again = c.post("/v1/records", content=body, headers=AGENCY)
        assert first.status_code == again.status_code == 200
        assert first.headers["content-type"] == "application/json"
        answers[side] = (first.content, again.content)
    assert answers["columnar"] == answers["row"]
    first_answer = json.loads(answers["row"][0])
    assert list(first_answer) == [
        "rows",
        "inserted",
        "duplicates",
        "results",
        "notices_for_subjects",
    ]
    assert [r["row"] for r in first_answer["results"]] == [1, 2, 3, 5]


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    from pg_schema import fresh_pg_schema

    yield from fresh_pg_schema("atk_")


def test_postgresql_savepoint_path(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unique violation inside a binary COPY (a half-stored file, a repeat inside a
    chunk) is rolled back to the savepoint and the chunk retried with only its new rows
    (the sequence values the failed COPY took leave a gap the ledger handles); the same id
    with other content is a conflict that writes nothing."""
    monkeypatch.setattr(columnar, "CHUNK", 7)
    rows = many(40)
    rows.insert(12, dict(rows[10]))  # a repeat inside one chunk
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(rows), encoding="utf-8")
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        system.ingest(jsonl(many(40)[15:25]).encode())
        done = system.admission.admit_columns(path, None)
        assert done is not None
        assert (done.result.inserted, done.result.duplicates) == (30, 11)
        clash = tmp_path / "clash.jsonl"
        clash.write_text(
            jsonl([*many(5, prefix="z"), many(40)[3] | {"evidence": "other"}]), encoding="utf-8"
        )
        assert system.admission.admit_columns(clash, None) is None
        assert system.store.count() == 40
        assert system.verify_ledger().ok


def test_migration_0008_on_a_postgresql_store_with_data(pg_url: str) -> None:
    """A store made before 0008 (keys in the database's collation), with records: the
    migration sets COLLATE "C" on id, subject and refers_to, keeps the rows and the
    ledger, and appends go on (a re-sent batch found as duplicates)."""
    import psycopg

    from pg_schema import PG_SERVER

    schema = pg_url.split("%3D", 1)[1]
    first = many(30, prefix="Ä")
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        system.ingest(jsonl(first).encode())
    with psycopg.connect(PG_SERVER, autocommit=True) as con:  # back to before 0008
        con.execute(f'SET search_path TO "{schema}"')
        con.execute(
            'ALTER TABLE records ALTER COLUMN id TYPE text COLLATE "default", '
            'ALTER COLUMN subject TYPE text COLLATE "default", '
            'ALTER COLUMN refers_to TYPE text COLLATE "default"'
        )
        con.execute("DELETE FROM migrations WHERE name = '0008_byte_order_keys'")
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        done = system.ingest(jsonl([*first, *many(40, prefix="Ä")[30:]]).encode())
        assert (done.inserted, done.duplicates) == (10, 30)
        assert system.verify_ledger().ok
    with psycopg.connect(PG_SERVER) as con:
        got = con.execute(
            "SELECT column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'records' "
            "AND column_name IN ('id', 'subject', 'refers_to')",
            (schema,),
        ).fetchall()
    assert dict(got) == {"id": "C", "subject": "C", "refers_to": "C"}
