"""Purchases at gates: who tries to buy a ticket, and what the memoranda answer.

Attempts are drawn in columns. The answer for each attempt is the engine's own
:func:`xinyong.core.sanctions.decide`, called with the subject's list entries and scores
as the system held them at the last month end. Only subjects for whom some measure at the
gate could apply (in force on a list a measure names, or a score meeting a measure's
condition) can get anything but ``allow``, so ``decide`` runs for those attempts only and
every other attempt is allowed without asking; a test holds this to the pure path.

A denial is *wrongful* when the error-free view (the same engine without the erroneous
records) would not have denied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import polars as pl

from xinyong.core.sanctions import Memorandum, decide, gates_of
from xinyong.world.credit import View
from xinyong.world.scenario import Scenario, ScenarioError
from xinyong.world.subjects import BoolArray, IntArray, Subjects

ATTEMPT_SCHEMA = {"purchase": pl.Int16, "subject": pl.Int32, "at": pl.Int64}


def check_gates(scenario: Scenario, memoranda: Sequence[Memorandum]) -> None:
    """Every purchase must name a gate the memoranda declare."""
    known = gates_of(memoranda)
    for i, p in enumerate(scenario.purchases):
        if p.gate not in known:
            raise ScenarioError(
                f"purchases[{i}] ({p.id}): gate {p.gate!r} is not declared by the memoranda "
                f"{', '.join(m.meta.name for m in memoranda) or '(none)'}; known gates: "
                f"{', '.join(sorted(known)) or '(none)'}"
            )


def attempts(
    rng: np.random.Generator,
    scenario: Scenario,
    subjects: Subjects,
    ages: IntArray,
    listed: BoolArray,
    t0: int,
    t1: int,
) -> pl.DataFrame:
    frames = []
    for k, p in enumerate(scenario.purchases):
        idx = np.flatnonzero(subjects.eligible(p.who, ages))
        rate = np.full(idx.size, p.rate)
        if p.income_factor != 1.0:
            rate *= p.income_factor ** (subjects.decile[idx] - 5.5)
        rate[listed[idx]] *= p.listed_attempt_factor
        who = np.repeat(idx, rng.poisson(rate))
        frames.append(
            pl.DataFrame(
                {
                    "purchase": np.full(who.size, k, dtype=np.int16),
                    "subject": who.astype(np.int32),
                    "at": rng.integers(t0, t1, size=who.size, dtype=np.int64),
                },
                schema=ATTEMPT_SCHEMA,
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=ATTEMPT_SCHEMA)


def candidates(memoranda: Sequence[Memorandum], gate: str, view: View, n: int) -> BoolArray:
    """Subjects for whom some measure at ``gate`` could apply (a superset is fine)."""
    out = np.zeros(n, dtype=bool)
    for memo in memoranda:
        for m in memo.measures:
            if gate not in m.gates:
                continue
            for key in m.lists:
                if key in view.in_force:
                    out |= view.in_force[key]
            if m.score is not None and m.score.scheme in view.scores:
                s = view.scores[m.score.scheme].score
                out |= ~np.isnan(s) & (s >= m.score.at_least.value)
    return out


def _decide(
    memoranda: Sequence[Memorandum], gate: str, view: View, codes: pl.Series, subject: int, at: int
) -> tuple[str, str]:
    d = decide(
        memoranda,
        gate,
        str(codes[subject]),
        datetime.fromtimestamp(at, UTC),
        view.all_entries(subject),
        view.scores_dict(subject),
    )
    return d.decision, ",".join(a.measure.id for a in d.applied)


def decide_attempts(
    scenario: Scenario,
    memoranda: Sequence[Memorandum],
    tried: pl.DataFrame,
    view: View,
    clean: View,
    err_subjects: BoolArray,
    codes: pl.Series,
) -> pl.DataFrame:
    """``tried`` with gate, decision, measures and wrongful (a denial the error-free view
    would not have made)."""
    gates = [p.gate for p in scenario.purchases]
    n = tried.height
    decision = np.full(n, "allow", dtype=object)
    measures = np.full(n, "", dtype=object)
    wrongful = np.zeros(n, dtype=bool)
    purchase = tried["purchase"].to_numpy()
    subject = tried["subject"].to_numpy().astype(np.int64)
    at = tried["at"].to_numpy()
    for k, gate in enumerate(gates):
        maybe = candidates(memoranda, gate, view, err_subjects.size)
        rows = np.flatnonzero((purchase == k) & maybe[subject])
        for i in rows.tolist():
            d, ms = _decide(memoranda, gate, view, codes, int(subject[i]), int(at[i]))
            decision[i], measures[i] = d, ms
            if d == "deny":
                s = int(subject[i])
                if err_subjects[s]:
                    wrongful[i] = _decide(memoranda, gate, clean, codes, s, int(at[i]))[0] != "deny"
    return tried.with_columns(
        gate=pl.Series(np.array(gates, dtype=object)[purchase].tolist(), dtype=pl.String),
        decision=pl.Series(decision.tolist(), dtype=pl.String),
        measures=pl.Series(measures.tolist(), dtype=pl.String),
        wrongful=pl.Series(wrongful),
    )
