"""The check worker (xinyong.system.columnar_worker): a large input's chunks checked in a
second process while the writer writes, with the same outcome as the row path.

The thresholds are lowered so that small inputs go through the worker, in chunks of a few
rows, split between the writer's process (the head) and the worker (the rest). What must
hold: the same rows, hashes, ledger and per-row errors as the row path; a refusal or a
crash anywhere stops the worker's job and writes nothing; the next input finds the worker
clean (or a new one); a second input while the worker is busy is checked in its own
process.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import xinyong
import xinyong.composition
from test_columnar_admission import (
    AGENCY,
    AT,
    GOOD_NAMES,
    VARIANTS,
    batch,
    compare,
    file_source,
    jsonl,
    many,
)
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.core.ledger.chain import entry_hash
from xinyong.core.ledger.checkpoint import Checkpoint
from xinyong.system import columnar, columnar_worker
from xinyong.system.columnar import entry_hashes
from xinyong.system.columnar_worker import CheckWorker
from xinyong.system.settings import SettingsError


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both paths stamp the same acceptance instant (as in test_columnar_admission)."""
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


@pytest.fixture(scope="module")
def shared() -> Iterator[CheckWorker]:
    """One worker for the module's stores (a worker per store would start a process each)."""
    worker = CheckWorker()
    assert worker.wait_ready(60), "the check worker did not start"
    yield worker
    worker.close()


def lower_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSONL input goes to the worker, a few rows at a time, after a head of about
    three rows (a tenth of a body) checked in the writer's process."""
    for name, value in (
        ("FILE_MIN", 0),
        ("BODY_MIN", 0),
        ("FILE_HEAD", 700),
        ("FILE_HEAD_WARM", 700),
        ("FILE_HEAD_INSERTING", 700),
        ("FILE_HEAD_WARM_INSERTING", 700),
        ("BODY_HEAD", 0.1),
        ("BODY_HEAD_INSERTING", 0.1),
        ("FILE_ROWS", 3),
        ("BODY_ROWS", 2),
    ):
        monkeypatch.setattr(columnar_worker, name, value)


@pytest.fixture
def worker(shared: CheckWorker, monkeypatch: pytest.MonkeyPatch) -> CheckWorker:
    """The shared worker, given every input (see :func:`lower_thresholds`)."""
    lower_thresholds(monkeypatch)

    class Shared:  # what open_system makes: the shared worker, left running at close
        def __new__(cls) -> CheckWorker:  # type: ignore[misc]
            return shared

    monkeypatch.setattr(xinyong.composition, "CheckWorker", Shared)
    monkeypatch.setattr(shared, "close", lambda: None)
    shared.received = 0
    return shared


def _stored(db: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, content_hash FROM records ORDER BY seq").fetchall()
    finally:
        con.close()


# --- the same outcome as the row path ---------------------------------------------------------


def test_a_good_file_through_the_worker_is_stored_as_by_the_row_path(
    worker: CheckWorker, tmp_path: Path
) -> None:
    rows = many(40)
    old, new = compare(tmp_path, file_source(rows))
    assert new["columnar"]
    assert worker.received >= 5, "the worker must have checked most of the chunks"
    assert len(old["store"]["records"]) == 40


def test_a_good_body_through_the_worker_is_stored_as_by_the_row_path(
    worker: CheckWorker, tmp_path: Path
) -> None:
    body = jsonl(many(30)).encode()
    _old, new = compare(tmp_path, lambda _base: body, by=AGENCY)
    assert new["columnar"]
    assert worker.received >= 5


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff{first}\n{rows}",  # a byte order mark before line 1 (the writer's part)
        "{first}\n{rows}\r\n",  # Windows line ends (every \n becomes \r\n)
        "{first}\n\n  \n{rows}\n\n",  # blank lines: the row numbers still count them
    ],
    ids=["bom", "crlf", "blank lines"],
)
def test_line_numbers_and_forms_carry_over_to_the_worker(
    text: str, worker: CheckWorker, tmp_path: Path
) -> None:
    rows = many(20)
    body = text.format(
        first=json.dumps(rows[0]),
        rows="\n".join(json.dumps(r) for r in rows[1:]),
    )
    if "\r\n" in text:
        body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    old, new = compare(tmp_path, file_source(body))
    assert new["columnar"]
    assert worker.received >= 3
    assert old["done"][0] == new["done"][0]  # the row numbers


