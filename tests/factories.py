"""Factories for test records: valid synthetic defaults, override any field.

make_record()                                  # an active traffic record, unique id
make_record(subject=ORG, amount=200.0)
make_correction(original, amount=100.0)        # status correction, refers_to original
write_jsonl(path, [r1, r2]); write_csv(path, [r1, r2])
bulk_records(resident_codes(500), 200_000, "b")  # many valid records over many residents
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from xinyong.core.codes.issue import make_resident_id
from xinyong.core.records import FIELDS, Record, Status
from xinyong.core.timeutil import parse_instant

PERSON = "11010519491231002X"  # a valid resident identity number
ORG = "91110000600037341L"  # a valid unified social credit code
T0 = datetime(2024, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


def make_record(**overrides: Any) -> Record:
    """A valid ``active`` record with a unique id; any field can be overridden.

    Times may be given as ISO text or dates, status as text.
    """
    n = next(_ids)
    fields: dict[str, Any] = {
        "id": f"rec-{n:06d}",
        "subject": PERSON,
        "category": "traffic.violation",
        "occurred_at": T0,
        "recorded_at": T0 + timedelta(days=1),
        "source": "traffic-police",
        "legal_basis": "Road Traffic Safety Law art. 90",
        "evidence": f"ticket-{n}",
        "amount": None,
        "severity": None,
        "status": Status.ACTIVE,
        "refers_to": None,
        "details": {},
    }
    fields.update(overrides)
    for name in ("occurred_at", "recorded_at"):
        if isinstance(fields[name], str | date):
            fields[name] = parse_instant(fields[name])
    fields["status"] = Status(fields["status"])
    return Record(**fields)


def _amend(status: Status, original: Record, overrides: Mapping[str, Any]) -> Record:
    later = original.recorded_at + timedelta(days=1)
    base: dict[str, Any] = {
        "subject": original.subject,
        "category": original.category,
        "occurred_at": original.occurred_at,
        "recorded_at": later,
        "source": original.source,
        "legal_basis": original.legal_basis,
        "status": status,
        "refers_to": original.id,
        "details": dict(original.details),  # a listing's ground, which a correction keeps
    }
    base.update(overrides)
    return make_record(**base)


def make_correction(original: Record, **overrides: Any) -> Record:
    """A correction of ``original`` (same content unless overridden), recorded a day later."""
    return _amend(Status.CORRECTION, original, overrides)


def make_revocation(original: Record, **overrides: Any) -> Record:
    return _amend(Status.REVOCATION, original, overrides)


def make_expiry(original: Record, **overrides: Any) -> Record:
    """An expiry of ``original``; it stops counting at the expiry's ``occurred_at``."""
    return _amend(Status.EXPIRY, original, overrides)


def with_id(record: Record, id: str) -> Record:
    return replace(record, id=id)


def as_row(record: Record) -> dict[str, Any]:
    """The record as a loose input row (JSON object): ``None`` values left out."""
    return {k: v for k, v in record.to_dict().items() if v is not None and v != {}}


def write_jsonl(path: Path, rows: Iterable[Record | Mapping[str, Any] | str]) -> Path:
    """One JSON object a line; a ``str`` item is written as is (for broken lines)."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            if isinstance(row, str):
                f.write(row + "\n")
            else:
                data = as_row(row) if isinstance(row, Record) else dict(row)
                f.write(json.dumps(data, ensure_ascii=False) + "\n")
    return path


def write_csv(
    path: Path, rows: Iterable[Record | Mapping[str, Any]], columns: Iterable[str] = FIELDS
) -> Path:
    """A CSV with a header row; ``details`` as JSON text, missing values as empty cells."""
    cols = list(columns)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for row in rows:
            data = as_row(row) if isinstance(row, Record) else dict(row)
            if isinstance(data.get("details"), dict):
                data["details"] = json.dumps(data["details"], ensure_ascii=False)
            w.writerow(["" if data.get(c) is None else data[c] for c in cols])
    return path


def resident_codes(n: int) -> list[str]:
    """``n`` distinct valid resident identity numbers (born from 1960-01-01 on, 900 a day)."""
    born = date(1960, 1, 1)
    return [
        make_resident_id("110105", born + timedelta(days=i // 900), i % 900 + 1) for i in range(n)
    ]


def bulk_records(codes: list[str], n: int, prefix: str) -> list[Record]:
    """``n`` traffic records over ``codes`` with ids ``{prefix}-00000000`` on, occurred over
    the last 60 days; every tenth subject also has a court listing (ground 2)."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    out = []
    for i in range(n):
        listing = i < len(codes) and i % 10 == 0
        out.append(
            Record(
                id=f"{prefix}-{i:08d}",
                subject=codes[i % len(codes)],
                category="court.listing_decision" if listing else "traffic.violation",
                occurred_at=t0 + timedelta(minutes=i % 10_000),
                recorded_at=t0 + timedelta(days=1, minutes=i % 10_000),
                source="test-court" if listing else "test-police",
                legal_basis="synthetic test record",
                evidence=f"ev-{i}",
                details={"ground": 2} if listing else {},
            )
        )
    return out
