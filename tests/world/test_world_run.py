"""A whole run through the engine: reproducible, faithful to the pure path, and honest
about errors. Uses toy schemes (tests/world/toy) so it does not depend on the presets."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from world_helpers import toy

import xinyong
from xinyong.adapters.store import open_store
from xinyong.core.evaluate import check_gate, evaluate_subject
from xinyong.core.sanctions import decide
from xinyong.world.agencies import GENUINE
from xinyong.world.population import Population
from xinyong.world.run import RunResult, load_engine, run_world
from xinyong.world.scenario import Scenario

MONTHS = 4


def run(scenario: Scenario, population: Population, db: Path, seed: int = 3) -> RunResult:
    with xinyong.open_system(xinyong.Settings(db=str(db), admit="catalogue")) as system:
        return run_world(scenario, population, system, months=MONTHS, seed=seed)


@pytest.fixture(scope="module")
def toy_scenario(scenario: Scenario) -> Scenario:
    # More errors than the default so a small city shows some in a few months.
    return toy(scenario, errors={"scale": 30.0})


@pytest.fixture(scope="module")
def toy_run(
    toy_scenario: Scenario, small_population: Population, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RunResult, Path]:
    db = tmp_path_factory.mktemp("run") / "world.db"
    return run(toy_scenario, small_population, db), db


def test_same_seed_same_numbers(
    toy_scenario: Scenario,
    small_population: Population,
    toy_run: tuple[RunResult, Path],
    tmp_path: Path,
) -> None:
    first, first_db = toy_run
    again = run(toy_scenario, small_population, tmp_path / "again.db")
    assert set(first.metrics) == set(again.metrics)
    for name in first.metrics:
        assert_frame_equal(first.metrics[name], again.metrics[name])
    assert_frame_equal(first.truth, again.truth)
    assert_frame_equal(first.decisions, again.decisions)
    a, b = open_store(str(first_db)), open_store(str(tmp_path / "again.db"))
    try:
        assert_frame_equal(a.frame(), b.frame())
    finally:
        a.close()
        b.close()
    other = run(toy_scenario, small_population, tmp_path / "other.db", seed=4)
    assert not other.truth.equals(first.truth)


def test_the_store_holds_what_was_scored(toy_run: tuple[RunResult, Path]) -> None:
    result, db = toy_run
    store = open_store(str(db))
    try:
        stored = store.frame()
    finally:
        store.close()
    assert stored.height == result.records_ingested == result.truth.height + result.firm_records
    assert_frame_equal(
        stored.select(result.frame.columns).sort("id"),
        result.frame.sort("id"),
        check_dtypes=False,
        categorical_as_str=True,
    )


def check_agreement(scenario: Scenario, population: Population, result: RunResult, db: Path) -> int:
    """Every list entry in force, score and gate answer the run derived (columns, cache,
    state entries) equals what the pure path gives for the same subject; returns how many
    subjects were on a list."""
    view = result.final
    assert view is not None
    schemes, memoranda = load_engine(scenario)
    codes = population.codes()
    listed: set[int] = set()
    for arr in view.in_force.values():
        listed.update(np.flatnonzero(arr).tolist())
    wrong = set(result.truth.filter(pl.col("truth") != GENUINE)["subject"].to_list())
    sample = sorted(listed) + random.Random(1).sample(range(len(codes)), 150) + sorted(wrong)[:150]
    gates = sorted({p.gate for p in scenario.purchases})
    store = open_store(str(db))
    try:
        for s in dict.fromkeys(sample):
            code = str(codes[s])
            pure = evaluate_subject(schemes, code, store.records_for(code), view.at)
            keys = {f"{e.scheme}/{e.list_id}" for e in pure.in_force()}
            mine = {k for k, arr in view.in_force.items() if arr[s]}
            assert mine == keys, code
            for name, res in pure.scores.items():
                if res.score is not None:
                    assert view.score_of(name, s) == res.score, (code, name)
                    assert view.scores[name].grade_names()[s] == res.grade, (code, name)
            for gate in gates:
                expected = check_gate(memoranda, pure, gate)
                got = decide(
                    memoranda, gate, code, view.at, view.all_entries(s), view.scores_dict(s)
                )
                assert got.decision == expected.decision, (code, gate)
                assert [a.measure.id for a in got.applied] == [
                    a.measure.id for a in expected.applied
                ], (code, gate)
    finally:
        store.close()
    return len(listed)


def test_lists_scores_and_gates_agree_with_the_pure_path(
    toy_scenario: Scenario, small_population: Population, toy_run: tuple[RunResult, Path]
) -> None:
    result, db = toy_run
    assert check_agreement(toy_scenario, small_population, result, db) > 0


def test_the_presets_agree_with_the_pure_path_too(
    scenario: Scenario, small_population: Population, tmp_path: Path
) -> None:
    """The same check with rongcheng, spc-defaulters and the two memoranda."""
    noisy = scenario.with_changes(errors={"scale": 30.0})
    db = tmp_path / "presets.db"
    result = run(noisy, small_population, db)
    assert check_agreement(noisy, small_population, result, db) > 0
    assert int(result.metrics["monthly"]["denials"].sum()) > 0


def test_errors_cause_wrongful_listings_and_turning_them_off_gives_none(
    scenario: Scenario,
    small_population: Population,
    toy_run: tuple[RunResult, Path],
    tmp_path: Path,
) -> None:
    noisy, _ = toy_run
    m = noisy.metrics["monthly"]
    assert int(m["erroneous_ingested"].sum()) > 0
    assert int(m["wrongful_listed"].sum()) + int(m["wrongful_denials"].sum()) > 0
    clean = run(toy(scenario, errors={"scale": 0.0}), small_population, tmp_path / "clean.db")
    c = clean.metrics["monthly"]
    assert (clean.truth["truth"] == GENUINE).all()
    assert int(c["wrongful_listed"].sum()) == 0
    assert int(c["wrongful_denials"].sum()) == 0
    assert int(c["objections_needed"].sum()) == 0
    assert int(clean.metrics["lists"]["wrongful"].sum()) == 0
    assert int(c["black_listed"].sum()) > 0  # people are still listed, rightly


def test_stronger_deterrence_lowers_violations_in_a_run(
    scenario: Scenario, small_population: Population, tmp_path: Path
) -> None:
    weak = run(toy(scenario, deterrence={"strength": 0.0}), small_population, tmp_path / "weak.db")
    strong = run(
        toy(scenario, deterrence={"strength": 0.6}), small_population, tmp_path / "strong.db"
    )
    a = weak.metrics["monthly"]["negative_acts"].sum()
    b = strong.metrics["monthly"]["negative_acts"].sum()
    assert b < 0.85 * a


def test_output_base_rates_match_the_scenario(toy_run: tuple[RunResult, Path]) -> None:
    result, _ = toy_run
    ev = result.metrics["events"].filter(pl.col("eligible") > 0)
    per_kind = ev.group_by("kind").agg(pl.col("count").sum(), pl.col("expected").sum())
    for kind, count, expected in per_kind.iter_rows():
        assert abs(count - expected) < 4.5 * np.sqrt(expected) + 2, kind


def test_without_the_scheme_nobody_is_scored_or_denied(
    scenario: Scenario, small_population: Population, tmp_path: Path
) -> None:
    off = toy(scenario).with_changes(system={"in_place": False})
    result = run(off, small_population, tmp_path / "off.db")
    m = result.metrics["monthly"]
    assert result.records_ingested > 0
    assert int(m["denials"].sum()) == 0
    assert int(m["black_listed"].sum()) == 0
    assert result.final is None


def test_beliefs_show_system_and_error_free_side_by_side(toy_run: tuple[RunResult, Path]) -> None:
    result, _ = toy_run
    b = result.beliefs
    assert b.height > 0
    key = "toy-courts/defaulters"
    wrong = b.filter(pl.col(f"{key} (system)") & ~pl.col(f"{key} (error-free)"))
    assert (wrong["errors"] != "none").all()  # a wrongful listing always has an error behind it
    lists = result.metrics["lists"].filter((pl.col("month") == MONTHS) & (pl.col("list") == key))
    assert wrong.height == int(lists["wrongful"][0])