@pytest.mark.parametrize("where", [1, 25], ids=["in the head", "in the worker's part"])
@pytest.mark.parametrize("name", sorted(set(VARIANTS) - GOOD_NAMES)[::7])
def test_a_bad_row_anywhere_is_worded_as_by_the_row_path(
    name: str, where: int, worker: CheckWorker, tmp_path: Path
) -> None:
    rows = many(30)
    rows[where : where + 1] = batch(name)[1:2]
    old, new = compare(tmp_path, file_source(rows))
    assert "errors" in old
    assert not new["columnar"]
    after = tmp_path / "after.jsonl"  # the worker is clean for the next input
    after.write_text(jsonl(many(12, prefix="n")), encoding="utf-8")
    received = worker.received
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "after.db"))) as system:
        done = system.ingest(after)
    assert done.inserted == 12
    assert done.admitted.columns is not None
    assert worker.received > received


def test_a_conflict_found_while_writing_leaves_nothing_written(
    worker: CheckWorker, tmp_path: Path
) -> None:
    rows = many(30)
    rows.append(rows[20] | {"evidence": "other content"})  # a conflict in the last chunk
    old, new = compare(tmp_path, file_source(rows))
    assert old["error_type"] == "IngestFailed"
    assert not new["columnar"]
    assert new["store"]["records"] == []


def test_a_file_half_stored_already_is_admitted_by_the_lookup(
    worker: CheckWorker, tmp_path: Path
) -> None:
    rows = many(30)
    old, new = compare(tmp_path, file_source(rows), before=rows[10:20])
    assert new["columnar"]
    assert old["done"][3] == 10  # duplicates


# --- trouble in the worker ----------------------------------------------------------------------


def test_a_worker_killed_mid_stream_falls_back_and_is_replaced(
    worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(60)), encoding="utf-8")
    original = columnar.check_chunk
    calls = 0

    def check_then_kill(items: Any, typed: bool) -> pl.DataFrame:
        nonlocal calls
        calls += 1
        if calls == 1:  # the writer's head: meanwhile the worker dies
            pid = worker.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
        return original(items, typed)

    monkeypatch.setattr(columnar, "check_chunk", check_then_kill)
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "s.db"))) as system:
        assert system.admission.admit_columns(path) is None  # nothing written, row path next
        assert _stored(tmp_path / "s.db") == []
        monkeypatch.setattr(columnar, "check_chunk", original)
        assert worker.wait_ready(60)
        received = worker.received
        done = system.ingest(path)
        assert done.inserted == 60
        assert done.admitted.columns is not None
        assert worker.received > received, "a new worker took the next input"
        assert system.verify_ledger().ok


def test_a_file_the_worker_cannot_read_falls_back_to_the_row_path(
    worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(30)), encoding="utf-8")
    split = columnar_worker._split
    gone = os.fsencode(tmp_path / "gone.jsonl")

    def split_elsewhere(source: Any, cold: bool, **kw: Any) -> Any:  # sent a missing file
        head, kind, payload = split(source, cold, **kw)
        return head, kind, payload.replace(os.fsencode(path), gone)

    monkeypatch.setattr(columnar_worker, "_split", split_elsewhere)
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "s.db"))) as system:
        assert system.admission.admit_columns(path) is None
        assert _stored(tmp_path / "s.db") == []
        monkeypatch.setattr(columnar_worker, "_split", split)
        received = worker.received
        assert system.ingest(path).inserted == 30  # and the worker takes the next one
        assert worker.received > received


def test_a_second_input_while_the_worker_is_busy_is_checked_in_its_own_process(
    worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(jsonl(many(40, prefix="a")), encoding="utf-8")
    second.write_text(jsonl(many(40, prefix="b")), encoding="utf-8")
    in_first = threading.Event()
    go_on = threading.Event()
    original = columnar.check_chunk

    def hold_first(items: Any, typed: bool) -> pl.DataFrame:
        if items[0][1]["id"].startswith("a") and not in_first.is_set():
            in_first.set()  # the first input holds the worker...
            assert go_on.wait(30)
        return original(items, typed)

    monkeypatch.setattr(columnar, "check_chunk", hold_first)
    results: dict[str, Any] = {}
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "s.db"))) as system:

        def ingest_first() -> None:
            results["a"] = system.ingest(first)

        t = threading.Thread(target=ingest_first)
        t.start()
        assert in_first.wait(30)
        received = worker.received
        chunks = list(worker.chunks(second))  # ...so the second is checked here
        assert worker.received == received
        assert sum(c.height for c in chunks) == 40
        go_on.set()
        t.join(60)
        assert results["a"].inserted == 40
        assert worker.received > received


