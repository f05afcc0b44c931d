"""Benchmark of the synthetic world (not a test): generation and end-to-end throughput.

    python -m bench.world [--residents 200000] [--months 12] [--seed 1]

Prints generation throughput (residents/s) and end-to-end throughput of a run through the
engine (resident-months/s, records/s, with the time per stage), and merges the figures
into ``bench/results.json`` under the key ``"world"`` (other keys are kept).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import RESULTS, merge_results
from bench.timing import peak_rss_mib
from xinyong.world.pipeline import generate, simulate
from xinyong.world.scenario import load_scenario


def bench(residents: int, months: int, seed: int) -> dict[str, Any]:
    scenario = load_scenario()
    t = time.perf_counter()
    population = generate(scenario, residents=residents, seed=seed)
    gen = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        outcome = simulate(
            scenario, population, db=Path(tmp) / "bench.db", out=None, months=months, seed=seed
        )
        run = time.perf_counter() - t
    records = outcome.run.records_ingested
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "residents": residents,
        "organisations": population.organisations.height,
        "months": months,
        "seed": seed,
        "generate_seconds": round(gen, 3),
        "generate_residents_per_second": round(residents / gen),
        "run_seconds": round(run, 3),
        "resident_months_per_second": round(residents * months / run),
        "records_ingested": records,
        "records_per_second": round(records / run),
        "ingest_records_per_second": round(
            records / max(outcome.run.timings.get("ingest", 0), 1e-9)
        ),
        "stages_seconds": {k: round(v, 3) for k, v in outcome.run.timings.items()},
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.world", description=__doc__)
    p.add_argument("--residents", type=int, default=200_000)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true", help="print only; do not write results")
    args = p.parse_args(argv)
    figures = bench(args.residents, args.months, args.seed)
    print(
        f"generate: {figures['residents']:,} residents + {figures['organisations']:,} "
        f"organisations in {figures['generate_seconds']:.2f} s "
        f"({figures['generate_residents_per_second']:,} residents/s)"
    )
    print(
        f"run: {figures['months']} months in {figures['run_seconds']:.2f} s: "
        f"{figures['resident_months_per_second']:,} resident-months/s, "
        f"{figures['records_ingested']:,} records ({figures['records_per_second']:,} records/s "
        f"end to end; {figures['ingest_records_per_second']:,} records/s through the ingest)"
    )
    print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in figures["stages_seconds"].items()))
    print(f"peak RSS: {figures['peak_rss_mib']:,.0f} MiB")
    if not args.no_save:
        merge_results(args.results, "world", figures)
        print(f"saved under 'world' in {args.results}")


if __name__ == "__main__":
    main()
