"""Scoring a whole population at once: one Polars query, the reference engine's semantics.

:func:`score_population` gives every subject of a records frame the same score and grade as
:func:`xinyong.core.scoring.engine.score_subject` would (see that module's docstring for the
rules). The scheme is compiled, in Python, into small lookup tables indexed by
``key = version * n_categories + category``: the points of each rule, its validity cut-offs
at ``at`` (see :func:`cutoffs`) and the total it adds to (its "bucket": a capped
(factor, category), an uncapped factor, or the whole score). Each record then costs a binary
search over the versions' start instants, two gathers and a few comparisons; one group-by
per subject sums the buckets, and the caps, floor/ceiling, factors, bands, overrides and tiers
are a handful of expressions over the per-subject totals. All arithmetic is in integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import polars as pl

from xinyong.adapters.batch.frame import (
    STATUSES,
    US_PER_DAY,
    check_columns,
    codes,
    instant_us,
    micros,
)
from xinyong.adapters.batch.resolve import EFFECTIVE, ENDS, RECORDED, STATUS, annotate
from xinyong.core.schemes.model import (
    Graded,
    ListsScheme,
    PointsScheme,
    PointsVersion,
    ScorecardScheme,
    ScorecardVersion,
    TiersScheme,
    TiersVersion,
)
from xinyong.core.scoring.engine import version_in_force
from xinyong.core.timeutil import Duration

AnyScheme = PointsScheme | ScorecardScheme | TiersScheme | ListsScheme
Engine = Literal["auto", "in-memory", "streaming"]

CAT = "_cat"  # category code (index in the compiled category list)
OCC = "_occ"  # occurred_at in microseconds
FACTOR_PREFIX = "factor_"
"""Scorecards: the value (per mille, 0-1000) of factor ``f`` is in column ``factor_<f>``."""


# --- validity cut-offs ------------------------------------------------------------------------
#
# A record that occurred at t counts at `at` while at < validity.after(t). Calendar durations
# are not monotone in t at the time-of-day level (Jan 30 23:00 + 1mo = Feb 28 23:00, but
# Jan 31 01:00 + 1mo = Feb 28 01:00), so one cut-off instant would be wrong. They are monotone
# on dates, and validity.after(t) is the shifted date plus t's time of day. With g the date
# map and A the date of `at`: g(day) > A counts, g(day) < A does not, and g(day) == A counts
# iff t's time of day is after at's. The days with g(day) == A form one interval [lo, hi], so
# a record counts iff t >= (lo if time_of_day(t) > time_of_day(at) else hi + 1), as midnights.
# Both come from Duration.after itself (dateutil, the reference's arithmetic) by bisection.

_EPOCH = date(1970, 1, 1)
_MIN_DAY = (date.min - _EPOCH).days
_MAX_DAY = (date.max - _EPOCH).days
NEVER = 2**62
"""A cut-off no instant reaches (keys without a rule use it)."""


def _shift(d: Duration, day: int) -> float:
    """The day number of ``d.after(midnight of day)`` (+inf past year 9999)."""
    start = datetime.combine(_EPOCH + timedelta(days=day), datetime.min.time(), UTC)
    try:
        return (d.after(start).date() - _EPOCH).days
    except (OverflowError, ValueError):
        return float("inf")


@lru_cache(maxsize=4096)
def cutoffs(d: Duration, at_us: int) -> tuple[int, int]:
    """``(late, early)`` in microseconds: a record at ``t`` counts at ``at_us`` (validity
    ``d``) iff ``t >= early`` when ``t``'s UTC time of day is after ``at``'s, else iff
    ``t >= late``. (That ``t <= at`` is checked apart.)
    """
    a_day = at_us // US_PER_DAY
    if _shift(d, _MIN_DAY) > a_day:  # hi: last day shifted on or before A
        hi = _MIN_DAY - 1
    else:
        lo_, hi_ = _MIN_DAY, _MAX_DAY + 1
        while hi_ - lo_ > 1:
            mid = (lo_ + hi_) // 2
            lo_, hi_ = (mid, hi_) if _shift(d, mid) <= a_day else (lo_, mid)
        hi = lo_
    if _shift(d, _MAX_DAY) < a_day:  # lo: first day shifted on or after A
        lo = _MAX_DAY + 1
    else:
        lo_, hi_ = _MIN_DAY - 1, _MAX_DAY
        while hi_ - lo_ > 1:
            mid = (lo_ + hi_) // 2
            lo_, hi_ = (lo_, mid) if _shift(d, mid) >= a_day else (mid, hi_)
        lo = hi_
    return (hi + 1) * US_PER_DAY, lo * US_PER_DAY


def counts_expr(occ: pl.Expr, late: pl.Expr, early: pl.Expr, at_us: int) -> pl.Expr:
    """Whether a record at ``occ`` (microseconds) still counts at ``at_us`` (see cutoffs)."""
    after = (occ % US_PER_DAY) > (at_us % US_PER_DAY)
    return occ >= pl.when(after).then(early).otherwise(late)


# --- the scheme compiled at `at` -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bucket:
    """One per-subject total: a factor's (None for points/tiers) and maybe one capped category."""

    factor: str | None
    category: str | None = None
    cap: int | None = None


