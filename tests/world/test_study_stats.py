"""The statistics of a study against hand computations."""

from __future__ import annotations

import math

import polars as pl
import pytest

from xinyong.world.study.stats import concentration_index, gini, interval, spearman, t975
from xinyong.world.study.summary import summarise


def test_t_interval_matches_a_hand_computation() -> None:
    # 1..5: mean 3, sd sqrt(2.5) = 1.5811, se 0.70711, t(0.975, 4) = 2.776 -> half 1.96293
    mean, low, high, n = interval([1, 2, 3, 4, 5])
    assert (mean, n) == (3.0, 5)
    assert low == pytest.approx(3 - 1.96293, abs=1e-4)
    assert high == pytest.approx(3 + 1.96293, abs=1e-4)


def test_t_quantiles_from_the_table_and_between() -> None:
    assert t975(1) == 12.706
    assert t975(9) == 2.262
    assert t975(30) == 2.042
    assert t975(60) == 2.000
    assert 2.021 > t975(50) > 2.000
    assert t975(10**9) == pytest.approx(1.960, abs=1e-3)
    with pytest.raises(ValueError, match="two seeds"):
        t975(0)


def test_one_value_has_no_interval_and_nan_values_are_left_out() -> None:
    mean, low, high, n = interval([4.0, math.nan])
    assert (mean, n) == (4.0, 1)
    assert math.isnan(low)
    assert math.isnan(high)


def test_gini_by_hand() -> None:
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    # sorted 1,2,3: sum((2i - n - 1) x_i) = -2*1 + 0*2 + 2*3 = 4; / (3 * 6) = 0.2222
    assert gini([3, 1, 2]) == pytest.approx(4 / 18)


def test_concentration_index_by_hand() -> None:
    # two equal groups, the poorer at rate 2, the richer at 1: mu = 1.5, ranks 0.25 and 0.75
    # C = 2 / 1.5 * (0.5 * 2 * 0.25 + 0.5 * 1 * 0.75) - 1 = -1/6
    assert concentration_index([2, 1], [1, 1]) == pytest.approx(-1 / 6)
    assert concentration_index([1, 1, 1], [5, 5, 5]) == pytest.approx(0.0)
    assert concentration_index([0, 1], [1, 1]) == pytest.approx(0.5)


def test_spearman_with_ties() -> None:
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_differences_are_paired_by_seed() -> None:
    rows = []
    base = {1: 10.0, 2: 20.0, 3: 30.0}
    other = {1: 11.0, 2: 22.0, 3: 33.0}  # differences 1, 2, 3
    for variant, values in (("base", base), ("other", other)):
        for seed, v in values.items():
            rows.append(("s", variant, seed, "score_mean", "", v))
    results = pl.DataFrame(
        rows, schema=["study", "variant", "seed", "outcome", "group", "value"], orient="row"
    )
    got = summarise(results, "base", ["base", "other"]).filter(pl.col("variant") == "other")
    r = got.row(0, named=True)
    assert r["mean"] == pytest.approx(22.0)
    assert r["difference"] == pytest.approx(2.0)
    # differences 1, 2, 3: sd 1, se 0.57735, t(2) = 4.303 -> half 2.48432
    assert r["difference_low"] == pytest.approx(2 - 2.48432, abs=1e-4)
    assert r["difference_high"] == pytest.approx(2 + 2.48432, abs=1e-4)
    # unpaired, the interval of the mean itself is far wider than the paired difference's
    assert r["high"] - r["low"] > 10 * (r["difference_high"] - r["difference_low"]) / 2
