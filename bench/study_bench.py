"""Benchmark of studies (not a test): a study's throughput beside the world's.

    python bench/study_bench.py [--residents 100000] [--months 12] [--variants 6]
                                [--seeds 5] [--workers 2] [--world-residents 100000]

Measures, in the same process and run:

1. today's world throughput: one run of ``--world-residents`` residents for ``--months``
   months through the real engine (ingest, scoring, lists, gates), as ``xinyong demo`` does;
2. a study of ``--variants`` x ``--seeds`` runs at ``--residents`` residents on the local
   process pool (``--workers`` processes), with outcomes, intervals and the report tables.

Then prints the targets of issue 13 beside what was measured: 10,000,000 residents x 12
months in 10 minutes (extrapolated linearly from the measured world throughput, and said
so: this script never runs 10 million residents on a shared 2-core machine), and a study of
6 variants x 5 seeds at 100,000 residents in 10 minutes (measured when run at that size).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from xinyong.world.pipeline import generate, simulate
from xinyong.world.scenario import load_scenario
from xinyong.world.study.execute import run_study
from xinyong.world.study.spec import parse_study
from xinyong.world.study.summary import summarise

TARGET_WORLD = (10_000_000, 12, 600.0)  # residents, months, seconds
TARGET_STUDY = (6, 5, 100_000, 600.0)  # variants, seeds, residents, seconds


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def world(residents: int, months: int) -> dict[str, float]:
    scenario = load_scenario()
    t = time.perf_counter()
    population = generate(scenario, residents=residents, seed=1)
    gen = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        simulate(scenario, population, db=Path(tmp) / "b.db", out=None, months=months, seed=1)
        run = time.perf_counter() - t
    return {"generate_s": gen, "run_s": run, "rm_per_s": residents * months / (gen + run)}


def study(variants: int, seeds: int, residents: int, months: int, workers: int) -> float:
    values = [round(0.5 * i, 2) for i in range(variants)]
    data = {
        "study": {"name": "bench", "seeds": seeds, "residents": residents, "months": months},
        "variants": [{"set": {"errors.scale": values}}],
    }
    s = parse_study(data, Path("bench-study.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        results, ran = run_study(s, Path(tmp), workers=workers)
        summarise(results, s.baseline, [v.name for v in s.variants])
        took = time.perf_counter() - t
    assert ran == variants * seeds
    return took


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--residents", type=int, default=100_000, help="residents per study run")
    p.add_argument("--world-residents", type=int, default=100_000)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--variants", type=int, default=6)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args(argv)
    w = world(a.world_residents, a.months)
    print(
        f"world: {a.world_residents:,} residents x {a.months} months: generate "
        f"{w['generate_s']:.1f} s, run {w['run_s']:.1f} s = {w['rm_per_s']:,.0f} resident-months/s"
    )
    took = study(a.variants, a.seeds, a.residents, a.months, a.workers)
    runs = a.variants * a.seeds
    rm = runs * a.residents * a.months / took
    print(
        f"study: {a.variants} variants x {a.seeds} seeds at {a.residents:,} residents x "
        f"{a.months} months on {a.workers} workers: {took:.1f} s ({took / runs:.1f} s a run, "
        f"{rm:,.0f} resident-months/s over the pool)"
    )
    n, m, limit = TARGET_WORLD
    est = n * m / w["rm_per_s"]
    print(
        f"target 1: {n:,} residents x {m} months in {limit:.0f} s: EXTRAPOLATED (not run) "
        f"from the world throughput above: {est:,.0f} s ({'within' if est <= limit else 'over'})"
    )
    v, s, r, limit = TARGET_STUDY
    scale = (v * s * r) / (runs * a.residents)
    est = took * scale
    how = "MEASURED" if scale == 1 else f"EXTRAPOLATED linearly (x{scale:.1f})"
    print(
        f"target 2: {v} x {s} runs at {r:,} residents in {limit:.0f} s: {how}: {est:,.0f} s "
        f"({'within' if est <= limit else 'over'})"
    )
    print(f"peak RSS (this process or one worker): {peak_rss_mib():,.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
