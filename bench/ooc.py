"""Benchmark of batch and out-of-core rescoring (not a test): records/s against baselines.

    python -m bench.ooc [--scale 0.05] [--records 1000000000]
        [--subjects 100000000] [--data /work/ooc-data] [--workers 1] [--scheme rongcheng]

a) In memory, on one generated population (``--memory-records``, default 10M records of 1M
   subjects, read back from its Parquet dataset): :func:`score_population` (best of
   ``--runs``) against a hand-written DuckDB SQL query (:data:`bench.ooc_duckdb.SQL`, same
   data as an Arrow table, best of ``--runs``; its scores and grades must equal the batch
   path's on every subject) and against the plain-Python loop of :mod:`bench.batch_loop` (on
   the records of a sample of subjects; its results must agree too).
b) Out of core: a dataset of ``--records`` x ``--scale`` records over ``--subjects`` x
   ``--scale`` subjects under ``--data`` (generated, or reused when its manifest says it was
   generated the same way), rescored bucket by bucket with :func:`rescore_dataset`; wall
   time, per-stage time and peak memory. The issue's target: 1e9 records in 600 s on 2 cores
   within 24 GB.

Timings are taken while other jobs may share the machine: the ratios against the baselines,
measured in the same run, say more than the absolute figures. The figures are merged into
``bench/results.json`` under ``"ooc_rescoring"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from rich.console import Console
from rich.table import Table

from bench.ooc_datasets import dataset_for
from bench.ooc_disk import out_of_core
from bench.ooc_memory import in_memory
from bench.results import RESULTS, memory_gib, merge_results
from xinyong.adapters.batch.parallel import peak_rss_mib
from xinyong.adapters.batch.synth import AT


def report(f: dict[str, Any], console: Console) -> None:
    m = f.get("in_memory")
    if m:
        t = Table(
            title=f"Batch scoring in memory: {m['records']:,} records, {m['subjects']:,} subjects"
        )
        for c in ("what", "seconds", "records/s", "vs loop"):
            t.add_column(c, justify="left" if c == "what" else "right")
        sp, sql, loop = m["score_population"], m["duckdb_sql"], m["python_loop"]
        t.add_row(
            f"score_population (best of {m['runs']})",
            f"{sp['best_seconds']:.3f}",
            f"{sp['records_per_second']:,}",
            f"{m['ratio_batch_vs_loop']}x",
        )
        t.add_row(
            f"DuckDB SQL, {sql['threads']} threads (best of {m['runs']}; same scores)",
            f"{sql['best_seconds']:.3f}",
            f"{sql['records_per_second']:,}",
            f"{m['ratio_duckdb_vs_loop']}x",
        )
        t.add_row(
            f"Python loop on {loop['sample_records']:,} records (same scores)",
            f"{loop['seconds']:.3f}",
            f"{loop['records_per_second']:,}",
            "1x",
        )
        console.print(t)
    o = f.get("out_of_core")
    if o:
        t = Table(
            title=f"Out-of-core rescoring: {o['records']:,} records, {o['subjects']:,} subjects"
        )
        t.add_column("what")
        t.add_column("value", justify="right")
        t.add_row("dataset on disk", f"{o['dataset_gib']} GiB in {o['buckets']} buckets")
        gen = o["generate_seconds"]
        t.add_row("generation", "reused" if gen is None else f"{gen} s")
        t.add_row(f"rescoring, {o['workers']} worker(s)", f"{o['seconds']} s")
        t.add_row("records/s", f"{o['records_per_second']:,}")
        st = o["stage_seconds_summed_over_workers"]
        t.add_row("read / score / write", f"{st['read']} / {st['score']} / {st['write']} s")
        rss = o["peak_rss_mib"]
        t.add_row("peak RSS, largest process", f"{rss['largest_worker']:,} MiB")
        t.add_row("peak RSS, all processes (bound)", f"{rss['all_processes_bound']:,} MiB")
        t.add_row(
            "reference scorer agrees on",
            f"{o['reference_scorer_agrees_on_sample_subjects']} sample subjects",
        )
        t.add_row("projected for 1e9 records", f"{o['projected_seconds_for_1e9']} s (target 600)")
        console.print(t)
    mc = f["machine"]
    console.print(f"{mc['cores']} cores, {mc['memory_gib']} GiB, {mc['platform']}")


def _earlier(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8") or "{}")
    found = data.get("ooc_rescoring", {})
    return found if isinstance(found, dict) else {}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ooc", description=__doc__)
    p.add_argument("--records", type=float, default=1e9, help="full-run records")
    p.add_argument("--subjects", type=float, default=1e8, help="full-run subjects")
    p.add_argument("--scale", type=float, default=1.0, help="share of the full run, e.g. 0.05")
    p.add_argument("--data", type=Path, default=Path("/work/ooc-data"))
    p.add_argument("--scheme", default="rongcheng", help="points preset (the SQL needs points)")
    p.add_argument("--workers", type=int, default=1, help="rescoring worker processes")
    p.add_argument("--gen-workers", type=int, default=2, help="generation worker processes")
    p.add_argument("--memory-records", type=int, default=10_000_000)
    p.add_argument("--memory-subjects", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=300_000, help="records for the Python loop")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip-memory", action="store_true", help="only the out-of-core part")
    p.add_argument("--skip-ooc", action="store_true", help="only the in-memory part")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    console = Console()
    from xinyong.system.schemes_io import load_scheme

    scheme = load_scheme(args.scheme)
    figures: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.ooc", *given]),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(memory_gib(), 1),
            "platform": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, polars {pl.__version__}, duckdb {duckdb.__version__}",
        },
        "scheme": scheme.name,
        "at": AT.isoformat(),
    }
    args.data.mkdir(parents=True, exist_ok=True)
    if not args.skip_memory:
        root, _ = dataset_for(
            args.data,
            args.memory_records,
            args.memory_subjects,
            args.scheme,
            args.seed,
            args.gen_workers,
        )
        figures["in_memory"] = in_memory(scheme, root, args.runs, args.sample, console)
        figures["in_memory"]["peak_rss_mib_process"] = round(peak_rss_mib(), 1)
    if not args.skip_ooc:
        records = round(args.records * args.scale)
        subjects = round(args.subjects * args.scale)
        root, gen_s = dataset_for(
            args.data, records, subjects, args.scheme, args.seed, args.gen_workers
        )
        figures["out_of_core"] = out_of_core(scheme, root, gen_s, args.workers, console)
    report(figures, console)
    if not args.no_save:
        # a run of one part keeps the other part's figures from an earlier run
        stamp = {"command": figures["command"], "measured_at": figures["measured_at"]}
        for part in ("in_memory", "out_of_core"):
            if part in figures:
                figures[part] = {**stamp, **figures[part]}
            else:
                earlier = _earlier(args.results).get(part)
                if earlier is not None:
                    figures[part] = earlier
        merge_results(args.results, "ooc_rescoring", figures)
        console.print(f"saved under 'ooc_rescoring' in {args.results}")


if __name__ == "__main__":
    main()
