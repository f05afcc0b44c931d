"""Organisations as firms: they file tax returns and annual reports, move address, commit
tax violations, get listed and correct; the tax and market regulation agencies report what
they saw with their own coverage, latency and errors.

The firms are the population's organisations of the types in ``[firms] types`` (those the
market regulator registers), each given a size (small, medium, large). Every month
:meth:`FirmProcess.month` draws their acts and the agencies' records; the run ingests them
through the same :class:`xinyong.CreditSystem` as every other record, and the organisation
schemes of ``[system] schemes`` (sat-tax-credit, sat-major-tax-violations,
samr-enterprise-lists) score and list them at each month end. A firm listed for an annual
report it did publish is an agency error (the record's truth is a false positive): the
error-free view leaves it out, so a listing that exists only in the system's view is a
wrongful listing. :func:`firm_outcomes` reads the last month end's views back per firm type,
size and list.

Facts behind the rules (docs/reference/corporate-credit.md): annual reports are due from
1 January to 30 June for the previous year (Interim Regulations on Enterprise Information
Disclosure art. 8 [V]); a firm that did not publish is listed (art. 17 [V]), within 10
working days (SAIC Order No. 68 [S]); it is removed when it corrects (art. 17 [V]). Every
rate is illustrative (U). Simplifications: individual businesses are listed like enterprises
(in practice they are *marked* abnormal) and rated by the tax credit scheme; an unregistered
move makes the firm unreachable until it registers the new address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.core.records import Record
from xinyong.world.clock import DAY, instant
from xinyong.world.population import Population
from xinyong.world.scenario import Scenario
from xinyong.world.subjects import IntArray, Subjects

SIZES = ("small", "medium", "large")
SCHEMES = ("sat-tax-credit", "sat-major-tax-violations", "samr-enterprise-lists")
"""The organisation schemes whose lists the outcomes report."""

REGISTRATION = "tax.first_registration"
LATE_FILING = "tax.late_filing"
MAJOR = "tax.major_violation_determination"
LISTING = "market.abnormal_listing"
REMOVAL = "market.abnormal_removal"
CATEGORIES = (REGISTRATION, LATE_FILING, MAJOR, LISTING, REMOVAL)

ANNUAL_REPORT, UNREACHABLE = "1", "4"  # grounds of an abnormal operations listing

_BASIS = {
    REGISTRATION: "SAT Announcement 2018 No. 8 on tax credit evaluation, item 1(1)",
    LATE_FILING: "Tax Collection Administration Law arts. 25, 62",
    MAJOR: "SAT Order No. 54 (2021) art. 6",
    LISTING: "Interim Regulations on Enterprise Information Disclosure (2014) arts. 8, 17; "
    "SAIC Order No. 68 (2014) art. 4",
    REMOVAL: "Interim Regulations on Enterprise Information Disclosure (2014) art. 17; "
    "SAIC Order No. 68 (2014) arts. 10-12",
}
_SEVERITY = {
    REGISTRATION: "procedural",
    LATE_FILING: "minor",
    MAJOR: "serious",
    LISTING: "general",
    REMOVAL: "procedural",
}
_EVIDENCE = {
    REGISTRATION: "tax registration",
    LATE_FILING: "tax return filed late",
    MAJOR: "determination decision",
    LISTING: "listing decision",
    REMOVAL: "removal decision",
}

GENUINE, FALSE_POSITIVE = 0, 1

ROW_SCHEMA = {
    "id": pl.String,
    "subject": pl.Int32,
    "truth": pl.Int8,
    "category": pl.String,
    "occurred": pl.Int64,
    "recorded": pl.Int64,
}


@dataclass
class _Open:
    """An abnormal operations listing the system holds (ingested), not yet removed."""

    record: str
    ground: str
    wrongful: bool


@dataclass
class _Batch:
    records: list[Record] = field(default_factory=list)
    rows: list[tuple[str, int, int, str, int, int]] = field(default_factory=list)


class FirmProcess:
    """The firms of a run and what the agencies know of them (see the module docs)."""

    def __init__(self, scenario: Scenario, population: Population, subjects: Subjects) -> None:
        f = scenario.firms
        self.scenario = scenario
        self.params = f
        types = population.organisations["type"].cast(pl.String).to_numpy()
        mine = np.isin(types, f.types)
        self.idx: IntArray = (subjects.n_residents + np.flatnonzero(mine)).astype(np.int64)
        self.type = types[mine].astype(str)
        self.codes = subjects.codes.gather(pl.Series(self.idx)).to_list()
        self.n = int(self.idx.size)
        self.size: IntArray = np.zeros(self.n, dtype=np.int64)
        self.unreachable = np.zeros(self.n, dtype=bool)
        self.open: dict[int, list[_Open]] = {}  # firm position -> its open listings
        self.held: set[str] = set()  # listing ids ingested (removals refer only to these)
        self.pending: list[tuple[int, Record, tuple[str, int, int, str, int, int], int]] = []
        self.seq = 0
        self.ingested = 0
        tax, market = scenario.agencies[f.tax_agency], scenario.agencies[f.market_agency]
        self.tax, self.market = tax, market
        self.scale = scenario.errors.scale

    # ------------------------------------------------------------------ records

    def _latency(self, rng: np.random.Generator, market: bool) -> int:
        a = self.market if market else self.tax
        days = a.latency_median_days * float(np.exp(a.latency_sigma * rng.standard_normal()))
        return int(days * DAY)

    def _emit(
        self,
        rng: np.random.Generator,
        pos: int,
        category: str,
        occurred: int,
        truth: int = GENUINE,
        refers_to: str | None = None,
        ground: str | None = None,
        recorded: int | None = None,
    ) -> str:
        market = category.startswith("market.")
        agency = self.market if market else self.tax
        self.seq += 1
        rid = f"{agency.prefix}F{self.seq:08d}"
        rec = occurred + self._latency(rng, market) if recorded is None else recorded
        record = Record(
            rid,
            self.codes[pos],
            category,
            instant(occurred),
            instant(rec),
            agency.source,
            _BASIS[category],
            _EVIDENCE[category],
            None,
            _SEVERITY[category],
            refers_to=refers_to,
            details={"ground": ground} if ground is not None else {},
        )
        row = (rid, int(self.idx[pos]), truth, category, occurred, rec)
        self.pending.append((rec, record, row, pos))
        return rid

    def _covered(self, rng: np.random.Generator, n: int, market: bool) -> npt.NDArray[np.bool_]:
        coverage = (self.market if market else self.tax).coverage
        return rng.random(n) < coverage

    # ------------------------------------------------------------------ the start

    def start(self, rng: np.random.Generator, t0: int) -> None:
        """Sizes, and each firm's first tax matter (the tax authority's registration)."""
        f = self.params
        shares = np.array(f.size_shares, dtype=np.float64)
        self.size = rng.choice(3, size=self.n, p=shares / shares.sum()).astype(np.int64)
        new = rng.random(self.n) < f.new_share
        days = np.where(
            new, rng.integers(1, 365, self.n), rng.integers(366, 15 * 365, self.n)
        ).astype(np.int64)
        for pos in range(self.n):
            when = t0 - int(days[pos]) * DAY
            self._emit(rng, pos, REGISTRATION, when, recorded=when)

    # ------------------------------------------------------------------ a month

    def month(self, rng: np.random.Generator, t0: int, t1: int) -> None:
        """The firms' acts in ``[t0, t1)`` and the agencies' records of them."""
        f, n, size = self.params, self.n, self.size
        span = t1 - t0

        def when(k: int) -> npt.NDArray[np.int64]:
            return (t0 + rng.integers(0, span, k)).astype(np.int64)

        # Tax returns filed late (recorded with the tax authority's coverage) and false
        # late-filing records (the tax authority's errors, per genuine record).
        rates = np.array(f.late_filings_per_year)[size] / 12.0
        late = rng.poisson(rates)
        firms = np.repeat(np.arange(n), late)
        firms = firms[self._covered(rng, firms.size, market=False)]
        for pos, at in zip(firms.tolist(), when(firms.size).tolist(), strict=True):
            self._emit(rng, pos, LATE_FILING, at)
        wrong = rng.binomial(firms.size, min(1.0, self.tax.false_positive_rate * self.scale))
        for pos, at in zip(
            rng.integers(0, max(n, 1), wrong).tolist(), when(wrong).tolist(), strict=True
        ):
            self._emit(rng, pos, LATE_FILING, at, truth=FALSE_POSITIVE)
        # Major tax violations (determined by the tax authority, ground 1-11 of Order No. 54).
        major = rng.random(n) < np.array(f.major_violation_per_year)[size] / 12.0
        major &= self._covered(rng, n, market=False)
        for pos, at in zip(
            np.flatnonzero(major).tolist(), when(int(major.sum())).tolist(), strict=True
        ):
            self._emit(rng, pos, MAJOR, at, ground=str(int(rng.integers(1, 12))))
        # Moves: an unregistered move leaves the firm unreachable at its registered address.
        moved = rng.random(n) < np.array(f.moves_per_year)[size] / 12.0
        self.unreachable |= moved & (rng.random(n) < f.unregistered_move_share)
        # Annual reports: in July the regulator lists the firms that did not publish by
        # 30 June (and, by its own error, some that did).
        if instant(t0).month == 7:
            self._annual_reports(rng, t0)
        # The regulator finds unreachable firms (ground 4).
        found = self.unreachable & (rng.random(n) < f.unreachable_found_monthly)
        found &= self._covered(rng, n, market=True)
        for pos, at in zip(
            np.flatnonzero(found).tolist(), when(int(found.sum())).tolist(), strict=True
        ):
            if not self._listed_on(pos, UNREACHABLE):
                self._emit(rng, pos, LISTING, at, ground=UNREACHABLE)
        # Corrections and objections: removal of listings the system holds.
        for pos in sorted(self.open):
            for entry in list(self.open[pos]):
                p = f.objection_monthly if entry.wrongful else f.correct_monthly
                if rng.random() >= p:
                    continue
                at = int(when(1)[0])
                self._emit(rng, pos, REMOVAL, at, refers_to=entry.record, ground=None)
                self.open[pos].remove(entry)
                if entry.ground == UNREACHABLE:
                    self.unreachable[pos] = False  # registered the new address
            if not self.open[pos]:
                del self.open[pos]

    def _listed_on(self, pos: int, ground: str) -> bool:
        if any(e.ground == ground for e in self.open.get(pos, ())):
            return True
        return any(
            p == pos and r.category == LISTING and r.details.get("ground") == ground
            for _, r, _, p in self.pending
        )

    def _annual_reports(self, rng: np.random.Generator, t0: int) -> None:
        f, n = self.params, self.n
        late = rng.random(n) < np.array(f.late_report_share)[self.size]
        wrong = ~late & (rng.random(n) < min(1.0, f.wrong_listing_share * self.scale))
        covered = self._covered(rng, n, market=True)
        days = rng.integers(0, 14, n)  # within 10 working days of 30 June
        for pos in np.flatnonzero((late | wrong) & covered).tolist():
            if self._listed_on(pos, ANNUAL_REPORT):
                continue
            truth = FALSE_POSITIVE if wrong[pos] else GENUINE
            self._emit(rng, pos, LISTING, t0 + int(days[pos]) * DAY, truth, ground=ANNUAL_REPORT)

    # ------------------------------------------------------------------ what is due

    def due(self, before: int) -> tuple[list[Record], pl.DataFrame]:
        """The records recorded before ``before`` (in record order) and their world rows
        (``subject`` number and ``truth`` beside each id); they leave the pending queue."""
        ready = [p for p in self.pending if p[0] < before]
        self.pending = [p for p in self.pending if p[0] >= before]
        ready.sort(key=lambda p: (p[0], p[1].id))
        records = [p[1] for p in ready]
        rows = pl.DataFrame([p[2] for p in ready], schema=ROW_SCHEMA, orient="row")
        for _, r, row, pos in ready:
            if r.category == LISTING:
                ground = str(r.details.get("ground"))
                self.open.setdefault(pos, []).append(_Open(r.id, ground, row[2] != GENUINE))
        self.ingested += len(records)
        return records, rows

    def frame(self) -> pl.DataFrame:
        """One row per firm: subject number, type and size."""
        return pl.DataFrame(
            {
                "subject": self.idx,
                "type": self.type,
                "size": np.array(SIZES)[self.size] if self.n else np.array([], dtype=str),
            },
            schema={"subject": pl.Int64, "type": pl.String, "size": pl.String},
        )


def firm_outcomes(
    firms: pl.DataFrame,
    in_force: dict[str, npt.NDArray[np.bool_]],
    clean: dict[str, npt.NDArray[np.bool_]],
    polarity: dict[str, str],
) -> pl.DataFrame:
    """Per list, firm type and size: the firms, those on the list in the system's view,
    their share, the wrongful listings (on the list only because of an agency error: absent
    from the error-free view) and the missed ones (kept off the list by an error: on it in
    the error-free view; for the red A-level list, an A lost to a false record)."""
    idx = firms["subject"].to_numpy()
    parts = []
    for key in sorted(k for k in in_force if k.split("/")[0] in SCHEMES):
        listed = in_force[key][idx]
        without = clean.get(key, in_force[key])[idx]
        parts.append(
            firms.with_columns(
                list=pl.lit(key),
                polarity=pl.lit(polarity.get(key, "")),
                listed=pl.Series(listed),
                wrongful=pl.Series(listed & ~without),
                missed=pl.Series(~listed & without),
            )
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "list": pl.String,
                "polarity": pl.String,
                "type": pl.String,
                "size": pl.String,
                "firms": pl.UInt32,
                "listed": pl.UInt32,
                "wrongful": pl.UInt32,
                "missed": pl.UInt32,
                "share": pl.Float64,
            }
        )
    return (
        pl.concat(parts)
        .group_by("list", "polarity", "type", "size")
        .agg(
            pl.len().alias("firms"),
            pl.col("listed").sum().cast(pl.UInt32),
            pl.col("wrongful").sum().cast(pl.UInt32),
            pl.col("missed").sum().cast(pl.UInt32),
        )
        .with_columns((pl.col("listed") / pl.col("firms")).alias("share"))
        .sort("list", "type", "size")
    )


__all__ = ["CATEGORIES", "SCHEMES", "SIZES", "FirmProcess", "firm_outcomes"]
