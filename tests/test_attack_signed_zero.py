"""Attacks on the reading of a signed zero amount (``Record.__post_init__``, ``columnar._amount``):
-0.0 is read as 0.0 by both paths, on SQLite and PostgreSQL, in JSON and CSV; a re-sent batch is
a duplicate whichever path stored it first; the ledger verifies; and (regressions) what a store
held before the change, or a record built in Python, still verifies."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import xinyong
from factories import PERSON
from test_columnar_admission import (
    AT,
    GOOD,
    _csv_text,
    _dump,
    _pg_dump,
    compare,
    file_source,
    jsonl,
    rec,
    run,
)
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.core.records import Record
from xinyong.system.reading import IngestFailed

ZEROS_JSON = ["-0.0", "0", "0.0", "-0", "-0e0", "0e-7", "-0.0e+5", "-0E-0"]
"""Amounts written as JSON number text (the raw line keeps the sign)."""
ZEROS_CSV = ["-0.0", "0", "0.0", "-0", "+0", "-.0", "-0e0", " -0.0"]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


@pytest.fixture
def pg_url() -> Iterator[str]:
    from pg_schema import fresh_pg_schema

    yield from fresh_pg_schema("zero_")


def _zero_lines(n: int, prefix: str = "z") -> str:
    """JSONL of ``n`` records whose amounts cycle through :data:`ZEROS_JSON` as written."""
    out = []
    for i in range(n):
        line = json.dumps(rec(id=f"{prefix}{i}", amount=123456789))
        out.append(line.replace("123456789", ZEROS_JSON[i % len(ZEROS_JSON)]) + "\n")
    return "".join(out)


@pytest.mark.parametrize("n", [1, len(ZEROS_JSON), 101, 230])
def test_signed_zeros_alike_by_both_paths(n: int, tmp_path: Path) -> None:
    old, new = compare(tmp_path, file_source(_zero_lines(n)))
    assert "errors" not in old, old.get("errors")
    assert new["columnar"]
    amounts = [r[8] for r in old["store"]["records"]]
    assert amounts == [0.0] * n
    assert all(str(a) == "0.0" for a in amounts)


def test_signed_zeros_from_csv(tmp_path: Path) -> None:
    rows = [rec(id=f"c{i}", amount=ZEROS_CSV[i % len(ZEROS_CSV)]) for i in range(40)]
    old, _new = compare(tmp_path, file_source(_csv_text(rows), ".csv"))
    assert "errors" not in old, old.get("errors")
    assert [r[8] for r in old["store"]["records"]] == [0.0] * 40


def test_tiny_negative_amounts_keep_their_sign(tmp_path: Path) -> None:
    """Only zero loses its sign: the smallest subnormal and other tiny amounts do not."""
    text = "".join(
        json.dumps(rec(id=f"t{i}", amount=1)).replace('"amount": 1', f'"amount": {a}') + "\n"
        for i, a in enumerate(["-5e-324", "5e-324", "-1e-310", "-2.2250738585072014e-308"])
    )
    old, new = compare(tmp_path, file_source(text))
    assert new["columnar"]
    amounts = [r[8] for r in old["store"]["records"]]
    assert amounts[0] < 0
    assert amounts[2] < 0
    assert amounts[3] < 0


@pytest.mark.parametrize("first", ["row", "columnar"])
@pytest.mark.parametrize("then", ["row", "columnar"])
def test_re_sent_zeros_are_duplicates_on_sqlite(first: str, then: str, tmp_path: Path) -> None:
    """Stored by one path with -0.0, sent again by either path as -0.0, 0 or 0.0: duplicates,
    never conflicts; the ledger verifies."""
    sent = tmp_path / "a.jsonl"
    sent.write_text(_zero_lines(120), encoding="utf-8")
    # the same ids with other spellings of zero
    again = tmp_path / "b.jsonl"
    shifted = [
        json.dumps(rec(id=f"z{i}", amount=7)).replace(
            '"amount": 7', '"amount": ' + ZEROS_JSON[(i + 3) % 8]
        )
        for i in range(120)
    ]
    again.write_text("\n".join(shifted) + "\n", encoding="utf-8")
    db = tmp_path / "s.db"
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        for path, how in ((sent, first), (again, then)):
            done = system.admission.admit_columns(path, None) if how == "columnar" else None
            if how == "columnar":
                assert done is not None, "the columnar path must admit it"
            else:
                done = system.admission.admit(system.read(path), None)
        assert (done.result.inserted, done.result.duplicates) == (0, 120)
        audit = system.verify_ledger()
        assert audit.ok, audit


def test_signed_zero_in_details_is_kept_alike(tmp_path: Path) -> None:
    """A detail value of -0.0 is text in the details JSON: both paths keep it as written."""
    rows = [rec(id=f"d{i}", details={"x": -0.0 if i % 2 else 0.0}) for i in range(210)]
    old, new = compare(tmp_path, file_source(rows))
    assert new["columnar"]
    details = {r[12] for r in old["store"]["records"]}
    assert details == {'{"x":-0.0}', '{"x":0.0}'}


def test_postgresql_signed_zeros_alike_and_idempotent(pg_url: str, tmp_path: Path) -> None:
    """On PostgreSQL (which keeps -0.0 in a double): the columnar COPY stores what the row
    path stores on SQLite, a re-send by either path reports duplicates, the ledger holds."""
    path = tmp_path / "in.jsonl"
    path.write_text(_zero_lines(130), encoding="utf-8")
    old = run(tmp_path, "old", path, columnar_path=False)
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        done = system.admission.admit_columns(path, None)
        assert done is not None
        assert done.result.inserted == 130
        again = system.admission.admit_columns(path, None)
        assert again is not None
        assert again.result.duplicates == 130
        rows = system.admission.admit(system.read(path), None)
        assert (rows.result.inserted, rows.result.duplicates) == (0, 130)
        audit = system.verify_ledger()
        assert audit.ok, audit
    dump = _pg_dump(pg_url)
    assert dump == old["store"]
    assert all(str(r[8]) == "0.0" for r in dump["records"])


def test_postgresql_row_path_first_then_columnar(pg_url: str, tmp_path: Path) -> None:
    body = _zero_lines(50, "p").encode()
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        first = system.admission.admit(system.read(body), None)
        assert first.result.inserted == 50
        again = system.admission.admit_columns(body, None)
        assert again is not None
        assert (again.result.inserted, again.result.duplicates) == (0, 50)
        assert system.verify_ledger().ok


def test_postgresql_records_stored_as_minus_zero_before_still_verify(
    pg_url: str, tmp_path: Path
) -> None:
    """PostgreSQL keeps -0.0 in a double precision column, so a record stored with amount
    -0.0 before -0.0 was read as 0.0 on the way in has the hash of ``"amount":-0.0``. The
    reading is done where records come in (``Record.from_dict``, the columns), not when a
    stored row is read back, so such a record still verifies (an earlier draft turned -0.0
    into 0.0 in ``Record.__post_init__``, and ``ledger verify`` reported it EDITED). Sent
    again, the same line now reads 0.0, another content: a conflict, said as such."""
    legacy = Record(
        id="legacy",
        subject=GOOD["subject"],
        category=GOOD["category"],
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2024, 1, 2, tzinfo=UTC),
        source=GOOD["source"],
        legal_basis=GOOD["legal_basis"],
        amount=-0.0,
    )
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        system.store.append([legacy])
    assert str(_pg_dump(pg_url)["records"][0][8]) == "-0.0"
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=0)) as system:
        audit = system.verify_ledger()
        assert audit.ok, audit.findings
        body = jsonl([rec(id="legacy", amount=-0.0)]).encode()
        with pytest.raises(IngestFailed, match="different content"):
            system.admission.admit(system.read(body), None)
        assert system.verify_ledger().ok


# Was a bug, fixed: an int amount (Record built in Python) is hashed as an int and stored as a REAL
@pytest.mark.parametrize("amount", [0, 5], ids=["int zero", "int"])
def test_a_record_built_in_python_with_a_whole_amount_verifies(amount: Any, tmp_path: Path) -> None:
    """The fix for -0.0 put the amount's normal form in ``Record.__post_init__`` but only
    for -0.0: a ``Record`` built in Python with ``amount=5`` (an int is a valid ``float``
    by the type's own annotation) or ``amount=0`` keeps the int, hashes ``"amount":5``,
    and is stored in the REAL column as 5.0; read back it hashes ``"amount":5.0``, so
    ``ledger verify`` reports the untouched record as EDITED. Same mechanism as the -0.0
    bug the change fixed (stored value and hashed text disagree), left open for ints."""
    r = Record(
        id="py",
        subject=PERSON,
        category="traffic.violation",
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2024, 1, 2, tzinfo=UTC),
        source="traffic-police",
        legal_basis="Road Traffic Safety Law art. 90",
        amount=amount,
    )
    db = tmp_path / "s.db"
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        system.store.append([r])
        audit = system.verify_ledger()
        assert audit.ok, audit.findings
        assert system.store.append([r]).duplicates == 1


def test_record_reads_negative_zero_as_zero_and_keeps_others() -> None:
    base = {
        "id": "x",
        "subject": PERSON,
        "category": "traffic.violation",
        "occurred_at": "2024-01-01T00:00:00Z",
        "recorded_at": "2024-01-02T00:00:00Z",
        "source": "s",
        "legal_basis": "lb",
    }
    hashes = {
        a: Record.from_dict({**base, "amount": a}, typed=False).content_hash()
        for a in ("-0.0", "0", "0.0", "-0", "+0.0")
    }
    assert len(set(hashes.values())) == 1
    neg = Record.from_dict({**base, "amount": "-1e-320"}, typed=False)
    assert str(neg.amount).startswith("-")
    assert Record.from_dict({**base, "amount": None}).amount is None


def test_sqlite_file_of_zeros_checkpointed_and_reopened(tmp_path: Path) -> None:
    """After the WAL checkpoint and a reopen, the stored zeros still verify."""
    db = tmp_path / "s.db"
    body = _zero_lines(150).encode()
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        assert system.admission.admit_columns(body, None) is not None
        system.store.wait_for_checkpoint()
    assert os.path.exists(db)
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        assert system.verify_ledger().ok
    assert {r[8] for r in _dump(db)["records"]} == {0.0}
