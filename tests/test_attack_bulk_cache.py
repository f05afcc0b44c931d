"""Attacks on the bulk append's page cache (``Database.checkpoint_after``,
``_restore_autocheckpoint``, ``BULK_CACHE_KIB``): the connection a bulk append wrote on must get
its own ``cache_size`` and ``wal_autocheckpoint`` back however the transaction ends (commit,
conflict, refused row, an exception from the frames, an exception that is not an Exception),
and a pooled connection reused afterwards must work with them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import xinyong
from test_columnar_admission import AT, jsonl, many, rec
from xinyong.adapters.store import db as dbmod
from xinyong.adapters.store.db import BULK_CACHE_KIB, Database
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.system import columnar
from xinyong.system.columnar_worker import local_chunks

USUAL = -65536


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


@pytest.fixture
def bulk_conns(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The DBAPI connections bulk appends ran on, with the cache each had inside."""
    seen: list[Any] = []
    real = Database.checkpoint_after

    def spy(self: Database, conn: Any) -> None:
        real(self, conn)
        dbapi = conn.connection.dbapi_connection
        seen.append((dbapi, dbapi.execute("PRAGMA cache_size").fetchone()[0]))

    monkeypatch.setattr(Database, "checkpoint_after", spy)
    return seen


def _pragmas(dbapi: Any) -> tuple[int, int]:
    return (
        dbapi.execute("PRAGMA cache_size").fetchone()[0],
        dbapi.execute("PRAGMA wal_autocheckpoint").fetchone()[0],
    )


def _frames(rows: list[dict[str, Any]]) -> list[pl.DataFrame]:
    return [f.drop("row") for f in local_chunks(jsonl(rows).encode())]


def _system(tmp: Path) -> Any:
    return xinyong.open_system(xinyong.Settings(db=str(tmp / "s.db"), check_workers=0))


def test_restored_after_a_commit(tmp_path: Path, bulk_conns: list[Any]) -> None:
    with _system(tmp_path) as system:
        assert system.admission.admit_columns(jsonl(many(250)).encode(), None) is not None
        (dbapi, inside), *_ = bulk_conns
        assert inside == -BULK_CACHE_KIB
        assert _pragmas(dbapi) == (USUAL, 1000)


def test_restored_after_a_conflict(tmp_path: Path, bulk_conns: list[Any]) -> None:
    with _system(tmp_path) as system:
        system.ingest(jsonl([rec(id="m5", evidence="first")]).encode())
        rows = many(250)
        assert system.admission.admit_columns(jsonl(rows).encode(), None) is None
        assert bulk_conns
        for dbapi, _ in bulk_conns:
            assert _pragmas(dbapi) == (USUAL, 1000)
        assert system.verify_ledger().ok


def test_restored_after_a_refused_row_in_a_later_chunk(
    tmp_path: Path, bulk_conns: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "CHUNK", 120)
    with _system(tmp_path) as system:
        rows = [*many(250), rec(id="bad", occurred_at="yesterday")]
        assert system.admission.admit_columns(jsonl(rows).encode(), None) is None
        assert bulk_conns
        for dbapi, _ in bulk_conns:
            assert _pragmas(dbapi) == (USUAL, 1000)
        assert system.ingest(jsonl(many(130, "n")).encode()).inserted == 130
        for dbapi, _ in bulk_conns:
            assert _pragmas(dbapi) == (USUAL, 1000)


class _Stop(BaseException):
    """Not an Exception (as KeyboardInterrupt is not)."""


@pytest.mark.parametrize("error", [RuntimeError, _Stop])
def test_restored_after_the_frames_raise(
    error: type[BaseException], tmp_path: Path, bulk_conns: list[Any]
) -> None:
    frames = _frames(many(250))

    def failing() -> Iterator[pl.DataFrame]:
        yield frames[0]
        raise error("mid-stream")

    with _system(tmp_path) as system:
        with pytest.raises(error):
            system.store.append_frames(failing())
        (dbapi, inside), *_ = bulk_conns
        assert inside == -BULK_CACHE_KIB
        assert _pragmas(dbapi) == (USUAL, 1000)
        assert system.store.count() == 0
        # the pooled connection is reused and works
        assert system.store.append_frames(iter(frames)).inserted == 250
        assert bulk_conns[-1][0] is dbapi
        assert _pragmas(dbapi) == (USUAL, 1000)
        assert system.verify_ledger().ok


def test_a_connections_own_cache_is_given_back(tmp_path: Path, bulk_conns: list[Any]) -> None:
    """A pooled connection tuned to another cache size (and autocheckpoint) gets that back,
    not the usual one; a second bulk append on it does not take 256 MiB as its own."""
    with _system(tmp_path) as system:
        engine = system.store._db.engine
        raw = engine.raw_connection()
        raw.driver_connection.execute("PRAGMA cache_size=-1234")
        raw.driver_connection.execute("PRAGMA wal_autocheckpoint=77")
        dbapi = raw.driver_connection
        raw.close()  # back to the pool
        for k in range(3):
            frames = _frames(many(150, f"o{k}"))
            assert system.store.append_frames(iter(frames)).inserted == 150
            assert bulk_conns[-1][0] is dbapi
            assert _pragmas(dbapi) == (-1234, 77)


def test_a_failed_restore_drops_the_connection(
    tmp_path: Path, bulk_conns: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the pragmas cannot be put back the connection is invalidated (dropped from
    the pool): the next append gets a fresh connection with the usual pragmas."""
    real = dbmod._restore_autocheckpoint

    def broken(conn: Any, pages: int, cache: int) -> None:
        real(conn, pages, cache)
        conn.connection.dbapi_connection.execute("PRAGMA cache_size=-7")
        raise_in = conn.connection.dbapi_connection
        raise_in.close()
        real(conn, pages, cache)  # fails on the closed connection: invalidated

    with _system(tmp_path) as system:
        monkeypatch.setattr(dbmod, "_restore_autocheckpoint", broken)
        system.store.append_frames(iter(_frames(many(120, "a"))))
        monkeypatch.setattr(dbmod, "_restore_autocheckpoint", real)
        assert system.store.append_frames(iter(_frames(many(120, "b")))).inserted == 120
        first, second = bulk_conns[0][0], bulk_conns[-1][0]
        assert first is not second
        assert _pragmas(second) == (USUAL, 1000)
        assert system.store.count() == 240
        assert system.verify_ledger().ok


def test_row_appends_are_untouched(tmp_path: Path, bulk_conns: list[Any]) -> None:
    """The row path's append never takes the bulk cache."""
    with _system(tmp_path) as system:
        system.admission.admit(system.read(jsonl(many(30)).encode()), None)
        assert bulk_conns == []


def test_memory_store_keeps_its_cache(bulk_conns: list[Any]) -> None:
    """An in-memory store (one shared connection) is left alone."""
    with xinyong.open_system(xinyong.Settings(db=":memory:", check_workers=0)) as system:
        frames = _frames(many(120))
        assert system.store.append_frames(iter(frames)).inserted == 120
        raw = system.store._db.engine.raw_connection()
        try:
            assert raw.driver_connection.execute("PRAGMA cache_size").fetchone()[0] == USUAL
        finally:
            raw.close()
