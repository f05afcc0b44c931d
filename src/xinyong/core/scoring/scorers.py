"""One scorer per scheme kind, looked up in :data:`SCORERS` by the scheme's type.

A scorer gets the scheme, the version in force at ``at`` and the subject's records that
counted (see :func:`xinyong.core.scoring.engine.contributions`) and returns the score, the
grade and the typed explanation of how both were reached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xinyong.core.records import Effective
from xinyong.core.schemes.model import (
    AnyScheme,
    ListsScheme,
    PointsScheme,
    PointsVersion,
    ScorecardScheme,
    ScorecardVersion,
    TiersScheme,
    TiersVersion,
)
from xinyong.core.scoring.explanation import (
    Adjustment,
    Clamp,
    DecidedBy,
    FactorAbsent,
    FactorValue,
    TierDecision,
)
from xinyong.core.scoring.grading import by_factor_then_category, caps, grade, round_half_up_div
from xinyong.core.scoring.result import Item


@dataclass(frozen=True, slots=True)
class Scoring:
    """What every scorer is given."""

    scheme: AnyScheme
    version: Any  # the version class of the scheme's kind, in force at ``at``
    effective: Sequence[Effective]
    counted: Sequence[Item]
    at: datetime


@dataclass(frozen=True, slots=True)
class Scored:
    """What a scorer finds: the part of a :class:`ScoreResult` that depends on the kind."""

    score: int | None
    grade: str | None
    base: int | None
    decided_by: DecidedBy
    adjustments: list[Adjustment] = field(default_factory=list)
    factors: list[FactorValue] = field(default_factory=list)


def score_points(s: Scoring) -> Scored:
    """Base plus the (capped) points, clamped to floor and ceiling, graded in bands."""
    version: PointsVersion = s.version
    totals, adjustments = caps(version, s.counted)
    raw = version.base.value + sum(totals.values())
    total = raw
    if version.floor is not None and total < version.floor:
        total = version.floor
    if version.ceiling is not None and total > version.ceiling:
        total = version.ceiling
    if total != raw:
        adjustments.append(Clamp(raw, total - raw, version.floor, version.ceiling))
    graded, decided = grade(s.scheme, version, total, s.effective, s.at)
    parts = [
        FactorValue(
            p.id,
            p.title,
            1,  # parts add up: each counts once
            p.base.value,
            pts := sum(v for (fid, _), v in totals.items() if fid == p.id),
            p.base.value + pts,
            None,
        )
        for p in version.parts
    ]
    return Scored(total, graded, version.base.value, decided, adjustments, parts)


def score_scorecard(s: Scoring) -> Scored:
    """Weighted factors (each its base plus its points, per mille) scaled to the range."""
    version: ScorecardVersion = s.version
    totals, adjustments = caps(version, s.counted)
    factors: list[FactorValue] = []
    weighted = 0
    weights = 0
    for f in version.factors:
        pts = sum(v for (fid, _), v in totals.items() if fid == f.id)
        value = max(0, min(1000, f.base.value + pts))
        weighted += f.weight.value * value
        weights += f.weight.value
        factors.append(
            FactorValue(f.id, f.title, f.weight.value, f.base.value, pts, value, f.excluded_reason)
        )
    # Points earned under a rule of an earlier version, for a factor the version in force
    # no longer has, count nowhere: say so rather than drop them silently.
    present = {f.id for f in version.factors}
    for (fid, category), pts in sorted(totals.items(), key=by_factor_then_category):
        if fid not in present and pts != 0:
            adjustments.append(
                FactorAbsent(
                    category,
                    fid,
                    -pts,
                    f"factor {fid!r} is not in the version in force "
                    f"(from {version.effective_from}); its {pts:+d} points do not count",
                )
            )
    span = version.range_max - version.range_min
    score = version.range_min + round_half_up_div(span * weighted, 1000 * weights)
    graded, decided = grade(s.scheme, version, score, s.effective, s.at)
    return Scored(score, graded, None, decided, adjustments, factors)


def score_tiers(s: Scoring) -> Scored:
    """The first tier whose conditions on the counts of negative and positive records hold."""
    version: TiersVersion = s.version
    negatives = sum(1 for i in s.counted if i.points < 0)
    positives = sum(1 for i in s.counted if i.points > 0)
    tier = version.default_tier
    rule_text = "default: no tier condition held"
    for t in version.tiers:
        if (
            (t.negative_at_least is None or negatives >= t.negative_at_least.value)
            and (t.negative_at_most is None or negatives <= t.negative_at_most.value)
            and (t.positive_at_least is None or positives >= t.positive_at_least.value)
        ):
            tier, rule_text = t.name, t.description
            break
    return Scored(None, tier, None, TierDecision(tier, negatives, positives, rule_text))


def score_lists(s: Scoring) -> Scored:
    """No score and no grade: a lists scheme acts only through its lists."""
    return Scored(None, None, None, None)


Scorer = Callable[[Scoring], Scored]
SCORERS: dict[type[AnyScheme], Scorer] = {
    PointsScheme: score_points,
    ScorecardScheme: score_scorecard,
    TiersScheme: score_tiers,
    ListsScheme: score_lists,
}
"""The scorer of each scheme kind."""
