"""Score explanations are typed values whose JSON is the published explanation, and the JSON
reads back into the same values."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemes_inline import points_scheme
from test_batch_equals_single import SETTINGS, files, moments, schemes
from test_scoring import S, at, r
from xinyong.core.records import Record
from xinyong.core.schemes import parse_scheme
from xinyong.core.schemes.model import KINDS
from xinyong.core.scoring import ScoreResult, score_subject
from xinyong.core.scoring.engine import NoVersionInForce
from xinyong.core.scoring.explanation import (
    BandDecision,
    Cap,
    Clamp,
    GradeDecision,
    OverrideDecision,
    TierDecision,
)
from xinyong.core.scoring.scorers import SCORERS
from xinyong.system.schemes_io import preset


def _round_trips(result: ScoreResult) -> None:
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    again = ScoreResult.from_dict(json.loads(text))
    assert again == result
    assert json.dumps(again.to_dict(), ensure_ascii=False) == text


def test_points_explanation_is_typed_and_its_json_is_the_published_form() -> None:
    scheme = parse_scheme(points_scheme(floor=990), "inline")
    recs = [r(f"t{i}", "traffic.violation", f"2024-01-{10 + i}") for i in range(4)]
    recs.append(r("d1", "traffic.drunk_driving", "2024-03-01"))
    res = score_subject(scheme, S, recs, at("2024-06-01"))
    # four tickets = -20, capped at -12; 988 is raised to the floor 990; drunk driving caps at C
    assert res.adjustments == [
        Cap("traffic.violation", -20, -12, 8, "a traffic ticket costs 5 points", "toy art. 1"),
        Clamp(988, 2, 990, None),
    ]
    assert res.decided_by == GradeDecision(
        BandDecision("B", 990, "V"),
        OverrideDecision(
            "d1",
            "traffic.drunk_driving",
            "C",
            "drunk driving: grade C at best",
            "toy art. 3",
            at("2025-03-01"),
        ),
    )
    x = res.to_dict()["explanation"]
    assert x["adjustments"] == [
        {
            "kind": "cap",
            "category": "traffic.violation",
            "raw_total": -20,
            "capped_total": -12,
            "points": 8,
            "rule": "a traffic ticket costs 5 points",
            "legal_basis": "toy art. 1",
        },
        {"kind": "clamp", "raw_total": 988, "points": 2, "floor": 990, "ceiling": None},
    ]
    assert x["grade_decided_by"] == {
        "band": {"grade": "B", "min": 990, "confidence": "V"},
        "override": {
            "record_id": "d1",
            "category": "traffic.drunk_driving",
            "max_grade": "C",
            "rule": "drunk driving: grade C at best",
            "legal_basis": "toy art. 3",
            "until": "2025-03-01T00:00:00Z",
        },
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.adjustments[0].points = 0  # type: ignore[misc]
    _round_trips(res)


def test_tiers_and_lists_explanations() -> None:
    tiers = score_subject(preset("honest-shanghai"), S, [], at("2024-06-01"))
    assert isinstance(tiers.decided_by, TierDecision)
    assert tiers.to_dict()["explanation"]["grade_decided_by"] == {
        "tier": tiers.decided_by.tier,
        "negatives": 0,
        "positives": 0,
        "rule": tiers.decided_by.rule,
    }
    _round_trips(tiers)
    lists = score_subject(preset("spc-defaulters"), S, [], at("2024-06-01"))
    assert lists.decided_by is None
    assert lists.to_dict()["explanation"]["grade_decided_by"] == {}
    _round_trips(lists)


def test_every_scheme_kind_has_one_scorer() -> None:
    kinds = {cls.model_fields["kind"].annotation.__args__[0] for cls in SCORERS}  # Literal[...]
    assert sorted(kinds) == sorted(KINDS)


@SETTINGS
@given(schemes(), files(), moments, st.none() | moments)
def test_every_explanation_round_trips_through_its_json(
    scheme: Any, records: list[Record], when: datetime, known_at: datetime | None
) -> None:
    for subject in sorted({rec.subject for rec in records}):
        try:
            result = score_subject(scheme, subject, records, when, known_at)
        except NoVersionInForce:
            return
        _round_trips(result)
