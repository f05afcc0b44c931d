"""Benchmark of the batch rescoring job (not a test): records/s, and against a Python loop.

    python -m xinyong.adapters.batch.bench [--records 10000000] [--subjects 1000000]
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
import resource
import sys
import time
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from xinyong.adapters.batch.frame import STATUSES, US_PER_DAY, instant_us
from xinyong.adapters.batch.score import (
    AnyScheme,
    Tables,
    compile_scheme,
    cutoffs,
    score_population,
)
from xinyong.adapters.bench_results import command_line, memory_gib, merge_results
from xinyong.core.records import Status
from xinyong.core.schemes.model import Graded, PointsVersion, parse_scheme
from xinyong.core.scoring.engine import version_in_force

T = TypeVar("T")
RESULTS = Path("bench/results.json")
AT = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_US = 365 * US_PER_DAY


# --- the scheme --------------------------------------------------------------------------------

# (category, points in 2020 version, points in 2024 version, validity, cap, relative frequency)
_CATALOGUE = [
    ("traffic.violation", -5, -5, "1y", None, 30.0),
    ("traffic.drunk_driving", -50, -60, "2y", None, 0.5),
    ("utility.late_payment", -5, -3, "1y", None, 12.0),
    ("finance.late_payment", -10, -10, "2y", None, 8.0),
    ("tax.arrears", -20, -20, "2y", None, 1.5),
    ("court.listing_decision", -50, -50, "2y", None, 0.5),
    ("court.criminal_conviction", -100, -100, "3y", None, 0.2),
    ("transport.fare_evasion", -5, -5, "6mo", None, 4.0),
    ("civic.volunteering", 5, 5, "1y", 20, 15.0),
    ("civic.blood_donation", 5, 10, "1y", None, 3.0),
    ("civic.charity", 5, 5, "1y", 20, 5.0),
    ("civic.heroic_act", 30, 30, "2y", None, 0.1),
]
_UNSCORED = [("registry.address_change", 10.0), ("registry.other", 5.0)]


def bench_scheme() -> AnyScheme:
    """A Rongcheng-like points scheme with two versions, caps and a grade override."""

    def version(day: str, column: int) -> dict[str, Any]:
        return {
            "effective_from": day,
            "base": 1000,
            "rules": [
                {
                    "category": c[0],
                    "points": c[column],
                    "validity": c[3],
                    **({"cap": c[4]} if c[4] is not None else {}),
                    "legal_basis": "bench",
                    "description": c[0],
                }
                for c in _CATALOGUE
            ],
            "bands": [
                {"grade": "AAA", "min": 1050},
                {"grade": "AA", "min": 1030},
                {"grade": "A", "min": 960},
                {"grade": "B", "min": 850},
                {"grade": "C", "min": 600},
                {"grade": "D"},
            ],
            "overrides": [
                {
                    "categories": ["traffic.drunk_driving"],
                    "max_grade": "C",
                    "validity": "2y",
                    "legal_basis": "bench",
                    "description": "drunk driving: grade C at best",
                }
            ],
        }

    doc = {
        "kind": "points",
        "meta": {
            "name": "bench",
            "title": "Benchmark points scheme",
            "jurisdiction": "none",
            "description": "synthetic",
            "default_confidence": "U",
            "sources": [{"id": "bench", "title": "bench", "confidence": "U"}],
        },
        "versions": [version("2020-01-01", 1), version("2024-01-01", 2)],
    }
    return parse_scheme(doc, "bench")


def load(name_or_path: str | None) -> tuple[AnyScheme, list[tuple[str, float]]]:
    """The scheme and its category mix (category, relative frequency)."""
    if name_or_path is None:
        return bench_scheme(), [(c[0], c[5]) for c in _CATALOGUE] + _UNSCORED
    from xinyong.adapters.schemes_io import load_scheme

    scheme = load_scheme(name_or_path)
    cats = sorted({r.category for v in scheme.versions for r in v.rules})
    # a skewed mix: frequency falls with the rank, as for real conduct records
    return scheme, [(c, 1.0 / (i + 1)) for i, c in enumerate(cats)] + _UNSCORED


# --- synthetic records -------------------------------------------------------------------------


def generate(
    mix: list[tuple[str, float]], records: int, subjects: int, seed: int, at: datetime
) -> pl.DataFrame:
    """``records`` rows over ``subjects`` subjects in the record store's column types."""
    rng = np.random.default_rng(seed)
    n_amend = round(records * 0.02)
    n_act = records - n_amend
    at_us = instant_us(at)
    names = [c for c, _ in mix]
    weights = np.array([w for _, w in mix])
    subj = rng.integers(0, subjects, n_act)
    cat = rng.choice(len(names), n_act, p=weights / weights.sum())
    occ = at_us - rng.integers(0, 4 * YEAR_US, n_act)
    rec = np.minimum(occ + rng.exponential(3 * US_PER_DAY, n_act).astype(np.int64), at_us)
    # amendments: corrections 50%, revocations 25%, expiries 25%, of random earlier records
    target = rng.integers(0, n_act, n_amend)
    kind = rng.choice([1, 2, 3], n_amend, p=[0.5, 0.25, 0.25])
    a_occ = occ[target].copy()
    shift = rng.integers(0, 365 * US_PER_DAY, n_amend)
    a_occ[kind == 1] -= shift[kind == 1] // 12
    a_occ[kind == 3] += shift[kind == 3]
    a_cat = np.where(kind == 1, rng.choice(len(names), n_amend), cat[target])
    a_rec = rec[target] + rng.exponential(30 * US_PER_DAY, n_amend).astype(np.int64)
    a_rec = np.maximum(np.minimum(a_rec, at_us), a_occ)
    all_subj = np.concatenate([subj, subj[target]])
    status = np.concatenate([np.zeros(n_act, dtype=np.uint32), kind.astype(np.uint32)])
    refers = np.concatenate([np.full(n_act, -1), target])
    frame = pl.DataFrame(
        {
            "_i": np.arange(records, dtype=np.int64),
            "_s": all_subj,
            "_c": np.concatenate([cat, a_cat]).astype(np.uint32),
            "occurred_at": np.concatenate([occ, a_occ]),
            "recorded_at": np.concatenate([rec, a_rec]),
            "_st": status,
            "_r": refers,
        }
    )
    assert STATUSES[0] == Status.ACTIVE.value
    return frame.select(
        ("R" + pl.col("_i").cast(pl.String).str.zfill(10)).alias("id"),
        ("9137" + pl.col("_s").cast(pl.String).str.zfill(14)).alias("subject"),
        _text(names, "_c").cast(pl.Categorical).alias("category"),
        pl.col("occurred_at").cast(pl.Datetime("us", "UTC")),
        pl.col("recorded_at").cast(pl.Datetime("us", "UTC")),
        _text(list(STATUSES), "_st").cast(pl.Categorical).alias("status"),
        pl.when(pl.col("_r") >= 0)
        .then("R" + pl.col("_r").cast(pl.String).str.zfill(10))
        .alias("refers_to"),
    )


