"""The population: valid unique codes consistent with each person, and the scenario's
shares within sampling error."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from xinyong.core.codes import check, county_codes
from xinyong.world.population import Population, city_districts, exact_age, generate_population
from xinyong.world.scenario import Scenario

TODAY = date(2026, 1, 1)


def test_same_seed_same_population(scenario: Scenario, small_population: Population) -> None:
    again = generate_population(scenario, 4_000, 80, seed=7)
    assert_frame_equal(again.residents, small_population.residents)
    assert_frame_equal(again.organisations, small_population.organisations)
    other = generate_population(scenario, 4_000, 80, seed=8)
    assert other.residents["id"].to_list() != small_population.residents["id"].to_list()


def test_every_resident_code_is_valid_unique_and_consistent(small_population: Population) -> None:
    r = small_population.residents
    assert r["id"].n_unique() == r.height
    counties = set(county_codes())
    for row in r.iter_rows(named=True):
        c = check(row["id"], today=TODAY)
        assert c.valid, (row["id"], c.reason)
        assert c.kind == "resident"
        assert row["id"][:6] in counties  # a real county code
        assert c.fields["birth_date"] == row["birth_date"].isoformat()
        assert c.fields["sex"] == row["sex"]
        assert int(row["id"][16]) % 2 == (1 if row["sex"] == "male" else 0)


def test_every_organisation_code_is_valid_unique_with_an_adult_representative(
    small_population: Population, scenario: Scenario
) -> None:
    o, r = small_population.organisations, small_population.residents
    assert o.height == 80
    assert o["id"].n_unique() == o.height
    for code in o["id"].to_list():
        c = check(code)
        assert c.valid, (code, c.reason)
        assert c.kind == "organisation"
        assert code[2:8] in city_districts(scenario.world.city)
    reps = r.join(o.select("legal_rep_id"), left_on="id", right_on="legal_rep_id")
    assert reps.height == o.height
    assert (reps["age"] >= 18).all()
    assert (o["idx"].to_numpy() == np.arange(r.height, r.height + o.height)).all()


def test_ages_match_birth_dates(small_population: Population, scenario: Scenario) -> None:
    r = small_population.residents
    born = r["birth_date"].to_numpy().astype("datetime64[D]")
    assert (exact_age(born, scenario.world.start) == r["age"].to_numpy()).all()
    assert (r["age"] >= 0).all()
    assert (r["age"] <= 100).all()


def test_shares_match_the_scenario(big_population: Population, scenario: Scenario) -> None:
    r = big_population.residents
    p = scenario.population
    n = r.height
    # Local births: the ID's address code is one of the city's districts.
    local = r["id"].str.slice(0, 6).is_in(list(city_districts(scenario.world.city))).mean()
    share = scenario.world.local_born_share
    assert abs(float(local) - share) < 4 * np.sqrt(share * (1 - share) / n) + 0.002
    # Household sizes (the last household may be cut short).
    sizes = r.group_by("household").len()["len"].to_numpy()
    shares = np.asarray(p.household_size_shares) / sum(p.household_size_shares)
    observed = np.bincount(sizes, minlength=shares.size + 1)[1:] / sizes.size
    sd = np.sqrt(shares * (1 - shares) / sizes.size)
    assert (np.abs(observed - shares) < 4 * sd + 0.002).all(), (observed, shares)
    # Heads are men at the configured share.
    heads = r.filter(pl.col("role") == "head")
    male = float((heads["sex"] == "male").mean())
    sd1 = np.sqrt(p.male_head_share * (1 - p.male_head_share) / heads.height)
    assert abs(male - p.male_head_share) < 4 * sd1
    # Income deciles are deciles.
    counts = r.group_by("income_decile").len().sort("income_decile")["len"].to_numpy()
    assert counts.size == 10
    assert counts.max() - counts.min() <= 1
    # Drivers: the share rises with income as configured (decile 1 and 10).
    adults = r.filter((pl.col("age") >= 18) & (pl.col("age") <= 75))
    for decile, expected in ((1, p.driver_share_low), (10, p.driver_share_high)):
        d = adults.filter(pl.col("income_decile") == decile)["driver"]
        sd2 = np.sqrt(expected * (1 - expected) / d.len())
        assert abs(float(d.mean()) - expected) < 4 * sd2


def test_names_are_chinese_and_varied(big_population: Population) -> None:
    names = big_population.residents["name"]
    assert names.str.len_chars().min() >= 2
    assert names.n_unique() > 2_000
    first = names.str.slice(0, 1).value_counts(sort=True)
    assert first["name"][0] in {"王", "李", "张"}  # the commonest surnames lead
