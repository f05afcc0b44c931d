"""Notices of adverse changes: what changed for a subject, why, for how long, how to object.

:func:`adverse_changes` compares two evaluations of one subject (before and after new records,
or before and after an objection's decision) and returns one :class:`Notice` per adverse
change:

* ``listing``: a black-list entry now in force that was not before;
* ``score_below_threshold``: a score that fell below the threshold of a memorandum measure
  (a benefit lost at a gate);
* ``sanction``: a deny measure that now applies at one or more gates.

Each notice states the records and rules behind the change and their legal basis, the term,
and how to object (the route, the body that decides, and the decision deadline if filed now).
:func:`decision_notice` tells the subject the decision on an objection (``objection_decision``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.core.evaluate import SubjectView
from xinyong.core.lists import ListEntry
from xinyong.core.objection_case import Case
from xinyong.core.objection_rules import ObjectionRule, ObjectionRules, TargetKind
from xinyong.core.sanctions import Measure, Memorandum, decide
from xinyong.core.timeutil import iso
from xinyong.core.workdays import OutsideCalendar, WorkCalendar, china_date

KINDS = ("listing", "score_below_threshold", "sanction", "objection_decision")


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    subject: str
    at: datetime
    kind: str
    what: str
    why: dict[str, Any]
    term: dict[str, Any]
    how_to_object: dict[str, Any]
    cause: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "at": iso(self.at),
            "kind": self.kind,
            "what": self.what,
            "why": self.why,
            "term": self.term,
            "how_to_object": self.how_to_object,
            "cause": self.cause,
        }


def _id(subject: str, kind: str, key: str, cause: str) -> str:
    text = f"{subject}|{kind}|{key}|{cause}"
    return "ntc-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry_key(e: ListEntry) -> str:
    return f"{e.scheme}/{e.list_id}@{iso(e.since)}"


def _entry_records(e: ListEntry) -> list[str]:
    if "record_id" in e.cause:
        return [str(e.cause["record_id"])]
    return [str(r) for r in e.cause.get("record_ids", [])]


def _entry_term(e: ListEntry) -> dict[str, Any]:
    return {
        "since": iso(e.since),
        "until": iso(e.until) if e.until else None,
        "term": e.term or "while the condition holds",
    }


class _Objecting:
    """How to object to a target, with the decision deadline if filed at ``at``."""

    def __init__(self, rules: ObjectionRules, calendar: WorkCalendar, at: datetime) -> None:
        self.rules, self.calendar, self.at = rules, calendar, at

    def how(
        self, subject: str, kind: TargetKind, target: str, category: str | None
    ) -> dict[str, Any]:
        rule = self.rules.governing(kind, target, category)
        field = "list" if kind == "list_entry" else "record_id"
        flag = "--list" if kind == "list_entry" else "--record"
        out: dict[str, Any] = {
            "target": {"kind": kind, "id": target},
            "body": rule.deciding_body,
            "rule": rule.id,
            "legal_basis": rule.legal_basis,
            "decision_within": rule.decision.describe(),
            "reconsideration": f"{rule.reconsideration_body}, asked within "
            f"{rule.reconsideration_filing.describe()} of a rejection",
            "routes": [
                f'POST /v1/objections {{"subject": "{subject}", "{field}": "{target}", '
                '"reason": "..."}',
                "the public portal: /objections",
                f"xinyong objections file {subject} {flag} {target} --reason '...'",
            ],
        }
        try:
            day = china_date(self.at)
            due = self.calendar.due(day, rule.decision, roll=rule.roll)
            out["decision_due_if_filed_now"] = due.isoformat()
            if note := self.calendar.provisional_note(day, due):
                out["deadline_provisional"] = note
        except OutsideCalendar as e:
            out["decision_due_if_filed_now"] = None
            out["deadline_problem"] = str(e)
        return out


def _listings(before: SubjectView, after: SubjectView, obj: _Objecting, cause: str) -> list[Notice]:
    had = {_entry_key(e) for e in before.in_force()}
    out = []
    for e in after.in_force():
        if e.polarity != "black" or _entry_key(e) in had:
            continue
        name = f"{e.scheme}/{e.list_id}"
        out.append(
            Notice(
                _id(after.subject, "listing", _entry_key(e), cause),
                after.subject,
                after.at,
                "listing",
                f"placed on {e.title} ({name}) since {china_date(e.since).isoformat()}",
                {
                    "records": _entry_records(e),
                    "rules": [str(e.cause.get("rule") or e.cause.get("kind", ""))],
                    "cause": e.cause,
                    "legal_basis": e.legal_basis,
                },
                _entry_term(e),
                obj.how(after.subject, "list_entry", name, None),
                cause,
            )
        )
    return out


def _score_drops(
    before: SubjectView,
    after: SubjectView,
    memoranda: Sequence[Memorandum],
    obj: _Objecting,
    cause: str,
) -> list[Notice]:
    out = []
    for memo in memoranda:
        for m in memo.measures:
            if m.score is None:
                continue
            name, floor = m.score.scheme, m.score.at_least.value
            old, new = before.score_of(name), after.score_of(name)
            if old is None or new is None or not (old >= floor > new):
                continue
            result = after.scores[name]
            earlier = {i.record_id: i.points for i in before.scores[name].items}
            changed = [
                i for i in result.items if i.points < 0 and earlier.get(i.record_id) != i.points
            ]
            records = [i.record_id for i in changed]
            target = records[0] if records else ""
            category = changed[0].category if changed else None
            out.append(
                Notice(
                    _id(after.subject, "score_below_threshold", f"{memo.meta.name}/{m.id}", cause),
                    after.subject,
                    after.at,
                    "score_below_threshold",
                    f"{name} score fell from {old} to {new}, below {floor}: {m.title} "
                    f"no longer applies at {', '.join(m.gates)}",
                    {
                        "records": records,
                        "rules": [i.rule for i in changed],
                        "record_bases": [i.record_basis for i in changed],
                        "measure": m.id,
                        "legal_basis": m.legal_basis,
                    },
                    {
                        "since": iso(after.at),
                        "until": None,
                        "term": f"while the {name} score stays below {floor}; the records "
                        "count until "
                        + (
                            ", ".join(
                                f"{i.record_id}: {iso(i.expires_at) if i.expires_at else 'no end'}"
                                for i in changed
                            )
                            or "(none identified)"
                        ),
                    },
                    obj.how(after.subject, "record", target, category),
                    cause,
                )
            )
    return out


def _deny_measures(memoranda: Sequence[Memorandum]) -> set[str]:
    return {g for memo in memoranda for m in memo.measures if m.effect == "deny" for g in m.gates}


def _applied(
    memoranda: Sequence[Memorandum], view: SubjectView, gates: set[str]
) -> dict[tuple[str, str], tuple[Measure, ListEntry | None, list[str]]]:
    scores = {name: r.score for name, r in view.scores.items()}
    out: dict[tuple[str, str], tuple[Measure, ListEntry | None, list[str]]] = {}
    for gate in sorted(gates):
        d = decide(memoranda, gate, view.subject, view.at, view.entries, scores)
        for a in d.applied:
            if a.measure.effect != "deny":
                continue
            key = (a.memorandum, a.measure.id)
            _, _first, at_gates = out.setdefault(key, (a.measure, a.entry, []))
            at_gates.append(gate)
    return out


def _sanctions(
    before: SubjectView,
    after: SubjectView,
    memoranda: Sequence[Memorandum],
    obj: _Objecting,
    cause: str,
) -> list[Notice]:
    gates = _deny_measures(memoranda)
    if not gates:
        return []
    had = _applied(memoranda, before, gates)
    out = []
    for (memo, mid), (m, entry, at_gates) in _applied(memoranda, after, gates).items():
        if (memo, mid) in had:
            continue
        why: dict[str, Any] = {"measure": mid, "memorandum": memo, "legal_basis": m.legal_basis}
        if entry is not None:
            name = f"{entry.scheme}/{entry.list_id}"
            why.update(records=_entry_records(entry), list=name, list_basis=entry.legal_basis)
            term = _entry_term(entry)
            how = obj.how(after.subject, "list_entry", name, None)
        else:
            why.update(records=[], rules=[m.description])
            term = {"since": iso(after.at), "until": None, "term": "while the condition holds"}
            how = obj.how(after.subject, "record", "", None)
        out.append(
            Notice(
                _id(after.subject, "sanction", f"{memo}/{mid}", cause),
                after.subject,
                after.at,
                "sanction",
                f"{m.title}: refused at {', '.join(at_gates)}",
                why,
                term,
                how,
                cause,
            )
        )
    return out


def adverse_changes(
    before: SubjectView,
    after: SubjectView,
    memoranda: Sequence[Memorandum],
    rules: ObjectionRules,
    calendar: WorkCalendar,
    cause: str,
) -> list[Notice]:
    """The notices due to ``after.subject`` for what got worse from ``before`` to ``after``."""
    if before.subject != after.subject:
        raise ValueError("both evaluations must be of the same subject")
    obj = _Objecting(rules, calendar, after.at)
    return (
        _listings(before, after, obj, cause)
        + _score_drops(before, after, memoranda, obj, cause)
        + _sanctions(before, after, memoranda, obj, cause)
    )


def schemes_to_compare(
    after: SubjectView, memoranda: Sequence[Memorandum]
) -> frozenset[str] | None:
    """Which schemes :func:`adverse_changes` needs in the earlier view to judge ``after``.

    ``None``: all of them (``after`` has a black-list entry in force or a deny measure applied,
    which may be news whatever the schemes). Otherwise only a score fallen below a measure's
    threshold can be news, so only the schemes whose score in ``after`` is below one are
    needed, and an empty set means nothing in ``after`` can be news: the earlier evaluation
    can be skipped or narrowed to these schemes with the same notices as a result.
    """
    if any(e.polarity == "black" for e in after.in_force()):
        return None
    gates = _deny_measures(memoranda)
    if gates and _applied(memoranda, after, gates):
        return None
    below: set[str] = set()
    for memo in memoranda:
        for m in memo.measures:
            if m.score is not None:
                new = after.score_of(m.score.scheme)
                if new is not None and m.score.at_least.value > new:
                    below.add(m.score.scheme)
    return frozenset(below)


def decision_notice(case: Case, rule: ObjectionRule, calendar: WorkCalendar) -> Notice:
    """The notice of a decision on an objection: the outcome, the reasons, what was corrected,
    and (after a first-instance rejection) how and by when to ask for reconsideration."""
    ruling = case.final
    if ruling is None:
        raise ValueError(f"objection {case.id} is not decided yet")
    stage = "reconsideration" if case.reconsideration is not None else "decision"
    how: dict[str, Any] = {"target": {"kind": case.target_kind, "id": case.target}}
    if stage == "decision" and ruling.outcome == "rejected":
        how.update(
            body=rule.reconsideration_body,
            reconsideration_within=rule.reconsideration_filing.describe(),
            routes=[
                f'POST /v1/objections/{case.id}/reconsideration {{"reason": "..."}}',
                f"xinyong objections reconsider {case.id} --reason '...'",
            ],
        )
        try:
            day = china_date(ruling.at)
            last = calendar.due(day, rule.reconsideration_filing, roll=rule.roll)
            how["reconsideration_by"] = last.isoformat()
            if note := calendar.provisional_note(day, last):
                how["deadline_provisional"] = note
        except OutsideCalendar as e:
            how["reconsideration_by"] = None
            how["deadline_problem"] = str(e)
    else:
        how["note"] = (
            "this decision is final under the rule that governs the objection; "
            f"{rule.reconsideration_body} has decided"
            if stage == "reconsideration"
            else "the objection was upheld; nothing further to ask"
        )
    return Notice(
        _id(case.subject, "objection_decision", f"{case.id}/{stage}", ruling.outcome),
        case.subject,
        ruling.at,
        "objection_decision",
        f"objection {case.id} {ruling.outcome} ({stage}) by {ruling.by}",
        {
            "reasons": ruling.reasons,
            "records": list(ruling.records),
            "remedy": dict(ruling.remedy) if ruling.remedy else None,
            "rules": [rule.title],
            "legal_basis": rule.legal_basis,
        },
        {"since": iso(ruling.at), "until": None, "term": "decision"},
        how,
        f"objection {case.id} {ruling.outcome}",
    )
