"""The reference scorer: one subject, one scheme, one moment, every step explained.

Semantics (the batch scorer in ``adapters/batch`` implements exactly these):

1. Only records recorded by ``known_at`` are known; corrections, revocations and expiries
   known by then are applied (:func:`xinyong.core.records.resolve`).
2. Records that occurred after ``at`` do not exist yet.
3. A record's points come from the rule for its category in the version in force on the
   (UTC) day it occurred. It counts while ``at < min(occurred_at + validity, expiry)``.
4. Caps, base, floor/ceiling, factors, bands, overrides and tiers come from the version in
   force on the day of ``at``. A cap limits the absolute total of one category.
5. Scorecards: each factor is its base plus its points (per mille), clamped to 0..1000;
   score = range_min + round_half_up((range_max - range_min) * sum(w * f) / (1000 * sum(w))),
   computed in integers so both paths agree exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from xinyong.core.errors import XinyongError
from xinyong.core.records import Effective, Record, Voided, resolve
from xinyong.core.schemes.model import (
    Graded,
    ListsScheme,
    PointsScheme,
    PointsVersion,
    ScorecardScheme,
    ScorecardVersion,
    TiersScheme,
    TiersVersion,
)
from xinyong.core.scoring.result import Item, ScoreResult
from xinyong.core.timeutil import iso

AnyScheme = PointsScheme | ScorecardScheme | TiersScheme | ListsScheme


class NoVersionInForce(XinyongError, ValueError):
    pass


def version_in_force(scheme: AnyScheme, at: datetime) -> Any:
    v = scheme.version_at(at.date())
    if v is None:
        first = scheme.versions[0].effective_from
        raise NoVersionInForce(
            f"scheme {scheme.name!r} has no version in force on {at.date()}; "
            f"its first version starts on {first}"
        )
    return v


def contributions(
    scheme: AnyScheme, effective: Sequence[Effective], voided: Sequence[Voided], at: datetime
) -> tuple[list[Item], list[Item]]:
    """Split the subject's records into those that count at ``at`` and those that do not."""
    counted: list[Item] = []
    ignored: list[Item] = []
    for e in effective:
        r = e.record
        if r.occurred_at > at:
            continue
        v = scheme.version_at(r.occurred_at.date())
        if v is None:
            ignored.append(_ignored(r, "occurred before the scheme's first version"))
            continue
        rule = v.rule_for(r.category)
        if rule is None:
            ignored.append(
                _ignored(
                    r,
                    f"no points rule for this category in version {v.effective_from}"
                    " (it may still act through an override or a list)",
                )
            )
            continue
        expires = rule.validity.after(r.occurred_at)
        note = ""
        if e.ends_at is not None and e.ends_at < expires:
            expires = e.ends_at
            note = f"ended early by expiry record(s) {', '.join(e.amended_by)}"
        elif e.amended_by:
            note = f"as corrected by {', '.join(e.amended_by)}"
        item = Item(
            record_id=r.id,
            category=r.category,
            occurred_at=r.occurred_at,
            source=r.source,
            points=rule.points.value,
            rule=rule.description,
            legal_basis=rule.legal_basis,
            record_basis=r.legal_basis,
            expires_at=expires,
            version=str(v.effective_from),
            factor=rule.factor,
            note=note,
        )
        if at >= expires:
            ignored.append(
                Item(
                    **{
                        **_fields(item),
                        "points": 0,
                        "counted": False,
                        "note": f"stopped counting on {iso(expires)}",
                    }
                )
            )
        else:
            counted.append(item)
    for vd in voided:
        if vd.record.occurred_at <= at:
            ignored.append(_ignored(vd.record, f"revoked by {vd.revoked_by}"))
    return counted, ignored


def _fields(item: Item) -> dict[str, Any]:
    return {k: getattr(item, k) for k in Item.__slots__}


def _ignored(r: Record, why: str) -> Item:
    return Item(
        record_id=r.id,
        category=r.category,
        occurred_at=r.occurred_at,
        source=r.source,
        points=0,
        rule="",
        legal_basis="",
        record_basis=r.legal_basis,
        expires_at=None,
        version=None,
        counted=False,
        note=why,
    )


def _caps(
    version: Any, counted: Sequence[Item]
) -> tuple[dict[tuple[str | None, str], int], list[dict[str, Any]]]:
    """Per (factor, category) totals after the caps of the version in force at ``at``."""
    totals: dict[tuple[str | None, str], int] = {}
    for i in counted:
        key = (i.factor, i.category)
        totals[key] = totals.get(key, 0) + i.points
    adjustments: list[dict[str, Any]] = []
    for (factor, category), raw in sorted(
        totals.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
    ):
        rule = version.rule_for(category)
        if rule is None or rule.cap is None:
            continue
        cap = abs(rule.cap.value)
        capped = max(-cap, min(cap, raw))
        if capped != raw:
            totals[(factor, category)] = capped
            adjustments.append(
                {
                    "kind": "cap",
                    "category": category,
                    "raw_total": raw,
                    "capped_total": capped,
                    "points": capped - raw,
                    "rule": rule.description,
                    "legal_basis": rule.legal_basis,
                }
            )
    return totals, adjustments


