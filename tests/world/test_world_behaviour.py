"""Behaviour: base rates as configured, deterrence and sanctions move them the right way."""

from __future__ import annotations

import numpy as np
import polars as pl

from xinyong.world import behaviour
from xinyong.world.behaviour import BehaviourState, Modifiers, event_rates
from xinyong.world.clock import month_bounds
from xinyong.world.scenario import Scenario
from xinyong.world.subjects import Subjects


def _plain(scenario: Scenario) -> Scenario:
    """No modifiers at all: every eligible subject has exactly the base rate."""
    events = [
        {
            **e.model_dump(),
            "young_factor": 1.0,
            "old_factor": 1.0,
            "income_factor": 1.0,
            "history_weight": 0.0,
        }
        for e in scenario.events
    ]
    return scenario.with_changes(
        events=events, deterrence={"strength": 0.0, "specific_strength": 0.0}
    )


def _months(
    scenario: Scenario, subjects: Subjects, months: int, seed: int
) -> tuple[pl.DataFrame, list[list[tuple[int, int, float]]]]:
    state = BehaviourState.start(np.random.default_rng(seed), scenario, subjects)
    frames, expected = [], []
    for m in range(months):
        t0, t1 = month_bounds(scenario.world.start, m)
        ages = subjects.ages(scenario.world.start)
        ev, exp = behaviour.step(
            np.random.default_rng([seed, m]), scenario, subjects, state, ages, m, t0, t1
        )
        frames.append(ev)
        expected.append(exp)
    return pl.concat(frames), expected


def test_base_rates_match_the_scenario(scenario: Scenario, big_subjects: Subjects) -> None:
    s = _plain(scenario)
    months = 3
    events, expected = _months(s, big_subjects, months, seed=1)
    counts = np.bincount(events["kind"].to_numpy(), minlength=len(s.events))
    for k, spec in enumerate(s.events):
        eligible = expected[0][k][1]
        assert eligible > 0
        mean = spec.rate * eligible * months
        assert abs(counts[k] - mean) < 4.5 * np.sqrt(mean) + 1, (spec.id, counts[k], mean)


def test_observed_counts_match_the_expected_sums(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    """With every modifier on, the draws still match the rates they were drawn from."""
    events, expected = _months(scenario, big_subjects, 3, seed=2)
    counts = np.bincount(events["kind"].to_numpy(), minlength=len(scenario.events))
    for k, spec in enumerate(scenario.events):
        mean = sum(e[k][2] for e in expected)
        assert abs(counts[k] - mean) < 4.5 * np.sqrt(mean) + 1, (spec.id, counts[k], mean)


def test_events_fall_inside_their_month_and_only_on_eligible_subjects(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    events, _ = _months(scenario, big_subjects, 1, seed=3)
    t0, t1 = month_bounds(scenario.world.start, 0)
    assert events["occurred"].min() >= t0
    assert events["occurred"].max() < t1
    ages = big_subjects.ages(scenario.world.start)
    for k, spec in enumerate(scenario.events):
        who = events.filter(pl.col("kind") == k)["subject"].to_numpy()
        assert big_subjects.eligible(spec.who, ages)[who].all(), spec.id


def test_stronger_deterrence_lowers_violation_rates(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    weak = scenario.with_changes(deterrence={"strength": 0.0})
    strong = scenario.with_changes(deterrence={"strength": 0.5})
    deterred = [k for k, e in enumerate(scenario.events) if e.deterred]
    a, _ = _months(weak, big_subjects, 2, seed=4)
    b, _ = _months(strong, big_subjects, 2, seed=4)
    na = a.filter(pl.col("kind").is_in(deterred)).height
    nb = b.filter(pl.col("kind").is_in(deterred)).height
    aware = scenario.deterrence.awareness
    assert nb < na
    # About the expected fall: a share `awareness` of people do 50 % less.
    assert abs(nb / na - (1 - 0.5 * aware)) < 0.05
    # Behaviours that are not deterred do not move (same streams, same draws).
    free = [k for k, e in enumerate(scenario.events) if not e.deterred and not e.stressed]
    assert (
        a.filter(pl.col("kind").is_in(free)).height == b.filter(pl.col("kind").is_in(free)).height
    )


def test_no_deterrence_without_the_scheme(scenario: Scenario, big_subjects: Subjects) -> None:
    off = scenario.with_changes(system={"in_place": False}, deterrence={"strength": 0.9})
    state = BehaviourState.start(np.random.default_rng(0), off, big_subjects)
    assert (behaviour.deterrence_multiplier(off, state) == 1.0).all()


def test_sanctions_raise_stressed_behaviour(scenario: Scenario, big_subjects: Subjects) -> None:
    state = BehaviourState.start(np.random.default_rng(0), scenario, big_subjects)
    ages = big_subjects.ages(scenario.world.start)
    k = next(i for i, e in enumerate(scenario.events) if e.stressed and e.who == "borrower")
    spec = scenario.events[k]
    before = event_rates(
        spec, k, big_subjects, state, ages, Modifiers.of(scenario, big_subjects, state, 0)
    )
    state.stress_until[:] = 5  # every household under stress until month 5
    after = event_rates(
        spec, k, big_subjects, state, ages, Modifiers.of(scenario, big_subjects, state, 0)
    )
    assert np.allclose(after[1], before[1] * scenario.feedback.stress_factor)
    later = event_rates(
        spec, k, big_subjects, state, ages, Modifiers.of(scenario, big_subjects, state, 5)
    )
    assert np.allclose(later[1], before[1])


def test_family_association_is_off_by_default_and_a_study_switch(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    state = BehaviourState.start(np.random.default_rng(0), scenario, big_subjects)
    state.listed[0] = True  # a household head (resident 0 heads household 0)
    household = big_subjects.household == big_subjects.household[0]
    others = household.copy()
    others[0] = False
    base = behaviour.sanction_multiplier(scenario, big_subjects, state, 0)
    assert (base[others] == 1.0).all()
    study = scenario.with_changes(family={"association_effect": 0.5})
    mult = behaviour.sanction_multiplier(study, big_subjects, state, 0)
    assert np.allclose(mult[others], 1.5)
    assert (mult[~household] == 1.0).all()
