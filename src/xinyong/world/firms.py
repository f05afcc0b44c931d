"""Organisations in the synthetic world: firms file annual reports and tax returns, move
address, commit tax violations; the tax and market regulation agencies report with their own
coverage and errors; the corporate outcomes come back through the public API.

Kept apart from the resident world (``run.py``): :func:`run_firms` generates a seeded
population of firms, feeds one year of their records into an :class:`xinyong.CreditSystem`
and returns, per firm size and list, the share of firms listed and how many listings were
wrongful (an agency error: the firm had done nothing). Every rate is illustrative (U): no
source gives them; they are parameters of :class:`FirmScenario`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from xinyong.core.codes.issue import make_uscc
from xinyong.core.records import Record
from xinyong.world.credit import replay_clock

if TYPE_CHECKING:
    from xinyong import CreditSystem

SIZES = ("small", "medium", "large")
LISTS = (
    "samr-enterprise-lists/abnormal-operations",
    "sat-major-tax-violations/major-tax-violators",
    "sat-tax-credit/d-level",
    "sat-tax-credit/a-level",
)


@dataclass(frozen=True)
class FirmScenario:
    """All rates are per firm and year, illustrative (U)."""

    firms: int = 1000
    seed: int = 7
    year: int = 2024
    size_shares: tuple[float, float, float] = (0.8, 0.15, 0.05)
    late_report: dict[str, float] = field(
        default_factory=lambda: {"small": 0.12, "medium": 0.05, "large": 0.02}
    )
    unreachable: dict[str, float] = field(
        default_factory=lambda: {"small": 0.03, "medium": 0.01, "large": 0.0}
    )
    late_filings: dict[str, float] = field(
        default_factory=lambda: {"small": 1.5, "medium": 0.6, "large": 0.2}
    )
    major_violation: float = 0.004
    corrects: float = 0.5
    """Share of rightly listed firms that correct the ground within the year."""
    tax_coverage: float = 0.95
    """Share of late filings the tax authority records (the rest are never recorded)."""
    market_error: float = 0.01
    """Share of firms that published their report on time yet are listed for not doing so."""
    error_removed: float = 0.8
    """Share of wrongful listings removed (after the firm objects) within the year."""


@dataclass(frozen=True)
class Firm:
    code: str
    size: str
    founded: datetime


def _day(year: int, rng: np.random.Generator, first: int = 0, last: int = 364) -> datetime:
    return datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(first, last + 1)))


def generate_firms(s: FirmScenario) -> list[Firm]:
    rng = np.random.default_rng(s.seed)
    sizes = rng.choice(len(SIZES), size=s.firms, p=list(s.size_shares))
    out = []
    for i in range(s.firms):
        code = make_uscc("9", "1", "310115", f"{70000000 + i:08d}")
        out.append(Firm(code, SIZES[sizes[i]], _day(int(rng.integers(2005, s.year - 1)), rng)))
    return out


def firm_records(firms: list[Firm], s: FirmScenario) -> tuple[list[Record], set[str]]:
    """One year of reported records, and the ids of the wrongful listings (agency errors)."""
    rng = np.random.default_rng(s.seed + 1)
    out: list[Record] = []
    wrongful: set[str] = set()

    def rec(f: Firm, rid: str, cat: str, when: datetime, src: str, **kw: object) -> Record:
        r = Record(f"{f.code}-{rid}", f.code, cat, when, when, src, f"world: {cat}", **kw)  # type: ignore[arg-type]
        out.append(r)
        return r

    for f in firms:
        rec(f, "reg", "tax.first_registration", f.founded, "tax-authority")
        for k in range(int(rng.poisson(s.late_filings[f.size]))):
            if rng.random() < s.tax_coverage:
                rec(f, f"lf{k}", "tax.late_filing", _day(s.year, rng), "tax-authority")
        if rng.random() < s.major_violation:
            ground = int(rng.integers(1, 12))
            rec(
                f,
                "mv",
                "tax.major_violation_determination",
                _day(s.year, rng),
                "tax-authority",
                details={"ground": ground},
            )
        late = rng.random() < s.late_report[f.size]
        error = not late and rng.random() < s.market_error
        if late or error:
            listing = rec(
                f,
                "ab1",
                "market.abnormal_listing",
                datetime(s.year, 7, 10, tzinfo=UTC),
                "market-regulator",
                details={"ground": 1},
            )
            if error:
                wrongful.add(listing.id)
            if rng.random() < (s.error_removed if error else s.corrects):
                when = listing.occurred_at + timedelta(days=int(rng.integers(20, 150)))
                rec(
                    f,
                    "rm1",
                    "market.abnormal_removal",
                    when,
                    "market-regulator",
                    refers_to=listing.id,
                )
        if rng.random() < s.unreachable[f.size]:
            rec(
                f,
                "ab4",
                "market.abnormal_listing",
                _day(s.year, rng, 0, 300),
                "market-regulator",
                details={"ground": 4},
            )
    return out, wrongful


def run_firms(system: CreditSystem, s: FirmScenario) -> pl.DataFrame:
    """Ingest one year of the firms' records and return, per size and list, the firms, the
    firms listed at the end of the year, their share and the wrongful listings among them."""
    firms = generate_firms(s)
    records, wrongful = firm_records(firms, s)
    at = datetime(s.year, 12, 31, tzinfo=UTC)
    replay_clock(system, at)  # the store accepts the year's records at its end
    system.ingest(records)
    rows = []
    for f in firms:
        entries = system.view(f.code, at).in_force()
        for name in LISTS:
            mine = [e for e in entries if f"{e.scheme}/{e.list_id}" == name]
            causes = {str(e.cause.get("record_id")) for e in mine}
            rows.append(
                {
                    "size": f.size,
                    "list": name,
                    "listed": bool(mine),
                    "wrongful": bool(mine) and causes <= wrongful,
                }
            )
    frame = pl.DataFrame(rows)
    return (
        frame.group_by("size", "list")
        .agg(
            pl.len().alias("firms"),
            pl.col("listed").sum().alias("listed"),
            pl.col("wrongful").sum().alias("wrongful"),
        )
        .with_columns((pl.col("listed") / pl.col("firms")).alias("share"))
        .sort("list", "size")
    )
