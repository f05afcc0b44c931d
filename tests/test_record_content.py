"""Content checks at ingest (core/record_content.py) and the subject check (record_fields):
each refused through file and HTTP alike, with row, field and reason, nothing written."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from factories import PERSON, make_record
from test_admission_paths import RECENT, _held, via_file, via_http
from xinyong.core.errors import InvalidRecord
from xinyong.core.record_content import content_problems, reference_problem
from xinyong.core.records import Record


def _line(**kw: Any) -> str:
    base: dict[str, Any] = {
        "subject": PERSON,
        "occurred_at": RECENT,
        "recorded_at": RECENT,
        "source": "court",
        "legal_basis": "SPC Provisions art. 1",
    }
    return json.dumps(make_record(**{**base, **kw}).to_dict())


def _raw(**kw: Any) -> str:
    """A record as JSON without building it (for content the Record itself refuses)."""
    d = json.loads(_line())
    d.update(kw)
    return json.dumps(d)


LISTING = _line(id="l1", category="court.listing_decision", details={"ground": 1})

BAD = {
    # row 2 of each batch is the bad one: (body, field)
    "ground outside 1-6": (
        _raw(id="l2", category="court.listing_decision", details={"ground": 7}),
        "details.ground",
    ),
    "extension years outside 1-3": (
        _raw(id="x1", category="court.listing_extension", refers_to="l1", details={"years": 4}),
        "details.years",
    ),
    "conduct before birth": (
        _raw(
            id="b1",
            category="court.listing_decision",
            subject="110105201506010024",
            occurred_at="2014-01-01T00:00:00Z",
            details={"ground": 2},
        ),
        "occurred_at",
    ),
    "removal of something other than a listing": (
        _raw(id="p1", category="court.performance", refers_to="j1"),
        "refers_to",
    ),
    "subject with a wrong check character": (
        _raw(id="s1", category="court.listing_decision", subject="110105194912310021"),
        "subject",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_refused_alike_with_row_field_reason(name: str, tmp_path: Path) -> None:
    bad, field = BAD[name]
    judgment = _line(id="j1", category="court.criminal_conviction")
    first = judgment if name.startswith("removal") else LISTING
    body = "\n".join([first, bad])
    answers = []
    for how, path in (("file", via_file), ("http", via_http)):
        db = tmp_path / f"{how}.db"
        (tmp_path / how).mkdir()
        answers.append(path(db, body, tmp_path / how))
        assert _held(db)[0] == [], f"{name}: a refused batch writes nothing ({how})"
    assert answers[0] == answers[1], f"{name}: file and HTTP answered differently"
    status, errors = answers[0]
    assert status == "refused", errors
    assert [(e["row"], e["field"]) for e in errors] == [(2, field)], errors
    assert all(e.get("reason") or e.get("message") for e in errors)


def test_pure_content_problems() -> None:
    ok = make_record(category="court.listing_decision", details={"ground": "6"})
    assert content_problems(ok) == []
    bad = make_record(category="court.listing_decision", details={"ground": 0})
    assert [p.field for p in content_problems(bad)] == ["details.ground"]
    removal = make_record(category="court.performance", refers_to="x")
    assert reference_problem(removal, "court.listing_decision") is None
    assert "court.listing_decision" in (reference_problem(removal, "court.judgment") or "")


def test_record_from_dict_refuses_first_content_problem() -> None:
    d = json.loads(_raw(id="l2", category="court.listing_decision", details={"ground": 9}))
    with pytest.raises(InvalidRecord) as e:
        Record.from_dict(d, row=3)
    assert "1-6" in str(e.value)
