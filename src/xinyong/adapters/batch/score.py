"""Scoring a whole population at once: one Polars query, the reference engine's semantics.

:func:`score_population` gives every subject of a records frame the same score and grade as
:func:`xinyong.core.scoring.engine.score_subject` would (see that module's docstring for the
rules). The scheme is compiled, in Python, into small lookup tables indexed by
``key = version slot * (n_categories + 1) + category code``: the points of each rule, its
validity cut-offs at ``at`` (see :func:`cutoffs`) and the total it adds to (its "bucket": a
capped (factor, category), an uncapped factor, or the whole score). Each record then costs
a few comparisons (its version slot, whether it still counts) and a few gathers; one
group-by per subject sums the buckets, and the caps, floor/ceiling, factors, bands,
overrides and tiers are a handful of expressions over the per-subject totals. All
arithmetic is in integers. Corrections, revocations and expiries are applied first
(:mod:`xinyong.adapters.batch.resolve`); the query runs on Polars' streaming engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import polars as pl

from xinyong.adapters.batch.codes import resident_births
from xinyong.adapters.batch.frame import (
    REQUIRED_COLUMNS,
    US_PER_DAY,
    check_columns,
    codes,
    instant_us,
    micros,
)
from xinyong.adapters.batch.resolve import EFFECTIVE, ENDS, annotate
from xinyong.core.review import DEFAULT_HOLDS, ReviewHold
from xinyong.core.schemes.model import AnyScheme as AnyScheme  # re-exported for the benches
from xinyong.core.schemes.model import (
    Graded,
    ListsScheme,
    PointsVersion,
    ScorecardVersion,
    TiersVersion,
)
from xinyong.core.schemes.population import covered
from xinyong.core.scoring.engine import version_in_force
from xinyong.core.timeutil import Duration, china_day, day_start

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
        | {c for a in getattr(current, "assignments", []) for c in a.categories}
        | set(scheme.meta.rated_only_with)
    )
    starts = [
        instant_us(day_start(v.effective_from))  # 00:00 in China (Asia/Shanghai)
        for v in scheme.versions
    ]
    t = Tables(categories, starts)
    scorecard = isinstance(current, ScorecardVersion)
    parts = [p.id for p in getattr(current, "parts", [])]  # points versions with parts
    factors: list[str | None] = (
        [f.id for f in current.factors] if scorecard else [*parts] if parts else [None]
    )
    index: dict[Bucket, int] = {}
    for f in factors:
        index[Bucket(f)] = len(index)
    for v in [None, *scheme.versions]:
        for c in [*categories, None]:
            rule = v.rule_for(c) if v is not None and c is not None else None
            factor = rule.factor if rule is not None and (scorecard or parts) else None
            if parts and factor not in factors:
                factor = None  # a part the version in force lacks: in the total, in no part
            if rule is None or (scorecard and factor not in factors):
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


def _series(values: list[int], dtype: pl.DataType | None = None) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype or pl.Int64()))


def _per_record(lf: pl.LazyFrame, t: Tables, current: Any, at_us: int, rows: int) -> pl.LazyFrame:
    """``subject`` and the per-record columns summed per subject: ``_b<i>`` (points that
    count into bucket ``i``, else 0) or, for tiers, ``_neg``/``_pos`` (1 if the record counts
    and is negative/positive); ``_ov`` for overrides. ``lf`` has ``_alive`` (effective,
    occurred by ``at``, not ended by an expiry), ``_occ`` and ``_cat``.

    Built in stages so that the key, the time-of-day test and the validity test are each
    computed once per record. Points are summed as Int32 when no subject (at most ``rows``
    records) can overflow it, which makes the group-by cheaper and is still exact.
    """
    occ = pl.col(OCC)
    width = len(t.categories) + 1
    # the version slot: how many versions had started by the record's UTC day (a sum of
    # comparisons is several times faster than search_sorted for the usual few versions)
    if len(t.starts) <= 8:
        version = pl.sum_horizontal([(occ >= s).cast(pl.UInt32) for s in t.starts])
    else:
        version = _series(t.starts).search_sorted(occ, side="right").cast(pl.UInt32)
    lf = lf.with_columns(
        (version * width + pl.col(CAT).cast(pl.UInt32)).alias("_key"),
        (occ % US_PER_DAY > at_us % US_PER_DAY).alias("_late"),
    )
    key = pl.col("_key")
    lf = lf.with_columns(
        (
            pl.col("_alive")
            & (occ >= _series(t.cut).gather(key * 2 + pl.col("_late").cast(pl.UInt32)))
        ).alias("_ok")
    )
    small = max(map(abs, t.points), default=0) * max(rows, 1) < 2**31
    dtype = pl.Int32() if small else pl.Int64()
    ok = pl.col("_ok")
    out: list[pl.Expr] = []
    if isinstance(current, TiersVersion):
        sign = _series([(p > 0) - (p < 0) for p in t.points], pl.Int8()).gather(key)
        out += [(ok & (sign < 0)).alias("_neg"), (ok & (sign > 0)).alias("_pos")]
    else:
        for i in range(len(t.buckets)):
            points = [p if slot == i else 0 for p, slot in zip(t.points, t.slot, strict=True)]
            b = (
                pl.when(ok).then(_series(points, dtype).gather(key)).otherwise(pl.lit(0, dtype))
                if any(points)
                else pl.lit(0, dtype)
            )
            out.append(b.alias(f"_b{i}"))
        out += _override_columns(current, t, at_us)
        out += _assignment_columns(current, t, at_us)
    return lf.select("subject", *out)


def _override_columns(version: Graded, t: Tables, at_us: int) -> list[pl.Expr]:
    """``_ov``: the grade index an override caps the grade at by this record (-1 if none)."""
    parts: list[pl.Expr] = []
    for o in version.overrides:
        cap_index = version.grades.index(o.max_grade)
        cats = sorted({t.categories.index(c) for c in o.categories})
        late, early = cutoffs(o.validity, at_us)
        held = (
            pl.col("_alive")
            & pl.col(CAT).is_in(pl.Series(cats, dtype=pl.UInt32).implode())
            & (pl.col(OCC) >= pl.when(pl.col("_late")).then(early).otherwise(late))
            & (pl.col(OCC) >= t.starts[0])  # conduct before the scheme never counts
        )
        parts.append(
            pl.when(held).then(pl.lit(cap_index, pl.Int32)).otherwise(pl.lit(-1, pl.Int32))
        )
    if not parts:
        return []
    return [(pl.max_horizontal(parts) if len(parts) > 1 else parts[0]).alias("_ov")]


def _assignment_columns(version: Graded, t: Tables, at_us: int) -> list[pl.Expr]:
    """``_as<j>``: this record holds assignment ``j`` (a grade set whatever the band)."""
    out: list[pl.Expr] = []
    for j, a in enumerate(version.assignments):
        cats = sorted({t.categories.index(c) for c in a.categories})
        late, early = cutoffs(a.validity, at_us)
        out.append(
            (
                pl.col("_alive")
                & pl.col(CAT).is_in(pl.Series(cats, dtype=pl.UInt32).implode())
                & (pl.col(OCC) >= pl.when(pl.col("_late")).then(early).otherwise(late))
                & (pl.col(OCC) >= t.starts[0])
            ).alias(f"_as{j}")
        )
    return out


def _aggregations(t: Tables, current: Any) -> list[pl.Expr]:
    if isinstance(current, TiersVersion):
        return [pl.col("_neg").sum(), pl.col("_pos").sum()]  # Booleans sum to counts
    out = [pl.col(f"_b{i}").sum() for i in range(len(t.buckets))]
    if current.overrides:
        out.append(pl.col("_ov").max())
    out += [pl.col(f"_as{j}").any() for j in range(len(current.assignments))]
    return out


def _bucket_total(t: Tables, i: int) -> pl.Expr:
    b = t.buckets[i]
    total = pl.col(f"_b{i}").cast(pl.Int64)
    return total if b.cap is None else total.clip(-b.cap, b.cap)


def _grade(version: Graded, score: pl.Expr) -> pl.Expr:
    last = len(version.bands) - 1
    if last == 0 and not version.overrides and not version.assignments:
        # a scalar: gathering with a literal index would give one row, not one per subject
        return pl.lit(version.grades[0], dtype=pl.String)
    band: pl.Expr = pl.lit(last)
    for i in reversed(range(last)):
        limit = version.bands[i].min
        assert limit is not None  # validated: every band but the last has a min
        band = pl.when(score >= limit.value).then(pl.lit(i)).otherwise(band)
    grades = version.grades
    if grades != [b.grade for b in version.bands]:
        # band index -> grade index (grade_order may hold grades no band has), then the
        # first assignment that holds sets the grade (applied last-to-first so it wins)
        band = _series([grades.index(b.grade) for b in version.bands]).gather(band)
    if version.assignments:
        for j in reversed(range(len(version.assignments))):
            a = version.assignments[j]
            held = pl.col(f"_as{j}")
            if a.min_score is not None:
                held = held & (score >= a.min_score.value)
            band = pl.when(held).then(pl.lit(grades.index(a.grade))).otherwise(band)
    if version.overrides:
        band = pl.max_horizontal(band, pl.col("_ov"))
    return pl.lit(pl.Series(version.grades, dtype=pl.String)).gather(band)


def _finish(lf: pl.LazyFrame, current: Any, t: Tables) -> pl.LazyFrame:
    """Score, grade (and factor values) from the per-subject totals."""
    scored = lf.with_columns(*_score(current, t))
    grade = _grade(current, pl.col("score")) if isinstance(current, Graded) else pl.col("_tier")
    extra = [FACTOR_PREFIX + f.id for f in getattr(current, "factors", [])]
    extra += [FACTOR_PREFIX + p.id for p in getattr(current, "parts", [])]
    return scored.select("subject", "score", grade.alias("grade"), *extra)


def _score(current: Any, t: Tables) -> list[pl.Expr]:
    """``score`` (and ``factor_<id>``, or ``_tier`` for tiers) from the per-subject totals."""
    if isinstance(current, TiersVersion):
        neg, pos = pl.col("_neg"), pl.col("_pos")
        tier: pl.Expr = pl.lit(current.default_tier)
        for tr in reversed(current.tiers):
            cond = pl.lit(True)
            if tr.negative_at_least is not None:
                cond = cond & (neg >= tr.negative_at_least.value)
            if tr.negative_at_most is not None:
                cond = cond & (neg <= tr.negative_at_most.value)
            if tr.positive_at_least is not None:
                cond = cond & (pos >= tr.positive_at_least.value)
            tier = pl.when(cond).then(pl.lit(tr.name)).otherwise(tier)
        return [pl.lit(None, dtype=pl.Int64).alias("score"), tier.cast(pl.String).alias("_tier")]
    if isinstance(current, PointsVersion):
        score = pl.lit(current.base.value, dtype=pl.Int64) + pl.sum_horizontal(
            [_bucket_total(t, i) for i in range(len(t.buckets))]
        )
        # one bound after the other, as the reference does (even if floor > ceiling)
        if current.floor is not None:
            score = score.clip(lower_bound=current.floor)
        if current.ceiling is not None:
            score = score.clip(upper_bound=current.ceiling)
        cols = [score.alias("score")]
        for p in current.parts:  # each part: its base plus its (capped) points
            mine = [_bucket_total(t, i) for i, b in enumerate(t.buckets) if b.factor == p.id]
            value = pl.lit(p.base.value, dtype=pl.Int64)
            if mine:
                value = value + pl.sum_horizontal(mine)
            cols.append(value.alias(FACTOR_PREFIX + p.id))
        return cols
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
    largest = 2 * span * 1000 * sum(abs(f.weight.value) for f in current.factors) + 1000 * weights
    if largest >= 2**63:
        raise OverflowError("scorecard weights and range too large for 64-bit integer scoring")
    # round_half_up_div(span * weighted, 1000 * weights), as in the reference engine
    score = current.range_min + (2 * span * weighted + 1000 * weights) // (2000 * weights)
    return [score.alias("score"), *values]


def score_population(
    scheme: AnyScheme,
    frame: pl.DataFrame | pl.LazyFrame,
    at: datetime,
    known_at: datetime | None = None,
    *,
    engine: Engine = "streaming",
    holds: Sequence[ReviewHold] = DEFAULT_HOLDS,
) -> pl.DataFrame:
    """Score every subject of ``frame`` under ``scheme`` at ``at`` (known by ``known_at``).

    One row per subject having at least one record in ``frame`` (known by ``known_at`` or
    not), in no particular order: ``subject`` (its type in the frame), ``score`` (Int64; null
    for tiers and lists), ``grade`` (String; null for lists) and, for scorecards, one Int64
    column ``factor_<id>`` per factor of the version in force. Exactly what
    :func:`score_subject` gives each subject. Raises ``NoVersionInForce`` like it.
    """
    return population_plan(scheme, frame, at, known_at, holds).collect(engine=engine)


def population_plan(
    scheme: AnyScheme,
    frame: pl.DataFrame | pl.LazyFrame,
    at: datetime,
    known_at: datetime | None = None,
    holds: Sequence[ReviewHold] = DEFAULT_HOLDS,
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
    # review holds need the legal basis (frames without it, the synthetic datasets, have none)
    hold = bool(holds) and "legal_basis" in schema.names()
    needed = [*REQUIRED_COLUMNS, *(["legal_basis"] if hold else [])]
    content = ("category", "occurred_at", *(["legal_basis"] if hold else []))
    df = frame.select(needed) if isinstance(frame, pl.DataFrame) else lf.select(needed).collect()
    resolved = annotate(df, known_at, content=content, keep=())
    lf = resolved.rows.select(
        "subject",
        micros("occurred_at", schema["occurred_at"]).alias(OCC),
        codes("category", schema["category"], t.categories).alias(CAT),
        EFFECTIVE,
        *([micros(ENDS, schema["occurred_at"]).alias(ENDS)] if resolved.amended else []),
        *([_held(holds).alias("_held")] if hold else []),
    )
    alive = pl.col(EFFECTIVE) & (pl.col(OCC) <= at_us)
    if hold:
        alive = alive & ~pl.col("_held")
    if resolved.amended:
        alive = alive & (pl.col(ENDS).is_null() | (pl.col(ENDS) > at_us))
    rows = _per_record(lf.with_columns(alive.alias("_alive")), t, current, at_us, df.height)
    totals = rows.group_by("subject").agg(_aggregations(t, current))
    out = _covered(_finish(totals, current, t), scheme, at, df["subject"])
    if scheme.meta.rated_only_with:
        # not rated without a record of meta.rated_only_with (as score_subject)
        cats = sorted({t.categories.index(c) for c in scheme.meta.rated_only_with})
        known = lf.filter(
            pl.col(CAT).is_in(pl.Series(cats, dtype=pl.UInt32).implode())
            & pl.col(EFFECTIVE)
            & (pl.col(OCC) <= at_us)
        )
        out = out.join(known.select("subject").unique(), on="subject", how="semi")
    return out


def _held(holds: Sequence[ReviewHold]) -> pl.Expr:
    """Whether a record falls under a review hold (as :func:`xinyong.core.review.held`)."""
    out = pl.lit(False)
    for h in holds:
        pattern = "(?i)" + "|".join(f"(?:{p})" for p in h.legal_basis_patterns)
        basis = pl.col("legal_basis").cast(pl.String).str.contains(pattern).fill_null(False)
        out = out | (pl.col("category").cast(pl.String).is_in(h.categories) & basis)
    return out


def _years_to(born: pl.Expr, day: date) -> pl.Expr:
    """Whole years from ``born`` to ``day``, as :func:`years_between`."""
    early = (pl.lit(day.month) < born.dt.month()) | (
        (pl.lit(day.month) == born.dt.month()) & (pl.lit(day.day) < born.dt.day())
    )
    return pl.lit(day.year) - born.dt.year().cast(pl.Int32) - early.cast(pl.Int32)


def _covered(
    lf: pl.LazyFrame, scheme: AnyScheme, at: datetime, subjects: pl.Series
) -> pl.LazyFrame:
    """Subjects outside the population the scheme covers get no score, grade or factors
    (as :func:`score_subject`): the one check per distinct subject of ``subjects``, not per
    record, joined onto the scores."""
    pop = scheme.meta.covers
    if pop is None or (pop.persons and pop.organisations and pop.min_age is None):
        return lf
    if subjects.dtype.is_integer():
        return lf  # numbered synthetic subjects, not credit codes: no population rule applies
    day = china_day(at)
    names = subjects.unique()
    text = names.cast(pl.String)
    born = resident_births(text, date.today())  # the common case as columns
    fast = (
        pl.DataFrame({"born": born})
        .with_columns(
            _in=pl.lit(pop.persons)
            & (
                pl.lit(True)
                if pop.min_age is None
                else _years_to(pl.col("born"), day) >= pop.min_age.value
            )
        )["_in"]
        .fill_null(False)
    )
    rest = born.is_null().to_numpy()
    inside = fast.to_numpy(writable=True)
    inside[rest] = [covered(pop, s, day) for s in text.filter(pl.Series(rest)).to_list()]
    table = pl.DataFrame([names, pl.Series("_in", inside, pl.Boolean)]).lazy()
    cols = [c for c in lf.collect_schema().names() if c != "subject"]
    return lf.join(table, on="subject", how="left").select(
        "subject", *(pl.when(pl.col("_in")).then(pl.col(c)).alias(c) for c in cols)
    )
