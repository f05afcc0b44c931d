"""Running golden cases: each check of a case against the engine, with the difference.

:func:`prepare` resolves a case's schemes (presets, or the operator's own scheme files in
their place) and memoranda; :func:`run_case` replays the repairs and checks and returns a
:class:`CaseOutcome` saying PASS, FAIL, XFAIL (a known bug, as the case says) or XPASS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from xinyong.core.errors import SchemeError
from xinyong.core.evaluate import check_gate, evaluate_subject, view_to_dict
from xinyong.core.repair import decide_repair
from xinyong.core.sanctions import Memorandum, gates_of
from xinyong.core.schemes.model import AnyScheme
from xinyong.core.timeutil import iso
from xinyong.golden.cases import Case
from xinyong.golden.compare import Difference, check_differences, repair_differences
from xinyong.golden.strict_yaml import CaseError
from xinyong.system.catalogue import catalogue, review_holds
from xinyong.system.schemes_io import memorandum, preset

Status = Literal["PASS", "FAIL", "XFAIL", "XPASS"]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A case with the schemes (by the names the case uses) and memoranda it runs against."""

    case: Case
    schemes: dict[str, AnyScheme]
    memoranda: list[Memorandum]


def prepare(case: Case, own: Sequence[AnyScheme] = ()) -> Prepared:
    """Resolve ``case``'s schemes and memoranda; a scheme of ``own`` (the operator's scheme
    files) replaces the preset of the same name (its ``meta.name``)."""
    mine = {s.name: s for s in own}
    schemes: dict[str, AnyScheme] = {}
    for name in case.schemes:
        try:
            schemes[name] = mine[name] if name in mine else preset(name)
        except SchemeError as e:
            raise CaseError(
                f"{case.name}: key 'schemes': {e} (or give the scheme's file with --scheme)"
            ) from None
    try:
        memoranda = [memorandum(name) for name in case.memoranda]
    except SchemeError as e:
        raise CaseError(f"{case.name}: key 'memoranda': {e}") from None
    declared = gates_of(memoranda)
    for i, check in enumerate(case.checks):
        for gate in check.expected.get("gates", {}):
            if gate not in declared:
                raise CaseError(
                    f"{case.name}: key 'checks[{i}].expected.gates.{gate}': the gate is not "
                    f"declared by the case's memoranda {case.memoranda}; "
                    f"known gates: {sorted(declared)}"
                )
    return Prepared(case, schemes, memoranda)


@dataclass(frozen=True, slots=True)
class Failure:
    """One repair or check of a case that the engine contradicts."""

    where: str
    differences: list[Difference]
    explanation: dict[str, Any] | None  # what the engine found (checks only)

    def report(self) -> str:
        text = f"{self.where}:\n  " + "\n  ".join(str(d) for d in self.differences)
        if self.explanation is not None:
            text += "\nexplanation:\n" + json.dumps(
                self.explanation, indent=2, ensure_ascii=False, default=str
            )
        return text


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    case: Case
    failures: list[Failure]

    @property
    def status(self) -> Status:
        if self.case.xfail is None:
            return "FAIL" if self.failures else "PASS"
        return "XFAIL" if self.failures else "XPASS"

    @property
    def passed(self) -> bool:
        """PASS, or XFAIL (the case documents a known engine bug and still shows it)."""
        return self.status in ("PASS", "XFAIL")

    def report(self) -> str:
        """The case, each failure with its differences and the engine's explanation."""
        head = f"{self.case.name}: {self.case.description.strip()}"
        return "\n\n".join([head, *(f.report() for f in self.failures)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case.name,
            "status": self.status,
            "description": self.case.description.strip(),
            "xfail": self.case.xfail,
            "failures": [
                {
                    "where": f.where,
                    "differences": [d.to_dict() for d in f.differences],
                    "explanation": f.explanation,
                }
                for f in self.failures
            ],
        }


def run_case(p: Prepared) -> CaseOutcome:
    """Decide the case's repairs in order, then evaluate each check; collect what differs."""
    case = p.case
    failures: list[Failure] = []
    records = list(case.records)
    cat = catalogue()
    for i, rq in enumerate(case.repairs):
        got = decide_repair(
            rq.request, records, cat.publication_classes(), cat.publication, rq.decided_at
        )
        diffs = repair_differences(f"repairs[{i}].expected", rq, got.granted, got.reasons)
        if diffs:
            failures.append(Failure(f"repairs[{i}]", diffs, None))
        if got.granted:
            records.append(got.repair_record(source="golden-case"))
    for i, check in enumerate(case.checks):
        view = evaluate_subject(
            p.schemes, case.subject, records, check.at, check.known_at, review_holds()
        )
        decisions = {
            gate: check_gate(p.memoranda, view, gate) for gate in check.expected.get("gates", {})
        }
        diffs = check_differences(f"checks[{i}].expected", check, view, decisions, records)
        if diffs:
            explanation = {
                "scores": {name: r.to_dict() for name, r in view.scores.items()},
                **view_to_dict(view),
                "gates": {gate: d.to_dict() for gate, d in decisions.items()},
            }
            known = "latest" if check.known_at is None else iso(check.known_at)
            where = f"checks[{i}] at {iso(check.at)} known_at {known}"
            failures.append(Failure(where, diffs, explanation))
    return CaseOutcome(case, failures)
