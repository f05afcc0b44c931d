"""``xinyong export parquet`` and ``xinyong rescore --dataset``: records datasets on Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xinyong.core.errors import XinyongError
from xinyong.core.scoring.engine import NoVersionInForce
from xinyong.drivers.cli.options import DEFAULT_DB, DbOpt, err, fail, system_for

app = typer.Typer(no_args_is_help=True)


@app.command("parquet")
def export_parquet_command(
    output: Annotated[Path, typer.Option("--out", help="New (or empty) dataset directory.")],
    buckets: Annotated[
        int | None,
        typer.Option("--buckets", min=1, help="Bucket count; default: one per 8M records."),
    ] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Export the store's records as a Parquet dataset partitioned by subject.

    Example: xinyong export parquet --db xinyong.db --out records-dataset
    """
    from xinyong.adapters.batch.dataset import DatasetError, write_dataset
    from xinyong.adapters.batch.synth import default_buckets

    with system_for(db) as system:
        frame = system.store.frame()
    try:
        m = write_dataset(frame, output, buckets or default_buckets(frame.height))
    except (XinyongError, DatasetError) as exc:
        fail(str(exc))
    err.print(
        f"{m.records:,} records of {m.subjects:,} subjects in {m.buckets} bucket(s) -> {output}"
    )


def rescore_dataset_command(
    dataset: Path,
    scheme_name: str,
    at: str | None,
    known_at: str | None,
    output: Path,
    workers: int,
) -> None:
    """The body of ``xinyong rescore --dataset``: bucket by bucket, with a progress bar."""
    from xinyong.adapters.batch.dataset import DatasetError, read_manifest
    from xinyong.adapters.batch.ooc import BucketDone, rescore_dataset
    from xinyong.drivers.cli.options import moments
    from xinyong.system.schemes_io import load_scheme

    t, k = moments(at, known_at)
    bar = Progress(
        TextColumn("[bold]rescoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
        console=err,
    )
    try:
        scheme = load_scheme(scheme_name)
        total = read_manifest(dataset).records
        with bar:
            task = bar.add_task("rescoring", total=total)

            def advance(done: BucketDone) -> None:
                bar.advance(task, done.records)

            s = rescore_dataset(dataset, scheme, t, output, k, workers=workers, on_bucket=advance)
    except (XinyongError, NoVersionInForce, DatasetError) as exc:
        fail(str(exc))
    rss = s.peak_rss_mib
    err.print(
        f"scored {s.subjects:,} subjects from {s.records:,} records in {s.buckets} bucket(s) "
        f"in {s.seconds:.1f} s ({s.records_per_second:,.0f} records/s; read "
        f"{s.stage_seconds['read']:.1f} s, score {s.stage_seconds['score']:.1f} s, write "
        f"{s.stage_seconds['write']:.1f} s); peak RSS {rss['largest_worker']:,.0f} MiB per "
        f"worker, {rss['all_processes_bound']:,.0f} MiB at most in all -> {output}",
        highlight=False,
    )
