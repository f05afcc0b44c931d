"""Keys, records and helpers shared by the HTTP tests."""

from __future__ import annotations

import json
import sys
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for factories

from factories import ORG, PERSON, make_record
from xinyong.core.records import Record
from xinyong.core.timeutil import now

with warnings.catch_warnings():  # starlette warns that its test client still uses httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

AGENCY = {"X-API-Key": "agency-secret-1"}
GATE = {"X-API-Key": "gate-secret-1"}
ME = {"X-API-Key": "subject-secret-1", "X-Purpose": "checking my own file"}
OPERATOR = {"X-API-Key": "operator-secret-1"}


KEYS_TOML = f"""
[[key]]
key = "agency-secret-1"
role = "agency"
name = "court-1"
categories = ["court.*", "traffic.violation"]
sources = ["court", "court-1", "traffic-police", "beijing-chaoyang-court", "test-court",
    "market-regulation"]

[[key]]
key = "gate-secret-1"
role = "gate"
name = "rail-ticket-office"

[[key]]
key = "operator-secret-1"
role = "operator"
name = "objections-desk"

[[key]]
key = "subject-secret-1"
role = "subject"
name = "the person"
subject = "{PERSON}"
"""


def listing(subject: str = PERSON, days_ago: int = 30, **overrides: Any) -> Record:
    """A court's listing decision (ground 2: two years on the defaulters list)."""
    t = now().replace(microsecond=0) - timedelta(days=days_ago)
    fields: dict[str, Any] = {
        "subject": subject,
        "category": "court.listing_decision",
        "occurred_at": t,
        "recorded_at": t + timedelta(days=1),
        "source": "beijing-chaoyang-court",
        "legal_basis": "Civil Procedure Law art. 262",
        "evidence": "(2026) 京0105执123号",
        "details": {"ground": 2},
    }
    fields.update(overrides)
    return make_record(**fields)


def jsonl(*records: Record) -> str:
    return "\n".join(json.dumps(r.to_dict(), ensure_ascii=False) for r in records) + "\n"


__all__ = ["AGENCY", "GATE", "ME", "ORG", "PERSON", "TestClient", "jsonl", "listing"]
