"""The parts of a case file below ``checks[].expected`` and ``repairs``, validated strictly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from xinyong.core.repair import RepairRequest
from xinyong.core.timeutil import parse_instant
from xinyong.golden.strict_yaml import CaseError, check_keys

EXPECTED_KEYS = ("scores", "lists_in_force", "not_listed", "gates", "published", "ended_by")
REPAIR_KEYS = ("record", "filed_at", "decided_at", "obligations", "commitment", "expected")
REPAIR_EXPECTED_KEYS = ("decision", "reasons")
SCORE_KEYS = ("score", "grade")
DECISIONS = ("deny", "benefit", "allow")


@dataclass(frozen=True)
class RepairCase:
    request: RepairRequest
    decided_at: datetime
    decision: str
    reasons: list[str]


def str_list(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"key '{where}': must be a list of names, got {value!r}")
    return list(value)


def instant(where: str, value: Any) -> datetime:
    if isinstance(value, datetime | date | str):
        try:
            return parse_instant(value)
        except ValueError as e:
            raise CaseError(f"key '{where}': {e}") from None
    raise CaseError(f"key '{where}': must be a date such as 2024-06-01, got {value!r}")


def parse_expected(where: str, raw: Any, case_schemes: list[str]) -> dict[str, Any]:
    check_keys(where, raw, EXPECTED_KEYS)
    out: dict[str, Any] = {}
    if "scores" in raw:
        scores = raw["scores"]
        if not isinstance(scores, Mapping):
            raise CaseError(f"key '{where}.scores': must map a scheme to {{score, grade}}")
        for name, exp in scores.items():
            if name not in case_schemes:
                raise CaseError(
                    f"key '{where}.scores.{name}': scheme {name!r} is not in this case's "
                    f"schemes {case_schemes}"
                )
            if exp is not None:
                check_keys(f"{where}.scores.{name}", exp, SCORE_KEYS)
                if "score" in exp and not (exp["score"] is None or type(exp["score"]) is int):
                    raise CaseError(f"key '{where}.scores.{name}.score': must be a whole number")
                if "grade" in exp and not (exp["grade"] is None or isinstance(exp["grade"], str)):
                    raise CaseError(f"key '{where}.scores.{name}.grade': must be text")
        out["scores"] = dict(scores)
    for key in ("lists_in_force", "not_listed"):
        if key in raw:
            out[key] = str_list(f"{where}.{key}", raw[key])
    if "gates" in raw:
        gates = raw["gates"]
        if not isinstance(gates, Mapping):
            raise CaseError(f"key '{where}.gates': must map a gate to deny | benefit | allow")
        for gate, decision in gates.items():
            if decision not in DECISIONS:
                raise CaseError(
                    f"key '{where}.gates.{gate}': must be one of {', '.join(DECISIONS)}, "
                    f"got {decision!r}"
                )
        out["gates"] = dict(gates)
    if "published" in raw:
        out["published"] = str_list(f"{where}.published", raw["published"])
    if "ended_by" in raw:
        ended = raw["ended_by"]
        if not isinstance(ended, Mapping) or not all(
            v is None or isinstance(v, str) for v in ended.values()
        ):
            raise CaseError(
                f"key '{where}.ended_by': must map scheme/list to how its latest entry ended "
                "(performance, settlement, creditor-request, end-of-term, expired, ...) or null"
            )
        out["ended_by"] = dict(ended)
    return out


def parse_repairs(raw: Any, subject: str) -> list[RepairCase]:
    if not isinstance(raw, list):
        raise CaseError("key 'repairs': must be a list of repair requests")
    out: list[RepairCase] = []
    for i, rq in enumerate(raw):
        where = f"repairs[{i}]"
        check_keys(where, rq, REPAIR_KEYS, ("record", "filed_at", "expected"))
        check_keys(f"{where}.expected", rq["expected"], REPAIR_EXPECTED_KEYS, ("decision",))
        decision = rq["expected"]["decision"]
        if decision not in ("granted", "refused"):
            raise CaseError(f"key '{where}.expected.decision': must be granted or refused")
        reasons = str_list(f"{where}.expected.reasons", rq["expected"].get("reasons", []))
        for key in ("record", "obligations", "commitment"):
            if key in rq and not isinstance(rq[key], str):
                raise CaseError(f"key '{where}.{key}': must be text")
        filed = instant(f"{where}.filed_at", rq["filed_at"])
        decided = instant(f"{where}.decided_at", rq.get("decided_at", rq["filed_at"]))
        request = RepairRequest(
            subject,
            rq["record"],
            filed,
            "obligations" in rq,
            rq.get("obligations", ""),
            "commitment" in rq,
            rq.get("commitment", ""),
        )
        out.append(RepairCase(request, decided, decision, reasons))
    return out
