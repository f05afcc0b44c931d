"""Reading credit-file records into Spark: Parquet as it is, JSONL through the record parser.

Parquet (a file or a directory of part files, e.g. the record store's ``frame()`` written
with ``write_parquet``) is read by Spark directly. JSONL (one JSON object a line, the format
``xinyong ingest`` takes) is read as text and each line goes through
:meth:`xinyong.core.records.Record.from_dict`, the parser and validator ingestion uses, so
times and fields mean exactly what they mean everywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from xinyong.adapters.batch.frame import REQUIRED_COLUMNS, records_frame
from xinyong.adapters.spark.score import map_in_arrow
from xinyong.core.errors import InvalidRecord
from xinyong.core.records import Record

FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""Accepted inputs by extension (a directory is read as Parquet part files)."""

RECORD_SCHEMA = T.StructType(
    [
        T.StructField("id", T.StringType()),
        T.StructField("subject", T.StringType()),
        T.StructField("category", T.StringType()),
        T.StructField("occurred_at", T.TimestampType()),
        T.StructField("recorded_at", T.TimestampType()),
        T.StructField("status", T.StringType()),
        T.StructField("refers_to", T.StringType()),
    ]
)
"""The columns the JSONL reader gives (those the scorer needs)."""


def input_format(path: str) -> str:
    """``"parquet"`` or ``"jsonl"`` for ``path``; ``ValueError`` saying what is accepted."""
    p = Path(path)
    if "://" not in path and p.is_dir():
        return "parquet"
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"records {path!r}: unknown input type {p.suffix or '(no extension)'!r}; accepted: "
            + ", ".join(FORMATS)
            + " or a directory of Parquet files"
        )
    return fmt


def read_records(spark: SparkSession, path: str) -> DataFrame:
    """The records at ``path`` (see :data:`FORMATS`) as a Spark DataFrame."""
    if input_format(path) == "parquet":
        return spark.read.parquet(path)
    lines = spark.read.text(path).select("value", "_metadata.file_path")
    return map_in_arrow(lines, parse_lines, RECORD_SCHEMA)


def parse_lines(batches: Iterator[Any]) -> Iterator[Any]:
    """Arrow batches of (line, file) -> Arrow batches of :data:`RECORD_SCHEMA` records."""
    for batch in batches:
        lines = batch.column(0).to_pylist()
        files = batch.column(1).to_pylist()
        parsed = (_parse(line, file) for line, file in zip(lines, files, strict=True) if line)
        records = [r for r in parsed if r is not None]
        if records:
            frame = records_frame(records).select(
                pl.col(c).cast(pl.String) if c in ("category", "status") else pl.col(c)
                for c in REQUIRED_COLUMNS
            )  # Spark takes no Arrow dictionaries (Polars' Categorical)
            yield from frame.to_arrow().to_batches()


def _parse(line: str, file: str) -> Record | None:
    if not line.strip():
        return None
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise InvalidRecord(f"must be a JSON object {{...}}, got {type(data).__name__}")
        return Record.from_dict(data)
    except (json.JSONDecodeError, InvalidRecord) as e:
        text = line if len(line) <= 80 else line[:77] + "..."
        raise InvalidRecord(f"{file}: the line {text!r}: {e}") from None


__all__ = ["RECORD_SCHEMA", "parse_lines", "read_records"]