@dataclass(slots=True)
class Tables:
    """Lookup tables over ``key = version_slot * len(categories + 1) + category_code``.

    ``version_slot`` 0 is "before the first version"; slot i is ``versions[i - 1]``.
    """

    categories: list[str]
    starts: list[int]  # each version's effective_from, midnight UTC, microseconds
    points: list[int] = field(default_factory=list)
    cut: list[int] = field(default_factory=list)  # per key: late, early
    slot: list[int] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)


def compile_scheme(scheme: AnyScheme, current: Any, at_us: int) -> Tables:
    """The lookup tables of ``scheme`` scored at ``at_us`` (``current``: version in force)."""
    categories = sorted(
        {r.category for v in scheme.versions for r in v.rules}
        | {c for o in getattr(current, "overrides", []) for c in o.categories}
    )
    starts = [
        instant_us(datetime.combine(v.effective_from, datetime.min.time(), UTC))
        for v in scheme.versions
    ]
    t = Tables(categories, starts)
    scorecard = isinstance(current, ScorecardVersion)
    factors = [f.id for f in current.factors] if scorecard else [None]
    index: dict[Bucket, int] = {}
    for f in factors:
        index[Bucket(f)] = len(index)
    for v in [None, *scheme.versions]:
        for c in [*categories, None]:
            rule = v.rule_for(c) if v is not None and c is not None else None
            factor = rule.factor if rule is not None and scorecard else None
            if rule is None or factor not in factors:
                t.points.append(0)
                t.cut.extend((NEVER, NEVER))
                t.slot.append(0)
                continue
            t.points.append(rule.points.value)
            t.cut.extend(cutoffs(rule.validity, at_us))
            cap_rule = current.rule_for(c)
            bucket = Bucket(factor)
            if cap_rule is not None and cap_rule.cap is not None:
                bucket = Bucket(rule.factor, c, abs(cap_rule.cap.value))
            t.slot.append(index.setdefault(bucket, len(index)))
    t.buckets = list(index)
    return t


# --- the query ---------------------------------------------------------------------------------


def _series(values: list[int]) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.Int64))


def _per_record(t: Tables, at_us: int) -> list[pl.Expr]:
    """``_p`` (points that count, else 0) and ``_slot`` (its bucket) for each record."""
    occ = pl.col(OCC)
    width = len(t.categories) + 1
    version = _series(t.starts).search_sorted(occ, side="right").cast(pl.Int64)
    key = version * width + pl.col(CAT).cast(pl.Int64)
    late = (occ % US_PER_DAY > at_us % US_PER_DAY).cast(pl.Int64)
    counts = alive(at_us) & (occ >= _series(t.cut).gather(key * 2 + late))
    out = [pl.when(counts).then(_series(t.points).gather(key)).otherwise(0).alias("_p")]
    if len(t.buckets) > 1:
        out.append(_series(t.slot).gather(key).alias("_slot"))
    return out


def alive(at_us: int) -> pl.Expr:
    """Effective, occurred by ``at``, and not ended by an expiry record at ``at``."""
    end = pl.col(ENDS)
    return pl.col(EFFECTIVE) & (pl.col(OCC) <= at_us) & (end.is_null() | (end > at_us))


def _override_index(version: Graded, t: Tables, at_us: int) -> pl.Expr | None:
    """Per record: the grade index its overrides cap the grade at (-1 if none)."""
    parts: list[pl.Expr] = []
    for o in version.overrides:
        cap_index = version.grades.index(o.max_grade)
        cats = [t.categories.index(c) for c in o.categories]
        late, early = cutoffs(o.validity, at_us)
        held = (
            alive(at_us)
            & pl.col(CAT).is_in(pl.Series(cats, dtype=pl.UInt32).implode())
            & counts_expr(pl.col(OCC), pl.lit(late), pl.lit(early), at_us)
        )
        parts.append(pl.when(held).then(pl.lit(cap_index)).otherwise(pl.lit(-1)))
    if not parts:
        return None
    return pl.max_horizontal(parts) if len(parts) > 1 else parts[0]


def _aggregations(t: Tables, tiers: bool, has_overrides: bool) -> list[pl.Expr]:
    p = pl.col("_p")
    if tiers:
        return [(p < 0).sum().alias("_neg"), (p > 0).sum().alias("_pos")]
    if len(t.buckets) == 1:
        out = [p.sum().alias("_b0")]
    else:
        out = [
            pl.when(pl.col("_slot") == i).then(p).otherwise(0).sum().alias(f"_b{i}")
            for i in range(len(t.buckets))
        ]
    if has_overrides:
        out.append(pl.col("_ov").max().alias("_ov"))
    return out


def _bucket_total(t: Tables, i: int) -> pl.Expr:
    b = t.buckets[i]
    total = pl.col(f"_b{i}")
    return total if b.cap is None else total.clip(-b.cap, b.cap)


