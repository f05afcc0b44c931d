"""A study's runs as Spark tasks, for ``xinyong study --master``: one partition per run,
each calling the same :func:`xinyong.world.study.tasks.run_task` the local pool calls, so
the results are the same bytes. The driver collects the results as they finish and saves
them. (Here, not under adapters: adapters do not import the world.)"""

from __future__ import annotations

from collections.abc import Iterator

from xinyong.adapters.spark.session import spark_session
from xinyong.world.study.execute import Mapper
from xinyong.world.study.tasks import Task, run_task


def _run(task: Task) -> tuple[Task, bytes]:
    return task, run_task(task)


def spark_mapper(master: str | None) -> Mapper:
    """Run tasks on the Spark cluster at ``master`` (e.g. ``local[2]``)."""

    def run(tasks: list[Task]) -> Iterator[tuple[Task, bytes]]:
        if not tasks:
            return
        spark = spark_session(master, app_name="xinyong-study")
        rdd = spark.sparkContext.parallelize(tasks, numSlices=len(tasks)).map(_run)
        yield from rdd.toLocalIterator()

    return run
