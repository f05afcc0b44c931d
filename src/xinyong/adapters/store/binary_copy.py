"""Arrow columns into PostgreSQL by binary COPY: encoded by pgpq (in Rust), so the server
parses no text and this process builds no row objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pgpq
import polars as pl
from psycopg.copy import QueuedLibpqWriter


def copy_frame(
    cur: Any, sql: str, frame: pl.DataFrame, meanwhile: Callable[[], None] | None = None
) -> None:
    """``COPY ... FROM STDIN (FORMAT binary)`` (``sql``) of ``frame``'s columns, in the
    order the statement names them. With ``meanwhile``, psycopg sends the data from a
    thread of its own and ``meanwhile`` runs here while the server inserts."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string: pgpq reads it
    encoder = pgpq.ArrowToPostgresBinaryEncoder(table.schema)
    writer = QueuedLibpqWriter(cur) if meanwhile is not None else None
    with cur.copy(sql, writer=writer) as copy:
        copy.write(encoder.write_header())
        for batch in table.to_batches():
            copy.write(encoder.write_batch(batch))
        copy.write(encoder.finish())
        if meanwhile is not None:
            meanwhile()
