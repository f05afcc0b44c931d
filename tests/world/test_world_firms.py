"""Firms in the world run (world/firms.py): they file, report, move and violate; the tax and
market regulation agencies report with their coverage and errors; the records go in through
the public API; the organisation schemes list them; the report shows them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from xinyong.world.firms import SCHEMES, SIZES
from xinyong.world.pipeline import report_html, simulate
from xinyong.world.population import Population, generate_population
from xinyong.world.run import RunResult
from xinyong.world.scenario import Scenario

ABNORMAL = "samr-enterprise-lists/abnormal-operations"


def run(scenario: Scenario, population: Population, db: Path) -> RunResult:
    return simulate(scenario, population, db=db, out=None).run


@pytest.fixture(scope="module")
def firm_population(scenario: Scenario) -> Population:
    # many organisations per resident, so that a small city has a few hundred firms
    return generate_population(scenario, 3_000, 600, seed=5)


@pytest.fixture(scope="module")
def firm_run(
    scenario: Scenario, firm_population: Population, tmp_path_factory: pytest.TempPathFactory
) -> RunResult:
    sc = scenario.with_changes(
        world={"months": 8}, firms={"wrong_listing_share": 0.05, "objection_monthly": 0.0}
    )
    return run(sc, firm_population, tmp_path_factory.mktemp("firms") / "w.db")


def test_firms_appear_on_the_lists_by_type_and_size(firm_run: RunResult) -> None:
    firms = firm_run.metrics["firms"]
    assert firm_run.firm_records > 0
    assert set(firms["size"]) <= set(SIZES)
    assert {k.split("/")[0] for k in firms["list"]} <= set(SCHEMES)
    # every firm is counted once under every list
    per_list = firms.group_by("list").agg(pl.col("firms").sum())
    assert per_list["firms"].n_unique() == 1
    abnormal = firms.filter(pl.col("list") == ABNORMAL)
    assert int(abnormal["listed"].sum()) > 0  # annual reports not published by 30 June
    assert int(firms.filter(pl.col("list") == "sat-tax-credit/a-level")["listed"].sum()) > 0
    assert firms["share"].min() >= 0.0
    assert firms["share"].max() <= 1.0
    assert (firms["listed"] + firms["missed"] <= firms["firms"]).all()


def test_wrongful_listings_come_from_the_regulators_errors(
    scenario: Scenario, firm_population: Population, firm_run: RunResult, tmp_path: Path
) -> None:
    firms = firm_run.metrics["firms"]
    wrong = int(firms.filter(pl.col("list") == ABNORMAL)["wrongful"].sum())
    assert 0 < wrong <= int(firms.filter(pl.col("list") == ABNORMAL)["listed"].sum())
    sc = scenario.with_changes(
        world={"months": 8},
        firms={"wrong_listing_share": 0.0},
        agencies={
            **{k: v.model_dump() for k, v in scenario.agencies.items()},
            "tax": {**scenario.agencies["tax"].model_dump(), "false_positive_rate": 0.0},
        },
    )
    clean = run(sc, firm_population, tmp_path / "clean.db")
    assert int(clean.metrics["firms"]["wrongful"].sum()) == 0


def test_firms_are_off_when_the_scenario_says_so(
    scenario: Scenario, firm_population: Population, tmp_path: Path
) -> None:
    sc = scenario.with_changes(world={"months": 2}, firms={"on": False})
    result = run(sc, firm_population, tmp_path / "off.db")
    assert result.firm_records == 0
    assert "firms" not in result.metrics


def test_the_report_has_a_corporate_section(
    scenario: Scenario, firm_population: Population, firm_run: RunResult
) -> None:
    html = report_html(firm_population, firm_run, {}, scenario)
    assert "Firms on the organisation lists, by size and type" in html
    assert "Firms on the organisation lists</h2>" in html  # the table
    assert "the black list holding most firms is" in html  # the caption's finding
