"""Timing helpers shared by the benchmarks: best of several runs, peak memory."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_of(fn: Callable[[], T], runs: int, warm_up: bool = True) -> tuple[float, T]:
    """The shortest of ``runs`` timed calls (after an untimed one), and the last result."""
    result = fn() if warm_up else None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    assert result is not None
    return min(times), result


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20