def _text(values: list[str], codes: str) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(pl.col(codes))


def encoded(frame: pl.DataFrame, categories: list[str]) -> pl.DataFrame:
    """The same records with integer-coded columns: ``Enum`` category and status, ``UInt32``
    subjects, ``Int64`` ids (what a columnar export of the store could hand over)."""
    return frame.select(
        pl.col("id").str.slice(1).cast(pl.Int64),
        pl.col("subject").str.slice(4).cast(pl.UInt32),
        pl.col("category").cast(pl.String).cast(pl.Enum(categories)),
        "occurred_at",
        "recorded_at",
        pl.col("status").cast(pl.String).cast(pl.Enum(list(STATUSES))),
        pl.col("refers_to").str.slice(1).cast(pl.Int64),
    )


# --- the plain-Python baseline -----------------------------------------------------------------

Row = tuple[str, str, str, int, int, str, str | None]


def loop_scores(
    scheme: AnyScheme, rows: list[Row], at: datetime
) -> dict[str, tuple[int | None, str | None]]:
    """Points schemes only: (score, grade) per subject, one record at a time, in Python.

    Same rules as the reference engine; expiry tests use the same cut-offs as the batch path.
    """
    current = version_in_force(scheme, at)
    assert isinstance(current, PointsVersion), "the loop baseline handles points schemes"
    at_us = instant_us(at)
    known_us = at_us
    t: Tables = compile_scheme(scheme, current, at_us)
    code = {c: i for i, c in enumerate(t.categories)}
    width = len(t.categories) + 1
    a_tod = at_us % US_PER_DAY
    # resolve: originals by (subject, id); amendments in (recorded_at, id) order
    content: dict[tuple[str, str], tuple[str, int]] = {}
    amendments: list[Row] = []
    subjects: set[str] = set()
    for r in rows:
        subjects.add(r[1])
        if r[4] > known_us:
            continue
        if r[5] == "active":
            content[(r[1], r[0])] = (r[2], r[3])
        else:
            amendments.append(r)
    amendments.sort(key=lambda r: (r[4], r[0]))
    ends: dict[tuple[str, str], int] = {}
    revoked: set[tuple[str, str]] = set()
    for r in amendments:
        key = (r[1], r[6] or "")
        if key not in content:
            continue
        if r[5] == "correction":
            content[key] = (r[2], r[3])
        elif r[5] == "revocation":
            revoked.add(key)
        elif r[5] == "expiry" and (key not in ends or r[3] < ends[key]):
            ends[key] = r[3]
    totals: dict[str, list[int]] = {s: [0] * len(t.buckets) for s in subjects}
    worst: dict[str, int] = {}
    overrides = [
        (set(o.categories), current.grades.index(o.max_grade), *cutoffs(o.validity, at_us))
        for o in current.overrides
    ]
    for key, (category, occ) in content.items():
        if key in revoked or occ > at_us or ends.get(key, at_us + 1) <= at_us:
            continue
        late = occ % US_PER_DAY > a_tod
        k = bisect_right(t.starts, occ) * width + code.get(category, width - 1)
        if occ >= t.cut[2 * k + late]:
            totals[key[0]][t.slot[k]] += t.points[k]
        for cats, cap_index, o_late, o_early in overrides:
            if category in cats and occ >= (o_early if late else o_late):
                worst[key[0]] = max(worst.get(key[0], -1), cap_index)
    out: dict[str, tuple[int | None, str | None]] = {}
    for s, sums in totals.items():
        score = current.base.value
        for b, v in zip(t.buckets, sums, strict=True):
            score += v if b.cap is None else max(-b.cap, min(b.cap, v))
        if current.floor is not None:
            score = max(current.floor, score)
        if current.ceiling is not None:
            score = min(current.ceiling, score)
        out[s] = (score, _grade(current, score, worst.get(s, -1)))
    return out


def _grade(version: Graded, score: int, worst: int) -> str:
    index = len(version.bands) - 1
    for i, b in enumerate(version.bands):
        if b.min is not None and score >= b.min.value:
            index = i
            break
    return version.grades[max(index, worst)]


# --- running and reporting ---------------------------------------------------------------------


def best_of(fn: Callable[[], T], runs: int, warm_up: bool = True) -> tuple[float, T]:
    """The shortest of ``runs`` timed calls (after an untimed one), and the last result."""
    result = fn() if warm_up else None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    assert result is not None
    return min(times), result


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20


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
    p = argparse.ArgumentParser(prog="python -m xinyong.adapters.batch.bench", description=__doc__)
    p.add_argument("--records", type=int, default=10_000_000)
    p.add_argument("--subjects", type=int, default=1_000_000)
    p.add_argument("--scheme", default=None, help="preset name or .toml path (points kind)")
    p.add_argument("--sample", type=int, default=1_000_000, help="records for the Python loop")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true", help="print only; do not write results")
    args = p.parse_args(argv)
    command = command_line("xinyong.adapters.batch.bench", argv)
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
