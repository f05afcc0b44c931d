"""The reference scorer on an inline scheme: every number explained."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemes_inline import points_scheme
from xinyong.core.errors import SchemeError
from xinyong.core.records import Record, Status
from xinyong.core.schemes import parse_scheme
from xinyong.core.scoring import score_subject
from xinyong.core.scoring.engine import NoVersionInForce, round_half_up_div

S = "11010519491231002X"


def r(
    id: str,
    category: str,
    day: str,
    status: Status = Status.ACTIVE,
    refers_to: str | None = None,
    recorded: str | None = None,
) -> Record:
    occurred = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return Record(
        id=id,
        subject=S,
        category=category,
        occurred_at=occurred,
        recorded_at=datetime.fromisoformat(recorded or day).replace(tzinfo=UTC),
        source="police",
        legal_basis="record basis",
        status=status,
        refers_to=refers_to,
    )


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_points_band_and_explanation() -> None:
    scheme = parse_scheme(points_scheme(), "inline")
    res = score_subject(
        scheme,
        S,
        [r("t1", "traffic.violation", "2024-01-10"), r("h1", "civic.heroic_act", "2024-02-01")],
        at("2024-06-01"),
    )
    assert (res.score, res.grade) == (1025, "A")
    d = res.to_dict()
    counted = {i["record_id"]: i for i in d["explanation"]["counted"]}
    assert counted["t1"]["points"] == -5
    assert counted["t1"]["expires_at"] == "2025-01-10T00:00:00Z"
    assert counted["t1"]["legal_basis"] == "toy art. 1"
    assert counted["t1"]["rule"] == "a traffic ticket costs 5 points"
    assert d["explanation"]["grade_decided_by"]["band"] == {
        "grade": "A",
        "min": 1010,
        "confidence": "V",
    }
    assert d["unverified_parameters"] == ["versions[0].rules[1].points"]


def test_expiry_cap_and_override() -> None:
    scheme = parse_scheme(points_scheme(), "inline")
    recs = [r(f"t{i}", "traffic.violation", f"2024-01-{10 + i}") for i in range(4)]
    recs.append(r("d1", "traffic.drunk_driving", "2024-03-01"))
    res = score_subject(scheme, S, recs, at("2024-06-01"))
    # four tickets = -20, capped at -12; drunk driving has no points but caps the grade
    assert res.score == 988
    assert res.grade == "C"  # band C (900 <= 988 < 990) and the override cap agree
    assert res.adjustments[0].points == 8
    res = score_subject(scheme, S, recs[:1] + recs[4:], at("2024-06-01"))
    assert (res.score, res.grade) == (995, "C")
    assert res.decided_by.to_dict()["override"]["record_id"] == "d1"
    later = score_subject(scheme, S, recs[:1] + recs[4:], at("2025-03-01"))
    assert (later.score, later.grade) == (1000, "B")
    notes = {i.record_id: i.note for i in later.ignored}
    assert notes["t0"] == "stopped counting on 2025-01-10T00:00:00Z"
    assert notes["d1"].startswith("no points rule for this category")


def test_known_at_makes_past_scores_reproducible() -> None:
    scheme = parse_scheme(points_scheme(), "inline")
    recs = [
        r("t1", "traffic.violation", "2024-01-10"),
        r("x", "traffic.violation", "2024-01-10", Status.REVOCATION, "t1", recorded="2024-05-01"),
    ]
    believed = score_subject(scheme, S, recs, at("2024-04-01"), known_at=at("2024-04-01"))
    hindsight = score_subject(scheme, S, recs, at("2024-04-01"), known_at=at("2024-06-01"))
    latest = score_subject(scheme, S, recs, at("2024-04-01"))  # default: the latest knowledge
    assert believed.score == 995
    assert hindsight.score == 1000
    assert latest.score == 1000
    assert latest.known_at is None
    assert hindsight.ignored[0].note == "revoked by x"


def test_rule_version_by_occurrence_and_bands_by_moment() -> None:
    doc = points_scheme()
    v2: dict[str, Any] = {
        **doc["versions"][0],
        "effective_from": "2024-03-01",
        "base": 900,
        "rules": [{**doc["versions"][0]["rules"][0], "points": -50}],
    }
    doc["versions"].append(v2)
    scheme = parse_scheme(doc, "inline")
    recs = [
        r("old", "traffic.violation", "2024-02-01"),
        r("new", "traffic.violation", "2024-04-01"),
    ]
    res = score_subject(scheme, S, recs, at("2024-05-01"))
    points = {i.record_id: i.points for i in res.items}
    assert points == {"old": -5, "new": -50}
    assert res.base == 900
    assert res.version == "2024-03-01"
    with pytest.raises(NoVersionInForce, match="first version starts on 2020-01-01"):
        score_subject(scheme, S, recs, at("2019-05-01"))


def test_round_half_up() -> None:
    assert [round_half_up_div(n, 2) for n in (1, 3, 5)] == [1, 2, 3]
    assert round_half_up_div(7, 3) == 2


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d["versions"][0].update(colour=1), "key 'versions[0].colour': unknown key"),
        (
            lambda d: d["versions"][0]["rules"][0].pop("legal_basis"),
            "key 'versions[0].rules[0].legal_basis': missing required key",
        ),
        (
            lambda d: d["versions"][0]["rules"][0].update(points="five"),
            "versions[0].rules[0].points",
        ),
        (lambda d: d["versions"][0]["rules"][0].update(validity="a year"), "not a duration"),
        (lambda d: d["versions"][0]["bands"].reverse(), "bands"),
        (
            lambda d: d["versions"][0]["rules"][1]["points"].update(source="nowhere"),
            "source 'nowhere' is not in meta.sources",
        ),
        (lambda d: d.update(kind="magic"), "key 'kind': must be one of"),
    ],
)
def test_scheme_errors_name_file_and_key(mutate: Any, fragment: str) -> None:
    doc = points_scheme()
    mutate(doc)
    with pytest.raises(SchemeError) as e:
        parse_scheme(doc, "my.toml")
    assert str(e.value).startswith("my.toml")
    assert fragment in str(e.value)


def test_scorecard_points_for_a_factor_dropped_by_a_later_version_are_explained() -> None:
    def version(day: str, factors: list[str], rules: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "effective_from": day,
            "range_min": 350,
            "range_max": 950,
            "factors": [{"id": f, "title": f, "weight": 1, "base": 500} for f in factors],
            "rules": rules,
            "bands": [{"grade": "good", "min": 650}, {"grade": "fair"}],
        }

    rule = {
        "category": "traffic.violation",
        "factor": "conduct",
        "points": -100,
        "validity": "5y",
        "legal_basis": "toy art. 1",
        "description": "a ticket lowers conduct",
    }
    scheme = parse_scheme(
        {
            "kind": "scorecard",
            "meta": {**points_scheme()["meta"]},
            "versions": [
                version("2020-01-01", ["conduct", "history"], [rule]),
                version("2022-01-01", ["history"], []),
            ],
        },
        "inline",
    )
    records = [r("t1", "traffic.violation", "2021-06-01")]
    before = score_subject(scheme, S, records, at=at("2021-07-01"))
    after = score_subject(scheme, S, records, at=at("2022-07-01"))
    assert before.score == 350 + (600 * (400 + 500)) // (1000 * 2)  # two factors, weight 1
    assert not [a for a in before.adjustments if a.kind == "factor_absent"]
    # the later version has only 'history' (500): the ticket's points count nowhere ...
    assert after.score == 350 + 300
    # ... and the explanation says so, with the points that went uncounted
    [absent] = [a for a in after.adjustments if a.kind == "factor_absent"]
    assert absent.factor == "conduct"
    assert absent.category == "traffic.violation"
    assert absent.points == 100
    assert "not in the version in force" in absent.rule