def test_an_input_abandoned_by_the_writer_stops_the_workers_job(
    worker: CheckWorker, tmp_path: Path
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(90)), encoding="utf-8")
    chunks = worker.chunks(path)
    next(chunks)
    next(chunks)
    chunks.close()  # what a refusal does: the worker is told to stop and drained
    again = list(worker.chunks(path))
    assert [r for c in again for r in c["row"].to_list()] == list(range(1, 91))


# --- parts of the path --------------------------------------------------------------------------


def test_entry_hashes_over_a_column_equal_the_ledgers(tmp_path: Path) -> None:
    import hashlib

    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(50)]
    for writer in (None, "police", "警察 'x'"):
        for at in (0, 1_767_225_600_123_456, -1):
            got = pl.select(entry_hashes(pl.lit(pl.Series(hashes)), writer, at)).to_series()
            assert got.to_list() == [entry_hash(h, writer, at) for h in hashes]


def test_the_check_worker_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="XINYONG_CHECK_WORKERS"):
        xinyong.Settings(check_workers=2)
    with pytest.raises(SettingsError, match="XINYONG_CHECK_WORKERS must be 0 or 1"):
        xinyong.Settings.from_env({"XINYONG_CHECK_WORKERS": "many"})
    off = xinyong.Settings.from_env({"XINYONG_CHECK_WORKERS": "0"}, db=str(tmp_path / "s.db"))
    with xinyong.open_system(off) as system:
        assert system.admission.checker is None


def test_a_bulk_commit_is_checkpointed_after_it_and_the_connection_restored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        system.ingest(jsonl(many(2000)).encode())
        store = system.store
        store.wait_for_checkpoint()
        assert db.stat().st_size > 500_000, "the records are in the database file"
        with store.writing() as conn:  # a pooled connection checkpoints on commit again
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_a_bulk_append_has_the_larger_page_cache_while_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """... and the connection it wrote on has its usual one back after the commit."""
    from xinyong.adapters.store.db import BULK_CACHE_KIB

    seen: list[int] = []
    used: list[Any] = []
    settings = xinyong.Settings(db=str(tmp_path / "s.db"), check_workers=0)
    with xinyong.open_system(settings) as system:
        store = system.store
        real = type(store)._insert_frame

        def spy(self: Any, conn: Any, *args: Any, **kwargs: Any) -> None:
            seen.append(conn.exec_driver_sql("PRAGMA cache_size").scalar())
            used.append(conn.connection.dbapi_connection)
            real(self, conn, *args, **kwargs)

        monkeypatch.setattr(type(store), "_insert_frame", spy)
        system.ingest(jsonl(many(300)).encode())
        assert seen
        assert set(seen) == {-BULK_CACHE_KIB}
        assert used[0].execute("PRAGMA cache_size").fetchone()[0] == -65536
        assert used[0].execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_chain_hashes_made_ahead_are_used_only_when_they_follow_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path makes a chunk's chain hashes while the database inserts it, from the
    ledger's end as it read it; chain_append checks them against the ledger and makes them
    again when they do not follow (a wrong head, a wrong position)."""
    import xinyong.adapters.store.sql as sql

    real_tail, real_extend = sql.ledger_tail, sql.extend
    wrong = {
        "head": lambda: monkeypatch.setattr(
            sql, "extend", lambda prev, hashes, first: ["00" * 32] * len(hashes)
        ),
        "position": lambda: monkeypatch.setattr(
            sql, "ledger_tail", lambda conn: (real_tail(conn)[0] + 1, real_tail(conn)[1])
        ),
    }
    for n, (name, spoil) in enumerate(wrong.items()):
        db = tmp_path / f"{name}.db"
        with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
            system.ingest(jsonl(many(3, prefix=f"a{n}")).encode())
            spoil()
            system.ingest(jsonl(many(5, prefix=f"b{n}")).encode())
            monkeypatch.setattr(sql, "ledger_tail", real_tail)
            monkeypatch.setattr(sql, "extend", real_extend)
            audit = system.verify_ledger()
            assert audit.ok, audit
            assert audit.entries == 8


@pytest.mark.parametrize("run", [1, 7, 100_000])
def test_ledger_runs_and_signed_checkpoints_in_a_bulk_append(
    run: int, worker: CheckWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk append writes its ledger rows a run at a time (``_LEDGER_RUN`` entries, the
    last run at the end); with a signing key, a checkpoint every ``ledger_every`` records,
    as the row path signs them."""
    import xinyong.adapters.store.sql as sql
    from xinyong.adapters.store.ledger import new_key

    monkeypatch.setattr(sql, "_LEDGER_RUN", run)
    key = tmp_path / "ledger.pem"
    new_key(key)
    counts = {}
    for side, columnar_path in (("old", False), ("new", True)):
        db = tmp_path / f"{side}.db"
        anchor = tmp_path / f"{side}.anchor"
        settings = xinyong.Settings(
            db=str(db), ledger_key=key, ledger_every=4, ledger_anchor=anchor
        )
        path = tmp_path / f"{side}.jsonl"
        path.write_text(jsonl(many(40)), encoding="utf-8")
        with xinyong.open_system(settings) as system:
            system.ingest(jsonl(many(2, prefix="s")).encode())  # a ledger that starts earlier
            if columnar_path:
                assert system.admission.admit_columns(path) is not None
            else:
                system.admission.admit(system.read(path))
            anchors = [
                Checkpoint.from_dict(json.loads(line)) for line in anchor.read_text().splitlines()
            ]
            audit = system.verify_ledger(anchors=anchors)
            assert audit.ok, audit
            counts[side] = (audit.entries, audit.checkpoints, audit.head, len(anchors))
    assert counts["new"] == counts["old"]
    assert counts["new"][:2] == (42, 10)
    assert counts["new"][3] == 10  # every checkpoint in the anchor file too


