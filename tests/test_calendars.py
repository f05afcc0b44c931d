"""The shipped PRC calendars against an independent source, and the provisional year rules.

python-holidays (a dev dependency, pinned by the lock file) models the State Council's
notices for the years it has them and the statutory holidays with their make-up days for the
others. Every shipped year must agree with it day by day; when a new release of python-holidays
carries the 2027 notice, the 2027 comparison fails until ``cn-2027.toml`` is replaced.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from xinyong.core.workdays import CalendarError, parse_calendars
from xinyong.system.procedures_io import work_calendar

CAL = work_calendar()


@pytest.mark.parametrize("year", sorted(CAL.years))
def test_every_day_of_each_shipped_year_agrees_with_python_holidays(year: int) -> None:
    theirs = holidays.country_holidays("CN", years=year)
    d, differ = date(year, 1, 1), []
    while d.year == year:
        if CAL.is_working_day(d) != theirs.is_working_day(d):
            differ.append(f"{d} ({d:%a}): ours {CAL.is_working_day(d)}")
        d += timedelta(days=1)
    assert differ == []


def test_only_2027_is_provisional_and_its_notes_name_it() -> None:
    assert CAL.provisional == frozenset({2027})
    assert CAL.provisional_note(date(2026, 1, 5), date(2026, 12, 31)) is None
    note = CAL.provisional_note(date(2026, 12, 20), date(2027, 1, 4))
    assert note is not None
    assert "2027" in note
    assert "provisional" in note
    assert any("(provisional)" in s for s in CAL.sources if s.startswith("2027"))


def _year(**meta: object) -> dict[str, object]:
    base: dict[str, object] = {"year": 2030, "title": "t", "source": "s", "confidence": "U"}
    return {"meta": {**base, **meta}, "holidays": []}


def test_a_provisional_year_must_be_marked_unverified() -> None:
    with pytest.raises(CalendarError, match="provisional calendar cannot be confidence S"):
        parse_calendars([("cn-2030.toml", _year(confidence="S", provisional=True))])
    with pytest.raises(CalendarError, match="provisional must be true or false"):
        parse_calendars([("cn-2030.toml", _year(provisional="yes"))])
    cal = parse_calendars([("cn-2030.toml", _year(provisional=True))])
    assert cal.provisional == frozenset({2030})
    assert not cal.is_working_day(date(2030, 1, 5))
