"""An objection case as an event-sourced fold: its events, its states, its deadlines.

Events (append-only, in time order)::

    filed -> review_started -> decided(upheld | rejected)
    rejected -> reconsideration_requested (within the window) -> reconsideration_decided
    upheld | rejected -> closed
    filed | under_review | reconsideration -> withdrawn (by the objector, before a ruling)

States: ``filed``, ``under_review``, ``upheld``, ``rejected``, ``reconsideration``,
``closed``, ``withdrawn``. A withdrawal ends the deciding body's open obligations: they are
no longer owed from then on (and count as overdue only if their last day had passed before).
:func:`apply` validates one event against the case so far and refuses an invalid transition
with :class:`TransitionRefused` saying what is allowed instead; :func:`fold`
replays a whole history. Deadlines come from the rule that governs the target
(:mod:`xinyong.core.objection_rules`) over the working-day calendar
(:mod:`xinyong.core.workdays`); :func:`overdue` lists the obligations past their deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from xinyong.core.errors import XinyongError
from xinyong.core.objection_rules import ObjectionRule
from xinyong.core.timeutil import iso
from xinyong.core.workdays import OutsideCalendar, Period, WorkCalendar, china_date, end_of_day

EVENT_KINDS = (
    "filed",
    "review_started",
    "decided",
    "reconsideration_requested",
    "reconsideration_decided",
    "closed",
    "withdrawn",
)
STATES = (
    "filed", "under_review", "upheld", "rejected", "reconsideration", "closed", "withdrawn",
)  # fmt: skip
#: States in which the objector may withdraw: nothing has been ruled on yet at that stage.
WITHDRAWABLE = ("filed", "under_review", "reconsideration")
OUTCOMES = ("upheld", "rejected")
EventKind = Literal[
    "filed",
    "review_started",
    "decided",
    "reconsideration_requested",
    "reconsideration_decided",
    "closed",
    "withdrawn",
]


class TransitionRefused(XinyongError):
    """An event that the case's state does not allow."""


class NoSuchCase(XinyongError):
    """No objection case with this id."""


class NoSuchTarget(XinyongError):
    """An objection names a record or list entry the subject does not have."""


@dataclass(frozen=True, slots=True)
class CaseEvent:
    case_id: str
    kind: str
    at: datetime
    actor: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": iso(self.at), "actor": self.actor, **dict(self.data)}


@dataclass(frozen=True, slots=True)
class Ruling:
    """A decision on the objection (first instance or reconsideration)."""

    outcome: str
    reasons: str
    at: datetime
    by: str
    remedy: Mapping[str, Any] | None
    records: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reasons": self.reasons,
            "at": iso(self.at),
            "by": self.by,
            "remedy": dict(self.remedy) if self.remedy is not None else None,
            "correcting_records": list(self.records),
        }


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    subject: str
    target_kind: str
    target: str
    category: str | None
    rule: str
    reason: str
    filed_at: datetime
    filed_by: str
    state: str
    review_started_at: datetime | None = None
    decision: Ruling | None = None
    reconsideration_requested_at: datetime | None = None
    reconsideration_reason: str | None = None
    reconsideration: Ruling | None = None
    closed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    events: tuple[CaseEvent, ...] = ()

    @property
    def last_at(self) -> datetime:
        return self.events[-1].at

    @property
    def final(self) -> Ruling | None:
        """The ruling in force: the reconsideration's if any, else the first decision's."""
        return self.reconsideration or self.decision


def _text(event: CaseEvent, key: str) -> str:
    v = event.data.get(key)
    if not isinstance(v, str) or not v.strip():
        raise TransitionRefused(f"{event.kind}: {key!r} is required (non-empty text)")
    return v.strip()


