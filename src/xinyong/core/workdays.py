"""The PRC working-day calendar and deadline arithmetic over it.

A day is a *working day* when it is Monday to Friday and not an official rest day, or when it
is a Saturday or Sunday that the State Council made a working day (调休). The calendar is data
(``src/xinyong/data/calendars/cn-YYYY.toml``, one file per year and its notice); arithmetic
refuses any day outside the years it covers instead of guessing. A year whose notice is not out
yet may be shipped *provisional* (``meta.provisional = true``: the statutory holidays only);
deadlines that run through such a year say so (:meth:`WorkCalendar.provisional_note`).

Deadlines are local dates in China (UTC+8, no daylight saving since 1991). Two ways to count:

* ``"3wd"``: the 3rd working day after the starting day;
* ``"15d"``: 15 natural days after the starting day (the starting day is not counted); when
  ``roll`` is set and the last day is a rest day, the period ends on the next working day
  (the rule for computing periods in the Civil Procedure Law).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import china_day

CHINA = timezone(timedelta(hours=8), "CST")
_PERIOD = re.compile(r"^(\d{1,3})(wd|d)$")


class CalendarError(XinyongError):
    """A calendar file is malformed."""


class OutsideCalendar(XinyongError):
    """A deadline would need a year the working-day calendar does not cover."""


def china_date(t: datetime) -> date:
    """The local date in China of an instant (:func:`xinyong.core.timeutil.china_day`)."""
    return china_day(t)


def end_of_day(d: date) -> datetime:
    """The first instant after the local day ``d`` in China (a deadline ends there), in UTC."""
    return datetime.combine(d + timedelta(days=1), time(), CHINA).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """A period as written in the rules: ``n`` natural days (``d``) or working days (``wd``)."""

    n: int
    working: bool

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD.match(text.strip())
        if m is None:
            raise ValueError(
                f"{text!r} is not a period; write natural days as '15d' or working days as '3wd'"
            )
        return cls(int(m.group(1)), m.group(2) == "wd")

    def __str__(self) -> str:
        return f"{self.n}{'wd' if self.working else 'd'}"

    def describe(self) -> str:
        unit = "working day" if self.working else "day"
        return f"{self.n} {unit}{'' if self.n == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Rest days and adjusted working days for whole years."""

    years: frozenset[int]
    holidays: Mapping[date, str]
    """Official rest days (each day of each holiday range) -> the holiday's name."""
    working_weekends: Mapping[date, str]
    """Saturdays and Sundays made working days -> why."""
    sources: tuple[str, ...] = ()
    provisional: frozenset[int] = frozenset()
    """Years whose file holds the statutory holidays only, before the State Council's notice."""

    def provisional_note(self, start: date, end: date) -> str | None:
        """Why a date counted from ``start`` to ``end`` may still move, or None if it cannot."""
        years = [y for y in sorted(self.provisional) if start.year <= y <= end.year]
        if not years:
            return None
        names = ", ".join(map(str, years))
        return (
            f"provisional: {names} is counted on the statutory holidays only; the State "
            f"Council's holiday notice for {names} is not in the calendar yet, and its bridging "
            "days and weekend working days may move this date"
        )

    def covered(self) -> str:
        if not self.years:
            return "no year"
        ys = sorted(self.years)
        return f"{ys[0]}-{ys[-1]}" if len(ys) > 1 else str(ys[0])

    def _check(self, d: date) -> None:
        if d.year not in self.years:
            raise OutsideCalendar(
                f"{d.isoformat()} is outside the working-day calendar (it covers "
                f"{self.covered()}); add src/xinyong/data/calendars/cn-{d.year}.toml from the "
                f"State Council's holiday notice for {d.year} before computing this deadline"
            )

    def is_working_day(self, d: date) -> bool:
        self._check(d)
        if d in self.working_weekends:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def why_not_working(self, d: date) -> str | None:
        """Why ``d`` is a rest day (holiday name, or 'Saturday'/'Sunday'); None if it is not."""
        if self.is_working_day(d):
            return None
        return self.holidays.get(d) or d.strftime("%A")

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted)."""
        if n < 0:
            raise ValueError(f"cannot add {n} working days; give 0 or more")
        d = start
        self._check(d)
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def add_days(self, start: date, n: int, *, roll: bool) -> date:
        """``n`` natural days after ``start``; with ``roll``, a last day that is a rest day
        moves to the next working day."""
        if n < 0:
            raise ValueError(f"cannot add {n} days; give 0 or more")
        self._check(start)
        d = start + timedelta(days=n)
        if roll:
            while not self.is_working_day(d):
                d += timedelta(days=1)
        else:
            self._check(d)
        return d

    def due(self, start: date, period: Period, *, roll: bool = True) -> date:
        """The last day of ``period`` counted from ``start``."""
        if period.working:
            return self.add_working_days(start, period.n)
        return self.add_days(start, period.n, roll=roll)


def _day(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{where}: must be a date written 2025-01-28, got {value!r}")


def _keys(
    node: Any, where: str, allowed: set[str], optional: frozenset[str] = frozenset({"reason"})
) -> Mapping[str, Any]:
    if not isinstance(node, Mapping):
        raise CalendarError(f"{where}: must be a table")
    unknown = sorted(set(node) - allowed)
    if unknown:
        raise CalendarError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    missing = sorted(allowed - set(node) - optional)
    if missing:
        raise CalendarError(f"{where}: missing key(s) {', '.join(missing)}")
    return node


def parse_calendars(files: Iterable[tuple[str, Mapping[str, Any]]]) -> WorkCalendar:
    """One calendar from the parsed year files ``(origin, data)``; errors name file and key."""
    years: set[int] = set()
    holidays: dict[date, str] = {}
    working: dict[date, str] = {}
    sources: list[str] = []
    provisional: set[int] = set()
    for origin, data in files:
        _keys(data, origin, {"meta", "holidays", "working_days"}, frozenset({"working_days"}))
        meta = _keys(
            data["meta"],
            f"{origin}: meta",
            {"year", "title", "source", "confidence", "provisional"},
            frozenset({"provisional"}),
        )
        year = meta["year"]
        if not isinstance(year, int) or year in years:
            raise CalendarError(f"{origin}: meta.year must be a year not given by another file")
        if meta["confidence"] not in ("V", "S", "U"):
            raise CalendarError(f"{origin}: meta.confidence must be V, S or U")
        if meta.get("provisional", False) not in (True, False):
            raise CalendarError(f"{origin}: meta.provisional must be true or false")
        if meta.get("provisional") and meta["confidence"] != "U":
            raise CalendarError(
                f"{origin}: a provisional calendar cannot be confidence {meta['confidence']}; "
                "mark it U until the State Council's notice replaces it"
            )
        years.add(year)
        if meta.get("provisional"):
            provisional.add(year)
        sources.append(
            f"{year}: {meta['source']} [{meta['confidence']}]"
            + (" (provisional)" if meta.get("provisional") else "")
        )
        for i, h in enumerate(data["holidays"]):
            where = f"{origin}: holidays[{i}]"
            _keys(h, where, {"name", "from", "to"})
            first, last = _day(h["from"], f"{where}.from"), _day(h["to"], f"{where}.to")
            if first.year != year or last.year != year or last < first:
                raise CalendarError(
                    f"{where}: from {first} to {last} must be a range within {year}, from <= to"
                )
            d = first
            while d <= last:
                holidays[d] = str(h["name"])
                d += timedelta(days=1)
        for i, w in enumerate(data.get("working_days", ())):
            where = f"{origin}: working_days[{i}]"
            _keys(w, where, {"date", "reason"})
            d = _day(w["date"], f"{where}.date")
            if d.year != year or d.weekday() < 5:
                raise CalendarError(
                    f"{where}: {d} is a {d:%A}; list only Saturdays and Sundays of {year} that "
                    "are made working days"
                )
            if d in holidays:
                raise CalendarError(f"{where}: {d} is also inside holiday {holidays[d]!r}")
            working[d] = str(w.get("reason", "adjusted working day"))
    return WorkCalendar(frozenset(years), holidays, working, tuple(sources), frozenset(provisional))
