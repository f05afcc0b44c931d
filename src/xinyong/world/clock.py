"""Simulated time: calendar months from the scenario's start, instants as epoch seconds.

The world keeps every instant as whole seconds since 1970-01-01 UTC in int64 arrays;
records get aware ``datetime`` objects (UTC) only when they are written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = 86_400


def month_start(start: date, m: int) -> int:
    """Epoch seconds of the first instant of month ``m`` (0-based) of a run from ``start``."""
    first = np.datetime64(start.isoformat(), "M") + np.timedelta64(m, "M")
    return int(first.astype("datetime64[s]").astype(np.int64))


def month_bounds(start: date, m: int) -> tuple[int, int]:
    """``[t0, t1)`` of month ``m`` in epoch seconds."""
    return month_start(start, m), month_start(start, m + 1)


def instant(seconds: int) -> datetime:
    """An aware UTC datetime for epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC)


def month_label(start: date, m: int) -> str:
    """``YYYY-MM`` of month ``m``."""
    return str(np.datetime64(start.isoformat(), "M") + np.timedelta64(m, "M"))


def year_of(seconds: int) -> int:
    return instant(seconds).year


def month_year(start: date, months: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Calendar year of each month number of a run from ``start`` (negative: before it)."""
    first = start.year * 12 + start.month - 1
    out: npt.NDArray[np.int64] = (first + months) // 12
    return out
