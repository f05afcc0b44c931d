"""Notices of adverse changes: one per new black-list entry, per score fallen below a gate
threshold, per newly applied sanction; nothing when things get better."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from factories import PERSON, make_record
from xinyong.core.evaluate import evaluate_subject
from xinyong.core.notices import adverse_changes
from xinyong.core.workdays import CalendarError, parse_calendars
from xinyong.system.procedures_io import objection_rules, work_calendar
from xinyong.system.schemes_io import memorandum, preset

AT = datetime(2026, 3, 4, 4, tzinfo=UTC)  # Wed 2026-03-04, noon in China


def _listing() -> object:
    return make_record(
        category="court.listing_decision",
        occurred_at="2026-03-02",
        recorded_at="2026-03-03",
        source="court",
        legal_basis="Civil Procedure Law",
        details={"ground": 2},
    )


def test_listing_and_sanctions_are_notified_with_why_term_and_how_to_object() -> None:
    schemes = {"spc-defaulters": preset("spc-defaulters")}
    memos = [memorandum("high-consumption-2015")]
    rec = _listing()
    before = evaluate_subject(schemes, PERSON, [], AT)
    after = evaluate_subject(schemes, PERSON, [rec], AT)  # type: ignore[list-item]
    got = adverse_changes(before, after, memos, objection_rules(), work_calendar(), "test")
    kinds = [n.kind for n in got]
    assert kinds[0] == "listing"
    assert set(kinds[1:]) == {"sanction"}
    assert len(kinds) == 1 + len({m.id for m in memos[0].measures if m.effect == "deny"})
    listing = got[0]
    assert listing.why["records"] == [rec.id]  # type: ignore[attr-defined]
    assert listing.term["until"] == "2028-03-02T00:00:00Z"  # ground 2: two years
    assert listing.how_to_object["body"] == "the enforcing court"
    assert listing.how_to_object["decision_due_if_filed_now"] == "2026-03-19"
    sanction = got[1]
    assert sanction.why["list"] == "spc-defaulters/dishonest-defaulters"
    assert sanction.why["legal_basis"]
    assert sanction.term == listing.term
    # the reverse change (the listing revoked) is not adverse
    assert adverse_changes(after, before, memos, objection_rules(), work_calendar(), "t") == []
    # notices have stable ids: the same change, the same notice
    again = adverse_changes(before, after, memos, objection_rules(), work_calendar(), "test")
    assert [n.id for n in again] == [n.id for n in got]


def test_a_score_falling_below_a_gate_threshold_is_notified() -> None:
    schemes = {"sesame": preset("sesame")}
    memos = [memorandum("rewards")]
    verified = make_record(
        category="identity.verified", occurred_at="2026-01-05", recorded_at="2026-01-05"
    )
    late = make_record(
        category="finance.loan_default", occurred_at="2026-03-01", recorded_at="2026-03-02"
    )
    before = evaluate_subject(schemes, PERSON, [verified], AT)
    after = evaluate_subject(schemes, PERSON, [verified, late], AT)
    old, new = before.score_of("sesame"), after.score_of("sesame")
    assert old is not None
    assert new is not None
    floors = [
        m.score.at_least.value
        for m in memos[0].measures
        if m.score is not None and m.score.scheme == "sesame"
    ]
    crossed = [f for f in floors if old >= f > new]
    assert crossed, f"precondition: {old} -> {new} crosses none of {floors}"
    got = adverse_changes(before, after, memos, objection_rules(), work_calendar(), "t")
    drops = [n for n in got if n.kind == "score_below_threshold"]
    assert len(drops) == len(crossed)
    assert all(n.why["records"] == [late.id] for n in drops)
    assert all(n.how_to_object["target"] == {"kind": "record", "id": late.id} for n in drops)
    assert sorted(int(n.what.split("below ")[1].split(":")[0]) for n in drops) == sorted(crossed)


def test_calendar_files_are_checked(tmp_path: Path) -> None:
    meta = {"year": 2026, "title": "t", "source": "s", "confidence": "S"}
    bad = {"meta": meta, "holidays": [], "working_days": [{"date": "2026-03-04"}]}
    with pytest.raises(CalendarError, match=r"x.toml: working_days\[0\]: 2026-03-04 is a Wed"):
        parse_calendars([("x.toml", bad)])
    typo = {"meta": meta, "holidays": [{"name": "n", "from": "2026-03-04", "too": "x"}]}
    with pytest.raises(CalendarError, match="unknown key"):
        parse_calendars([("x.toml", {**typo, "working_days": []})])
