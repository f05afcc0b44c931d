"""A subject's evaluated state "as of" an instant, how long it stays true, and its JSON form.

:func:`~xinyong.core.evaluate.evaluate_subject` answers for one instant ``at`` (with
``known_at = None``, the latest knowledge: the live view). Without new records, the answer
changes only at a few instants: when a record already stored occurs (or, kept as a safe
bound, reaches its ``recorded_at``), when a
record stops counting (a rule's or an override's validity after the record's act), when a
list entry starts or ends, when a scheme version comes into force (midnight UTC of its
``effective_from``). :func:`horizon` returns the first such instant after ``at``: the state
computed at ``as_of`` is the state at every ``t`` with ``as_of <= t < horizon`` (only the
instants it mentions change: ``at`` and the ``since`` of grade and score list
entries, which is the moment scored). :func:`view_at` rebuilds the view for such a ``t``
from the stored form, exactly as :func:`evaluate_subject` would give it.

Pure: no I/O. The store side is :mod:`xinyong.adapters.state`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.core.evaluate import SubjectView, check_gate, evaluate_subject
from xinyong.core.lists import ListEntry, NotListed
from xinyong.core.records import Record
from xinyong.core.sanctions import Memorandum, gates_of
from xinyong.core.schemes.population import coverage_starts
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.scoring.explanation import (
    FactorValue,
    adjustment_from_dict,
    decided_by_from_dict,
)
from xinyong.core.scoring.result import Item, ScoreResult
from xinyong.core.timeutil import day_start, iso, parse_instant

STATE_KINDS = ("grade", "score")
"""Causes of list entries that hold while a condition holds (their ``since`` is the moment)."""


def _after(d: Any, t: datetime) -> datetime | None:
    try:
        out: datetime = d.after(t)
    except (OverflowError, ValueError):
        return None
    return out


def horizon(
    schemes: Mapping[str, AnyScheme], records: Iterable[Record], view: SubjectView
) -> datetime | None:
    """The first instant after ``view.at`` at which ``view`` may change with no new record
    (``None``: never). ``records`` are the subject's records, all of them (known or not)."""
    at = view.at
    out: list[datetime] = []
    add = out.append
    rules: dict[str, list[Any]] = {}
    for scheme in schemes.values():
        birthday = coverage_starts(scheme.meta.covers, view.subject)
        if birthday is not None and day_start(birthday) > at:
            add(day_start(birthday))  # the subject enters the population the scheme covers
        for v in scheme.versions:
            start = day_start(v.effective_from)
            if start > at:
                add(start)
            for r in getattr(v, "rules", []):
                rules.setdefault(r.category, []).append(r.validity)
            for o in getattr(v, "overrides", []):
                for c in o.categories:
                    rules.setdefault(c, []).append(o.validity)
            for a in getattr(v, "assignments", []):
                for c in a.categories:
                    rules.setdefault(c, []).append(a.validity)
    for r in records:
        for t in (r.occurred_at, r.recorded_at):
            if t > at:
                add(t)
        for validity in rules.get(r.category, ()):
            end = _after(validity, r.occurred_at)
            if end is not None and end > at:
                add(end)
    for e in view.entries:
        if e.since > at:
            add(e.since)
        if e.until is not None and e.until > at:
            add(e.until)
    for start in _moves(schemes, view):
        if start > at:
            add(start)
    return min(out, default=None)


def _moves(schemes: Mapping[str, AnyScheme], view: SubjectView) -> list[datetime]:
    """When entries of ``view`` would move to another list (``ListDef.moved_from``)."""
    out: list[datetime] = []
    for e in view.entries:
        scheme = schemes.get(e.scheme)
        version = scheme.version_at(view.at.date()) if scheme is not None else None
        for lst in getattr(version, "lists", []):
            for move in lst.moved_from:
                if move.list == e.list_id:
                    start = _after(move.after, e.since)
                    if start is not None and (e.until is None or start < e.until):
                        out.append(start)
    return out


