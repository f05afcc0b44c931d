"""Agencies as data sources: which true events reach the credit system, when, and how wrong.

Each agency of the scenario has a coverage (share of its events that are reported at all:
the silos), a latency (recorded_at - occurred_at, log-normal) and an error model: false
positives (records with no event behind them), misattribution (a real event filed under
another subject's code) and duplicates (the same record sent twice under a new id). Cameras
are an agency like any other: their records arrive already attributed to a code, and a
misread is simply a misattribution or a false positive; no images are processed anywhere.

The output is a frame of *reported records* with the ground truth beside each: who really
acted (``true_subject``, -1 for a false positive) and what kind of error it is (``truth``).
The truth never goes into the record itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.world.attention import Attention
from xinyong.world.clock import year_of
from xinyong.world.courts import Cases, misattribute
from xinyong.world.kinds import LISTING, REMOVAL, Kind
from xinyong.world.scenario import Eligible, Scenario
from xinyong.world.subjects import BoolArray, IntArray, Subjects

GENUINE, FALSE_POSITIVE, MISATTRIBUTED, DUPLICATE = 0, 1, 2, 3
TRUTH_NAMES = ("genuine", "false_positive", "misattributed", "duplicate")
DAY = 86_400

REPORT_SCHEMA = {
    "id": pl.String,
    "agency": pl.Int16,
    "kind": pl.Int16,
    "subject": pl.Int32,
    "true_subject": pl.Int32,
    "truth": pl.Int8,
    "occurred": pl.Int64,
    "recorded": pl.Int64,
    "amount": pl.Float64,
    "case": pl.Int64,
    "case_no": pl.Int64,
    "case_year": pl.Int16,
    "ground": pl.Int8,
    "refers_to": pl.String,
    "duplicate_of": pl.String,
}


@dataclass(frozen=True)
class AgencyTable:
    """The scenario's agencies as arrays (agency number = position in the scenario)."""

    names: tuple[str, ...]
    prefix: tuple[str, ...]
    coverage: npt.NDArray[np.float64]
    median_s: npt.NDArray[np.float64]
    sigma: npt.NDArray[np.float64]
    false_positive: npt.NDArray[np.float64]
    misattribution: npt.NDArray[np.float64]
    household: npt.NDArray[np.float64]
    duplicate: npt.NDArray[np.float64]

    @classmethod
    def of(cls, scenario: Scenario) -> AgencyTable:
        a = list(scenario.agencies.values())
        scale = scenario.errors.scale

        def arr(values: list[float]) -> npt.NDArray[np.float64]:
            return np.array(values, dtype=np.float64)

        return cls(
            names=tuple(scenario.agencies),
            prefix=tuple(x.prefix for x in a),
            coverage=arr([x.coverage for x in a]),
            median_s=arr([x.latency_median_days * DAY for x in a]),
            sigma=arr([x.latency_sigma for x in a]),
            false_positive=arr([min(x.false_positive_rate * scale, 1.0) for x in a]),
            misattribution=arr([min(x.misattribution_rate * scale, 1.0) for x in a]),
            household=arr([x.misattribute_household_share for x in a]),
            duplicate=arr([min(x.duplicate_rate * scale, 1.0) for x in a]),
        )

    def index(self, name: str) -> int:
        return self.names.index(name)


