"""Resident identity numbers checked as columns: the checks of
:func:`xinyong.core.codes.check` that make a GB 11643 number valid, as Polars expressions.

Used where a whole column of codes is checked at once: admission (a row whose subject is a
valid resident number needs no row validator) and batch scoring (a valid resident number's
birth date for the population a scheme covers). Codes the expressions do not vouch for are
left to the one Python check.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import polars as pl

from xinyong.core.codes.organisation import shipped_allow_list
from xinyong.core.codes.regions import province_name
from xinyong.core.codes.resident import (
    CHECK_CHARS,
    EARLIEST_BIRTH,
    EXTRA_PROVINCE_PREFIXES,
    FOREIGN_PERMANENT_RESIDENT_MARK,
    WEIGHTS,
)

RESIDENT_SHAPE = r"^[0-9]{17}[0-9X]$"


@lru_cache(maxsize=1)
def province_prefixes() -> list[str]:
    """Two-digit prefixes a resident number may start with (GB/T 2260 and the extras)."""
    return sorted(
        {f"{i:02d}" for i in range(100) if province_name(f"{i:02d}") is not None}
        | set(EXTRA_PROVINCE_PREFIXES)
    )


@lru_cache(maxsize=1)
def allow_listed() -> list[str]:
    """The shipped pilot organisation codes (read as organisations, whatever their shape)."""
    return sorted(shipped_allow_list())


def check_char_ok(code: pl.Expr) -> pl.Expr:
    """The GB 11643 MOD 11-2 check character at position 18, computed over the column."""
    total = pl.sum_horizontal(
        [code.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(WEIGHTS)]
    )
    expected = (total % 11).replace_strict(
        list(range(11)), list(CHECK_CHARS), return_dtype=pl.String
    )
    return code.str.slice(17, 1) == expected


def birth_day(code: pl.Expr) -> pl.Expr:
    """The birth date at positions 7-14 (null when it is not a real date)."""
    return code.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)


def valid_resident(code: pl.Expr, today: date, *, foreign: bool) -> pl.Expr:
    """Whether ``code`` (stripped, upper case) is a valid resident identity number as
    ``check(code, today=today)`` finds it. With ``foreign``, a foreign permanent resident's
    number (first character 9, no province) counts; without, such codes are left out (they
    may also be valid organisation codes, which ``check`` then prefers)."""
    born = birth_day(code)
    province = code.str.slice(0, 2).is_in(province_prefixes())
    mark = code.str.starts_with(FOREIGN_PERMANENT_RESIDENT_MARK)
    return (
        code.str.contains(RESIDENT_SHAPE)
        & born.is_not_null()
        & (born >= EARLIEST_BIRTH)
        & (born <= today)
        & ((mark | province) if foreign else (~mark & province))
        & check_char_ok(code)
        & ~code.is_in(allow_listed())
    )
