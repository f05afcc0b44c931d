"""The credit system as the world meets it: the engine's real ingest, batch scoring and lists.

Records go into the store through :meth:`xinyong.CreditSystem.ingest`; every
month end the batch scorer scores everyone from the store's contents, and list entries come
from the engine's own list rules (see :mod:`.lists_view`). Beside what the system believes,
the same engine computes an *error-free* view: the same schemes applied to the same store
without the records the world knows to be erroneous. Wherever the two differ (a listing,
a denial, a lowered grade), an error in the data caused it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

import xinyong
from xinyong import REQUIRED_COLUMNS, records_frame, score_population
from xinyong.core.lists import ListEntry, state_entry
from xinyong.core.minimisation import scheme_categories
from xinyong.core.records import Record
from xinyong.core.sanctions import Memorandum
from xinyong.core.schemes.lists import GradeEntry
from xinyong.core.scoring.engine import AnyScheme, NotCovered, NoVersionInForce, score_subject
from xinyong.world.lists_view import ListShape, event_entries, list_shape
from xinyong.world.subjects import BoolArray

NONE = -1
BATCH = 250_000  # records per ingest call (each call is one atomic batch)


@dataclass
class Scored:
    """One scheme's scores for every subject (subjects without records get the base)."""

    score: npt.NDArray[np.float64]  # NaN when the scheme gives no score
    grade: npt.NDArray[np.int16]  # index into ``grades``; -1 when none
    grades: list[str]
    base_grade: int  # grade of a subject without records

    def grade_names(self) -> npt.NDArray[np.str_]:
        names = np.array([*self.grades, ""])
        out: npt.NDArray[np.str_] = names[self.grade]
        return out


@dataclass
class View:
    """What the system believes (or would believe without data errors) at a month end."""

    at: datetime
    n: int  # subjects
    scores: dict[str, Scored]
    in_force: dict[str, BoolArray]  # "scheme/list" -> subjects on it
    polarity: dict[str, str]
    entries: dict[int, list[ListEntry]]  # record/threshold entries by subject (sparse)
    state_lists: dict[str, ListShape] = field(default_factory=dict)

    def black(self) -> BoolArray:
        """Subjects on any black list in force."""
        out = np.zeros(self.n, dtype=bool)
        for key, arr in self.in_force.items():
            if self.polarity[key] == "black":
                out |= arr
        return out

    def score_of(self, scheme: str, idx: int) -> int | None:
        s = self.scores.get(scheme)
        if s is None or np.isnan(s.score[idx]):
            return None
        return int(s.score[idx])

    def all_entries(self, idx: int) -> list[ListEntry]:
        """Every entry of a subject, as :func:`evaluate_subject` would list them."""
        out = list(self.entries.get(idx, ()))
        for name, shape in self.state_lists.items():
            s = self.scores.get(name)
            if s is None:
                continue
            score = self.score_of(name, idx)
            g = int(s.grade[idx])
            grade = s.grades[g] if g >= 0 else None
            for lst, entry in shape.state_lists:
                e = state_entry(name, lst, entry, score, grade, self.at)
                if e is not None:
                    out.append(e)
        out.sort(key=lambda e: (e.since, e.scheme, e.list_id))
        return out

    def scores_dict(self, idx: int) -> dict[str, int | None]:
        return {name: self.score_of(name, idx) for name in self.scores}


