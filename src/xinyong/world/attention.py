"""Enforcement attention allocated by past detections (a world mechanism, off by default).

After Ensign et al., "Runaway Feedback Loops in Predictive Policing" (FAT* 2018): one
agency (``[attention] agency``, e.g. traffic officers) sends its people where it found
most before. The city's districts are grouped into zones; true behaviour is the same in
every zone. An event in a zone with attention share ``a`` is reported with the agency's
coverage times ``zones * a`` (at most 1), so equal shares give the configured coverage.
Detections are the agency's records as the system sees them, counted by the zone of the
subject they name.

Modes: ``proportional`` (a Polya urn: shares follow all detections so far, beside the
first month's shares counted as ``prior_detections``), ``hotspot`` (the zone with most
detections so far gets ``hotspot_share``), ``independent`` (the correction: equal shares
after the first month, whatever was detected).

Only *which* true acts get recorded changes: every record is still about the conduct of
the person it names, and the engine scores each person on that person's own records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.world.scenario import Scenario
from xinyong.world.subjects import FloatArray, IntArray, Subjects


@dataclass
class Attention:
    mode: str
    agency: int
    zones: int
    zone: IntArray  # by subject
    shares: FloatArray
    counts: FloatArray  # prior plus detections so far, by zone
    hotspot_share: float
    months: int = 0
    history: list[FloatArray] = field(default_factory=list)  # shares, by month
    detected: list[IntArray] = field(default_factory=list)  # detections by zone, by month
    true: list[IntArray] = field(default_factory=list)  # the agency's true events by zone

    @classmethod
    def of(cls, scenario: Scenario, subjects: Subjects, agency: int) -> Attention:
        a = scenario.attention
        shares = np.full(a.zones, (1.0 - a.first_zone_share) / (a.zones - 1))
        shares[0] = a.first_zone_share
        return cls(
            a.mode, agency, a.zones, subjects.district % a.zones, shares,
            shares * a.prior_detections, a.hotspot_share,
        )  # fmt: skip

    @property
    def on(self) -> bool:
        return self.mode != "off"

    def coverage_factor(self, who: IntArray) -> FloatArray:
        """Multiplier of the agency's coverage for events of subjects ``who``."""
        out: FloatArray = self.zones * self.shares[self.zone[who]]
        return out

    def begin_month(self) -> None:
        """This month's shares, from what was detected before it."""
        if self.months > 0:
            if self.mode == "proportional":
                self.shares = self.counts / self.counts.sum()
            elif self.mode == "hotspot":
                self.shares = np.full(self.zones, (1.0 - self.hotspot_share) / (self.zones - 1))
                self.shares[int(np.argmax(self.counts))] = self.hotspot_share
            elif self.mode == "independent":
                self.shares = np.full(self.zones, 1.0 / self.zones)
        self.history.append(self.shares.copy())
        self.months += 1

    def observe(self, reported: pl.DataFrame, true_zone: npt.NDArray[np.int64]) -> None:
        """Count this month's detections (the agency's records) by zone."""
        mine = reported.filter(pl.col("agency") == self.agency)["subject"].to_numpy()
        found = np.bincount(self.zone[mine.astype(np.int64)], minlength=self.zones)
        self.counts = self.counts + found
        self.detected.append(found)
        self.true.append(true_zone)
