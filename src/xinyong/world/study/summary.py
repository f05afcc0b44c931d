"""Per variant and outcome: the mean over seeds with its 95 % t interval, and the
difference from the baseline variant, paired by seed, with its interval."""

from __future__ import annotations

import polars as pl

from xinyong.world.study.outcomes import OUTCOMES
from xinyong.world.study.stats import interval

SUMMARY_COLUMNS = (
    "study", "variant", "outcome", "group", "label", "unit", "seeds", "mean", "low", "high",
    "baseline", "difference", "difference_low", "difference_high",
)  # fmt: skip


def summarise(results: pl.DataFrame, baseline: str, variants: list[str]) -> pl.DataFrame:
    """One row per (variant, outcome, group), variants in ``variants`` order."""
    rows = []
    keys = results.select("outcome", "group").unique(maintain_order=True).rows()
    by = dict(results.group_by("variant", "outcome", "group", maintain_order=True))
    study = results["study"][0] if results.height else ""
    for variant in variants:
        for outcome, group in keys:
            cell = by.get((variant, outcome, group))
            if cell is None:
                continue
            values = dict(zip(cell["seed"].to_list(), cell["value"].to_list(), strict=True))
            mean, low, high, n = interval(list(values.values()))
            base = by.get((baseline, outcome, group))
            base_values = (
                dict(zip(base["seed"].to_list(), base["value"].to_list(), strict=True))
                if base is not None
                else {}
            )
            diffs = [values[s] - base_values[s] for s in values if s in base_values]
            d, d_low, d_high, _ = interval(diffs)
            o = OUTCOMES.get(outcome)
            rows.append(
                (
                    study,
                    variant,
                    outcome,
                    group,
                    o.label if o else outcome,
                    o.unit if o else "",
                    n,
                    mean,
                    low,
                    high,
                    baseline,
                    d,
                    d_low,
                    d_high,
                )
            )
    text = ("study", "variant", "outcome", "group", "label", "unit", "baseline")
    schema: dict[str, type[pl.DataType]] = {
        c: pl.String if c in text else pl.Int64 if c == "seeds" else pl.Float64
        for c in SUMMARY_COLUMNS
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
