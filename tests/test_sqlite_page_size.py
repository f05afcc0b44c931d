"""A new SQLite store gets pages of ``PAGE_SIZE`` bytes; a store made with SQLite's default
(4,096) keeps its pages, and both take records, answer and verify alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import xinyong
from test_columnar_admission import jsonl, many
from xinyong.adapters.store import db as dbmod
from xinyong.adapters.store.db import PAGE_SIZE


def _page_size(path: Path) -> int:
    with sqlite3.connect(path) as con:
        size: int = con.execute("PRAGMA page_size").fetchone()[0]
    return size


def _ingest_and_verify(path: Path, tmp: Path, prefix: str) -> tuple[int, int]:
    body = tmp / f"{prefix}.jsonl"
    body.write_text(jsonl(many(250, prefix=prefix)), encoding="utf-8")
    with xinyong.open_system(xinyong.Settings(db=str(path), check_workers=0)) as system:
        done = system.ingest(body)
        report = system.verify_ledger()
    assert report.ok, report
    return done.inserted, done.rows


def test_a_new_store_has_the_larger_pages(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert _ingest_and_verify(path, tmp_path, "n") == (250, 250)
    assert PAGE_SIZE == 8192
    assert _page_size(path) == PAGE_SIZE


def test_a_store_made_with_the_default_pages_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    monkeypatch.setattr(dbmod, "PAGE_SIZE", 4096)  # as stores were made before
    assert _ingest_and_verify(path, tmp_path, "a") == (250, 250)
    assert _page_size(path) == 4096
    monkeypatch.setattr(dbmod, "PAGE_SIZE", 8192)  # opened by this version
    assert _ingest_and_verify(path, tmp_path, "b") == (250, 250)
    assert _page_size(path) == 4096  # SQLite ignores the pragma once tables exist
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM records").fetchone()[0] == 500
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
