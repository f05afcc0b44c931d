from __future__ import annotations

from datetime import UTC, datetime

import pytest

from xinyong.core.timeutil import Duration, iso, parse_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2y", Duration(2, 0, 0)),
        ("6mo", Duration(0, 6, 0)),
        ("1y6mo", Duration(1, 6, 0)),
        ("2w", Duration(0, 0, 14)),
        ("30d", Duration(0, 0, 30)),
    ],
)
def test_duration_parse(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected
    assert Duration.parse(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "2", "two years", "1m", "-1y", "1y 2mo"])
def test_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        Duration.parse(text)


def test_month_arithmetic_clamps_to_month_end() -> None:
    jan31 = datetime(2024, 1, 31, tzinfo=UTC)
    assert Duration.parse("1mo").after(jan31) == datetime(2024, 2, 29, tzinfo=UTC)
    assert Duration.parse("1y").after(datetime(2024, 2, 29, tzinfo=UTC)).day == 28


def test_instants() -> None:
    assert parse_instant("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)
    assert iso(parse_instant("2024-05-01T08:00:00+08:00")) == "2024-05-01T00:00:00Z"
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("01/05/2024")