def _ruling(event: CaseEvent) -> Ruling:
    outcome = event.data.get("outcome")
    if outcome not in OUTCOMES:
        raise TransitionRefused(
            f"{event.kind}: outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}"
        )
    reasons = _text(event, "reasons")
    remedy = event.data.get("remedy")
    records = event.data.get("records") or []
    if outcome == "upheld" and not remedy:
        raise TransitionRefused(
            f"{event.kind}: an upheld objection needs a remedy (revoke or correct the wrong "
            "record) so that the file changes accordingly"
        )
    if outcome == "rejected" and remedy:
        raise TransitionRefused(f"{event.kind}: a rejected objection takes no remedy")
    if remedy is not None and not isinstance(remedy, Mapping):
        raise TransitionRefused(f"{event.kind}: remedy must be a mapping")
    return Ruling(
        str(outcome), reasons, event.at, event.actor, remedy, tuple(str(r) for r in records)
    )


def _refuse(case: Case | None, event: CaseEvent, allowed: str) -> TransitionRefused:
    state = case.state if case is not None else "(no case yet)"
    return TransitionRefused(
        f"objection {event.case_id}: cannot record {event.kind!r} in state {state!r}; {allowed}"
    )


_NEXT = {
    "filed": "next: review_started (or withdrawn by the objector)",
    "under_review": "next: decided (upheld or rejected), or withdrawn by the objector",
    "upheld": "next: closed",
    "rejected": "next: reconsideration_requested (within the window) or closed",
    "reconsideration": "next: reconsideration_decided (or withdrawn by the objector)",
    "closed": "the case is closed; file a new objection",
    "withdrawn": "the objection was withdrawn; file a new objection",
}


def apply(
    case: Case | None, event: CaseEvent, rule: ObjectionRule | None, calendar: WorkCalendar
) -> Case:
    """The case after ``event``; refuses an event its state does not allow."""
    if event.kind not in EVENT_KINDS:
        raise TransitionRefused(
            f"objection {event.case_id}: unknown event {event.kind!r}; events are "
            + ", ".join(EVENT_KINDS)
        )
    if case is None:
        if event.kind != "filed":
            raise _refuse(None, event, "a case starts with 'filed'")
        d = event.data
        kind = d.get("target_kind")
        if kind not in ("record", "list_entry"):
            raise TransitionRefused(f"filed: target_kind must be record or list_entry, got {kind}")
        return Case(
            id=event.case_id,
            subject=_text(event, "subject"),
            target_kind=str(kind),
            target=_text(event, "target"),
            category=d.get("category") if isinstance(d.get("category"), str) else None,
            rule=_text(event, "rule"),
            reason=_text(event, "reason"),
            filed_at=event.at,
            filed_by=event.actor,
            state="filed",
            events=(event,),
        )
    if event.case_id != case.id:
        raise TransitionRefused(f"event for {event.case_id} applied to case {case.id}")
    if event.at < case.last_at:
        raise TransitionRefused(
            f"objection {case.id}: {event.kind} at {iso(event.at)} is before the case's last "
            f"event at {iso(case.last_at)}; events are recorded in time order"
        )
    s = case.state
    events = (*case.events, event)
    if event.kind == "filed":
        raise _refuse(case, event, "a case is filed once; " + _NEXT[s])
    if event.kind == "review_started":
        if s != "filed":
            raise _refuse(case, event, _NEXT[s])
        return replace(case, state="under_review", review_started_at=event.at, events=events)
    if event.kind == "decided":
        if s != "under_review":
            hint = "start the review first" if s == "filed" else _NEXT[s]
            raise _refuse(case, event, hint)
        ruling = _ruling(event)
        return replace(case, state=ruling.outcome, decision=ruling, events=events)
    if event.kind == "reconsideration_requested":
        if s != "rejected" or case.reconsideration is not None:
            why = (
                "reconsideration was already decided; the case can only be closed"
                if case.reconsideration is not None
                else "reconsideration is asked of a rejection; " + _NEXT[s]
            )
            raise _refuse(case, event, why)
        assert case.decision is not None
        if rule is not None:
            last = calendar.due(
                china_date(case.decision.at), rule.reconsideration_filing, roll=rule.roll
            )
            if china_date(event.at) > last:
                raise TransitionRefused(
                    f"objection {case.id}: reconsideration must be requested within "
                    f"{rule.reconsideration_filing.describe()} of the rejection "
                    f"({china_date(case.decision.at)}), i.e. by {last} (China time); "
                    f"asked on {china_date(event.at)}"
                )
        return replace(
            case,
            state="reconsideration",
            reconsideration_requested_at=event.at,
            reconsideration_reason=_text(event, "reason"),
            events=events,
        )
    if event.kind == "reconsideration_decided":
        if s != "reconsideration":
            raise _refuse(case, event, _NEXT[s])
        ruling = _ruling(event)
        return replace(case, state=ruling.outcome, reconsideration=ruling, events=events)
    if event.kind == "withdrawn":
        if s not in WITHDRAWABLE:
            why = "a ruled objection cannot be withdrawn; " if s in ("upheld", "rejected") else ""
            raise _refuse(case, event, why + _NEXT[s])
        reason = event.data.get("reason")
        return replace(
            case,
            state="withdrawn",
            withdrawn_at=event.at,
            withdrawal_reason=reason.strip()
            if isinstance(reason, str) and reason.strip()
            else None,
            events=events,
        )
    # closed
    if s not in ("upheld", "rejected"):
        hint = "decide it first" if s in ("filed", "under_review") else _NEXT[s]
        raise _refuse(case, event, hint)
    return replace(case, state="closed", closed_at=event.at, events=events)