# --- the stored form ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the store keeps for one subject: the view at ``as_of`` without its instants, valid
    until ``valid_until`` (exclusive; ``None``: until a new record arrives)."""

    subject: str
    as_of: datetime
    valid_until: datetime | None
    scores: dict[str, dict[str, Any]]  # scheme -> ScoreResult.to_dict() without at/known_at
    entries: dict[str, list[dict[str, Any]]]  # scheme -> its list entries (ListEntry.to_dict)
    refused: list[dict[str, str]]
    gates: dict[str, dict[str, Any]]  # gate -> Decision.to_dict() at as_of, without at

    def covers(self, at: datetime) -> bool:
        return self.as_of <= at and (self.valid_until is None or at < self.valid_until)


def stored_state(
    schemes: Mapping[str, AnyScheme],
    memoranda: Sequence[Memorandum],
    subject: str,
    records: Sequence[Record],
    at: datetime,
) -> StoredState:
    """Evaluate ``subject`` at ``at`` (every record given: the latest knowledge) and keep it
    in the stored form."""
    mine = [r for r in records if r.subject == subject]
    view = evaluate_subject(schemes, subject, mine, at)
    scores = {}
    for name, result in view.scores.items():
        d = result.to_dict()
        del d["at"], d["known_at"]
        scores[name] = d
    entries: dict[str, list[dict[str, Any]]] = {name: [] for name in view.scores}
    for e in view.entries:
        entries.setdefault(e.scheme, []).append(e.to_dict())
    refused = [
        {
            "list": n.list_id,
            "record_id": n.record_id,
            "reason": n.reason,
            "legal_basis": n.legal_basis,
        }
        for n in view.refused
    ]
    gates = {}
    for gate in gates_of(memoranda):
        d = check_gate(memoranda, view, gate).to_dict()
        del d["at"]
        gates[gate] = d
    return StoredState(subject, at, horizon(schemes, mine, view), scores, entries, refused, gates)


def view_at(state: StoredState, at: datetime) -> SubjectView:
    """The view at ``at`` from ``state`` (``state.covers(at)`` must hold): equal to
    ``evaluate_subject(schemes, subject, records, at)``."""
    if not state.covers(at):
        raise ValueError(
            f"state of {state.subject} covers {iso(state.as_of)} to "
            f"{iso(state.valid_until) if state.valid_until else 'the next record'}, "
            f"not {iso(at)}"
        )
    scores = {name: score_result_of(d, state.subject, at) for name, d in state.scores.items()}
    entries = [entry_of(d, at) for name in state.scores for d in state.entries.get(name, [])]
    entries.sort(key=lambda e: (e.since, e.scheme, e.list_id))
    refused = [
        NotListed(n["list"], n["record_id"], n["reason"], n["legal_basis"]) for n in state.refused
    ]
    return SubjectView(state.subject, at, None, scores, entries, refused)


def _time(text: str | None) -> datetime | None:
    return None if text is None else parse_instant(text)


def entry_of(d: Mapping[str, Any], at: datetime) -> ListEntry:
    """A list entry from its dictionary; grade and score entries start at ``at``."""
    kind = d["cause"].get("kind")
    since = at if kind in STATE_KINDS and d["until"] is None else parse_instant(d["since"])
    return ListEntry(
        d["scheme"],
        d["list"],
        d["title"],
        d["polarity"],
        since,
        _time(d["until"]),
        d["cause"],
        d["legal_basis"],
        d["term"],
        d["how_to_object"],
        d["events"],
    )


def score_result_of(d: Mapping[str, Any], subject: str, at: datetime) -> ScoreResult:
    """A score result from its dictionary (without ``at``/``known_at``), at ``at``."""
    x = d["explanation"]
    return ScoreResult(
        subject=subject,
        scheme=d["scheme"],
        kind=d["kind"],
        version=d["scheme_version"],
        at=at,
        known_at=None,
        score=d["score"],
        grade=d["grade"],
        base=x["base"],
        items=[Item.from_dict(i, True) for i in x["counted"]],
        ignored=[Item.from_dict(i, False) for i in x["not_counted"]],
        decided_by=decided_by_from_dict(x["grade_decided_by"]),
        adjustments=[adjustment_from_dict(a) for a in x["adjustments"]],
        factors=[FactorValue.from_dict(f) for f in x["factors"]],
        unverified=d["unverified_parameters"],
        covers=x.get("covers", ""),
        not_scored=x.get("not_scored"),
    )
