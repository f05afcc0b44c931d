"""Golden cases: scheme regression cases written in YAML, one case per file.

Every ``tests/golden/**/*.yaml`` is one parametrized test (its id is the path below
``tests/golden``). A policy analyst adds a case without Python::

    description: what the case shows and why the expected values are right (cite the rule)
    schemes: [rongcheng]                  # preset schemes evaluated
    memoranda: [rewards]                  # optional: memoranda for the gate checks
    subject: "11010519491231002X"         # synthetic, valid identity number or USCC
    xfail: "why this is expected to fail" # optional: a known engine bug, reported
    records:                              # fields of Record.from_dict; subject defaults
      - {id: r1, category: traffic.violation, occurred_at: 2024-03-01,
         recorded_at: 2024-03-02, source: traffic-police, legal_basis: "..."}
    checks:
      - at: 2024-06-01
        known_at: 2024-06-01              # optional, defaults to at
        expected:                         # each key optional; only what is given is compared
          scores: {rongcheng: {score: 995, grade: A}}   # null = scheme not in force at `at`
          lists_in_force: ["rongcheng/black"]           # the exact set of scheme/list in force
          not_listed: ["r7"]                            # the exact set of refused listing records
          gates: {air.ticket: deny}                     # deny | benefit | allow
          published: ["p1"]                             # the exact set of records published
          ended_by: {spc-defaulters/dishonest-defaulters: creditor-request}
                                  # how the latest entry of a list ended by `at` (the removal
                                  # event, end-of-term, expired) or null (still in force)

Credit repair requests (optional), decided in order before the checks; a granted repair
adds its repair record to the file, so later checks see it::

    repairs:
      - record: p1                          # the record to repair
        filed_at: 2027-05-10
        decided_at: 2027-05-12              # optional, defaults to filed_at
        obligations: "receipt 2026-118"     # proof the obligations are met; omit = not met
        commitment: "I will keep the law"   # the written commitment; omit = none given
        expected:
          decision: refused                 # granted | refused
          reasons: ["minimum publication period of 1y ends 2027-05-01"]
                                            # a refusal gives exactly these reasons (each
                                            # text is found in one reason, in order)

Case files are validated strictly: an unknown or misspelt key, a value of the wrong type or
a category missing from the catalogue fails with the file and the key path. When the engine
disagrees with a case, the failure shows the full explanation (scores, lists, gates) so
the author can see which record or rule made the difference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from xinyong.adapters.batch.frame import records_frame
from xinyong.adapters.batch.score import score_population
from xinyong.core.errors import InvalidRecord, SchemeError
from xinyong.core.evaluate import SubjectView, check_gate, evaluate_subject, view_to_dict
from xinyong.core.lists import ListEntry
from xinyong.core.records import Record
from xinyong.core.repair import RepairRequest, decide_repair
from xinyong.core.sanctions import Memorandum, gates_of
from xinyong.core.scoring.engine import NoVersionInForce, score_subject
from xinyong.core.timeutil import iso, parse_instant
from xinyong.system.catalogue import catalogue, known_categories
from xinyong.system.repairs import publications
from xinyong.system.schemes_io import memorandum, preset, preset_names

GOLDEN = Path(__file__).parent / "golden"
MIN_CASES_PER_PRESET = 4

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


class CaseError(Exception):
    """A golden case file is malformed; the message names the file and the key path."""


class GoldenMismatch(AssertionError):
    """The engine disagrees with a well-formed case (an ``xfail`` case expects exactly this)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML would silently keep the last one)."""


def _mapping_no_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_no_duplicates,  # type: ignore[arg-type]
)


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


def _keys(where: str, node: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
    if not isinstance(node, Mapping):
        raise CaseError(f"key '{where}': must be a mapping, got {type(node).__name__}")
    for k in node:
        if k not in allowed:
            raise CaseError(
                f"key '{where + '.' if where else ''}{k}': unknown key (check spelling); "
                f"allowed here: {', '.join(allowed)}"
            )
    for k in required:
        if k not in node:
            raise CaseError(f"key '{where + '.' if where else ''}{k}': missing required key")


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
    _keys(where, raw, EXPECTED_KEYS)
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
                _keys(f"{where}.scores.{name}", exp, SCORE_KEYS)
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
        _keys(where, rq, REPAIR_KEYS, ("record", "filed_at", "expected"))
        _keys(f"{where}.expected", rq["expected"], REPAIR_EXPECTED_KEYS, ("decision",))
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
    _keys("", raw, CASE_KEYS, CASE_REQUIRED)
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
        _keys(where, chk, CHECK_KEYS, ("at", "expected"))
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


def load_case(path: Path) -> Case:
    rel = str(path.relative_to(GOLDEN)) if path.is_relative_to(GOLDEN) else str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as e:
        raise CaseError(f"{rel}: not valid YAML: {e}") from None
    try:
        return parse_case(raw, rel)
    except CaseError as e:
        raise CaseError(f"{rel}: {e}") from None


def _explanation(view: SubjectView, decisions: dict[str, Any]) -> str:
    doc = {
        "scores": {name: r.to_dict() for name, r in view.scores.items()},
        **view_to_dict(view),
        "gates": decisions,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str)


def _ended_by(entry: ListEntry, at: datetime) -> str | None:
    """How an entry ended by ``at``: its removal event, end-of-term, expired, or None."""
    if entry.until is None or entry.until > at:
        return None
    for ev in entry.events:
        if ev["event"] in ("removed", "term ended"):
            return str(ev["removal"])
        if ev["event"] == "expired":
            return "expired"
    return "end-of-term"


def _compare(
    check: Check, view: SubjectView, memoranda: list[Memorandum], records: list[Record]
) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    exp = check.expected
    for name, want in exp.get("scores", {}).items():
        got = view.scores.get(name)
        if want is None:
            if got is not None:
                problems.append(f"scores.{name}: expected no version in force, got a result")
            continue
        if got is None:
            problems.append(f"scores.{name}: no version of {name!r} is in force at {iso(check.at)}")
            continue
        for key in SCORE_KEYS:
            if key in want and getattr(got, key) != want[key]:
                problems.append(
                    f"scores.{name}.{key}: expected {want[key]!r}, got {getattr(got, key)!r}"
                )
    if "lists_in_force" in exp:
        got_lists = sorted({f"{e.scheme}/{e.list_id}" for e in view.in_force()})
        if got_lists != sorted(set(exp["lists_in_force"])):
            problems.append(
                f"lists_in_force: expected {sorted(set(exp['lists_in_force']))}, got {got_lists}"
            )
    if "not_listed" in exp:
        got_refused = sorted({n.record_id for n in view.refused})
        if got_refused != sorted(set(exp["not_listed"])):
            problems.append(
                f"not_listed: expected {sorted(set(exp['not_listed']))}, got {got_refused}"
            )
    if "published" in exp:
        shown = sorted(
            p.record_id for p in publications(records, check.known_at) if p.shown(check.at)
        )
        if shown != sorted(set(exp["published"])):
            problems.append(f"published: expected {sorted(set(exp['published']))}, got {shown}")
    for ref, want in exp.get("ended_by", {}).items():
        mine = [e for e in view.entries if f"{e.scheme}/{e.list_id}" == ref]
        if not mine:
            problems.append(f"ended_by.{ref}: the subject has no entry on {ref}")
            continue
        got = _ended_by(mine[-1], check.at)
        if got != want:
            problems.append(f"ended_by.{ref}: expected {want!r}, got {got!r}")
    decisions: dict[str, Any] = {}
    declared = gates_of(memoranda)
    for gate, want in exp.get("gates", {}).items():
        if gate not in declared:
            raise CaseError(
                f"gate {gate!r} is not declared by the case's memoranda "
                f"{[m.meta.name for m in memoranda]}; known gates: {sorted(declared)}"
            )
        decision = check_gate(memoranda, view, gate)
        decisions[gate] = decision.to_dict()
        if decision.decision != want:
            problems.append(f"gates.{gate}: expected {want}, got {decision.decision}")
    return problems, decisions


def _repair_problems(rq: RepairCase, granted: bool, reasons: list[str]) -> list[str]:
    got = "granted" if granted else "refused"
    problems = []
    if got != rq.decision:
        problems.append(f"expected {rq.decision}, got {got}; reasons: {reasons}")
    if rq.reasons:
        if not granted and len(reasons) != len(rq.reasons):
            problems.append(f"expected {len(rq.reasons)} reason(s), got {reasons}")
        for want, have in zip(rq.reasons, reasons, strict=False):
            if want not in have:
                problems.append(f"reason {want!r} not found in {have!r}")
    return problems


def _case_files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.yaml"))


def _params() -> list[Any]:
    out = []
    for path in _case_files():
        marks = []
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
            reason = raw.get("xfail") if isinstance(raw, dict) else None
        except yaml.YAMLError:
            reason = None  # the test itself reports the YAML error
        if isinstance(reason, str):
            # only a disagreement counts as the expected failure; a malformed case still fails
            marks.append(pytest.mark.xfail(reason=reason, strict=True, raises=GoldenMismatch))
        out.append(pytest.param(path, id=str(path.relative_to(GOLDEN)), marks=marks))
    return out


@pytest.mark.parametrize("path", _params())
def test_golden_case(path: Path) -> None:
    __tracebackhide__ = True
    try:
        case = load_case(path)
        schemes = {name: preset(name) for name in case.schemes}
        memoranda = [memorandum(name) for name in case.memoranda]
    except (CaseError, SchemeError) as e:
        pytest.fail(str(e), pytrace=False)
    failures: list[str] = []
    records = list(case.records)
    cat = catalogue()
    for i, rq in enumerate(case.repairs):
        got = decide_repair(
            rq.request, records, cat.publication_classes(), cat.publication, rq.decided_at
        )
        problems = _repair_problems(rq, got.granted, got.reasons)
        if problems:
            failures.append(f"repairs[{i}]:\n  " + "\n  ".join(problems))
        if got.granted:
            records.append(got.repair_record(source="golden-case"))
    for i, check in enumerate(case.checks):
        view = evaluate_subject(schemes, case.subject, records, check.at, check.known_at)
        try:
            problems, decisions = _compare(check, view, memoranda, records)
        except CaseError as e:
            pytest.fail(f"{case.name}: checks[{i}].expected: {e}", pytrace=False)
        if problems:
            failures.append(
                f"checks[{i}] at {iso(check.at)} known_at {iso(check.known_at)}:\n  "
                + "\n  ".join(problems)
                + "\nexplanation:\n"
                + _explanation(view, decisions)
            )
    if failures:
        raise GoldenMismatch(f"{case.name}: {case.description.strip()}\n\n" + "\n\n".join(failures))


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=str(p.relative_to(GOLDEN))) for p in _case_files()]
)
def test_batch_scorer_agrees_on_every_check(path: Path) -> None:
    """The columnar scorer gives the same score and grade as the reference at every check.

    (It returns rows only for subjects with at least one record, so record-less cases are
    compared on the reference alone.)"""
    try:
        case = load_case(path)
    except CaseError as e:
        pytest.fail(str(e), pytrace=False)
    if not any(r.subject == case.subject for r in case.records):
        return
    frame = records_frame(case.records)
    for i, check in enumerate(case.checks):
        for name in case.schemes:
            scheme = preset(name)
            try:
                ref = score_subject(scheme, case.subject, case.records, check.at, check.known_at)
            except NoVersionInForce:
                continue
            got = score_population(scheme, frame, check.at, check.known_at, engine="in-memory")
            row = got.filter(pl.col("subject") == case.subject)
            assert row.height == 1, f"checks[{i}] {name}: batch has no row for the subject"
            assert (row["score"][0], row["grade"][0]) == (ref.score, ref.grade), (
                f"{case.name} checks[{i}] {name}: batch disagrees with the reference"
            )


def test_golden_cases_exist_for_every_preset() -> None:
    counts = {name: len(list((GOLDEN / name).glob("*.yaml"))) for name in preset_names()}
    few = {name: n for name, n in counts.items() if n < MIN_CASES_PER_PRESET}
    assert not few, f"presets with fewer than {MIN_CASES_PER_PRESET} golden cases: {few}"


# --- the case format itself is strict ------------------------------------------------------

_GOOD_CASE = """\
description: a resident without records keeps the base
schemes: [rongcheng]
subject: "11010519491231002X"
records: []
checks:
  - at: 2024-06-01
    expected:
      scores: {rongcheng: {score: 1000, grade: A}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "case.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_well_formed_case_parses(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, _GOOD_CASE))
    assert case.schemes == ["rongcheng"]
    assert case.checks[0].known_at == case.checks[0].at


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("records: []", "records: []\nrecord: []"), "key 'record': unknown key"),
        (("scores:", "score:"), "key 'checks[0].expected.score': unknown key"),
        (("grade: A}", "grde: A}"), "key 'checks[0].expected.scores.rongcheng.grde': unknown key"),
        (('subject: "11010519491231002X"', "subject: 110105194912310021"), "quote the code"),
        (("records: []", "records: [{id: r1, category: speech.rumour}]"), "records[0]"),
        (("schemes: [rongcheng]", "schemes: rongcheng"), "key 'schemes': must be a list"),
        (("records: []\n", ""), "key 'records': missing required key"),
        (("at: 2024-06-01", "at: yesterday"), "key 'checks[0].at'"),
        (
            ("grade: A}}", "grade: A}}\n      gates: {air.ticket: refuse}"),
            "key 'checks[0].expected.gates.air.ticket': must be one of deny, benefit, allow",
        ),
        (("schemes: [rongcheng]", "schemes: [rongcheng]\nschemes: [sesame]"), "duplicate key"),
    ],
)
def test_malformed_cases_name_the_file_and_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in _GOOD_CASE
    path = _write(tmp_path, _GOOD_CASE.replace(old, new, 1))
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_unknown_category_is_refused_like_ingest(tmp_path: Path) -> None:
    text = _GOOD_CASE.replace(
        "records: []",
        "records:\n  - {id: r1, category: speech.rumour, occurred_at: 2024-01-01, "
        "recorded_at: 2024-01-02, source: x, legal_basis: y}",
    )
    with pytest.raises(CaseError, match=r"records\[0\]\.category'.*not in the catalogue"):
        load_case(_write(tmp_path, text))
