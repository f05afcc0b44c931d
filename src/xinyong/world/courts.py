"""The court process: judgments, enforcement, listing decisions and performance.

A case opens when a court's judgment makes a subject a debtor. Each month an open case may
be performed (and closes quietly), or, once ``listing_after_months`` have passed, the court
may list the debtor on one of the six grounds; a listed debtor may later perform, which the
court records with a performance record referring to the listing (a removal event).

Whether a case reaches the credit system at all (coverage) and under whose code the court
files it (misattribution) are decided once per case, so all records of a case agree; the
ground truth keeps the real debtor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.world.behaviour import EVENT_SCHEMA, Modifiers, amounts, empty_events
from xinyong.world.clock import month_bounds, month_year
from xinyong.world.kinds import JUDGMENT, LISTING, REMOVAL, court_kind
from xinyong.world.scenario import Scenario
from xinyong.world.subjects import BoolArray, IntArray, Subjects

OPEN, PAID, LISTED, LISTED_PAID = 0, 1, 2, 3


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class Cases:
    """Every court case so far, as parallel arrays (case number = position)."""

    debtor: IntArray = field(default_factory=_empty_int)  # the real debtor
    filed: IntArray = field(default_factory=_empty_int)  # subject the court files under
    reported: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    opened: IntArray = field(default_factory=_empty_int)  # month (negative: backlog)
    year: IntArray = field(default_factory=_empty_int)  # calendar year the case opened
    status: npt.NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    amount: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    listing_id: list[str | None] = field(default_factory=list)  # record id of the listing
    listing_recorded: IntArray = field(default_factory=_empty_int)  # its recorded_at

    @property
    def n(self) -> int:
        return int(self.debtor.size)

    @property
    def misattributed(self) -> BoolArray:
        out: BoolArray = self.filed != self.debtor
        return out

    def open_cases(
        self,
        rng: np.random.Generator,
        scenario: Scenario,
        subjects: Subjects,
        debtors: IntArray,
        opened: IntArray,
        status: int,
        ages: IntArray,
    ) -> IntArray:
        """Add cases; returns their numbers. Filing (coverage, misattribution) is drawn here:
        a misattributed case is filed under another adult (or organisation)."""
        court = scenario.agencies[scenario.courts.agency]
        k = debtors.size
        reported = rng.random(k) < court.coverage
        wrong = rng.random(k) < court.misattribution_rate * scenario.errors.scale
        filed = debtors.copy()
        if wrong.any():
            filed[wrong] = misattribute(
                rng,
                subjects,
                debtors[wrong],
                court.misattribute_household_share,
                (ages >= 18) | subjects.is_org,
            )
        first = self.n
        self.debtor = np.concatenate((self.debtor, debtors))
        self.filed = np.concatenate((self.filed, filed))
        self.reported = np.concatenate((self.reported, reported))
        self.opened = np.concatenate((self.opened, opened))
        self.year = np.concatenate((self.year, month_year(scenario.world.start, opened)))
        self.status = np.concatenate((self.status, np.full(k, status, dtype=np.int8)))
        c = scenario.courts
        self.amount = np.concatenate(
            (self.amount, amounts(rng, c.amount_median, c.amount_sigma, k))
        )
        self.listing_id.extend([None] * k)
        self.listing_recorded = np.concatenate((self.listing_recorded, np.zeros(k, dtype=np.int64)))
        return np.arange(first, first + k, dtype=np.int64)


def misattribute(
    rng: np.random.Generator,
    subjects: Subjects,
    idx: IntArray,
    household_share: float | npt.NDArray[np.float64],
    eligible: BoolArray,
) -> IntArray:
    """Another subject for each of ``idx``, always one that could have done it (``eligible``,
    e.g. a driver for a camera record): with probability ``household_share`` a random other
    member of the same household, when that member is eligible; otherwise anyone eligible of
    the same sort (a resident for a resident, an organisation for an organisation). Never the
    subject itself while anyone else is eligible."""
    out = np.empty(idx.size, dtype=np.int64)
    other = subjects.household_other(rng, idx)
    use_hh = (other >= 0) & eligible[np.maximum(other, 0)]
    use_hh &= rng.random(idx.size) < household_share
    out[use_hh] = other[use_hh]
    rest = ~use_hh
    n_res = subjects.n_residents
    org = subjects.is_org[idx]
    res_pool = np.flatnonzero(eligible[:n_res])
    org_pool = n_res + np.flatnonzero(eligible[n_res:])
    _draw(rng, out, idx, rest & ~org, res_pool if res_pool.size else idx)
    _draw(rng, out, idx, rest & org, org_pool if org_pool.size else idx)
    return out


def _draw(
    rng: np.random.Generator,
    out: IntArray,
    idx: IntArray,
    sel: npt.NDArray[np.bool_],
    pool: IntArray,
) -> None:
    """out[sel] = a pool member other than idx[sel] (the next one when the draw hits it)."""
    k = int(sel.sum())
    if k == 0:
        return
    pos = rng.integers(0, pool.size, size=k)
    got = pool[pos]
    same = got == idx[sel]
    got[same] = pool[(pos[same] + 1) % pool.size]
    out[sel] = got


def _events(
    kind: int | IntArray,
    subject: IntArray,
    case: IntArray,
    occurred: IntArray,
    amount: npt.NDArray[np.float64],
    ground: npt.NDArray[np.int8],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kind": np.broadcast_to(np.asarray(kind, dtype=np.int16), subject.shape).copy(),
            "subject": subject.astype(np.int32),
            "occurred": occurred.astype(np.int64),
            "amount": amount,
            "case": case,
            "ground": ground,
        },
        schema=EVENT_SCHEMA,
    ).with_columns(pl.col("amount").fill_nan(None))


def _grounds(rng: np.random.Generator, scenario: Scenario, k: int) -> npt.NDArray[np.int8]:
    shares = scenario.courts.ground_shares
    names = sorted(shares)
    p = np.array([shares[g] for g in names], dtype=np.float64)
    picked: npt.NDArray[np.int8] = np.array([int(g) for g in names], dtype=np.int8)[
        rng.choice(len(names), size=k, p=p / p.sum())
    ]
    return picked


def _times(rng: np.random.Generator, scenario: Scenario, months: IntArray) -> IntArray:
    """A random instant within each (possibly negative) month of the run."""
    out = np.empty(months.size, dtype=np.int64)
    for m in np.unique(months).tolist():
        sel = months == m
        t0, t1 = month_bounds(scenario.world.start, int(m))
        out[sel] = rng.integers(t0, t1, size=int(sel.sum()))
    return out


class CourtProcess:
    """The courts of the city, stepping month by month."""

    def __init__(self, scenario: Scenario, subjects: Subjects) -> None:
        self.scenario = scenario
        self.subjects = subjects
        self.cases = Cases()
        self.kind = {w: court_kind(scenario, w) for w in (JUDGMENT, LISTING, REMOVAL)}

    def backlog(self, rng: np.random.Generator, ages: IntArray) -> pl.DataFrame:
        """Cases from before the start: debtors already listed, and open judgments."""
        c = self.scenario.courts
        adults = np.flatnonzero(ages >= 18)
        orgs = np.flatnonzero(self.subjects.is_org)
        listed = np.concatenate(
            (
                adults[rng.random(adults.size) < c.initial_listed_share],
                orgs[rng.random(orgs.size) < c.initial_org_listed_share],
            )
        )
        open_ = adults[rng.random(adults.size) < c.initial_open_share]
        lag = c.listing_after_months
        back = max(c.backlog_months, lag + 1)
        listed_at = -rng.integers(1, max(back - lag, 1) + 1, size=listed.size)
        opened_l = listed_at - lag - rng.integers(0, 3, size=listed.size)
        opened_o = -rng.integers(1, max(lag, 1) + 1, size=open_.size)
        cl = self.cases.open_cases(
            rng, self.scenario, self.subjects, listed, opened_l, LISTED, ages
        )
        co = self.cases.open_cases(rng, self.scenario, self.subjects, open_, opened_o, OPEN, ages)
        frames = [
            _events(
                self.kind[JUDGMENT],
                listed,
                cl,
                _times(rng, self.scenario, opened_l),
                self.cases.amount[cl],
                np.zeros(cl.size, dtype=np.int8),
            ),
            _events(
                self.kind[LISTING],
                listed,
                cl,
                _times(rng, self.scenario, listed_at),
                np.full(cl.size, np.nan),
                _grounds(rng, self.scenario, cl.size),
            ),
            _events(
                self.kind[JUDGMENT],
                open_,
                co,
                _times(rng, self.scenario, opened_o),
                self.cases.amount[co],
                np.zeros(co.size, dtype=np.int8),
            ),
        ]
        return pl.concat(frames)

    def _removal(self, rng: np.random.Generator, k: int) -> IntArray:
        """Which removal event ends each of ``k`` listed cases (index into removals)."""
        p = np.array([r.share for r in self.scenario.courts.removals], dtype=np.float64)
        picked: IntArray = rng.choice(p.size, size=k, p=p / p.sum()).astype(np.int64)
        return picked

    def step(
        self,
        rng: np.random.Generator,
        month: int,
        t0: int,
        t1: int,
        ages: IntArray,
        mods: Modifiers,
    ) -> pl.DataFrame:
        c = self.scenario.courts
        s = self.subjects
        cases = self.cases
        frames = []
        # Enforcement of earlier cases first (this month's judgments cannot be performed yet).
        dec = s.decile[cases.debtor] if cases.n else np.zeros(0)
        p_pay = np.minimum(c.perform_monthly * c.perform_income_factor ** (dec - 5.5), 1.0)
        p_paid_listed = np.minimum(c.removal_monthly * c.perform_income_factor ** (dec - 5.5), 1.0)
        u = rng.random(cases.n)
        is_open = cases.status == OPEN
        paid = is_open & (u < p_pay)
        cases.status[paid] = PAID
        age = month - cases.opened
        may_list = is_open & ~paid & (age >= c.listing_after_months)
        listing = np.flatnonzero(may_list & (rng.random(cases.n) < c.listing_monthly))
        paid_listed = np.flatnonzero((cases.status == LISTED) & (u < p_paid_listed))
        cases.status[paid_listed] = LISTED_PAID
        cases.status[listing] = LISTED
        debt = cases.debtor
        frames.append(
            _events(
                self.kind[LISTING],
                debt[listing],
                listing,
                rng.integers(t0, t1, size=listing.size),
                np.full(listing.size, np.nan),
                _grounds(rng, self.scenario, listing.size),
            )
        )
        frames.append(
            _events(
                self.kind[REMOVAL] + self._removal(rng, paid_listed.size),
                debt[paid_listed],
                paid_listed,
                rng.integers(t0, t1, size=paid_listed.size),
                cases.amount[paid_listed],
                np.zeros(paid_listed.size, dtype=np.int8),
            )
        )
        # New judgments.
        adult = ages >= 18
        rate = np.where(s.is_org, c.org_rate, np.where(adult, c.resident_rate, 0.0))
        rate = rate * c.income_factor ** (s.decile - 5.5) * mods.sanctions
        debtors = np.repeat(np.arange(s.n, dtype=np.int64), rng.poisson(rate))
        opened = np.full(debtors.size, month, dtype=np.int64)
        new = cases.open_cases(rng, self.scenario, s, debtors, opened, OPEN, ages)
        frames.append(
            _events(
                self.kind[JUDGMENT],
                debtors,
                new,
                rng.integers(t0, t1, size=new.size),
                cases.amount[new],
                np.zeros(new.size, dtype=np.int8),
            )
        )
        out = pl.concat(frames)
        return out if out.height else empty_events()
