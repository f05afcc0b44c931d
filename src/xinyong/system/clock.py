"""The store's clock: the instant the store accepts a record, and "now" for the checks that
compare a record's reported times with it.

One setting (:attr:`~xinyong.system.settings.Settings.clock`, ``XINYONG_CLOCK``) names it:
``real`` (the default: the machine's UTC clock) or an instant (``2026-11-18T02:00:00Z``, a
date means its midnight UTC) at which the clock stands still, for replays: the synthetic
world sets it to the simulated time of each month's ingest, tests and the README tour per
step. The HTTP service and the NATS consumer always run on the real clock
(:func:`real_only`), whatever the environment says, and no request can move it.

>>> clock_of("2026-11-18T02:00:00Z")().isoformat()
'2026-11-18T02:00:00+00:00'
>>> clock_of("real")() > clock_of("2020-01-01")()
True
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from xinyong.core.timeutil import iso, now, parse_instant

Clock = Callable[[], datetime]
"""A clock: called, it says what instant it is (UTC, aware)."""

REAL = "real"
"""The setting's value for the machine's clock (the default)."""

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far into the future of the store's clock a record's ``occurred_at`` or
``recorded_at`` may lie (the sender's clock may run a little ahead); later, it is refused."""


def check_clock(value: str) -> str:
    """``value`` as a clock setting (``real`` or an instant in canonical ISO text); raises
    ``ValueError`` saying what would be right."""
    text = value.strip()
    if text.lower() == REAL:
        return REAL
    try:
        return iso(parse_instant(text))
    except ValueError as e:
        raise ValueError(
            f"must be 'real' (the machine's clock) or an instant such as "
            f"2026-11-18T02:00:00Z (a replay clock standing at it), got {value!r}: {e}"
        ) from None


def clock_of(setting: str) -> Clock:
    """The clock a setting names (see :func:`check_clock`)."""
    text = check_clock(setting)
    if text == REAL:
        return now
    fixed = parse_instant(text)
    return lambda: fixed


class ReplayClock:
    """A store's clock that a replay moves by hand (the synthetic world sets it to the
    simulated time of each month's ingest). Hand it to :func:`xinyong.open_system` as
    ``Settings(extra={"clock": clock})``; until set, it reads the real clock. A service never
    runs on one (:meth:`~xinyong.system.settings.Settings.on_real_clock`).

    >>> c = ReplayClock()
    >>> c.set(parse_instant("2026-11-18T02:00:00Z"))
    >>> iso(c())
    '2026-11-18T02:00:00Z'
    """

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at

    def set(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return now() if self.at is None else self.at
