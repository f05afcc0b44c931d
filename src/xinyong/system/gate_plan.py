"""Fast gate decisions: only what one gate's measures can see, same answers as ``check_gate``.

The system's gate answers come from here for batches (:meth:`CreditSystem.check_many`) and
from :meth:`Engine.check` (the live state's view, or the pure path) for one subject; both end
in :func:`~xinyong.core.sanctions.decide`.

:func:`~xinyong.core.evaluate.check_gate` over :func:`~xinyong.core.evaluate.evaluate_subject`
scores and lists a subject under every scheme. A gate only looks at:

- the schemes its measures refer to (``scheme/list`` triggers and score conditions);
- the score of a scheme only when one of its measures has a score condition on it (or the
  scheme has grade or score lists, whose entries need the score);
- list entries, which (for record and threshold lists) need at least one record in one of the
  list's categories: a subject with none of them cannot be on the list at any time.

So when no measure at the gate has a score condition and every list it refers to is made of
record and threshold entries, a subject without a record in those lists' categories is
``allow`` with no measures, without evaluation; the others go through the pure path restricted
to the gate's schemes. ``tests/http/test_gate_plan.py`` holds the answers equal to
``check_gate`` on generated populations.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from xinyong.core.codes import check
from xinyong.core.codes.resident import years_between
from xinyong.core.lists import ListEntry, list_entries
from xinyong.core.records import Record
from xinyong.core.sanctions import Decision, Memorandum, decide
from xinyong.core.schemes.lists import GradeEntry, ScoreEntry
from xinyong.core.scoring.engine import AnyScheme, NoVersionInForce, score_subject
from xinyong.core.timeutil import china_day, iso
from xinyong.system.record_rows import (
    CONTENT_HASH,
    OCCURRED_US,
    RECORDED_US,
    record_of,
    to_micros,
)

_CACHE = 200_000  # subjects' cached list entries per gate plan (cleared when full)


@lru_cache(maxsize=1 << 16)
def _born(subject: str) -> date | None:
    c = check(subject)
    if c.kind != "resident" or not c.valid:
        return None
    return date.fromisoformat(str(c.fields["birth_date"]))


def age_on(subject: str, day: date) -> int | None:
    """:func:`xinyong.core.evaluate.age_on` with the code check cached per subject."""
    born = _born(subject)
    return None if born is None else years_between(born, day)


#: A subject's list entries for its records (by content hash) under the scheme versions in
#: force (``versions``), and the answers already given from them: decision and measures
#: (as dictionaries) for each pattern of entries in force. ``decide`` depends on the time
#: only through which entries are in force, and the measures' dictionaries not at all.
@dataclass(slots=True)
class _Cached:
    versions: tuple[int, ...]
    entries: list[ListEntry]
    answers: dict[tuple[bool, ...], tuple[str, list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class GatePlan:
    gate: str
    memoranda: Sequence[Memorandum]
    schemes: dict[str, AnyScheme]
    """The schemes the gate's measures refer to, in the engine's order."""
    scored: frozenset[str]
    """Schemes whose score must be computed (score conditions, grade or score lists)."""
    categories: frozenset[str] | None
    """A subject needs a record in one of these to be evaluated; ``None``: evaluate all."""
    _entries: dict[tuple[str, tuple[str, ...]], _Cached] = field(
        default_factory=dict, compare=False, repr=False
    )

    def decide_rows(
        self, subjects: Sequence[str], files: Mapping[str, Sequence[Sequence[Any]]], at: datetime
    ) -> list[dict[str, Any]]:
        """Decisions (as dictionaries) for ``subjects`` from store rows
        (:meth:`~xinyong.system.ports.GateReads.rows_for_many`: the record fields, then the
        content hash). A subject missing from ``files`` has no relevant record.

        When no score is needed, a subject's list entries are cached by its records' content
        hashes: for an ``at`` after every time in its records (occurred and recorded), the
        entries of record and threshold lists do not depend on ``at`` beyond the scheme
        version in force, which is part of the key; so are the answers given from them (see
        :class:`_Cached`). The measures' dictionaries are shared between answers: read them.
        """
        at_text = iso(at)
        at_us = to_micros(at)
        day = china_day(at)
        versions = tuple(id(s.version_at(day)) for s in self.schemes.values())
        cacheable = self.categories is not None and not self.scored
        out: list[dict[str, Any]] = []
        for s in subjects:
            rows = files.get(s)
            if not rows:
                if self.categories is not None:
                    out.append(
                        {
                            "gate": self.gate,
                            "subject": s,
                            "at": at_text,
                            "decision": "allow",
                            "measures": [],
                        }
                    )
                else:
                    out.append(self.decide(s, [], at).to_dict())
                continue
            if not cacheable or at_us < max(max(r[OCCURRED_US], r[RECORDED_US]) for r in rows):
                out.append(self.decide(s, [record_of(r) for r in rows], at).to_dict())
                continue
            key = (s, tuple(r[CONTENT_HASH] for r in rows))
            hit = self._entries.get(key)
            if hit is None or hit.versions != versions:
                entries = self._entries_of(s, [record_of(r) for r in rows], at)
                if len(self._entries) >= _CACHE:
                    self._entries.clear()
                hit = self._entries[key] = _Cached(versions, entries, {})
            in_force = tuple(e.in_force(at) for e in hit.entries)
            answer = hit.answers.get(in_force)
            if answer is None:
                d = decide(self.memoranda, self.gate, s, at, hit.entries, {})
                answer = hit.answers[in_force] = (d.decision, [a.to_dict() for a in d.applied])
            out.append(
                {
                    "gate": self.gate,
                    "subject": s,
                    "at": at_text,
                    "decision": answer[0],
                    "measures": answer[1],
                }
            )
        return out

    def _entries_of(self, subject: str, records: Sequence[Record], at: datetime) -> list[ListEntry]:
        """Entries under the plan's schemes when no score is needed (``scored`` empty)."""
        mine = [r for r in records if r.subject == subject]
        entries: list[ListEntry] = []
        day = china_day(at)
        for scheme in self.schemes.values():
            if scheme.version_at(day) is None:
                continue
            got, _ = list_entries(scheme, subject, mine, at, None, age_on=age_on)
            entries.extend(got)
        entries.sort(key=lambda e: (e.since, e.scheme, e.list_id))
        return entries

    def decide(self, subject: str, records: Sequence[Record], at: datetime) -> Decision:
        """The gate's decision for ``subject`` from its ``records`` (as ``check_gate``)."""
        if self.categories is not None and not any(r.category in self.categories for r in records):
            return Decision(self.gate, subject, at, "allow", [])
        mine = [r for r in records if r.subject == subject]
        scores: dict[str, int | None] = {}
        entries: list[ListEntry] = []
        day = china_day(at)
        for name, scheme in self.schemes.items():
            score: int | None = None
            grade: str | None = None
            if name in self.scored:
                try:
                    result = score_subject(scheme, subject, mine, at)
                except NoVersionInForce:
                    continue
                scores[name] = score = result.score
                grade = result.grade
            elif scheme.version_at(day) is None:
                continue
            got, _ = list_entries(
                scheme, subject, mine, at, None, age_on=age_on, score=score, grade=grade
            )
            entries.extend(got)
        entries.sort(key=lambda e: (e.since, e.scheme, e.list_id))
        return decide(self.memoranda, self.gate, subject, at, entries, scores)


