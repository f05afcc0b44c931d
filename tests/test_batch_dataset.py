"""Out-of-core rescoring of a Parquet records dataset gives the embedded path's results.

Compared with :func:`score_population` on the whole frame and with the reference scorer
(:func:`score_subject`) subject by subject, on hypothesis-generated records and schemes,
across bucket counts; and the layout's errors say what is wrong and where.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from test_batch_equals_single import files, moments, schemes
from xinyong.adapters.batch import records_frame, score_population
from xinyong.adapters.batch.dataset import (
    MANIFEST,
    DatasetError,
    bucket_dir,
    read_dataset,
    write_dataset,
)
from xinyong.adapters.batch.ooc import SUMMARY, rescore_dataset
from xinyong.adapters.batch.score import FACTOR_PREFIX
from xinyong.adapters.batch.synth import generate_dataset
from xinyong.core.records import Record, Status
from xinyong.core.scoring.engine import NoVersionInForce, score_subject
from xinyong.drivers.cli.app import app
from xinyong.system.schemes_io import load_scheme

AT = datetime(2025, 1, 1, tzinfo=UTC)
EXAMPLES = Path(__file__).parent.parent / "examples"


def _results(out: Path) -> dict[Any, tuple[Any, ...]]:
    frame = pl.read_parquet(sorted(out.glob("part-*.parquet")))
    assert frame.get_column("subject").is_unique().all()
    return {r[0]: r[1:] for r in frame.sort("subject").iter_rows()}


def _rows(frame: pl.DataFrame) -> dict[Any, tuple[Any, ...]]:
    return {r[0]: r[1:] for r in frame.sort("subject").iter_rows()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemes(), files(), moments, st.none() | moments, st.integers(1, 5))
def test_dataset_rescoring_equals_embedded_paths(
    scheme: Any, records: list[Record], at: datetime, known_at: datetime | None, buckets: int
) -> None:
    if not records:
        return
    frame = records_frame(records)
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data", Path(tmp) / "out"
        manifest = write_dataset(frame, data, buckets)
        assert manifest.records == frame.height
        try:
            want = score_population(scheme, frame, at, known_at)
        except NoVersionInForce:
            with pytest.raises(NoVersionInForce):
                rescore_dataset(data, scheme, at, out, known_at)
            assert not out.exists()  # nothing written
            return
        summary = rescore_dataset(data, scheme, at, out, known_at)
        got = _results(out)
        assert got == _rows(want)
        assert summary.records == len(records)
        assert summary.subjects == len(got)
    columns = want.columns
    for subject, row in got.items():  # the reference scorer, subject by subject
        ref = score_subject(scheme, subject, records, at, known_at)
        named = dict(zip(columns[1:], row, strict=True))
        assert (named["score"], named["grade"]) == (ref.score, ref.grade), subject
        for f in ref.factors:
            assert named[FACTOR_PREFIX + f.id] == f.value


def _as_records(frame: pl.DataFrame) -> list[Record]:
    return [
        Record(
            id=f"{r['id']:012d}",  # text ids that sort like the numbers
            subject=str(r["subject"]),
            category=r["category"],
            occurred_at=r["occurred_at"],
            recorded_at=r["recorded_at"],
            source="synthetic",
            legal_basis="synthetic",
            status=Status(r["status"]),
            refers_to=None if r["refers_to"] is None else f"{r['refers_to']:012d}",
        )
        for r in frame.iter_rows(named=True)
    ]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "data"
    generate_dataset(root, 30_000, 3_000, buckets=3, seed=7)
    return root


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_generated_dataset_rescores_like_the_embedded_paths(
    generated: Path, tmp_path: Path, workers: int
) -> None:
    scheme = load_scheme("rongcheng")
    whole = read_dataset(generated)
    assert whole.height == 30_000
    assert whole.get_column("subject").n_unique() == 3_000  # every subject has records
    amended = whole.filter(pl.col("status") != "active")
    assert 0.01 < amended.height / whole.height < 0.03
    summary = rescore_dataset(generated, scheme, AT, tmp_path / "out", workers=workers)
    got = _results(tmp_path / "out")
    assert got == _rows(score_population(scheme, whole, AT))
    assert summary.records == 30_000
    assert summary.subjects == 3_000
    assert json.loads((tmp_path / "out" / SUMMARY).read_text())["records"] == 30_000
    grades = {g for _, g in got.values()}
    assert len(grades) >= 3  # the mix makes a spread of grades, not one
    sample = sorted(got)[::150]  # the reference scorer on a sample of subjects
    mine = whole.filter(pl.col("subject").is_in(sample))
    records = _as_records(mine)
    for subject in sample:
        ref = score_subject(scheme, str(subject), records, AT)
        assert got[subject] == (ref.score, ref.grade), subject


def test_generation_is_seeded(tmp_path: Path) -> None:
    a = generate_dataset(tmp_path / "a", 5_000, 500, buckets=2, seed=3)
    b = generate_dataset(tmp_path / "b", 5_000, 500, buckets=2, seed=3)
    c = generate_dataset(tmp_path / "c", 5_000, 500, buckets=2, seed=4)
    assert a == b
    frames = [read_dataset(tmp_path / x) for x in "abc"]
    assert frames[0].equals(frames[1])
    assert not frames[0].equals(frames[2])
    assert c.records == 5_000


def test_layout_keeps_each_subject_in_one_sorted_bucket(tmp_path: Path) -> None:
    records = _as_records(read_dataset_small(tmp_path))
    frame = records_frame(records)  # store types: text subjects and ids
    write_dataset(frame, tmp_path / "text", 4)
    seen: dict[str, int] = {}
    for b in range(4):
        part = pl.read_parquet(bucket_dir(tmp_path / "text", b) / "part-00000.parquet")
        assert part.get_column("subject").is_sorted()
        for s in part.get_column("subject").unique():
            assert seen.setdefault(s, b) == b
    assert len(seen) == frame.get_column("subject").n_unique()
    back = read_dataset(tmp_path / "text")
    assert back.height == frame.height


def read_dataset_small(tmp_path: Path) -> pl.DataFrame:
    generate_dataset(tmp_path / "small", 2_000, 200, buckets=2, seed=1)
    return read_dataset(tmp_path / "small")


# --- errors ------------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    generate_dataset(root, 2_000, 200, buckets=2, seed=1)
    return root


def _edit_manifest(root: Path, **changes: Any) -> None:
    data = json.loads((root / MANIFEST).read_text())
    data.update(changes)
    (root / MANIFEST).write_text(json.dumps(data))


def _rescore(root: Path, out: Path) -> None:
    rescore_dataset(root, load_scheme("rongcheng"), AT, out)


def test_no_manifest(small: Path, tmp_path: Path) -> None:
    (small / MANIFEST).unlink()
    with pytest.raises(DatasetError, match=r"no manifest\.json.*complete only once"):
        _rescore(small, tmp_path / "out")


def test_unknown_schema_version(small: Path, tmp_path: Path) -> None:
    _edit_manifest(small, schema_version=9)
    with pytest.raises(DatasetError, match=r"schema_version 9 is not supported.*reads schema_ver"):
        _rescore(small, tmp_path / "out")


def test_missing_bucket(small: Path, tmp_path: Path) -> None:
    shutil.rmtree(bucket_dir(small, 1))
    with pytest.raises(DatasetError, match=r"bucket 1 \(bucket=0001\) has no Parquet file"):
        _rescore(small, tmp_path / "out")


def test_extra_bucket(small: Path, tmp_path: Path) -> None:
    _edit_manifest(small, buckets=1)
    with pytest.raises(DatasetError, match="bucket=0001 is not a bucket of this dataset"):
        _rescore(small, tmp_path / "out")


def test_subject_in_the_wrong_bucket(small: Path, tmp_path: Path) -> None:
    _edit_manifest(small, buckets=3)
    shutil.copytree(bucket_dir(small, 1), bucket_dir(small, 2))
    with pytest.raises(DatasetError, match=r"subject \d+ belongs in bucket \d, not \d"):
        _rescore(small, tmp_path / "out")


def test_category_code_outside_the_dictionary(small: Path, tmp_path: Path) -> None:
    _edit_manifest(small, categories=["only.one"])
    with pytest.raises(DatasetError, match=r"category code \d+ is not in the manifest's dict"):
        _rescore(small, tmp_path / "out")


def test_records_counted_against_the_manifest(small: Path, tmp_path: Path) -> None:
    _edit_manifest(small, records=1)
    with pytest.raises(DatasetError, match="hold 2,000 records, its manifest says 1"):
        _rescore(small, tmp_path / "out")
    assert not (tmp_path / "out" / SUMMARY).exists()


def test_output_must_be_new(small: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("keep me")
    with pytest.raises(DatasetError, match="exists and is not an empty directory"):
        _rescore(small, tmp_path / "out")
    assert (tmp_path / "out" / "x").read_text() == "keep me"


def test_wrong_column_type(small: Path, tmp_path: Path) -> None:
    path = bucket_dir(small, 0) / "part-00000.parquet"
    pl.read_parquet(path).with_columns(pl.col("category").cast(pl.Int64)).write_parquet(path)
    with pytest.raises(DatasetError, match=r"column 'category' is Int64.*needs UInt16"):
        _rescore(small, tmp_path / "out")


# --- the command line --------------------------------------------------------------------------


def test_cli_export_then_rescore_matches_the_store(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "x.db")
    assert (
        runner.invoke(app, ["ingest", str(EXAMPLES / "records.jsonl"), "--db", db]).exit_code == 0
    )
    data = tmp_path / "data"
    r = runner.invoke(app, ["export", "parquet", "--db", db, "--out", str(data), "--buckets", "3"])
    assert r.exit_code == 0, r.output
    assert "3 bucket(s)" in r.stderr
    common = ["rescore", "--scheme", "rongcheng", "--at", "2024-06-01"]
    r = runner.invoke(app, [*common, "--out", str(tmp_path / "s.parquet"), "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, [*common, "--dataset", str(data), "--out", str(tmp_path / "ooc")])
    assert r.exit_code == 0, r.output
    assert "peak RSS" in r.stderr
    assert _results(tmp_path / "ooc") == _rows(pl.read_parquet(tmp_path / "s.parquet"))
    # errors are one clear line, exit code 2
    r = runner.invoke(app, [*common, "--dataset", str(tmp_path), "--out", str(tmp_path / "o2")])
    assert r.exit_code == 2
    assert "no manifest.json" in r.stderr


# --- the benchmark's baselines compute the same scores -----------------------------------------


def test_duckdb_sql_and_python_loop_agree_with_score_population(generated: Path) -> None:
    from bench.batch_loop import loop_scores
    from bench.ooc_duckdb import duckdb_connection, duckdb_records, duckdb_scores

    scheme = load_scheme("rongcheng")
    whole = read_dataset(generated)
    want = _rows(score_population(scheme, whole, AT, AT))  # the baselines cut on recorded_at
    con = duckdb_connection(scheme, AT)
    con.register("records", duckdb_records(whole).to_arrow())
    got = duckdb_scores(con, scheme, AT, AT)
    assert got.schema["score"] == pl.Int64
    assert _rows(got) == want
    early = datetime(2023, 3, 1, 12, tzinfo=UTC)  # another moment; what was known then
    assert _rows(duckdb_scores(con, scheme, early, early)) == _rows(
        score_population(scheme, whole, early, early)
    )
    rows = [
        (
            f"{r[0]:012d}",
            str(r[1]),
            r[2],
            r[3],
            r[4],
            r[5],
            None if r[6] is None else f"{r[6]:012d}",
        )
        for r in whole.select(
            "id",
            "subject",
            pl.col("category").cast(pl.String),
            pl.col("occurred_at").dt.epoch("us"),
            pl.col("recorded_at").dt.epoch("us"),
            pl.col("status").cast(pl.String),
            "refers_to",
        ).iter_rows()
    ]
    assert {int(s): v for s, v in loop_scores(scheme, rows, AT).items()} == want
