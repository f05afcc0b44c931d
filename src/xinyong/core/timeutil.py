"""Time handling shared by every rule: UTC instants, Chinese calendar days and durations.

Instants are UTC everywhere. Where a rule speaks of a *day* (a version's effective date, a
person's age, a scheme's first day) the day is the calendar date in China
(``Asia/Shanghai``, :func:`china_day`): a version effective on 2025-01-01 applies to an act
at 02:00 Beijing time on 2025-01-01 (18:00 UTC on 2024-12-31), and a person turns 18 on
their birthday in China. :func:`day_start` is the instant a Chinese day begins.

Durations are written as in Polars (``"2y"``, ``"6mo"``, ``"30d"``, ``"1y6mo"``) so that the
single-subject path (python-dateutil) and the batch path (Polars ``offset_by``) add them the
same way: calendar months, clamped to the last day of a shorter month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

CHINA = ZoneInfo("Asia/Shanghai")
"""The zone whose calendar days the rules speak of."""


def china_day(t: datetime) -> date:
    """The calendar date in China (Asia/Shanghai) at instant ``t`` (naive: taken as UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(CHINA).date()


def day_start(d: date) -> datetime:
    """The UTC instant at which day ``d`` begins in China (00:00 Beijing time)."""
    return datetime.combine(d, time(), CHINA).astimezone(UTC)


def version_start(d: date) -> str:
    """How a rule's effective day reads in an explanation: the Chinese day and its instant."""
    return f"{d.isoformat()} 00:00 Asia/Shanghai ({iso(day_start(d))})"


_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)mo)?(?:(\d+)w)?(?:(\d+)d)?$")


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar duration: years, months, days (weeks are folded into days)."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        m = _DURATION.match(text.strip())
        if not text.strip() or m is None or not any(m.groups()):
            raise ValueError(
                f"{text!r} is not a duration; write e.g. '2y', '6mo', '30d' or '1y6mo'"
            )
        y, mo, w, d = (int(g) if g else 0 for g in m.groups())
        return cls(years=y, months=mo, days=d + 7 * w)

    def __str__(self) -> str:
        out = ""
        if self.years:
            out += f"{self.years}y"
        if self.months:
            out += f"{self.months}mo"
        if self.days:
            out += f"{self.days}d"
        return out or "0d"

    @property
    def polars(self) -> str:
        """The same duration in Polars' offset language."""
        return str(self)

    def after(self, t: datetime) -> datetime:
        """The instant this duration after ``t``."""
        return t + relativedelta(years=self.years, months=self.months, days=self.days)

    def before(self, t: datetime) -> datetime:
        return t - relativedelta(years=self.years, months=self.months, days=self.days)

    def times(self, n: int) -> Duration:
        return Duration(self.years * n, self.months * n, self.days * n)


def parse_instant(value: str | datetime | date) -> datetime:
    """Parse an ISO 8601 date or date-time into an aware UTC datetime (microsecond precision).

    A date alone means midnight UTC at its start; a naive date-time is taken as UTC.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        text = value.strip()
        if not text:
            raise ValueError("empty time; write an ISO 8601 date or date-time, e.g. 2024-05-01")
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 date or date-time (e.g. 2024-05-01 or "
                "2024-05-01T08:30:00+08:00)"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso(t: datetime) -> str:
    """Canonical text form of an instant: UTC, 'Z' suffix, seconds (or microseconds if any)."""
    t = t.astimezone(UTC)
    spec = "microseconds" if t.microsecond else "seconds"
    return t.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def now() -> datetime:
    return datetime.now(UTC)
