"""Spark gives exactly what the embedded scorer and the reference engine give.

One local Spark session (``local[2]``, 4 shuffle partitions, no UI) serves the module. The
records go through Parquet or JSONL files, as the job reads them, and are shuffled into
several partitions, so subjects are scored in different Python workers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from factories import ORG, PERSON, make_correction, make_record, make_revocation, write_jsonl
from test_batch_equals_single import _instants, files, moments, schemes
from xinyong.adapters.batch import records_frame, score_population
from xinyong.adapters.batch.score import FACTOR_PREFIX
from xinyong.core.records import Record
from xinyong.core.scoring.engine import NoVersionInForce, score_subject
from xinyong.system.schemes_io import preset

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import SparkSession  # noqa: E402

from xinyong.adapters.spark.job import main as job_main  # noqa: E402
from xinyong.adapters.spark.read import read_records  # noqa: E402
from xinyong.adapters.spark.score import score_spark  # noqa: E402
from xinyong.adapters.spark.session import spark_session  # noqa: E402

pytestmark = pytest.mark.spark

SPARK_SETTINGS = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = spark_session("local[2]", shuffle_partitions=4)
    yield session
    session.stop()


@st.composite
def populations(draw: st.DrawFn, *args: Any) -> list[Record]:
    """Several credit files with distinct subjects (up to a dozen subjects)."""
    out: list[Record] = []
    for k in range(draw(st.integers(1, 3))):
        for r in draw(files(*args)):
            out.append(replace(r, subject=f"P{k}-{r.subject}"))
    return out


def _on_spark(spark: SparkSession, scheme: Any, records: list[Record], at: Any, known: Any) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "records.parquet")
        records_frame(records).write_parquet(path)
        scored = score_spark(read_records(spark, path), scheme, at, known, partitions=3)
        table = scored.toArrow()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _agree(spark: SparkSession, scheme: Any, records: list[Record], at: Any, known: Any) -> None:
    try:
        embedded = score_population(scheme, records_frame(records), at, known)
    except NoVersionInForce:
        with pytest.raises(NoVersionInForce):
            _on_spark(spark, scheme, records, at, known)
        return
    got = _on_spark(spark, scheme, records, at, known)
    assert got.schema == embedded.schema
    assert got.sort("subject").equals(embedded.sort("subject"))
    assert set(got["subject"]) == {r.subject for r in records}
    for row in got.iter_rows(named=True):
        mine = [r for r in records if r.subject == row["subject"]]
        ref = score_subject(scheme, row["subject"], mine, at, known)
        assert (row["score"], row["grade"]) == (ref.score, ref.grade), row["subject"]
        for f in ref.factors:
            assert row[FACTOR_PREFIX + f.id] == f.value


@SPARK_SETTINGS
@given(schemes(), populations(), moments, st.none() | moments)
def test_spark_equals_embedded_and_reference(
    spark: SparkSession, scheme: Any, records: list[Record], at: datetime, known: datetime | None
) -> None:
    _agree(spark, scheme, records, at, known)


@pytest.mark.parametrize("name", ["rongcheng", "sesame", "honest-shanghai"])
def test_presets_on_spark(spark: SparkSession, name: str) -> None:
    scheme = preset(name)
    cats = (*sorted({r.category for v in scheme.versions for r in v.rules}), "other")
    first = datetime.combine(scheme.versions[0].effective_from, datetime.min.time(), UTC)
    last = datetime.combine(scheme.versions[-1].effective_from, datetime.min.time(), UTC)
    span = (last - first).days + 800

    @settings(SPARK_SETTINGS, max_examples=2)
    @given(
        populations(cats, first, (-30, span)),
        _instants(0, span + 60, first),
        st.none() | _instants(0, span + 60, first),
    )
    def check(records: list[Record], at: datetime, known: datetime | None) -> None:
        _agree(spark, scheme, records, at, known)

    check()


def _example_records() -> list[Record]:
    t = datetime(2024, 1, 10, 8, 30, tzinfo=UTC)
    day = timedelta(days=1)

    def record(subject: str, category: str, when: datetime) -> Record:
        return make_record(
            subject=subject, category=category, occurred_at=when, recorded_at=when + day
        )

    late = record(PERSON, "finance.late_payment", t)
    fine = record(ORG, "traffic.violation", t)
    return [
        late,
        fine,
        record(PERSON, "civic.volunteering", t),
        make_correction(late, category="utility.late_payment"),
        make_revocation(fine),
        record(ORG, "tax.arrears", t + 3 * day),
    ]


def test_job_reads_jsonl_and_parquet_alike(spark: SparkSession, tmp_path: Path) -> None:
    records = _example_records()
    jsonl = write_jsonl(tmp_path / "records.jsonl", records)
    parquet = tmp_path / "records.parquet"
    records_frame(records).write_parquet(parquet)
    at = "2024-06-01T12:00:00"
    want = score_population(
        preset("rongcheng"), records_frame(records), datetime(2024, 6, 1, 12, tzinfo=UTC)
    ).sort("subject")
    for source in (jsonl, parquet):
        out = tmp_path / f"scores-{source.suffix[1:]}"
        job_main(["--records", str(source), "--scheme", "rongcheng", "--at", at, "--out", str(out)])
        got = pl.read_parquet(out / "*.parquet").sort("subject")
        assert got.equals(want), source
    assert want["score"].to_list() != [1000, 1000]  # not just the base: the records count


def test_cli_spark_rescore(spark: SparkSession, tmp_path: Path) -> None:
    from xinyong.drivers.cli.app import app

    records = write_jsonl(tmp_path / "r.jsonl", _example_records())
    out = tmp_path / "scores"
    args = ["spark", "rescore", "--records", str(records), "--scheme", "sesame"]
    args += ["--at", "2024-06-01", "--out", str(out), "--master", "local[2]"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "scored 2 subjects" in result.stderr
    got = pl.read_parquet(out / "*.parquet").sort("subject")
    want = score_population(preset("sesame"), records_frame(_example_records()), _at("2024-06-01"))
    assert got.equals(want.sort("subject"))
    again = CliRunner().invoke(app, args)  # --out exists: refused without --overwrite
    assert again.exit_code != 0


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_bad_input_is_refused_with_what_and_where(spark: SparkSession, tmp_path: Path) -> None:
    frame = records_frame(_example_records())
    no_status = spark.createDataFrame([("r1", "S1")], "id string, subject string")
    with pytest.raises(ValueError, match="lack column"):
        score_spark(no_status, preset("rongcheng"), _at("2024-06-01"))
    parquet = tmp_path / "text-times.parquet"
    frame.with_columns(pl.col("occurred_at").cast(pl.String)).write_parquet(parquet)
    with pytest.raises(ValueError, match="'occurred_at' is string; it must be a timestamp"):
        score_spark(read_records(spark, str(parquet)), preset("rongcheng"), _at("2024-06-01"))
    good = tmp_path / "records.parquet"
    frame.write_parquet(good)
    with pytest.raises(NoVersionInForce):  # on the driver, before any task
        score_spark(read_records(spark, str(good)), preset("rongcheng"), _at("1990-01-01"))
    with pytest.raises(ValueError, match=r"unknown input type '\.csv'"):
        read_records(spark, str(tmp_path / "records.csv"))


def test_bad_jsonl_line_names_file_line_and_reason(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {**_example_records()[0].to_dict(), "occurred_at": "yesterday"}
    path = write_jsonl(tmp_path / "bad.jsonl", [_example_records()[1], bad])
    out = tmp_path / "scores"
    with pytest.raises(SystemExit):
        job_main(["--records", str(path), "--scheme", "rongcheng", "--out", str(out)])
    message = capsys.readouterr().err
    assert "bad.jsonl" in message
    assert "field 'occurred_at'" in message
    assert "yesterday" in message
    assert not out.exists()


@pytest.mark.slow
def test_spark_equals_embedded_on_a_bench_population(spark: SparkSession, tmp_path: Path) -> None:
    from bench.batch_data import AT, generate, load

    scheme, mix = load(None)
    frame = generate(mix, 200_000, 20_000, seed=3, at=AT)
    path = tmp_path / "records.parquet"
    frame.write_parquet(path)
    got = pl.from_arrow(score_spark(read_records(spark, str(path)), scheme, AT).toArrow())
    assert isinstance(got, pl.DataFrame)
    want = score_population(scheme, frame, AT)
    assert got.height == want.height == frame["subject"].n_unique()
    assert got.sort("subject").equals(want.sort("subject"))


def test_spark_cuts_known_at_on_acceptance_like_the_engine(spark: SparkSession) -> None:
    """A record accepted by the store after its reported dates is unknown before acceptance,
    on Spark as in the engine and the embedded batch path (issue 18)."""
    t = datetime(2024, 3, 10, tzinfo=UTC)
    base: dict[str, Any] = {"category": "traffic.violation", "source": "traffic-police"}
    early = [replace(make_record(occurred_at="2024-03-01", **base), accepted_at=t) for _ in "ab"]
    late = [  # dated March, accepted by the store in June
        replace(make_record(occurred_at="2024-03-05", recorded_at="2024-03-06", **base),
                accepted_at=t + timedelta(days=83))
        for _ in "cd"
    ]  # fmt: skip
    revoked = replace(make_revocation(early[0]), accepted_at=t + timedelta(days=83))
    records = [*early, *late, revoked]
    at = datetime(2024, 4, 1, tzinfo=UTC)
    scheme = preset("rongcheng")
    answers = set()
    for known in (datetime(2024, 3, 20, tzinfo=UTC), None):
        _agree(spark, scheme, records, at, known)
        answers.add(score_subject(scheme, PERSON, records, at, known).score)
    assert len(answers) == 2  # the cut matters
