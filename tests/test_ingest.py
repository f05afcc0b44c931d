"""Ingest of JSONL and CSV files: one batch per file, every row checked, all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from factories import ORG, as_row, make_correction, make_record, write_csv, write_jsonl
from xinyong import composition
from xinyong.adapters.store import RecordStore, open_store
from xinyong.core.records import Record, Status
from xinyong.drivers.cli.ingest_cmd import ingest_command
from xinyong.system.admission import ingest_file, ingest_records
from xinyong.system.reading import IngestFailed, RowError, read_records

CATEGORIES = frozenset({"traffic.violation", "tax.arrears", "court.judgment_unfulfilled"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "credit.db"


@pytest.fixture
def store(db: Path) -> Iterator[RecordStore]:
    s = open_store(str(db))
    s.append([make_record(id="already-1"), make_record(id="already-2")])
    yield s
    s.close()


def rows_of(e: pytest.ExceptionInfo[IngestFailed]) -> list[tuple[int | None, str | None]]:
    return [(x.row, x.field) for x in e.value.errors]


# -- happy paths


def test_jsonl(store: RecordStore, tmp_path: Path) -> None:
    records = [make_record(amount=12.5, details={"speed": 87}), make_record(subject=ORG)]
    path = write_jsonl(tmp_path / "in.jsonl", [records[0], "", "   ", records[1]])
    assert [row for row, _ in read_records(path)] == [1, 4]
    report = ingest_file(store, path, known_categories=CATEGORIES)
    assert (report.rows, report.inserted, report.duplicates) == (2, 2, 0)
    assert report.elapsed > 0
    assert report.rate > 0
    assert [store.get(r.id) for r in records] == records


def test_csv(store: RecordStore, tmp_path: Path) -> None:
    records = [
        make_record(amount=3.0, severity="minor", details={"note": "逾期, 未缴", "n": 2}),
        make_record(evidence=""),
    ]
    fix = make_correction(records[0], amount=2.0)
    path = write_csv(tmp_path / "in.csv", [*records, fix])
    assert [row for row, _ in read_records(path)] == [2, 3, 4]
    report = ingest_file(store, path)
    assert report.inserted == 3
    assert [store.get(r.id) for r in [*records, fix]] == [*records, fix]


def test_csv_columns_in_any_order_and_subset(store: RecordStore, tmp_path: Path) -> None:
    r = make_record()
    cols = ["legal_basis", "source", "recorded_at", "occurred_at", "category", "subject", "id"]
    path = write_csv(tmp_path / "in.csv", [r], columns=cols)
    ingest_file(store, path)
    got = store.get(r.id)
    assert got is not None
    assert got.evidence == ""
    assert got.category == r.category


def test_reingesting_a_file_is_a_no_op(store: RecordStore, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_record() for _ in range(5)])
    ingest_file(store, path)
    before = store.count()
    report = ingest_file(store, path)
    assert (report.rows, report.inserted, report.duplicates) == (5, 0, 5)
    assert store.count() == before


def test_ingest_records_fast_path(store: RecordStore) -> None:
    records = (make_record() for _ in range(100))  # any iterable
    report = ingest_records(store, records, known_categories=CATEGORIES)
    assert (report.rows, report.inserted) == (100, 100)


def test_ingest_records_checks_categories_and_conflicts(store: RecordStore) -> None:
    before = store.count()
    with pytest.raises(IngestFailed) as e:
        ingest_records(
            store,
            [make_record(), make_record(category="trafic.violation")],
            known_categories=CATEGORIES,
        )
    assert rows_of(e) == [(2, "category")]
    assert "traffic.violation" in str(e.value)
    with pytest.raises(IngestFailed, match="already-1") as e:  # same explanation as a file's
        ingest_records(store, [make_record(), make_record(id="already-1", amount=1.0)])
    assert rows_of(e) == [(2, "id")]
    assert store.count() == before


# -- bad rows: each is reported with its row and field, and nothing is written


def bad_jsonl(tmp_path: Path, bad: Record | dict[str, Any] | str) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", [make_record(), make_record(), bad, make_record()])


BAD_ROWS: list[tuple[str, Any, str | None, str]] = [
    ("bad json", '{"id": "x",', None, "not valid JSON"),
    ("not an object", "[1, 2]", None, "must be a JSON object"),
    ("missing field", {**as_row(make_record()), "source": ""}, "source", "required"),
    ("bad time", {**as_row(make_record()), "occurred_at": "yesterday"}, "occurred_at", "ISO"),
    ("bad severity", {**as_row(make_record()), "severity": "huge"}, "severity", "minor"),
    ("unknown field", {**as_row(make_record()), "colour": "red"}, "colour", "allowed"),
    ("bad amount", {**as_row(make_record()), "amount": "12 yuan"}, "amount", "number"),
    ("bad details", {**as_row(make_record()), "details": [1]}, "details", "object"),
    ("unknown category", make_record(category="traffic.violaton"), "category", "did you mean"),
    ("missing target", make_record(status="revocation", refers_to="x-404"), "refers_to", "x-404"),
    (
        "other subject",
        make_record(subject=ORG, status="expiry", refers_to="already-1"),
        "refers_to",
        "same subject",
    ),
    ("conflict with store", make_record(id="already-2", amount=5.0), "id", "already stored"),
]


@pytest.mark.parametrize(
    ("bad", "field", "fragment"), [b[1:] for b in BAD_ROWS], ids=[b[0] for b in BAD_ROWS]
)
def test_bad_row_refused(
    store: RecordStore, tmp_path: Path, bad: Any, field: str | None, fragment: str
) -> None:
    before = store.count()
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, bad_jsonl(tmp_path, bad), known_categories=CATEGORIES)
    assert rows_of(e) == [(3, field)]
    assert fragment in e.value.errors[0].reason
    assert "nothing was written" in str(e.value)
    assert store.count() == before


def test_duplicate_id_in_the_file_with_other_content(store: RecordStore, tmp_path: Path) -> None:
    a = make_record(amount=1.0)
    twin = make_record(id=a.id, amount=2.0, evidence=a.evidence)
    same = a
    path = write_jsonl(tmp_path / "in.jsonl", [a, make_record(), same, twin])
    before = store.count()
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, path)
    assert rows_of(e) == [(4, "id")]
    assert "row 1" in e.value.errors[0].reason
    assert "amount" in e.value.errors[0].reason
    assert store.count() == before


def test_correction_of_a_missing_record(store: RecordStore, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl", [make_record(status=Status.CORRECTION, refers_to="ghost")]
    )
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, path)
    assert rows_of(e) == [(1, "refers_to")]
    assert "'ghost'" in str(e.value)
    assert "active record" in str(e.value)


def test_every_error_is_reported_sorted_without_follow_on_errors(
    store: RecordStore, tmp_path: Path
) -> None:
    broken = make_record(category="nope")
    rows: list[Record | str | dict[str, Any]] = [
        make_record(),
        make_correction(broken, category="tax.arrears"),  # refers to a failed row: no error
        '{"oops"',
        broken,
        {**as_row(make_record()), "occurred_at": "2030-01-01"},  # after recorded_at
    ]
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, write_jsonl(tmp_path / "in.jsonl", rows), known_categories=CATEGORIES)
    assert rows_of(e) == [(3, None), (4, "category"), (5, "occurred_at")]
    assert not e.value.truncated


def test_max_errors_stops_early(store: RecordStore, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", ["[]"] * 20)
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, path, max_errors=5)
    assert [x.row for x in e.value.errors] == [1, 2, 3, 4, 5]
    assert e.value.truncated
    assert "there may be more" in str(e.value)


# -- bad files


def test_unknown_extension(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "records.xlsx"
    path.write_text("x")
    with pytest.raises(IngestFailed, match=r"'\.xlsx'.*\.jsonl, \.ndjson, \.csv"):
        ingest_file(store, path)


def test_missing_file(store: RecordStore, tmp_path: Path) -> None:
    with pytest.raises(IngestFailed, match="cannot read"):
        ingest_file(store, tmp_path / "none.jsonl")


def test_not_utf8(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,subject\n" + "记录".encode("gb18030") + b"\n")
    with pytest.raises(IngestFailed, match="UTF-8"):
        ingest_file(store, path)


@pytest.mark.parametrize(
    ("header", "field", "fragment"),
    [
        (
            "id,subject,category,occurred_at,recorded_at,source,legal_basis,colour",
            "colour",
            "allowed: id",
        ),
        ("id,subject,category,occurred_at,recorded_at,source", "legal_basis", "required"),
        (
            "id,id,subject,category,occurred_at,recorded_at,source,legal_basis",
            "id",
            "more than once",
        ),
    ],
)
def test_csv_header_problems(
    store: RecordStore, tmp_path: Path, header: str, field: str, fragment: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(header + "\n")
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, path)
    assert rows_of(e) == [(1, field)]
    assert fragment in e.value.errors[0].reason


def test_csv_empty_file(store: RecordStore, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("\n\n")
    with pytest.raises(IngestFailed, match="header row"):
        ingest_file(store, path)


def test_csv_rows_of_the_wrong_width_and_multiline_cells(
    store: RecordStore, tmp_path: Path
) -> None:
    good = make_record(evidence="line one\nline two")
    path = write_csv(tmp_path / "in.csv", [good])
    with path.open("a", encoding="utf-8") as f:
        f.write("\nonly,three,cells\n")
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, path)
    # header line 1, the record spans lines 2-3, a blank line 4, the short row on line 5
    assert rows_of(e) == [(5, None)]
    assert "3 cells" in str(e.value)


def test_csv_bad_details_json(store: RecordStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [{**as_row(make_record()), "details": "{ground: 1}"}])
    with pytest.raises(IngestFailed) as e:
        ingest_file(store, path)
    assert rows_of(e) == [(2, "details")]


# -- the database itself stays append-only


def test_raw_update_and_delete_are_blocked(store: RecordStore, db: Path, tmp_path: Path) -> None:
    ingest_file(store, write_jsonl(tmp_path / "in.jsonl", [make_record()]))
    con = sqlite3.connect(db)
    try:
        for sql in ("UPDATE records SET subject = 'X'", "DELETE FROM records WHERE seq = 1"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()
    assert store.count() == 3


def test_row_error_text() -> None:
    assert (
        str(RowError(3, "amount", "must be a number")) == "row 3: field 'amount': must be a number"
    )
    assert str(RowError(None, None, "not UTF-8")) == "not UTF-8"


# -- the command


@pytest.fixture(autouse=True)
def catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command checks categories against this list, whatever the installed catalogue."""
    monkeypatch.setattr(composition, "categories_for", lambda schemes: CATEGORIES)


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("ingest")(ingest_command)
    app.command("noop")(lambda: None)  # keep "ingest" a subcommand
    return app


def test_command_success(db: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [make_record(), make_record()])
    result = CliRunner().invoke(cli(), ["ingest", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "inserted" in result.stdout
    assert "rows/s" in result.stdout
    again = CliRunner(env={"XINYONG_DB": str(db)}).invoke(cli(), ["ingest", str(path)])
    assert again.exit_code == 0
    assert "duplicates" in again.stdout


def test_command_failure_lists_errors_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    rows: list[Record | str] = [
        make_record(),
        '{"id": 1',
        make_record(amount="x"),
        make_record(category="tax"),
    ]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    result = CliRunner().invoke(cli(), ["ingest", str(path), "--db", str(db)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:2: not valid JSON")
    assert lines[1].startswith(f"{path}:3: field 'amount': must be a number")
    assert (
        lines[2]
        == f"{path}:4: field 'category': unknown category 'tax'; did you mean 'tax.arrears'?"
    )
    assert "nothing was written" in result.stderr
    s = open_store(str(db))
    assert s.count() == 0
    s.close()
