"""The bulk-ingest benchmark runs end to end at a small size: every figure is there, the
columnar figures are the median of their repeated runs, and the results file gets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import ingest_bulk


def test_the_benchmark_runs_small_with_repeats(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    figures = ingest_bulk.main(
        [
            "--records",
            "3000",
            "--baseline-records",
            "1000",
            "--body-records",
            "500",
            "--bodies",
            "2",
            "--repeat",
            "3",
            "--no-pg",
            "--results",
            str(results),
        ]
    )
    for name in ("file_sqlite", "http_sqlite"):
        got = figures[name]
        runs = got["columnar_runs_records_per_second"]
        assert len(runs) == 3
        assert got["columnar_records_per_second"] == sorted(runs)[1]  # the median
        assert got["speedup"] > 0
    assert figures["file_sqlite"]["row_path_records"] == 1000
    assert figures["cli_sqlite"]["records"] == 3000
    assert "file_postgresql" not in figures
    saved = json.loads(results.read_text(encoding="utf-8"))
    assert (
        saved["ingest_bulk"]["file_sqlite"]["columnar_runs_records_per_second"]
        == (figures["file_sqlite"]["columnar_runs_records_per_second"])
    )


def test_repeat_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        ingest_bulk.main(["--repeat", "0", "--no-pg"])
    assert e.value.code == 2
    assert "--repeat must be 1 or more (got 0)" in capsys.readouterr().err
