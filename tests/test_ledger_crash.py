"""Crash test: ``xinyong ingest`` killed (SIGKILL) in the middle of a large ingest and of a
correction ingest; after each kill ``ledger verify`` passes and nothing acknowledged is lost.

Acknowledgement is observable as the ingest command's exit status 0 (it prints its summary
only after the commit). A file is one transaction, so a killed ingest leaves either all of its
file or none of it, never part: the test checks exactly that, and that every file acknowledged
before is still there, in order, with the chain and the signed checkpoints intact.

The kills land at spread-out moments of the run (reading, checking, writing, committing);
runs of 5,000 and 200,000 records on SQLite and 50,000 on PostgreSQL (all marked slow:
make test-slow).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factories import bulk_records, make_correction, resident_codes
from pg_schema import fresh_pg_schema
from xinyong.adapters.store import PostgresRecordStore, SqlRecordStore, store_url
from xinyong.adapters.store.ledger import new_key
from xinyong.core.ledger.checkpoint import public_hex
from xinyong.core.records import Record

XINYONG = str(Path(sys.executable).parent / "xinyong")


def _write(path: Path, rows: list[Record]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    return path


def _open(db: str) -> SqlRecordStore:
    if db.startswith("postgresql://"):
        return PostgresRecordStore(db)
    return SqlRecordStore(store_url(db))


def _ids(db: str) -> list[str]:
    store = _open(db)
    try:
        return [r.id for batch in store.scan(50_000) for r in batch]
    finally:
        store.close()


def _verify(db: str, key: Ed25519PrivateKey) -> None:
    store = _open(db)
    try:
        a = store.ledger().verify(trusted=frozenset({public_hex(key)}))
    finally:
        store.close()
    assert a.ok, a.findings[:3]
    assert a.records == a.entries


def _ingest(file: Path, db: str, env: dict[str, str], kill_after: float | None) -> bool:
    """Run ``xinyong ingest``; SIGKILL it after ``kill_after`` s. True if it acknowledged."""
    proc = subprocess.Popen(
        [XINYONG, "ingest", str(file), "--db", db],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if kill_after is None:
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
        return True
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode == 0  # finished before the kill


def _pg_schema() -> Iterator[str]:
    yield from fresh_pg_schema()


@pytest.fixture
def dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the store under test, a second store to time a whole ingest in)."""
    if request.param == "sqlite":
        yield str(tmp_path / "credit.db"), str(tmp_path / "timing.db")
    else:
        for db in _pg_schema():
            for timing in _pg_schema():
                yield db, timing


@pytest.mark.parametrize(
    ("dbs", "size", "fractions"),
    [
        ("sqlite", 5_000, (0.5, 0.9)),
        ("sqlite", 200_000, (0.3, 0.6, 0.85, 0.95)),
        pytest.param("postgresql", 50_000, (0.5, 0.8, 0.95), marks=pytest.mark.postgres),
    ],
    indirect=["dbs"],
)
@pytest.mark.slow  # each CLI run pays Python start-up; over 20 s even for the small file
def test_kill_mid_ingest_and_mid_correction(
    tmp_path: Path, dbs: tuple[str, str], size: int, fractions: tuple[float, ...]
) -> None:
    key_file = tmp_path / "ledger.pem"
    key = new_key(key_file)
    env = {**os.environ, "XINYONG_LEDGER_KEY": str(key_file), "XINYONG_LEDGER_EVERY": "1000"}
    db, timing_db = dbs
    codes = resident_codes(500)
    first = bulk_records(codes, 2_000, "a")
    big = bulk_records(codes, size, "b")
    fixes = [make_correction(r, id=f"fix-{r.id}", amount=1.0) for r in first] + [
        make_correction(r, id=f"fix-{r.id}", evidence="corrected") for r in big[: size // 2]
    ]
    a_file = _write(tmp_path / "a.jsonl", first)
    big_file = _write(tmp_path / "big.jsonl", big)
    fix_file = _write(tmp_path / "fixes.jsonl", fixes)

    assert _ingest(a_file, db, env, None)
    acknowledged = [r.id for r in first]
    started = time.perf_counter()
    assert _ingest(big_file, timing_db, env, None)
    full = time.perf_counter() - started  # how long a whole ingest of the big file takes

    for file, rows in ((big_file, big), (fix_file, fixes)):
        for fraction in fractions:
            done = _ingest(file, db, env, full * fraction * (1.5 if file is fix_file else 1))
            ids = _ids(db)
            assert ids[: len(acknowledged)] == acknowledged  # nothing acknowledged lost
            rest = ids[len(acknowledged) :]
            assert rest in ([], [r.id for r in rows]), "a killed ingest left part of its file"
            _verify(db, key)
            if rest:  # it committed just before the kill (or finished): acknowledged now
                acknowledged = ids
                break
        else:
            assert _ingest(file, db, env, None)
            acknowledged = acknowledged + [r.id for r in rows]
        assert done or _ids(db) == acknowledged
    assert _ids(db) == acknowledged
    assert len(acknowledged) == len(first) + len(big) + len(fixes)
    _verify(db, key)
