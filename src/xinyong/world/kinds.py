"""The kinds of true event the world produces, and how each becomes a record.

Kinds ``0 .. len(events) - 1`` are the scenario's ``[[events]]`` in order; the three after
them are the court process's judgment, listing decision and performance.
"""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.world.scenario import Eligible, Scenario

JUDGMENT, LISTING, REMOVAL = 0, 1, 2  # offsets after the event specs (REMOVAL + j: removal j)


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    category: str
    who: Eligible  # the pool a false or misattributed record is drawn from
    agencies: tuple[str, ...]
    shares: tuple[float, ...]
    legal_basis: str
    severity: str | None
    evidence: str
    court: int | None = None  # JUDGMENT, LISTING or REMOVAL (any removal) for court kinds
    negative: bool = False  # rule-breaking or default (deterred or stressed)


def kinds(scenario: Scenario) -> list[Kind]:
    out = [
        Kind(
            e.id,
            e.category,
            e.who,
            tuple(e.agencies),
            tuple(e.agencies.values()),
            e.legal_basis,
            e.severity,
            e.evidence,
            negative=e.negative,
        )
        for e in scenario.events
    ]
    c = scenario.courts
    a = (c.agency,)
    out.append(
        Kind(
            "judgment",
            c.judgment_category,
            "adult",
            a,
            (1.0,),
            c.judgment_legal_basis,
            "general",
            "judgment",
            JUDGMENT,
        )
    )
    out.append(
        Kind(
            "listing",
            c.listing_category,
            "adult",
            a,
            (1.0,),
            c.listing_legal_basis,
            "serious",
            "listing decision",
            LISTING,
        )
    )
    out.extend(
        Kind(
            r.category.split(".")[-1],
            r.category,
            "adult",
            a,
            (1.0,),
            r.legal_basis,
            None,
            r.evidence,
            REMOVAL,
        )
        for r in c.removals
    )
    return out


def court_kind(scenario: Scenario, which: int) -> int:
    """Kind number of a court kind: JUDGMENT, LISTING, or REMOVAL + j for removal j."""
    return len(scenario.events) + which
