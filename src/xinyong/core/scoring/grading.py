"""Steps shared by the graded kinds (points, scorecard): caps per category, then the band and
the overrides that decide the grade."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from xinyong.core.records import Effective
from xinyong.core.schemes.model import AnyScheme, Graded
from xinyong.core.scoring.explanation import (
    Adjustment,
    AssignmentDecision,
    BandDecision,
    Cap,
    GradeDecision,
    OverrideDecision,
)
from xinyong.core.scoring.result import Item
from xinyong.core.timeutil import china_day

Totals = dict[tuple[str | None, str], int]
"""Points per (factor, category); the factor is None outside scorecards."""


def round_half_up_div(num: int, den: int) -> int:
    """round(num / den) with halves rounded up, in integers (den > 0)."""
    return (2 * num + den) // (2 * den)


def by_factor_then_category(kv: tuple[tuple[str | None, str], int]) -> tuple[str, str]:
    return kv[0][0] or "", kv[0][1]


def caps(version: Any, counted: Sequence[Item]) -> tuple[Totals, list[Adjustment]]:
    """Per (factor, category) totals after the caps of the version in force at ``at``."""
    totals: Totals = {}
    for i in counted:
        key = (i.factor, i.category)
        totals[key] = totals.get(key, 0) + i.points
    adjustments: list[Adjustment] = []
    for (factor, category), raw in sorted(totals.items(), key=by_factor_then_category):
        rule = version.rule_for(category)
        if rule is None or rule.cap is None:
            continue
        cap = abs(rule.cap.value)
        capped = max(-cap, min(cap, raw))
        if capped != raw:
            totals[(factor, category)] = capped
            adjustments.append(
                Cap(category, raw, capped, capped - raw, rule.description, rule.legal_basis)
            )
    return totals, adjustments


def grade(
    scheme: AnyScheme, version: Graded, score: int, effective: Sequence[Effective], at: datetime
) -> tuple[str, GradeDecision]:
    """Band by score, then overrides: conduct before the scheme's first version never counts."""
    first_day = scheme.versions[0].effective_from
    grades = version.grades
    band_index = len(version.bands) - 1
    for i, b in enumerate(version.bands):
        if b.min is not None and score >= b.min.value:
            band_index = i
            break
    band = version.bands[band_index]
    decided_band = BandDecision(
        grade=band.grade,
        min=band.min.value if band.min else None,
        confidence=(band.min.confidence or scheme.meta.default_confidence) if band.min else None,
    )
    override: OverrideDecision | None = None
    index = grades.index(band.grade)
    assigned = assignment(version, score, effective, at, first_day)
    if assigned is not None:
        index = grades.index(assigned.grade)
    for o in version.overrides:
        cap_index = grades.index(o.max_grade)
        for e in effective:
            r = e.record
            if r.category not in o.categories or r.occurred_at > at:
                continue
            if china_day(r.occurred_at) < first_day:
                continue
            until = o.validity.after(r.occurred_at)
            if e.ends_at is not None and e.ends_at < until:
                until = e.ends_at
            if at < until and cap_index > index:
                index = cap_index
                override = OverrideDecision(
                    r.id, r.category, o.max_grade, o.description, o.legal_basis, until
                )
    return grades[index], GradeDecision(decided_band, override, assigned)


def assignment(
    version: Graded, score: int, effective: Sequence[Effective], at: datetime, first_day: date
) -> AssignmentDecision | None:
    """The first assignment with an active record (latest record first) that sets the grade."""
    for a in version.assignments:
        if a.min_score is not None and score < a.min_score.value:
            continue
        for e in sorted(effective, key=lambda x: x.record.occurred_at, reverse=True):
            r = e.record
            if r.category not in a.categories or r.occurred_at > at:
                continue
            if r.occurred_at.date() < first_day:
                continue
            until = a.validity.after(r.occurred_at)
            if e.ends_at is not None and e.ends_at < until:
                until = e.ends_at
            if at < until:
                floor = a.min_score.value if a.min_score is not None else None
                return AssignmentDecision(
                    r.id, r.category, a.grade, a.description, a.legal_basis, until, floor
                )
    return None
