"""Benchmark (not a test): incremental update latency per record vs the baselines, same run.

A SQLite store is filled with a synthetic population (organisations, a few records each, in
categories of the preset schemes) and its live state is built. Then records arrive one at a
time; for each, the figures are:

- **incremental**: from before the append to the live state updated (append commit +
  :meth:`LiveState.catch_up`), and the state update alone;
- **baseline, subject**: full re-evaluation of that subject from the log (read its records,
  :func:`evaluate_subject` under every scheme, every gate answered), which is what a check
  costs without the state;
- **baseline, population**: batch rescoring of the whole population (``score_population``
  under every scheme over the store's frame), measured a few times.

The machine is shared and has 2 cores: absolute times are noisy; compare the ratios, which
are measured in the same run. Results go to ``bench/results.json`` under ``incremental``.

    python -m bench.incremental [--subjects 2000] [--updates 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import RESULTS, merge_results
from xinyong.adapters.batch import score_population
from xinyong.adapters.state import LiveState
from xinyong.adapters.store import SqlRecordStore
from xinyong.core.codes.issue import issue_organisation_codes
from xinyong.core.evaluate import check_gate, evaluate_subject
from xinyong.core.records import Record
from xinyong.core.sanctions import gates_of
from xinyong.core.scoring.engine import NoVersionInForce
from xinyong.system.schemes_io import all_memoranda, all_presets

CATEGORIES = ("tax.arrears", "traffic.violation", "court.listing_decision", "charity.donation")
START = datetime(2022, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _record(rng: np.random.Generator, n: int, subject: str) -> Record:
    occurred = START + timedelta(days=int(rng.integers(0, 1000)), hours=int(rng.integers(0, 24)))
    category = str(rng.choice(CATEGORIES))
    details = {"ground": str(int(rng.integers(1, 4)))} if category.startswith("court") else {}
    return Record(
        id=f"b{n}",
        subject=subject,
        category=category,
        occurred_at=occurred,
        recorded_at=occurred + timedelta(days=1),
        source="bench",
        legal_basis="synthetic",
        amount=float(rng.integers(100, 10_000)),
        details=details,
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(subjects: int, per_subject: int, updates: int, seed: int = 7) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    codes = [str(c) for c in issue_organisation_codes(rng, subjects)]
    schemes, memoranda = all_presets(), all_memoranda()
    gates = sorted(gates_of(memoranda))
    with tempfile.TemporaryDirectory() as d:
        store = SqlRecordStore(f"sqlite:///{Path(d) / 'bench.db'}")
        records = [
            _record(rng, i * per_subject + k, s)
            for i, s in enumerate(codes)
            for k in range(per_subject)
        ]
        store.append(records)
        live = LiveState(store, schemes, memoranda, clock=lambda: NOW)
        t = time.perf_counter()
        live.catch_up()
        build = time.perf_counter() - t

        total, update, subject_full = [], [], []
        for u in range(updates):
            who = codes[int(rng.integers(0, subjects))]
            r = _record(rng, 10_000_000 + u, who)
            t0 = time.perf_counter()
            store.append([r])
            t1 = time.perf_counter()
            live.catch_up()
            t2 = time.perf_counter()
            view = evaluate_subject(schemes, who, store.records_for(who), NOW)
            for g in gates:
                check_gate(memoranda, view, g)
            t3 = time.perf_counter()
            total.append(t2 - t0)
            update.append(t2 - t1)
            subject_full.append(t3 - t2)

        population = []
        for _ in range(3):
            t0 = time.perf_counter()
            frame = store.frame()
            for scheme in schemes.values():
                try:
                    score_population(scheme, frame, NOW)
                except NoVersionInForce:
                    continue
            population.append(time.perf_counter() - t0)
        count = store.count()
        store.close()
    ms = 1000.0
    inc_p50, inc_p99 = _pct(total, 0.5) * ms, _pct(total, 0.99) * ms
    sub_p50 = _pct(subject_full, 0.5) * ms
    pop = statistics.median(population) * ms
    return {
        "records": count,
        "subjects": subjects,
        "updates": updates,
        "schemes": len(schemes),
        "gates": len(gates),
        "state_build_s": round(build, 2),
        "incremental_ms_p50": round(inc_p50, 2),
        "incremental_ms_p99": round(inc_p99, 2),
        "state_update_only_ms_p50": round(_pct(update, 0.5) * ms, 2),
        "state_update_only_ms_p99": round(_pct(update, 0.99) * ms, 2),
        "baseline_subject_reevaluation_ms_p50": round(sub_p50, 2),
        "baseline_subject_reevaluation_ms_p99": round(_pct(subject_full, 0.99) * ms, 2),
        "baseline_population_rescore_ms_median": round(pop, 1),
        "ratio_population_rescore_over_incremental_p50": round(pop / inc_p50, 1),
        "ratio_incremental_p50_over_subject_reevaluation_p50": round(inc_p50 / sub_p50, 2),
        "note": "shared 2-core machine; compare ratios (same run), not absolute times",
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.incremental", description=__doc__)
    p.add_argument("--subjects", type=int, default=2000)
    p.add_argument("--per-subject", type=int, default=5)
    p.add_argument("--updates", type=int, default=200)
    p.add_argument("--results", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    figures = run(args.subjects, args.per_subject, args.updates)
    for k, v in figures.items():
        print(f"{k:55} {v}")
    # merge_results stamps the command, the time, the cores and the memory
    merge_results(
        args.results,
        "incremental",
        {"load_average_1min": round(os.getloadavg()[0], 2), **figures},
    )


if __name__ == "__main__":
    main()
