"""Benchmark of Spark local rescoring (not a test): records/s against the embedded scorer.

    python -m bench.spark [--records 2000000] [--subjects 200000]
        [--master local[*]] [--partitions N] [--runs 2] [--seed 1]

Generates the batch benchmark's synthetic records (:func:`bench.batch_data.generate`:
a two-version points scheme with caps and an override, about 2% amendments), writes them to
one Parquet file, then times, on the same file in the same run, Parquet in to Parquet out:

a) embedded: ``pl.read_parquet`` + :func:`score_population` + ``write_parquet``;
b) Spark (local mode): :func:`read_records` + :func:`score_spark` + ``write.parquet``, which
   shuffles the records by subject and runs the same scorer in each partition.

Each is the best of ``--runs`` after an untimed warm-up (Spark's first job also starts its
Python workers). The two outputs are compared row for row. Session start-up is reported apart.
Prints a Rich table and merges the figures into ``bench/results.json`` under
``"spark_scoring"``. On one machine Spark only adds the shuffle and the Arrow hand-over to
the same Polars work; what it buys is running on many machines.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from bench.batch_data import AT, generate, load
from bench.results import RESULTS, command_line, merge_results
from bench.timing import peak_rss_mib
from xinyong.adapters.batch.score import score_population


def best_of(fn: Callable[[], object], runs: int) -> float:
    """Shortest of ``runs`` timed calls, after one untimed call."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench(
    records: int,
    subjects: int,
    master: str,
    partitions: int | None,
    runs: int,
    seed: int,
    command: str,
) -> dict[str, Any]:
    import pyspark

    from xinyong.adapters.spark.read import read_records
    from xinyong.adapters.spark.score import score_spark
    from xinyong.adapters.spark.session import spark_session

    scheme, mix = load(None)
    frame = generate(mix, records, subjects, seed, AT)
    with tempfile.TemporaryDirectory(prefix="xinyong-spark-bench-") as tmp:
        src = str(Path(tmp) / "records.parquet")
        frame.write_parquet(src)
        del frame
        embedded_out = Path(tmp) / "embedded.parquet"
        spark_out = str(Path(tmp) / "spark")

        def embedded() -> None:
            scored = score_population(scheme, pl.read_parquet(src), AT)
            scored.write_parquet(embedded_out)

        t = time.perf_counter()
        spark = spark_session(master)
        started = time.perf_counter() - t
        n_parts = partitions or 2 * spark.sparkContext.defaultParallelism

        def on_spark() -> None:
            scored = score_spark(read_records(spark, src), scheme, AT, partitions=n_parts)
            scored.write.mode("overwrite").parquet(spark_out)

        load_before = os.getloadavg()[0]
        embedded_s = best_of(embedded, runs)
        spark_s = best_of(on_spark, runs)
        load_after = os.getloadavg()[0]
        want = pl.read_parquet(embedded_out).sort("subject")
        got = pl.read_parquet(Path(spark_out) / "*.parquet").sort("subject")
        if not got.equals(want):
            raise AssertionError("Spark and the embedded scorer disagree")
        slots = spark.sparkContext.defaultParallelism
        spark.stop()
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": {
            "cores": os.cpu_count(),
            "platform": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, polars {pl.__version__}, pyspark {pyspark.__version__}",
            "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        },
        "scheme": scheme.name,
        "records": records,
        "subjects": subjects,
        "seed": seed,
        "at": AT.isoformat(),
        "master": master,
        "spark_task_slots": slots,
        "partitions": n_parts,
        "runs": runs,
        "session_start_seconds": round(started, 2),
        "embedded": {
            "best_seconds": round(embedded_s, 3),
            "records_per_second": round(records / embedded_s),
        },
        "spark_local": {
            "best_seconds": round(spark_s, 3),
            "records_per_second": round(records / spark_s),
        },
        "ratio_spark_to_embedded": round(embedded_s / spark_s, 3),
        "results_identical": True,
        "peak_rss_mib_driver": round(peak_rss_mib(), 1),
    }


def report(f: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"Rescoring Parquet to Parquet: {f['records']:,} records, {f['subjects']:,} "
        f"subjects (best of {f['runs']})"
    )
    for c in ("what", "seconds", "records/s", "vs embedded"):
        table.add_column(c, justify="left" if c == "what" else "right")
    e, s = f["embedded"], f["spark_local"]
    table.add_row(
        "embedded: read_parquet + score_population", f"{e['best_seconds']:.3f}",
        f"{e['records_per_second']:,}", "1x",
    )  # fmt: skip
    table.add_row(
        f"Spark {f['master']} ({f['spark_task_slots']} slots, {f['partitions']} partitions)",
        f"{s['best_seconds']:.3f}",
        f"{s['records_per_second']:,}",
        f"{f['ratio_spark_to_embedded']}x",
    )
    console.print(table)
    m = f["machine"]
    load = m["load_average_1min"]
    console.print(
        f"{m['cores']} cores, {m['platform']}; 1-min load average {load['before']} before, "
        f"{load['after']} after; results identical; Spark session start "
        f"{f['session_start_seconds']} s (not timed)"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__)
    p.add_argument("--records", type=int, default=2_000_000)
    p.add_argument("--subjects", type=int, default=200_000)
    p.add_argument("--master", default="local[*]")
    p.add_argument("--partitions", type=int, default=None, help="default: 2 x task slots")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true", help="print only; do not write results")
    args = p.parse_args(argv)
    command = command_line("bench.spark", argv)
    figures = bench(
        args.records, args.subjects, args.master, args.partitions, args.runs, args.seed, command
    )
    console = Console()
    report(figures, console)
    if not args.no_save:
        merge_results(args.results, "spark_scoring", figures)
        console.print(f"saved under 'spark_scoring' in {args.results}")


if __name__ == "__main__":
    main()
