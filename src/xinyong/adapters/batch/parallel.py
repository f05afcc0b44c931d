"""Bucket tasks on one or more worker processes, and what memory they took.

With ``workers > 1`` the tasks run in a pool of *spawned* processes (Polars must not be
forked), each told to use ``cores // workers`` Polars threads so that the workers share the
machine's cores instead of fighting over them.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """The peak resident memory of this process (or its reaped children), in MiB."""
    rss = resource.getrusage(who).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20


def run_tasks(fn: Callable[[T], R], tasks: Iterable[T], workers: int = 1) -> Iterator[R]:
    """``fn`` over ``tasks``, results as they finish (in task order when ``workers == 1``).

    ``fn`` must be a module-level function and tasks picklable when ``workers > 1``.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers == 1:
        yield from map(fn, tasks)
        return
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    before = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = threads  # read by each worker when it imports Polars
    try:
        pool = multiprocessing.get_context("spawn").Pool(workers)  # starts them all now
    finally:
        if before is None:
            del os.environ["POLARS_MAX_THREADS"]
        else:
            os.environ["POLARS_MAX_THREADS"] = before
    try:
        yield from pool.imap_unordered(fn, tasks)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