def _lists_of(scheme: AnyScheme, list_id: str) -> list[Any]:
    out: list[Any] = []
    for v in getattr(scheme, "versions", []):
        out.extend(lst for lst in getattr(v, "lists", []) if lst.id == list_id)
    return out


def _has_state_lists(scheme: AnyScheme) -> bool:
    return any(
        isinstance(e, GradeEntry | ScoreEntry)
        for v in getattr(scheme, "versions", [])
        for lst in getattr(v, "lists", [])
        for e in lst.entries
    )


def make_plan(
    schemes: Mapping[str, AnyScheme], memoranda: Sequence[Memorandum], gate: str
) -> GatePlan:
    lists: set[str] = set()
    score_schemes: set[str] = set()
    for memo in memoranda:
        for m in memo.measures:
            if gate not in m.gates:
                continue
            lists.update(m.lists)
            if m.score is not None:
                score_schemes.add(m.score.scheme)
    wanted = {name.split("/")[0] for name in lists} | score_schemes
    chosen = {n: s for n, s in schemes.items() if n in wanted}
    scored = {n for n, s in chosen.items() if n in score_schemes or _has_state_lists(s)}
    categories: set[str] | None = set()
    if score_schemes:
        categories = None
    for name in sorted(lists):
        scheme_name, list_id = name.split("/")
        scheme = chosen.get(scheme_name)
        if scheme is None or categories is None:
            continue
        for lst in _lists_of(scheme, list_id):
            for e in lst.entries:
                if isinstance(e, GradeEntry | ScoreEntry):
                    categories = None
                    break
                categories.update(e.categories)
            if categories is None:
                break
            if lst.extension is not None:
                categories.update(lst.extension.categories)
            for x in lst.exclusions:
                categories.update(x.categories)
            for x in lst.removals:
                categories.update(x.categories)
    return GatePlan(
        gate,
        memoranda,
        chosen,
        frozenset(scored),
        None if categories is None else frozenset(categories),
    )


_plans: dict[tuple[int, int, str], tuple[object, object, GatePlan]] = {}
_plans_lock = threading.Lock()


def plan_for(
    schemes: Mapping[str, AnyScheme], memoranda: Sequence[Memorandum], gate: str
) -> GatePlan:
    """:func:`make_plan`, cached for the same scheme and memoranda objects."""
    key = (id(schemes), id(memoranda), gate)
    hit = _plans.get(key)
    if hit is not None and hit[0] is schemes and hit[1] is memoranda:
        return hit[2]
    plan = make_plan(schemes, memoranda, gate)
    with _plans_lock:
        if len(_plans) > 1024:
            _plans.clear()
        _plans[key] = (schemes, memoranda, plan)
    return plan
