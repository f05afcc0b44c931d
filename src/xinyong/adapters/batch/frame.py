"""The records frame: credit-file records as Polars columns, and how the batch path reads them.

:func:`records_frame` builds the same columns (names and types) as the record store's
``frame()``. The batch scorer accepts any frame with at least :data:`REQUIRED_COLUMNS`; the
helpers here turn its columns into the integer forms the scorer works on, whatever their
Polars types (``String``, ``Categorical`` or ``Enum`` text; ``Datetime`` of any unit and
time zone, naive meaning UTC, or ``Int64`` microseconds since the epoch).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import polars as pl

from xinyong.core.records import Record, Status
from xinyong.core.timeutil import parse_instant
from xinyong.system.record_store import DEFAULT_FRAME_COLUMNS
from xinyong.system.record_store import FRAME_SCHEMA as STORE_SCHEMA

TIME = pl.Datetime("us", "UTC")

FRAME_SCHEMA: dict[str, pl.DataType] = {c: STORE_SCHEMA[c] for c in DEFAULT_FRAME_COLUMNS}
"""Column types of :func:`records_frame`: those of the record store's ``frame()``."""


REQUIRED_COLUMNS = (
    "id",
    "subject",
    "category",
    "occurred_at",
    "recorded_at",
    "status",
    "refers_to",
)

STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
"""Status codes used by the batch path: the index in this tuple (``active`` is 0)."""

ACTIVE, CORRECTION, REVOCATION, EXPIRY = (STATUSES.index(s.value) for s in Status)

US_PER_DAY = 86_400_000_000
_MAX_LOOKUP = 4_000_000  # largest Categorical mapping turned into a lookup table


def records_frame(records: Iterable[Record]) -> pl.DataFrame:
    """The records as a frame with the columns and types of :data:`FRAME_SCHEMA`.

    Times are UTC instants with microsecond precision; ``details`` is canonical JSON text
    (keys sorted, compact).
    """
    cols: dict[str, list[object]] = {name: [] for name in FRAME_SCHEMA}
    for r in records:
        cols["id"].append(r.id)
        cols["subject"].append(r.subject)
        cols["category"].append(r.category)
        cols["occurred_at"].append(r.occurred_at.astimezone(UTC))
        cols["recorded_at"].append(r.recorded_at.astimezone(UTC))
        cols["source"].append(r.source)
        cols["legal_basis"].append(r.legal_basis)
        cols["evidence"].append(r.evidence)
        cols["amount"].append(r.amount)
        cols["severity"].append(r.severity)
        cols["status"].append(r.status.value)
        cols["refers_to"].append(r.refers_to)
        cols["ingested_at"].append(r.accepted_at)
        cols["details"].append(
            json.dumps(dict(sorted(r.details.items())), ensure_ascii=False, separators=(",", ":"))
        )
    return pl.DataFrame(cols, schema=FRAME_SCHEMA)


ACCEPTED = "ingested_at"
"""The column of the instant the store accepted a record (null, or absent: a record no store
accepted, known from its ``recorded_at``, as :attr:`Record.known_from`)."""


def known_by(schema: pl.Schema, known_at: datetime | None) -> pl.Expr:
    """Whether a row was held by the store at ``known_at`` (accepted by then; ``None``: the
    latest knowledge, every row), as :func:`xinyong.core.records.known_by`."""
    if known_at is None:
        return pl.lit(True)
    recorded = micros("recorded_at", schema["recorded_at"])
    if ACCEPTED in schema:
        recorded = micros(ACCEPTED, schema[ACCEPTED]).fill_null(recorded)
    since = recorded
    return since <= instant_us(known_at)


def check_columns(schema: pl.Schema) -> None:
    """Raise ``ValueError`` naming the missing columns if the frame cannot be scored."""
    missing = [c for c in REQUIRED_COLUMNS if c not in schema]
    if missing:
        raise ValueError(
            f"the records frame lacks column(s) {', '.join(missing)}; "
            f"it needs at least {', '.join(REQUIRED_COLUMNS)}"
        )


def codes(name: str, dtype: pl.DataType, values: Sequence[str]) -> pl.Expr:
    """Column ``name`` as UInt32 codes: the index of its text in ``values``, else len(values).

    Nulls also get ``len(values)``. ``Enum`` and ``Categorical`` columns are mapped through
    a lookup table on their physical codes (no text is hashed per row); other types go
    through a non-strict cast to an ``Enum``.
    """
    other = len(values)
    col = pl.col(name)
    names: list[str | None] | None = None
    if isinstance(dtype, pl.Enum):
        names = dtype.categories.to_list()
    elif isinstance(dtype, pl.Categorical):
        mapping = dtype.categories.to_series()  # index = physical code
        names = mapping.to_list() if mapping.len() <= _MAX_LOOKUP else None
    if names is not None:
        index = {v: i for i, v in enumerate(values)}
        lut = [index.get(c, other) if c is not None else other for c in names]
        if lut == list(range(other)):
            return col.to_physical().cast(pl.UInt32).fill_null(other)
        table = pl.Series(lut, dtype=pl.UInt32)
        return pl.lit(table).gather(col.to_physical()).fill_null(other)
    if not isinstance(dtype, pl.String | pl.Categorical):
        col = col.cast(pl.String)
    as_enum = col.cast(pl.Enum(list(values)), strict=False)
    return as_enum.to_physical().cast(pl.UInt32).fill_null(other)


def equals(name: str, dtype: pl.DataType, value: str) -> pl.Expr:
    """``name == value`` for a text column of any type (false where null)."""
    if isinstance(dtype, pl.Enum) and value not in dtype.categories.to_list():
        return pl.repeat(False, pl.len())
    col = (
        pl.col(name)
        if isinstance(dtype, pl.String | pl.Categorical | pl.Enum)
        else (pl.col(name).cast(pl.String))
    )
    return (col == value).fill_null(False)


def micros(name: str, dtype: pl.DataType) -> pl.Expr:
    """Column ``name`` as Int64 microseconds since 1970-01-01T00:00Z."""
    if isinstance(dtype, pl.Datetime):
        return pl.col(name).dt.epoch("us")
    if isinstance(dtype, pl.Date):
        return pl.col(name).cast(pl.Int64) * US_PER_DAY
    if dtype.is_integer():
        return pl.col(name).cast(pl.Int64)
    raise TypeError(f"column {name!r} must be a Datetime (or Int64 microseconds), got {dtype}")


def instant_us(t: datetime) -> int:
    """``t`` (naive means UTC) as microseconds since the epoch, exactly."""
    u = parse_instant(t)
    delta = u - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
