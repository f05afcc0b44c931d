"""Agencies: coverage, latency and error rates as configured; errors only in the truth."""

from __future__ import annotations

import numpy as np
import polars as pl

from xinyong.world import behaviour
from xinyong.world.agencies import DUPLICATE, FALSE_POSITIVE, GENUINE, MISATTRIBUTED, Reporting
from xinyong.world.behaviour import BehaviourState
from xinyong.world.clock import month_bounds
from xinyong.world.courts import Cases, CourtProcess
from xinyong.world.kinds import kinds
from xinyong.world.scenario import Scenario
from xinyong.world.subjects import Subjects


def _report(
    scenario: Scenario, subjects: Subjects, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame, Reporting]:
    state = BehaviourState.start(np.random.default_rng(seed), scenario, subjects)
    t0, t1 = month_bounds(scenario.world.start, 0)
    ages = subjects.ages(scenario.world.start)
    frames = []
    for m in range(3):
        ev, _ = behaviour.step(
            np.random.default_rng([seed, m]), scenario, subjects, state, ages, m, t0, t1
        )
        frames.append(ev)
    events = pl.concat(frames)
    rep = Reporting(scenario, subjects, kinds(scenario))
    rows = rep.report(np.random.default_rng(seed + 1), events, Cases(), ages, "202501", t0, t1)
    return events, rows, rep


def test_coverage_and_error_rates_match_each_agency(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    _events, rows, rep = _report(scenario, big_subjects, seed=5)
    true = rep.last_true
    for i, name in enumerate(rep.table.names):
        a = scenario.agencies[name]
        mine = rows.filter(pl.col("agency") == i)
        covered = mine.filter(pl.col("truth").is_in([GENUINE, MISATTRIBUTED])).height
        if true[i] < 200:
            continue  # too few events this quarter to test this agency
        sd = np.sqrt(a.coverage * (1 - a.coverage) / true[i])
        assert abs(covered / true[i] - a.coverage) < 4.5 * sd + 0.002, name
        mis = mine.filter(pl.col("truth") == MISATTRIBUTED).height
        p = a.misattribution_rate
        assert abs(mis / covered - p) < 4.5 * np.sqrt(p * (1 - p) / covered) + 0.002, name
        fp = mine.filter(pl.col("truth") == FALSE_POSITIVE).height
        lam = a.false_positive_rate * covered
        assert abs(fp - lam) < 4.5 * np.sqrt(lam) + 2, name
        dup = mine.filter(pl.col("truth") == DUPLICATE).height
        lam = a.duplicate_rate * (covered + fp)
        assert abs(dup - lam) < 4.5 * np.sqrt(lam) + 2, name


def test_latency_is_log_normal_around_the_median(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    _, rows, rep = _report(scenario, big_subjects, seed=6)
    genuine = rows.filter(pl.col("truth") == GENUINE)
    lat = genuine.with_columns(days=(pl.col("recorded") - pl.col("occurred")) / 86_400)
    assert (lat["days"] >= 0).all()
    for i, name in enumerate(rep.table.names):
        d = lat.filter(pl.col("agency") == i)["days"]
        if d.len() < 500:
            continue
        median = scenario.agencies[name].latency_median_days
        assert abs(float(d.median()) / median - 1) < 0.1, name  # type: ignore[arg-type]


def test_errors_are_in_the_truth_only(scenario: Scenario, big_subjects: Subjects) -> None:
    _events, rows, _ = _report(scenario, big_subjects, seed=7)
    assert rows["id"].n_unique() == rows.height
    mis = rows.filter(pl.col("truth") == MISATTRIBUTED)
    assert mis.height
    assert (mis["subject"] != mis["true_subject"]).all()
    gen = rows.filter(pl.col("truth") == GENUINE)
    assert (gen["subject"] == gen["true_subject"]).all()
    assert (rows.filter(pl.col("truth") == FALSE_POSITIVE)["true_subject"] == -1).all()
    dup = rows.filter(pl.col("truth") == DUPLICATE)
    originals = rows.filter(pl.col("id").is_in(dup["duplicate_of"].implode()))
    assert originals.height == dup.height
    # Record ids carry no hint of the truth: one format for every row.
    assert rows["id"].str.contains(r"^[A-Z]{2,4}-\d{6}-\d{7}$").all()


def test_no_errors_when_errors_are_off(scenario: Scenario, big_subjects: Subjects) -> None:
    clean = scenario.with_changes(errors={"scale": 0.0})
    _, rows, _ = _report(clean, big_subjects, seed=8)
    assert rows.height > 1_000
    assert (rows["truth"] == GENUINE).all()


def test_misattribution_hits_someone_who_could_have_done_it(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    """Camera misreads go to another driver, and to a driver of the same household (shared
    car) at the configured share of the cases where the household has one."""
    _, rows, rep = _report(scenario, big_subjects, seed=9)
    cam = rep.table.index("traffic_camera")
    mis = rows.filter((pl.col("agency") == cam) & (pl.col("truth") == MISATTRIBUTED))
    ages = big_subjects.ages(scenario.world.start)
    drivers = big_subjects.eligible("driver", ages)
    assert drivers[mis["subject"].to_numpy()].all()
    hh = big_subjects.household
    true = mis["true_subject"].to_numpy()
    same = hh[mis["subject"].to_numpy()] == hh[true]
    # P(household branch) = share * (eligible other members / other members).
    share = scenario.agencies["traffic_camera"].misattribute_household_share
    per_hh = np.bincount(
        hh[drivers[: big_subjects.n_residents].nonzero()[0]], minlength=hh.max() + 1
    )
    others = big_subjects.hh_size[hh[true]] - 1
    p = np.where(others > 0, share * (per_hh[hh[true]] - 1) / np.maximum(others, 1), 0.0)
    expected, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    # A draw from the whole pool can land in the same household too (rarely).
    assert abs(same.sum() - expected) < 4.5 * sd + 3


def test_courts_file_misattributed_cases_under_adults(
    scenario: Scenario, big_subjects: Subjects
) -> None:
    noisy = scenario.with_changes(errors={"scale": 50.0})
    courts = CourtProcess(noisy, big_subjects)
    ages = big_subjects.ages(scenario.world.start)
    courts.backlog(np.random.default_rng(3), ages)
    cases = courts.cases
    wrong = cases.misattributed
    assert wrong.sum() > 50
    filed = cases.filed[wrong]
    assert ((ages[filed] >= 18) | big_subjects.is_org[filed]).all()
    assert (big_subjects.is_org[filed] == big_subjects.is_org[cases.debtor[wrong]]).all()
