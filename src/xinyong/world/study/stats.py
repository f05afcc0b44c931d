"""The statistics of a study: Gini, concentration index, and t intervals over seeds.

Each seed is one independent replication of the world; a variant's outcome is summarised
by the mean over seeds and the 95 % t interval ``mean +- t(0.975, n-1) * sd / sqrt(n)``.
Differences from the baseline are paired by seed (the same seed gives the same population
and the same random streams to every variant: common random numbers), so the interval of
a difference is the t interval of the per-seed differences.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# t(0.975, df) for df = 1..30 (standard tables), then 40, 60, 120 and infinity.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_T975_TAIL = ((40, 2.021), (60, 2.000), (120, 1.980))
Z975 = 1.960


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (table values;
    linear in 1/df between the tabled 30, 40, 60, 120 and infinity)."""
    if df < 1:
        raise ValueError("a t interval needs at least two seeds")
    if df <= 30:
        return _T975[df - 1]
    points = [(30, _T975[-1]), *_T975_TAIL, (math.inf, Z975)]
    for (d0, t0), (d1, t1) in itertools.pairwise(points):
        if df <= d1:
            x0, x1, x = 1 / d0, (0.0 if math.isinf(d1) else 1 / d1), 1 / df
            return t0 + (t1 - t0) * (x0 - x) / (x0 - x1)
    return Z975


def interval(values: Sequence[float]) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite ``values``: the 95 % t interval of the mean (low
    and high are NaN with fewer than two values)."""
    v = np.asarray([x for x in values if math.isfinite(x)], dtype=np.float64)
    n = int(v.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = t975(n - 1) * float(v.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative values (0: all equal; near 1: one has all)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[np.isfinite(x)]
    n, total = x.size, float(x.sum()) if x.size else 0.0
    if n == 0 or total <= 0:
        return math.nan
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(((2 * ranks - n - 1) * x).sum() / (n * total))


def concentration_index(rate: npt.ArrayLike, weight: npt.ArrayLike) -> float:
    """Concentration index of ``rate`` over groups ordered from poorest to richest, each of
    ``weight`` people: ``C = 2 / mu * sum(f_t * mu_t * R_t) - 1`` with ``f_t`` the group's
    population share, ``mu_t`` its rate and ``R_t`` its fractional rank (the midpoint of
    its cumulative share). C < 0: concentrated among the poor; 0: equal; > 0: the rich."""
    mu_t = np.asarray(rate, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if w.sum() <= 0:
        return math.nan
    f = w / w.sum()
    mu = float((f * mu_t).sum())
    if mu <= 0:
        return math.nan
    r = np.cumsum(f) - f / 2
    return float(2 / mu * (f * mu_t * r).sum() - 1)


def spearman(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Rank correlation (average ranks for ties); NaN when either side is constant."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    rx, ry = _ranks(x[ok]), _ranks(y[ok])
    if rx.size < 2 or rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def _ranks(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    first = np.r_[True, sorted_x[1:] != sorted_x[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], x.size]
    avg = (starts + ends - 1) / 2.0
    out = np.empty(x.size)
    out[order] = avg[group]
    return out
