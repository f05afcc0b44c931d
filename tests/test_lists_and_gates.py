"""List entries (threshold, record, extension, removal, exclusion) and gate decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from schemes_inline import META
from xinyong.core.codes import make_resident_id
from xinyong.core.evaluate import age_on, check_gate, evaluate_subject
from xinyong.core.records import Record
from xinyong.core.sanctions import parse_memorandum
from xinyong.core.schemes import parse_scheme

ADULT = "11010519491231002X"
MINOR = make_resident_id("110105", date(2015, 6, 1), 4)

OBJECTION = {"body": "the court", "how": "in writing", "decision_within": "15 days"}
LISTS: dict[str, Any] = {
    "kind": "lists",
    "meta": {**META, "name": "courts"},
    "versions": [
        {
            "effective_from": "2010-01-01",
            "rules": [],
            "lists": [
                {
                    "id": "defaulters",
                    "title": "Defaulters",
                    "polarity": "black",
                    "legal_basis": "list art. 1",
                    "entries": [
                        {
                            "kind": "record",
                            "categories": ["court.listing_decision"],
                            "term_detail": "ground",
                            "terms": {"1": "until-removal", "2": "2y"},
                            "legal_basis": "list art. 2",
                        },
                        {
                            "kind": "threshold",
                            "categories": ["traffic.violation"],
                            "count": 3,
                            "window": "1y",
                            "term": "6mo",
                            "legal_basis": "list art. 9",
                        },
                    ],
                    "extension": {
                        "categories": ["court.listing_extension"],
                        "legal_basis": "list art. 3",
                    },
                    "exclusions": [
                        {"kind": "minor", "legal_basis": "art. 4", "description": "minors"},
                        {
                            "kind": "record",
                            "categories": ["court.security_given"],
                            "detail_values": ["1"],
                            "legal_basis": "art. 5",
                            "description": "security given",
                        },
                    ],
                    "removals": [
                        {
                            "categories": ["court.performance"],
                            "legal_basis": "art. 6",
                            "description": "performed",
                        }
                    ],
                    "objection": OBJECTION,
                }
            ],
        }
    ],
}
MEMO: dict[str, Any] = {
    "kind": "memorandum",
    "meta": {
        "name": "memo",
        "title": "Memo",
        "issued": "2015-07-01",
        "description": "test",
        "default_confidence": "V",
        "sources": [],
    },
    "gates": {"air.ticket": "air ticket sale", "rail.ticket": "rail ticket sale"},
    "measures": [
        {
            "id": "no-flights",
            "title": "No flights",
            "effect": "deny",
            "gates": ["air.ticket"],
            "lists": ["courts/defaulters"],
            "legal_basis": "restriction art. 3(1)",
            "description": "may not fly",
        }
    ],
}


def rec(id: str, category: str, day: str, subject: str = ADULT, **kw: Any) -> Record:
    t = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return Record(
        id=id,
        subject=subject,
        category=category,
        occurred_at=t,
        recorded_at=t,
        source="court",
        legal_basis="case",
        **kw,
    )


def when(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def view(records: list[Record], day: str, subject: str = ADULT) -> Any:
    return evaluate_subject({"courts": parse_scheme(LISTS, "inline")}, subject, records, when(day))


def test_ground_two_lasts_two_years_plus_extension() -> None:
    records = [rec("L", "court.listing_decision", "2020-01-01", details={"ground": "2"})]
    assert [e.until for e in view(records, "2021-01-01").in_force()] == [when("2022-01-01")]
    assert view(records, "2022-01-01").in_force() == []
    records.append(
        rec("X", "court.listing_extension", "2021-06-01", refers_to="L", details={"years": 2})
    )
    entry = view(records, "2023-01-01").in_force()[0]
    assert entry.until == when("2024-01-01")
    assert entry.events[0]["event"] == "extended"


def test_ground_one_until_removal_and_minor_and_security_exclusions() -> None:
    listing = rec("L", "court.listing_decision", "2020-01-01", details={"ground": "1"})
    assert view([listing], "2030-01-01").in_force()[0].until is None
    removed = view(
        [listing, rec("P", "court.performance", "2021-03-01", refers_to="L")], "2021-04-01"
    )
    assert removed.in_force() == []
    assert removed.entries[0].until == when("2021-03-01")
    secured = view(
        [listing, rec("S", "court.security_given", "2020-01-01", refers_to="L")], "2020-02-01"
    )
    assert secured.entries == []
    assert "security given" in secured.refused[0].reason
    minor = rec("M", "court.listing_decision", "2024-01-01", subject=MINOR, details={"ground": "2"})
    assert age_on(MINOR, when("2024-01-01").date()) == 8
    v = view([minor], "2024-02-01", subject=MINOR)
    assert v.entries == []
    assert v.refused[0].reason.startswith("minors")


def test_threshold_lists_on_third_violation_within_window() -> None:
    days = ["2023-01-01", "2023-06-01", "2024-02-01", "2024-03-01"]
    records = [rec(f"t{i}", "traffic.violation", d) for i, d in enumerate(days)]
    # t0 falls out of the window by 2024-02-01: t1, t2, t3 complete three on 2024-03-01
    entries = view(records, "2024-04-01").entries
    assert [(e.since, e.until) for e in entries] == [(when("2024-03-01"), when("2024-09-01"))]
    assert entries[0].cause["record_ids"] == ["t1", "t2", "t3"]


def test_gate_denies_with_entry_basis_and_objection_then_allows_after_removal() -> None:
    memo = parse_memorandum(MEMO, "inline")
    records = [rec("L", "court.listing_decision", "2020-01-01", details={"ground": "1"})]
    d = check_gate([memo], view(records, "2020-06-01"), "air.ticket").to_dict()
    assert d["decision"] == "deny"
    m = d["measures"][0]
    assert m["legal_basis"] == "restriction art. 3(1)"
    assert m["list_entry"]["cause"]["record_id"] == "L"
    assert m["how_to_object"]["decision_within"] == "15 days"
    assert check_gate([memo], view(records, "2020-06-01"), "rail.ticket").decision == "allow"
    records.append(rec("P", "court.performance", "2020-07-01"))
    assert check_gate([memo], view(records, "2020-08-01"), "air.ticket").decision == "allow"
