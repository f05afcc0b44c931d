"""The two mechanisms the corporate presets added to the scheme model: grade assignments
(a record sets the grade whatever the band: the tax rating's M) and entries moved from
another list (abnormal operations for three years: the serious illegal list)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from xinyong.adapters.batch import records_frame, score_population
from xinyong.core.errors import SchemeError
from xinyong.core.lists import list_entries
from xinyong.core.records import Record
from xinyong.core.schemes.model import parse_scheme
from xinyong.core.scoring.engine import score_subject
from xinyong.core.scoring.explanation import decided_by_from_dict, decided_by_to_dict


def _meta() -> dict[str, Any]:
    return {
        "name": "t",
        "title": "T",
        "jurisdiction": "nowhere",
        "description": "generated",
        "default_confidence": "V",
        "sources": [{"id": "s", "title": "S", "confidence": "V"}],
    }


def _t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _rec(rid: str, category: str, day: str, **kw: Any) -> Record:
    return Record(rid, "S1", category, _t(day), _t(day), "src", "basis", **kw)


def _graded(**extra: Any) -> Any:
    version = {
        "effective_from": "2020-01-01",
        "base": 100,
        "rules": [
            {
                "category": "bad",
                "points": -20,
                "validity": "1y",
                "legal_basis": "b",
                "description": "d",
            }
        ],
        "bands": [{"grade": "A", "min": 90}, {"grade": "B", "min": 70}, {"grade": "C"}],
        **extra,
    }
    return parse_scheme({"meta": _meta(), "kind": "points", "versions": [version]}, "t.toml")


_M = {
    "grade_order": ["A", "B", "M", "C"],
    "assignments": [
        {
            "categories": ["new"],
            "grade": "M",
            "validity": "1y",
            "legal_basis": "b",
            "description": "new: M",
        },
        {
            "categories": ["idle"],
            "grade": "M",
            "validity": "1y",
            "min_score": 70,
            "legal_basis": "b",
            "description": "idle and 70 or more: M",
        },
    ],
    "overrides": [
        {
            "categories": ["fraud"],
            "max_grade": "C",
            "validity": "2y",
            "legal_basis": "b",
            "description": "d",
        }
    ],
}


def test_an_assignment_sets_the_grade_until_its_validity_ends() -> None:
    s = _graded(**_M)
    recs = [_rec("n", "new", "2020-03-01")]
    got = score_subject(s, "S1", recs, _t("2020-06-01"))
    assert (got.score, got.grade) == (100, "M")
    d = decided_by_to_dict(got.decided_by)
    assert d["assigned"]["record_id"] == "n"
    assert d["assigned"]["until"].startswith("2021-03-01")
    assert decided_by_from_dict(d) == got.decided_by
    assert score_subject(s, "S1", recs, _t("2021-03-01")).grade == "A"


def test_min_score_and_overrides_limit_an_assignment() -> None:
    s = _graded(**_M)
    idle = _rec("i", "idle", "2020-03-01")
    one_bad = [idle, _rec("b1", "bad", "2020-02-01")]
    assert score_subject(s, "S1", one_bad, _t("2020-04-01")).grade == "M"  # 80 >= 70
    two_bad = [*one_bad, _rec("b2", "bad", "2020-02-02")]
    assert score_subject(s, "S1", two_bad, _t("2020-04-01")).grade == "C"  # 60: band C
    fraud = [_rec("n", "new", "2020-03-01"), _rec("f", "fraud", "2020-03-02")]
    got = score_subject(s, "S1", fraud, _t("2020-04-01"))
    assert got.grade == "C"  # the override caps the assigned M
    assert decided_by_to_dict(got.decided_by)["override"]["record_id"] == "f"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"grade_order": ["A", "M", "C"]}, "grade_order: must hold every band grade"),
        ({"grade_order": ["A", "A", "B", "C"]}, "grades must be unique"),
        (
            {"assignments": [{**_M["assignments"][0], "grade": "M"}]},  # type: ignore[index]
            "assignments[0].grade: 'M' is not one of",
        ),
    ],
)
def test_bad_grade_order_or_assignment_is_refused(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _graded(**extra)


@pytest.mark.parametrize(
    "recs",
    [
        [_rec("n", "new", "2020-03-01")],
        [_rec("i", "idle", "2020-03-01"), _rec("b1", "bad", "2020-02-01")],
        [
            _rec("i", "idle", "2020-03-01"),
            _rec("b1", "bad", "2020-02-01"),
            _rec("b2", "bad", "2020-02-02"),
        ],
        [_rec("n", "new", "2020-03-01"), _rec("f", "fraud", "2020-03-02")],
        [_rec("b1", "bad", "2020-02-01")],
    ],
)
@pytest.mark.parametrize("day", ["2020-04-01", "2021-02-15", "2021-03-02"])
def test_the_batch_path_agrees_on_assignments(recs: list[Record], day: str) -> None:
    s = _graded(**_M)
    ref = score_subject(s, "S1", recs, _t(day))
    got = score_population(s, records_frame(recs), _t(day), engine="in-memory")
    assert got.filter(pl.col("subject") == "S1").select("score", "grade").row(0) == (
        ref.score,
        ref.grade,
    )


def _lists(moved_list: str = "first") -> Any:
    objection = {"body": "b", "how": "h", "decision_within": "7 days"}
    first = {
        "id": "first",
        "title": "First",
        "polarity": "black",
        "legal_basis": "b",
        "entries": [
            {
                "kind": "record",
                "categories": ["listing"],
                "term": "until-removal",
                "legal_basis": "b",
            }
        ],
        "removals": [
            {
                "categories": ["fixed"],
                "legal_basis": "b",
                "description": "d",
                "event": "performance",
            }
        ],
        "objection": objection,
    }
    second = {
        "id": "second",
        "title": "Second",
        "polarity": "black",
        "legal_basis": "b",
        "entries": [],
        "moved_from": [{"list": moved_list, "after": "3y", "term": "2y", "legal_basis": "b"}],
        "removals": [
            {
                "categories": ["fixed"],
                "legal_basis": "b",
                "description": "d",
                "event": "performance",
            }
        ],
        "objection": objection,
    }
    version = {"effective_from": "2014-01-01", "lists": [first, second]}
    return parse_scheme({"meta": _meta(), "kind": "lists", "versions": [version]}, "t.toml")


def _in_force(scheme: Any, recs: list[Record], day: str) -> list[str]:
    at = _t(day)
    got, _ = list_entries(scheme, "S1", recs, at, age_on=lambda s, d: None)
    return sorted(e.list_id for e in got if e.in_force(at))


def test_an_entry_still_in_force_after_the_period_moves_for_its_term() -> None:
    s = _lists()
    recs = [_rec("l", "listing", "2015-01-10")]
    assert _in_force(s, recs, "2018-01-09") == ["first"]
    assert _in_force(s, recs, "2018-01-10") == ["first", "second"]
    assert _in_force(s, recs, "2020-01-10") == ["first"]  # the moved term (2y) ended
    got, _ = list_entries(s, "S1", recs, _t("2018-02-01"), age_on=lambda s, d: None)
    moved = next(e for e in got if e.list_id == "second")
    assert moved.cause["kind"] == "moved"
    assert moved.cause["record_id"] == "l"


def test_a_removal_before_the_period_prevents_the_move_and_one_after_ends_both() -> None:
    s = _lists()
    early = [_rec("l", "listing", "2015-01-10"), _rec("r", "fixed", "2017-06-01", refers_to="l")]
    assert _in_force(s, early, "2018-02-01") == []
    late = [_rec("l", "listing", "2015-01-10"), _rec("r", "fixed", "2018-06-01", refers_to="l")]
    assert _in_force(s, late, "2018-05-31") == ["first", "second"]
    assert _in_force(s, late, "2018-06-01") == []
    other = [_rec("l", "listing", "2015-01-10"), _rec("r", "fixed", "2018-06-01", refers_to="x")]
    assert _in_force(s, other, "2018-06-01") == ["first", "second"]


@pytest.mark.parametrize("name", ["second", "nowhere"])
def test_moved_from_must_name_another_list_of_the_version(name: str) -> None:
    with pytest.raises(SchemeError, match="moved_from"):
        _lists(name)


def test_the_live_state_horizon_knows_when_an_assignment_ends_and_an_entry_moves() -> None:
    from xinyong.core.evaluate import evaluate_subject
    from xinyong.core.state import horizon

    graded = _graded(**_M)
    recs = [_rec("n", "new", "2020-03-01")]
    view = evaluate_subject({"t": graded}, "S1", recs, _t("2020-06-01"))
    assert horizon({"t": graded}, recs, view) == _t("2021-03-01")  # M ends: grade changes
    lists = _lists()
    recs = [_rec("l", "listing", "2015-01-10")]
    view = evaluate_subject({"t": lists}, "S1", recs, _t("2016-01-01"))
    assert horizon({"t": lists}, recs, view) == _t("2018-01-10")  # the move to 'second'
