"""Golden case files: what a case is, and reading one strictly.

A case names preset schemes (and memoranda), gives a subject's records and says what the
engine must find at given moments; see docs/golden-cases.md for the format. Every error
names the file and the key path, and says what would be right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from xinyong.core.errors import InvalidRecord
from xinyong.core.records import Record
from xinyong.golden.expectations import (
    RepairCase,
    instant,
    parse_expected,
    parse_repairs,
    str_list,
)
from xinyong.golden.strict_yaml import CaseError, check_keys, read_yaml
from xinyong.system.catalogue import known_categories

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


@dataclass(frozen=True)
class Check:
    at: datetime
    known_at: datetime | None  # None: the latest knowledge (every record)
    expected: dict[str, Any]


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


def _record_text(value: Any) -> Any:
    """YAML reads 2024-03-01 as a date; records take ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def parse_case(raw: Any, name: str) -> Case:
    """Validate a parsed case document strictly; errors name the key path."""
    check_keys("", raw, CASE_KEYS, CASE_REQUIRED)
    if not isinstance(raw["description"], str) or not raw["description"].strip():
        raise CaseError("key 'description': must say what the case shows and why")
    subject = raw["subject"]
    if not isinstance(subject, str):
        raise CaseError(f"key 'subject': must be text; quote the code, e.g. subject: \"{subject}\"")
    schemes = str_list("schemes", raw["schemes"])
    memoranda = str_list("memoranda", raw.get("memoranda", []))
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
        accepted = data.pop("accepted_at", None)  # when the store accepted it (its clock)
        try:
            record = Record.from_dict(data)
        except InvalidRecord as e:
            raise CaseError(f"key 'records[{i}]': {e}") from None
        if accepted is not None:
            record = replace(record, accepted_at=instant(f"records[{i}].accepted_at", accepted))
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
        at = instant(f"{where}.at", chk["at"])
        raw_known = chk.get("known_at")
        known_at = None if raw_known is None else instant(f"{where}.known_at", raw_known)
        want = parse_expected(f"{where}.expected", chk["expected"], schemes)
        checks.append(Check(at, known_at, want))
    repairs = parse_repairs(raw.get("repairs", []), subject.upper())
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
