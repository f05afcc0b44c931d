"""What a score is made of: every record that counted, and every one that did not, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xinyong.core.scoring.explanation import (
    Adjustment,
    DecidedBy,
    FactorValue,
    adjustment_from_dict,
    decided_by_from_dict,
    decided_by_to_dict,
)
from xinyong.core.timeutil import iso, parse_instant, version_start


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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], counted: bool) -> Item:
        """The inverse of :meth:`to_dict` (which leaves out whether the item counted)."""
        return cls(
            record_id=d["record_id"],
            category=d["category"],
            occurred_at=parse_instant(d["occurred_at"]),
            source=d["source"],
            points=d["points"],
            rule=d["rule"],
            legal_basis=d["legal_basis"],
            record_basis=d["record_basis"],
            expires_at=None if d["expires_at"] is None else parse_instant(d["expires_at"]),
            version=d["rule_version"],
            factor=d.get("factor"),
            counted=counted,
            note=d.get("note", ""),
        )


@dataclass(frozen=True, slots=True)
class ScoreResult:
    subject: str
    scheme: str
    kind: str
    version: str
    at: datetime
    known_at: datetime | None
    """What the store held then (``None``: the latest knowledge)."""
    score: int | None
    grade: str | None
    base: int | None
    items: list[Item]
    ignored: list[Item]
    decided_by: DecidedBy
    adjustments: list[Adjustment] = field(default_factory=list)
    factors: list[FactorValue] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    covers: str = ""
    """Whom the scheme covers (empty: the scheme does not say)."""
    not_scored: str | None = None
    """Why the subject is outside the population the scheme covers (then no score, no grade)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "scheme": self.scheme,
            "kind": self.kind,
            "scheme_version": self.version,
            "scheme_version_takes_effect": version_start(date.fromisoformat(self.version)),
            "at": iso(self.at),
            "known_at": None if self.known_at is None else iso(self.known_at),
            "score": self.score,
            "grade": self.grade,
            "explanation": {
                "base": self.base,
                "counted": [i.to_dict() for i in self.items],
                "adjustments": [a.to_dict() for a in self.adjustments],
                "factors": [f.to_dict() for f in self.factors],
                "grade_decided_by": decided_by_to_dict(self.decided_by),
                "not_counted": [i.to_dict() for i in self.ignored],
                **({"covers": self.covers} if self.covers else {}),
                **({"not_scored": self.not_scored} if self.not_scored else {}),
            },
            "unverified_parameters": self.unverified,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScoreResult:
        """The inverse of :meth:`to_dict`."""
        x = d["explanation"]
        return cls(
            subject=d["subject"],
            scheme=d["scheme"],
            kind=d["kind"],
            version=d["scheme_version"],
            at=parse_instant(d["at"]),
            known_at=None if d["known_at"] is None else parse_instant(d["known_at"]),
            score=d["score"],
            grade=d["grade"],
            base=x["base"],
            items=[Item.from_dict(i, True) for i in x["counted"]],
            ignored=[Item.from_dict(i, False) for i in x["not_counted"]],
            decided_by=decided_by_from_dict(x["grade_decided_by"]),
            adjustments=[adjustment_from_dict(a) for a in x["adjustments"]],
            factors=[FactorValue.from_dict(f) for f in x["factors"]],
            unverified=list(d["unverified_parameters"]),
            covers=x.get("covers", ""),
            not_scored=x.get("not_scored"),
        )
