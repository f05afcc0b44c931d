"""Golden case files: what a case is, and reading one strictly.

A case names preset schemes (and memoranda), gives a subject's records and says what the
engine must find at given moments; see docs/golden-cases.md for the format. Every error
names the file and the key path, and says what would be right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from xinyong.adapters.catalogue import known_categories
from xinyong.core.errors import InvalidRecord
from xinyong.core.records import Record
from xinyong.core.repair import RepairRequest
from xinyong.core.timeutil import parse_instant
from xinyong.golden.strict_yaml import CaseError, check_keys, read_yaml

CASE_KEYS = (
    "description",
    "schemes",
    "memoranda",
    "subject",
    "xfail",
    "records",
    "repairs",
    "checks",
)
CASE_REQUIRED = ("description", "schemes", "subject", "records", "checks")
CHECK_KEYS = ("at", "known_at", "expected")
EXPECTED_KEYS = ("scores", "lists_in_force", "not_listed", "gates", "published", "ended_by")
REPAIR_KEYS = ("record", "filed_at", "decided_at", "obligations", "commitment", "expected")
REPAIR_EXPECTED_KEYS = ("decision", "reasons")
SCORE_KEYS = ("score", "grade")
DECISIONS = ("deny", "benefit", "allow")


@dataclass(frozen=True)
class Check:
    at: datetime
    known_at: datetime
    expected: dict[str, Any]


@dataclass(frozen=True)
class RepairCase:
    request: RepairRequest
    decided_at: datetime
    decision: str
    reasons: list[str]


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    schemes: list[str]
    memoranda: list[str]
    subject: str
    xfail: str | None
    records: list[Record]
    checks: list[Check]
    repairs: list[RepairCase] = field(default_factory=list)


def _str_list(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"key '{where}': must be a list of names, got {value!r}")
    return list(value)


def _instant(where: str, value: Any) -> datetime:
    if isinstance(value, datetime | date | str):
        try:
            return parse_instant(value)
        except ValueError as e:
            raise CaseError(f"key '{where}': {e}") from None
    raise CaseError(f"key '{where}': must be a date such as 2024-06-01, got {value!r}")


def _record_text(value: Any) -> Any:
    """YAML reads 2024-03-01 as a date; records take ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _expected(where: str, raw: Any, case_schemes: list[str]) -> dict[str, Any]:
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
            out[key] = _str_list(f"{where}.{key}", raw[key])
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
        out["published"] = _str_list(f"{where}.published", raw["published"])
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


def _repairs(raw: Any, subject: str) -> list[RepairCase]:
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
        reasons = _str_list(f"{where}.expected.reasons", rq["expected"].get("reasons", []))
        for key in ("record", "obligations", "commitment"):
            if key in rq and not isinstance(rq[key], str):
                raise CaseError(f"key '{where}.{key}': must be text")
        filed = _instant(f"{where}.filed_at", rq["filed_at"])
        decided = _instant(f"{where}.decided_at", rq.get("decided_at", rq["filed_at"]))
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


def parse_case(raw: Any, name: str) -> Case:
    """Validate a parsed case document strictly; errors name the key path."""
    check_keys("", raw, CASE_KEYS, CASE_REQUIRED)
    if not isinstance(raw["description"], str) or not raw["description"].strip():
        raise CaseError("key 'description': must say what the case shows and why")
    subject = raw["subject"]
    if not isinstance(subject, str):
        raise CaseError(f"key 'subject': must be text; quote the code, e.g. subject: \"{subject}\"")
    schemes = _str_list("schemes", raw["schemes"])
    memoranda = _str_list("memoranda", raw.get("memoranda", []))
    xfail = raw.get("xfail")
    if xfail is not None and not isinstance(xfail, str):
        raise CaseError("key 'xfail': must be text saying which engine bug the case shows")
    if not isinstance(raw["records"], list):
        raise CaseError("key 'records': must be a list (it may be empty: [])")
    known = known_categories()
    records: list[Record] = []
    for i, rec in enumerate(raw["records"]):
        if not isinstance(rec, Mapping):
            raise CaseError(f"key 'records[{i}]': must be a mapping of record fields")
        data = {k: _record_text(v) for k, v in rec.items()}
        data.setdefault("subject", subject)
        try:
            record = Record.from_dict(data)
        except InvalidRecord as e:
            raise CaseError(f"key 'records[{i}]': {e}") from None
        if record.category not in known:
            raise CaseError(
                f"key 'records[{i}].category': {record.category!r} is not in the catalogue "
                "(src/xinyong/data/catalogue.toml); the ingest path would refuse this record"
            )
        records.append(record)
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise CaseError(f"key 'records': record ids must be unique, got {ids}")
    if not isinstance(raw["checks"], list) or not raw["checks"]:
        raise CaseError("key 'checks': must be a non-empty list")
    checks: list[Check] = []
    for i, chk in enumerate(raw["checks"]):
        where = f"checks[{i}]"
        check_keys(where, chk, CHECK_KEYS, ("at", "expected"))
        at = _instant(f"{where}.at", chk["at"])
        known_at = _instant(f"{where}.known_at", chk.get("known_at", chk["at"]))
        checks.append(Check(at, known_at, _expected(f"{where}.expected", chk["expected"], schemes)))
    repairs = _repairs(raw.get("repairs", []), subject.upper())
    return Case(
        name,
        raw["description"],
        schemes,
        memoranda,
        subject.upper(),
        xfail,
        records,
        checks,
        repairs,
    )


def load_case(path: Path, root: Path | None = None) -> Case:
    """The case in ``path``, named by its path below ``root`` (if under it) or as given."""
    name = (
        str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
    )
    raw = read_yaml(path, name)
    try:
        return parse_case(raw, name)
    except CaseError as e:
        raise CaseError(f"{name}: {e}") from None


def case_files(paths: list[Path]) -> list[Path]:
    """The case files named: files as given, folders searched for ``*.yaml``/``*.yml``."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
            if not found:
                raise CaseError(f"{p}: no case files (*.yaml, *.yml) in this folder")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise CaseError(f"{p}: no such file or folder")
    return out
