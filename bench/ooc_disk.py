"""Part b) of the out-of-core benchmark: a dataset rescored bucket by bucket, timed, and
checked against the reference scorer on a sample of subjects."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.progress import Progress

from bench.ooc_datasets import size_gib
from xinyong.adapters.batch.dataset import parts_of, read_bucket, read_manifest
from xinyong.adapters.batch.ooc import Summary, rescore_dataset
from xinyong.adapters.batch.score import AnyScheme
from xinyong.adapters.batch.synth import AT

TARGET_SECONDS = 600.0


def out_of_core(
    scheme: AnyScheme,
    root: Path,
    generated_s: float | None,
    workers: int,
    console: Console,
) -> dict[str, Any]:
    manifest = read_manifest(root)
    out = root.parent / f"scores-{root.name}"
    if out.exists():
        shutil.rmtree(out)
    console.print(
        f"b) out of core: {manifest.records:,} records of {manifest.subjects:,} subjects, "
        f"{manifest.buckets} buckets, {size_gib(root):.1f} GiB on disk, {workers} worker(s)"
    )
    load_before = os.getloadavg()[0]
    with Progress(transient=True) as progress:
        bar = progress.add_task("rescoring", total=manifest.records)
        s: Summary = rescore_dataset(
            root,
            scheme,
            AT,
            out,
            workers=workers,
            on_bucket=lambda d: progress.advance(bar, d.records),
        )
    load_after = os.getloadavg()[0]
    checked = check_sample(scheme, root, out, subjects=200)
    return {
        "reference_scorer_agrees_on_sample_subjects": checked,
        "dataset": str(root),
        "dataset_gib": round(size_gib(root), 2),
        "buckets": manifest.buckets,
        "records": s.records,
        "subjects": s.subjects,
        "generate_seconds": None if generated_s is None else round(generated_s, 1),
        "reused_dataset": generated_s is None,
        "workers": workers,
        "seconds": s.seconds,
        "records_per_second": round(s.records_per_second),
        "stage_seconds_summed_over_workers": s.stage_seconds,
        "peak_rss_mib": s.peak_rss_mib,
        "results_gib": round(size_gib(out), 2),
        "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "target": {"records": 1_000_000_000, "seconds": TARGET_SECONDS, "memory_gib": 24},
        "projected_seconds_for_1e9": round(1e9 / s.records_per_second, 1),
    }


def check_sample(scheme: AnyScheme, root: Path, out: Path, subjects: int) -> int:
    """The reference scorer (:func:`score_subject`) on ``subjects`` subjects of the first
    bucket must give the out-of-core results; returns how many were checked."""
    from xinyong.core.records import Record, Status
    from xinyong.core.scoring.engine import score_subject

    manifest = read_manifest(root)
    frame = read_bucket(parts_of(root, manifest)[0], manifest, 0)
    got = pl.read_parquet(out / "part-00000.parquet")
    chosen = got.get_column("subject").unique().sort().head(subjects)
    mine = frame.filter(pl.col("subject").is_in(chosen.implode()))
    text = manifest.id_type == "string"
    records = [
        Record(
            id=r["id"] if text else f"{r['id']:012d}",  # text ids that sort like the numbers
            subject=str(r["subject"]),
            category=r["category"],
            occurred_at=r["occurred_at"],
            recorded_at=r["recorded_at"],
            source="synthetic",
            legal_basis="synthetic",
            status=Status(r["status"]),
            refers_to=r["refers_to"]
            if text or r["refers_to"] is None
            else f"{r['refers_to']:012d}",
        )
        for r in mine.iter_rows(named=True)
    ]
    for subject, score, grade in got.filter(pl.col("subject").is_in(chosen.implode())).iter_rows():
        ref = score_subject(scheme, str(subject), records, AT)
        if (ref.score, ref.grade) != (score, grade):
            raise AssertionError(
                f"subject {subject}: out of core {score} {grade}, reference {ref.score} {ref.grade}"
            )
    return chosen.len()
