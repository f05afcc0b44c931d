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

from xinyong.system.code_columns import birth_day, valid_resident


def resident_births(codes: pl.Series, today: date) -> pl.Series:
    """For each code (already stripped and upper case), its birth date when it is surely a
    valid resident identity number read as one by ``check(code, today=today)``; else null
    (not a resident number, or one this fast reading leaves to the full check)."""
    c = pl.col("code")
    sure = valid_resident(c, today, foreign=False)
    frame = pl.DataFrame({"code": codes.cast(pl.String)})
    return frame.select(pl.when(sure).then(birth_day(c)).alias("born"))["born"]
