"""The batch scorer on Spark: every subject's records in one partition, scored there by
:func:`~xinyong.adapters.batch.score.score_population`.

The scheme is compiled on each worker by the same code the embedded engine uses; the driver
only checks the input, works out the result's columns (by scoring an empty frame) and wires
the partitions to the scorer.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from xinyong.adapters.batch.frame import ACCEPTED, REQUIRED_COLUMNS, records_frame
from xinyong.adapters.batch.score import score_population
from xinyong.core.schemes.model import AnyScheme
from xinyong.core.scoring.engine import version_in_force

TEXT_COLUMNS = ("id", "category", "status", "refers_to")
TIME_COLUMNS = ("occurred_at", "recorded_at")
_TIME_TYPES = (T.TimestampType, T.TimestampNTZType, T.DateType, T.LongType, T.IntegerType)


def check_input(schema: T.StructType) -> None:
    """Raise ``ValueError`` saying which required column is missing or of the wrong type."""
    names = set(schema.fieldNames())
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValueError(
            f"the records lack column(s) {', '.join(missing)}; they need at least "
            f"{', '.join(REQUIRED_COLUMNS)} (as the record store's frame has them)"
        )
    for c in TIME_COLUMNS:
        t = schema[c].dataType
        if not isinstance(t, _TIME_TYPES):
            raise ValueError(
                f"column {c!r} is {t.simpleString()}; it must be a timestamp (or a date, or "
                "integer microseconds since 1970-01-01 UTC)"
            )
    for c in TEXT_COLUMNS:
        t = schema[c].dataType
        if not isinstance(t, T.StringType | T.NullType) and not (
            c in ("id", "refers_to") and isinstance(t, T.IntegralType)
        ):
            raise ValueError(f"column {c!r} is {t.simpleString()}; it must be a string")


def result_schema(
    scheme: AnyScheme, at: datetime, known_at: datetime | None, subject: T.DataType
) -> T.StructType:
    """The columns :func:`score_population` gives for ``scheme`` at ``at`` as a Spark schema
    (``subject`` keeps its input type; ``score`` and factors are longs, ``grade`` a string).
    Raises ``NoVersionInForce`` like the scorer."""
    empty = score_population(scheme, records_frame([]), at, known_at)
    fields = [T.StructField("subject", subject)]
    for name, dtype in empty.schema.items():
        if name == "subject":
            continue
        if dtype not in (pl.String, pl.Int64):
            raise TypeError(f"result column {name} is {dtype}; expected String or Int64")
        spark_type: T.DataType = T.StringType() if dtype == pl.String else T.LongType()
        fields.append(T.StructField(name, spark_type))
    return T.StructType(fields)


@dataclass(frozen=True, slots=True)
class ScorePartition:
    """What each Spark task runs: its partition's Arrow batches -> one Polars frame ->
    :func:`score_population` -> Arrow batches. Pickled to the workers with the scheme."""

    scheme: AnyScheme
    at: datetime
    known_at: datetime | None
    columns: tuple[str, ...]

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        got = list(batches)
        if not got:
            return
        frame = pl.from_arrow(got)
        assert isinstance(frame, pl.DataFrame)
        scored = score_population(self.scheme, frame, self.at, self.known_at)
        yield from scored.select(self.columns).to_arrow().to_batches()


def score_spark(
    records: DataFrame,
    scheme: AnyScheme,
    at: datetime,
    known_at: datetime | None = None,
    *,
    partitions: int | None = None,
) -> DataFrame:
    """Score every subject of ``records`` (a Spark DataFrame with the required columns) under
    ``scheme`` at ``at``, with what the store held at ``known_at`` (accepted by then: the
    ``ingested_at`` column when there is one, else ``recorded_at``; ``None``: the latest
    knowledge, every row): the same rows :func:`score_population` gives
    (one per subject; ``subject``, ``score``, ``grade`` and, for scorecards,
    ``factor_<id>``). Lazy, like any Spark DataFrame.

    ``partitions``: how many partitions the records are shuffled into (default
    ``spark.sql.shuffle.partitions``). Each is scored in one Polars frame on one worker, so
    pick enough that a partition fits in a worker's memory (a few million records each).
    """
    check_input(records.schema)
    version_in_force(scheme, at)  # NoVersionInForce here, not in a worker
    schema = result_schema(scheme, at, known_at, records.schema["subject"].dataType)
    accepted = [ACCEPTED] if known_at is not None and ACCEPTED in records.columns else []
    needed = records.select(*REQUIRED_COLUMNS, *accepted)
    shuffled = (
        needed.repartition(partitions, "subject")
        if partitions is not None
        else needed.repartition("subject")
    )
    fn = ScorePartition(scheme, at, known_at, tuple(schema.fieldNames()))
    return map_in_arrow(shuffled, fn, schema)


def map_in_arrow(
    df: DataFrame, fn: Callable[[Iterator[Any]], Iterator[Any]], schema: T.StructType
) -> DataFrame:
    """``df.mapInArrow(fn, schema)``: an Arrow map, no pandas conversion of the data.

    PySpark checks that pandas is importable before any Arrow UDF (the ``spark`` extra
    installs ``pyspark[sql]``, which brings it); say how to fix it if it is missing.
    """
    if importlib.util.find_spec("pandas") is None:
        raise RuntimeError(
            "PySpark's mapInArrow needs pandas installed; install xinyong with the spark "
            "extra (pip install 'xinyong[spark]'), which depends on pyspark[sql]"
        )
    return df.mapInArrow(fn, schema)
