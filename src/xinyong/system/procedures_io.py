"""Loading the due-process data shipped in the package: the working-day calendar (one TOML file
per year) and the rules that govern objections. Errors name the file and the key."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from xinyong.core.objection_rules import ObjectionRules, parse_objection_rules
from xinyong.core.workdays import CalendarError, WorkCalendar, parse_calendars

DATA = "xinyong.data"


def _toml(path: Any, origin: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CalendarError(f"{origin}: not valid TOML: {e}") from None
    return data


@cache
def work_calendar() -> WorkCalendar:
    """The PRC working-day calendar for every year shipped (``data/calendars/cn-*.toml``)."""
    folder = resources.files(DATA).joinpath("calendars")
    files = sorted(
        (p for p in folder.iterdir() if p.name.startswith("cn-") and p.name.endswith(".toml")),
        key=lambda p: p.name,
    )
    return parse_calendars((f"calendars/{p.name}", _toml(p, f"calendars/{p.name}")) for p in files)


@cache
def objection_rules() -> ObjectionRules:
    """The rules that govern objections (``data/procedures/objections.toml``)."""
    path = resources.files(DATA).joinpath("procedures", "objections.toml")
    origin = "procedures/objections.toml"
    return parse_objection_rules(_toml(path, origin), origin)
