"""The reference scorer: one subject, one scheme, one moment, every step explained.

Semantics (the batch scorer in ``adapters/batch`` implements exactly these):

1. Only records the store held at ``known_at`` (accepted by then, on the store's clock;
   ``None``: all of them) are known; corrections, revocations and expiries known by then
   are applied (:func:`xinyong.core.records.resolve`).
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
from dataclasses import replace
from datetime import datetime
from typing import Any

from xinyong.core.errors import XinyongError
from xinyong.core.records import Effective, Record, Voided, resolve
from xinyong.core.review import DEFAULT_HOLDS, ReviewHold, held
from xinyong.core.schemes.model import AnyScheme
from xinyong.core.schemes.population import not_covered
from xinyong.core.scoring.grading import round_half_up_div
from xinyong.core.scoring.result import Item, ScoreResult
from xinyong.core.scoring.scorers import SCORERS, Scored, Scoring
from xinyong.core.timeutil import china_day, iso

__all__ = [
    "AnyScheme",
    "NoVersionInForce",
    "NotCovered",
    "contributions",
    "round_half_up_div",
    "score_subject",
    "version_in_force",
]


class NoVersionInForce(XinyongError, ValueError):
    pass


class NotCovered(NoVersionInForce):
    """The scheme does not apply to this subject (``meta.covers``: e.g. a tax rating of
    enterprises asked about a natural person); callers skip it as they skip a scheme with no
    version in force."""


def rated(
    scheme: AnyScheme, records: Sequence[Record], at: datetime, known_at: datetime | None
) -> bool:
    """Whether ``meta.rated_only_with`` lets the scheme rate the subject of ``records``."""
    wanted = scheme.meta.rated_only_with
    if not wanted:
        return True
    effective, _ = resolve(list(records), known_at)
    return any(e.record.category in wanted and e.record.occurred_at <= at for e in effective)


def version_in_force(scheme: AnyScheme, at: datetime) -> Any:
    v = scheme.version_on(at)
    if v is None:
        first = scheme.versions[0].effective_from
        raise NoVersionInForce(
            f"scheme {scheme.name!r} has no version in force on {china_day(at)} (China); "
            f"its first version starts on {first}"
        )
    return v


def contributions(
    scheme: AnyScheme,
    effective: Sequence[Effective],
    voided: Sequence[Voided],
    at: datetime,
    holds: Sequence[ReviewHold] = DEFAULT_HOLDS,
) -> tuple[list[Item], list[Item]]:
    """Split the subject's records into those that count at ``at`` and those that do not
    (records under a review hold never count automatically: :mod:`xinyong.core.review`)."""
    counted: list[Item] = []
    ignored: list[Item] = []
    for e in effective:
        r = e.record
        if r.occurred_at > at:
            continue
        on_hold = held(r, list(holds))
        if on_hold is not None:
            ignored.append(_ignored(r, on_hold))
            continue
        v = scheme.version_on(r.occurred_at)
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


def score_subject(
    scheme: AnyScheme,
    subject: str,
    records: Iterable[Record],
    at: datetime,
    known_at: datetime | None = None,
    holds: Sequence[ReviewHold] = DEFAULT_HOLDS,
) -> ScoreResult:
    """Score ``subject`` under ``scheme`` at ``at`` with what the store held at ``known_at``
    (``None``: the latest knowledge, every record given; ``holds``: records held for human
    review, by default the speech offences)."""
    version = version_in_force(scheme, at)
    mine = [r for r in records if r.subject == subject]
    if not rated(scheme, mine, at, known_at):
        raise NotCovered(
            f"scheme {scheme.name!r}, subject {subject}: not rated: no record of "
            f"{', '.join(scheme.meta.rated_only_with)} by {iso(at)[:10]}"
        )
    effective, voided = resolve(mine, known_at)
    counted, ignored = contributions(scheme, effective, voided, at, holds)
    outside = not_covered(scheme.meta.covers, subject, china_day(at))
    if outside is not None:
        # outside the population: nothing counts, no score, no grade (so no grade list)
        ignored = [replace(i, points=0, counted=False, note=outside) for i in [*counted, *ignored]]
        counted = []
        scored = Scored(None, None, None, None)
    else:
        scored = SCORERS[type(scheme)](Scoring(scheme, version, effective, counted, at))
    return ScoreResult(
        subject=subject,
        scheme=scheme.name,
        kind=scheme.kind,
        version=str(version.effective_from),
        at=at,
        known_at=known_at,
        score=scored.score,
        grade=scored.grade,
        base=scored.base,
        items=counted,
        ignored=ignored,
        decided_by=scored.decided_by,
        adjustments=scored.adjustments,
        factors=scored.factors,
        unverified=scheme.unverified(),
        covers=scheme.meta.covers.describe() if scheme.meta.covers else "",
        not_scored=outside,
    )
