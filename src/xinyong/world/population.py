"""The synthetic population: residents in households, and organisations.

Everything is drawn in columns (NumPy, then Polars), never person by person, so the same
code makes a city of a thousand or a country of ten million. Each resident gets a valid,
unique resident identity number whose address code is a real county code (a district of
the city for the locally born, any county for the others), whose birth date is the
person's and whose sequence digit matches the person's sex. Organisations get valid,
unique unified social credit codes registered in the city's districts, a type, and a
legal representative who is an adult resident.

Subjects are numbered: residents ``0 .. n_residents - 1`` in row order, organisations
``n_residents ..`` after them (column ``idx``). All later stages work on these numbers and
only turn them into codes when writing records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.core.codes import county_codes, issue_organisation_codes, issue_resident_ids
from xinyong.core.codes.regions import known_region
from xinyong.world.names import organisation_names, person_names
from xinyong.world.scenario import PopulationParams, Scenario, ScenarioError

ROLES = ("head", "spouse", "relative", "child", "elder")


@dataclass(frozen=True, slots=True)
class Population:
    """Residents and organisations as Polars frames (see module docs for ``idx``)."""

    residents: pl.DataFrame
    organisations: pl.DataFrame

    @property
    def n_residents(self) -> int:
        return self.residents.height

    @property
    def n_subjects(self) -> int:
        return self.residents.height + self.organisations.height

    def codes(self) -> pl.Series:
        """Credit code of every subject, indexed by ``idx``."""
        return pl.concat([self.residents["id"], self.organisations["id"]])


@cache
def city_districts(city: str) -> tuple[str, ...]:
    """County-level codes under the prefecture ``city`` (four digits), sorted."""
    districts = tuple(c for c in county_codes() if c.startswith(city))
    if not districts:
        raise ScenarioError(
            f"world.city: {city!r} has no county-level divisions in the division table; "
            "give a prefecture code such as '3710' (Weihai)"
        )
    return districts


def city_short_name(city: str) -> str:
    r = known_region(city + "00")
    name = r.name_at() if r is not None else city
    return name.removesuffix("市")


def _households(
    rng: np.random.Generator, n: int, p: PopulationParams
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(household of each person, position in household, household sizes)."""
    shares = np.asarray(p.household_size_shares, dtype=np.float64)
    shares = shares / shares.sum()
    mean = float((np.arange(1, shares.size + 1) * shares).sum())
    h = int(n / mean * 1.1) + 16
    sizes = rng.choice(np.arange(1, shares.size + 1), size=h, p=shares).astype(np.int64)
    ends = np.cumsum(sizes)
    last = int(np.searchsorted(ends, n))  # household holding person n - 1
    sizes = sizes[: last + 1]
    sizes[-1] -= int(ends[last] - n)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    household = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    position = np.arange(n, dtype=np.int64) - starts[household]
    return household, position, sizes


