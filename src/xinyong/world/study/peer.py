"""Peer ratings ("Nosedive"): residents rate each other 1-5 stars, weighted by the rater's
own rating. WORLD ONLY: nothing here reaches the engine, which scores every person on
that person's own records; this is the fiction the state scheme is measured against.

Each month every adult resident meets a number of others (Poisson), most of them from the
same income decile (homophily). A rating is 4 stars, moved up or down by the ratee's
current stars (raters defer to status), by the ratee's visible wealth (income decile),
down when the ratee broke a rule this month (a negative act in the world's ground truth),
plus noise; rounded and clipped to 1-5. A ratee's stars are the weighted mean of the
ratings received, older months fading, each rating weighted by (rater's stars / 5) **
``weight_power``, beside a prior of ``start`` stars worth one rating.

Every number below is a parameter of the synthetic world, not a fact (U).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from xinyong.world.run import Run

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PeerParams:
    interactions: float = 8.0  # meetings a month per adult (U)
    homophily: float = 0.7  # share of meetings within the own income decile (U)
    start: float = 4.0  # stars before any rating (U)
    status_bias: float = 0.5  # stars gained per star the ratee already has above start (U)
    class_bias: float = (
        0.3  # stars from the poorest to the middle decile, and again to the richest (U)
    )
    act_penalty: float = 1.5  # stars lost for a rule broken this month (U)
    noise: float = 0.7  # standard deviation of a rating, stars (U)
    weight_power: float = 2.0  # rating weight = (rater stars / 5) ** this (U)
    memory: float = 0.8  # a month-old rating counts this much of a new one (U)


@dataclass
class PeerRatings:
    """A watcher of :class:`Run` that keeps everyone's stars (adult residents only)."""

    params: PeerParams = field(default_factory=PeerParams)
    seed: int = 0
    stars: Floats = field(default_factory=lambda: np.zeros(0))
    first: Floats = field(default_factory=lambda: np.zeros(0))
    total: Floats = field(default_factory=lambda: np.zeros(0))
    weight: Floats = field(default_factory=lambda: np.zeros(0))
    adults: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    month: int = 0

    def __call__(self, run: Run) -> None:
        p = self.params
        s = run.subjects
        if self.month == 0:
            ages = s.ages(run.scenario.world.start)
            self.adults = np.flatnonzero((ages >= 18) & ~s.is_org)
            k = self.adults.size
            self.stars = np.full(k, p.start)
            self.total, self.weight = np.zeros(k), np.zeros(k)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 77, self.month]))
        self.month += 1
        adults, k = self.adults, self.adults.size
        if k < 2:
            return
        decile = s.decile[adults]
        negative = np.array([kind.negative for kind in run.kinds], dtype=bool)
        ev = run.events
        acted_subjects = ev["subject"].to_numpy()[negative[ev["kind"].to_numpy()]]
        acted_all = np.zeros(s.n, dtype=bool)
        acted_all[acted_subjects] = True
        acted = acted_all[adults]
        rater = np.repeat(np.arange(k), rng.poisson(p.interactions, size=k))
        ratee = _partners(rng, rater, decile, p.homophily)
        r = (
            p.start
            + p.status_bias * (self.stars[ratee] - p.start)
            + p.class_bias * (decile[ratee] - 5.5) / 4.5
            - p.act_penalty * acted[ratee]
            + rng.normal(0.0, p.noise, size=ratee.size)
        )
        r = np.clip(np.rint(r), 1, 5)
        w = (self.stars[rater] / 5.0) ** p.weight_power
        self.total = p.memory * self.total + np.bincount(ratee, weights=w * r, minlength=k)
        self.weight = p.memory * self.weight + np.bincount(ratee, weights=w, minlength=k)
        self.stars = (self.total + p.start) / (self.weight + 1.0)
        if self.month == 1:
            self.first = self.stars.copy()


def _partners(
    rng: np.random.Generator, rater: npt.NDArray[np.int64], decile: Floats, homophily: float
) -> npt.NDArray[np.int64]:
    """Someone else for each rater: from the same decile with probability ``homophily``."""
    k = decile.size
    out = rng.integers(0, k, size=rater.size)
    order = np.argsort(decile, kind="stable")
    groups = decile[order]
    lo = np.searchsorted(groups, decile[rater], side="left")
    hi = np.searchsorted(groups, decile[rater], side="right")
    same = rng.random(rater.size) < homophily
    pick = lo + (rng.random(rater.size) * (hi - lo)).astype(np.int64)
    out[same] = order[pick[same]]
    clash = out == rater
    out[clash] = (out[clash] + 1) % k
    return out
