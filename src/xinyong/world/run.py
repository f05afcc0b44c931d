"""A run: the world lives month by month while the credit system watches it.

Each month, in this order:

1. purchases hit the gates, answered from what the system held at the last month end;
   denials put the household under stress;
2. people and organisations act (behaviour) and the courts move their cases;
3. agencies report what they saw (coverage, latency, errors), with ground truth beside;
4. records recorded during the month go through the engine's ingest into the store
   (records recorded later wait in the agencies' pipeline);
5. at the month end the batch scorer scores everyone, lists are updated, and the same is
   done without the erroneous records (the error-free view); metrics are collected.

All randomness comes from one seed, split into independent streams per month and stage,
so the same scenario, population and seed give the same numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl

from xinyong.adapters.schemes_io import load_memorandum, load_scheme
from xinyong.adapters.store import RecordStore
from xinyong.core.sanctions import Memorandum
from xinyong.core.scoring.engine import AnyScheme
from xinyong.world import behaviour, gates
from xinyong.world.agencies import REPORT_SCHEMA, Reporting
from xinyong.world.behaviour import BehaviourState, Modifiers
from xinyong.world.clock import instant, month_bounds, month_label
from xinyong.world.courts import CourtProcess
from xinyong.world.credit import CreditSystem, View
from xinyong.world.emit import to_frame, to_records
from xinyong.world.kinds import kinds
from xinyong.world.metrics import Collector
from xinyong.world.population import Population
from xinyong.world.scenario import Scenario, ScenarioError
from xinyong.world.subjects import Subjects

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``."""

TRUTH_COLUMNS = ("id", "subject", "true_subject", "truth", "kind", "agency", "occurred", "recorded")


@dataclass
class RunResult:
    months: int
    seed: int
    metrics: dict[str, pl.DataFrame]
    truth: pl.DataFrame  # every ingested record's ground truth
    decisions: pl.DataFrame  # every gate attempt and its answer
    final: View | None  # what the system believed at the last month end
    final_clean: View | None
    frame: pl.DataFrame  # every ingested record, as the batch scorer read them
    timings: dict[str, float] = field(default_factory=dict)
    records_ingested: int = 0


def load_engine(scenario: Scenario) -> tuple[dict[str, AnyScheme], list[Memorandum]]:
    schemes: dict[str, AnyScheme] = {}
    for name in scenario.system.schemes:
        s = load_scheme(name)
        schemes[s.name] = s
    return schemes, [load_memorandum(m) for m in scenario.system.memoranda]


def check_categories(scenario: Scenario, known: frozenset[str]) -> None:
    missing = sorted(scenario.categories() - known)
    if missing:
        raise ScenarioError(
            f"the scenario produces record categories the catalogue does not know: "
            f"{', '.join(missing)}; use categories from xinyong/data/catalogue.toml"
        )


class _Clock:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.spent[stage] = self.spent.get(stage, 0.0) + now - since
        return now


