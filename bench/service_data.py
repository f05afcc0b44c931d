"""The service benchmark's data and keys: synthetic resident codes, traffic records with a
court listing for every tenth subject, the API keys the two servers accept, the gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from xinyong.core.codes.issue import make_resident_id
from xinyong.core.records import Record, Status

KEYS = """
[[key]]
key = "bench-agency-key"
role = "agency"
name = "bench-agency"
categories = ["*"]
sources = ["bench-court", "bench-police"]

[[key]]
key = "bench-gate-key"
role = "gate"
name = "bench-gate"
"""
GATE = "rail.g-train"
HEADERS = {"X-API-Key": "bench-gate-key"}


def subjects(n: int) -> list[str]:
    born = date(1960, 1, 1)
    return [
        make_resident_id("110105", born + timedelta(days=i // 900), i % 900 + 1) for i in range(n)
    ]


def records(codes: list[str], n: int, prefix: str) -> list[Record]:
    """``n`` traffic records over ``codes``; every tenth subject also has a court listing."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    out = []
    for i in range(n):
        subject = codes[i % len(codes)]
        listing = i < len(codes) and i % 10 == 0
        out.append(
            Record(
                id=f"{prefix}-{i:08d}",
                subject=subject,
                category="court.listing_decision" if listing else "traffic.violation",
                occurred_at=t0 + timedelta(minutes=i % 10_000),
                recorded_at=t0 + timedelta(days=1, minutes=i % 10_000),
                source="bench-court" if listing else "bench-police",
                legal_basis="synthetic benchmark record",
                evidence=f"ev-{i}",
                amount=None,
                severity=None,
                status=Status.ACTIVE,
                refers_to=None,
                details={"ground": 2} if listing else {},
            )
        )
    return out
