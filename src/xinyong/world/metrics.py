"""Monthly metrics of a run, as plain Polars frames (one row per month and key).

Frames (all with ``month`` 1-based and ``label`` YYYY-MM):

* ``monthly``  one row per month: residents, true events, negative acts per 1,000
  residents, records reported / ingested / erroneous, subjects on black lists, wrongful
  listings, gate attempts, denials, wrongful denials, objections needed;
* ``events``   per behaviour: eligible subjects, expected count (sum of rates) and the
  count drawn (for checking base rates against the scenario);
* ``agencies`` per agency: true events, records reported (genuine, false positives,
  misattributed, duplicates);
* ``grades``   per scored scheme and grade: adult residents with that grade;
* ``lists``    per list: subjects in force (residents, organisations), wrongful (and
  wrongful by the kind of error the subject's erroneous records are: misattributed,
  false_positive, duplicate);
* ``gates``    per gate: attempts, allow, deny, benefit, wrongful denials;
* ``deciles``  per income decile: adult residents, on a black list, denied this month;
* ``objections`` per reason (listing, denial, grade): subjects who would need to object.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from xinyong.world.agencies import DUPLICATE, FALSE_POSITIVE, GENUINE, MISATTRIBUTED, TRUTH_NAMES
from xinyong.world.credit import View
from xinyong.world.kinds import Kind
from xinyong.world.subjects import BoolArray, IntArray, Subjects

CAUSES = (MISATTRIBUTED, FALSE_POSITIVE, DUPLICATE)
"""Error kinds in the order that names the cause of a wrongful listing: a subject with a
misattributed record is counted under misattribution even if it also has duplicates."""


def error_cause(err_kinds: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
    """The error kind (truth code) that names each subject's errors, GENUINE when none."""
    out = np.full(err_kinds.size, GENUINE, dtype=np.int8)
    for t in reversed(CAUSES):
        out[(err_kinds & (1 << t)) != 0] = t
    return out


FRAMES = ("monthly", "events", "agencies", "grades", "lists", "gates", "deciles", "objections")


