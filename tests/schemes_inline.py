"""Small schemes written inline, for unit tests that must not depend on the presets."""

from __future__ import annotations

from typing import Any

META: dict[str, Any] = {
    "name": "toy",
    "title": "Toy scheme",
    "jurisdiction": "nowhere",
    "description": "for tests",
    "default_confidence": "V",
    "sources": [{"id": "src", "title": "test", "confidence": "V"}],
}


def points_scheme(**version: Any) -> dict[str, Any]:
    v: dict[str, Any] = {
        "effective_from": "2020-01-01",
        "base": 1000,
        "rules": [
            {
                "category": "traffic.violation",
                "points": -5,
                "validity": "1y",
                "cap": 12,
                "legal_basis": "toy art. 1",
                "description": "a traffic ticket costs 5 points",
            },
            {
                "category": "civic.heroic_act",
                "points": {"value": 30, "confidence": "U", "source": "src"},
                "validity": "2y",
                "legal_basis": "toy art. 2",
                "description": "a heroic act earns 30 points",
            },
        ],
        "bands": [
            {"grade": "A", "min": 1010},
            {"grade": "B", "min": 990},
            {"grade": "C", "min": 900},
            {"grade": "D"},
        ],
        "overrides": [
            {
                "categories": ["traffic.drunk_driving"],
                "max_grade": "C",
                "validity": "1y",
                "legal_basis": "toy art. 3",
                "description": "drunk driving: grade C at best",
            }
        ],
    }
    v.update(version)
    return {"kind": "points", "meta": META, "versions": [v]}
