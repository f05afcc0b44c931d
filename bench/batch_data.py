"""The batch benchmark's synthetic population: a two-version points scheme and its records.

:func:`generate` draws records straight into a Polars frame with NumPy (seeded; categories
drawn from the scheme's rules with a skewed, realistic mix plus unscored ones; about 2% of
the rows are corrections, revocations and expiries of earlier records of the same subject),
in the record store's column types; :func:`encoded` gives the same records integer-coded.
The Spark benchmark (:mod:`bench.spark`) and a Spark test use the same population.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from xinyong.adapters.batch.frame import STATUSES, US_PER_DAY, instant_us
from xinyong.adapters.batch.score import AnyScheme
from xinyong.core.records import Status
from xinyong.core.schemes.model import parse_scheme

AT = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_US = 365 * US_PER_DAY


# --- the scheme --------------------------------------------------------------------------------

# (category, points in 2020 version, points in 2024 version, validity, cap, relative frequency)
_CATALOGUE = [
    ("traffic.violation", -5, -5, "1y", None, 30.0),
    ("traffic.drunk_driving", -50, -60, "2y", None, 0.5),
    ("utility.late_payment", -5, -3, "1y", None, 12.0),
    ("finance.late_payment", -10, -10, "2y", None, 8.0),
    ("tax.arrears", -20, -20, "2y", None, 1.5),
    ("court.listing_decision", -50, -50, "2y", None, 0.5),
    ("court.criminal_conviction", -100, -100, "3y", None, 0.2),
    ("transport.fare_evasion", -5, -5, "6mo", None, 4.0),
    ("civic.volunteering", 5, 5, "1y", 20, 15.0),
    ("civic.blood_donation", 5, 10, "1y", None, 3.0),
    ("civic.charity", 5, 5, "1y", 20, 5.0),
    ("civic.heroic_act", 30, 30, "2y", None, 0.1),
]
_UNSCORED = [("registry.address_change", 10.0), ("registry.other", 5.0)]


def bench_scheme() -> AnyScheme:
    """A Rongcheng-like points scheme with two versions, caps and a grade override."""

    def version(day: str, column: int) -> dict[str, Any]:
        return {
            "effective_from": day,
            "base": 1000,
            "rules": [
                {
                    "category": c[0],
                    "points": c[column],
                    "validity": c[3],
                    **({"cap": c[4]} if c[4] is not None else {}),
                    "legal_basis": "bench",
                    "description": c[0],
                }
                for c in _CATALOGUE
            ],
            "bands": [
                {"grade": "AAA", "min": 1050},
                {"grade": "AA", "min": 1030},
                {"grade": "A", "min": 960},
                {"grade": "B", "min": 850},
                {"grade": "C", "min": 600},
                {"grade": "D"},
            ],
            "overrides": [
                {
                    "categories": ["traffic.drunk_driving"],
                    "max_grade": "C",
                    "validity": "2y",
                    "legal_basis": "bench",
                    "description": "drunk driving: grade C at best",
                }
            ],
        }

    doc = {
        "kind": "points",
        "meta": {
            "name": "bench",
            "title": "Benchmark points scheme",
            "jurisdiction": "none",
            "description": "synthetic",
            "default_confidence": "U",
            "sources": [{"id": "bench", "title": "bench", "confidence": "U"}],
        },
        "versions": [version("2020-01-01", 1), version("2024-01-01", 2)],
    }
    return parse_scheme(doc, "bench")


def load(name_or_path: str | None) -> tuple[AnyScheme, list[tuple[str, float]]]:
    """The scheme and its category mix (category, relative frequency)."""
    if name_or_path is None:
        return bench_scheme(), [(c[0], c[5]) for c in _CATALOGUE] + _UNSCORED
    from xinyong.system.schemes_io import load_scheme

    scheme = load_scheme(name_or_path)
    cats = sorted({r.category for v in scheme.versions for r in v.rules})
    # a skewed mix: frequency falls with the rank, as for real conduct records
    return scheme, [(c, 1.0 / (i + 1)) for i, c in enumerate(cats)] + _UNSCORED


# --- synthetic records -------------------------------------------------------------------------


def generate(
    mix: list[tuple[str, float]], records: int, subjects: int, seed: int, at: datetime
) -> pl.DataFrame:
    """``records`` rows over ``subjects`` subjects in the record store's column types."""
    rng = np.random.default_rng(seed)
    n_amend = round(records * 0.02)
    n_act = records - n_amend
    at_us = instant_us(at)
    names = [c for c, _ in mix]
    weights = np.array([w for _, w in mix])
    subj = rng.integers(0, subjects, n_act)
    cat = rng.choice(len(names), n_act, p=weights / weights.sum())
    occ = at_us - rng.integers(0, 4 * YEAR_US, n_act)
    rec = np.minimum(occ + rng.exponential(3 * US_PER_DAY, n_act).astype(np.int64), at_us)
    # amendments: corrections 50%, revocations 25%, expiries 25%, of random earlier records
    target = rng.integers(0, n_act, n_amend)
    kind = rng.choice([1, 2, 3], n_amend, p=[0.5, 0.25, 0.25])
    a_occ = occ[target].copy()
    shift = rng.integers(0, 365 * US_PER_DAY, n_amend)
    a_occ[kind == 1] -= shift[kind == 1] // 12
    a_occ[kind == 3] += shift[kind == 3]
    a_cat = np.where(kind == 1, rng.choice(len(names), n_amend), cat[target])
    a_rec = rec[target] + rng.exponential(30 * US_PER_DAY, n_amend).astype(np.int64)
    a_rec = np.maximum(np.minimum(a_rec, at_us), a_occ)
    all_subj = np.concatenate([subj, subj[target]])
    status = np.concatenate([np.zeros(n_act, dtype=np.uint32), kind.astype(np.uint32)])
    refers = np.concatenate([np.full(n_act, -1), target])
    frame = pl.DataFrame(
        {
            "_i": np.arange(records, dtype=np.int64),
            "_s": all_subj,
            "_c": np.concatenate([cat, a_cat]).astype(np.uint32),
            "occurred_at": np.concatenate([occ, a_occ]),
            "recorded_at": np.concatenate([rec, a_rec]),
            "_st": status,
            "_r": refers,
        }
    )
    assert STATUSES[0] == Status.ACTIVE.value
    return frame.select(
        ("R" + pl.col("_i").cast(pl.String).str.zfill(10)).alias("id"),
        ("9137" + pl.col("_s").cast(pl.String).str.zfill(14)).alias("subject"),
        _text(names, "_c").cast(pl.Categorical).alias("category"),
        pl.col("occurred_at").cast(pl.Datetime("us", "UTC")),
        pl.col("recorded_at").cast(pl.Datetime("us", "UTC")),
        _text(list(STATUSES), "_st").cast(pl.Categorical).alias("status"),
        pl.when(pl.col("_r") >= 0)
        .then("R" + pl.col("_r").cast(pl.String).str.zfill(10))
        .alias("refers_to"),
    )


def _text(values: list[str], codes: str) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(pl.col(codes))


def encoded(frame: pl.DataFrame, categories: list[str]) -> pl.DataFrame:
    """The same records with integer-coded columns: ``Enum`` category and status, ``UInt32``
    subjects, ``Int64`` ids (what a columnar export of the store could hand over)."""
    return frame.select(
        pl.col("id").str.slice(1).cast(pl.Int64),
        pl.col("subject").str.slice(4).cast(pl.UInt32),
        pl.col("category").cast(pl.String).cast(pl.Enum(categories)),
        "occurred_at",
        "recorded_at",
        pl.col("status").cast(pl.String).cast(pl.Enum(list(STATUSES))),
        pl.col("refers_to").str.slice(1).cast(pl.Int64),
    )