@dataclass
class Collector:
    subjects: Subjects
    kinds: list[Kind]
    agencies: tuple[str, ...]
    gates: list[str]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def month(
        self,
        m: int,
        label: str,
        ages: IntArray,
        expected: list[tuple[int, int, float]],
        events: pl.DataFrame,
        reported: pl.DataFrame,
        true_by_agency: IntArray,
        ingested: pl.DataFrame,
        pending: int,
        decisions: pl.DataFrame,
        view: View | None,
        clean: View | None,
        err_kinds: npt.NDArray[np.int8],
    ) -> None:
        base = {"month": m + 1, "label": label}
        n_res = self.subjects.n_residents
        adult = (ages >= 18) & ~self.subjects.is_org
        adults = int(adult.sum())
        counts = np.bincount(events["kind"].to_numpy(), minlength=len(self.kinds))
        negative = sum(int(counts[k]) for k, kind in enumerate(self.kinds) if kind.negative)
        for k, eligible, exp in expected:
            self.rows["events"].append(
                {
                    **base,
                    "kind": self.kinds[k].name,
                    "category": self.kinds[k].category,
                    "eligible": eligible,
                    "expected": exp,
                    "count": int(counts[k]),
                }
            )
        for k in range(len(expected), len(self.kinds)):
            self.rows["events"].append(
                {
                    **base,
                    "kind": self.kinds[k].name,
                    "category": self.kinds[k].category,
                    "eligible": 0,
                    "expected": float("nan"),
                    "count": int(counts[k]),
                }
            )
        self._agencies(base, reported, true_by_agency)
        truth = ingested["truth"].to_numpy() if ingested.height else np.zeros(0, dtype=np.int8)
        deny = (
            (decisions["decision"] == "deny").to_numpy()
            if decisions.height
            else np.zeros(0, dtype=bool)
        )
        wrongful_deny = (
            decisions["wrongful"].to_numpy() if decisions.height else np.zeros(0, dtype=bool)
        )
        black = view.black() if view is not None else np.zeros(self.subjects.n, dtype=bool)
        wrong_black = (
            black & ~clean.black() if view is not None and clean is not None else black & False
        )
        monthly = {
            **base,
            "residents": n_res,
            "adults": adults,
            "true_events": int(counts.sum()),
            "negative_acts": negative,
            "negative_per_1000": 1000.0 * negative / max(adults, 1),
            "records_reported": reported.height,
            "records_ingested": ingested.height,
            "erroneous_ingested": int((truth != GENUINE).sum()),
            "pending": pending,
            "black_listed": int(black.sum()),
            "black_listed_residents": int(black[:n_res].sum()),
            "wrongful_listed": int(wrong_black.sum()),
            "gate_attempts": decisions.height,
            "denials": int(deny.sum()),
            "wrongful_denials": int(wrongful_deny.sum()),
        }
        if view is not None and clean is not None:
            self._lists(base, view, clean, err_kinds)
            self._grades(base, view, adult)
            lowered = self._lowered(view, clean)
        else:
            lowered = np.zeros(self.subjects.n, dtype=bool)
        for name, s in view.scores.items() if view is not None else ():
            res = s.score[adult]
            if not np.isnan(res).all():
                monthly[f"mean_score_{name}"] = float(np.nanmean(res))
        self._gates(base, decisions)
        denied_subjects = np.zeros(self.subjects.n, dtype=bool)
        wrongly_denied = np.zeros(self.subjects.n, dtype=bool)
        if decisions.height:
            subj = decisions["subject"].to_numpy()
            denied_subjects[subj[deny]] = True
            wrongly_denied[subj[wrongful_deny]] = True
        self._deciles(base, black, denied_subjects, adult)
        reasons = {"listing": wrong_black, "denial": wrongly_denied, "grade": lowered}
        any_reason = wrong_black | wrongly_denied | lowered
        for reason, mask in reasons.items():
            self.rows["objections"].append({**base, "reason": reason, "subjects": int(mask.sum())})
        monthly["objections_needed"] = int(any_reason.sum())
        self.rows["monthly"].append(monthly)

    def _agencies(self, base: dict[str, Any], reported: pl.DataFrame, true: IntArray) -> None:
        if reported.height:
            t = reported["truth"].to_numpy()
            a = reported["agency"].to_numpy()
        else:
            t = a = np.zeros(0, dtype=np.int64)
        for i, name in enumerate(self.agencies):
            sel = a == i
            self.rows["agencies"].append(
                {
                    **base,
                    "agency": name,
                    "true_events": int(true[i]),
                    "reported": int(sel.sum()),
                    "genuine": int((sel & (t == GENUINE)).sum()),
                    "false_positive": int((sel & (t == FALSE_POSITIVE)).sum()),
                    "misattributed": int((sel & (t == MISATTRIBUTED)).sum()),
                    "duplicate": int((sel & (t == DUPLICATE)).sum()),
                }
            )

    def _lists(
        self, base: dict[str, Any], view: View, clean: View, err_kinds: npt.NDArray[np.int8]
    ) -> None:
        n_res = self.subjects.n_residents
        cause = error_cause(err_kinds)
        for key, arr in view.in_force.items():
            wrong = arr & ~clean.in_force.get(key, np.zeros_like(arr))
            row = {
                **base,
                "list": key,
                "polarity": view.polarity[key],
                "in_force": int(arr.sum()),
                "residents": int(arr[:n_res].sum()),
                "organisations": int(arr[n_res:].sum()),
                "wrongful": int(wrong.sum()),
            }
            for t in CAUSES:
                row[f"wrongful_{TRUTH_NAMES[t]}"] = int((wrong & (cause == t)).sum())
            self.rows["lists"].append(row)

    def _grades(self, base: dict[str, Any], view: View, adult: BoolArray) -> None:
        """Adult residents by grade (the point schemes apply to adults)."""
        for name, s in view.scores.items():
            counts = np.bincount(s.grade[adult].astype(np.int64) + 1, minlength=len(s.grades) + 1)
            for g, grade in enumerate(s.grades):
                self.rows["grades"].append(
                    {
                        **base,
                        "scheme": name,
                        "grade": grade,
                        "rank": g,
                        "residents": int(counts[g + 1]),
                    }
                )

    def _lowered(self, view: View, clean: View) -> BoolArray:
        out = np.zeros(self.subjects.n, dtype=bool)
        for name, s in view.scores.items():
            c = clean.scores.get(name)
            if c is None:
                continue
            out |= (s.grade > c.grade) & (c.grade >= 0)
        return out

    def _gates(self, base: dict[str, Any], decisions: pl.DataFrame) -> None:
        for gate in dict.fromkeys(self.gates):
            sel = decisions.filter(pl.col("gate") == gate) if decisions.height else decisions
            d = sel["decision"] if sel.height else pl.Series([], dtype=pl.String)
            self.rows["gates"].append(
                {
                    **base,
                    "gate": gate,
                    "attempts": sel.height,
                    "allow": int((d == "allow").sum()),
                    "deny": int((d == "deny").sum()),
                    "benefit": int((d == "benefit").sum()),
                    "wrongful_deny": int(sel["wrongful"].sum()) if sel.height else 0,
                }
            )

    def _deciles(
        self, base: dict[str, Any], black: BoolArray, denied: BoolArray, adult: BoolArray
    ) -> None:
        """Adult residents by income decile: how many, on a black list, denied."""
        dec = self.subjects.decile.astype(np.int64)
        residents = np.bincount(dec[adult], minlength=11)
        listed = np.bincount(dec[adult & black], minlength=11)
        den = np.bincount(dec[adult & denied], minlength=11)
        for d in range(1, 11):
            self.rows["deciles"].append(
                {
                    **base,
                    "decile": d,
                    "residents": int(residents[d]),
                    "black_listed": int(listed[d]),
                    "share_listed": float(listed[d] / max(int(residents[d]), 1)),
                    "denied": int(den[d]),
                }
            )

    def frames(self) -> dict[str, pl.DataFrame]:
        out = {}
        for name in FRAMES:
            rows = self.rows.get(name, [])
            out[name] = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
        return out


