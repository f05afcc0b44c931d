"""Chinese names and organisation names for millions of synthetic people, vectorised.

Faker's ``zh_CN`` providers are read once for their pools (surnames with their weights,
male and female given-name characters, company name parts); names are then drawn with
NumPy and assembled with Polars, so ten million names take seconds, not hours. Faker's own
random generator is never used: the caller's ``numpy.random.Generator`` decides everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import polars as pl


@dataclass(frozen=True, slots=True)
class NamePools:
    surnames: tuple[str, ...]
    surname_weights: npt.NDArray[np.float64]  # normalised to sum 1
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]
    company_prefixes: tuple[str, ...]
    company_suffixes: tuple[str, ...]


@cache
def name_pools() -> NamePools:
    """The pools from Faker's zh_CN person and company providers (deterministic order)."""
    from faker.providers.company.zh_CN import Provider as Company
    from faker.providers.person.zh_CN import Provider as Person

    last = Person.last_names
    surnames = tuple(last.keys()) if isinstance(last, dict) else tuple(last)
    if isinstance(last, dict):
        weights = np.array([float(last[s]) for s in surnames], dtype=np.float64)
    else:
        weights = np.ones(len(surnames), dtype=np.float64)
    return NamePools(
        surnames=surnames,
        surname_weights=weights / weights.sum(),
        male_given=tuple(Person.first_names_male),
        female_given=tuple(Person.first_names_female),
        company_prefixes=tuple(Company.company_prefixes),
        company_suffixes=tuple(Company.company_suffixes),
    )


def person_names(
    rng: np.random.Generator, male: npt.NDArray[np.bool_], composed_share: float
) -> pl.Series:
    """One name per person: a surname drawn by its frequency, then a given name from
    Faker's pool for the person's sex or, with probability ``composed_share``, two
    one-character given names of that pool put together (more variety than the pool)."""
    pools = name_pools()
    n = male.shape[0]
    surname = rng.choice(len(pools.surnames), size=n, p=pools.surname_weights)
    given = [*pools.male_given, *pools.female_given]
    n_male = len(pools.male_given)
    male_single = np.array([i for i, g in enumerate(pools.male_given) if len(g) == 1])
    female_single = np.array([n_male + i for i, g in enumerate(pools.female_given) if len(g) == 1])
    whole = np.where(
        male,
        rng.integers(0, n_male, size=n),
        n_male + rng.integers(0, len(pools.female_given), size=n),
    )
    a = np.where(
        male,
        male_single[rng.integers(0, male_single.size, size=n)],
        female_single[rng.integers(0, female_single.size, size=n)],
    )
    b = np.where(
        male,
        male_single[rng.integers(0, male_single.size, size=n)],
        female_single[rng.integers(0, female_single.size, size=n)],
    )
    composed = rng.random(n) < composed_share
    empty = len(given)
    pool = pl.Series("g", [*given, ""])
    frame = pl.DataFrame(
        {
            "s": pl.Series("s", pools.surnames).gather(surname),
            "g1": pool.gather(np.where(composed, a, whole)),
            "g2": pool.gather(np.where(composed, b, empty)),
        }
    )
    return frame.select(pl.concat_str(["s", "g1", "g2"]).alias("name")).to_series()


def organisation_names(
    rng: np.random.Generator, city: str, suffixes: npt.NDArray[np.str_]
) -> pl.Series:
    """Organisation names: the city's short name, a Faker company prefix, and the suffix
    of the organisation's type (an empty type suffix takes a Faker company suffix)."""
    pools = name_pools()
    n = suffixes.shape[0]
    prefix = pl.Series("p", pools.company_prefixes).gather(
        pl.Series(rng.integers(0, len(pools.company_prefixes), size=n))
    )
    company = pl.Series("c", pools.company_suffixes).gather(
        pl.Series(rng.integers(0, len(pools.company_suffixes), size=n))
    )
    own = pl.Series("o", suffixes.astype(str))
    frame = pl.DataFrame({"p": prefix, "c": company, "o": own})
    return frame.select(
        pl.concat_str(
            [
                pl.lit(city),
                pl.col("p"),
                pl.when(pl.col("o") == "").then(pl.col("c")).otherwise(pl.col("o")),
            ]
        ).alias("name")
    ).to_series()
