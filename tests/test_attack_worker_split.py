"""Attacks on the file head the writer checks itself when it inserts the rows
(``columnar_worker._split``, ``FILE_HEAD_INSERTING``, ``FILE_HEAD_WARM_INSERTING``): wherever the
head ends (mid-chunk, on a line end, past the whole file, before the first line end), the file
is stored as by the row path, with the shared-parameter statements on both sides of the cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import xinyong
from test_check_worker import shared, worker  # noqa: F401 - fixtures
from test_columnar_admission import AT, jsonl, rec, run
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.system import columnar_worker
from xinyong.system.columnar_worker import CheckWorker

EVIDENCE = 'quote " backslash \\ tab \t nl \n ?1 😀'


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


def _rows(n: int) -> list[dict[str, Any]]:
    return [rec(id=f"w{i}", evidence=EVIDENCE, severity="minor") for i in range(n)]


@pytest.mark.parametrize("head", [1, 700, 25_000, 10**9])
def test_heads_of_every_size_store_what_the_row_path_stores(
    head: int,
    worker: CheckWorker,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The inserting heads (cold and warm) set to one byte (no line end: all checked here),
    a few rows, most of the file, past its end."""
    monkeypatch.setattr(columnar_worker, "FILE_HEAD_INSERTING", head)
    monkeypatch.setattr(columnar_worker, "FILE_HEAD_WARM_INSERTING", head)
    rows = _rows(230)
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(rows), encoding="utf-8")
    old = run(tmp_path, "old", path, columnar_path=False)
    db = tmp_path / "new.db"
    with xinyong.open_system(xinyong.Settings(db=str(db))) as system:
        done = system.admission.admit_columns(path, None)
        assert done is not None
        assert done.result.inserted == 230
        again = system.admission.admit_columns(path, None)  # warm worker: the warm head
        assert again is not None
        assert again.result.duplicates == 230
        assert system.verify_ledger().ok
    if head in (700, 25_000):
        assert worker.received > 0, "the worker must have checked the rest"
    new = run(tmp_path, "new2", path, columnar_path=True)
    assert new["store"] == old["store"]


def test_the_head_ends_on_a_line_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A head size that ends right after a newline keeps that line whole; one byte less cuts
    before it: the head is always whole lines and the job starts at the next line."""
    line = (jsonl([rec()])).encode()
    path = tmp_path / "in.jsonl"
    path.write_bytes(line * 10)
    for size in (len(line) * 3, len(line) * 3 - 1, len(line) * 3 + 1):
        monkeypatch.setattr(columnar_worker, "FILE_HEAD_INSERTING", size)
        split = columnar_worker._split(path, cold=True, inserting=True)
        assert split is not None
        head = split[0]
        assert head.endswith(b"\n")
        assert len(head) == len(line) * (size // len(line))
    monkeypatch.setattr(columnar_worker, "FILE_HEAD_INSERTING", len(line) - 1)
    assert columnar_worker._split(path, cold=True, inserting=True) is None
