"""Administrative division codes (GB/T 2260) with their names over time.

Both kinds of credit code embed a six-digit administrative division code: the resident
identity number (GB 11643-1999, positions 1-6, the "address code" of the place where the
number was first issued) and the unified social credit code (GB 32100-2015, positions 3-8,
the division of the registering authority). The code has three levels of two digits each:
province (``11`` Beijing), prefecture (``1101``) and county (``110105``); ``..00`` means
"the whole level above".

The table is read from python-stdnum's bundled ``stdnum/cn/loc.dat`` (compiled from the
Chinese Wikipedia lists of division codes) through stdnum's own ``numdb`` parser, so no
data is copied into this project. Each county entry may carry a history such as
``[-1991]东郊区,[1992-]东丽区``: a name per period of years. Codes are retired and
reassigned over time, which is why validators must not reject a code only because it is
missing from this table.

Everything here is deterministic: tables are sorted by code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from stdnum import numdb

__all__ = [
    "PLACEHOLDER_NAMES",
    "NamePeriod",
    "Region",
    "county_codes",
    "known_region",
    "province_name",
    "provinces",
    "region_name",
    "regions",
]

# Names the table uses for aggregate rows, not for real places ("the districts of the city",
# "the counties", "the city area", "county-level units directly under the province").
PLACEHOLDER_NAMES = frozenset(
    {"市辖区", "县", "市区", "省直辖县级行政单位", "自治区直辖县级行政单位"}
)

_PERIOD = re.compile(r"^\[(?P<start>\d*)-(?P<end>\d*)\](?P<name>.+)$")


@dataclass(frozen=True, slots=True)
class NamePeriod:
    """A name a code carried from ``start`` to ``end`` (years, inclusive; None = open)."""

    name: str
    start: int | None = None
    end: int | None = None

    def covers(self, year: int) -> bool:
        """True when the name was in use during ``year``."""
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


@dataclass(frozen=True, slots=True)
class Region:
    """One six-digit division code and the names it has had, oldest first."""

    code: str
    history: tuple[NamePeriod, ...]

    @property
    def level(self) -> str:
        """``"province"``, ``"prefecture"`` or ``"county"`` from the zero pattern."""
        if self.code[2:] == "0000":
            return "province"
        if self.code[4:] == "00":
            return "prefecture"
        return "county"

    @property
    def current(self) -> bool:
        """True when the latest name has no end year (still in use in the table)."""
        return self.history[-1].end is None

    def name_at(self, year: int | None = None) -> str:
        """The name in use during ``year``; the latest name when ``year`` is None or no
        period covers it (lenient: a retired code still gets its last known name)."""
        if year is not None:
            for period in self.history:
                if period.covers(year):
                    return period.name
        return self.history[-1].name


def _parse_history(text: str) -> tuple[NamePeriod, ...]:
    periods = []
    for part in text.split(","):
        m = _PERIOD.match(part)
        if m is None:
            periods.append(NamePeriod(part))
        else:
            start, end = m.group("start"), m.group("end")
            periods.append(
                NamePeriod(
                    m.group("name"), int(start) if start else None, int(end) if end else None
                )
            )
    return tuple(periods)


@cache
def _tables() -> tuple[dict[str, str], dict[str, Region]]:
    """(province prefix -> name, six-digit code -> Region), both sorted by code."""
    db = numdb.get("cn/loc")
    provinces: dict[str, str] = {}
    table: dict[str, Region] = {}
    for length, low, high, props, children in db.prefixes:
        if length != 2 or low != high:  # the file uses single two-digit prefixes
            continue
        provinces[low] = str(props.get("province", ""))
        for c_length, c_low, c_high, c_props, _ in children:
            if c_length != 4 or c_low != c_high or "county" not in c_props:
                continue
            code = low + c_low
            table[code] = Region(code, _parse_history(str(c_props["county"])))
    return dict(sorted(provinces.items())), dict(sorted(table.items()))


def provinces() -> dict[str, str]:
    """Province-level prefixes (two digits) with their names, sorted by prefix."""
    return dict(_tables()[0])


def province_name(prefix: str) -> str | None:
    """Name of the province-level division with this two-digit prefix, or None."""
    return _tables()[0].get(prefix[:2])


def regions() -> dict[str, Region]:
    """Every six-digit code in the table, sorted by code."""
    return dict(_tables()[1])


def known_region(code: str) -> Region | None:
    """The table entry for a six-digit code, or None when the table does not have it."""
    return _tables()[1].get(code)


def region_name(code: str, year: int | None = None) -> str | None:
    """Full name of a division code as in use during ``year`` (latest name when None).

    Province, prefecture and county names are joined, skipping aggregate placeholders:
    ``110105`` -> ``北京市朝阳区``, ``130102`` -> ``河北省石家庄市长安区``. Returns None
    when the code is not in the table.
    """
    region = known_region(code)
    if region is None:
        return None
    province = province_name(code) or ""
    if region.level == "province":
        return province or region.name_at(year)
    parts = [province]
    if region.level == "county":
        prefecture = known_region(code[:4] + "00")
        if prefecture is not None:
            name = prefecture.name_at(year)
            if name not in PLACEHOLDER_NAMES:
                parts.append(name)
    name = region.name_at(year)
    if name not in PLACEHOLDER_NAMES:
        parts.append(name)
    return "".join(parts)


@cache
def _county_codes(current: bool) -> tuple[str, ...]:
    return tuple(
        code
        for code, region in _tables()[1].items()
        if region.level == "county"
        and region.history[-1].name not in PLACEHOLDER_NAMES
        and (region.current or not current)
    )


def county_codes(*, current: bool = True) -> tuple[str, ...]:
    """County-level codes (real places, not aggregate rows), sorted.

    With ``current`` (the default) only codes whose latest name is still in use; otherwise
    retired codes too.
    """
    return _county_codes(current)
