"""Arrow columns into PostgreSQL by binary COPY: encoded by pgpq (in Rust), so the server
parses no text and this process builds no row objects."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

import pgpq
import polars as pl
from psycopg.copy import QueuedLibpqWriter


class FrameCopy:
    """One ``COPY ... FROM STDIN (FORMAT binary)`` (``sql``) fed frame by frame: each
    frame's columns, in the order the statement names them, are encoded and queued, and
    psycopg sends them from a thread of its own, so the server inserts one frame while
    this process makes the next. Opened at the first frame (nothing is sent for none);
    leaving the block ends the COPY and waits for the server's answer (an error in any row
    is raised there), or, on an exception, cancels it and lets that exception go on (not
    an error the server may have raised about the rows sent so far: the caller's exception
    is the one to act on)."""

    def __init__(self, cur: Any, sql: str) -> None:
        self._cur = cur
        self._sql = sql
        self._block: Any = None  # psycopg's copy context, once opened
        self._copy: Any = None
        self._encoder: Any = None
        self._schema: Any = None  # the Arrow schema of the first frame
        self.rows = 0

    def __enter__(self) -> FrameCopy:
        return self

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string: pgpq
        if self._schema is None:
            self._schema = table.schema
            self._encoder = pgpq.ArrowToPostgresBinaryEncoder(table.schema)
            self._block = self._cur.copy(self._sql, writer=QueuedLibpqWriter(self._cur))
            self._copy = self._block.__enter__()
            self._copy.write(self._encoder.write_header())
        elif table.schema != self._schema:  # e.g. a column all null in this frame
            table = table.cast(self._schema)
        for batch in table.to_batches():
            self._copy.write(self._encoder.write_batch(batch))
        self.rows += frame.height

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._block is None:
            return
        block, self._block = self._block, None
        if t is not None:  # cancel; what the block raised is what the caller sees
            with contextlib.suppress(Exception):  # e.g. a row the server refused meanwhile
                block.__exit__(t, e, tb)
            return
        try:
            self._copy.write(self._encoder.finish())
        except BaseException as failed:  # the COPY is ended (cancelled) all the same
            block.__exit__(type(failed), failed, failed.__traceback__)
            raise
        block.__exit__(None, None, None)


def copy_frame(cur: Any, sql: str, frame: pl.DataFrame) -> None:
    """``COPY ... FROM STDIN (FORMAT binary)`` (``sql``) of ``frame``'s columns, in the
    order the statement names them."""
    with FrameCopy(cur, sql) as copy:
        copy.write(frame)
