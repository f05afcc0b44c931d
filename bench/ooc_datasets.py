"""The out-of-core benchmark's datasets on disk: generated once per shape, then reused."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rich.progress import Progress

from xinyong.adapters.batch.dataset import MANIFEST, DatasetError, read_manifest
from xinyong.adapters.batch.synth import AT, generate_dataset


def dataset_for(
    data: Path, records: int, subjects: int, scheme: str, seed: int, workers: int
) -> tuple[Path, float | None]:
    """The dataset of that shape under ``data``, reused if its manifest matches; and the
    generation time (None when reused)."""
    root = data / f"r{records}-s{subjects}-seed{seed}-{scheme}"
    if (root / MANIFEST).is_file():
        try:
            g = read_manifest(root).generator or {}
        except DatasetError:
            g = {}
        want = {"records": records, "subjects": subjects, "scheme": scheme, "seed": seed}
        if {k: g.get(k) for k in want} == want and g.get("at") == AT.isoformat():
            return root, None
    if root.exists():
        shutil.rmtree(root)  # a leftover of an interrupted or different generation
    t = time.perf_counter()
    with Progress(transient=True) as progress:
        bar = progress.add_task(f"generating {records:,} records", total=records)
        generate_dataset(
            root,
            records,
            subjects,
            scheme=scheme,
            seed=seed,
            workers=workers,
            on_bucket=lambda n: progress.advance(bar, n),
        )
    return root, time.perf_counter() - t


def size_gib(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*.parquet")) / 2**30
