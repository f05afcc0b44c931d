"""Running a study: plan the tasks, skip those done, run the rest, gather the results.

Results on disk, under the output folder::

    runs/<task key>.parquet   one run's outcomes (written whole, then renamed into place)
    results.parquet, .csv     every run's outcomes: study, variant, seed, outcome, group, value
    summary.parquet, .csv     per variant and outcome: mean, 95 % interval, difference from
                              the baseline with its interval (paired by seed)
    report.html               the study report

Runs are independent tasks. ``mapper`` runs them: the default is a local process pool
(``workers`` processes, spawned, so no process inherits another's threads); the command
line passes a Spark mapper for ``--master``. Either way the results are the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import polars as pl

from xinyong.world.study.spec import Study
from xinyong.world.study.tasks import RESULT_SCHEMA, Task, run_task

Mapper = Callable[[list[Task]], Iterator[tuple[Task, bytes]]]
"""Runs tasks (in any order), yielding each task with its result bytes as it finishes."""
Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)``."""


def plan(study: Study) -> list[Task]:
    return [
        Task(study.name, v.name, seed, v.scenario, study.peer_ratings)
        for v in study.variants
        for seed in study.seeds
    ]


def local_mapper(workers: int) -> Mapper:
    def run(tasks: list[Task]) -> Iterator[tuple[Task, bytes]]:
        if workers <= 1:
            for t in tasks:
                yield t, run_task(t)
            return
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(run_task, t): t for t in tasks}
            for f in as_completed(futures):
                yield futures[f], f.result()

    return run


def result_path(out: Path, task: Task) -> Path:
    return out / "runs" / f"{task.key}.parquet"


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def run_study(
    study: Study,
    out: Path,
    *,
    mapper: Mapper | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> tuple[pl.DataFrame, int]:
    """Run every task not yet done; (all results, runs done now)."""
    tasks = plan(study)
    todo = [t for t in tasks if not result_path(out, t).is_file()]
    total, done = len(tasks), len(tasks) - len(todo)
    if progress is not None:
        progress(done, total)
    if todo:
        run = mapper or local_mapper(max(1, min(workers, len(todo))))
        for task, data in run(todo):
            _save(result_path(out, task), data)
            done += 1
            if progress is not None:
                progress(done, total)
    return gather(out, tasks), len(todo)


def gather(out: Path, tasks: Iterable[Task]) -> pl.DataFrame:
    """The results of ``tasks`` in plan order, relabelled with the tasks' current names."""
    frames = []
    for t in tasks:
        f = pl.read_parquet(result_path(out, t))
        frames.append(
            f.with_columns(
                study=pl.lit(t.study), variant=pl.lit(t.variant), seed=pl.lit(t.seed, pl.Int64)
            )
        )
    if not frames:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat(frames).select(list(RESULT_SCHEMA)).cast(RESULT_SCHEMA)  # type: ignore[arg-type]


def write_tables(out: Path, results: pl.DataFrame, summary: pl.DataFrame) -> list[Path]:
    """The tidy results and the summary, each as Parquet and CSV."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (("results", results), ("summary", summary)):
        frame.write_parquet(out / f"{name}.parquet")
        frame.write_csv(out / f"{name}.csv")
        paths += [out / f"{name}.parquet", out / f"{name}.csv"]
    return paths