def _ages_and_roles(
    rng: np.random.Generator,
    household: npt.NDArray[np.int64],
    position: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    p: PopulationParams,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """(age in years at the start, role index into ROLES, male) per person."""
    hh = sizes.size
    bands = np.asarray(p.head_age_shares, dtype=np.float64)
    band = rng.choice(bands.size, size=hh, p=bands / bands.sum())
    edges = np.asarray(p.head_age_edges, dtype=np.int64)
    head_age = rng.integers(edges[band], edges[band + 1])
    head_male = rng.random(hh) < p.male_head_share
    couple = rng.random(hh) < p.couple_share
    elder_last = (rng.random(hh) < p.elder_share) & (sizes >= 3)

    n = household.size
    ha = head_age[household]
    size = sizes[household]
    role = np.full(n, ROLES.index("child"), dtype=np.int64)
    role[position == 0] = ROLES.index("head")
    second = position == 1
    role[second & couple[household]] = ROLES.index("spouse")
    role[second & ~couple[household]] = ROLES.index("relative")
    role[(position == size - 1) & (position >= 2) & elder_last[household]] = ROLES.index("elder")

    male = rng.random(n) < 0.5
    age = np.zeros(n, dtype=np.int64)
    is_head = role == 0
    age[is_head] = ha[is_head]
    male[is_head] = head_male[household[is_head]]
    sp = role == ROLES.index("spouse")
    age[sp] = np.clip(np.rint(ha[sp] + rng.normal(0, 3, size=int(sp.sum()))), 18, 100)
    male[sp] = ~head_male[household[sp]]
    rel = role == ROLES.index("relative")
    rel_hi = np.minimum(ha[rel] + 10, 95)
    age[rel] = rng.integers(18, np.maximum(rel_hi, 19))
    ch = role == ROLES.index("child")
    upper = ha[ch] - p.child_gap_min
    lower = np.maximum(ha[ch] - p.child_gap_max, 0)
    lower = np.minimum(lower, np.maximum(upper, 0))
    age[ch] = rng.integers(lower, np.maximum(upper, 0) + 1)
    el = role == ROLES.index("elder")
    age[el] = np.minimum(ha[el] + rng.integers(22, 36, size=int(el.sum())), 100)
    return age, role, male


def _birth_dates(
    rng: np.random.Generator, age: npt.NDArray[np.int64], start: date
) -> npt.NDArray[np.datetime64]:
    """A birth date giving exactly ``age`` completed years on ``start``."""
    s = np.datetime64(start.isoformat(), "D")
    latest = (s.astype("datetime64[Y]") - age.astype("timedelta64[Y]")).astype("datetime64[D]")
    # Birthday in the year ``start.year - age`` on or before start's month/day ...
    offset = (s - s.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    anniversary = latest + offset.astype("timedelta64[D]")
    # ... so born within the 365 days up to that anniversary (exclusive of the day after).
    back = rng.integers(0, 365, size=age.size).astype("timedelta64[D]")
    born: npt.NDArray[np.datetime64] = anniversary - back
    return born


def exact_age(born: npt.NDArray[np.datetime64], on: date) -> npt.NDArray[np.int64]:
    """Completed years on ``on`` for each birth date (vectorised)."""
    y = born.astype("datetime64[Y]").astype(np.int64) + 1970
    m = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (born - born.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    before = (m > on.month) | ((m == on.month) & (d > on.day))
    out: npt.NDArray[np.int64] = on.year - y - before.astype(np.int64)
    return out


def _lerp_by_decile(
    decile: npt.NDArray[np.int64], low: float, high: float
) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = (low + (high - low) * (decile - 1) / 9.0).astype(np.float64)
    return out


def generate_residents(rng: np.random.Generator, n: int, scenario: Scenario) -> pl.DataFrame:
    p = scenario.population
    start = scenario.world.start
    districts = np.array(city_districts(scenario.world.city), dtype="U6")
    household, position, sizes = _households(rng, n, p)
    age, role, male = _ages_and_roles(rng, household, position, sizes, p)
    born = _birth_dates(rng, age, start)
    age = exact_age(born, start)

    local = rng.random(n) < scenario.world.local_born_share
    nationwide = np.array(county_codes(), dtype="U6")
    birth_region = np.where(
        local,
        districts[rng.integers(0, districts.size, size=n)],
        nationwide[rng.integers(0, nationwide.size, size=n)],
    )
    district = districts[rng.integers(0, districts.size, size=sizes.size)][household]

    # Occupation by age; the head's occupation shifts the household's income.
    names = [o.name for o in p.occupations]
    shares = np.array([o.share for o in p.occupations], dtype=np.float64)
    labels = np.array(["preschool", "student", "retired", *names])
    occ = 3 + rng.choice(len(names), size=n, p=shares / shares.sum())
    occ[age < 6] = 0
    occ[(age >= 6) & (age < 18)] = 1
    occ[(age >= 18) & (age <= 22) & (rng.random(n) < p.student_share_18_22)] = 1
    occ[age >= p.retirement_age] = 2
    shift = np.concatenate(([0.0, -0.3, -0.2], [o.income_shift for o in p.occupations]))
    heads = np.flatnonzero(position == 0)
    head_age = age[heads].astype(np.float64)
    gain = p.income_age_gain * (1.0 - np.minimum(((head_age - 45.0) / 20.0) ** 2, 2.0))
    latent = rng.normal(0.0, p.income_spread, size=heads.size) + shift[occ[heads]] + gain
    person_latent = latent[household] + rng.random(n) * 1e-9  # random tie-break
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(person_latent, kind="stable")] = np.arange(n)
    decile = rank * 10 // n + 1

    adult = age >= 18
    driver = (
        adult
        & (age <= 75)
        & (rng.random(n) < _lerp_by_decile(decile, p.driver_share_low, p.driver_share_high))
    )
    borrower = (
        adult
        & (age <= 70)
        & (rng.random(n) < _lerp_by_decile(decile, p.borrower_share_low, p.borrower_share_high))
    )
    ids = issue_resident_ids(rng, birth_region, born, male)
    name = person_names(rng, male, p.composed_given_share)
    return pl.DataFrame(
        {
            "idx": pl.Series(np.arange(n, dtype=np.int32)),
            "id": pl.Series(ids.astype(str), dtype=pl.String),
            "name": name,
            "sex": pl.Series(np.where(male, "male", "female")).cast(pl.Categorical),
            "birth_date": pl.Series(born.astype("datetime64[D]")),
            "age": pl.Series(age.astype(np.int16)),
            "household": pl.Series(household.astype(np.int32)),
            "role": pl.Series(np.array(ROLES)[role]).cast(pl.Categorical),
            "district": pl.Series(district).cast(pl.Categorical),
            "income_decile": pl.Series(decile.astype(np.int8)),
            "occupation": pl.Series(labels[occ]).cast(pl.Categorical),
            "driver": pl.Series(driver),
            "borrower": pl.Series(borrower),
        }
    )


def generate_organisations(
    rng: np.random.Generator, m: int, residents: pl.DataFrame, scenario: Scenario
) -> pl.DataFrame:
    p = scenario.population
    n = residents.height
    districts = np.array(city_districts(scenario.world.city), dtype="U6")
    shares = np.array([t.share for t in p.org_types], dtype=np.float64)
    kind = rng.choice(len(p.org_types), size=m, p=shares / shares.sum())
    authority = np.array([t.authority for t in p.org_types])[kind]
    code = np.array([t.code for t in p.org_types])[kind]
    region = districts[rng.integers(0, districts.size, size=m)]
    ids = issue_organisation_codes(rng, m, region, authority, code)
    suffix = np.array([t.suffix for t in p.org_types])[kind]
    name = organisation_names(rng, city_short_name(scenario.world.city), suffix)

    age = residents["age"].to_numpy()
    pool = np.flatnonzero((age >= 25) & (age <= 70))
    if pool.size == 0:
        pool = np.flatnonzero(age >= 18)
    if pool.size == 0:
        raise ScenarioError("no adult residents to be legal representatives; add residents")
    owners = np.flatnonzero(
        (residents["occupation"].cast(pl.String) == "business_owner").to_numpy() & (age >= 18)
    )
    rep = pool[rng.integers(0, pool.size, size=m)]
    if owners.size:
        use_owner = rng.random(m) < p.rep_business_owner_share
        rep = np.where(use_owner, owners[rng.integers(0, owners.size, size=m)], rep)
    rep_ids = residents["id"].gather(pl.Series(rep))
    return pl.DataFrame(
        {
            "idx": pl.Series(np.arange(n, n + m, dtype=np.int32)),
            "id": pl.Series(ids.astype(str), dtype=pl.String),
            "name": name,
            "type": pl.Series(np.array([t.name for t in p.org_types])[kind]).cast(pl.Categorical),
            "district": pl.Series(region).cast(pl.Categorical),
            "legal_rep": pl.Series(rep.astype(np.int32)),
            "legal_rep_id": rep_ids,
        }
    )


def generate_population(
    scenario: Scenario,
    residents: int | None = None,
    orgs: int | None = None,
    seed: int | None = None,
) -> Population:
    """A reproducible population: the same scenario, sizes and seed give the same frames."""
    n = scenario.world.residents if residents is None else residents
    if n < 1:
        raise ScenarioError(f"residents must be at least 1, got {n}")
    m = round(n * scenario.world.orgs_per_1000 / 1000) if orgs is None else orgs
    if m < 0:
        raise ScenarioError(f"orgs must not be negative, got {m}")
    s = scenario.world.seed if seed is None else seed
    people_seq, org_seq = np.random.SeedSequence([s, 1]).spawn(2)
    residents_frame = generate_residents(np.random.default_rng(people_seq), n, scenario)
    orgs_frame = generate_organisations(
        np.random.default_rng(org_seq), m, residents_frame, scenario
    )
    return Population(residents_frame, orgs_frame)