def _grade(version: Graded, score: pl.Expr) -> pl.Expr:
    last = len(version.bands) - 1
    band: pl.Expr = pl.lit(last)
    for i in reversed(range(last)):
        limit = version.bands[i].min
        assert limit is not None  # validated: every band but the last has a min
        band = pl.when(score >= limit.value).then(pl.lit(i)).otherwise(band)
    if version.overrides:
        band = pl.max_horizontal(band, pl.col("_ov"))
    return pl.lit(pl.Series(version.grades, dtype=pl.String)).gather(band)


def _finish(current: Any, t: Tables) -> list[pl.Expr]:
    """Score, grade (and factor values) from the per-subject totals."""
    if isinstance(current, TiersVersion):
        neg, pos = pl.col("_neg"), pl.col("_pos")
        tier: pl.Expr = pl.lit(current.default_tier)
        for tr in reversed(current.tiers):
            cond = pl.lit(True)
            if tr.negative_at_least is not None:
                cond = cond & (neg >= tr.negative_at_least)
            if tr.negative_at_most is not None:
                cond = cond & (neg <= tr.negative_at_most)
            if tr.positive_at_least is not None:
                cond = cond & (pos >= tr.positive_at_least)
            tier = pl.when(cond).then(pl.lit(tr.name)).otherwise(tier)
        return [pl.lit(None, dtype=pl.Int64).alias("score"), tier.cast(pl.String).alias("grade")]
    if isinstance(current, PointsVersion):
        score = pl.lit(current.base.value, dtype=pl.Int64) + pl.sum_horizontal(
            [_bucket_total(t, i) for i in range(len(t.buckets))]
        )
        if current.floor is not None or current.ceiling is not None:
            score = score.clip(current.floor, current.ceiling)
        return [score.alias("score"), _grade(current, score).alias("grade")]
    assert isinstance(current, ScorecardVersion)
    values: list[pl.Expr] = []
    weighted: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for f in current.factors:
        mine = [_bucket_total(t, i) for i, b in enumerate(t.buckets) if b.factor == f.id]
        value = (pl.lit(f.base.value, dtype=pl.Int64) + pl.sum_horizontal(mine)).clip(0, 1000)
        values.append(value.alias(FACTOR_PREFIX + f.id))
        weighted = weighted + f.weight.value * value
    weights = sum(f.weight.value for f in current.factors)
    span = current.range_max - current.range_min
    # round_half_up_div(span * weighted, 1000 * weights), as in the reference engine
    score = current.range_min + (2 * span * weighted + 1000 * weights) // (2000 * weights)
    return [score.alias("score"), _grade(current, score).alias("grade"), *values]


def score_population(
    scheme: AnyScheme,
    frame: pl.DataFrame | pl.LazyFrame,
    at: datetime,
    known_at: datetime | None = None,
    *,
    engine: Engine = "streaming",
) -> pl.DataFrame:
    """Score every subject of ``frame`` under ``scheme`` at ``at`` (known by ``known_at``).

    One row per subject having at least one record in ``frame`` (known by ``known_at`` or
    not), in no particular order: ``subject`` (its type in the frame), ``score`` (Int64; null
    for tiers and lists), ``grade`` (String; null for lists) and, for scorecards, one Int64
    column ``factor_<id>`` per factor of the version in force. Exactly what
    :func:`score_subject` gives each subject. Raises ``NoVersionInForce`` like it.
    """
    return population_plan(scheme, frame, at, known_at).collect(engine=engine)


def population_plan(
    scheme: AnyScheme,
    frame: pl.DataFrame | pl.LazyFrame,
    at: datetime,
    known_at: datetime | None = None,
) -> pl.LazyFrame:
    """The lazy query behind :func:`score_population` (to collect, explain or profile).

    Building it already reads the (few) amendment rows known by ``known_at``.
    """
    known_at = at if known_at is None else known_at
    current = version_in_force(scheme, at)
    lf = frame.lazy()
    schema = lf.collect_schema()
    check_columns(schema)
    if isinstance(scheme, ListsScheme):
        return lf.select(pl.col("subject").unique()).with_columns(
            pl.lit(None, dtype=pl.Int64).alias("score"),
            pl.lit(None, dtype=pl.String).alias("grade"),
        )
    at_us = instant_us(at)
    t = compile_scheme(scheme, current, at_us)
    lf = lf.select(
        "subject",
        "id",
        "refers_to",
        codes("status", schema["status"], STATUSES).alias(STATUS),
        micros("recorded_at", schema["recorded_at"]).alias(RECORDED),
        micros("occurred_at", schema["occurred_at"]).alias(OCC),
        codes("category", schema["category"], t.categories).alias(CAT),
    )
    lf = annotate(lf, instant_us(known_at), occurred=OCC, content=(CAT, OCC))
    rows = _per_record(t, at_us)
    override = _override_index(current, t, at_us) if isinstance(current, Graded) else None
    if override is not None:
        rows.append(override.alias("_ov"))
    tiers = isinstance(current, TiersVersion)
    return (
        lf.select("subject", *rows)
        .group_by("subject")
        .agg(_aggregations(t, tiers, override is not None))
        .select("subject", *_finish(current, t))
    )
