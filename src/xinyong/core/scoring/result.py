"""What a score is made of: every record that counted, and every one that did not, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xinyong.core.timeutil import iso


@dataclass(frozen=True, slots=True)
class Item:
    """One record's contribution (or non-contribution) to a score."""

    record_id: str
    category: str
    occurred_at: datetime
    source: str
    points: int  # after caps; 0 when not counted
    rule: str  # the rule's published description, or why it did not count
    legal_basis: str  # of the rule (the record's own basis is in ``record_basis``)
    record_basis: str
    expires_at: datetime | None
    version: str | None  # effective_from of the version whose rule applied
    factor: str | None = None
    counted: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "record_id": self.record_id,
            "category": self.category,
            "occurred_at": iso(self.occurred_at),
            "source": self.source,
            "points": self.points,
            "rule": self.rule,
            "legal_basis": self.legal_basis,
            "record_basis": self.record_basis,
            "expires_at": iso(self.expires_at) if self.expires_at else None,
            "rule_version": self.version,
        }
        if self.factor is not None:
            d["factor"] = self.factor
        if self.note:
            d["note"] = self.note
        return d


@dataclass(frozen=True, slots=True)
class ScoreResult:
    subject: str
    scheme: str
    kind: str
    version: str
    at: datetime
    known_at: datetime
    score: int | None
    grade: str | None
    base: int | None
    items: list[Item]
    ignored: list[Item]
    decided_by: dict[str, Any]
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    factors: list[dict[str, Any]] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "scheme": self.scheme,
            "kind": self.kind,
            "scheme_version": self.version,
            "at": iso(self.at),
            "known_at": iso(self.known_at),
            "score": self.score,
            "grade": self.grade,
            "explanation": {
                "base": self.base,
                "counted": [i.to_dict() for i in self.items],
                "adjustments": self.adjustments,
                "factors": self.factors,
                "grade_decided_by": self.decided_by,
                "not_counted": [i.to_dict() for i in self.ignored],
            },
            "unverified_parameters": self.unverified,
        }