class Reporting:
    """Turns each month's true events into reported records with their ground truth."""

    def __init__(self, scenario: Scenario, subjects: Subjects, kinds: list[Kind]) -> None:
        self.scenario = scenario
        self.subjects = subjects
        self.kinds = kinds
        self.table = AgencyTable.of(scenario)
        self.court_agency = self.table.index(scenario.courts.agency)
        self.last_true = np.zeros(len(self.table.names), dtype=np.int64)
        att = scenario.attention
        watched = self.table.index(att.agency) if att.agency in self.table.names else -1
        self.attention = Attention.of(scenario, subjects, watched)
        self.last_true_zone = np.zeros(self.attention.zones, dtype=np.int64)

    def _eligible(self, who: Eligible, ages: IntArray) -> BoolArray:
        """Who could have done an act of this sort (everyone when nobody could)."""
        mask = self.subjects.eligible(who, ages)
        return mask if mask.any() else np.ones(mask.size, dtype=bool)

    def _agencies(self, rng: np.random.Generator, kind: npt.NDArray[np.int16]) -> IntArray:
        out = np.empty(kind.size, dtype=np.int64)
        for k in np.unique(kind).tolist():
            sel = np.flatnonzero(kind == k)
            spec = self.kinds[k]
            idx = np.array([self.table.index(a) for a in spec.agencies], dtype=np.int64)
            p = np.array(spec.shares, dtype=np.float64)
            out[sel] = idx[rng.choice(idx.size, size=sel.size, p=p / p.sum())]
        return out

    def _misattribute(
        self,
        rng: np.random.Generator,
        kind: npt.NDArray[np.int16],
        who: IntArray,
        agency: IntArray,
        ages: IntArray,
    ) -> IntArray:
        out = who.copy()
        for k in np.unique(kind).tolist():
            sel = np.flatnonzero(kind == k)
            eligible = self._eligible(self.kinds[k].who, ages)
            share = self.table.household[agency[sel]]
            out[sel] = misattribute(rng, self.subjects, who[sel], share, eligible)
        return out

    def _latency(self, rng: np.random.Generator, agency: IntArray) -> IntArray:
        z = rng.standard_normal(agency.size)
        lat = self.table.median_s[agency] * np.exp(self.table.sigma[agency] * z)
        out: IntArray = np.rint(lat).astype(np.int64)
        return out

    def _false_positives(
        self,
        rng: np.random.Generator,
        kept: pl.DataFrame,
        cases: Cases,
        ages: IntArray,
        t0: int,
        t1: int,
    ) -> pl.DataFrame:
        """Records with no event behind them, per agency proportional to its genuine volume
        and spread over the kinds it reported (never removal records such as performance)."""
        removal = len(self.scenario.events) + REMOVAL
        listing = len(self.scenario.events) + LISTING
        counts = (
            kept.filter(pl.col("kind") < removal)
            .group_by("agency", "kind")
            .len()
            .sort("agency", "kind")
        )
        rows: list[pl.DataFrame] = []
        for agency in counts["agency"].unique().sort().to_list():
            sub = counts.filter(pl.col("agency") == agency)
            n = int(rng.poisson(self.table.false_positive[agency] * int(sub["len"].sum())))
            if n == 0:
                continue
            k_all = sub["kind"].to_numpy()
            p = sub["len"].to_numpy().astype(np.float64)
            kind = k_all[rng.choice(k_all.size, size=n, p=p / p.sum())].astype(np.int16)
            subject = np.empty(n, dtype=np.int64)
            for k in np.unique(kind).tolist():
                sel = kind == k
                pool = np.flatnonzero(self._eligible(self.kinds[k].who, ages))
                subject[sel] = pool[rng.integers(0, pool.size, size=int(sel.sum()))]
            ground = np.where(kind == listing, rng.integers(1, 7, size=n), 0).astype(np.int8)
            # A false court record looks like any other: it carries a case number too.
            court = np.array([self.kinds[k].court is not None for k in kind.tolist()], dtype=bool)
            case_no = np.where(court, rng.integers(0, max(cases.n, 1), size=n), -1)
            year = np.where(court, year_of(t0), 0)
            rows.append(
                pl.DataFrame(
                    {
                        "agency": np.full(n, agency, dtype=np.int16),
                        "kind": kind,
                        "subject": subject.astype(np.int32),
                        "true_subject": np.full(n, -1, dtype=np.int32),
                        "truth": np.full(n, FALSE_POSITIVE, dtype=np.int8),
                        "occurred": rng.integers(t0, t1, size=n, dtype=np.int64),
                        "amount": np.full(n, np.nan),
                        "case": np.full(n, -1, dtype=np.int64),
                        "case_no": case_no.astype(np.int64),
                        "case_year": year.astype(np.int16),
                        "ground": ground,
                    }
                ).with_columns(pl.col("amount").fill_nan(None))
            )
        if not rows:
            return kept.clear()
        return pl.concat(rows).select(kept.columns).cast(kept.schema)

    def report(
        self,
        rng: np.random.Generator,
        events: pl.DataFrame,
        cases: Cases,
        ages: IntArray,
        label: str,
        t0: int,
        t1: int,
    ) -> pl.DataFrame:
        """Reported records for one month's events (plus any backlog events passed in).

        ``label`` (``YYYYMM``) goes into record ids; court listings record their ids on
        ``cases`` so that later performance records can refer to them.
        """
        kind = events["kind"].to_numpy()
        who = events["subject"].to_numpy().astype(np.int64)
        case = events["case"].to_numpy()
        is_court = case >= 0
        agency = self._agencies(rng, kind)
        self.last_true = np.bincount(agency, minlength=len(self.table.names))
        coverage = self.table.coverage[agency]
        att = self.attention
        if att.on:
            mine = agency == att.agency
            coverage = coverage.copy()
            coverage[mine] = np.minimum(coverage[mine] * att.coverage_factor(who[mine]), 1.0)
            self.last_true_zone = np.bincount(att.zone[who[mine]], minlength=att.zones)
        keep = rng.random(kind.size) < coverage
        keep[is_court] = cases.reported[case[is_court]]
        wrong = ~is_court & (rng.random(kind.size) < self.table.misattribution[agency])
        subject = who.copy()
        if wrong.any():
            subject[wrong] = self._misattribute(rng, kind[wrong], who[wrong], agency[wrong], ages)
        subject[is_court] = cases.filed[case[is_court]]
        truth = np.where(subject != who, MISATTRIBUTED, GENUINE).astype(np.int8)
        case_year = np.zeros(kind.size, dtype=np.int16)
        case_year[is_court] = cases.year[case[is_court]]
        kept = (
            events.with_columns(
                agency=pl.Series(agency.astype(np.int16)),
                subject=pl.Series(subject.astype(np.int32)),
                true_subject=pl.Series(who.astype(np.int32)),
                truth=pl.Series(truth),
                case_no=pl.Series(case),
                case_year=pl.Series(case_year),
            )
            .filter(pl.Series(keep))
            .select(
                "agency",
                "kind",
                "subject",
                "true_subject",
                "truth",
                "occurred",
                "amount",
                "case",
                "case_no",
                "case_year",
                "ground",
            )
        )
        fp = self._false_positives(rng, kept, cases, ages, t0, t1)
        rows = pl.concat([kept, fp]) if fp.height else kept
        a = rows["agency"].to_numpy().astype(np.int64)
        recorded = rows["occurred"].to_numpy() + self._latency(rng, a)
        rows = rows.with_columns(recorded=pl.Series(recorded))
        rows = self._link_performance(rows, cases)
        rows = self._ids(rows, label, 0)
        self._remember_listings(rows, cases)
        dups = self._duplicates(rng, rows, label)
        out = pl.concat([rows, dups]) if dups.height else rows
        return out.select(list(REPORT_SCHEMA)).cast(REPORT_SCHEMA)  # type: ignore[arg-type]

    def _link_performance(self, rows: pl.DataFrame, cases: Cases) -> pl.DataFrame:
        """Removal records (performance, ...) refer to their case's listing and are
        recorded after it."""
        removal = len(self.scenario.events) + REMOVAL
        is_perf = (rows["kind"] >= removal).to_numpy() & (rows["case"] >= 0).to_numpy()
        refers = np.full(rows.height, None, dtype=object)
        recorded = rows["recorded"].to_numpy().copy()
        if is_perf.any():
            c = rows["case"].to_numpy()[is_perf]
            refers[is_perf] = [cases.listing_id[i] for i in c.tolist()]
            recorded[is_perf] = np.maximum(recorded[is_perf], cases.listing_recorded[c] + 1)
        return rows.with_columns(
            refers_to=pl.Series(refers.tolist(), dtype=pl.String),
            recorded=pl.Series(recorded),
            duplicate_of=pl.lit(None, dtype=pl.String),
        )

    def _ids(self, rows: pl.DataFrame, label: str, offset: int) -> pl.DataFrame:
        """Record ids ``PREFIX-YYYYMM-serial``, serials per agency in a fixed order."""
        prefixes = pl.Series("p", list(self.table.prefix))
        rows = rows.sort(
            "agency",
            "recorded",
            "kind",
            "subject",
            "occurred",
            "truth",
            "case",
            "ground",
            "amount",
            maintain_order=True,
            nulls_last=True,
        )
        serial = pl.int_range(pl.len()).over("agency") + 1 + offset
        return rows.with_columns(
            id=pl.concat_str(
                [
                    prefixes.gather(rows["agency"].cast(pl.Int64)),
                    pl.lit(f"-{label}-"),
                    serial.cast(pl.String).str.zfill(7),
                ]
            )
        )

    def _remember_listings(self, rows: pl.DataFrame, cases: Cases) -> None:
        listing = len(self.scenario.events) + LISTING
        sel = rows.filter(
            (pl.col("kind") == listing) & (pl.col("case") >= 0) & (pl.col("truth") != DUPLICATE)
        )
        for c, rid, rec in zip(
            sel["case"].to_list(), sel["id"].to_list(), sel["recorded"].to_list(), strict=True
        ):
            cases.listing_id[c] = rid
            cases.listing_recorded[c] = rec

    def _duplicates(self, rng: np.random.Generator, rows: pl.DataFrame, label: str) -> pl.DataFrame:
        a = rows["agency"].to_numpy().astype(np.int64)
        dup = rng.random(rows.height) < self.table.duplicate[a]
        if not dup.any():
            return rows.clear()
        src = rows.filter(pl.Series(dup))
        later = rng.integers(3_600, 10 * DAY, size=src.height, dtype=np.int64)
        copies = src.with_columns(
            truth=pl.lit(DUPLICATE, dtype=pl.Int8),
            duplicate_of=pl.col("id"),
            recorded=pl.col("recorded") + pl.Series(later),
        ).drop("id")
        offset = int(np.bincount(a).max()) if a.size else 0
        return self._ids(copies, label, offset).select(rows.columns)