class CreditView:
    """The world's view of the credit system it feeds (a :class:`xinyong.CreditSystem`): the
    schemes and memoranda, and the world's record of which records were erroneous (never
    shown to the engine)."""

    def __init__(
        self,
        system: xinyong.CreditSystem,
        schemes: Mapping[str, AnyScheme],
        memoranda: Sequence[Memorandum],
        codes: pl.Series,
        known_categories: frozenset[str] | None = None,
    ) -> None:
        self.system = system
        self.store = system.store  # reads only; every write goes through system.ingest
        self.schemes = dict(schemes)
        # The categories each scheme reads: a scheme is scored over those records only (and
        # every record that amends another), so that a scheme of few records costs little.
        self.reads = {name: sorted(scheme_categories(s)) for name, s in self.schemes.items()}
        self.memoranda = list(memoranda)
        self.codes = codes
        self.n = codes.len()
        self.index = pl.DataFrame(
            {"subject": codes, "idx": pl.int_range(self.n, dtype=pl.Int64, eager=True)}
        )
        self.known_categories = known_categories
        self.parts: list[pl.DataFrame] = []  # the columns the batch scorer reads
        self.meta: list[pl.DataFrame] = []  # aligned: subject number, erroneous (world only)
        self.frame: pl.DataFrame | None = None
        self.row_meta: pl.DataFrame | None = None
        self.cache: dict[int, list[ListEntry]] = {}  # event entries, system view
        self.cf_cache: dict[int, list[ListEntry]] = {}  # event entries, error-free view
        self.changed: set[int] = set()  # new records that may change event entries
        self.threshold_changed: set[int] = set()  # new records of threshold categories only
        self.event_subjects: set[int] = set()  # ever had a record of an event category
        # per scheme, the subjects with a record of a category it reads (any version): when
        # a scheme's version in force changes, only these need their entries re-derived
        self.read_subjects: dict[str, set[int]] = {name: set() for name in self.schemes}
        self.threshold_hits = np.zeros(self.n, dtype=np.int64)
        self.erroneous: set[str] = set()
        self.err_subjects = np.zeros(self.n, dtype=bool)
        self.err_kinds = np.zeros(self.n, dtype=np.int8)  # bit (1 << truth) per error kind
        self.err_event_subjects: set[int] = set()
        self._versions: dict[str, object] = {}
        self.ingested = 0

    # ---------------------------------------------------------------- ingest

    def ingest(
        self, records: Sequence[Record], rows: pl.DataFrame, part: pl.DataFrame, at: datetime
    ) -> int:
        """Append ``records`` through the engine's ingest (one atomic batch).

        ``part`` is the same records as columns (the layout of the store's frame) and
        ``rows`` the world's view of them in the same order (``subject`` number, ``truth``):
        from these the system notes whose list entries may have changed and which records
        are erroneous.
        """
        if not records:
            return 0
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            done = self.system.ingest(batch)
            if done.inserted != len(batch):
                raise xinyong.XinyongError(
                    f"the store skipped {len(batch) - done.inserted} of {len(batch)} records "
                    "as already stored; the world must issue every record id once"
                )
        self.ingested += len(records)
        self.parts.append(part.select(REQUIRED_COLUMNS))
        self.meta.append(
            pl.DataFrame({"idx": rows["subject"].cast(pl.Int32), "err": rows["truth"] != 0})
        )
        self.frame = None
        shapes = [list_shape(s, at) for s in self.schemes.values()]
        events = set().union(*(sh.event_categories for sh in shapes))
        thresholds = set().union(*(sh.threshold_counts for sh in shapes))
        category = part["category"].cast(pl.String)
        in_events = category.is_in(list(events)).to_numpy()
        in_thresholds = category.is_in(list(thresholds)).to_numpy()
        subject = rows["subject"].to_numpy().astype(np.int64)
        self.threshold_hits += np.bincount(subject[in_thresholds], minlength=self.n)
        self.changed.update(subject[in_events & ~in_thresholds].tolist())
        self.threshold_changed.update(subject[in_thresholds].tolist())
        self.event_subjects.update(subject[in_events].tolist())
        for name, reads in self.reads.items():
            self.read_subjects[name].update(
                np.unique(subject[category.is_in(reads).to_numpy()]).tolist()
            )
        wrong = rows["truth"].to_numpy() != 0
        if wrong.any():
            # Ids only of erroneous records that can move list entries (see _refresh_entries).
            self.erroneous.update(rows["id"].filter(pl.Series(wrong & in_events)).to_list())
            self.err_subjects[subject[wrong]] = True
            truth = rows["truth"].to_numpy().astype(np.int8)
            np.bitwise_or.at(self.err_kinds, subject[wrong], (1 << truth[wrong]).astype(np.int8))
            self.err_event_subjects.update(subject[wrong & in_events].tolist())
        return len(records)

    def records_frame(self) -> pl.DataFrame:
        """Every record ingested so far: the store's frame, with the columns the batch
        scorer reads (``REQUIRED_COLUMNS``)."""
        if self.frame is None:
            if self.parts:
                self.frame = pl.concat(self.parts, rechunk=True)
                self.row_meta = pl.concat(self.meta, rechunk=True)
                self.parts, self.meta = [self.frame], [self.row_meta]
            else:
                self.frame = records_frame([]).select(REQUIRED_COLUMNS)
                self.row_meta = pl.DataFrame(schema={"idx": pl.Int32, "err": pl.Boolean})
        return self.frame

    def clean_frame(self) -> pl.DataFrame:
        """The records of subjects with erroneous records, without the erroneous ones."""
        frame = self.records_frame()
        assert self.row_meta is not None
        idx = self.row_meta["idx"].to_numpy()
        keep = self.err_subjects[idx] & ~self.row_meta["err"].to_numpy()
        return frame.filter(pl.Series(keep))

    # ---------------------------------------------------------------- month end

    def _score(
        self,
        scheme: AnyScheme,
        frame: pl.DataFrame,
        at: datetime,
        into: Scored | None,
        only: BoolArray | None,
    ) -> Scored | None:
        try:
            empty = score_subject(scheme, "", [], at)
            base_score, base = empty.score, empty.grade
        except NotCovered:
            # rated only with a record of meta.rated_only_with: a subject without records
            # has no score and no grade (it is on none of the scheme's grade lists)
            base_score, base = None, None
        except NoVersionInForce:
            return None
        if base_score is None and base is None and not scheme.meta.rated_only_with:
            return None
        version = scheme.version_on(at)
        grades: list[str] = list(getattr(version, "grades", []))
        if not grades and base is not None:
            grades = [base]
        base_grade = grades.index(base) if base in grades else NONE
        if into is None:
            score = np.full(self.n, np.nan if base_score is None else float(base_score))
            grade = np.full(self.n, base_grade, dtype=np.int16)
        else:
            score, grade = into.score.copy(), into.grade.copy()
            if only is not None:
                score[only] = np.nan if base_score is None else float(base_score)
                grade[only] = base_grade
        reads = self.reads.get(scheme.name)
        if reads is not None and frame.height:
            frame = frame.filter(
                pl.col("category").cast(pl.String).is_in(reads) | pl.col("refers_to").is_not_null()
            )
        if frame.height:
            res = score_population(scheme, frame, at, at).join(
                self.index, on="subject", how="inner"
            )
            idx = res["idx"].to_numpy()
            if "score" in res.columns:
                score[idx] = res["score"].cast(pl.Float64).fill_null(np.nan).to_numpy()
            if "grade" in res.columns:
                g = res["grade"].cast(pl.String)
                grades.extend(x for x in g.unique().drop_nulls().sort() if x not in grades)
                lookup = {name: i for i, name in enumerate(grades)}
                grade[idx] = (
                    g.replace_strict(lookup, default=NONE, return_dtype=pl.Int16)
                    .fill_null(NONE)
                    .to_numpy()
                )
        return Scored(score, grade, grades, base_grade)

    def _refresh_entries(self, at: datetime, shapes: Mapping[str, ListShape]) -> None:
        """Re-derive event entries for subjects whose list-relevant records changed (all
        subjects with a record a scheme reads when its version in force changed)."""
        versions = {name: shape.version for name, shape in shapes.items()}
        counts = [c for sh in shapes.values() for c in sh.threshold_counts.values()]
        least = min(counts) if counts else 0
        todo = set(self.changed)
        todo.update(
            s for s in self.threshold_changed if s in self.cache or self.threshold_hits[s] >= least
        )
        if versions != self._versions:
            for name, version in versions.items():
                if name not in self._versions or self._versions[name] is not version:
                    todo |= self.read_subjects.get(name, set()) & self.event_subjects
            self._versions = versions
        self.changed = set()
        self.threshold_changed = set()
        for s in sorted(todo):
            code = str(self.codes[s])
            records = self.store.records_for(code)
            got = event_entries(self.schemes, shapes, code, records, at)
            _put(self.cache, s, got)
            if s in self.err_event_subjects:
                clean = [r for r in records if r.id not in self.erroneous]
                _put(self.cf_cache, s, event_entries(self.schemes, shapes, code, clean, at))

    def _view(
        self,
        at: datetime,
        scores: dict[str, Scored],
        cache: Mapping[int, list[ListEntry]],
        shapes: Mapping[str, ListShape],
    ) -> View:
        in_force: dict[str, BoolArray] = {}
        polarity: dict[str, str] = {}
        for name, shape in shapes.items():
            version = shape.version
            for lst in version.lists if version is not None else ():
                key = f"{name}/{lst.id}"
                in_force[key] = np.zeros(self.n, dtype=bool)
                polarity[key] = lst.polarity
            s = scores.get(name)
            for lst, entry in shape.state_lists:
                key = f"{name}/{lst.id}"
                if s is None:
                    continue
                if isinstance(entry, GradeEntry):
                    wanted = [s.grades.index(g) for g in entry.grades if g in s.grades]
                    in_force[key] |= np.isin(s.grade, wanted)
                else:
                    ok = ~np.isnan(s.score)
                    if entry.at_least is not None:
                        ok &= s.score >= entry.at_least.value
                    if entry.below is not None:
                        ok &= s.score < entry.below.value
                    in_force[key] |= ok
        for s_idx, entries in cache.items():
            for e in entries:
                if e.in_force(at):
                    key = f"{e.scheme}/{e.list_id}"
                    if key in in_force:
                        in_force[key][s_idx] = True
        states = {n: sh for n, sh in shapes.items() if sh.state_lists}
        return View(at, self.n, scores, in_force, polarity, dict(cache), states)

    def month_end(self, at: datetime) -> tuple[View, View]:
        """(what the system believes, what it would believe without erroneous records)."""
        frame = self.records_frame()
        shapes = {name: list_shape(s, at) for name, s in self.schemes.items()}
        scores: dict[str, Scored] = {}
        for name, scheme in self.schemes.items():
            got = self._score(scheme, frame, at, None, None)
            if got is not None:
                scores[name] = got
        self._refresh_entries(at, shapes)
        system = self._view(at, scores, self.cache, shapes)
        # The error-free view: rescore only subjects with erroneous records.
        cf_scores: dict[str, Scored] = {}
        if self.err_subjects.any() and frame.height:
            clean = self.clean_frame()
            for name, s in scores.items():
                got = self._score(self.schemes[name], clean, at, s, self.err_subjects)
                if got is not None:
                    cf_scores[name] = got
        else:
            cf_scores = scores
        cf_cache = {s: e for s, e in self.cache.items() if s not in self.err_event_subjects}
        cf_cache.update(self.cf_cache)
        clean_view = self._view(at, cf_scores, cf_cache, shapes)
        return system, clean_view


def _put(cache: dict[int, list[ListEntry]], s: int, entries: list[ListEntry]) -> None:
    if entries:
        cache[s] = entries
    else:
        cache.pop(s, None)