def beliefs(
    view: View, clean: View, codes: pl.Series, err_kinds: npt.NDArray[np.int8]
) -> pl.DataFrame:
    """What the system believed at the last month end beside the error-free view, for every
    subject where anything is on a list, a score differs, or there are erroneous records
    (everyone else: no list, base score, in both views)."""
    keep = err_kinds != 0
    cols: dict[str, Any] = {}
    for key, arr in view.in_force.items():
        other = clean.in_force.get(key, np.zeros_like(arr))
        keep |= arr | other
        cols[f"{key} (system)"] = arr
        cols[f"{key} (error-free)"] = other
    for name, s in view.scores.items():
        c = clean.scores.get(name)
        if c is None:
            continue
        keep |= (s.grade != c.grade) | ~np.isclose(s.score, c.score, equal_nan=True)
        cols[f"{name} score (system)"] = s.score
        cols[f"{name} score (error-free)"] = c.score
        cols[f"{name} grade (system)"] = s.grade_names()
        cols[f"{name} grade (error-free)"] = c.grade_names()
    idx = np.flatnonzero(keep)
    cause = error_cause(err_kinds)[idx]
    frame = pl.DataFrame(
        {
            "idx": idx.astype(np.int32),
            "subject": codes.gather(pl.Series(idx)),
            "errors": np.array(["none", *TRUTH_NAMES[1:]])[cause],
        }
    )
    return frame.with_columns(pl.Series(k, np.asarray(v)[idx]) for k, v in cols.items())