def run_world(
    scenario: Scenario,
    population: Population,
    store: RecordStore,
    *,
    months: int | None = None,
    seed: int | None = None,
    known_categories: frozenset[str] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``population`` under ``scenario`` for ``months`` (default: the scenario's),
    ingesting into ``store`` (which should start empty)."""
    months = scenario.world.months if months is None else months
    seed = scenario.world.seed if seed is None else seed
    if known_categories is not None:
        check_categories(scenario, known_categories)
    schemes, memoranda = load_engine(scenario)
    if scenario.system.in_place:
        gates.check_gates(scenario, memoranda)
    start = scenario.world.start
    subjects = Subjects.of(population)
    kind_table = kinds(scenario)
    reporting = Reporting(scenario, subjects, kind_table)
    courts = CourtProcess(scenario, subjects)
    streams = np.random.SeedSequence([seed, 2])
    state = BehaviourState.start(np.random.default_rng(streams.spawn(1)[0]), scenario, subjects)
    system = CreditSystem(store, schemes, memoranda, subjects.codes, known_categories)
    collector = Collector(
        subjects, kind_table, reporting.table.names, [p.gate for p in scenario.purchases]
    )
    clock = _Clock()
    t = time.perf_counter()

    def rng(m: int, stage: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([seed, 3, m + 1, stage]))

    # The backlog: cases from before the start, ingested as the system stands at the start.
    t0, _ = month_bounds(start, 0)
    ages = subjects.ages(instant(t0).date())
    backlog = courts.backlog(rng(-1, 0), ages)
    pending = reporting.report(
        rng(-1, 1),
        backlog,
        courts.cases,
        ages,
        month_label(start, -1).replace("-", ""),
        *month_bounds(start, -1),
    )
    pending, first = _due(pending, t0)
    truth_parts = [first.select(TRUTH_COLUMNS)]
    system.ingest(
        to_records(first, subjects.codes, kind_table, reporting.table, scenario),
        first,
        to_frame(first, subjects.codes, kind_table, reporting.table, scenario),
        instant(t0),
    )
    view: View | None = None
    clean: View | None = None
    if scenario.system.in_place:
        view, clean = system.month_end(instant(t0))
        _update_state(state, view)
    t = clock.add("backlog", t)
    decision_parts = []
    for m in range(months):
        t0, t1 = month_bounds(start, m)
        ages = subjects.ages(instant(t0).date())
        label = month_label(start, m)
        # 1. gates
        tried = gates.attempts(rng(m, 0), scenario, subjects, ages, state.listed, t0, t1)
        if view is not None and clean is not None:
            decided = gates.decide_attempts(
                scenario, memoranda, tried, view, clean, system.err_subjects, subjects.codes
            )
        else:
            decided = _all_allowed(scenario, tried)
        _stress(state, subjects, decided, m, scenario.feedback.denial_stress_months)
        decision_parts.append(decided.with_columns(month=pl.lit(m + 1, dtype=pl.Int16)))
        t = clock.add("gates", t)
        # 2. behaviour and courts
        events, expected = behaviour.step(rng(m, 1), scenario, subjects, state, ages, m, t0, t1)
        mods = Modifiers.of(scenario, subjects, state, m)
        court_events = courts.step(rng(m, 2), m, t0, t1, ages, mods)
        all_events = pl.concat([events, court_events])
        t = clock.add("behaviour", t)
        # 3. agencies
        reported = reporting.report(
            rng(m, 3), all_events, courts.cases, ages, label.replace("-", ""), t0, t1
        )
        pending = pl.concat([pending, reported])
        pending, due = _due(pending, t1)
        t = clock.add("agencies", t)
        # 4. ingest
        records = to_records(due, subjects.codes, kind_table, reporting.table, scenario)
        part = to_frame(due, subjects.codes, kind_table, reporting.table, scenario)
        t = clock.add("records", t)
        system.ingest(records, due, part, instant(t1))
        truth_parts.append(due.select(TRUTH_COLUMNS))
        t = clock.add("ingest", t)
        # 5. month end
        if scenario.system.in_place:
            view, clean = system.month_end(instant(t1))
            _update_state(state, view)
        t = clock.add("scoring", t)
        collector.month(
            m,
            label,
            ages,
            expected,
            all_events,
            reported,
            reporting.last_true,
            due,
            pending.height,
            decided,
            view,
            clean,
            system.err_kinds,
        )
        t = clock.add("metrics", t)
        if progress is not None:
            progress("month", m + 1, months)
    return RunResult(
        months=months,
        seed=seed,
        metrics=collector.frames(),
        truth=pl.concat(truth_parts),
        decisions=pl.concat(decision_parts) if decision_parts else pl.DataFrame(),
        final=view,
        final_clean=clean,
        frame=system.records_frame(),
        timings=clock.spent,
        records_ingested=system.ingested,
    )


def _due(pending: pl.DataFrame, before: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(still pending, recorded before ``before`` in ingest order)."""
    mask = pending["recorded"] < before
    due = pending.filter(mask).sort("recorded", "id")
    return pending.filter(~mask), due


def _update_state(state: BehaviourState, view: View) -> None:
    state.listed = view.black()
    dropped = np.zeros(state.listed.size, dtype=bool)
    for s in view.scores.values():
        dropped |= (s.grade > s.base_grade) & (s.base_grade >= 0)
    state.grade_dropped = dropped


def _stress(
    state: BehaviourState, subjects: Subjects, decided: pl.DataFrame, m: int, months: int
) -> None:
    if not decided.height or months <= 0:
        return
    denied = decided.filter(pl.col("decision") == "deny")["subject"].to_numpy().astype(np.int64)
    hh = subjects.household[denied]
    hh = hh[hh >= 0]
    if hh.size:
        state.stress_until[hh] = np.maximum(state.stress_until[hh], m + 1 + months)


def _all_allowed(scenario: Scenario, tried: pl.DataFrame) -> pl.DataFrame:
    g = pl.Series("g", [p.gate for p in scenario.purchases])
    return tried.with_columns(
        gate=g.gather(tried["purchase"].cast(pl.Int64)),
        decision=pl.lit("allow"),
        measures=pl.lit(""),
        wrongful=pl.lit(False),
    )


__all__ = ["REPORT_SCHEMA", "RunResult", "datetime", "run_world"]
