"""Input hygiene: what a record may carry, the same whichever way it arrives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from factories import ORG, PERSON, make_record
from xinyong.core.errors import InvalidRecord
from xinyong.core.record_fields import MAX_DETAILS, MAX_LENGTH
from xinyong.core.records import Record
from xinyong.system.reading import parse_jsonl

ROOT = Path(__file__).resolve().parent.parent


def good(**changes: Any) -> dict[str, Any]:
    return {**make_record().to_dict(), **changes}


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("lone surrogate", good(evidence="a\ud800b"), "evidence", "lone surrogate"),
    ("NUL in id", good(id="r\x001"), "id", "U+0000"),
    ("NUL in subject", good(subject="1101051949\x001231002X"), "subject", "not a valid"),
    ("wrong check character", good(subject="110105194912310021"), "subject", "check"),
    ("not a code", good(subject="abc"), "subject", "not a valid credit code"),
    ("long id", good(id="x" * 100_000), "id", "at most 128"),
    ("long subject", good(subject="1" * 5_000), "subject", "not a valid credit code"),
    ("huge details", good(details={f"k{i}": "v" for i in range(5_000)}), "details", "at most"),
    ("long detail", good(details={"note": "x" * 5_000_000}), "details", "at most 1,000"),
    ("number as text", good(amount="12"), "amount", "without quotes"),
    ("21-digit date", good(occurred_at="123456789012345678901"), "occurred_at", "ISO 8601"),
    ("year 2150", good(occurred_at="2150-01-01", recorded_at="2150-01-02"), "occurred_at", "2099"),
    ("year 1066", good(occurred_at="1066-10-14"), "occurred_at", "1900"),
    ("control in category", good(category="traffic.\x1bviolation"), "category", "U+001B"),
]


@pytest.mark.parametrize(("case", "data", "field", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_fields_are_refused(case: str, data: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidRecord) as e:
        Record.from_dict(data, row=7, typed=True)
    assert e.value.field == field
    assert e.value.row == 7
    assert words in e.value.reason


def test_a_lone_surrogate_escape_in_a_jsonl_line_is_a_row_error() -> None:
    line = json.dumps(good(evidence="x")).replace('"x"', '"\\ud800"')
    parsed = parse_jsonl(line.encode())
    assert parsed.records == []
    assert [(e.row, e.field) for e in parsed.errors] == [(1, "evidence")]


def test_full_width_digits_are_read_as_the_code() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in PERSON)
    assert Record.from_dict(good(subject=wide)).subject == PERSON
    assert Record.from_dict(good(subject=PERSON.lower())).subject == PERSON
    assert Record.from_dict(good(subject=ORG)).subject == ORG


def test_csv_numbers_are_text_and_still_read() -> None:
    assert Record.from_dict(good(amount="12.5"), typed=False).amount == 12.5


def test_free_text_may_hold_newlines_and_tabs() -> None:
    assert Record.from_dict(good(evidence="line 1\n\tline 2")).evidence == "line 1\n\tline 2"


def test_the_limits_are_documented() -> None:
    doc = (ROOT / "docs" / "records.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \|[^|]*\|[^|]*\| (\d*) \|$", doc, flags=re.M))
    for name, limit in MAX_LENGTH.items():
        if "." not in name:
            assert rows[name] == str(limit), f"docs/records.md: {name} must say {limit}"
    assert f"at most {MAX_DETAILS} entries" in doc
    assert f"at most {MAX_LENGTH['details.name']} characters" in doc
    assert f"text (at most {MAX_LENGTH['details.value']})" in doc
