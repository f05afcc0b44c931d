"""Small schemes, memoranda and contexts written inline for the audit's unit tests."""

from __future__ import annotations

from typing import Any

from schemes_inline import points_scheme
from xinyong.core.audit import AuditContext, CategoryFacts, MemoDoc, SchemeDoc
from xinyong.core.publication import Regime
from xinyong.core.sanctions import parse_memorandum
from xinyong.core.schemes.model import parse_scheme

CATEGORIES = {
    "traffic.violation": CategoryFacts("road-traffic", "minor"),
    "traffic.drunk_driving": CategoryFacts("road-traffic", "serious"),
    "civic.heroic_act": CategoryFacts("civic-life", "positive"),
    "civic.blood_donation": CategoryFacts("civic-life", "positive", ("health",)),
    "court.listing_decision": CategoryFacts("judgment-enforcement", "serious"),
    "market.admin_penalty_minor": CategoryFacts("market-regulation", "minor", (), "minor"),
}

OBJECTION = {"body": "the office", "how": "in writing", "decision_within": "15 days"}


def black_list(entries: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    lst: dict[str, Any] = {
        "id": "black",
        "title": "black list",
        "polarity": "black",
        "legal_basis": "toy art. 9",
        "entries": entries,
        "objection": dict(OBJECTION),
        "exclusions": [{"kind": "minor", "legal_basis": "toy art. 10", "description": "no minors"}],
    }
    lst.update(kw)
    return lst


GRADE_D = {"kind": "grade", "grades": ["D"]}


def listed_by_court(**kw: Any) -> dict[str, Any]:
    entry = {
        "kind": "record",
        "categories": ["court.listing_decision"],
        "term": "2y",
        "legal_basis": "toy art. 11",
    }
    entry.update(kw)
    return entry


def scheme(lists: list[dict[str, Any]] | None = None, **version: Any) -> SchemeDoc:
    data = points_scheme(lists=lists or [], **version)
    return SchemeDoc(parse_scheme(data, "toy.toml"), "toy.toml")


def measure(**kw: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "id": "m.rail",
        "title": "no train seats",
        "effect": "deny",
        "gates": ["rail.g-train"],
        "lists": ["toy/black"],
        "legal_basis": "toy memo art. 1",
        "description": "no G-train seat while listed",
        "severity": "moderate",
        "basis_rank": "law",
    }
    m.update(kw)
    return m


def memo(*measures: dict[str, Any], domain: str = "travel") -> MemoDoc:
    gates = sorted({g for m in measures for g in m["gates"]})
    data = {
        "kind": "memorandum",
        "meta": {
            "name": "toy-memo",
            "title": "toy memorandum",
            "issued": "2020-01-01",
            "description": "for tests",
            "default_confidence": "V",
            "sources": [{"id": "src", "title": "test", "confidence": "V"}],
        },
        "gates": {g: g for g in gates},
        "gate_domains": dict.fromkeys(gates, domain),
        "measures": list(measures),
    }
    return MemoDoc(parse_memorandum(data, "toy-memo.toml"), "toy-memo.toml")


def context(
    s: SchemeDoc,
    *memos: MemoDoc,
    related: dict[str, frozenset[str]] | None = None,
    regimes: tuple[Regime, ...] = (),
) -> AuditContext:
    return AuditContext(
        schemes={s.name: s},
        memoranda=list(memos),
        categories=CATEGORIES,
        related=related or {},
        target_schemes=frozenset({s.name}),
        target_memoranda=frozenset(m.name for m in memos),
        regimes=regimes,
    )
