"""Whom a scheme covers: the fast check batch scoring uses answers as the explained one."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from factories import ORG, PERSON
from xinyong.adapters.batch.codes import resident_births
from xinyong.core.codes import check
from xinyong.core.codes.issue import make_resident_id
from xinyong.core.codes.resident import resident_check_char
from xinyong.core.schemes.params import IntParam
from xinyong.core.schemes.population import Population, covered, not_covered

POPULATIONS = [
    Population(persons=True, organisations=False, min_age=IntParam(value=18, confidence="S"),
               legal_basis="test"),
    Population(persons=False, organisations=True, legal_basis="test"),
    Population(persons=True, organisations=True, min_age=IntParam(value=16, confidence="U"),
               legal_basis="test"),
    None,
]  # fmt: skip


@given(
    born=st.dates(min_value=date(1930, 1, 1), max_value=date(2025, 12, 31)),
    offset=st.integers(min_value=-3, max_value=3),
    years=st.sampled_from([15, 16, 17, 18, 19]),
    kind=st.sampled_from(["resident", "bad-check", "organisation", "junk"]),
    which=st.integers(min_value=0, max_value=len(POPULATIONS) - 1),
)
def test_covered_is_not_covered_is_none(
    born: date, offset: int, years: int, kind: str, which: int
) -> None:
    code = make_resident_id("110105", born, 7)
    if kind == "bad-check":
        code = code[:17] + ("0" if code[17] != "0" else "1")
    elif kind == "organisation":
        code = ORG
    elif kind == "junk":
        code = "12345"
    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:
        birthday = date(born.year + years, 3, 1)
    day = birthday + timedelta(days=offset)  # around a birthday: the edge of every age rule
    pop = POPULATIONS[which]
    assert covered(pop, code, day) == (not_covered(pop, code, day) is None)


@given(
    born=st.dates(min_value=date(1790, 1, 1), max_value=date(2030, 12, 31)),
    region=st.sampled_from(["110105", "830000", "990000", "910000", "000000", "440524"]),
    seq=st.integers(min_value=0, max_value=999),
    fault=st.sampled_from(["none", "check", "letter", "short", "date"]),
)
def test_resident_births_as_columns_agree_with_the_check(
    born: date, region: str, seq: int, fault: str
) -> None:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    code = body + resident_check_char(body)
    if fault == "check":
        code = body + ("0" if code[17] != "0" else "1")
    elif fault == "letter":
        code = code[:5] + "A" + code[6:]
    elif fault == "short":
        code = code[:17]
    elif fault == "date":
        code = code[:10] + "13" + code[12:]
    codes = [code, ORG, PERSON]
    got = resident_births(pl.Series(codes), date.today()).to_list()
    for c, fast in zip(codes, got, strict=True):
        full = check(c)
        if fast is not None:  # whatever the fast reading is sure of, the check reads the same
            assert full.kind == "resident"
            assert full.valid
            assert full.fields["birth_date"] == fast.isoformat()
        elif full.kind == "resident" and full.valid and not c.startswith("9"):
            raise AssertionError(f"{c}: a plain valid resident number left to the slow path")
