"""Joint sanctions and rewards at gates, from memoranda as data.

A memorandum maps lists (``scheme/list``) or score thresholds to measures at gates (points
of service such as a ticket office). :func:`decide` answers one gate for one subject:
``deny`` if any deny measure applies, else ``benefit`` if any benefit measure applies, else
``allow`` - always with the measures, the list entries, their bases, terms and how to object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from xinyong.core.errors import SchemeError
from xinyong.core.lists import ListEntry
from xinyong.core.roles import ROLES, RoleLink
from xinyong.core.schemes.model import Source, format_validation_error, unverified_paths
from xinyong.core.schemes.params import Confidence, IntParam, Strict
from xinyong.core.timeutil import iso

MeasureSeverity = Literal["minor", "moderate", "severe"]
BasisRank = Literal[
    "law",
    "administrative-regulation",
    "judicial-interpretation",
    "central-policy",
    "departmental",
    "local",
    "contract",
]


class ScoreCondition(Strict):
    scheme: str
    at_least: IntParam


class Measure(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    title: str
    effect: Literal["deny", "benefit"]
    gates: list[str]
    lists: list[str] = []
    """Lists as ``scheme/list-id``; an entry in force on any of them triggers the measure."""
    score: ScoreCondition | None = None
    legal_basis: str
    description: str
    confidence: Confidence | None = None
    source: str | None = None
    severity: MeasureSeverity | None = None
    """How much the measure takes from the person (audit data, docs/audit.md)."""
    basis_rank: BasisRank | None = None
    """The rank of the legal basis: law, regulation, judicial interpretation, policy, ..."""
    reaches: list[Literal["children", "family"]] = []
    """Persons other than the listed subject on whom the measure falls."""

    @model_validator(mode="after")
    def _trigger(self) -> Measure:
        if not self.lists and self.score is None:
            raise ValueError("a measure needs lists or a score condition")
        for name in self.lists:
            if name.count("/") != 1:
                raise ValueError(f"lists: {name!r} must be written scheme/list-id")
        return self


class MemorandumMeta(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    issued: date
    description: str
    default_confidence: Confidence
    sources: list[Source]


class RoleBinding(Strict):
    """The memorandum's deny measures also bind persons holding these roles in a listed
    organisation (a role record about the person; see :mod:`xinyong.core.roles`)."""

    roles: list[Literal[ROLES]]  # type: ignore[valid-type]
    legal_basis: str
    description: str = ""


class Memorandum(Strict):
    kind: Literal["memorandum"]
    meta: MemorandumMeta
    binds_roles: RoleBinding | None = None
    gates: dict[str, str]
    """Gate id -> what the gate is (e.g. 'air.ticket' -> 'Sale of an air ticket')."""
    measures: list[Measure]
    gate_domains: dict[str, str] = {}
    """Gate id -> the social context of the gate (a domain of the catalogue; audit data)."""

    @property
    def name(self) -> str:
        return self.meta.name

    def unverified(self) -> list[str]:
        """Paths of the measures (and score thresholds) whose confidence is U.

        A measure without its own confidence takes the memorandum's default.
        """
        default = self.meta.default_confidence
        out = [
            f"measures[{i}] ({m.id})"
            for i, m in enumerate(self.measures)
            if (m.confidence or default) == "U"
        ]
        for i, m in enumerate(self.measures):
            own = m.confidence or default
            if m.score is not None and own != "U":
                out += [
                    f"measures[{i}].score{p}" for p in unverified_paths(m.score.model_dump(), own)
                ]
        return out

    @model_validator(mode="after")
    def _gates_known(self) -> Memorandum:
        for i, m in enumerate(self.measures):
            for g in m.gates:
                if g not in self.gates:
                    raise ValueError(f"measures[{i}].gates: {g!r} is not declared in gates")
        ids = [m.id for m in self.measures]
        if len(ids) != len(set(ids)):
            raise ValueError("measure ids must be unique")
        for g in self.gate_domains:
            if g not in self.gates:
                raise ValueError(f"gate_domains: {g!r} is not declared in gates")
        return self


def parse_memorandum(data: dict[str, Any], origin: str) -> Memorandum:
    try:
        return Memorandum.model_validate(data)
    except ValidationError as e:
        raise SchemeError(format_validation_error(e, origin)) from None


@dataclass(frozen=True, slots=True)
class Applied:
    memorandum: str
    measure: Measure
    entry: ListEntry | None
    score: int | None = None
    role: RoleLink | None = None
    role_basis: str = ""

    def to_dict(self) -> dict[str, Any]:
        m = self.measure
        d: dict[str, Any] = {
            "memorandum": self.memorandum,
            "measure": m.id,
            "title": m.title,
            "effect": m.effect,
            "legal_basis": m.legal_basis,
            "description": m.description,
        }
        if self.entry is not None:
            e = self.entry
            d["list_entry"] = {
                "list": f"{e.scheme}/{e.list_id}",
                "title": e.title,
                "since": iso(e.since),
                "until": iso(e.until) if e.until else None,
                "term": e.term,
                "basis": e.legal_basis,
                "cause": e.cause,
            }
            d["how_to_object"] = e.objection
        if self.role is not None:
            d["through_role"] = {
                **self.role.to_dict(),
                "rule": self.role_basis,
                "note": "the person is not listed; the organisation's entry binds them "
                "through this role while both are in force",
            }
        if self.score is not None and m.score is not None:
            d["score"] = {
                "scheme": m.score.scheme,
                "score": self.score,
                "at_least": m.score.at_least.value,
            }
        return d


@dataclass(frozen=True, slots=True)
class Decision:
    gate: str
    subject: str
    at: datetime
    decision: str
    applied: list[Applied]

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "subject": self.subject,
            "at": iso(self.at),
            "decision": self.decision,
            "measures": [a.to_dict() for a in self.applied],
        }


def gates_of(memoranda: Sequence[Memorandum]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in memoranda:
        out.update(m.gates)
    return out


def decide(
    memoranda: Sequence[Memorandum],
    gate: str,
    subject: str,
    at: datetime,
    entries: Sequence[ListEntry],
    scores: dict[str, int | None],
    linked: Sequence[tuple[RoleLink, Sequence[ListEntry]]] = (),
) -> Decision:
    """Answer ``gate`` for ``subject`` at ``at`` from its list entries and scheme scores,
    and (for memoranda that bind roles) the entries of organisations in which a role record
    of the subject in force names them (``linked``)."""
    applied: list[Applied] = []
    in_force = [e for e in entries if e.in_force(at)]
    for memo in memoranda:
        for m in memo.measures:
            if gate not in m.gates:
                continue
            for e in in_force:
                if f"{e.scheme}/{e.list_id}" in m.lists:
                    applied.append(Applied(memo.meta.name, m, e))
                    break
            else:
                via = _through_role(memo, m, at, linked)
                if via is not None:
                    applied.append(via)
                    continue
                if m.score is not None:
                    s = scores.get(m.score.scheme)
                    if s is not None and s >= m.score.at_least.value:
                        applied.append(Applied(memo.meta.name, m, None, s))
    decision = "allow"
    if any(a.measure.effect == "deny" for a in applied):
        decision = "deny"
        applied = [a for a in applied if a.measure.effect == "deny"]
    elif applied:
        decision = "benefit"
    return Decision(gate, subject, at, decision, applied)


def _through_role(
    memo: Memorandum,
    m: Measure,
    at: datetime,
    linked: Sequence[tuple[RoleLink, Sequence[ListEntry]]],
) -> Applied | None:
    b = memo.binds_roles
    if b is None or m.effect != "deny":
        return None
    for link, unit_entries in linked:
        if link.role not in b.roles or not link.in_force(at):
            continue
        for e in unit_entries:
            if e.in_force(at) and f"{e.scheme}/{e.list_id}" in m.lists:
                return Applied(memo.meta.name, m, e, role=link, role_basis=b.legal_basis)
    return None


def referenced_schemes(memoranda: Sequence[Memorandum]) -> set[str]:
    out: set[str] = set()
    for memo in memoranda:
        for m in memo.measures:
            out.update(name.split("/")[0] for name in m.lists)
            if m.score is not None:
                out.add(m.score.scheme)
    return out
