"""Credit codes read as columns: the birth dates of a column of resident identity numbers.

Batch scoring asks of every distinct subject whether a scheme covers it (a person of 18 or
over, an organisation...), which needs the subject's kind and birth date as
:func:`xinyong.core.codes.check` reads them: about 0.3 ms a code in Python, which is most of
a month end for a simulated city. :func:`resident_births` reads the common case, a valid
resident identity number that is nothing else, as column expressions; every other code
(organisations, foreign permanent residents, allow-listed pilot codes, codes with a fault)
is left null for the caller to read with the one Python check. A property test holds the
two readings together.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from xinyong.core.codes.organisation import shipped_allow_list
from xinyong.core.codes.regions import provinces
from xinyong.core.codes.resident import (
    CHECK_CHARS,
    EARLIEST_BIRTH,
    EXTRA_PROVINCE_PREFIXES,
    FOREIGN_PERMANENT_RESIDENT_MARK,
    WEIGHTS,
)


def resident_births(codes: pl.Series, today: date) -> pl.Series:
    """For each code (already stripped and upper case), its birth date when it is surely a
    valid resident identity number read as one by ``check(code, today=today)``; else null
    (not a resident number, or one this fast reading leaves to the full check)."""
    c = pl.col("code")
    digits = [c.str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(17)]
    total = sum((d * w for d, w in zip(digits, WEIGHTS, strict=True)), pl.lit(0))
    expected = pl.lit(pl.Series(list(CHECK_CHARS))).get(total % 11)
    prefixes = sorted({*provinces(), *EXTRA_PROVINCE_PREFIXES})
    born = c.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    sure = (
        (c.str.len_bytes() == 18)
        & c.str.contains(r"^[0-9]{17}[0-9X]$")
        & ~c.str.starts_with(FOREIGN_PERMANENT_RESIDENT_MARK)  # maybe a USCC: full check
        & c.str.slice(0, 2).is_in(prefixes)
        & (c.str.slice(17, 1) == expected)
        & born.is_not_null()
        & (born >= EARLIEST_BIRTH)
        & (born <= today)
        & ~c.is_in(sorted(shipped_allow_list()))
    )
    frame = pl.DataFrame({"code": codes.cast(pl.String)})
    return frame.select(pl.when(sure).then(born).alias("born"))["born"]