def test_progress_counts_the_records_written(worker: CheckWorker, tmp_path: Path) -> None:
    """``ingest(progress=...)`` is told of each chunk once it is written, the worker's
    included; the counts add up to the records."""
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(many(40)), encoding="utf-8")
    told: list[int] = []
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "s.db"))) as system:
        done = system.ingest(path, progress=told.append)
    assert done.inserted == 40
    assert sum(told) == 40
    assert len(told) > 3  # chunk by chunk


def test_the_writer_checks_less_of_a_body_when_it_inserts_the_rows_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the writer's process inserts the rows itself: it checks a smaller head of a
    body (:data:`BODY_HEAD_INSERTING`) than where a database server inserts them."""
    body = jsonl(many(200)).encode()
    for inserting, share in (
        (False, columnar_worker.BODY_HEAD),
        (True, columnar_worker.BODY_HEAD_INSERTING),
    ):
        split = columnar_worker._split(body, cold=False, inserting=inserting)
        assert split is not None
        assert abs(len(split[0]) / len(body) - share) < 0.02
    asked: list[bool] = []
    real = CheckWorker.chunks

    def chunks(self: CheckWorker, source: Any, *, inserting: bool = False) -> Any:
        asked.append(inserting)
        return real(self, source, inserting=inserting)

    monkeypatch.setattr(CheckWorker, "chunks", chunks)
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "s.db"))) as system:
        assert system.ingest(body).inserted == 200
    assert asked == [True]


def test_the_writer_checks_more_of_a_file_when_it_inserts_the_rows_too(tmp_path: Path) -> None:
    """... but more of a file: its inserts cost less than the worker's checking there
    (:data:`FILE_HEAD_INSERTING`, :data:`FILE_HEAD_WARM_INSERTING`)."""
    path = tmp_path / "big.jsonl"
    line = (json.dumps(many(1)[0]) + "\n").encode()
    path.write_bytes(line * (columnar_worker.FILE_HEAD_INSERTING // len(line) + 1000))
    heads = {
        (cold, inserting): len(split[0])
        for cold in (True, False)
        for inserting in (True, False)
        if (split := columnar_worker._split(path, cold=cold, inserting=inserting)) is not None
    }
    for (cold, inserting), size in {
        (True, False): columnar_worker.FILE_HEAD,
        (False, False): columnar_worker.FILE_HEAD_WARM,
        (True, True): columnar_worker.FILE_HEAD_INSERTING,
        (False, True): columnar_worker.FILE_HEAD_WARM_INSERTING,
    }.items():
        assert size - len(line) < heads[cold, inserting] <= size, (cold, inserting)
