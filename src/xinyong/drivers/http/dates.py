"""Which day a portal page shows: ``?at=`` when given, else the synthetic world's last day for a
store the world made, else today.

The public sees each list as it stood at the start of a day in China
(:func:`xinyong.drivers.http.lists.day_of`); ``?at=2025-06-01`` shows that day. A store made by
the synthetic world (``xinyong demo``, ``xinyong world run``) has a ``STORE.world.json`` beside
it (:func:`xinyong.world.pipeline.write_about`): the world ends at its last month end, years
before or after today, so its day is the default and every page says so. The world's report,
named there, is served at ``/report``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Query, Request

from xinyong.core.timeutil import parse_instant
from xinyong.core.workdays import china_date
from xinyong.drivers.http.context import instant
from xinyong.drivers.http.lists import day_of, default_at

ABOUT_SUFFIX = ".world.json"  # the same as xinyong.world.pipeline.ABOUT_SUFFIX (a test holds it)


@dataclass(frozen=True, slots=True)
class World:
    """What a store made by the synthetic world says about itself."""

    at: datetime
    report: Path | None


def world_of(store_url: str) -> World | None:
    """The synthetic world that made the store file ``store_url``, or ``None``."""
    if "://" in store_url or store_url in ("", ":memory:"):
        return None
    db = Path(store_url)
    about = db.with_name(db.name + ABOUT_SUFFIX)
    try:
        body = json.loads(about.read_text(encoding="utf-8"))
        at = parse_instant(str(body["world_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    report = body.get("report")
    path = (db.parent / str(report)) if report else None
    return World(at, path if path is not None and path.is_file() else None)


@dataclass(frozen=True, slots=True)
class Day:
    """The day a portal page shows, and why."""

    at: datetime
    """The start of that day in China (an instant)."""
    asked: str | None
    """``?at=`` as given (kept on every link), or ``None``."""
    world: World | None

    @property
    def date(self) -> str:
        """The day in China, ``YYYY-MM-DD``."""
        return china_date(self.at).isoformat()

    def query(self, sep: str = "?") -> str:
        """``?at=DAY`` (or ``&at=DAY``) for a link when the day was asked for, else ``""``."""
        return f"{sep}at={self.date}" if self.asked else ""

    @property
    def note(self) -> str:
        if self.asked:
            return (
                f"Showing {self.date} (asked for with ?at=), as at the start of that day, "
                "China time."
            )
        if self.world is not None:
            return (
                f"This store was made by the synthetic world, which ends on {self.date}: pages "
                "show that day by default, not today. Add ?at=YYYY-MM-DD to an address to see "
                "another day."
            )
        return f"Showing today, {self.date}, as at the start of the day (China time)."


def portal_day(
    request: Request,
    at: Annotated[
        str | None,
        Query(max_length=40, description="ISO date; default today (or the world's last day)"),
    ] = None,
) -> Day:
    """The day a portal page shows (a FastAPI dependency; a bad ``at`` is a 400 page)."""
    world: World | None = getattr(request.app.state, "world", None)
    if at:
        return Day(day_of(instant(at, "at")), at, world)
    return Day(default_day(world), None, world)


def default_day(world: World | None) -> datetime:
    """The day portal pages show when not asked: the world's last day, else today."""
    return day_of(world.at) if world is not None else default_at()


PortalDay = Annotated[Day, Depends(portal_day)]
