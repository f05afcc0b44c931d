"""Time handling shared by every rule: UTC instants and calendar durations.

Durations are written as in Polars (``"2y"``, ``"6mo"``, ``"30d"``, ``"1y6mo"``) so that the
single-subject path (python-dateutil) and the batch path (Polars ``offset_by``) add them the
same way: calendar months, clamped to the last day of a shorter month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta

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
