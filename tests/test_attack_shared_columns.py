"""Attacks on SQLite's shared parameters (``SqlRecordStore._insert_frame``, ``_shared_values``):
a column holding one value throughout a chunk is bound once per INSERT statement as a numbered
parameter (``?NNN``) every row of it names. Whatever the values and the chunk's shape, the
columnar path must store exactly what the row path stores (records, hashes, ledger) and report
the same duplicates; a conflict must leave nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import xinyong
import xinyong.adapters.store.sql as sql
from test_columnar_admission import (
    AGENCY,
    AT,
    _csv_text,
    _dump,
    compare,
    file_source,
    jsonl,
    rec,
)
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.system import columnar

# every awkward character a checked free text admits (tab, newline, carriage return are the
# only controls allowed in legal_basis and evidence): quotes, backslashes, SQL, numbered
# parameters, non-BMP characters, combining marks, right-to-left text, a NUL-looking escape
AWKWARD = (
    "it's \"q\" \\ \\\\ \t tab\nnl\r\ncrlf ?1 ?101 ?32766 :x @y $z ' OR 1=1; -- /* */ "
    "𝄞😀 e\u0301 \u202eRTL\u202c \u200b zw \\u0000 \\N 信用记录 \uffff"
)
NAME = "src ' \" \\ ?1 😀 e\u0301 信用"  # a name: no control, no edge space


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both paths' stores accept at the same instant, so that their ledgers compare."""
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


