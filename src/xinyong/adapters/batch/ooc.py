"""Out-of-core rescoring: a whole records dataset scored bucket by bucket.

Each bucket of a dataset (:mod:`xinyong.adapters.batch.dataset`) holds every record of its
subjects, so scoring the buckets one at a time with :func:`score_population` gives exactly
the scores of the whole frame, while only one bucket per worker is ever in memory. Results
go to ``OUT/part-<bucket>.parquet`` (``subject``, ``score``, ``grade`` and, for scorecards,
``factor_<id>``) and ``OUT/summary.json``, written last.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xinyong.adapters.batch.dataset import (
    DatasetError,
    Manifest,
    parts_of,
    prepare_output,
    read_bucket,
    read_manifest,
    write_part,
)
from xinyong.adapters.batch.parallel import peak_rss_mib, run_tasks
from xinyong.adapters.batch.score import score_population
from xinyong.core.schemes.model import AnyScheme
from xinyong.core.scoring.engine import version_in_force
from xinyong.core.timeutil import iso

SUMMARY = "summary.json"


@dataclass(frozen=True, slots=True)
class BucketJob:
    bucket: int
    files: list[Path]
    manifest: Manifest
    out: Path
    scheme: AnyScheme
    at: datetime
    known_at: datetime | None
    check_layout: bool


@dataclass(frozen=True, slots=True)
class BucketDone:
    bucket: int
    records: int
    subjects: int
    read_s: float
    score_s: float
    write_s: float
    peak_rss_mib: float
    pid: int


@dataclass(slots=True)
class Summary:
    """What a rescoring run did, and what it cost (``summary.json``)."""

    dataset: str
    out: str
    scheme: str
    version: str
    at: str
    known_at: str | None  # None: the latest knowledge
    buckets: int
    workers: int
    records: int = 0
    subjects: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)  # summed over workers
    peak_rss_mib: dict[str, float] = field(default_factory=dict)

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "records_per_second": round(self.records_per_second)}


def score_bucket(job: BucketJob) -> BucketDone:
    """Read, score and write one bucket (runs in a worker process when there are several)."""
    t0 = time.perf_counter()
    frame = read_bucket(job.files, job.manifest, job.bucket, check_layout=job.check_layout)
    t1 = time.perf_counter()
    scores = score_population(job.scheme, frame, job.at, job.known_at)
    t2 = time.perf_counter()
    write_part(scores, job.out / f"part-{job.bucket:05d}.parquet")
    t3 = time.perf_counter()
    return BucketDone(
        job.bucket,
        frame.height,
        scores.height,
        t1 - t0,
        t2 - t1,
        t3 - t2,
        peak_rss_mib(),
        os.getpid(),
    )


def rescore_dataset(
    dataset: Path,
    scheme: AnyScheme,
    at: datetime,
    out: Path,
    known_at: datetime | None = None,
    *,
    workers: int = 1,
    check_layout: bool = True,
    on_bucket: Callable[[BucketDone], None] | None = None,
) -> Summary:
    """Score every subject of ``dataset`` under ``scheme`` at ``at`` into ``out``.

    ``out`` must be new or empty. Raises :class:`DatasetError` for a bad dataset and
    ``NoVersionInForce`` (before writing anything) when the scheme has no version at ``at``.
    """
    version = version_in_force(scheme, at)  # fails early, before any output
    manifest = read_manifest(dataset)
    files = parts_of(dataset, manifest)
    if out.resolve() == dataset.resolve() or dataset.resolve() in out.resolve().parents:
        raise DatasetError(f"--out {out} must be outside the dataset {dataset}")
    prepare_output(out)
    summary = Summary(
        dataset=str(dataset),
        out=str(out),
        scheme=scheme.name,
        version=str(version.effective_from),
        at=iso(at),
        known_at=None if known_at is None else iso(known_at),
        buckets=manifest.buckets,
        workers=workers,
    )
    jobs = [
        BucketJob(b, f, manifest, out, scheme, at, known_at, check_layout)
        for b, f in enumerate(files)
    ]
    stages = {"read": 0.0, "score": 0.0, "write": 0.0}
    worker_peak: dict[int, float] = {}
    t = time.perf_counter()
    for done in run_tasks(score_bucket, jobs, workers):
        summary.records += done.records
        summary.subjects += done.subjects
        stages["read"] += done.read_s
        stages["score"] += done.score_s
        stages["write"] += done.write_s
        worker_peak[done.pid] = max(worker_peak.get(done.pid, 0.0), done.peak_rss_mib)
        if on_bucket is not None:
            on_bucket(done)
    summary.seconds = round(time.perf_counter() - t, 3)
    if summary.records != manifest.records:
        raise DatasetError(
            f"dataset {dataset}: its buckets hold {summary.records:,} records, its manifest "
            f"says {manifest.records:,}; the dataset was changed after it was written "
            f"(results in {out} are left without {SUMMARY})"
        )
    summary.stage_seconds = {k: round(v, 3) for k, v in stages.items()}
    this = peak_rss_mib()
    others = sum(v for pid, v in worker_peak.items() if pid != os.getpid())
    summary.peak_rss_mib = {
        "this_process": round(this, 1),
        "largest_worker": round(max(worker_peak.values(), default=this), 1),
        # an upper bound: each process at its own peak at the same moment
        "all_processes_bound": round(this + others, 1),
    }
    (out / SUMMARY).write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")
    return summary
