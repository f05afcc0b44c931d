"""What a study follows person by person during a run (a watcher of :class:`Run`).

The run's own metrics are city totals per month; a study also needs, per subject, the
grade in the first and the last month, how long a wrongful listing lasted, whether a
person ever had to object, and whether anyone was denied at a gate. This watcher reads
the run after each month and keeps those arrays; it never changes the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from xinyong.world.attention import Attention
from xinyong.world.run import Run
from xinyong.world.subjects import BoolArray, IntArray


@dataclass
class Grades:
    """One scheme's grade names, and every subject's grade (-1: none) and score."""

    names: list[str]
    first: npt.NDArray[np.int16]
    last: npt.NDArray[np.int16]
    first_score: npt.NDArray[np.float64]
    score: npt.NDArray[np.float64]


@dataclass
class Tracker:
    n: int = 0
    n_residents: int = 0
    months: int = 0
    decile: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    household: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    adult: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    black: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ever_black: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    wrong_now: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    wrong_months: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    spells_ended: int = 0
    spells_started: int = 0
    needed: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    denied: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    denials: int = 0
    wrongful_denials: int = 0
    negative_per_1000: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # YYYY-MM of each month end
    listed_share: list[float] = field(default_factory=list)  # % of adults listed, by month
    grades: dict[str, Grades] = field(default_factory=dict)
    attention: Attention | None = None
    firm: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # the run's firms

    def _start(self, run: Run) -> None:
        s = run.subjects
        self.n, self.n_residents = s.n, s.n_residents
        self.decile = np.rint(s.decile).astype(np.int64)
        self.household = s.household
        t0 = run.scenario.world.start
        self.adult = (s.ages(t0) >= 18) & ~s.is_org
        zero_b = np.zeros(s.n, dtype=bool)
        self.black, self.ever_black, self.wrong_now = zero_b.copy(), zero_b.copy(), zero_b.copy()
        self.needed, self.denied = zero_b.copy(), zero_b.copy()
        self.wrong_months = np.zeros(s.n, dtype=np.int64)
        self.firm = zero_b.copy()
        if run.firms is not None:
            self.firm[run.firms.idx] = True

    def __call__(self, run: Run) -> None:
        if self.months == 0:
            self._start(run)
        self.months += 1
        if run.reporting.attention.on:
            self.attention = run.reporting.attention
        decided = run.decisions[-1] if run.decisions else None
        if decided is not None and decided.height:
            deny = (decided["decision"] == "deny").to_numpy()
            wrongful = decided["wrongful"].to_numpy()
            subject = decided["subject"].to_numpy().astype(np.int64)
            self.denied[subject[deny]] = True
            self.needed[subject[wrongful]] = True
            self.denials += int(deny.sum())
            self.wrongful_denials += int(wrongful.sum())
        monthly = run.collector.rows.get("monthly")
        if monthly:
            self.negative_per_1000.append(float(monthly[-1]["negative_per_1000"]))
            self.labels.append(str(monthly[-1]["label"]))
        view, clean = run.view, run.clean
        if view is None or clean is None:
            self.listed_share.append(0.0)
            return
        self.black = view.black()
        self.listed_share.append(100.0 * float(self.black[self.adult].mean()))
        self.ever_black |= self.black
        wrong = self.black & ~clean.black()
        self.spells_started += int((wrong & ~self.wrong_now).sum())
        self.spells_ended += int((self.wrong_now & ~wrong).sum())
        self.wrong_now = wrong
        self.wrong_months += wrong
        self.needed |= wrong
        for name, s in view.scores.items():
            c = clean.scores.get(name)
            if c is not None:
                self.needed |= (s.grade > c.grade) & (c.grade >= 0)
            g = self.grades.get(name)
            if g is None:
                g = self.grades[name] = Grades(
                    list(s.grades), s.grade.copy(), s.grade, s.score.copy(), s.score
                )
            g.names, g.last, g.score = list(s.grades), s.grade.copy(), s.score.copy()

    def household_of_listed(self) -> BoolArray:
        """Residents not on a black list who live with someone who is (last month end)."""
        n = self.n_residents
        hh, black = self.household[:n], self.black[:n]
        per_hh = np.bincount(hh[black], minlength=int(hh.max(initial=-1)) + 1)
        out = np.zeros(self.n, dtype=bool)
        out[:n] = (per_hh[hh] > 0) & ~black
        return out
