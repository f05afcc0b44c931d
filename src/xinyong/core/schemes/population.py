"""Whom a scheme applies to: the population it covers, as data.

A scheme's ``meta.covers`` says which subjects it may score or list at all: natural persons,
organisations or both, a minimum age (whole years on the Chinese calendar day of the moment
evaluated) and, as text, a residence condition. A subject outside the population is not
scored, graded or listed, and the explanation says why (:func:`not_covered`): e.g. "not
scored: under 18 on 2026-03-01 (age 15)".

Residence cannot be checked from a credit code (the address code of a resident identity
number is where the number was first issued, not where the person lives): it is shown, and
records are expected to come only for residents from the scheme's own sources.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from xinyong.core.schemes.params import IntParam, Strict


class Population(Strict):
    persons: bool = True
    """Natural persons (resident identity numbers) are covered."""
    organisations: bool = True
    """Organisations (unified social credit codes) are covered."""
    min_age: IntParam | None = None
    """Persons younger than this (whole years, on the day in China) are not covered."""
    residence: str = ""
    """Residence condition, as text (not checkable from a code; see the module docstring)."""
    legal_basis: str
    source: str | None = None

    def describe(self) -> str:
        """One line: whom the scheme covers."""
        if self.persons and not self.organisations:
            who = "natural persons"
        elif self.organisations and not self.persons:
            who = "organisations"
        else:
            who = "natural persons and organisations"
        if self.min_age is not None and self.persons:
            who += f" aged {self.min_age.value} or over"
        if self.residence:
            who += f", {self.residence}"
        return f"{who} ({self.legal_basis})"


@lru_cache(maxsize=1 << 21)
def _kind_and_birth(subject: str) -> tuple[str | None, date | None]:
    """("person", birth) / ("organisation", None); (None, None) for a subject that is no
    credit code at all (only the synthetic batch datasets, which number their subjects:
    ingest refuses such subjects), to which no population rule applies. Kept for the last
    two million subjects asked about: batch scoring asks about every subject at every month
    end of a simulation."""
    from xinyong.core.codes import check

    c = check(subject)
    if c.kind == "resident" and c.valid:
        return "person", date.fromisoformat(str(c.fields["birth_date"]))
    if c.kind == "resident":
        return "person", None
    if c.kind == "organisation":
        return "organisation", None
    return None, None


def not_covered(pop: Population | None, subject: str, day: date) -> str | None:
    """Why ``subject`` is outside ``pop`` on ``day`` (a Chinese calendar date), or None.

    The reason does not name ``day``: it holds unchanged until the subject's birthday."""
    if pop is None:
        return None
    from xinyong.core.codes.resident import years_between

    kind, born = _kind_and_birth(subject)
    if kind == "person" and not pop.persons:
        return f"not covered: a natural person; the scheme covers {pop.describe()}"
    if kind == "organisation" and not pop.organisations:
        return f"not covered: an organisation; the scheme covers {pop.describe()}"
    if kind == "person" and pop.min_age is not None:
        if born is None:
            return "not covered: the age cannot be read from the identity number"
        if years_between(born, day) < pop.min_age.value:
            # no moment in the text, so that a stored state stays valid until the birthday
            turns = coverage_starts(pop, subject)
            return (
                f"not scored: under {pop.min_age.value} (born {born.isoformat()}; turns "
                f"{pop.min_age.value} on {turns} in China); the scheme covers {pop.describe()}"
            )
    return None


def covered(pop: Population | None, subject: str, day: date) -> bool:
    """Whether ``subject`` is inside ``pop`` on ``day``: ``not_covered(...) is None``, without
    composing the reason (batch scoring asks this of every subject)."""
    if pop is None:
        return True
    kind, born = _kind_and_birth(subject)
    if kind == "person":
        if not pop.persons:
            return False
        if pop.min_age is None:
            return True
        return born is not None and _years(born, day) >= pop.min_age.value
    return kind != "organisation" or pop.organisations


def _years(born: date, day: date) -> int:
    from xinyong.core.codes.resident import years_between

    return years_between(born, day)


def coverage_starts(pop: Population | None, subject: str) -> date | None:
    """The Chinese day a person enters the population by age (their birthday), or None."""
    if pop is None or pop.min_age is None:
        return None
    kind, born = _kind_and_birth(subject)
    if kind != "person" or born is None:
        return None
    try:
        return born.replace(year=born.year + pop.min_age.value)
    except ValueError:  # born on 29 February: the birthday is 1 March in a common year
        return date(born.year + pop.min_age.value, 3, 1)
