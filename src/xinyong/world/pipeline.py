"""The world's jobs end to end, as the command line and the benchmark call them.

* :func:`generate` makes a population and writes it to a world directory;
* :func:`simulate` runs a population against a fresh store and writes metrics, ground
  truth and the HTML report;
* :func:`demo` does both for the default city under ``demo/``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

import xinyong
from xinyong.core.timeutil import iso
from xinyong.world.audit_table import audit_table
from xinyong.world.population import Population, exact_age, generate_population
from xinyong.world.report import render, write_report
from xinyong.world.report_captions import AGENCY_COLUMNS
from xinyong.world.run import Progress, RunResult, run_world
from xinyong.world.scenario import Scenario, load_scenario
from xinyong.world.storage import save_run, save_world

Stage = Callable[[str], None]


@dataclass
class Outcome:
    """What a simulation produced and where it put it."""

    population: Population
    run: RunResult
    db: Path
    report: Path | None
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> list[tuple[str, str]]:
        return summary_rows(self.population, self.run, self.timings)


def generate(
    scenario: Scenario,
    *,
    residents: int | None = None,
    orgs: int | None = None,
    seed: int | None = None,
    months: int | None = None,
    out: Path | None = None,
) -> Population:
    """A population (written to ``out`` when given, with the scenario and a manifest)."""
    seed = scenario.world.seed if seed is None else seed
    population = generate_population(scenario, residents, orgs, seed)
    if out is not None:
        save_world(out, population, scenario, months=months or scenario.world.months, seed=seed)
    return population


def fresh_store_path(db: Path) -> Path:
    """Delete an earlier store file (and its WAL files) so the run starts empty; refused
    while a running server holds that store (it would serve a file deleted under it)."""
    held_by = xinyong.store_holder(str(db))
    if held_by is not None:
        raise xinyong.XinyongError(
            f"{db} is in use: {held_by} holds it, and replacing the store would pull it from "
            "under that server; stop the server first (Ctrl-C where it runs), or write the "
            "new city elsewhere (xinyong demo --out DIR, xinyong world run --db FILE)"
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal", ".held", ABOUT_SUFFIX):  # .held: unheld
        p = db.with_name(db.name + suffix)
        if p.exists():
            p.unlink()
    return db


def simulate(
    scenario: Scenario,
    population: Population,
    *,
    db: Path,
    out: Path | None,
    months: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    report_name: str | None = "report.html",
    before: dict[str, float] | None = None,
) -> Outcome:
    """Run ``population`` on a fresh store at ``db``; write results and the report to
    ``out`` (when given)."""
    before = before or {}
    timings: dict[str, float] = {}
    t = time.perf_counter()
    settings = xinyong.Settings(db=str(fresh_store_path(db)), admit="catalogue")
    with xinyong.open_system(settings) as system:
        run = run_world(
            scenario,
            population,
            system,
            months=months,
            seed=seed,
            known_categories=frozenset(system.admission.categories or ()),
            progress=progress,
        )
    timings["run"] = time.perf_counter() - t
    report = None
    if out is not None:
        t = time.perf_counter()
        save_run(out, run.metrics, run.truth, run.decisions, run.beliefs)
        if report_name is not None:
            report = write_report(
                out / report_name, report_html(population, run, {**before, **timings}, scenario)
            )
        timings["report"] = time.perf_counter() - t
    write_about(db, run, report)
    return Outcome(population, run, db, report, timings)


#: Beside a store the world made: ``STORE.world.json`` says so, with the world's last day
#: (the portal shows that day by default) and where the report is.
ABOUT_SUFFIX = ".world.json"


def write_about(db: Path, run: RunResult, report: Path | None) -> Path | None:
    """Write ``db``'s ``.world.json``: made by the synthetic world, up to which moment (the
    last month end), and the report beside it (a path relative to the store's folder)."""
    if run.final is None:
        return None
    about = db.with_name(db.name + ABOUT_SUFFIX)
    rel: str | None = None
    if report is not None:
        try:
            rel = str(report.resolve().relative_to(db.resolve().parent))
        except ValueError:
            rel = str(report.resolve())
    body = {
        "made_by": "the xinyong synthetic world",
        "world_at": iso(run.final.at),
        "months": run.months,
        "seed": run.seed,
        "report": rel,
    }
    about.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return about


def report_html(
    population: Population, run: RunResult, timings: dict[str, float], scenario: Scenario
) -> str:
    final = {}
    if run.final is not None:
        born = population.residents["birth_date"].to_numpy().astype("datetime64[D]")
        adult = exact_age(born, run.final.at.date()) >= 18
        n = population.n_residents
        final = {name: s.score[:n][adult] for name, s in run.final.scores.items()}
    return render(
        f"xinyong synthetic city: {population.n_residents:,} residents, {run.months} months",
        summary_rows(population, run, timings),
        run.metrics,
        final,
        NOTES,
        [
            (
                "Agencies: what reached the credit system",
                "True events each agency handled over the run, and the records it sent: "
                "coverage is the share of true events reported at all (the rest stay in the "
                "agency's silo); errors are counted against the world's ground truth.",
                agency_table(run.metrics["agencies"]),
            ),
            *_firm_table(run),
            (
                "Scenario",
                "The parameters that shape this run (all in the scenario file).",
                scenario_table(scenario, run),
            ),
            (
                "Audit of the schemes and memoranda run",
                "Findings of `xinyong audit` under the EU AI Act, GDPR, FCRA and PRC profiles "
                "(docs/audit.md); each row names the rules that found something.",
                audit_table([*scenario.system.schemes, *scenario.system.memoranda]),
            ),
        ],
    )


def _firm_table(run: RunResult) -> list[tuple[str, str, pl.DataFrame]]:
    firms = run.metrics.get("firms", pl.DataFrame())
    if not firms.height:
        return []
    note = (
        "Per list, firm type and size at the last month end: the firms, those on the list, "
        "their share, the wrongful listings (on the list only because of an agency error) and "
        "the missed ones (kept off the list by an error; on the red A-level list, an A lost "
        "to a false record). Every firm rate in the scenario is illustrative (U)."
    )
    return [("Firms on the organisation lists", note, firms)]


def agency_table(agencies: pl.DataFrame) -> pl.DataFrame:
    if not agencies.height:
        return agencies
    cols = ["true_events", "reported", "genuine", "misattributed", "false_positive", "duplicate"]
    total = agencies.group_by("agency", maintain_order=True).agg(pl.col(cols).sum())
    return total.with_columns(
        coverage=(
            (pl.col("genuine") + pl.col("misattributed"))
            / pl.max_horizontal(pl.col("true_events"), pl.lit(1))
            * 100
        )
        .round(1)
        .cast(pl.String)
        + " %",
        erroneous_share=(
            (pl.col("reported") - pl.col("genuine"))
            / pl.max_horizontal(pl.col("reported"), pl.lit(1))
            * 100
        )
        .round(2)
        .cast(pl.String)
        + " %",
    ).rename(AGENCY_COLUMNS, strict=False)


def scenario_table(scenario: Scenario, run: RunResult) -> pl.DataFrame:
    rows = [
        ("schemes", ", ".join(scenario.system.schemes)),
        ("memoranda", ", ".join(scenario.system.memoranda)),
        ("scheme in place", "yes" if scenario.system.in_place else "no"),
        ("start", scenario.world.start.isoformat()),
        ("city (prefecture code)", scenario.world.city),
        (
            "deterrence strength / awareness",
            f"{scenario.deterrence.strength} / {scenario.deterrence.awareness}",
        ),
        ("error scale", str(scenario.errors.scale)),
        ("family association effect (study only)", str(scenario.family.association_effect)),
        ("enforcement attention model (study only)", scenario.attention.mode),
        (
            "records still in agencies' pipelines at the end",
            f"{int(run.metrics['monthly']['pending'][-1]):,}"
            if run.metrics["monthly"].height
            else "0",
        ),
    ]
    return pl.DataFrame({"parameter": [r[0] for r in rows], "value": [r[1] for r in rows]})


def demo(
    *,
    residents: int | None = None,
    months: int | None = None,
    seed: int | None = None,
    out: Path = Path("demo"),
    scenario: Scenario | None = None,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> Outcome:
    """The default city: generate, run on ``out/xinyong.db``, report to ``out/report.html``."""
    scenario = load_scenario() if scenario is None else scenario
    t = time.perf_counter()
    if stage is not None:
        stage("population")
    population = generate(scenario, residents=residents, seed=seed)
    generated = time.perf_counter() - t
    if stage is not None:
        stage("run")
    outcome = simulate(
        scenario,
        population,
        db=out / "xinyong.db",
        out=out,
        months=months,
        seed=seed,
        progress=progress,
        before={"generate": generated},
    )
    outcome.timings = {"generate": generated, **outcome.timings}
    return outcome


NOTES = [
    "A listing or denial is wrongful when the same engine, run on the same store without the "
    "records the world knows to be erroneous (false positives, misattributions, duplicates), "
    "would not have made it.",
    "Objections needed: subjects who at a month end are wrongfully listed, were wrongfully "
    "denied during the month, or have a lower grade than the error-free view gives them.",
    "Gates answer from what the system held at the previous month end; records reach the "
    "store after each agency's latency, and only the share each agency covers arrives at all.",
    "Share on a black list counts adult residents on any black list in force (court defaulters, "
    "and any black list of the scored schemes).",
]


def summary_rows(
    population: Population, run: RunResult, timings: dict[str, float]
) -> list[tuple[str, str]]:
    m = run.metrics["monthly"]
    rows = [
        ("residents", f"{population.n_residents:,}"),
        ("organisations", f"{population.organisations.height:,}"),
        ("months", str(run.months)),
        ("seed", str(run.seed)),
        ("records ingested", f"{run.records_ingested:,}"),
    ]
    firms = run.metrics.get("firms")
    if firms is not None and firms.height:
        first = firms.filter(pl.col("list") == firms["list"][0])
        n_firms = int(first["firms"].to_numpy().sum())
        rows.append(("firms (their records)", f"{n_firms:,} ({run.firm_records:,})"))
    if m.height:
        err = int(m["erroneous_ingested"].sum())
        rows += [
            (
                "erroneous records ingested",
                f"{err:,} ({100 * err / max(run.records_ingested, 1):.2f} %)",
            ),
            ("on a black list at the end", f"{int(m['black_listed'][-1]):,}"),
            ("wrongfully listed at the end", f"{int(m['wrongful_listed'][-1]):,}"),
            ("gate attempts", f"{int(m['gate_attempts'].sum()):,}"),
            ("denials", f"{int(m['denials'].sum()):,}"),
            ("wrongful denials", f"{int(m['wrongful_denials'].sum()):,}"),
            ("objections needed (last month)", f"{int(m['objections_needed'][-1]):,}"),
        ]
        for c in m.columns:
            if c.startswith("mean_score_"):
                rows.append((f"mean score ({c[11:]}, last month)", f"{float(m[c][-1]):.1f}"))
    if timings:
        rows.append(("run time", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())))
    return rows


__all__ = ["Outcome", "demo", "generate", "simulate"]
