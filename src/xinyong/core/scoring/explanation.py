"""The typed parts of a score's explanation: adjustments, factor values, how the grade was
decided. Each is a frozen value with ``to_dict()`` (its published JSON form, unchanged from
when these were plain dictionaries) and a ``from_dict`` that reads that form back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from xinyong.core.timeutil import iso, parse_instant


@dataclass(frozen=True, slots=True)
class Cap:
    """A category's total was limited by the cap of its rule."""

    category: str
    raw_total: int
    capped_total: int
    points: int  # capped_total - raw_total
    rule: str
    legal_basis: str
    kind: Literal["cap"] = "cap"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": self.category,
            "raw_total": self.raw_total,
            "capped_total": self.capped_total,
            "points": self.points,
            "rule": self.rule,
            "legal_basis": self.legal_basis,
        }


@dataclass(frozen=True, slots=True)
class Clamp:
    """The total was raised to the floor or lowered to the ceiling."""

    raw_total: int
    points: int
    floor: int | None
    ceiling: int | None
    kind: Literal["clamp"] = "clamp"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "raw_total": self.raw_total,
            "points": self.points,
            "floor": self.floor,
            "ceiling": self.ceiling,
        }


@dataclass(frozen=True, slots=True)
class FactorAbsent:
    """Points earned for a factor that the version in force no longer has count nowhere."""

    category: str
    factor: str | None
    points: int
    rule: str
    kind: Literal["factor_absent"] = "factor_absent"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": self.category,
            "factor": self.factor,
            "points": self.points,
            "rule": self.rule,
        }


Adjustment = Cap | Clamp | FactorAbsent
_ADJUSTMENTS: dict[str, type[Cap] | type[Clamp] | type[FactorAbsent]] = {
    "cap": Cap,
    "clamp": Clamp,
    "factor_absent": FactorAbsent,
}


def adjustment_from_dict(d: Mapping[str, Any]) -> Adjustment:
    """An adjustment from its dictionary (its ``kind`` says which)."""
    return _ADJUSTMENTS[d["kind"]](**d)


@dataclass(frozen=True, slots=True)
class FactorValue:
    """A scorecard factor at the moment scored: its base plus its points, clamped to 0..1000."""

    id: str
    title: str
    weight: int
    base: int
    points: int
    value: int
    excluded_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "weight": self.weight,
            "base": self.base,
            "points": self.points,
            "value": self.value,
            "excluded_reason": self.excluded_reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FactorValue:
        return cls(**d)


@dataclass(frozen=True, slots=True)
class BandDecision:
    """The band the score fell in (``min`` is None for the lowest band)."""

    grade: str
    min: int | None
    confidence: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"grade": self.grade, "min": self.min, "confidence": self.confidence}


@dataclass(frozen=True, slots=True)
class OverrideDecision:
    """A record whose category caps the grade, and until when it does."""

    record_id: str
    category: str
    max_grade: str
    rule: str
    legal_basis: str
    until: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "category": self.category,
            "max_grade": self.max_grade,
            "rule": self.rule,
            "legal_basis": self.legal_basis,
            "until": iso(self.until),
        }


@dataclass(frozen=True, slots=True)
class AssignmentDecision:
    """A record whose category set the grade whatever the band (the tax rating's M), until
    when it does, and the least score it needed (if any)."""

    record_id: str
    category: str
    grade: str
    rule: str
    legal_basis: str
    until: datetime
    min_score: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "category": self.category,
            "grade": self.grade,
            "rule": self.rule,
            "legal_basis": self.legal_basis,
            "until": iso(self.until),
            "min_score": self.min_score,
        }


@dataclass(frozen=True, slots=True)
class GradeDecision:
    """Points and scorecard schemes: the band, the assignment that set the grade (if any)
    and the override that capped it (if any)."""

    band: BandDecision
    override: OverrideDecision | None = None
    assigned: AssignmentDecision | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"band": self.band.to_dict()}
        if self.assigned is not None:
            d["assigned"] = self.assigned.to_dict()
        if self.override is not None:
            d["override"] = self.override.to_dict()
        return d


@dataclass(frozen=True, slots=True)
class TierDecision:
    """Tiers schemes: the tier, the counts it was decided on, and the rule that held."""

    tier: str
    negatives: int
    positives: int
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "negatives": self.negatives,
            "positives": self.positives,
            "rule": self.rule,
        }


DecidedBy = GradeDecision | TierDecision | None
"""How the grade was decided; ``None`` for list-only schemes (published as ``{}``)."""


def decided_by_to_dict(decided: DecidedBy) -> dict[str, Any]:
    return {} if decided is None else decided.to_dict()


def decided_by_from_dict(d: Mapping[str, Any]) -> DecidedBy:
    """The inverse of :func:`decided_by_to_dict`."""
    if not d:
        return None
    if "tier" in d:
        return TierDecision(**d)
    o = d.get("override")
    override = None if o is None else OverrideDecision(**{**o, "until": parse_instant(o["until"])})
    a = d.get("assigned")
    assigned = (
        None if a is None else AssignmentDecision(**{**a, "until": parse_instant(a["until"])})
    )
    return GradeDecision(BandDecision(**d["band"]), override, assigned)
