"""The day a grade was reached (issue 16: red-list entries show the date the grade was
reached, not the moment the list was looked at)."""

from __future__ import annotations

from datetime import timedelta

import xinyong
from xinyong.core.records import Record
from xinyong.core.state_since import state_since

PERSON = "11010519491231002X"


def _record(i: int, category: str, day: str) -> Record:
    return xinyong.Record.from_dict(
        {
            "id": f"r{i}",
            "subject": PERSON,
            "category": category,
            "occurred_at": day,
            "recorded_at": day,
            "source": "civil-affairs",
            "legal_basis": "test",
            "details": {},
        }
    )


# 1000 + 30 (heroic act, 2 years) + 4 x 5 (volunteering, 1 year each, capped at 20) = 1050: AAA
RECORDS = [_record(0, "civic.heroic_act", "2025-03-01")] + [
    _record(i, "civic.volunteering", f"2025-03-0{i + 1}") for i in range(1, 5)
]


def aaa(result: object) -> bool:
    return getattr(result, "grade", None) == "AAA"


def test_the_grade_is_reached_with_the_record_that_tips_it() -> None:
    scheme = xinyong.preset("rongcheng")
    at = xinyong.instant("2025-09-01")
    assert state_since(scheme, PERSON, RECORDS, at, aaa) == xinyong.instant("2025-03-05")


def test_a_break_restarts_the_stretch() -> None:
    scheme = xinyong.preset("rongcheng")
    ticket = _record(9, "traffic.violation", "2025-05-01")  # -5: AA until it expires (1 year)
    again = xinyong.instant("2026-05-01")
    at = again + timedelta(days=10)
    got = state_since(scheme, PERSON, [*RECORDS, ticket], at, aaa)
    # the volunteering expired on 2026-03-02..05, so AAA is not held in 2026-05 at all
    assert got is None
    late = [*RECORDS, ticket, _record(10, "civic.heroic_act", "2025-06-01")]
    got = state_since(scheme, PERSON, late, xinyong.instant("2025-09-01"), aaa)
    assert got == xinyong.instant("2025-06-01")


def test_nothing_when_the_grade_does_not_hold() -> None:
    scheme = xinyong.preset("rongcheng")
    at = xinyong.instant("2025-09-01")
    assert state_since(scheme, PERSON, RECORDS[:2], at, aaa) is None