@pytest.fixture
def shared_seen(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The columns ``_shared_values`` found shared, chunk by chunk (so a test can show the
    shared statement actually ran)."""
    seen: list[set[str]] = []
    real = sql._shared_values

    def spy(frame: Any) -> dict[str, Any]:
        out = real(frame)
        seen.append(set(out))
        return out

    monkeypatch.setattr(sql, "_shared_values", spy)
    return seen


def _alike(tmp: Path, rows: list[dict[str, Any]], **kw: Any) -> tuple[dict, dict]:
    old, new = compare(tmp, file_source(rows), **kw)
    assert "errors" not in old, old.get("errors")
    assert new["columnar"], "the columnar path must admit it (else this proves nothing)"
    return old, new


@pytest.mark.parametrize("n", [100, 101, 199, 200, 201, 299])
def test_awkward_shared_text_in_chunks_of_every_shape(
    n: int, tmp_path: Path, shared_seen: list[set[str]]
) -> None:
    """Every shared candidate holds awkward text (quotes, backslashes, tabs, newlines, CR,
    non-BMP, combining marks, things that look like numbered parameters); chunks of exactly
    one statement, one and a row, two statements less one, two, two and one, ..."""
    rows = [
        rec(
            id=f"w{i}",
            evidence=AWKWARD,
            legal_basis="LB " + AWKWARD,
            source=NAME,
            severity="general",
            status="active",
            details={"note": AWKWARD, "n": 1, "f": 1.5, "b": False},
        )
        for i in range(n)
    ]
    old, _ = _alike(tmp_path, rows)
    assert len(old["store"]["records"]) == n
    assert {"evidence", "legal_basis", "source", "details", "amount"} <= shared_seen[0]


def test_longest_texts_shared(tmp_path: Path, shared_seen: list[set[str]]) -> None:
    """Shared values at their length limits, in characters outside the BMP (4 UTF-8 bytes
    each): 500 of legal basis, 1,000 of evidence, a 1,000-character detail value."""
    rows = [
        rec(
            id=f"L{i}",
            legal_basis="𝄞" * 500,
            evidence="😀" * 999 + "\n",
            details={"k" * 64: "é" * 1000},
        )
        for i in range(250)
    ]
    _alike(tmp_path, rows)
    assert {"legal_basis", "evidence", "details"} <= shared_seen[0]


def test_one_more_character_than_the_limit_is_refused_alike(tmp_path: Path) -> None:
    rows = [rec(id=f"M{i}", legal_basis="𝄞" * 501) for i in range(120)]
    old, new = compare(tmp_path, file_source(rows))
    assert "errors" in old
    assert not new["columnar"]


def _differ_at(k: int, n: int) -> list[dict[str, Any]]:
    return [
        rec(id=f"d{i}", evidence="same" if i != k else "other", legal_basis="lb") for i in range(n)
    ]


@pytest.mark.parametrize(
    ("k", "n"),
    [(0, 200), (99, 200), (100, 200), (150, 250), (199, 250), (200, 250), (249, 250), (100, 101)],
)
def test_a_shared_column_that_differs_in_one_later_row(
    k: int, n: int, tmp_path: Path, shared_seen: list[set[str]]
) -> None:
    """Evidence the same in every row but one: in the first statement, a later statement,
    or the rows inserted one by one after the statements: it is not shared, the row that
    differs keeps its own value."""
    old, _ = _alike(tmp_path, _differ_at(k, n))
    assert "evidence" not in shared_seen[0]
    assert "legal_basis" in shared_seen[0]
    evidence = [r[7] for r in old["store"]["records"]]
    assert evidence.count("other") == 1
    assert evidence.index("other") == k


def test_null_and_empty_mixed_in_every_optional_column(
    tmp_path: Path, shared_seen: list[set[str]]
) -> None:
    """Null and empty (and absent) alternate in every optional field; the row path stores
    each pair as one value (evidence '', severity null, status 'active', refers_to null,
    details {}, amount null): so may the shared statement."""

    def row(i: int) -> dict[str, Any]:
        out = rec(id=f"e{i}")
        pick = i % 3
        out["evidence"] = (None, "", None)[pick]
        out["severity"] = ("", None, "")[pick]
        out["status"] = ("", None, "active")[pick]
        out["refers_to"] = (None, "", "")[pick]
        out["details"] = ({}, None, "")[pick]
        out["amount"] = (None, "", None)[pick]
        if i % 5 == 0:
            for f in ("evidence", "severity", "status", "refers_to", "details", "amount"):
                out.pop(f)
        return out

    _alike(tmp_path, [row(i) for i in range(230)])
    assert {"evidence", "severity", "status", "refers_to", "details", "amount"} <= shared_seen[0]


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),  # key order: one canonical text
        ({"a": 1}, {"a": 1.0}, False),  # 1 and 1.0 are hashed apart
        ({"a": 1}, {"a": True}, False),
        ({"a": 0.0}, {"a": -0.0}, False),
        ({"a": "1"}, {"a": 1}, False),
        ({"a": 1e16}, {"a": 10000000000000000}, False),
    ],
    ids=["key order", "1 vs 1.0", "1 vs true", "0.0 vs -0.0", "text vs number", "1e16"],
)
def test_details_that_differ_only_in_form(
    a: dict[str, Any], b: dict[str, Any], shared: bool, tmp_path: Path, shared_seen: list[set[str]]
) -> None:
    rows = [rec(id=f"k{i}", details=a if i % 2 else b) for i in range(220)]
    _alike(tmp_path, rows)
    assert ("details" in shared_seen[0]) is shared


@pytest.mark.parametrize("stored", [0, 1, 99, 100, 101, 150, 250])
def test_a_re_sent_chunk_with_shared_columns(
    stored: int, tmp_path: Path, shared_seen: list[set[str]]
) -> None:
    """Part of a chunk of 250 rows with shared columns stored already: the unique index
    refuses the chunk, it is rolled back to its savepoint and its new rows inserted after a
    lookup (a smaller frame, shared columns worked out again); duplicates as the row path."""
    rows = [rec(id=f"r{i}", evidence=AWKWARD, severity="minor") for i in range(250)]
    before = rows[250 - stored :] if stored % 2 else rows[:stored]
    old, _ = _alike(tmp_path, rows, before=before)
    assert old["done"][2:4] == (250 - stored, stored)


def test_a_conflict_in_a_chunk_with_shared_columns_writes_nothing(
    tmp_path: Path, shared_seen: list[set[str]]
) -> None:
    """One stored id sent again with other content (its shared evidence differs) in a
    chunk of 230: refused alike, and nothing written (the columnar path falls back)."""
    rows = [rec(id=f"c{i}", evidence="shared") for i in range(230)]
    before = [rec(id="c170", evidence="stored first")]
    old, new = compare(tmp_path, file_source(rows), before=before)
    assert "errors" in old
    assert not new["columnar"]
    assert len(new["store"]["records"]) == 1
    assert shared_seen, "the shared statement ran before the conflict was found"


def test_idempotent_re_ingest_by_the_columnar_path_reports_duplicates(tmp_path: Path) -> None:
    """The same file of 333 rows with shared columns admitted twice by the columnar path:
    the second time every row is a duplicate and nothing changes."""
    rows = [rec(id=f"i{i}", evidence=AWKWARD, details={"x": 1}) for i in range(333)]
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(rows), encoding="utf-8")
    db = tmp_path / "s.db"
    with xinyong.open_system(xinyong.Settings(db=str(db), check_workers=0)) as system:
        first = system.admission.admit_columns(path, None)
        assert first is not None
        assert first.result.inserted == 333
        before = _dump(db)
        again = system.admission.admit_columns(path, None)
        assert again is not None
        assert (again.result.inserted, again.result.duplicates) == (0, 333)
        assert _dump(db) == before
        assert system.verify_ledger().ok


@pytest.mark.parametrize("chunk", [150, 199, 201])
def test_chunks_that_share_different_columns(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_seen: list[set[str]]
) -> None:
    """Consecutive chunks share different columns (the statement text changes between
    them; a cached statement must not be reused with the other numbering)."""
    monkeypatch.setattr(columnar, "CHUNK", chunk)

    def row(i: int) -> dict[str, Any]:
        part = i // chunk
        return rec(
            id=f"p{i}",
            evidence="E" if part % 2 else f"e{i}",
            legal_basis=f"lb{i}" if part % 2 else "LB",
            severity=("minor", "serious", None)[part % 3],
            amount=None if part % 2 else float(i),
        )

    _alike(tmp_path, [row(i) for i in range(chunk * 4 + 37)])
    assert len({frozenset(s) for s in shared_seen}) >= 2


def test_from_csv(tmp_path: Path, shared_seen: list[set[str]]) -> None:
    rows = [
        rec(id=f"v{i}", evidence=AWKWARD, amount="" if i % 2 else None, details={"a": 1})
        for i in range(205)
    ]
    old, new = compare(tmp_path, file_source(_csv_text(rows), ".csv"))
    assert "errors" not in old
    assert new["columnar"]
    assert "evidence" in shared_seen[0]


def test_from_an_agency_with_a_quote_in_its_name(tmp_path: Path) -> None:
    """The writer is written into the shared statement as a literal (quotes doubled)."""
    from xinyong.system.principals import Principal

    agency = Principal(
        AGENCY.role,
        "o'brien ?1 \\",
        AGENCY.categories,
        sources=AGENCY.sources,
    )
    rows = [rec(id=f"a{i}", evidence=AWKWARD) for i in range(210)]
    body = jsonl(rows).encode()
    old, new = compare(tmp_path, lambda _b: body, by=agency)
    assert "errors" not in old
    assert new["columnar"]
    assert {r[14] for r in old["store"]["records"]} == {"agency:o'brien ?1 \\"}


def _same_store(tmp: Path, make: Callable[[int], dict[str, Any]], n: int) -> None:
    _alike(tmp, [make(i) for i in range(n)])


def test_unicode_forms_are_not_one_value(tmp_path: Path, shared_seen: list[set[str]]) -> None:
    """Text equal after Unicode normalisation (NFC against NFD) is not one value."""
    _same_store(tmp_path, lambda i: rec(id=f"u{i}", evidence="é" if i % 2 else "e\u0301"), 200)
    assert "evidence" not in shared_seen[0]
