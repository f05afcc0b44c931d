"""The three engine entry points the world drives, in one place.

* :func:`ingest`: the engine's real ingest path (``xinyong.system.ingest.ingest_records``),
  one atomic batch per call;
* :func:`records_frame`: the columnar form of records the batch scorer reads;
* :func:`score_population`: the batch scorer (``xinyong.adapters.batch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from xinyong.adapters.batch import records_frame as build_frame
from xinyong.adapters.batch import score_population as batch_score
from xinyong.adapters.store import RecordStore
from xinyong.core.errors import XinyongError
from xinyong.core.records import Record
from xinyong.core.scoring.engine import AnyScheme
from xinyong.system.admission import ingest_records


def ingest(store: RecordStore, records: Sequence[Record], known: frozenset[str] | None) -> int:
    """Append ``records`` as one atomic batch; returns how many were inserted (all of them:
    the world never sends an id twice, so a skipped duplicate is a bug worth stopping for)."""
    report = ingest_records(store, records, known_categories=known)
    if report.inserted != len(records):
        raise XinyongError(
            f"the store skipped {len(records) - report.inserted} of {len(records)} records "
            "as already stored; the world must issue every record id once"
        )
    return report.inserted


def records_frame(records: Sequence[Record]) -> pl.DataFrame:
    return build_frame(records)


def score_population(scheme: AnyScheme, frame: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """(subject, score, grade) for every subject in ``frame``, known at ``at``."""
    return batch_score(scheme, frame, at, at)
