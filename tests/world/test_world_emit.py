"""Records as the world writes them: valid records, and the columnar twin agrees."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from xinyong.adapters.batch import records_frame
from xinyong.core.records import Record
from xinyong.world import behaviour
from xinyong.world.agencies import DUPLICATE, FALSE_POSITIVE, Reporting
from xinyong.world.behaviour import BehaviourState
from xinyong.world.clock import month_bounds
from xinyong.world.courts import CourtProcess
from xinyong.world.emit import to_frame, to_records
from xinyong.world.kinds import kinds
from xinyong.world.population import Population
from xinyong.world.scenario import Scenario
from xinyong.world.subjects import Subjects


def _rows(scenario: Scenario, population: Population) -> tuple[pl.DataFrame, Subjects, Reporting]:
    subjects = Subjects.of(population)
    k = kinds(scenario)
    rep = Reporting(scenario, subjects, k)
    courts = CourtProcess(scenario, subjects)
    ages = subjects.ages(scenario.world.start)
    backlog = courts.backlog(np.random.default_rng(1), ages)
    rows = rep.report(
        np.random.default_rng(2),
        backlog,
        courts.cases,
        ages,
        "202412",
        *month_bounds(scenario.world.start, -1),
    )
    state = BehaviourState.start(np.random.default_rng(3), scenario, subjects)
    t0, t1 = month_bounds(scenario.world.start, 0)
    ev, _ = behaviour.step(np.random.default_rng(4), scenario, subjects, state, ages, 0, t0, t1)
    mods = behaviour.Modifiers.of(scenario, subjects, state, 0)
    cev = courts.step(np.random.default_rng(5), 0, t0, t1, ages, mods)
    more = rep.report(
        np.random.default_rng(6), pl.concat([ev, cev]), courts.cases, ages, "202501", t0, t1
    )
    return pl.concat([rows, more]), subjects, rep


def test_records_are_valid_and_the_columnar_twin_agrees(
    scenario: Scenario, small_population: Population
) -> None:
    rows, subjects, rep = _rows(scenario, small_population)
    k = kinds(scenario)
    records = to_records(rows, subjects.codes, k, rep.table, scenario)
    assert len(records) == rows.height > 100
    for r in records:
        r.check()
        again = Record.from_dict(r.to_dict())
        assert again == r
    frame = to_frame(rows, subjects.codes, k, rep.table, scenario)
    assert_frame_equal(frame, records_frame(records), categorical_as_str=True)


def test_listings_carry_a_ground_and_performance_refers_to_its_listing(
    scenario: Scenario, small_population: Population
) -> None:
    rows, subjects, rep = _rows(scenario, small_population)
    records = to_records(rows, subjects.codes, kinds(scenario), rep.table, scenario)
    by_id = {r.id: r for r in records}
    listings = [r for r in records if r.category == scenario.courts.listing_category]
    assert listings
    assert all(str(r.details["ground"]) in "123456" for r in listings)
    for r in records:
        if r.refers_to is not None:
            target = by_id[r.refers_to]
            assert target.subject == r.subject
            assert target.recorded_at <= r.recorded_at


def test_erroneous_records_look_like_any_other(
    scenario: Scenario, small_population: Population
) -> None:
    """Nothing in a record tells it is erroneous: a duplicate repeats its original's content
    (only id and recorded_at differ) and a false court record carries a case number."""
    noisy = scenario.with_changes(errors={"scale": 30.0})
    rows, subjects, rep = _rows(noisy, small_population)
    records = to_records(rows, subjects.codes, kinds(noisy), rep.table, noisy)
    by_id = {r.id: r for r in records}
    truth = dict(zip(rows["id"].to_list(), rows["truth"].to_list(), strict=True))
    originals = dict(zip(rows["id"].to_list(), rows["duplicate_of"].to_list(), strict=True))
    dups = [r for r in records if truth[r.id] == DUPLICATE]
    assert dups
    for d in dups:
        o = by_id[originals[d.id]]
        a, b = d.to_dict(), o.to_dict()
        assert {k for k in a if a[k] != b[k]} == {"id", "recorded_at"}
    court = {c.category for c in [*kinds(noisy)] if c.court is not None}
    fakes = [r for r in records if truth[r.id] == FALSE_POSITIVE and r.category in court]
    assert fakes
    assert all(re.match(r"^\(\d{4}\)(执|民初)\d+号 ", r.evidence) for r in fakes)
