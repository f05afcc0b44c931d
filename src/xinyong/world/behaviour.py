"""What people and organisations actually do each month: the world's ground truth.

One monthly step draws every behaviour of the scenario's ``[[events]]`` for every eligible
subject at once (Poisson counts over NumPy arrays; no per-agent objects or loops). A
subject's rate is the scenario's base rate times modifiers for age, income decile and
history, lowered by deterrence when the scheme is in place and the subject knows it, and
raised by sanctions (a household under stress after a denial, a person on a black list,
and - only when the family study parameter is switched on - a listed household member).

What the credit system later believes is decided elsewhere (agencies, the engine); here
only what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.world.scenario import EventSpec, Scenario
from xinyong.world.subjects import BoolArray, FloatArray, IntArray, Subjects

EVENT_SCHEMA = {
    "kind": pl.Int16,
    "subject": pl.Int32,
    "occurred": pl.Int64,
    "amount": pl.Float64,
    "case": pl.Int64,
    "ground": pl.Int8,
}
"""Columns of a frame of true events: kind (index into the world's kinds), the subject who
acted, when (epoch seconds), amount (null when none), court case (-1) and ground (0)."""


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


@dataclass
class BehaviourState:
    """What behaviour remembers between months (arrays by subject or household)."""

    history: npt.NDArray[np.float32]  # (event specs, subjects): decayed count of own acts
    aware: BoolArray  # knows the scheme
    stress_until: IntArray  # by household: stressed while month < this
    listed: BoolArray  # on a black list at the last month end (what the system said)
    grade_dropped: BoolArray  # own grade below the starting grade at the last month end

    @classmethod
    def start(
        cls, rng: np.random.Generator, scenario: Scenario, subjects: Subjects
    ) -> BehaviourState:
        return cls(
            history=np.zeros((len(scenario.events), subjects.n), dtype=np.float32),
            aware=rng.random(subjects.n) < scenario.deterrence.awareness,
            stress_until=np.zeros(subjects.n_households, dtype=np.int64),
            listed=np.zeros(subjects.n, dtype=bool),
            grade_dropped=np.zeros(subjects.n, dtype=bool),
        )

    def stressed(self, subjects: Subjects, month: int) -> BoolArray:
        """Subjects whose household is under stress this month."""
        out = np.zeros(subjects.n, dtype=bool)
        hh = subjects.household
        res = hh >= 0
        out[res] = self.stress_until[hh[res]] > month
        return out

    def household_listed(self, subjects: Subjects) -> BoolArray:
        """Residents with another member of their household on a black list."""
        n_res = subjects.n_residents
        hh = subjects.household[:n_res]
        listed = self.listed[:n_res]
        per_hh = np.bincount(hh[listed], minlength=subjects.n_households)
        out = np.zeros(subjects.n, dtype=bool)
        out[:n_res] = (per_hh[hh] - listed) > 0
        return out


def sanction_multiplier(
    scenario: Scenario, subjects: Subjects, state: BehaviourState, month: int
) -> FloatArray:
    """Multiplier of "stressed" behaviours: stress, own listing, and family association."""
    f = scenario.feedback
    mult = np.ones(subjects.n, dtype=np.float64)
    mult[state.stressed(subjects, month)] *= f.stress_factor
    mult[state.listed] *= f.listed_factor
    effect = scenario.family.association_effect
    if effect > 0:
        mult[state.household_listed(subjects)] *= 1.0 + effect
    return mult


def deterrence_multiplier(scenario: Scenario, state: BehaviourState) -> FloatArray:
    """Multiplier of deterred behaviours: 1 when the scheme is not in place."""
    d = scenario.deterrence
    mult = np.ones(state.aware.size, dtype=np.float64)
    if not scenario.system.in_place:
        return mult
    mult[state.aware] *= 1.0 - d.strength
    mult[state.grade_dropped] *= 1.0 - d.specific_strength
    return mult


@dataclass(frozen=True)
class Modifiers:
    """This month's multipliers by subject (computed once per month)."""

    deterrence: FloatArray
    sanctions: FloatArray

    @classmethod
    def of(
        cls, scenario: Scenario, subjects: Subjects, state: BehaviourState, month: int
    ) -> Modifiers:
        return cls(
            deterrence_multiplier(scenario, state),
            sanction_multiplier(scenario, subjects, state, month),
        )


def event_rates(
    spec: EventSpec,
    k: int,
    subjects: Subjects,
    state: BehaviourState,
    ages: IntArray,
    mods: Modifiers,
) -> tuple[IntArray, FloatArray]:
    """(eligible subjects, expected events this month) for event spec ``k``."""
    idx = np.flatnonzero(subjects.eligible(spec.who, ages))
    a = ages[idx]
    rate = np.full(idx.size, spec.rate, dtype=np.float64)
    rate[(a >= 18) & (a <= 29)] *= spec.young_factor
    rate[a >= 60] *= spec.old_factor
    if spec.income_factor != 1.0:
        rate *= spec.income_factor ** (subjects.decile[idx] - 5.5)
    if spec.history_weight > 0 and spec.history_cap > 0:
        h = np.minimum(state.history[k, idx].astype(np.float64), spec.history_cap)
        rate *= (1.0 + spec.history_weight) ** h
    if spec.deterred:
        rate *= mods.deterrence[idx]
    if spec.stressed:
        rate *= mods.sanctions[idx]
    return idx, rate


def zone_rates(
    scenario: Scenario, subjects: Subjects, spec: EventSpec, idx: IntArray, rate: FloatArray
) -> FloatArray:
    """The attention study's unequal true rates: behaviours the attended agency reports
    happen ``first_zone_rate`` times as often in zone 1 (see :mod:`.attention`); the rates
    unchanged when the model is off or the factor is 1."""
    a = scenario.attention
    if a.mode == "off" or a.first_zone_rate == 1.0 or a.agency not in spec.agencies:
        return rate
    out = rate.copy()
    out[subjects.district[idx] % a.zones == 0] *= a.first_zone_rate
    return out


def amounts(
    rng: np.random.Generator, median: float, sigma: float, n: int
) -> npt.NDArray[np.float64]:
    """Log-normal amounts in whole yuan (NaN when the kind has no amount)."""
    if median <= 0:
        return np.full(n, np.nan)
    out: npt.NDArray[np.float64] = np.maximum(
        1.0, np.rint(median * np.exp(sigma * rng.standard_normal(n)))
    )
    return out


def step(
    rng: np.random.Generator,
    scenario: Scenario,
    subjects: Subjects,
    state: BehaviourState,
    ages: IntArray,
    month: int,
    t0: int,
    t1: int,
) -> tuple[pl.DataFrame, list[tuple[int, int, float]]]:
    """Draw this month's true events of every ``[[events]]`` spec (kinds ``0..len-1``) and
    update the history counts. Also returns, per spec, (kind, eligible subjects, expected
    count): the sum of the rates the draws were made with."""
    frames = []
    expected: list[tuple[int, int, float]] = []
    decay = np.float32(0.5 ** (1.0 / scenario.history.half_life_months))
    mods = Modifiers.of(scenario, subjects, state, month)
    # One stream per behaviour: changing one behaviour never changes another's draws
    # (common random numbers for comparing scenarios).
    streams = rng.spawn(len(scenario.events))
    for k, spec in enumerate(scenario.events):
        rng = streams[k]
        idx, rate = event_rates(spec, k, subjects, state, ages, mods)
        rate = zone_rates(scenario, subjects, spec, idx, rate)
        counts = rng.poisson(rate)
        who = np.repeat(idx, counts)
        expected.append((k, int(idx.size), float(rate.sum())))
        state.history[k] *= decay
        if who.size:
            state.history[k] += np.bincount(who, minlength=subjects.n).astype(np.float32)
        frames.append(
            pl.DataFrame(
                {
                    "kind": np.full(who.size, k, dtype=np.int16),
                    "subject": who.astype(np.int32),
                    "occurred": rng.integers(t0, t1, size=who.size, dtype=np.int64),
                    "amount": amounts(rng, spec.amount_median, spec.amount_sigma, who.size),
                    "case": np.full(who.size, -1, dtype=np.int64),
                    "ground": np.zeros(who.size, dtype=np.int8),
                },
                schema=EVENT_SCHEMA,
            ).with_columns(pl.col("amount").fill_nan(None))
        )
    return (pl.concat(frames) if frames else empty_events()), expected
