"""The population as flat NumPy arrays indexed by subject number (``idx``).

Residents come first (``0 .. n_residents - 1``), organisations after them. Organisations
have no household (-1), no age and the middle income decile (5.5), so the same formulas
run over every subject at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.world.population import Population, exact_age
from xinyong.world.scenario import Eligible

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Subjects:
    n_residents: int
    n: int
    codes: pl.Series  # credit code by idx
    household: IntArray  # -1 for organisations
    hh_start: IntArray  # first resident of each household
    hh_size: IntArray
    decile: FloatArray  # 1..10; 5.5 for organisations
    born: npt.NDArray[np.datetime64]  # NaT for organisations
    driver: BoolArray
    borrower: BoolArray
    head: BoolArray
    is_org: BoolArray
    district: IntArray  # index into ``districts``
    districts: tuple[str, ...]  # the district codes present, sorted

    @classmethod
    def of(cls, population: Population) -> Subjects:
        r, o = population.residents, population.organisations
        n_res, n = r.height, r.height + o.height
        pad_b = np.zeros(o.height, dtype=bool)
        household = np.concatenate(
            (r["household"].to_numpy().astype(np.int64), np.full(o.height, -1, dtype=np.int64))
        )
        hh = household[:n_res]
        sizes = np.bincount(hh) if n_res else np.zeros(0, dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        born = np.concatenate(
            (
                r["birth_date"].to_numpy().astype("datetime64[D]"),
                np.full(o.height, np.datetime64("NaT"), dtype="datetime64[D]"),
            )
        )
        codes = pl.concat([r["district"].cast(pl.String), o["district"].cast(pl.String)])
        districts = tuple(sorted(codes.unique().to_list()))
        lookup = {d: i for i, d in enumerate(districts)}
        district = codes.replace_strict(lookup, return_dtype=pl.Int64).to_numpy()
        return cls(
            n_residents=n_res,
            n=n,
            codes=population.codes(),
            household=household,
            hh_start=starts,
            hh_size=sizes.astype(np.int64),
            decile=np.concatenate(
                (r["income_decile"].to_numpy().astype(np.float64), np.full(o.height, 5.5))
            ),
            born=born,
            driver=np.concatenate((r["driver"].to_numpy(), pad_b)),
            borrower=np.concatenate((r["borrower"].to_numpy(), pad_b)),
            head=np.concatenate(((r["role"].cast(pl.String) == "head").to_numpy(), pad_b)),
            is_org=np.concatenate((np.zeros(n_res, dtype=bool), np.ones(o.height, dtype=bool))),
            district=district.astype(np.int64),
            districts=districts,
        )

    @property
    def n_households(self) -> int:
        return int(self.hh_size.size)

    def ages(self, on: date) -> IntArray:
        """Completed years on ``on``; -1 for organisations."""
        out = np.full(self.n, -1, dtype=np.int64)
        out[: self.n_residents] = exact_age(self.born[: self.n_residents], on)
        return out

    def eligible(self, who: Eligible, ages: IntArray) -> BoolArray:
        adult = ages >= 18
        if who == "all":
            return ~self.is_org
        if who == "adult":
            return adult
        if who == "driver":
            return self.driver & adult
        if who == "borrower":
            return self.borrower & adult
        if who == "head":
            return self.head & adult
        return self.is_org.copy()

    def household_other(self, rng: np.random.Generator, idx: IntArray) -> IntArray:
        """Another member of each subject's household (-1 when alone or an organisation)."""
        hh = self.household[idx]
        out = np.full(idx.size, -1, dtype=np.int64)
        ok = hh >= 0
        ok[ok] = self.hh_size[hh[ok]] > 1
        if not ok.any():
            return out
        h = hh[ok]
        size = self.hh_size[h]
        pos = idx[ok] - self.hh_start[h]
        step = 1 + (rng.random(h.size) * (size - 1)).astype(np.int64)
        out[ok] = self.hh_start[h] + (pos + step) % size
        return out