def _grade(
    scheme: AnyScheme, version: Graded, score: int, effective: Sequence[Effective], at: datetime
) -> tuple[str, dict[str, Any]]:
    """Band by score, then overrides: conduct before the scheme's first version never counts."""
    first_day = scheme.versions[0].effective_from
    grades = version.grades
    band_index = len(version.bands) - 1
    for i, b in enumerate(version.bands):
        if b.min is not None and score >= b.min.value:
            band_index = i
            break
    band = version.bands[band_index]
    decided: dict[str, Any] = {
        "band": {
            "grade": band.grade,
            "min": band.min.value if band.min else None,
            "confidence": (band.min.confidence or scheme.meta.default_confidence)
            if band.min
            else None,
        }
    }
    index = band_index
    for o in version.overrides:
        cap_index = grades.index(o.max_grade)
        for e in effective:
            r = e.record
            if r.category not in o.categories or r.occurred_at > at:
                continue
            if r.occurred_at.date() < first_day:
                continue
            until = o.validity.after(r.occurred_at)
            if e.ends_at is not None and e.ends_at < until:
                until = e.ends_at
            if at < until and cap_index > index:
                index = cap_index
                decided["override"] = {
                    "record_id": r.id,
                    "category": r.category,
                    "max_grade": o.max_grade,
                    "rule": o.description,
                    "legal_basis": o.legal_basis,
                    "until": iso(until),
                }
    return grades[index], decided


def round_half_up_div(num: int, den: int) -> int:
    """round(num / den) with halves rounded up, in integers (den > 0)."""
    return (2 * num + den) // (2 * den)


def score_subject(
    scheme: AnyScheme,
    subject: str,
    records: Iterable[Record],
    at: datetime,
    known_at: datetime | None = None,
) -> ScoreResult:
    """Score ``subject`` under ``scheme`` at ``at`` with what was known at ``known_at``."""
    known_at = at if known_at is None else known_at
    version = version_in_force(scheme, at)
    mine = [r for r in records if r.subject == subject]
    effective, voided = resolve(mine, known_at)
    counted, ignored = contributions(scheme, effective, voided, at)
    common: dict[str, Any] = {
        "subject": subject,
        "scheme": scheme.name,
        "kind": scheme.kind,
        "version": str(version.effective_from),
        "at": at,
        "known_at": known_at,
        "items": counted,
        "ignored": ignored,
        "unverified": scheme.unverified(),
    }
    if isinstance(version, PointsVersion):
        totals, adjustments = _caps(version, counted)
        raw = version.base.value + sum(totals.values())
        total = raw
        if version.floor is not None and total < version.floor:
            total = version.floor
        if version.ceiling is not None and total > version.ceiling:
            total = version.ceiling
        if total != raw:
            adjustments.append(
                {
                    "kind": "clamp",
                    "raw_total": raw,
                    "points": total - raw,
                    "floor": version.floor,
                    "ceiling": version.ceiling,
                }
            )
        grade, decided = _grade(scheme, version, total, effective, at)
        return ScoreResult(
            score=total,
            grade=grade,
            base=version.base.value,
            decided_by=decided,
            adjustments=adjustments,
            **common,
        )
    if isinstance(version, ScorecardVersion):
        totals, adjustments = _caps(version, counted)
        factors: list[dict[str, Any]] = []
        weighted = 0
        weights = 0
        for f in version.factors:
            pts = sum(v for (fid, _), v in totals.items() if fid == f.id)
            value = max(0, min(1000, f.base.value + pts))
            weighted += f.weight.value * value
            weights += f.weight.value
            factors.append(
                {
                    "id": f.id,
                    "title": f.title,
                    "weight": f.weight.value,
                    "base": f.base.value,
                    "points": pts,
                    "value": value,
                    "excluded_reason": f.excluded_reason,
                }
            )
        # Points earned under a rule of an earlier version, for a factor the version in force
        # no longer has, count nowhere: say so rather than drop them silently.
        present = {f.id for f in version.factors}
        for (fid, category), pts in sorted(
            totals.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
        ):
            if fid not in present and pts != 0:
                adjustments.append(
                    {
                        "kind": "factor_absent",
                        "category": category,
                        "factor": fid,
                        "points": -pts,
                        "rule": f"factor {fid!r} is not in the version in force "
                        f"(from {version.effective_from}); its {pts:+d} points do not count",
                    }
                )
        span = version.range_max - version.range_min
        score = version.range_min + round_half_up_div(span * weighted, 1000 * weights)
        grade, decided = _grade(scheme, version, score, effective, at)
        return ScoreResult(
            score=score,
            grade=grade,
            base=None,
            decided_by=decided,
            adjustments=adjustments,
            factors=factors,
            **common,
        )
    if isinstance(version, TiersVersion):
        negatives = sum(1 for i in counted if i.points < 0)
        positives = sum(1 for i in counted if i.points > 0)
        tier = version.default_tier
        rule_text = "default: no tier condition held"
        for t in version.tiers:
            if (
                (t.negative_at_least is None or negatives >= t.negative_at_least)
                and (t.negative_at_most is None or negatives <= t.negative_at_most)
                and (t.positive_at_least is None or positives >= t.positive_at_least)
            ):
                tier, rule_text = t.name, t.description
                break
        decided = {"tier": tier, "negatives": negatives, "positives": positives, "rule": rule_text}
        return ScoreResult(score=None, grade=tier, base=None, decided_by=decided, **common)
    return ScoreResult(score=None, grade=None, base=None, decided_by={}, **common)
