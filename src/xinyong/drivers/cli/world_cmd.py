"""``xinyong world generate / run`` and ``xinyong demo``: thin commands over
:mod:`xinyong.world.pipeline`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import err, fail, out
from xinyong.world.pipeline import Outcome, demo, generate, simulate
from xinyong.world.scenario import Scenario, load_scenario
from xinyong.world.storage import load_world

world_app = typer.Typer(no_args_is_help=True)

ResidentsOpt = Annotated[
    int | None, typer.Option("--residents", min=1, help="Residents (default: the scenario's).")
]
OrgsOpt = Annotated[
    int | None,
    typer.Option("--orgs", min=0, help="Organisations (default: orgs_per_1000 of the scenario)."),
]
MonthsOpt = Annotated[
    int | None, typer.Option("--months", min=1, help="Months to run (default: the scenario's).")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (default: the scenario's).")]
ScenarioOpt = Annotated[
    Path | None,
    typer.Option("--scenario", help="Scenario TOML file (default: the shipped default.toml)."),
]


def _scenario(path: Path | None) -> Scenario:
    try:
        return load_scenario(path)
    except XinyongError as e:
        fail(str(e))


@contextmanager
def _progress(
    months: int,
) -> Iterator[tuple[Callable[[str, int, int], None], Callable[[str], None]]]:
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def stage(name: str) -> None:
        for other in tasks.values():
            bar.update(other, completed=bar.tasks[other].total)
        if name not in tasks:
            total = months if name == "run" else 1
            tasks[name] = bar.add_task(name, total=total)

    def month(_stage: str, done: int, total: int) -> None:
        if "run" not in tasks:
            tasks["run"] = bar.add_task("run", total=total)
        bar.update(tasks["run"], completed=done, total=total, description=f"month {done}/{total}")

    with bar:
        yield month, stage
        for t in tasks.values():
            bar.update(t, completed=bar.tasks[t].total)


def _print_summary(outcome: Outcome) -> None:
    t = Table("", "", title="Synthetic city", show_header=False)
    for k, v in outcome.summary():
        t.add_row(k, v)
    out.print(t)
    if outcome.report is not None:
        out.print(f"report: [bold]{outcome.report}[/]  store: {outcome.db}", highlight=False)


@world_app.command("generate")
def generate_command(
    out_dir: Annotated[Path, typer.Option("--out", help="World directory to write.")] = Path(
        "world"
    ),
    residents: ResidentsOpt = None,
    orgs: OrgsOpt = None,
    months: MonthsOpt = None,
    seed: SeedOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Generate a reproducible population (Parquet) with its scenario and manifest.

    Example: xinyong world generate --residents 100000 --orgs 2000 --months 12 --seed 7 --out world
    """
    s = _scenario(scenario)
    try:
        pop = generate(s, residents=residents, orgs=orgs, seed=seed, months=months, out=out_dir)
    except XinyongError as e:
        fail(str(e))
    out.print(
        f"{pop.n_residents:,} residents and {pop.organisations.height:,} organisations "
        f"-> {out_dir}",
        highlight=False,
    )


@world_app.command("run")
def run_command(
    world: Annotated[
        Path, typer.Option("--world", help="World directory made by `xinyong world generate`.")
    ] = Path("world"),
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Store file, recreated (an existing one only with --replace); default: "
            "xinyong.db in the results directory.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Results directory (default: the world's).")
    ] = None,
    months: MonthsOpt = None,
    seed: SeedOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Wipe and recreate an existing --db store.")
    ] = False,
) -> None:
    """Run a generated world through the engine, month by month.

    Writes the store, metrics (Parquet), ground truth and report.html.

    Example: xinyong world run --world world --months 6
    """
    if db is not None and db.exists() and not replace:
        fail(
            f"store {str(db)!r} exists and world run would wipe it; pass --replace to recreate "
            "it, or give a new --db"
        )
    try:
        s, pop, manifest = load_world(world)
    except XinyongError as e:
        fail(str(e))
    target = out_dir or world
    n_months = months or int(manifest["months"])
    with _progress(n_months) as (month, _stage):
        try:
            outcome = simulate(
                s,
                pop,
                db=db or target / "xinyong.db",
                out=target,
                months=n_months,
                seed=seed if seed is not None else int(manifest["seed"]),
                progress=month,
            )
        except XinyongError as e:
            fail(str(e))
    _print_summary(outcome)


def demo_command(
    residents: ResidentsOpt = None,
    months: MonthsOpt = None,
    seed: SeedOpt = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the store and report.html.")
    ] = Path("demo"),
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="Afterwards, serve the public portal and API on the generated city "
            "(http://127.0.0.1:8000/, Ctrl-C to stop).",
        ),
    ] = True,
) -> None:
    """Generate the default city, run it through the engine, write report.html.

    The default city has 100,000 residents and runs 12 months with the rongcheng and
    spc-defaulters schemes; the store is recreated at OUT/xinyong.db and the self-contained
    report written to OUT/report.html.

    Example: xinyong demo --no-serve
    """
    s = load_scenario()
    n_months = months or s.world.months
    with _progress(n_months) as (month, stage):
        try:
            outcome = demo(
                residents=residents,
                months=months,
                seed=seed,
                out=out_dir,
                scenario=s,
                progress=month,
                stage=stage,
            )
        except XinyongError as e:
            fail(str(e))
    _print_summary(outcome)
    if serve:
        from xinyong.drivers.cli.serve_cmd import serve_command

        err.print(f"open {outcome.report} in a browser; Ctrl-C stops the portal", highlight=False)
        serve_command(db=str(outcome.db), host="127.0.0.1", port=8000, keys=None)
