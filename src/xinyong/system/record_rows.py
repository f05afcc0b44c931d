"""The row form of a stored record, as the fast gate reads return it
(:class:`~xinyong.system.ports.GateReads`): the record fields in ``FIELDS`` order, times as
microseconds since the epoch (UTC), ``details`` as canonical JSON text, then the content hash,
then the instant the store accepted the record (``ingested_at``, microseconds, the store's
clock).

Pure: turning a row into a :class:`~xinyong.core.records.Record` and times into microseconds
and back, the same way for every backend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from xinyong.core.records import Record, Status

OCCURRED_US = 3
"""Position of ``occurred_at`` (microseconds) in a row."""
RECORDED_US = 4
"""Position of ``recorded_at`` (microseconds) in a row."""
CONTENT_HASH = 13
"""Position of the content hash in a row (after the record's fields)."""
ACCEPTED_US = 14
"""Position of the acceptance instant (microseconds, the store's clock) in a row."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
STATUS = {s.value: s for s in Status}
"""Status by its stored text (faster than ``Status(text)`` on hot paths)."""


def to_micros(t: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (t - EPOCH) // _US


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def record_of(row: Sequence[Any]) -> Record:
    """The record in a row (the fields in ``FIELDS`` order, then optionally the content hash
    and the acceptance instant; anything after them is ignored)."""
    accepted = row[ACCEPTED_US] if len(row) > ACCEPTED_US else None
    (id_, subject, category, occ, rec, source, basis, evidence, amount, severity, status) = row[:11]
    return Record(
        id=id_,
        subject=subject,
        category=category,
        occurred_at=from_micros(occ),
        recorded_at=from_micros(rec),
        source=source,
        legal_basis=basis,
        evidence=evidence,
        amount=amount,
        severity=severity,
        status=STATUS[status],
        refers_to=row[11],
        details={} if row[12] == "{}" else json.loads(row[12]),
        accepted_at=None if accepted is None else from_micros(accepted),
    )
