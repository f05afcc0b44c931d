"""Credit codes checked as columns: the checks of :func:`xinyong.core.codes.check` that make
a GB 11643 resident identity number or a GB 32100 unified social credit code valid, as
Polars expressions.

Used where a whole column of codes is checked at once: admission (a row whose subject is a
valid resident number or organisation code needs no row validator) and batch scoring (a
valid resident number's birth date for the population a scheme covers). Codes the
expressions do not vouch for are left to the one Python check.
"""

from __future__ import annotations

import string
from datetime import date
from functools import lru_cache

import polars as pl

from xinyong.core.codes.organisation import (
    ALPHABET,
    GB11714_WEIGHTS,
    USCC_WEIGHTS,
    gb11714_value,
    shipped_allow_list,
)
from xinyong.core.codes.regions import province_name
from xinyong.core.codes.resident import (
    CHECK_CHARS,
    EARLIEST_BIRTH,
    EXTRA_PROVINCE_PREFIXES,
    FOREIGN_PERMANENT_RESIDENT_MARK,
    WEIGHTS,
)

RESIDENT_SHAPE = r"^[0-9]{17}[0-9X]$"
ORGANISATION_SHAPE = rf"^[{ALPHABET}]{{2}}[0-9]{{6}}[{ALPHABET}]{{10}}$"
"""18 symbols of the GB 32100 alphabet, the division code (positions 3-8) in digits."""
_GB11714_VALUES = {c: gb11714_value(c) for c in string.digits + string.ascii_uppercase}
_USCC_VALUES = {c: i for i, c in enumerate(ALPHABET)}


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


def _weighted(
    code: pl.Expr, first: int, weights: tuple[int, ...], values: dict[str, int]
) -> pl.Expr:
    """The sum of the characters' values times the weights, from position ``first``
    (0-based); a character without a value counts as nothing (the shape check refuses it)."""
    return pl.sum_horizontal(
        [
            code.str.slice(first + i, 1).replace_strict(values, default=None, return_dtype=pl.Int32)
            * w
            for i, w in enumerate(weights)
        ]
    )


def valid_organisation(code: pl.Expr) -> pl.Expr:
    """Whether ``code`` (as written) is a unified social credit code that ``check(code)``
    finds valid and reads as nothing else: 18 symbols of the GB 32100 alphabet with digits
    in positions 3-8, the GB 11714 check character at position 17 and the GB 32100 one at
    position 18 right. Left to the one Python check: a code that could also be read as a
    resident number (17 digits and a digit or X: ``check`` weighs both readings) and an
    allow-listed pilot code (valid whatever its check characters)."""
    org = 11 - _weighted(code, 8, GB11714_WEIGHTS, _GB11714_VALUES) % 11
    org_char = (pl.when(org == 10).then(pl.lit("X")).when(org == 11).then(pl.lit("0"))).otherwise(
        org.cast(pl.String)
    )
    uscc = (31 - _weighted(code, 0, USCC_WEIGHTS, _USCC_VALUES) % 31) % 31
    return (
        code.str.contains(ORGANISATION_SHAPE)
        & ~code.str.contains(RESIDENT_SHAPE)
        & (code.str.slice(16, 1) == org_char)
        & (code.str.slice(17, 1) == pl.lit(ALPHABET).str.slice(uscc, 1))
        & ~code.is_in(allow_listed())
    )
