"""Part a) of the out-of-core benchmark: one population in memory, the batch path against
the DuckDB query and the plain-Python loop, all three required to give the same scores."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console

from bench.batch_loop import Row, loop_scores
from bench.ooc_duckdb import duckdb_connection, duckdb_records, duckdb_scores
from bench.timing import best_of
from xinyong.adapters.batch.dataset import read_dataset
from xinyong.adapters.batch.score import AnyScheme, score_population
from xinyong.adapters.batch.synth import AT


def in_memory(
    scheme: AnyScheme, root: Path, runs: int, sample_records: int, console: Console
) -> dict[str, Any]:
    frame = read_dataset(root)
    records = frame.height
    subjects = frame.get_column("subject").n_unique()
    console.print(f"a) in memory: {records:,} records of {subjects:,} subjects")
    batch_s, batch = best_of(lambda: score_population(scheme, frame, AT), runs)
    want = batch.select("subject", "score", "grade").sort("subject")

    con = duckdb_connection(scheme, AT)
    con.register("records", duckdb_records(frame).to_arrow())
    sql_s, got = best_of(lambda: duckdb_scores(con, scheme, AT, AT), runs)
    sql_agrees = got.sort("subject").equals(want)
    if not sql_agrees:
        diff = got.join(want, on="subject", how="full", suffix="_batch").filter(
            (pl.col("score") != pl.col("score_batch")) | (pl.col("grade") != pl.col("grade_batch"))
        )
        raise AssertionError(f"DuckDB and score_population disagree:\n{diff.head(5)}")

    share = max(1, round(subjects * min(1.0, sample_records / records)))
    part = frame.filter(pl.col("subject") < share)
    rows: list[Row] = list(
        part.select(
            pl.col("id").cast(pl.String).str.zfill(12),  # text ids sort like the numbers
            pl.col("subject").cast(pl.String),
            pl.col("category").cast(pl.String),
            pl.col("occurred_at").dt.epoch("us"),
            pl.col("recorded_at").dt.epoch("us"),
            pl.col("status").cast(pl.String),
            pl.col("refers_to").cast(pl.String).str.zfill(12),
        ).iter_rows()
    )
    loop_s, loop = best_of(lambda: loop_scores(scheme, rows, AT), 1, warm_up=False)
    sample = {
        str(s): (score, grade)
        for s, score, grade in want.filter(pl.col("subject") < share).iter_rows()
    }
    if loop != sample:
        raise AssertionError("the Python loop and score_population disagree on the sample")

    loop_rps = len(rows) / loop_s
    return {
        "records": records,
        "subjects": subjects,
        "score_population": {
            "best_seconds": round(batch_s, 3),
            "records_per_second": round(records / batch_s),
        },
        "duckdb_sql": {
            "best_seconds": round(sql_s, 3),
            "records_per_second": round(records / sql_s),
            "threads": os.cpu_count(),
            "agrees_with_batch": sql_agrees,
        },
        "python_loop": {
            "sample_records": len(rows),
            "sample_subjects": share,
            "seconds": round(loop_s, 3),
            "records_per_second": round(loop_rps),
            "agrees_with_batch": True,
        },
        "runs": runs,
        "ratio_batch_vs_loop": round(records / batch_s / loop_rps, 1),
        "ratio_batch_vs_duckdb": round(sql_s / batch_s, 2),
        "ratio_duckdb_vs_loop": round(records / sql_s / loop_rps, 1),
    }