def fold(
    events: Iterable[CaseEvent], rule_of: Mapping[str, ObjectionRule], calendar: WorkCalendar
) -> Case:
    """Replay a case's events (oldest first); ``rule_of`` maps rule ids to rules."""
    case: Case | None = None
    for e in events:
        rule = rule_of.get(case.rule) if case is not None else None
        case = apply(case, e, rule, calendar)
    if case is None:
        raise TransitionRefused("no events: a case starts with 'filed'")
    return case


@dataclass(frozen=True, slots=True)
class Deadline:
    """One deadline of a case: an obligation of the deciding body, or the objector's window."""

    name: str
    what: str
    obligation: bool
    start: date
    period: Period
    due: date | None
    met_at: datetime | None
    problem: str | None = None
    provisional: str | None = None
    """Why ``due`` may still move (counted over a provisional calendar year), if it may."""
    ended_at: datetime | None = None
    """When the obligation stopped being owed unmet (the objection was withdrawn)."""

    def overdue(self, at: datetime) -> bool:
        if not self.obligation or self.due is None:
            return False
        limit = end_of_day(self.due)
        if self.met_at is not None:
            return self.met_at >= limit
        if self.ended_at is not None and self.ended_at <= at:
            return self.ended_at >= limit  # it was overdue when the withdrawal ended it
        return at >= limit

    def open_overdue(self, at: datetime) -> bool:
        ended = self.ended_at is not None and self.ended_at <= at
        return self.met_at is None and not ended and self.overdue(at)

    def to_dict(self, at: datetime | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "what": self.what,
            "obligation": self.obligation,
            "from": self.start.isoformat(),
            "period": str(self.period),
            "due": self.due.isoformat() if self.due else None,
            "met_at": iso(self.met_at) if self.met_at else None,
        }
        if self.problem:
            d["problem"] = self.problem
        if self.provisional:
            d["provisional"] = self.provisional
        if self.ended_at is not None and self.met_at is None:
            d["ended_at"] = iso(self.ended_at)
        if at is not None:
            d["overdue"] = self.overdue(at)
        return d


def _deadline(
    calendar: WorkCalendar,
    rule: ObjectionRule,
    name: str,
    what: str,
    obligation: bool,
    start: datetime,
    period: Period,
    met_at: datetime | None,
) -> Deadline:
    day = china_date(start)
    try:
        due: date | None = calendar.due(day, period, roll=rule.roll)
        problem = None
    except OutsideCalendar as e:
        due, problem = None, str(e)
    note = None if due is None else calendar.provisional_note(day, due)
    return Deadline(name, what, obligation, day, period, due, met_at, problem, note)


