"""One subject under every configured scheme and memorandum: the engine's pure entry point.

Everything the CLI, the HTTP service and the golden cases show about a subject comes from
here: scores with explanations, list entries (and refused listings), and gate decisions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xinyong.core.lists import ListEntry, NotListed, list_entries
from xinyong.core.records import Record, resolve
from xinyong.core.review import DEFAULT_HOLDS, ReviewHold
from xinyong.core.roles import ROLE_CATEGORY, RoleLink, role_links
from xinyong.core.sanctions import Decision, Memorandum, decide
from xinyong.core.scoring.engine import AnyScheme, NoVersionInForce, score_subject
from xinyong.core.scoring.result import ScoreResult


def age_on(subject: str, day: date) -> int | None:
    """Age of a person on ``day`` from the birth date in their resident identity number
    (``None`` for an organisation or an invalid code)."""
    from xinyong.core.codes import check
    from xinyong.core.codes.resident import years_between

    c = check(subject)
    if c.kind != "resident" or not c.valid:
        return None
    return years_between(date.fromisoformat(str(c.fields["birth_date"])), day)


@dataclass(frozen=True, slots=True)
class SubjectView:
    subject: str
    at: datetime
    known_at: datetime | None
    """What the store held then: records accepted by ``known_at`` (``None``: the latest
    knowledge, every record)."""
    scores: dict[str, ScoreResult]
    entries: list[ListEntry]
    refused: list[NotListed]
    linked: list[tuple[RoleLink, list[ListEntry]]] = field(default_factory=list)
    """Role records of the subject in force at ``at`` and the entries of each organisation
    (bind the subject at gates whose memorandum binds roles; never the subject's lists)."""

    def in_force(self) -> list[ListEntry]:
        return [e for e in self.entries if e.in_force(self.at)]

    def score_of(self, scheme: str) -> int | None:
        r = self.scores.get(scheme)
        return r.score if r is not None else None


def evaluate_subject(
    schemes: Mapping[str, AnyScheme],
    subject: str,
    records: Sequence[Record],
    at: datetime,
    known_at: datetime | None = None,
    holds: Sequence[ReviewHold] = DEFAULT_HOLDS,
) -> SubjectView:
    """Score and list ``subject`` under each scheme (schemes not yet in force are skipped).

    ``records`` may also hold records of organisations in which the subject holds a role
    (:mod:`xinyong.core.roles`): their entries are kept apart in ``linked``. Only records
    the store held at ``known_at`` count (``None``: the latest knowledge, all of them)."""
    mine = [r for r in records if r.subject == subject]
    scores: dict[str, ScoreResult] = {}
    entries: list[ListEntry] = []
    refused: list[NotListed] = []
    for name, scheme in schemes.items():
        try:
            result = score_subject(scheme, subject, mine, at, known_at, holds)
        except NoVersionInForce:
            continue
        scores[name] = result
        got, no = list_entries(
            scheme,
            subject,
            mine,
            at,
            known_at,
            age_on=age_on,
            score=result.score,
            grade=result.grade,
        )
        entries.extend(got)
        refused.extend(no)
    entries.sort(key=lambda e: (e.since, e.scheme, e.list_id))
    linked = _linked(schemes, subject, mine, records, at, known_at)
    return SubjectView(subject, at, known_at, scores, entries, refused, linked)


def _linked(
    schemes: Mapping[str, AnyScheme],
    subject: str,
    mine: Sequence[Record],
    records: Sequence[Record],
    at: datetime,
    known_at: datetime | None,
) -> list[tuple[RoleLink, list[ListEntry]]]:
    if not any(r.category == ROLE_CATEGORY for r in mine):
        return []
    effective, _ = resolve(mine, known_at)
    out: list[tuple[RoleLink, list[ListEntry]]] = []
    for link in role_links(effective, at):
        if link.unit == subject:
            continue
        unit = evaluate_subject(schemes, link.unit, records, at, known_at)
        out.append((link, unit.entries))
    return out


def linked_units(records: Sequence[Record]) -> set[str]:
    """The organisations named by role records among ``records`` (whose records a caller
    must also pass to :func:`evaluate_subject` for role-bound gates to see their entries)."""
    return {
        str(r.details["unit"])
        for r in records
        if r.category == ROLE_CATEGORY and isinstance(r.details.get("unit"), str)
    }


def check_gate(memoranda: Sequence[Memorandum], view: SubjectView, gate: str) -> Decision:
    """The answer of ``gate`` (allow, deny or benefit, with each measure applied, its basis,
    term and how to object) for the subject of ``view`` (:func:`evaluate_subject`)."""
    scores = {name: r.score for name, r in view.scores.items()}
    return decide(memoranda, gate, view.subject, view.at, view.entries, scores, view.linked)


def view_to_dict(view: SubjectView) -> dict[str, Any]:
    return {
        "subject": view.subject,
        "lists_in_force": [e.to_dict() for e in view.in_force()],
        "list_history": [e.to_dict() for e in view.entries],
        "not_listed": [
            {
                "list": n.list_id,
                "record_id": n.record_id,
                "reason": n.reason,
                "legal_basis": n.legal_basis,
            }
            for n in view.refused
        ],
    }
