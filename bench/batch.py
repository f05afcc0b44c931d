"""Benchmark of the batch rescoring job (not a test): records/s, and against a Python loop.

    python -m bench.batch [--records 10000000] [--subjects 1000000]
        [--scheme NAME_OR_PATH] [--sample 1000000] [--seed 1]

Generates synthetic records straight into a Polars frame with NumPy (seeded; categories
drawn from the scheme's rules with a skewed, realistic mix plus unscored ones; about 2% of
the rows are corrections, revocations and expiries of earlier records of the same subject),
then times

a) :func:`score_population` on the whole frame: best of 3 runs after a warm-up, generation
   not counted; once on the frame as the record store types it (``String`` ids and subjects,
   ``Categorical`` category and status) and once with ``Enum``/integer-coded columns;
b) a baseline: a plain-Python loop over the same records as tuples (resolve with dicts, then
   per-subject totals with the same rules, from the same precompiled lookup tables, so the
   loop does not pay for date arithmetic the batch path does not do either), on the records
   of a sample of subjects, extrapolated to records/s. Its scores are checked against
   :func:`score_population` on the same sample.

Prints a Rich table (with the machine's cores and memory) and merges the figures into
``bench/results.json`` under the key ``"batch_scoring"`` (other keys are kept).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from bench.batch_data import AT, encoded, generate, load
from bench.batch_loop import Row, loop_scores
from bench.results import RESULTS, command_line, memory_gib, merge_results
from bench.timing import best_of, peak_rss_mib
from xinyong.adapters.batch.score import score_population
from xinyong.core.schemes.model import PointsVersion
from xinyong.core.scoring.engine import version_in_force


def bench(
    records: int,
    subjects: int,
    scheme_name: str | None,
    sample: int,
    seed: int,
    runs: int,
    command: str,
) -> dict[str, Any]:
    scheme, mix = load(scheme_name)
    if not isinstance(version_in_force(scheme, AT), PointsVersion):
        raise SystemExit(f"scheme {scheme.name!r}: the benchmark needs a points scheme")
    t = time.perf_counter()
    frame = generate(mix, records, subjects, seed, AT)
    generated = time.perf_counter() - t
    fast = encoded(frame, [c for c, _ in mix])

    load_before = os.getloadavg()[0]
    store_s, _ = best_of(lambda: score_population(scheme, frame, AT), runs)
    encoded_s, _ = best_of(lambda: score_population(scheme, fast, AT), runs)
    load_after = os.getloadavg()[0]

    # baseline on the records of the first subjects (all records of each, so totals are whole)
    share = max(1, round(subjects * min(1.0, sample / records)))
    part = frame.filter(pl.col("subject").str.slice(4).cast(pl.Int64) < share)
    rows: list[Row] = list(
        part.select(
            "id",
            "subject",
            pl.col("category").cast(pl.String),
            pl.col("occurred_at").dt.epoch("us"),
            pl.col("recorded_at").dt.epoch("us"),
            pl.col("status").cast(pl.String),
            "refers_to",
        ).iter_rows()
    )
    loop_s, want = best_of(lambda: loop_scores(scheme, rows, AT), 1, warm_up=False)
    got = score_population(scheme, part, AT)
    same = {r[0]: (r[1], r[2]) for r in got.select("subject", "score", "grade").iter_rows()}
    if same != want:
        raise AssertionError("the loop baseline and score_population disagree on the sample")

    batch_rps = records / store_s
    loop_rps = len(rows) / loop_s
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(memory_gib(), 1),
            "platform": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, polars {pl.__version__}",
            "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        },
        "scheme": scheme.name,
        "records": records,
        "subjects": subjects,
        "amendments": int(frame.select((pl.col("status") != "active").sum()).item()),
        "seed": seed,
        "at": AT.isoformat(),
        "generate_seconds": round(generated, 3),
        "score_population": {
            "store_types": {
                "best_seconds": round(store_s, 3),
                "records_per_second": round(batch_rps),
            },
            "encoded_types": {
                "best_seconds": round(encoded_s, 3),
                "records_per_second": round(records / encoded_s),
            },
            "runs": runs,
        },
        "python_loop": {
            "sample_records": len(rows),
            "sample_subjects": share,
            "seconds": round(loop_s, 3),
            "records_per_second": round(loop_rps),
            "agrees_with_batch": True,
        },
        "ratio_store_types": round(batch_rps / loop_rps, 1),
        "ratio_encoded_types": round(records / encoded_s / loop_rps, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def report(f: dict[str, Any], console: Console) -> None:
    sp, loop = f["score_population"], f["python_loop"]
    table = Table(title=f"Batch rescoring: {f['records']:,} records, {f['subjects']:,} subjects")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("records/s", justify="right")
    table.add_column("vs loop", justify="right")
    table.add_row(
        f"score_population, store types (best of {sp['runs']})",
        f"{sp['store_types']['best_seconds']:.3f}",
        f"{sp['store_types']['records_per_second']:,}",
        f"{f['ratio_store_types']}x",
    )
    table.add_row(
        f"score_population, Enum/integer columns (best of {sp['runs']})",
        f"{sp['encoded_types']['best_seconds']:.3f}",
        f"{sp['encoded_types']['records_per_second']:,}",
        f"{f['ratio_encoded_types']}x",
    )
    table.add_row(
        f"Python loop on {loop['sample_records']:,} records (scores agree)",
        f"{loop['seconds']:.3f}",
        f"{loop['records_per_second']:,}",
        "1x",
    )
    console.print(table)
    m = f["machine"]
    load = m["load_average_1min"]
    console.print(
        f"{m['cores']} cores, {m['memory_gib']} GiB, {m['platform']}; "
        f"1-min load average {load['before']} before, {load['after']} after the batch runs; "
        f"{f['amendments']:,} amendments; generation {f['generate_seconds']} s (not timed); "
        f"peak RSS {f['peak_rss_mib']} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__)
    p.add_argument("--records", type=int, default=10_000_000)
    p.add_argument("--subjects", type=int, default=1_000_000)
    p.add_argument("--scheme", default=None, help="preset name or .toml path (points kind)")
    p.add_argument("--sample", type=int, default=1_000_000, help="records for the Python loop")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true", help="print only; do not write results")
    args = p.parse_args(argv)
    command = command_line("bench.batch", argv)
    figures = bench(
        args.records, args.subjects, args.scheme, args.sample, args.seed, args.runs, command
    )
    console = Console()
    report(figures, console)
    if not args.no_save:
        merge_results(args.results, "batch_scoring", figures)
        console.print(f"saved under 'batch_scoring' in {args.results}")


if __name__ == "__main__":
    main()
