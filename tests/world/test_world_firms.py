"""Organisations in the synthetic world (world/firms.py): seeded, reproducible, and the
corporate outcomes come back through the public API."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

import xinyong
from xinyong.world.firms import FirmScenario, run_firms

SMALL = FirmScenario(firms=200, seed=11)


def _run(s: FirmScenario) -> pl.DataFrame:
    with xinyong.open_system(xinyong.Settings(db=":memory:")) as system:
        return run_firms(system, s)


def _row(frame: pl.DataFrame, size: str, name: str) -> dict[str, object]:
    return frame.filter((pl.col("size") == size) & (pl.col("list") == name)).row(0, named=True)


def test_a_seeded_run_is_reproducible() -> None:
    assert _run(SMALL).equals(_run(SMALL))


def test_outcomes_by_size_and_list() -> None:
    frame = _run(SMALL)
    assert frame["firms"].sum() == 200 * 4  # every firm under each of the four lists
    assert frame["share"].min() >= 0.0
    assert frame["share"].max() <= 1.0
    abnormal = "samr-enterprise-lists/abnormal-operations"
    assert _row(frame, "small", abnormal)["listed"] > 0  # type: ignore[operator]


def test_wrongful_listings_follow_the_agency_error_rate() -> None:
    name = "samr-enterprise-lists/abnormal-operations"
    none = _run(replace(SMALL, market_error=0.0))
    assert none.filter(pl.col("list") == name)["wrongful"].sum() == 0
    many = _run(replace(SMALL, market_error=0.3, error_removed=0.0))
    assert many.filter(pl.col("list") == name)["wrongful"].sum() > 0
