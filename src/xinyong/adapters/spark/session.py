"""A Spark session configured for the rescoring job: UTC, quiet, local defaults for tests."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession


def spark_session(
    master: str | None = None,
    *,
    app_name: str = "xinyong-rescore",
    shuffle_partitions: int | None = None,
) -> SparkSession:
    """Get (or create) the Spark session, with the settings the job relies on.

    ``master``: e.g. ``local[2]`` or ``spark://host:7077``; ``None`` leaves it to
    ``spark-submit`` (which defaults to ``local[*]``). Session time zone is UTC (times are
    instants either way; this only fixes how Spark prints them), the web UI and the console
    progress bar are off, the log level is WARN. In local mode the Python workers are this
    interpreter (so they import the same xinyong and Polars) and the driver binds to
    127.0.0.1.
    """
    b = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master is not None:
        b = b.master(master)
    if shuffle_partitions is not None:
        b = b.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if master is not None and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        b = (
            b.config("spark.pyspark.python", sys.executable)
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
        )
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
