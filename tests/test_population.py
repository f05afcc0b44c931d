"""Whom a scheme covers: the fast check batch scoring uses answers as the explained one."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from factories import ORG
from xinyong.core.codes.issue import make_resident_id
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
