"""How long a record may be published: publication periods by severity class, and their end.

Rules as data (the catalogue's ``[[publication]]`` regimes): each regime is in force from a
day and gives, for each class ``minor`` / ``general`` / ``serious``, whether a record of that
class is published at all and its minimum and maximum publication period. A record follows
the regime in force on the day its act occurred (no retroactive rules).

A published record is shown from its ``occurred_at`` until the earliest of: its maximum
period (the entry stops showing by itself: a computed end, no job has to run), and an expiry
record of it (a granted credit repair is recorded as one). The minimum period is the
earliest moment a credit repair may end publication (:mod:`xinyong.core.repair`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from xinyong.core.records import Effective
from xinyong.core.schemes.params import Confidence, DurationField, Strict
from xinyong.core.timeutil import Duration, china_day, iso

CLASSES = ("minor", "general", "serious")
PublicationClass = Literal["minor", "general", "serious"]
_PROBE = datetime(2001, 1, 31, tzinfo=UTC)  # a day that makes month ends visible


class Period(Strict):
    """Publication of one severity class under one regime."""

    published: bool = True
    min: DurationField | None = None
    """Shortest publication: a credit repair cannot end it earlier."""
    max: DurationField | None = None
    """Longest publication: the record stops showing by itself at this point."""
    confidence: Confidence
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _bounds(self) -> Period:
        if not self.published:
            if self.min is not None or self.max is not None:
                raise ValueError("a class that is not published has no min or max period")
            return self
        if self.min is None or self.max is None:
            raise ValueError("a published class needs both min and max (e.g. '3mo' and '1y')")
        if self.min.after(_PROBE) > self.max.after(_PROBE):
            raise ValueError(f"min {self.min} is longer than max {self.max}")
        return self


class Regime(Strict):
    """One set of publication rules, in force from ``effective_from``."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    effective_from: date
    legal_basis: str
    minor: Period
    general: Period
    serious: Period

    def period(self, cls: PublicationClass) -> Period:
        p: Period = getattr(self, cls)
        return p


def regime_on(regimes: Sequence[Regime], day: date) -> Regime | None:
    """The regime in force on ``day`` (the latest that took effect by then)."""
    current = None
    for r in regimes:
        if r.effective_from <= day:
            current = r
    return current


def check_regimes(regimes: Sequence[Regime]) -> None:
    """Raise ``ValueError`` unless regime days strictly increase and ids are unique."""
    days = [r.effective_from for r in regimes]
    if days != sorted(days) or len(set(days)) != len(days):
        raise ValueError(f"publication: effective_from must strictly increase, got {days}")
    ids = [r.id for r in regimes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"publication: regime ids must be unique, got {ids}")


@dataclass(frozen=True, slots=True)
class Publication:
    """Whether and when one record is published, and why."""

    record_id: str
    category: str
    cls: str
    regime: str | None  # id of the regime followed; None when none was in force
    legal_basis: str
    confidence: str
    published: bool
    since: datetime
    min_end: datetime | None
    max_end: datetime | None
    ends_at: datetime | None  # min(max_end, an expiry/repair); None when never published
    ended_by: str  # "maximum period" | "expiry or repair record(s) ..." | "" (not published)
    min_period: Duration | None
    max_period: Duration | None

    def shown(self, at: datetime) -> bool:
        """Published at ``at``: on or after ``since`` and before its end."""
        return self.published and self.since <= at and (self.ends_at is None or at < self.ends_at)

    def explain(self, at: datetime) -> str:
        day = iso(self.since)[:10]
        if not self.published:
            if self.regime is None:
                return (
                    f"Record {self.record_id} ({self.category}) of {day} is not published: no "
                    "publication rules were in force when it occurred."
                )
            return (
                f"Record {self.record_id} ({self.category}) is of the {self.cls} class, which "
                f"is not published under {self.legal_basis}."
            )
        assert self.ends_at is not None
        assert self.min_end is not None
        end = iso(self.ends_at)[:10]
        verb = "is published" if self.shown(at) else "was published"
        if at < self.since:
            verb = "will be published"
        words = (
            f"Record {self.record_id} ({self.category}, {self.cls} class) {verb} from {day} "
            f"under {self.legal_basis}: at least {self.min_period} (until "
            f"{iso(self.min_end)[:10]}), at most {self.max_period}."
        )
        if self.ended_by == "maximum period":
            tense = "stops" if at < self.ends_at else "stopped"
            return words + f" It {tense} showing by itself on {end}, at the maximum period."
        return words + f" Publication ended on {end} by {self.ended_by}."

    def to_dict(self, at: datetime) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "category": self.category,
            "class": self.cls,
            "regime": self.regime,
            "legal_basis": self.legal_basis,
            "confidence": self.confidence,
            "published": self.published,
            "shown": self.shown(at),
            "since": iso(self.since),
            "minimum_ends": iso(self.min_end) if self.min_end else None,
            "maximum_ends": iso(self.max_end) if self.max_end else None,
            "ends": iso(self.ends_at) if self.ends_at else None,
            "ended_by": self.ended_by,
            "explanation": self.explain(at),
        }


def publication_of(
    effective: Effective, cls: PublicationClass, regimes: Sequence[Regime]
) -> Publication:
    """The publication of one record (as resolved, with its expiries) of class ``cls``."""
    r = effective.record
    regime = regime_on(regimes, china_day(r.occurred_at))
    if regime is None:
        return Publication(
            r.id, r.category, cls, None, "", "", False, r.occurred_at, None, None, None, "",
            None, None,
        )  # fmt: skip
    p = regime.period(cls)
    if not p.published or p.min is None or p.max is None:
        return Publication(
            r.id, r.category, cls, regime.id, regime.legal_basis, p.confidence, False,
            r.occurred_at, None, None, None, "", None, None,
        )  # fmt: skip
    min_end, max_end = p.min.after(r.occurred_at), p.max.after(r.occurred_at)
    ends_at, ended_by = max_end, "maximum period"
    if effective.ends_at is not None and effective.ends_at < max_end:
        ends_at = max(effective.ends_at, r.occurred_at)
        ended_by = "expiry or repair record(s) " + ", ".join(effective.amended_by)
    return Publication(
        r.id, r.category, cls, regime.id, regime.legal_basis, p.confidence, True,
        r.occurred_at, min_end, max_end, ends_at, ended_by, p.min, p.max,
    )  # fmt: skip