def deadlines(case: Case, rule: ObjectionRule, calendar: WorkCalendar) -> list[Deadline]:
    """Every deadline the case has reached so far (later ones appear as the case moves);
    after a withdrawal, the obligations still unmet carry ``ended_at``."""
    out = _deadlines(case, rule, calendar)
    if case.withdrawn_at is None:
        return out
    return [
        replace(d, ended_at=case.withdrawn_at) if d.obligation and d.met_at is None else d
        for d in out
    ]


def _deadlines(case: Case, rule: ObjectionRule, calendar: WorkCalendar) -> list[Deadline]:
    body = rule.deciding_body
    out = [
        _deadline(
            calendar,
            rule,
            "decision",
            f"{body} decides within {rule.decision.describe()} of the filing",
            True,
            case.filed_at,
            rule.decision,
            case.decision.at if case.decision else None,
        )
    ]
    for ruling in (case.decision, case.reconsideration):
        if ruling is not None and ruling.outcome == "upheld":
            out.append(
                _deadline(
                    calendar,
                    rule,
                    "correction",
                    f"the wrong entry is corrected within {rule.correction.describe()} of the "
                    "upholding decision",
                    True,
                    ruling.at,
                    rule.correction,
                    ruling.at if ruling.records else None,
                )
            )
    if case.decision is not None and case.decision.outcome == "rejected":
        out.append(
            _deadline(
                calendar,
                rule,
                "reconsideration_filing",
                f"the objector may ask {rule.reconsideration_body} to reconsider within "
                f"{rule.reconsideration_filing.describe()} of the rejection",
                False,
                case.decision.at,
                rule.reconsideration_filing,
                case.reconsideration_requested_at,
            )
        )
    if case.reconsideration_requested_at is not None:
        out.append(
            _deadline(
                calendar,
                rule,
                "reconsideration_decision",
                f"{rule.reconsideration_body} decides the reconsideration within "
                f"{rule.reconsideration_decision.describe()} of the request",
                True,
                case.reconsideration_requested_at,
                rule.reconsideration_decision,
                case.reconsideration.at if case.reconsideration else None,
            )
        )
    return out


def overdue(
    case: Case, rule: ObjectionRule, calendar: WorkCalendar, at: datetime
) -> list[Deadline]:
    """The obligations of ``case`` still unmet after their last day (China time) at ``at``."""
    if case.state in ("closed", "withdrawn"):
        return []
    return [d for d in deadlines(case, rule, calendar) if d.open_overdue(at)]


def case_to_dict(
    case: Case, rule: ObjectionRule, calendar: WorkCalendar, at: datetime
) -> dict[str, Any]:
    return {
        "id": case.id,
        "status": case.state,
        "withdrawable": case.state in WITHDRAWABLE,
        "subject": case.subject,
        "target": {"kind": case.target_kind, "id": case.target, "category": case.category},
        "reason": case.reason,
        "filed_at": iso(case.filed_at),
        "filed_by": case.filed_by,
        "rule": {
            "id": rule.id,
            "title": rule.title,
            "deciding_body": rule.deciding_body,
            "reconsideration_body": rule.reconsideration_body,
            "legal_basis": rule.legal_basis,
            "periods": rule.periods(),
            "confidence": rule.confidence,
        },
        "deadlines": [d.to_dict(at) for d in deadlines(case, rule, calendar)],
        "overdue": [d.name for d in overdue(case, rule, calendar, at)],
        "decision": case.decision.to_dict() if case.decision else None,
        "reconsideration": (
            {
                "requested_at": iso(case.reconsideration_requested_at),
                "reason": case.reconsideration_reason,
                "decision": case.reconsideration.to_dict() if case.reconsideration else None,
            }
            if case.reconsideration_requested_at
            else None
        ),
        "closed_at": iso(case.closed_at) if case.closed_at else None,
        "withdrawal": (
            {"at": iso(case.withdrawn_at), "reason": case.withdrawal_reason}
            if case.withdrawn_at
            else None
        ),
        "history": [e.to_dict() for e in case.events],
    }
