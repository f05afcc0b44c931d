"""Large synthetic records datasets, generated straight to Parquet bucket by bucket.

    python -m xinyong.adapters.batch.synth --records 50000000 --subjects 5000000 \
        --out /work/ooc-data/50M [--scheme rongcheng] [--buckets N] [--workers 2] [--seed 1]

Vectorised with NumPy and seeded (each bucket from its own stream, so the result does not
depend on the number of workers). Only one bucket per worker is in memory at a time.

What the records look like: subjects are the numbers 0 .. subjects-1; every subject has at
least one record, the others are spread with a skewed activity (Gamma(0.5) weights: most
people have a few records, some have many). Categories follow a realistic mix over the
catalogue: a preset scheme's categories with frequencies like those of the batch benchmark
(``bench/batch_data.py``; traffic tickets and volunteering common, convictions rare) and the
catalogue's other categories, which the scheme does not score, less often.
Records occurred over the four years before ``at`` and were recorded a few days later. About
2% of the rows amend an earlier record of the same subject: half corrections (new category
or an earlier date), a quarter revocations, a quarter expiries.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from xinyong.adapters.batch.dataset import (
    Manifest,
    bucket_dir,
    buckets_of_ints,
    dictionary,
    prepare_output,
    write_manifest,
    write_part,
)
from xinyong.adapters.batch.frame import REQUIRED_COLUMNS, US_PER_DAY, instant_us
from xinyong.adapters.batch.parallel import peak_rss_mib, run_tasks

AT = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_US = 365 * US_PER_DAY
AMEND_SHARE = 0.02
BUCKET_RECORDS = 8_000_000  # default bucket size: ~0.5 GB in memory while it is scored

# relative frequencies of common categories (the rest of a scheme's categories: 1.0; the
# catalogue's categories the scheme does not score: 0.5)
FREQUENCY = {
    "traffic.violation": 30.0,
    "traffic.drunk_driving": 0.5,
    "utility.late_payment": 12.0,
    "finance.late_payment": 8.0,
    "finance.on_time_repayment": 20.0,
    "tax.arrears": 1.5,
    "court.listing_decision": 0.5,
    "court.criminal_conviction": 0.2,
    "transport.fare_evasion": 4.0,
    "civic.volunteering": 15.0,
    "civic.blood_donation": 3.0,
    "civic.charity": 5.0,
    "civic.heroic_act": 0.1,
    "identity.verified": 10.0,
}


def category_mix(scheme_name: str) -> tuple[list[str], list[float]]:
    """The dictionary (catalogue order) and each category's probability for ``scheme_name``."""
    from xinyong.system.schemes_io import load_scheme

    scheme = load_scheme(scheme_name)
    scored = {r.category for v in scheme.versions for r in v.rules}
    categories = dictionary(scored)
    weights = np.array([FREQUENCY.get(c, 1.0 if c in scored else 0.5) for c in categories])
    return categories, list(weights / weights.sum())


