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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

import xinyong
from xinyong import REQUIRED_COLUMNS, load_memorandum, load_scheme, records_frame
from xinyong.core.sanctions import Memorandum
from xinyong.core.scoring.engine import AnyScheme
from xinyong.world import behaviour, gates
from xinyong.world.agencies import Reporting
from xinyong.world.behaviour import BehaviourState, Modifiers
from xinyong.world.clock import instant, month_bounds, month_label
from xinyong.world.courts import CourtProcess
from xinyong.world.credit import CreditView, View
from xinyong.world.emit import to_frame, to_records
from xinyong.world.firms import FirmProcess, firm_outcomes
from xinyong.world.kinds import kinds
from xinyong.world.metrics import Collector, beliefs
from xinyong.world.population import Population
from xinyong.world.scenario import Scenario, ScenarioError
from xinyong.world.subjects import Subjects

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``."""

Watcher = Callable[["Run"], None]
"""Called with the run after each month (studies measure people month by month this way;
a watcher reads the run and must not change it)."""

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
    beliefs: pl.DataFrame  # last month end: system vs error-free view, where they matter
    timings: dict[str, float] = field(default_factory=dict)
    records_ingested: int = 0
    firms: pl.DataFrame = field(default_factory=pl.DataFrame)
    """Last month end, per organisation list, firm type and size: firms, listed, share and
    wrongful listings (world/firms.py); empty when ``[firms] on`` is false."""
    firm_records: int = 0


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
        self.t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.spent[stage] = self.spent.get(stage, 0.0) + now - self.t
        self.t = now


class Run:
    """One run of a world: the seed and the store are given once; :meth:`step` lives one
    month. ``run_world`` is the loop; a notebook can step month by month."""

    def __init__(
        self,
        scenario: Scenario,
        population: Population,
        system: xinyong.CreditSystem,
        *,
        seed: int | None = None,
        known_categories: frozenset[str] | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.world.seed if seed is None else seed
        if known_categories is not None:
            check_categories(scenario, known_categories)
        schemes, self.memoranda = load_engine(scenario)
        if scenario.system.in_place:
            gates.check_gates(scenario, self.memoranda)
        self.subjects = Subjects.of(population)
        self.kinds = kinds(scenario)
        self.reporting = Reporting(scenario, self.subjects, self.kinds)
        self.courts = CourtProcess(scenario, self.subjects)
        self.state = BehaviourState.start(self._rng(-1, 9), scenario, self.subjects)
        self.system = CreditView(
            system, schemes, self.memoranda, self.subjects.codes, known_categories
        )
        self.collector = Collector(
            self.subjects,
            self.kinds,
            self.reporting.table.names,
            [p.gate for p in scenario.purchases],
        )
        self.clock = _Clock()
        self.view: View | None = None
        self.clean: View | None = None
        self.truth: list[pl.DataFrame] = []
        self.decisions: list[pl.DataFrame] = []
        self.months = 0
        self.events = behaviour.empty_events()  # this month's true events
        self.watchers: list[Watcher] = []
        self.firms = FirmProcess(scenario, population, self.subjects) if scenario.firms.on else None
        self.pending = self._backlog()

    def _rng(self, m: int, stage: int) -> np.random.Generator:
        """The independent stream of one stage of month ``m`` (-1: before the start)."""
        return np.random.default_rng(np.random.SeedSequence([self.seed, 3, m + 1, stage]))

    def _backlog(self) -> pl.DataFrame:
        """Cases from before the start, ingested as the system stands at the start."""
        start = self.scenario.world.start
        t0, _ = month_bounds(start, 0)
        ages = self.subjects.ages(instant(t0).date())
        backlog = self.courts.backlog(self._rng(-1, 0), ages)
        label = month_label(start, -1).replace("-", "")
        b0, b1 = month_bounds(start, -1)
        rows = self.reporting.report(
            self._rng(-1, 1), backlog, self.courts.cases, ages, label, b0, b1
        )
        pending, first = _due(rows, t0)
        if self.firms is not None:
            self.firms.start(self._rng(-1, 7), t0)
        self.clock.lap("backlog")
        self._ingest(first, t0)
        self._ingest_firms(t0)
        self._month_end(t0)
        return pending

    def _ingest(self, due: pl.DataFrame, t1: int) -> None:
        args = (due, self.subjects.codes, self.kinds, self.reporting.table, self.scenario)
        records, part = to_records(*args), to_frame(*args)
        self.clock.lap("records")
        self.system.ingest(records, due, part, instant(t1))
        self.truth.append(due.select(TRUTH_COLUMNS))
        self.clock.lap("ingest")

    def _ingest_firms(self, t1: int) -> None:
        """The firms' records recorded before ``t1``, through the same ingest."""
        if self.firms is None:
            return
        records, rows = self.firms.due(t1)
        if records:
            part = records_frame(records).select(REQUIRED_COLUMNS)
            self.system.ingest(records, rows, part, instant(t1))
        self.clock.lap("firms")

    def _month_end(self, t1: int) -> None:
        if self.scenario.system.in_place:
            self.view, self.clean = self.system.month_end(instant(t1))
            _update_state(self.state, self.view)
        self.clock.lap("scoring")

    def step(self) -> None:
        """Live one more month (see the module docs for the order of things)."""
        m = self.months
        sc, subjects, state = self.scenario, self.subjects, self.state
        t0, t1 = month_bounds(sc.world.start, m)
        ages = subjects.ages(instant(t0).date())
        label = month_label(sc.world.start, m)
        # 1. gates, answered from the last month end
        tried = gates.attempts(self._rng(m, 0), sc, subjects, ages, state.listed, t0, t1)
        if self.view is not None and self.clean is not None:
            decided = gates.decide_attempts(
                sc,
                self.memoranda,
                tried,
                self.view,
                self.clean,
                self.system.err_subjects,
                subjects.codes,
            )
        else:
            decided = _all_allowed(sc, tried)
        _stress(state, subjects, decided, m, sc.feedback.denial_stress_months)
        self.decisions.append(decided.with_columns(month=pl.lit(m + 1, dtype=pl.Int16)))
        self.clock.lap("gates")
        # 2. behaviour and courts
        events, expected = behaviour.step(self._rng(m, 1), sc, subjects, state, ages, m, t0, t1)
        mods = Modifiers.of(sc, subjects, state, m)
        court_events = self.courts.step(self._rng(m, 2), m, t0, t1, ages, mods)
        all_events = pl.concat([events, court_events])
        self.events = all_events
        self.clock.lap("behaviour")
        # 3. agencies report (an attention model, when on, moves one agency's coverage);
        # 4. what was recorded this month is ingested
        attention = self.reporting.attention
        if attention.on:
            attention.begin_month()
        reported = self.reporting.report(
            self._rng(m, 3), all_events, self.courts.cases, ages, label.replace("-", ""), t0, t1
        )
        if attention.on:
            attention.observe(reported, self.reporting.last_true_zone)
        self.pending, due = _due(pl.concat([self.pending, reported]), t1)
        self.clock.lap("agencies")
        self._ingest(due, t1)
        if self.firms is not None:  # firms act, their agencies report, the records go in
            self.firms.month(self._rng(m, 7), t0, t1)
            self._ingest_firms(t1)
        # 5. the month end
        self._month_end(t1)
        self.collector.month(
            m,
            label,
            ages,
            expected,
            all_events,
            reported,
            self.reporting.last_true,
            due,
            self.pending.height,
            decided,
            self.view,
            self.clean,
            self.system.err_kinds,
        )
        self.clock.lap("metrics")
        self.months += 1
        for watch in self.watchers:
            watch(self)

    def result(self) -> RunResult:
        view, clean, system = self.view, self.clean, self.system
        metrics = self.collector.frames()
        firms = (
            firm_outcomes(self.firms.frame(), view.in_force, clean.in_force, view.polarity)
            if self.firms is not None and view is not None and clean is not None
            else pl.DataFrame()
        )
        if firms.height:
            metrics["firms"] = firms
        return RunResult(
            months=self.months,
            seed=self.seed,
            metrics=metrics,
            truth=pl.concat(self.truth),
            decisions=pl.concat(self.decisions) if self.decisions else pl.DataFrame(),
            final=view,
            final_clean=clean,
            frame=system.records_frame(),
            beliefs=(
                beliefs(view, clean, self.subjects.codes, system.err_kinds)
                if view is not None and clean is not None
                else pl.DataFrame()
            ),
            timings=dict(self.clock.spent),
            records_ingested=system.ingested,
            firms=firms,
            firm_records=self.firms.ingested if self.firms is not None else 0,
        )


def run_world(
    scenario: Scenario,
    population: Population,
    system: xinyong.CreditSystem,
    *,
    months: int | None = None,
    seed: int | None = None,
    known_categories: frozenset[str] | None = None,
    progress: Progress | None = None,
    watchers: Sequence[Watcher] = (),
) -> RunResult:
    """Run ``population`` under ``scenario`` for ``months`` (default: the scenario's),
    ingesting through ``system`` (whose store should start empty); each of ``watchers`` is
    called after every month."""
    months = scenario.world.months if months is None else months
    run = Run(scenario, population, system, seed=seed, known_categories=known_categories)
    run.watchers.extend(watchers)
    for m in range(months):
        run.step()
        if progress is not None:
            progress("month", m + 1, months)
    return run.result()


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


__all__ = ["Run", "RunResult", "run_world"]
