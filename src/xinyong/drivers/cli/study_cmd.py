"""``xinyong study STUDY.toml``: run a study (variants x seeds) and report it."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import err, fail, out
from xinyong.world.study.execute import Mapper, run_study, write_tables
from xinyong.world.study.findings import fmt
from xinyong.world.study.report import render
from xinyong.world.study.spec import Study, load_study
from xinyong.world.study.summary import summarise

HEADLINE = (
    "negative_acts_per_1000",
    "share_listed",
    "wrongful_listed_per_100k",
    "wrongful_denials_per_100k",
    "objections_needed_per_100k",
    "score_gini",
    "peer_gini",
)


def _mapper(master: str | None) -> Mapper | None:
    if master is None:
        return None
    try:
        from xinyong.drivers.cli.study_spark import spark_mapper
    except ImportError as e:
        fail(f"--master needs PySpark (pip install 'xinyong[spark]'): {e}")
    mapper: Mapper = spark_mapper(master)
    return mapper


def study_command(
    study_file: Annotated[
        str, typer.Argument(metavar="STUDY", help="Study TOML file, or a shipped study's name.")
    ],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Results folder (default: study-NAME).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes for the local pool.")
    ] = min(2, os.cpu_count() or 1),
    master: Annotated[
        str | None,
        typer.Option("--master", help="Run the runs as Spark tasks, e.g. local[2]."),
    ] = None,
    seeds: Annotated[
        int | None, typer.Option("--seeds", min=2, help="Override study.seeds.")
    ] = None,
    residents: Annotated[
        int | None, typer.Option("--residents", min=1, help="Override study.residents.")
    ] = None,
    months: Annotated[
        int | None, typer.Option("--months", min=1, help="Override study.months.")
    ] = None,
) -> None:
    """Run a study: every variant at every seed, in parallel, resumable.

    Writes results.parquet/.csv (one row per run and outcome), summary.parquet/.csv (mean,
    95 % interval, difference from the baseline) and report.html to the results folder.
    Runs already done there are not redone.

    Example: xinyong study data-quality --residents 2000 --months 3 --seeds 2
    """
    try:
        study = load_study(study_file, seeds=seeds, residents=residents, months=months)
    except XinyongError as e:
        fail(str(e))
    target = out_dir or Path(f"study-{study.name}")
    mapper = _mapper(master)
    bar = Progress(
        TextColumn("[bold]runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    with bar:
        task = bar.add_task("runs", total=len(study.variants) * len(study.seeds))
        try:
            results, ran = run_study(
                study,
                target,
                mapper=mapper,
                workers=workers,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except XinyongError as e:
            fail(str(e))
    summary = summarise(results, study.baseline, [v.name for v in study.variants])
    write_tables(target, results, summary)
    world = study.variants[0].scenario["world"]
    start = date.fromisoformat(str(world["start"]))
    (target / "report.html").write_text(
        render(study, summary, int(world["months"]), start), encoding="utf-8"
    )
    _print(study, summary, ran)
    out.print(f"results: {target}/results.parquet  report: {target}/report.html", highlight=False)


def _print(study: Study, summary: pl.DataFrame, ran: int) -> None:
    """Headline outcomes: one row per outcome, one column per variant (mean, and the
    difference from the baseline with its 95 % interval)."""
    variants = [v.name for v in study.variants]
    t = Table("outcome", *variants, title=f"{study.title} (baseline: {study.baseline})")
    rows = summary.filter(pl.col("outcome").is_in(HEADLINE) & pl.col("group").is_in(["", "all"]))
    for outcome in [o for o in HEADLINE if o in set(rows["outcome"].to_list())]:
        cells = []
        sel = rows.filter(pl.col("outcome") == outcome)
        for v in variants:
            r = sel.filter(pl.col("variant") == v)
            if not r.height:
                cells.append("")
                continue
            x = r.row(0, named=True)
            cell = fmt(x["mean"])
            if v != study.baseline:
                lo, hi = fmt(x["difference_low"]), fmt(x["difference_high"])
                cell += f"\n{fmt(x['difference'])} ({lo} to {hi})"
            cells.append(cell)
        first = sel.row(0, named=True)
        t.add_row(f"{first['label']} ({first['unit']})", *cells)
    out.print(t)
    out.print("cells: mean over seeds; below it the difference from the baseline (95 % interval)")
    total = len(study.variants) * len(study.seeds)
    out.print(f"{ran} of {total} runs done now, {total - ran} found done", highlight=False)