def default_buckets(records: int) -> int:
    return max(1, -(-records // BUCKET_RECORDS))


@dataclass(frozen=True, slots=True)
class BucketTask:
    bucket: int
    root: Path
    subjects: np.ndarray[Any, Any]  # this bucket's subject numbers
    records: int
    first_id: int
    probabilities: list[float]
    at_us: int
    seed: int


def generate_bucket(task: BucketTask) -> tuple[int, int, float]:
    """Write one bucket; returns (bucket, records, peak RSS MiB of this process)."""
    rng = np.random.default_rng([task.seed, task.bucket])
    subs = task.subjects
    n_sub, total = len(subs), task.records
    n_amend = min(round(total * AMEND_SHARE), total - n_sub)
    n_act = total - n_amend
    weights = rng.gamma(0.5, 2.0, n_sub)
    cdf = np.cumsum(weights)
    extra = np.searchsorted(cdf, rng.random(n_act - n_sub) * cdf[-1], side="right")
    who = np.concatenate([np.arange(n_sub), np.minimum(extra, n_sub - 1)])
    p = np.asarray(task.probabilities)
    cat_cdf = np.cumsum(p)
    cat = np.minimum(
        np.searchsorted(cat_cdf, rng.random(n_act) * cat_cdf[-1], side="right"), len(p) - 1
    ).astype(np.uint16)
    occ = task.at_us - rng.integers(0, 4 * YEAR_US, n_act)
    rec = np.minimum(occ + rng.exponential(3 * US_PER_DAY, n_act).astype(np.int64), task.at_us)
    # amendments of earlier active records of the same subject
    target = rng.integers(0, n_act, n_amend)
    kind = rng.choice(np.array([1, 2, 3], dtype=np.uint8), n_amend, p=[0.5, 0.25, 0.25])
    a_occ = occ[target].copy()
    shift = rng.integers(0, YEAR_US, n_amend)
    a_occ[kind == 1] -= shift[kind == 1] // 12
    a_occ[kind == 3] += shift[kind == 3]
    new_cat = np.minimum(
        np.searchsorted(cat_cdf, rng.random(n_amend) * cat_cdf[-1], side="right"), len(p) - 1
    ).astype(np.uint16)
    a_cat = np.where(kind == 1, new_cat, cat[target])
    a_rec = rec[target] + rng.exponential(30 * US_PER_DAY, n_amend).astype(np.int64)
    a_rec = np.maximum(np.minimum(a_rec, task.at_us), a_occ)
    subject = subs[np.concatenate([who, who[target]])]
    order = np.argsort(subject, kind="stable")
    ids = task.first_id + np.arange(total, dtype=np.int64)
    refers = np.concatenate([np.full(n_act, -1, dtype=np.int64), task.first_id + target])
    status = np.concatenate([np.zeros(n_act, dtype=np.uint8), kind])
    frame = pl.DataFrame(
        {
            "id": ids[order],
            "subject": subject[order].astype(np.int64),
            "category": np.concatenate([cat, a_cat])[order],
            "occurred_at": pl.Series(np.concatenate([occ, a_occ])[order]).cast(
                pl.Datetime("us", "UTC")
            ),
            "recorded_at": pl.Series(np.concatenate([rec, a_rec])[order]).cast(
                pl.Datetime("us", "UTC")
            ),
            "status": status[order],
            "refers_to": refers[order],
        }
    ).with_columns(pl.when(pl.col("refers_to") >= 0).then(pl.col("refers_to")).alias("refers_to"))
    write_part(
        frame.select(REQUIRED_COLUMNS), bucket_dir(task.root, task.bucket) / "part-00000.parquet"
    )
    return task.bucket, total, peak_rss_mib()


def generate_dataset(
    root: Path,
    records: int,
    subjects: int,
    *,
    scheme: str = "rongcheng",
    buckets: int | None = None,
    seed: int = 1,
    at: datetime = AT,
    workers: int = 1,
    on_bucket: Any = None,
) -> Manifest:
    """Generate a dataset of ``records`` records over ``subjects`` subjects under ``root``.

    ``on_bucket(records_done)`` is called after each bucket (for a progress bar).
    """
    if subjects < 1 or records < subjects:
        raise ValueError(
            f"need at least one subject and one record per subject; got {records:,} records "
            f"for {subjects:,} subjects"
        )
    n_buckets = buckets or default_buckets(records)
    prepare_output(root)
    categories, probabilities = category_mix(scheme)
    homes = np.concatenate(
        [
            buckets_of_ints(np.arange(lo, min(lo + 10_000_000, subjects)), n_buckets)
            for lo in range(0, subjects, 10_000_000)
        ]
    )
    order = np.argsort(homes, kind="stable")  # subject numbers grouped by bucket, ascending
    per_bucket = np.bincount(homes, minlength=n_buckets)
    del homes
    ends = np.cumsum(per_bucket)
    cut = (ends.astype(object) * records) // subjects  # exact integers: records per bucket
    rec_ends = np.array([int(c) for c in cut], dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1]])
    rec_starts = np.concatenate([[0], rec_ends[:-1]])
    tasks = (
        BucketTask(
            bucket=b,
            root=root,
            subjects=order[starts[b] : ends[b]],
            records=int(rec_ends[b] - rec_starts[b]),
            first_id=int(rec_starts[b]),
            probabilities=probabilities,
            at_us=instant_us(at),
            seed=seed,
        )
        for b in range(n_buckets)
    )
    peak = 0.0
    for _, done, rss in run_tasks(generate_bucket, tasks, workers):
        peak = max(peak, rss)
        if on_bucket is not None:
            on_bucket(done)
    manifest = Manifest(
        buckets=n_buckets,
        subject_type="int64",
        id_type="int64",
        categories=categories,
        records=records,
        subjects=subjects,
        generator={
            "records": records,
            "subjects": subjects,
            "scheme": scheme,
            "seed": seed,
            "at": at.isoformat(),
            "amend_share": AMEND_SHARE,
            "module": __name__,
        },
    )
    write_manifest(root, manifest)
    return manifest


def main(argv: list[str] | None = None) -> None:
    from rich.progress import Progress

    p = argparse.ArgumentParser(prog="python -m xinyong.adapters.batch.synth", description=__doc__)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--subjects", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--scheme", default="rongcheng")
    p.add_argument("--buckets", type=int, default=None)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    t = time.perf_counter()
    with Progress() as progress:
        bar = progress.add_task("generating", total=args.records)
        m = generate_dataset(
            args.out,
            args.records,
            args.subjects,
            scheme=args.scheme,
            buckets=args.buckets,
            seed=args.seed,
            workers=args.workers,
            on_bucket=lambda n: progress.advance(bar, n),
        )
    print(
        f"{m.records:,} records, {m.subjects:,} subjects, {m.buckets} buckets -> {args.out} "
        f"in {time.perf_counter() - t:.1f} s"
    )


if __name__ == "__main__":
    main()
